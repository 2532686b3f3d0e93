"""The manifest schema: one clear message per rejection rule (pure; also runs in Pyodide)."""

from __future__ import annotations

import copy
import hashlib

import pytest

from jsonm_core import manifest as m

SHA = hashlib.sha256(b"x").hexdigest()


def good(n_parts: int = 3, size: int = 300, url: str = "https://b.s3.amazonaws.com/k") -> dict:
    src = m.source_identity("cold", "exports/a.json", size=size, etag='"abc123"')
    step = size // n_parts
    parts = []
    for i in range(n_parts):
        end = size if i == n_parts - 1 else (i + 1) * step
        parts.append(m.part_dict(i, i * step, end, url=f"{url}?part={i}",
                                 expires_at="2031-01-01T00:00:00Z", sha256=SHA, key=f"w/{i}"))
    return m.build(src, parts, format="ndjson",
                   results={"report": {"url": "https://r.example/x", "method": "PUT",
                                       "expires_at": "2031-01-01T00:00:00Z"}})


def reject(obj: dict, *needles: str) -> str:
    with pytest.raises(m.ManifestError) as info:
        m.validate(obj)
    msg = str(info.value)
    assert "\n" not in msg
    for needle in needles:
        assert needle in msg, msg
    return msg


def test_a_good_manifest_validates_and_round_trips():
    obj = good()
    man = m.validate(obj)
    assert man.job_id == obj["job_id"] == m.job_id(obj["source"])
    assert [p.size for p in man.parts] == [100, 100, 100]
    assert man.covered_bytes == 300 and man.complete
    again = m.loads(m.dumps(obj))
    assert again == man
    assert m.looks_like_manifest(obj) and not m.looks_like_manifest({"schema": "jsonm.report"})


def test_job_id_depends_only_on_source_identity():
    a, b = good(url="https://one.example/a"), good(url="https://two.example/b")
    assert a["job_id"] == b["job_id"]
    src = dict(a["source"])
    assert m.job_id({**src, "etag": '"abc123"'}) == m.job_id(src)  # quoting of ETags is moot
    for change in ({"size": 301}, {"etag": "other"}, {"key": "x"}, {"version_id": "v2"}):
        assert m.job_id({**src, **change}) != m.job_id(src)
    assert len(m.job_id(src)) == 32 and int(m.job_id(src), 16) >= 0


def test_unknown_version_is_rejected():
    obj = good()
    obj["version"] = 2
    reject(obj, "unknown manifest version 2")
    obj["version"] = True
    reject(obj, "unknown manifest version")


def test_not_a_manifest():
    reject([], "JSON object")
    reject({**good(), "schema": "jsonm.report"}, "not a jsonm manifest")
    with pytest.raises(m.ManifestError, match="not valid JSON"):
        m.loads(b"{nope")


@pytest.mark.parametrize("url", ["http://s3.amazonaws.com/b/k", "ftp://127.0.0.1/k",
                                 "file:///etc/passwd", "javascript:alert(1)", "//x/y", ""])
def test_non_https_urls_are_rejected(url):
    obj = good()
    obj["parts"][1]["url"] = url
    reject(obj, "part 1")


@pytest.mark.parametrize("url", ["http://127.0.0.1:9000/b/k", "http://localhost:1/x",
                                 "http://[::1]:80/x", "http://127.8.0.3/x",
                                 "https://bucket.s3.eu-west-1.amazonaws.com/k?X-Amz-Signature=1"])
def test_https_and_loopback_http_are_accepted(url):
    obj = good()
    obj["parts"][1]["url"] = url
    assert m.validate(obj).parts[1].url == url


def test_result_urls_are_checked_too():
    obj = good()
    obj["results"]["report"]["url"] = "http://evil.example/upload"
    reject(obj, "result 'report'", "https")


def test_overlapping_ranges_are_rejected():
    obj = good()
    obj["parts"][1]["start"] = 90
    reject(obj, "part 1", "overlaps part 0")


def test_gapped_ranges_are_rejected():
    obj = good()
    obj["parts"][2]["start"] = 210
    reject(obj, "gap", "[200, 210)")
    obj = good()
    obj["parts"][0]["start"] = 5
    reject(obj, "gap", "part 0 starts at byte 5")


def test_sizes_that_do_not_add_up_are_rejected():
    obj = good()
    obj["source"]["size"] = 400
    obj["job_id"] = m.job_id(obj["source"])
    reject(obj, "sizes do not add up", "300", "400")
    obj = good()
    obj["parts"][2]["end"] = 350
    reject(obj, "sizes do not add up")


def test_an_incomplete_live_manifest_may_cover_a_prefix():
    obj = good()
    obj["complete"] = False
    del obj["parts"][2]
    man = m.validate(obj)
    assert not man.complete and man.covered_bytes == 200


def test_more_parts_than_the_cap_are_rejected():
    obj = good(n_parts=6, size=600)
    assert m.validate(obj, max_parts=6)
    reject_msg = None
    with pytest.raises(m.ManifestError) as info:
        m.validate(obj, max_parts=5)
    reject_msg = str(info.value)
    assert "6 parts" in reject_msg and "cap of 5" in reject_msg


@pytest.mark.parametrize("value", [None, "", "abc", SHA.upper()])
def test_missing_or_malformed_checksums_are_rejected(value):
    obj = good()
    if value is None:
        del obj["parts"][1]["sha256"]
    else:
        obj["parts"][1]["sha256"] = value
    reject(obj, "part 1", "sha256")


def test_job_id_must_match_source():
    obj = good()
    obj["job_id"] = "0" * 32
    reject(obj, "job_id does not match")


def test_source_needs_identity_and_types():
    obj = good()
    obj["source"]["etag"] = None
    obj["job_id"] = m.job_id(obj["source"])
    reject(obj, "version_id or an etag")
    obj = good()
    obj["source"]["size"] = "300"
    reject(obj, "source 'size'")


def test_part_fields_are_checked():
    cases = [
        (lambda o: o["parts"][1].update(index=5), "index 5"),
        (lambda o: o["parts"][1].update(end=100), "empty or inverted"),
        (lambda o: o["parts"][1].update(encoding="br"), "unknown encoding"),
        (lambda o: o["parts"][1].update(expires_at="tomorrow"), "ISO 8601"),
        (lambda o: o["parts"][1].update(range="bytes=100-150"), "does not match"),
        (lambda o: o["parts"][1].update(range="bytes=100-199", encoding="gzip"), "cannot be gzip"),
        (lambda o: o["parts"][1].update(context=[1]), "context"),
        (lambda o: o.update(format="xml"), "unknown format"),
        (lambda o: o.update(parts={}), "'parts' must be a list"),
    ]
    for mutate, needle in cases:
        obj = good()
        mutate(obj)
        reject(obj, needle)


def test_range_parts_for_no_copy():
    obj = good()
    for p in obj["parts"]:
        p["range"] = m.byte_range(p["start"], p["end"])
    man = m.validate(copy.deepcopy(obj))
    assert [p.range for p in man.parts] == ["bytes=0-99", "bytes=100-199", "bytes=200-299"]


def test_expired_parts_and_time_helpers():
    from datetime import datetime, timezone

    obj = good()
    obj["parts"][0]["expires_at"] = "2020-01-01T00:00:00Z"
    man = m.validate(obj)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert [p.index for p in man.expired_parts(now)] == [0]
    assert m.iso_utc(0) == "1970-01-01T00:00:00Z"
    assert m.parse_time(m.iso_utc(now)) == now
