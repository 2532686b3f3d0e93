"""Property tests: any split of the byte stream gives the same report; the fast path equals the
exact tokenizer; checkpoint/resume at every point gives the same report; parts merge exactly."""

from __future__ import annotations

import json
import sys

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core_helpers import boundaries, parts_report, run
from jsonm_core.engine import CheckpointError, Engine
from jsonm_core.report import merge, without_run

IN_PYODIDE = sys.platform == "emscripten"
N = 12 if IN_PYODIDE else 60                 # wasm is several times slower: fewer examples there
SETTINGS = settings(max_examples=N, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (st.none() | st.booleans() | st.integers(-(1 << 70), 1 << 70)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
           | st.sampled_from(["é☃", "\U0001F600", "\ud800", "a\"b\\c", "\u0000\u001f"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=4), inner, max_size=4), max_leaves=12)


@st.composite
def documents(draw):
    """JSON text of several shapes and styles (as bytes)."""
    shape = draw(st.sampled_from(["value", "array", "meta", "ndjson"]))
    ascii_ = draw(st.booleans())
    indent = draw(st.sampled_from([None, None, 1]))

    def dump(v, ind=indent):
        try:
            return json.dumps(v, ensure_ascii=ascii_, indent=ind).encode("utf-8")
        except UnicodeEncodeError:          # a lone surrogate: only valid JSON as an escape
            return json.dumps(v, ensure_ascii=True, indent=ind).encode("utf-8")

    if shape == "value":
        return dump(draw(values))
    if shape == "array":
        return dump(draw(st.lists(values, max_size=6)))
    if shape == "meta":
        return dump({"meta": draw(values), "data": draw(st.lists(values, max_size=6)), "n": draw(scalars)})
    return b"\n".join(dump(v, None) for v in draw(st.lists(values, min_size=1, max_size=6))) + b"\n"


@st.composite
def damaged(draw):
    """A document with a few random byte edits (insert, delete, replace)."""
    data = bytearray(draw(documents()))
    for _ in range(draw(st.integers(1, 3))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["ins", "del", "rep"]))
        byte = draw(st.sampled_from(b'[]{}",:\\ \n0-.etnxu\x00\x80\xff\xe2'))
        if op == "ins":
            data[pos:pos] = bytes([byte])
        elif pos < len(data):
            data[pos:pos + 1] = b"" if op == "del" else bytes([byte])
    return bytes(data)


def cuts(data: bytes):
    return st.lists(st.integers(0, len(data)), max_size=8)


@SETTINGS
@given(st.data(), documents())
def test_any_split_gives_the_same_report(data, doc):
    whole = run(doc)
    assert whole["totals"]["errors"] == 0, whole["findings"]
    assert run(doc, data.draw(cuts(doc))) == whole
    assert run(doc, exact=True) == whole


@SETTINGS
@given(st.data(), damaged())
def test_damaged_input_any_split_gives_the_same_report(data, doc):
    whole = run(doc)
    assert run(doc, data.draw(cuts(doc))) == whole
    assert run(doc, exact=True) == whole
    assert run(doc, range(1, len(doc))) == whole


def resume_everywhere(doc: bytes, **kw) -> int:
    full = run(doc, **kw)
    resumed = 0
    for k in range(len(doc) + 1):
        e = Engine(**kw)
        e.feed(doc[:k])
        try:
            blob = e.checkpoint()
        except CheckpointError:
            continue
        r = Engine.resume(blob)
        assert r.resume_offset <= k
        r.feed(doc[r.resume_offset:])
        assert without_run(r.finish()) == full, (k, r.resume_offset)
        resumed += 1
    return resumed


