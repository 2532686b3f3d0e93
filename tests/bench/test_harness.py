"""The benchmark harness end to end on tiny inputs, so it cannot rot unnoticed.

Runs ``python -m tests.bench --json`` (as ``python3 build.py bench`` does) with a few runners on
2 MB files and checks the output's shape, and that jsonm's report is byte-identical in CPython and
in Pyodide (the browser's engine) for the same file: big integers, timestamps and floats included
(wasm32's hash() differs from CPython's, which once made the distinct sketches differ).  No timing
is asserted: speed lives in the table.
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
FILES = ["twitter.json", "twitter.ndjson", "citm.json", "rows.ndjson"]


def kind(name: str) -> str:
    """'twitter-2MB-corpus.ndjson' -> 'twitter.ndjson' (the harness's input names)."""
    return name.split("-")[0] + "." + name.rsplit(".", 1)[-1]


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
        seen.add((row["runner"], kind(row["file"])))
    assert seen == {(r, f) for r in RUNNERS for f in FILES}


def test_every_runner_reads_the_same_file_sizes(bench_rows):
    by_file: dict[str, set[int]] = {}
    for row in bench_rows:
        by_file.setdefault(row["file"], set()).add(row["bytes"])
    assert all(len(sizes) == 1 and min(sizes) > 1 << 20 for sizes in by_file.values()), by_file


def test_jsonm_report_is_identical_in_cpython_and_pyodide(bench_rows):
    jsonm = [r for r in bench_rows if r["runner"] in ("jsonm-cpython", "jsonm-pyodide")]
    assert sorted(kind(r["file"]) for r in jsonm) == sorted(FILES * 2)
    for f in {r["file"] for r in jsonm}:
        cpy, pyo = (next(r for r in jsonm if r["file"] == f and r["runtime"] == rt) for rt in ("cpython", "pyodide"))
        a, b = (json.loads((ROOT / r["report"]).read_bytes()) for r in (cpy, pyo))
        assert "run" not in a and a["schema"] == "jsonm.report"
        assert a["records"]["count"] == cpy["records"] > 0
        assert a == b, f"{f}: jsonm reports differ between CPython and Pyodide"
        assert cpy["report_sha256"] == pyo["report_sha256"]
