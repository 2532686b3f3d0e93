"""The fast path reduces a path's pending values in batches (C-level sums, min/max, hashing of the
distinct values); the exact tokenizer updates value by value.  Reports must not tell them apart,
whatever mix of integers and floats (equal values of both types, signed zeros, huge and
non-finite floats, big integers) a path gets, in objects or in array rows."""

from __future__ import annotations

import json
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jsonm_core.engine as E
from core_helpers import run

IN_PYODIDE = sys.platform == "emscripten"
N = 15 if IN_PYODIDE else 80

# number texts: ints (some beyond 2**53), floats as Python writes them, equal int/float pairs,
# signed zeros, and texts that parse to infinity
numbers = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.integers(-(1 << 60), 1 << 60).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-5, 5).flatmap(lambda i: st.sampled_from([str(i), f"{i}.0", f"{i}e0"])),
    st.sampled_from(["0", "-0", "0.0", "-0.0", "1e308", "-1.7976931348623157e308", "1e400", "-1e400"]),
)


def docs(nums: list[str], shape: str) -> bytes:
    if shape == "objects":
        return b"".join(b'{"v": %s, "s": "x%d"}\n' % (n.encode(), i % 5) for i, n in enumerate(nums))
    # array rows: every column lands on the same path $[*], with strings between the numbers
    return b"".join(b'["r%d", %s, %s]\n' % (i % 4, n.encode(), nums[-1 - i].encode()) for i, n in enumerate(nums))


def batched(data: bytes, cuts: list[int], flush_bytes: int) -> dict:
    """The fast path fed in pieces cut at ``cuts`` (each piece is a window, each window a batch
    when ``flush_bytes`` is small), so later batches meet a path whose examples are full."""
    saved, E.FLUSH_BYTES = E.FLUSH_BYTES, flush_bytes
    try:
        return run(data, cuts, format="ndjson")
    finally:
        E.FLUSH_BYTES = saved


def line_cuts(data: bytes, picks: list[int]) -> list[int]:
    ends = [i + 1 for i, c in enumerate(data) if c == 0x0A]
    return sorted({ends[p % len(ends)] for p in picks})


@settings(max_examples=N, deadline=None)
@given(nums=st.lists(numbers, min_size=1, max_size=60), shape=st.sampled_from(["objects", "rows"]),
       flush_bytes=st.sampled_from([1, 1, 1 << 20]), picks=st.lists(st.integers(0, 1000), max_size=4))
def test_batched_numbers_report_exactly_as_value_by_value(nums, shape, flush_bytes, picks):
    data = docs(nums, shape)
    fast = batched(data, line_cuts(data, [3, 4, *picks]), flush_bytes)   # examples full early
    assert fast == run(data, format="ndjson", exact=True)
    assert fast["records"]["count"] == len(nums)


def lines(*texts: bytes) -> bytes:
    return b"".join(b'{"v": %s}\n' % t for t in texts)


@pytest.mark.parametrize("low, high", [(b"3", b"3.0"), (b"3.0", b"3"), (b"-0.0", b"0"), (b"0", b"-0.0")])
def test_the_first_of_equal_extremes_wins_across_types_in_a_batch(low, high):
    # the first batch fills the examples (7, 8.5, 9); the second ties at both ends, in arrival order
    head = lines(b"7", b"8.5", b"9")
    big_a, big_b = (b"4" + t if t[:1] != b"-" else b"40.0" for t in (low, high))
    data = head + lines(low, high, b"20", big_a, big_b)
    r = batched(data, [len(head)], 1)
    number = r["paths"]["$.v"]["number"]
    assert json.dumps(number["min"]) == json.dumps(json.loads(low))
    assert json.dumps(number["max"]) == json.dumps(json.loads(big_a))
    assert r == run(data, format="ndjson", exact=True)


def test_a_non_finite_float_in_a_batch_is_counted_value_by_value():
    head = lines(b"1", b"2.5", b"3")
    data = head + lines(b"4.5", b"1e400", b"5", b"-1e400")
    r = batched(data, [len(head)], 1)
    v = r["paths"]["$.v"]
    assert v["types"] == {"integer": 3, "float": 4}
    assert v["sketch"]["numbers"] == 5 and v["number"]["max"] == 5 and v["number"]["min"] == 1
    assert r == run(data, format="ndjson", exact=True)
