"""`jsonm` console script: one dispatcher, each command group registered by the module that owns it.

Exit status convention for every command: 0 ok, 1 failed (e.g. error findings), 2 usage or I/O
error (one clear line on stderr, never a traceback), 3 stopped early with a checkpoint written.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

# Modules that contribute commands; each defines ``register(subparsers)`` and sets ``func``
# (taking the parsed args, returning an exit status) on the parsers it adds.
COMMAND_MODULES = (
    "jsonm_core.scan_cli",
    "jsonm_core.cloud.cli",
)


class UsageError(Exception):
    """Raised by a command for a bad argument or unreadable input: exit status 2, one line."""


def build_parser() -> argparse.ArgumentParser:
    from jsonm_core import __version__

    parser = argparse.ArgumentParser(prog="jsonm", description="Forensic streaming JSON processing.")
    parser.add_argument("--version", action="version", version=f"jsonm {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:  # e.g. the cloud extra is not installed
            if exc.name and (exc.name == name or not exc.name.startswith("jsonm_core")):
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"jsonm: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("jsonm: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # Run the imported module's main, so UsageError is the class the command modules raise.
    from jsonm_core.cli import main as package_main

    sys.exit(package_main())
