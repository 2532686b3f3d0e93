"""Layer 2: the engine test suite (tests/core) inside Pyodide 314 under Node, on the built wheel."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "build" / "web"
TEST_WHEELS = ROOT / "build" / "cache" / "wheels" / "pyodide-tests"
RUNNER = Path(__file__).with_name("run_in_pyodide.mjs")

pytestmark = pytest.mark.cpython_only


def run_in_pyodide(*pytest_args: str, timeout: float = 1500) -> subprocess.CompletedProcess:
    if not (WEB / "vendor" / "pyodide" / "pyodide-lock.json").exists():
        pytest.fail("build/web is missing: run `python3 build.py build` (build.py test does it)")
    node = shutil.which("node")
    assert node, "node is required for the Pyodide layer"
    return subprocess.run([node, str(RUNNER), str(WEB), str(TEST_WHEELS), str(ROOT), *pytest_args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_wheel_imports_in_pyodide_from_lock_file():
    proc = run_in_pyodide("--version")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert re.search(r"jsonm_core \S+ from /lib/python3\.14/site-packages/jsonm_core/", proc.stdout), proc.stdout
    assert "ijson backend python" in proc.stdout
    assert "on emscripten" in proc.stdout


def test_engine_suite_passes_in_pyodide():
    proc = run_in_pyodide(str(ROOT / "tests" / "core"), "-q", "-m", "not cpython_only and not slow")
    tail = (proc.stdout + proc.stderr)[-6000:]
    summary = [line for line in proc.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    print("\n".join(summary[-1:]))
    assert proc.returncode == 0, tail
    assert summary and " passed" in summary[-1] and "failed" not in summary[-1], tail
