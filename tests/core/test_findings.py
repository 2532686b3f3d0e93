"""One finding test per code: exact severity, byte offset, line, column, path and excerpt, plus
recovery accounting (bytes and records skipped) and the bounds on findings."""

from __future__ import annotations

import pytest

from core_helpers import bytewise, run

CASES = [
    # code, document, engine options, (severity, offset, line, column, path, excerpt), skipped (bytes, records)
    ("syntax", b'{"a": [1, 2,\n  ]}', {}, ("error", 15, 2, 3, "$.a[*]", ",\\n  ]}"), (0, 0)),
    ("truncated", b'{"a": [1, 2', {}, ("error", 11, 1, 12, "$.a", ", 2"), (0, 0)),
    ("trailing-data", b'{"a": 1}\n  x', {}, ("error", 11, 2, 3, "$", "}\\n  x"), (1, 0)),
    ("invalid-utf8", b'["ok", "b\xc3\x28d"]', {}, ("error", 9, 1, 10, "$[*]", '"b\\xc3(d"]'), (6, 1)),
    ("lone-surrogate", b'{"k": "x\\udc00y"}', {}, ("warning", 8, 1, 9, "$.k", '"x\\udc00y"'), (0, 0)),
    ("control-character", b'{"k": "a\tb"}', {}, ("error", 8, 1, 9, "$.k", '"a\\tb"}'), (5, 1)),
    ("non-standard-literal", b'{"k": [1, -Infinity]}', {}, ("error", 10, 1, 11, "$.k[*]", ", -Infinity]}"), (9, 1)),
    ("duplicate-key", b'{"a": 1, "b": {"c": 1, "c": 2}}', {}, ("warning", 23, 1, 24, "$.b", '{"c": 1, "c": 2}'), (0, 0)),
    ("number-precision", b'{"id": 9007199254740993, "ok": 9007199254740992}', {},
     ("warning", 7, 1, 8, "$.id", '{"id": 9007199254740993'), (0, 0)),
    ("depth-limit", b'{"a": [[[[1]]]]}', {"max_depth": 3}, ("error", 8, 1, 9, "$.a[*][*]", "[[[1]]]]}"), (7, 1)),
    ("size-limit", b'["' + b"x" * 3000 + b'"]', {"buffer_size": 1024},
     ("info", 1, 1, 2, "$[*]", '"' + "x" * 23 + "…"), (0, 0)),
    ("encoding", b"\xff\xfe[\x001\x00]\x00", {}, ("error", 0, 1, 1, "$", "\\xff\\xfe[\\u00001\\u0000]\\u0000"), (8, 0)),
    ("bom", b"\xef\xbb\xbf[1]", {}, ("warning", 0, 1, 1, "$", "\ufeff[1"), (0, 0)),
]


@pytest.mark.parametrize("code, data, opts, expect, skipped", CASES, ids=[c[0] for c in CASES])
def test_each_finding_code_is_exact(code, data, opts, expect, skipped):
    r = run(data, **opts)
    f = r["findings"][0]
    assert f["code"] == code
    assert (f["severity"], f["offset"], f["line"], f["column"], f["path"], f["excerpt"]) == expect
    assert (r["records"]["skipped_bytes"], r["records"]["skipped_records"]) == skipped
    assert r["finding_counts"][code] >= 1
    assert bytewise(data, **opts) == r
    assert run(data, exact=True, **opts) == r


def test_number_precision_covers_float_overflow_and_huge_integers():
    r = run(b'[1e400, -2e999, 123, ' + b"9" * 5000 + b"]")
    got = [(f["code"], f["offset"]) for f in r["findings"]]
    assert got == [("number-precision", 1), ("number-precision", 8), ("number-precision", 21)]
    stats = r["paths"]["$[*]"]
    assert stats["types"] == {"float": 2, "integer": 2}
    assert stats["number"] == {"min": 123, "max": 123, "mean": 123.0}


