"""The cheaper fast-path window checks (commit c4f2202): the 64-at-a-time nesting bound, the
window-level surrogate-pair check on bytes, NDJSON record byte lengths taken from the line end,
and the profiler flush every ``FLUSH_BYTES``.  Each is a shortcut that must never change a report:
whichever path runs and however the input is chunked, the report is the exact path's."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import jsonm_core.engine as E
from jsonm_core.engine import Engine
from jsonm_core.report import without_run

CHUNKS = (1, 7, 64, 4096, None)          # None: the whole input in one feed()


def chunked(data: bytes, size: int | None, **kw) -> dict:
    e = Engine(**kw)
    if size is None:
        e.feed(data)
    else:
        for i in range(0, len(data), size):
            e.feed(data[i:i + size])
    return without_run(e.finish())


def fast_engine(data: bytes, **kw) -> Engine:
    e = Engine(**kw)
    e.feed(data)
    e.finish()
    return e


def same_everywhere(data: bytes, chunks=CHUNKS, **kw) -> dict:
    """The exact path's report, after checking that every chunking of the fast path equals it."""
    want = chunked(data, None, exact=True, **kw)
    for size in chunks:
        assert chunked(data, size, **kw) == want, size
    return want


def codes_offsets(report: dict) -> list[tuple[str, int]]:
    return [(f["code"], f["offset"]) for f in report["findings"]]


# ---- 1. the nesting bound, 64 brackets at a time ------------------------------------------------

_BR = st.sampled_from([b"[", b"]", b"{", b"}"])
_OTHER = st.sampled_from([b"a", b"1", b",", b":", b" ", b'"', b"\\", "é".encode(), "東".encode()])
_RUN = st.tuples(st.one_of(_BR, _OTHER), st.integers(1, 400)).map(lambda t: t[0] * t[1])
_SHAPES = st.sampled_from([
    b"[" * 1500,                                   # deep
    b"]" * 700 + b"[" * 1300,                       # unbalanced: closes first
    b"[]" * 900,                                   # many brackets, shallow
    b'"' + b"[" * 1200 + b'"',                     # brackets inside a string count too
    b"{" * 63 + b"}" * 63 + b"[" * 1000,          # steps not aligned with the runs
    b"",
])
BRACKETY = st.lists(st.one_of(_RUN, _SHAPES, _BR, _OTHER), max_size=40).map(b"".join)


def fast_bound(b: bytes) -> int:
    """``_nesting_bound_fast(b)``; a version that also reports whether ``b`` holds a backslash
    returns ``(bound, has_backslash)``: check that flag too."""
    r = E._nesting_bound_fast(b)
    if isinstance(r, tuple):
        r, escapes = r
        assert escapes == (b"\\" in b)
    return r


def _brackets(b: bytes) -> int:
    return sum(b.count(c) for c in (b"[", b"]", b"{", b"}"))


@given(BRACKETY)
def test_fast_bound_is_an_upper_bound_of_the_exact_one(b):
    fast, exact = fast_bound(b), E._nesting_bound_bytes(b)
    assert fast >= exact
    n = _brackets(b)
    if n < E.SCAN_SAFE_NESTING:
        assert fast == n                          # few brackets: their count, no loop
    else:
        assert fast <= exact + 2 * E._BOUND_STEP  # loose by at most two steps