@settings(max_examples=N // 2, deadline=None)
@given(documents())
def test_checkpoint_resume_at_every_point_of_small_documents(doc):
    assume(len(doc) < 400)
    assert resume_everywhere(doc) > 0


@settings(max_examples=N // 2, deadline=None)
@given(damaged())
def test_checkpoint_resume_of_damaged_documents(doc):
    assume(len(doc) < 400)
    resume_everywhere(doc)


def test_checkpoint_resume_at_random_points_of_a_large_generated_stream():
    import random
    rnd = random.Random(7)
    recs = [{"id": i, "name": f"user{i % 97}", "score": rnd.random() * 100, "tags": ["a"] * (i % 4),
             "big": (1 << 60) + i if i % 50 == 0 else i} for i in range(6000)]
    doc = json.dumps({"meta": {"n": len(recs)}, "data": recs}, indent=1).encode()
    full = run(doc)
    for _ in range(4):
        e = Engine(checkpoint_every=64 << 10, buffer_size=64 << 10)
        stop = rnd.randrange(len(doc) // 4, len(doc))
        pos = 0
        blob = None
        while pos < stop:
            n = rnd.randrange(1, 50000)
            e.feed(doc[pos:pos + n])
            pos += n
            if e.checkpoint_due:
                blob = e.checkpoint()
        assert blob is not None
        r = Engine.resume(blob)
        r.feed(doc[r.resume_offset:])
        assert without_run(r.finish()) == full


@SETTINGS
@given(st.data(), documents())
def test_merge_of_parts_equals_the_whole(data, doc):
    bs = boundaries(doc)
    assume(bs)
    idx = sorted(set(data.draw(st.lists(st.integers(0, len(bs) - 1), max_size=4))))
    chosen = [bs[i] for i in idx]
    merged, whole = parts_report(doc, chosen)
    assert merged == whole


@settings(max_examples=N // 2, deadline=None)
@given(st.data(), damaged())
def test_merge_of_parts_of_damaged_input_equals_the_whole(data, doc):
    bs = boundaries(doc)
    assume(bs)
    idx = sorted(set(data.draw(st.lists(st.integers(0, len(bs) - 1), max_size=3))))
    chosen = [bs[i] for i in idx]
    merged, whole = parts_report(doc, chosen)
    assert merged == whole


@settings(max_examples=N // 2, deadline=None)
@given(st.data(), documents())
def test_merge_is_associative(data, doc):
    bs = boundaries(doc)
    assume(len(bs) >= 2)
    i, j = sorted(data.draw(st.lists(st.integers(0, len(bs) - 1), min_size=2, max_size=2, unique=True)))
    b1, b2 = bs[i], bs[j]
    src = {"size": len(doc)}
    reps = []
    for i, (s, e, c) in enumerate([(0, b1.offset, None), (b1.offset, b2.offset, b1.context),
                                   (b2.offset, len(doc), b2.context)]):
        eng = Engine(part={"index": i, "start": s, "end": e, "context": c}, source=src)
        eng.feed(doc[s:e])
        reps.append(eng.finish())
    a, b, c = reps
    assert without_run(merge(merge(a, b), c)) == without_run(merge(a, merge(b, c)))


TOKENS = [b"[", b"]", b"{", b"}", b",", b":", b'"', b'"a"', b"1", b"-", b"0", b".", b"e", b"true", b"nul",
          b"NaN", b"-Infinity", b"\\", b"\\u", b"\\ud800", b"\\udc00", b"\n", b" ", b"\x00", b"\xff",
          b"\xe2\x82", b"\xef\xbb\xbf", b"\x1e", b"12345678901234567890", b"1e999"]


@SETTINGS
@given(st.data(), st.lists(st.sampled_from(TOKENS), max_size=40), st.sampled_from(["auto", "json", "ndjson", "seq"]),
       st.sampled_from([3, 1024]))
def test_token_soup_is_split_invariant_in_every_format(data, toks, fmt, depth):
    doc = b"".join(toks)
    whole = run(doc, format=fmt, max_depth=depth)
    assert run(doc, data.draw(cuts(doc)), format=fmt, max_depth=depth) == whole
    assert run(doc, exact=True, format=fmt, max_depth=depth) == whole


def test_merge_regressions():
    # int 0 and "" once shared a hash, which skipped an example in one run but not in the parts
    for doc in (b'0\n"a"\n""\n', b'true0true"\\u\x00}]-12345678901234567890"a"[\n""a"[', b'{"": {}}', b'[null[]'):
        bs = boundaries(doc)
        for b in bs:
            merged, whole = parts_report(doc, [b])
            assert merged == whole, (doc, b.offset)


@settings(max_examples=N, deadline=None)
@given(st.data(), st.integers(1000, 1100), st.sampled_from(["num", "line"]))
def test_decisions_near_the_buffer_size_do_not_depend_on_feeding(data, size, kind):
    # a number token about as long as the buffer; an NDJSON first line about as long as it
    doc = b"[" + b"7" * size + b"]" if kind == "num" else \
        b'{"s": "' + b"x" * size + b'"}\n{"s": "y"}\n'
    whole = run(doc, buffer_size=1024)
    assert run(doc, data.draw(st.lists(st.integers(0, len(doc)), max_size=12)), buffer_size=1024) == whole
