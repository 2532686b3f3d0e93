"""The benchmark harness end to end on tiny inputs, so it cannot rot unnoticed.

Runs ``python -m tests.bench --json`` (as ``python3 build.py bench`` does) with a few runners on
2 MB files and checks the output's shape, and that jsonm's report is the same in CPython and in
Pyodide (the browser's engine) for the same file.  No timing is asserted: speed lives in the table.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.cpython_only

RUNNERS = ["jsonm-cpython", "jsonm-pyodide", "streamparser-node"]
# Known engine bug (reported with a patch): distinct-value sketches hash numbers with hash(), which
# reduces modulo 2**31-1 on wasm32, so numbers >= 2**31 land in different sketch slots in Pyodide.
# Those two fields are compared within the sketch's error until the engine hashes numbers portably;
# then empty this tuple and the reports must be byte-identical.
PLATFORM_HASHED = ("distinct", "sketch")
FILES = ["twitter.json", "twitter.ndjson"]


@pytest.fixture(scope="module")
def bench_rows(tmp_path_factory) -> list[dict]:
    if not (ROOT / "build" / "web" / "vendor" / "pyodide" / "pyodide-lock.json").exists():
        pytest.fail("build/web is missing: run `python3 build.py build` (build.py test does it)")
    proc = subprocess.run(
        [sys.executable, "-m", "tests.bench", "--json", "--size", "2MB", "--extras", "none",
         "--out", str(tmp_path_factory.mktemp("bench") / "smoke"),
         "--runners", ",".join(RUNNERS), "--files", ",".join(FILES)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def test_one_json_row_per_runner_and_file_with_the_documented_keys(bench_rows):
    assert len(bench_rows) == len(RUNNERS) * len(FILES)
    seen = set()
    for row in bench_rows:
        assert {"name", "runtime", "file", "mb_per_s", "peak_mb"} <= row.keys(), row
        assert "error" not in row, row
        assert isinstance(row["mb_per_s"], float) and row["mb_per_s"] > 0, row
        assert isinstance(row["peak_mb"], float) and row["peak_mb"] > 0, row
        assert row["runtime"] in {"cpython", "pyodide", "node"}
        seen.add((row["runner"], row["file"].rsplit(".", 1)[-1]))
    assert seen == {(r, f.rsplit(".", 1)[-1]) for r in RUNNERS for f in FILES}


def test_every_runner_reads_the_same_file_sizes(bench_rows):
    by_file: dict[str, set[int]] = {}
    for row in bench_rows:
        by_file.setdefault(row["file"], set()).add(row["bytes"])
    assert all(len(sizes) == 1 and min(sizes) > 1 << 20 for sizes in by_file.values()), by_file


def test_jsonm_report_is_identical_in_cpython_and_pyodide(bench_rows):
    jsonm = [r for r in bench_rows if r["runner"] in ("jsonm-cpython", "jsonm-pyodide")]
    for f in {r["file"] for r in jsonm}:
        cpy, pyo = (next(r for r in jsonm if r["file"] == f and r["runtime"] == rt) for rt in ("cpython", "pyodide"))
        a, b = (json.loads((ROOT / r["report"]).read_bytes()) for r in (cpy, pyo))
        assert "run" not in a and a["schema"] == "jsonm.report"
        assert a["records"]["count"] == cpy["records"] > 0
        if not PLATFORM_HASHED:
            assert a == b, f"{f}: jsonm reports differ between CPython and Pyodide"
            assert cpy["report_sha256"] == pyo["report_sha256"]
            continue
        strip = lambda r: {**r, "paths": {p: {k: v for k, v in d.items() if k not in PLATFORM_HASHED}
                                          for p, d in r["paths"].items()}}
        assert strip(a) == strip(b), f"{f}: jsonm reports differ between CPython and Pyodide"
        assert a["paths"].keys() == b["paths"].keys()
        for path, d in a["paths"].items():
            x, y = d.get("distinct"), b["paths"][path].get("distinct")
            assert (x is None) == (y is None), path
            if x:
                assert abs(x - y) <= max(2, 0.2 * x), (path, x, y)
