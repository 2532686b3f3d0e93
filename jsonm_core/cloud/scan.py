"""`jsonm scan MANIFEST_URL`: process a staged job from its manifest with the engine.

Standard library + engine only (no boto3): the manifest's presigned URLs are all it needs.
Every part is verified against its sha256 before the engine sees a byte.  Record-aligned parts
(each with the scanner's context) are processed each by its own engine and merged
(`scan_cli.scan_parts`); byte-cut parts are fed in order to one engine.
"""

from __future__ import annotations

import argparse
from typing import Iterator

from jsonm_core.cloud.fetch import FetchError, fetch_part, http_get
from jsonm_core.manifest import Manifest, ManifestError, loads

PROBE_BYTES = 4096


def probe_manifest(url: str) -> Manifest | None:
    """The manifest served at `url`, or None if the URL serves something else (e.g. the JSON
    to scan itself).  Looks at the first 4 KB only, so a huge object is not downloaded twice."""
    head = http_get(url, "url", headers={"Range": f"bytes=0-{PROBE_BYTES - 1}"})
    text = head[:PROBE_BYTES].lstrip()
    if not text.startswith(b"{") or b'"jsonm.manifest"' not in text:
        return None
    body = head if len(head) < PROBE_BYTES else http_get(url, "manifest")
    try:
        return loads(body)
    except ManifestError as exc:
        raise FetchError(f"manifest: {exc}") from None


def is_record_aligned(m: Manifest) -> bool:
    return all(p.context is not None for p in m.parts[1:])


def part_bytes(m: Manifest, *, check_expiry: bool = True) -> Iterator[tuple[dict, bytes]]:
    """(engine part dict, verified decoded bytes) for each part, in order."""
    if not m.complete:
        raise FetchError(f"manifest: staging is not finished ({len(m.parts)} parts so far)")
    for p in m.parts:
        yield ({"index": p.index, "start": p.start, "end": p.end, "context": p.context},
               fetch_part(p, check_expiry=check_expiry))


def scan_manifest(m: Manifest, *, progress=None, **engine_options) -> dict:
    """The report of the job's whole object (same as scanning the original file)."""
    from jsonm_core.engine import Engine
    from jsonm_core.scan_cli import scan_parts, scan_stream

    engine_options.setdefault("format", m.format)
    if is_record_aligned(m):
        return scan_parts(((pd, [data]) for pd, data in part_bytes(m)), source=m.source,
                          progress=progress, **engine_options)
    eng = Engine(source=m.source, **engine_options)
    report = scan_stream(eng, (data for _, data in part_bytes(m)), progress)
    assert report is not None  # no stop_at was set
    return report


def run_manifest_scan(args: argparse.Namespace) -> int | None:
    """Called by `jsonm scan` for http(s) sources: None if the URL is not a manifest."""
    from jsonm_core.cli import UsageError
    from jsonm_core.scan_cli import Progress, _write_report, parse_size

    try:
        m = probe_manifest(args.source)
    except FetchError as exc:
        raise UsageError(str(exc)) from None
    if m is None:
        return None
    for flag in ("resume", "checkpoint", "limit_bytes"):
        if getattr(args, flag, None):
            raise UsageError(f"--{flag.replace('_', '-')} is not supported when scanning a manifest "
                             "(the page keeps per-part checkpoints)")
    opts: dict = {}
    if getattr(args, "format", "auto") != "auto":
        opts["format"] = args.format
    try:
        if getattr(args, "buffer_size", None):
            opts["buffer_size"] = parse_size(args.buffer_size)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    progress = Progress(m.source["size"], 0)
    try:
        report = scan_manifest(m, progress=progress, **opts)
    except FetchError as exc:
        progress.close(0)
        raise UsageError(str(exc)) from None
    progress.close(m.source["size"])
    try:
        _write_report(args.report, report)
    except OSError as exc:
        raise UsageError(f"cannot write output: {exc.strerror or exc}") from None
    return 1 if report["totals"]["errors"] else 0
