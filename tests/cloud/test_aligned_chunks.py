"""Record-aligned cutting without S3: every part, processed alone with its context, merges into the
whole-input report — including a first part too short for format auto-detection on its own."""

from __future__ import annotations

import json

import pytest

from jsonm_core.cloud.staging import aligned_chunks, find_cuts
from jsonm_core.engine import Engine
from jsonm_core.report import merge, without_run


def report_of(data: bytes, part: dict | None = None) -> dict:
    engine = Engine(part=part)
    engine.feed(data)
    return engine.finish()


@pytest.mark.parametrize("shape", ["ndjson", "document"])
def test_parts_merge_into_the_whole_report(shape):
    rows = [{"id": i, "name": f"user {i}", "tags": ["a"] * (i % 3), "score": i / 7} for i in range(400)]
    if shape == "ndjson":
        data = b"".join(json.dumps(r).encode() + b"\n" for r in rows)
    else:
        data = json.dumps({"meta": {"n": len(rows)}, "rows": rows}).encode()
    chunks = list(aligned_chunks(lambda a, b: data[a:b], len(data), 2048, find_cuts("auto", 2048), block=4096))
    assert len(chunks) > 3 and chunks[0].start == 0 and chunks[-1].end == len(data)
    assert all(a.end == b.start for a, b in zip(chunks, chunks[1:]))
    assert chunks[0].context is not None and chunks[0].context["format"] == ("ndjson" if shape == "ndjson" else "json")
    merged = None
    for i, c in enumerate(chunks):
        part = {"index": i, "start": c.start, "end": c.end, "context": c.context, "last": i == len(chunks) - 1}
        r = report_of(c.data, part)
        merged = r if merged is None else merge(merged, r)
    assert without_run(merged) == without_run(report_of(data))


def test_a_one_line_first_part_keeps_the_detected_format():
    data = b'{"a": 1}\n' + b"".join(b'{"b": %d}\n' % i for i in range(300))
    chunks = list(aligned_chunks(lambda a, b: data[a:b], len(data), 9, find_cuts("auto", 9), block=64))
    first = chunks[0]
    assert first.data.strip() == b'{"a": 1}'
    assert first.context["format"] == "ndjson"
    part = {"index": 0, "start": 0, "end": first.end, "context": first.context, "last": False}
    report = report_of(first.data, part)
    assert report["records"]["format"] == "ndjson" and report["totals"]["errors"] == 0
