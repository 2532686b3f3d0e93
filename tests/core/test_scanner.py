"""The boundary scanner: record boundaries with contexts from which parts are processed alone,
with correct absolute line numbers; plan_ranges cuts about chunk_size."""

from __future__ import annotations

import json

import pytest

from core_helpers import boundaries, parts_report
from jsonm_core.engine import Engine
from jsonm_core.scanner import Boundary, BoundaryScanner, plan_ranges

DOC = json.dumps({"meta": {"v": 1}, "data": [{"id": i, "x": "y" * (i % 7)} for i in range(200)]},
                 indent=2).encode()


def test_boundaries_are_record_ends_with_json_able_contexts():
    bs = boundaries(DOC)
    assert len(bs) == 201                                   # $.meta and the 200 elements
    for b in bs:
        assert isinstance(b, Boundary)
        assert json.loads(json.dumps(b.context)) == b.context
        assert DOC[b.offset - 1:b.offset] in (b"}",)
    ctx = bs[5].context
    assert ctx["format"] == "json" and ctx["state"] == "after"
    assert [f[:2] for f in ctx["stack"]] == [["object", "$"], ["array", "$.data"]]
    line = DOC[:bs[5].offset].count(b"\n") + 1
    assert ctx["line"] == line
    assert ctx["column"] == bs[5].offset - DOC.rfind(b"\n", 0, bs[5].offset)


def test_min_gap_thins_boundaries_and_feeding_in_pieces_gives_the_same_ones():
    sc = BoundaryScanner(min_gap=1000)
    got = []
    for i in range(0, len(DOC), 333):
        got += sc.feed(DOC[i:i + 333])
    got += sc.finish()
    assert all(b.offset - a.offset >= 1000 for a, b in zip(got, got[1:]))
    assert got[0].offset >= 1000
    every = {b.offset: b.context for b in boundaries(DOC)}
    assert all(every[b.offset] == b.context for b in got)


def test_findings_in_later_parts_carry_absolute_lines_and_offsets():
    data = DOC.replace(b'"id": 150', b'"id": 15x', 1)
    bs = boundaries(data)
    merged, whole = parts_report(data, bs[::40])
    assert merged == whole
    f = whole["findings"][0]
    assert f["line"] == data[:f["offset"]].count(b"\n") + 1 and f["line"] > 100


def test_plan_ranges_cover_the_input_in_order():
    bs = boundaries(DOC)
    ranges = plan_ranges(len(DOC), 2000, bs)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(DOC)
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert all(e - s <= 2000 for s, e, _ in ranges[:-1])
    assert ranges[0][2]["format"] == "json"
    src = {"size": len(DOC)}
    reports = []
    for i, (s, e, c) in enumerate(ranges):
        eng = Engine(part={"index": i, "start": s, "end": e, "context": c}, source=src)
        eng.feed(DOC[s:e])
        reports.append(eng.finish())
    assert sum(r["records"]["count"] for r in reports) == 201
    assert all(r["totals"]["errors"] == 0 for r in reports)


@pytest.mark.parametrize("fmt, data", [
    ("ndjson", b'{"a": 1}\n{"a": 2}\n{"a": 3}\n'),
    ("auto", b'[1, 2, 3]'),
    ("seq", b'\x1e{"a": 1}\n\x1e{"a": 2}\n'),
])
def test_every_boundary_of_small_inputs_gives_mergeable_parts(fmt, data):
    bs = boundaries(data, fmt)
    assert bs
    for b in bs:
        merged, whole = parts_report(data, [b], fmt)
        assert merged == whole


def test_format_detection_and_concatenated_values():
    assert boundaries(b'{"a": 1}\n{"a": 2}\n')[0].context["format"] == "ndjson"
    assert boundaries(b'{\n "a": [1, 2]\n}\n')[0].context["format"] == "json"
    assert boundaries(b'\x1e{"a": 1}\n\x1e[2]\n')[0].context["format"] == "seq"
    from core_helpers import run
    r = run(b'\x1e{"a": 1}\n\x1e[2]\n')
    assert (r["records"]["format"], r["records"]["count"], r["totals"]["errors"]) == ("seq", 2, 0)
    r = run(b'{"a": 1} {"a": 2}\n[3]', format="seq")
    assert r["records"]["count"] == 3 and r["totals"]["errors"] == 0
    assert run(b'[1][2]')["findings"][0]["code"] == "trailing-data"
