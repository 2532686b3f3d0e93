"""Bounded memory: traced peak stays under a fixed bound whatever the input size (tracemalloc).

Inputs are generated piece by piece and never materialised.  Not timed (speed lives in the
benchmarks); sized so the whole file runs in well under a minute on CPython."""

from __future__ import annotations

import sys
import tracemalloc

import pytest

from jsonm_core.engine import Engine

MB = 1 << 20
BUFFER = 1 * MB
BOUND = 24 * MB            # fixed: ~20x the buffer, independent of the input size


def traced(feed) -> tuple[dict, int]:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        report = feed()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return report, peak


IN_PYODIDE = sys.platform == "emscripten"
RECORDS = 1024 if IN_PYODIDE else 4096       # 1 GiB in CPython; 256 MiB in wasm (same bound)


def stream_1gb(engine: Engine, shape: str) -> None:
    """~1 GiB of records of 256 KiB each (a long string plus a few fields), fed in 64 KiB pieces."""
    blob = b"x" * (256 << 10)
    n = RECORDS
    if shape == "array":
        engine.feed(b'{"meta": {"n": %d}, "data": [' % n)
    for i in range(n):
        head = b'%s{"id": %d, "ok": %s, "blob": "' % (b"," if shape == "array" and i else b"", i,
                                                      b"true" if i % 3 else b"false")
        engine.feed(head)
        for k in range(0, len(blob), 64 << 10):
            engine.feed(blob[k:k + (64 << 10)])
        engine.feed(b'"}]}' if shape == "array" and i == n - 1 else b'"}\n' if shape == "ndjson" else b'"}')


@pytest.mark.slow
@pytest.mark.parametrize("shape", ["ndjson", "array"])
def test_a_1gb_stream_keeps_the_traced_peak_bounded(shape):
    def run():
        e = Engine(buffer_size=BUFFER, format="ndjson" if shape == "ndjson" else "json")
        stream_1gb(e, shape)
        assert e.position >= RECORDS << 18
        return e.finish()

    report, peak = traced(run)
    assert report["records"]["count"] == RECORDS + (shape == "array")   # $.meta is a record too
    assert report["totals"]["errors"] == 0
    blob = report["paths"]["$.blob" if shape == "ndjson" else "$.data[*].blob"]
    assert blob["string"]["min_len"] == 256 << 10 and blob["count"] == RECORDS
    assert peak < BOUND, f"traced peak {peak / MB:.1f} MiB for a 1 GiB stream"


@pytest.mark.slow
def test_a_200mb_string_value_is_streamed():
    size = 200 * MB

    def run():
        e = Engine(buffer_size=BUFFER)
        e.feed(b'[{"big": "')
        piece = b"abc" * 21845 + b"\\u00e9\\n\xc3\xa9"     # escapes and multi-byte UTF-8 too
        sent = 0
        while sent < size:
            e.feed(piece)
            sent += len(piece)
        e.feed(b'", "after": 1}]')
        return e.finish(), sent

    (report, sent), peak = traced(run)
    big = report["paths"]["$[*].big"]
    assert big["string"]["max_len"] == sent // 65545 * 65538
    assert report["paths"]["$[*].after"]["count"] == 1
    assert report["finding_counts"] == {"size-limit": 2}
    assert report["totals"]["errors"] == 0
    assert peak < BOUND, f"traced peak {peak / MB:.1f} MiB for a 200 MiB string"


@pytest.mark.slow
def test_a_million_nested_arrays_are_handled_structurally():
    def run():
        e = Engine(buffer_size=BUFFER)
        for _ in range(10):
            e.feed(b"[" * 100_000)
        for _ in range(10):
            e.feed(b"]" * 100_000)
        return e.finish()

    report, peak = traced(run)
    codes = [f["code"] for f in report["findings"]]
    assert codes == ["depth-limit"]
    assert report["findings"][0]["offset"] == 1024
    assert report["records"]["skipped_records"] == 1
    assert report["records"]["skipped_bytes"] == 2_000_000 - 2
    assert peak < BOUND