def test_ndjson_recovers_at_the_next_line_and_accounts_for_every_byte():
    lines = [b'{"a": 1}', b'{"a": 2, oops}', b'{"a": 3}', b'[1, 2', b'{"a": 4}']
    data = b"\n".join(lines) + b"\n"
    r = run(data)
    assert r["records"]["format"] == "ndjson"
    assert r["records"]["count"] == 3
    assert r["records"]["skipped_records"] == 2
    assert r["records"]["skipped_bytes"] == len(lines[1]) + len(lines[3])
    assert [(f["code"], f["line"], f["column"]) for f in r["findings"]] == [("syntax", 2, 10), ("syntax", 4, 6)]
    assert r["paths"]["$.a"]["number"] == {"min": 1, "max": 4, "mean": (1 + 3 + 4 + 2) / 4}


def test_array_records_recover_at_the_next_element():
    data = b'[{"a": 1}, {"a": tru}, {"a": 3}, [1 2], {"a": 5}]'
    r = run(data)
    assert r["records"]["count"] == 3
    assert r["records"]["skipped_records"] == 2
    assert r["records"]["skipped_bytes"] == len(b'{"a": tru}') + len(b"[1 2]")
    assert [f["offset"] for f in r["findings"]] == [data.index(b"tru}") + 3, data.index(b"2]")]
    assert r["paths"]["$[*].a"]["count"] == 3


def test_findings_are_bounded_per_code_with_exact_counts():
    data = b"[" + b",".join(b'{"x": 1, "x": 2}' for _ in range(500)) + b"]"
    r = run(data, max_findings_per_code=7)
    assert len(r["findings"]) == 7
    assert r["finding_counts"] == {"duplicate-key": 500}
    assert r["totals"] == {"errors": 0, "warnings": 500, "info": 0}
    assert [f["offset"] for f in r["findings"]] == [1 + 17 * i + 9 for i in range(7)]


def test_paths_are_bounded_and_overflow_is_counted():
    data = b"[" + b",".join(b'{"k%d": %d}' % (i, i) for i in range(300)) + b"]"
    r = run(data, max_paths=50)
    assert len(r["paths"]) == 50
    assert r["paths_overflow"] == 300 - 48


def test_report_profile_statistics():
    data = b'{"users": [{"id": 1, "name": "ab", "tags": ["x"]}, {"id": 2.5, "name": "abcd", "tags": []},' \
           b' {"id": null, "name": "ab", "ok": true}]}'
    r = run(data)
    assert r["records"] == {"count": 3, "format": "json", "shape": "object", "stream_path": "$.users[*]",
                            "streams": {"$.users[*]": 3}, "skipped_bytes": 0, "skipped_records": 0}
    ids = r["paths"]["$.users[*].id"]
    assert ids["types"] == {"integer": 1, "float": 1, "null": 1}
    assert ids["number"] == {"min": 1, "max": 2.5, "mean": 1.75}
    assert ids["examples"] == [1, 2.5, None]
    names = r["paths"]["$.users[*].name"]
    assert names["string"] == {"min_len": 2, "max_len": 4, "mean_len": 8 / 3}
    assert names["distinct"] == 2
    users = r["paths"]["$.users[*]"]
    assert users["key_sets"] == [{"keys": ["id", "name", "tags"], "count": 2}, {"keys": ["id", "name", "ok"], "count": 1}]
    assert users["max_depth"] == 2
    assert r["paths"]["$"]["max_depth"] == 4
    assert r["paths"]["$.users[*].tags"]["types"] == {"array": 2}


def test_float_overflow_inside_a_pretty_printed_record_is_localised_exactly():
    data = b'[\n {\n  "a": [\n   1.5,\n   1e309\n  ]\n },\n 2\n]'
    r = run(data)
    assert [(f["code"], f["offset"], f["line"], f["path"]) for f in r["findings"]] == \
        [("number-precision", data.index(b"1e309"), 5, "$[*].a[*]")]
    assert r == run(data, exact=True) == bytewise(data)


@pytest.mark.parametrize("text, offset", [(b'"\\\\ud800\\udc00"', 8), (b'"\\ud800\\\\udc00"', 1),
                                          (b'"\\ud83d\\ude00 \\ud83d"', 14)])
def test_fast_path_finds_a_lone_surrogate_next_to_an_escaped_backslash(text, offset):
    # escapes are read with backslash parity: in "\\ud800\udc00" the low surrogate is unpaired
    data = b'{"a": ' + text + b', "b": 1}'
    r = run(data)
    assert [(f["code"], f["offset"]) for f in r["findings"]] == [("lone-surrogate", 6 + offset)]
    assert run(data, exact=True) == r
