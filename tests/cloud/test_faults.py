"""Expired and denied URLs (S3's errors injected by the test proxy, since the local endpoint does
not check signatures), `manifest refresh`, and tampered parts caught by their sha256."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

import pytest

from jsonm_core import manifest
from jsonm_core.cloud import fetch, ops
from jsonm_core.cloud.s3 import make_client
from jsonm_core.cloud.staging import StageOptions, stage

pytestmark = [pytest.mark.cloud, pytest.mark.cpython_only]


@pytest.fixture
def via_proxy(proxy):
    """An S3 client whose presigned URLs point at the fault proxy."""
    return make_client(proxy.endpoint_url)


@pytest.fixture
def job(via_proxy, restored, buckets):
    return stage(via_proxy, restored, f"s3://{buckets.warm}/jobs",
                 StageOptions(chunk_size=64 * 1024, gzip=True, align="records", expires=3600))


def test_proxy_enforces_expiry_like_s3(proxy, job):
    url = fetch.fetch_manifest(job.manifest_url).parts[0].url
    with urllib.request.urlopen(url, timeout=30) as resp:
        assert resp.status == 200
    proxy.clock_skew = 2 * 3600
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url, timeout=30)
    assert info.value.code == 403
    body = info.value.read().decode()
    assert "<Code>AccessDenied</Code>" in body and "Request has expired" in body


def test_expired_url_gives_a_clear_error_and_refresh_fixes_it(proxy, via_proxy, job, sample,
                                                              jsonm):
    proxy.clock_skew = 2 * 3600  # the server side says: expired
    with pytest.raises(fetch.FetchError) as info:
        fetch.fetch_manifest(job.manifest_url)
    assert str(info.value) == ("manifest: the presigned URL has expired; run `jsonm manifest "
                               "refresh` for new URLs (same job)")
    proxy.clock_skew = 0
    man = fetch.fetch_manifest(job.manifest_url)
    proxy.clock_skew = 2 * 3600
    with pytest.raises(fetch.FetchError, match=r"^part 0: the presigned URL has expired; run "
                                               r"`jsonm manifest refresh`"):
        list(fetch.iter_parts(man, check_expiry=False))
    proxy.clock_skew = 0
    # refresh through the CLI (a separate process): new URLs, same job
    out = jsonm("manifest", "refresh", job.manifest_s3, "--expires", "6h",
                "--endpoint-url", proxy.endpoint_url)
    assert out.returncode == 0, out.stderr
    new_url = out.stdout.strip()
    assert new_url != job.manifest_url and f"/{job.job_id}/manifest.json?" in new_url
    proxy.clock_skew = 2 * 3600  # later than the old expiry, within the new one
    refreshed = fetch.fetch_manifest(new_url)
    assert refreshed.job_id == job.job_id and refreshed.source == man.source
    assert [p.sha256 for p in refreshed.parts] == [p.sha256 for p in man.parts]
    assert all(p.url != q.url for p, q in zip(refreshed.parts, man.parts))
    assert manifest.parse_time(refreshed.parts[0].expires_at) > \
        manifest.parse_time(man.parts[0].expires_at)
    assert b"".join(d for _, d in fetch.iter_parts(refreshed, check_expiry=False)) == sample


def test_client_side_expiry_check_before_any_request(proxy, via_proxy, restored, buckets):
    res = stage(via_proxy, restored, f"s3://{buckets.warm}/jobs",
                StageOptions(chunk_size=1 << 20, expires=1))
    # the manifest straight from S3: its own 1 s URL may already have expired on a loaded machine
    bucket, key = res.manifest_s3.removeprefix("s3://").split("/", 1)
    man = manifest.loads(via_proxy.get_object(Bucket=bucket, Key=key)["Body"].read())
    left = manifest.parse_time(man.parts[0].expires_at) - datetime.now(timezone.utc)
    time.sleep(max(0.0, left.total_seconds()) + 0.2)
    before = len(proxy.requests("GET", "warm-chunks"))
    with pytest.raises(fetch.FetchError, match=r"^part 0: the presigned URL expired at .*Z; run "
                                               r"`jsonm manifest refresh`"):
        list(fetch.iter_parts(man))
    assert len(proxy.requests("GET", "warm-chunks")) == before  # refused without fetching
    url, _ = ops.refresh(via_proxy, res.manifest_s3, expires=600)
    assert fetch.fetch_manifest(url).job_id == res.job_id
    assert len(list(fetch.iter_parts(url))) == 1


def test_access_denied_is_one_clear_line(proxy, job):
    man = fetch.fetch_manifest(job.manifest_url)
    proxy.deny.append(r"warm-chunks/")
    with pytest.raises(fetch.FetchError) as info:
        list(fetch.iter_parts(man))
    assert str(info.value).startswith("part 0: access denied (Access Denied)")


def test_tampered_part_is_caught_by_its_sha256(s3, job, buckets):
    man = fetch.fetch_manifest(job.manifest_url)
    victim = man.parts[2]
    original = fetch.fetch_part(victim)
    changed = bytearray(original)
    changed[len(changed) // 2] ^= 0x01  # one bit, same length
    import gzip
    s3.put_object(Bucket=buckets.warm, Key=victim.key, Body=gzip.compress(bytes(changed)))
    got = []
    with pytest.raises(fetch.FetchError) as info:
        for part, data in fetch.iter_parts(man):
            got.append(part.index)
    assert got == [0, 1]  # parts before it were delivered, the tampered one never was
    assert str(info.value).startswith("part 2: sha256 mismatch")
    assert "altered or corrupted" in str(info.value)
    s3.put_object(Bucket=buckets.warm, Key=victim.key, Body=b"not gzip at all")
    with pytest.raises(fetch.FetchError, match="part 2: stored bytes are not valid gzip"):
        fetch.fetch_part(victim)


def test_missing_chunk_after_cleanup(s3, job, jsonm, local_s3):
    man = fetch.fetch_manifest(job.manifest_url)
    out = jsonm("cleanup", job.manifest_s3, "--endpoint-url", local_s3.endpoint_url)
    assert out.returncode == 0, out.stderr
    assert f"deleted {job.parts + 1} objects" in out.stderr
    with pytest.raises(fetch.FetchError, match=r"^part 0: not found .*cleaned up"):
        fetch.fetch_part(man.parts[0])
    listing = s3.list_objects_v2(Bucket=job.warm_bucket, Prefix=job.job_prefix)
    assert listing.get("KeyCount", 0) == 0
