"""Real-world documents from the shared corpus: fast path == exact path == odd splits, and the
record stream is found."""

from __future__ import annotations

import pytest

from core_helpers import boundaries, parts_report, run


@pytest.mark.parametrize("name, count, stream, fmt", [
    ("twitter.json", 101, "$.statuses[*]", "json"),
    ("citm_catalog.json", 253, "$.performances[*]", "json"),
    ("amazon_cellphones.ndjson", 793, "$", "ndjson"),
])
def test_corpus_documents(corpus, name, count, stream, fmt):
    data = (corpus / name).read_bytes()
    r = run(data, range(7919, len(data), 7919))
    assert r["records"]["count"] == count
    assert r["records"]["stream_path"] == stream
    assert r["records"]["format"] == fmt
    assert r["totals"]["errors"] == 0
    assert run(data) == r
    assert run(data, exact=True) == r
    small = run(data, buffer_size=64 << 10)       # records larger than the buffer: structural path
    assert small["paths"] == r["paths"] and small["records"] == r["records"]
    assert [f for f in small["findings"] if f["code"] != "size-limit"] == r["findings"]


def test_twitter_big_ids_are_precision_warnings_with_exact_offsets(corpus):
    data = (corpus / "twitter.json").read_bytes()
    r = run(data)
    assert r["finding_counts"] == {"number-precision": 197}
    for f in r["findings"]:
        end = f["offset"]
        while data[end:end + 1].isdigit():
            end += 1
        assert int(data[f["offset"]:end]) > 2 ** 53
        assert data[:f["offset"]].count(b"\n") + 1 == f["line"]


def test_corpus_parts_merge_to_the_whole(corpus):
    data = (corpus / "citm_catalog.json").read_bytes()
    bs = boundaries(data)
    merged, whole = parts_report(data, bs[::25])
    assert merged == whole