@given(BRACKETY, st.sampled_from([0, 1, 5, 64, 100]))
def test_fast_bound_loop_is_sound_on_small_inputs_too(b, limit):
    """With the threshold lowered, the 64-at-a-time loop runs on short strings as well."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(E, "SCAN_SAFE_NESTING", limit)
        fast = fast_bound(b)
    exact = E._nesting_bound_bytes(b)
    assert exact <= fast <= exact + 2 * E._BOUND_STEP


@pytest.mark.parametrize("b, exact", [
    (b"", 0), (b"]]]][[[", 3), (b"[[[[", 4), (b"[]" * 600, 1), (b"[" * 5000, 5000),
    (b"]" * 3000 + b"[" * 999, 999), (b"[" * 64 + b"]" * 64 + b"[" * 1000, 1000),
])
def test_fast_bound_known_values(b, exact):
    assert E._nesting_bound_bytes(b) == exact
    assert exact <= fast_bound(b) <= exact + 2 * E._BOUND_STEP
    if _brackets(b) < E.SCAN_SAFE_NESTING:
        assert fast_bound(b) == _brackets(b)


def test_many_shallow_brackets_stay_on_the_fast_path():
    """1200 brackets at depth 2: the chunked bound stays well below the limit, so the window is
    not sent to the exact path (the old count-the-opens bound did not have to be this tight)."""
    data = b'{"a": [' + b",".join([b"[]"] * 600) + b'], "b": "x"}\n' + b'{"a": [], "b": "y"}\n'
    assert fast_bound(data) < E.SCAN_SAFE_NESTING
    e = fast_engine(data)
    assert e._fast_records == 2
    same_everywhere(data)


class _ScanSpy:
    """Wraps the C scanner: records the nesting bound of every text it is handed."""

    def __init__(self):
        self.worst = 0
        self.calls = 0

    def __call__(self, s, k):
        self.calls += 1
        self.worst = max(self.worst, E._nesting_bound(s))
        return E._DECODER.scan_once(s, k)


def test_freeing_an_engine_with_a_path_tree_thousands_of_levels_deep():
    """Freeing a 5000-level path tree node by node recursed once per level, which killed Pyodide
    (a fatal JS stack overflow, not a RecursionError); the profiler now unlinks its nodes first."""
    import gc
    import weakref
    e = Engine(max_depth=10000, max_paths=10000, exact=True)
    e.feed(b"[" * 5000 + b"]" * 5000)
    r = e.finish()
    assert r["paths"]["$" + "[*]" * 4999]["count"] == 1
    prof = weakref.ref(e.prof)
    del e
    gc.collect()
    assert prof() is None


@pytest.mark.parametrize("max_depth", [1024, 10000])
def test_a_document_nested_5000_deep_never_reaches_the_c_scanner(monkeypatch, max_depth):
    deep = b"[" * 5000 + b"1" + b"]" * 5000
    data = b'{"x": 1}\n' + deep + b'\n{"x": 2}\n'
    kw = {"format": "ndjson", "max_depth": max_depth, "max_paths": 2000}
    spy = _ScanSpy()
    monkeypatch.setattr(E, "_SCAN", spy)
    fast = chunked(data, None, **kw)
    assert spy.calls > 0 and spy.worst < E.SCAN_SAFE_NESTING
    monkeypatch.undo()
    assert fast == chunked(data, None, exact=True, **kw)
    assert chunked(data, 4096, **kw) == fast
    if max_depth == 1024:
        assert codes_offsets(fast)[0] == ("depth-limit", len(b'{"x": 1}\n') + 1024)
    else:
        assert [f for f in fast["findings"] if f["severity"] == "error"] == []
        assert fast["records"]["count"] == 3


def test_a_balanced_document_5000_deep_as_one_json_value():
    data = b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    r = same_everywhere(data, chunks=(64, 4096, None))
    assert codes_offsets(r) == [("depth-limit", 6 + 1023)]
    ok = same_everywhere(data, chunks=(4096, None), max_depth=6000, max_paths=2000)
    assert ok["findings"] == []


def test_brackets_inside_strings_send_the_window_to_the_exact_path_without_changing_the_report():
    data = b"".join(b'{"s": "%s", "n": %d}\n' % (b"[" * 1500, i) for i in range(3))
    same_everywhere(data)


# ---- 2. unpaired surrogate escapes, decided once per window on bytes ----------------------------

@pytest.mark.parametrize("text, lone_free, has_lone", [
    ('"plain é 東京"', True, False),
    ('"\\u0041\\uE000\\n"', True, False),
    ('"\\ud83d\\ude00"', True, False),
    ('"\\uD83D\\uDE00"', True, False),
    ('"\\uDbFf\\udFfF"', True, False),
    ('"\\ud83d\\ude00", "\\uD800\\uDC00"', True, False),
    ('"\\ud800"', False, True),
    ('"\\udc00"', False, True),
    ('"\\ud800\\ud800\\udc00"', False, True),
    ('"\\udc00\\ud800"', False, True),
    ('"\\ud83d\\ude00\\udc00"', False, True),
    ('"\\ud800x\\udc00"', False, True),
    ('"\\\\ud800"', False, False),              # an escaped backslash, then the text "ud800"
    ('"\\\\\\ud800\\udc00"', False, False),     # an escaped backslash, then a real pair
    ('"\\\\ud800\\udc00"', False, True),        # the low surrogate is unpaired
])
def test_lone_free_hand_cases(text, lone_free, has_lone):
    assert E._lone_free(text.encode()) is lone_free
    assert E._has_lone(text) is has_lone


_HEX = "0123456789abcdefABCDEF"


def _esc(first: str, second: str) -> st.SearchStrategy:
    return st.builds(lambda a, b, c, d: "\\u" + a + b + c + d, st.sampled_from(first), st.sampled_from(second),
                     st.sampled_from(_HEX), st.sampled_from(_HEX))


_HIGH = _esc("dD", "89abAB")
_LOW = _esc("dD", "cdefCDEF")
_PAIR = st.builds(str.__add__, _HIGH, _LOW)
_NONSURR = st.one_of(_esc("0123456789abcefABCEF", _HEX), _esc("dD", "01234567"))
_PLAIN = st.sampled_from([
    "\\\\", "\\\\\\\\", "\\n", '\\"', "\\/", "u", "d8", "00", "dc", "ud800", "udc00", "uD83D", "x", "é", "😊", " ",
    "\\\\ud800", "\\\\uDB40", "\\\\udc00",       # an escaped backslash, then text that looks like an escape
    "\\\\ud800\\udc00", "\\\\uD83D\\uDE00",       # ... then a real, unpaired, low surrogate escape
    "\\\\\\ud800\\udc00",                        # an escaped backslash, then a real pair
])
# string contents in which every backslash starts a valid JSON escape (what the C scanner accepts);
# pairs are likelier than lone halves, so that lone-free texts (the interesting ones) are common
STR_BODY = st.lists(st.one_of(_PAIR, _PAIR, _NONSURR, _PLAIN, _PLAIN, _HIGH, _LOW), max_size=8).map("".join)


@given(st.lists(STR_BODY, min_size=1, max_size=4))
def test_lone_free_is_sound(bodies):
    for b in bodies:
        one = '"%s"' % b
        if E._lone_free(one.encode()):
            assert not E._has_lone(one)
    text = "[" + ",".join('"%s"' % b for b in bodies) + "]"
    if E._lone_free(text.encode()):
        assert not E._has_lone(text)
        assert not any(E._has_lone('"%s"' % b) for b in bodies)


def test_lone_free_needs_valid_escapes_which_the_c_scanner_enforces():
    """Outside valid JSON the count can be fooled (a 'pair' whose low half is not hex); such text
    never reaches ``_fast_record``: the C scanner rejects it first, so the shortcut stays sound."""
    text = '["\\ud800\\udcZZ"]'
    assert E._lone_free(text.encode()) and E._has_lone(text)
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    same_everywhere(text.encode())


SURR_MIX = (b'{"id": 1, "s": "\\ud83d\\ude00 ok"}\n'
            b'{"id": 2, "s": "\\ud800"}\n'
            b'{"id": 3, "s": "\\uD83D\\uDE00", "t": "\\udc00"}\n'
            b'{"id": 4, "s": "\\ud800\\ud800\\udc00"}\n'
            b'{"id": 5, "s": "\\\\ud800 not an escape"}\n'
            b'{"id": 6, "s": "\\\\\\ud800\\udc00"}\n'
            b'{"id": 7, "s": "\\\\ud800\\udc00"}\n'
            b'{"id": 8, "s": "\\udc00\\ud800 \\ud83d\\ude00"}\n'
            b'{"id": 9, "s": "\xc3\xa9\\ud83d\\ude00"}\n')


@pytest.mark.parametrize("fmt", ["auto", "ndjson"])
def test_ndjson_with_lone_and_paired_surrogates_matches_the_exact_path(fmt):
    r = same_everywhere(SURR_MIX, format=fmt)
    lone = [f for f in r["findings"] if f["code"] == "lone-surrogate"]
    lines = SURR_MIX.split(b"\n")
    assert sorted(f["line"] for f in lone) == [2, 3, 4, 7, 8, 8]
    for f in lone:
        assert SURR_MIX[f["offset"]:f["offset"] + 3].lower() in (b"\\ud", ), f
        assert f["offset"] - sum(len(x) + 1 for x in lines[:f["line"] - 1]) == f["column"] - 1


def test_a_json_document_with_lone_and_paired_surrogates_matches_the_exact_path():
    body = b"[" + b", ".join(SURR_MIX.strip().split(b"\n")) + b"]"
    r = same_everywhere(body)
    assert sum(f["code"] == "lone-surrogate" for f in r["findings"]) == 6


@given(st.lists(st.tuples(STR_BODY, st.integers(0, 99)), min_size=1, max_size=8),
       st.sampled_from([1, 5, 64, None]))
def test_surrogate_escapes_in_any_chunking_match_the_exact_path(recs, size):
    data = b"".join(('{"k": %d, "s": "%s"}\n' % (n, s)).encode() for s, n in recs)
    want = chunked(data, None, exact=True, format="ndjson")
    assert chunked(data, size, format="ndjson") == want


# ---- 3. NDJSON record byte lengths from the line end ---------------------------------------------

NDJSON_CASES = {
    "non-ascii": '{"a": "é"}\n{"a": "東京"}\n{"a": "😊"}\n{"n": 9007199254740993}\n',
    "blanks-before-newline": '{"a": "é"}  \t \n{"a": "東京"}\t\n{"n": 9007199254740993} \n',
    "crlf": '{"a": "é"}\r\n{"a": "😊"} \r\n{"n": 9007199254740993}\r\n',
    "blank-lines": '\n{"a": "é"}\n\n\n  \n{"a": "東京"}\n\t\n{"n": 9007199254740993}\n\n',
    "junk-after-record": '{"a": "é"}\n{"a":1} é\n{"a": "東京"} 😊\n{"n": 9007199254740993}\n',
    "eof-without-newline": '{"a": "é"}\n{"a": "東京", "n": 9007199254740993}',
    "eof-after-blanks": '{"a": "😊"}\n{"n": 9007199254740993, "a": "é"}  \t',
    "two-per-line": '{"a": "é"} {"a": "ü"}\n{"n": 9007199254740993}\n',
    "dup-key-after-non-ascii": '{"a": "東京"}\n{"a": "é", "a": "😊"}\n{"n": 9007199254740993}\n',
}


def _digits_at(data: bytes, offset: int) -> bool:
    return data[offset:offset + 16] == b"9007199254740993"


@pytest.mark.parametrize("name", sorted(NDJSON_CASES))
@pytest.mark.parametrize("fmt", ["ndjson", "auto"])
def test_ndjson_record_lengths_give_the_exact_report_in_any_chunking(name, fmt):
    data = NDJSON_CASES[name].encode()
    r = same_everywhere(data, format=fmt)
    if fmt == "auto" and name == "junk-after-record":
        return                                   # auto detects one JSON document + trailing data
    big = [f for f in r["findings"] if f["code"] == "number-precision"]
    assert len(big) == 1 and _digits_at(data, big[0]["offset"]), big
    if name == "junk-after-record":
        assert [f["code"] for f in r["findings"] if f["severity"] == "error"]
    if name == "dup-key-after-non-ascii":
        dup = [f for f in r["findings"] if f["code"] == "duplicate-key"]
        assert len(dup) == 1 and data[dup[0]["offset"]:].startswith('"a": "😊"'.encode())
    assert r["bytes"] == chunked(data, 7, format=fmt)["bytes"]


def test_ndjson_byte_lengths_are_used_for_the_following_offsets():
    """A long run of non-ASCII records with trailing blanks: every later offset depends on the
    byte length of every earlier record; a miscount would shift the findings."""
    lines = []
    for i in range(60):
        pad = " \t"[i % 2] * (i % 5)
        end = "\r\n" if i % 3 == 0 else "\n"
        lines.append('{"i": %d, "s": "%s"}%s%s' % (i, "é東😊"[i % 3] * (i % 7 + 1), pad, end))
        if i % 10 == 9:
            lines.append('{"big": %d}\n' % (2 ** 60 + i))
    data = "".join(lines).encode()
    e = fast_engine(data, format="ndjson")
    assert e._fast_records > 30                  # the shortcut actually ran
    r = same_everywhere(data, format="ndjson")
    big = [f for f in r["findings"] if f["code"] == "number-precision"]
    assert len(big) == 6
    for f, i in zip(big, range(9, 60, 10)):
        assert data[f["offset"]:].startswith(str(2 ** 60 + i).encode()), f
    assert r["records"]["count"] == 66


NDJSON_LINE = st.builds(
    lambda v, pad, end, junk: json.dumps(v, ensure_ascii=False) + pad + junk + end,
    st.dictionaries(st.sampled_from(["a", "é", "東京"]),
                    st.one_of(st.text(st.sampled_from("aé東😊 \\\"\t"), max_size=6),
                              st.integers(-2 ** 60, 2 ** 60), st.booleans(), st.none()),
                    max_size=3),
    st.text(st.sampled_from(" \t"), max_size=3),
    st.sampled_from(["\n", "\r\n", "\n\n", " \n"]),
    st.sampled_from(["", "", "", "é", "x", "😊"]),
)


@given(st.lists(NDJSON_LINE, min_size=1, max_size=10), st.booleans(), st.sampled_from([1, 7, 64, None]))
def test_random_ndjson_matches_the_exact_path(lines, strip_last, size):
    text = "".join(lines)
    if strip_last:
        text = text.rstrip("\r\n")
    data = text.encode()
    assert chunked(data, size, format="ndjson") == chunked(data, None, format="ndjson", exact=True)


# ---- 4. profiler flush every FLUSH_BYTES --------------------------------------------------------

ORDERED = [b'"s1"', b"7", b"2.5", b"true", b"null", b'"s2"', b"8", b"false", b"-0.5", b'"s1"']
FORCE_EXACT = [b'{"v": "dup", "v": 9}', b'{"v": "\\ud800"}', b'{"v": 1e400}', b'{"v": [1, "x", 2.0]}']


def _examples_stream(order: list[bytes], exact_every: int) -> list[bytes]:
    recs = []
    for i, v in enumerate(order):
        recs.append(b'{"v": %s, "w": {"x": [%s, %s]}}' % (v, v, order[-1 - i]))
        if exact_every and i % exact_every == exact_every - 1:
            recs.append(FORCE_EXACT[(i // exact_every) % len(FORCE_EXACT)])
    return recs


@pytest.fixture(params=[1, 64, 4 << 20], ids=["flush-1", "flush-64", "flush-4MB"])
def flush_bytes(request, monkeypatch):
    monkeypatch.setattr(E, "FLUSH_BYTES", request.param)
    return request.param


@pytest.mark.parametrize("exact_every", [0, 1, 2, 3])
@pytest.mark.parametrize("rotate", [0, 1, 3, 5])
def test_examples_keep_arrival_order_across_flushes_and_exact_records(flush_bytes, exact_every, rotate):
    order = ORDERED[rotate:] + ORDERED[:rotate]
    recs = _examples_stream(order, exact_every)
    nd = b"\n".join(recs) + b"\n"
    doc = b"[" + b",\n".join(recs) + b"]"
    for data in (nd, doc):
        r = same_everywhere(data, chunks=(1, 7, 64, None))
        v = r["paths"]["$.v" if data is nd else "$[*].v"]
        if exact_every in (0, 3):                # the first three records come before any exact one
            assert v["examples"] == [json.loads(x) for x in order[:3]]
        inner = r["paths"]["$.w.x[*]" if data is nd else "$[*].w.x[*]"]
        assert inner["count"] == 2 * len(order)


def test_examples_are_the_first_three_distinct_values_in_arrival_order(flush_bytes):
    recs = [b'{"v": "a"}', b'{"v": 1}', b'{"v": "a"}', b'{"v": 2.5}', b'{"v": "dup", "v": 3}',
            b'{"v": "b"}', b'{"v": 4}']
    data = b"\n".join(recs) + b"\n"
    r = same_everywhere(data)
    assert r["paths"]["$.v"]["examples"] == ["a", 1, 2.5]
    recs2 = [b'{"v": 1}', b'{"v": "dup", "v": "z"}', b'{"v": "a"}', b'{"v": 2}']
    r2 = same_everywhere(b"\n".join(recs2) + b"\n")
    assert r2["paths"]["$.v"]["examples"] == [1, "dup", "z"]      # both values of a duplicate key count


def test_flush_is_deferred_until_flush_bytes_of_fast_input(monkeypatch):
    """With a large FLUSH_BYTES the fast path leaves values pending between windows (the point
    of the change); any read of the profile still sees them all."""
    monkeypatch.setattr(E, "FLUSH_BYTES", 1 << 30)
    data = b"".join(b'{"v": %d, "s": "x%d"}\n' % (i, i % 5) for i in range(200))
    e = Engine(format="ndjson")
    for i in range(0, len(data), 512):
        e.feed(data[i:i + 512])
    assert e.prof.dirty                          # values still pending
    got = without_run(e.finish())
    assert got == chunked(data, None, format="ndjson", exact=True)
    assert got["paths"]["$.v"]["examples"] == [0, 1, 2]
    monkeypatch.setattr(E, "FLUSH_BYTES", 64)
    e = Engine(format="ndjson")
    for i in range(0, len(data), 512):
        e.feed(data[i:i + 512])
        assert not e.prof.dirty                  # every window is past 64 bytes: flushed
    assert without_run(e.finish()) == got


VALUE = st.sampled_from([b'"a"', b'"b"', b'"c"', b"1", b"2", b"3.5", b"-1.5", b"true", b"false", b"null",
                         b"[1, \"a\"]", b"{\"x\": 1}", b"9007199254740993"])
RECORD = st.one_of(
    st.lists(VALUE, min_size=1, max_size=3).map(lambda vs: b'{"v": %s, "l": [%s]}' % (vs[0], b", ".join(vs))),
    st.sampled_from(FORCE_EXACT + [b'{"v": "\\ud83d\\ude00"}', b'{"v": NaN}', b'{"v": 1e999, "l": []}']),
)


@given(st.lists(RECORD, min_size=1, max_size=12), st.sampled_from([1, 64, 4 << 20]),
       st.sampled_from([1, 13, 64, None]), st.booleans())
def test_random_mixes_of_fast_and_exact_records_give_the_exact_report(recs, flush, size, as_doc):
    data = (b"[" + b",".join(recs) + b"]") if as_doc else b"\n".join(recs) + b"\n"
    want = chunked(data, None, exact=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(E, "FLUSH_BYTES", flush)
        assert chunked(data, size) == want


@pytest.mark.parametrize("as_doc", [False, True])
def test_checkpoint_with_pending_values_resumes_to_the_same_report(flush_bytes, as_doc):
    recs = _examples_stream(ORDERED * 4, 3)
    data = (b"[" + b",\n".join(recs) + b"]") if as_doc else b"\n".join(recs) + b"\n"
    want = chunked(data, None, exact=True)
    e = Engine(checkpoint_every=200)
    blobs = []
    pending_seen = False
    for i in range(0, len(data), 97):
        e.feed(data[i:i + 97])
        pending_seen |= any(c.ps or c.pn for c in e.prof.dirty)
        if e.checkpoint_due:
            blobs.append((e.checkpoint(), e.resume_offset))
    assert len(blobs) >= 3
    if flush_bytes > len(data):
        assert pending_seen
    assert without_run(e.finish()) == want     # checkpointing does not disturb the running engine
    for blob, off in blobs:
        r = Engine.resume(blob)
        assert r.resume_offset == off
        r.feed(data[off:])
        assert without_run(r.finish()) == want, off
