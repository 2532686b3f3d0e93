"""upload -> restore -> stage -> fetch with plain HTTP using only the manifest, over real HTTP."""

from __future__ import annotations

import gzip
import hashlib
import json
import urllib.request

import pytest

from jsonm_core import manifest
from jsonm_core.cloud import fetch, ops
from jsonm_core.cloud.s3 import ArchivedError, CloudError, parse_s3_url
from jsonm_core.cloud.staging import StageOptions, stage

pytestmark = [pytest.mark.cloud, pytest.mark.cpython_only]

CHUNK = 48 * 1024


def http(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, dict(resp.headers), resp.read()


def fetch_all_plain(manifest_url: str) -> tuple[dict, list[bytes]]:
    """Only the manifest and stdlib HTTP: no credentials, no jsonm fetch code."""
    _, _, body = http(manifest_url)
    obj = json.loads(body)
    out = []
    for part in obj["parts"]:
        headers = {"Range": part["range"]} if part["range"] else {}
        status, _, data = http(part["url"], headers)
        assert status == (206 if part["range"] else 200)
        if part["encoding"] == "gzip":
            data = gzip.decompress(data)
        assert hashlib.sha256(data).hexdigest() == part["sha256"]
        assert len(data) == part["end"] - part["start"]
        out.append(data)
    return obj, out


def test_get_before_restore_says_object_is_archived(s3, archived, buckets):
    bucket, key = parse_s3_url(archived)
    with pytest.raises(Exception) as raw:
        s3.get_object(Bucket=bucket, Key=key)
    assert "InvalidObjectState" in str(raw.value)  # the endpoint really refuses
    with pytest.raises(CloudError, match=r"object is archived.*jsonm restore"):
        stage(s3, archived, f"s3://{buckets.warm}/jobs")
    from jsonm_core.cloud.s3 import explain
    err = explain(raw.value, archived)
    assert isinstance(err, ArchivedError)
    assert str(err) == (f"{archived}: object is archived; run `jsonm restore {archived}` and "
                        "wait for the restore to finish")


def test_restore_reports_state_cost_and_wait(s3, archived):
    st = ops.restore(s3, archived, tier="Standard", days=2)
    assert st.storage_class == "DEEP_ARCHIVE"
    assert st.state in ("restoring", "restored")
    assert st.expected_hours == 12
    assert st.retrieval_usd == pytest.approx(400_000 / (1 << 30) * 0.02 + 0.0001, rel=1e-2)
    assert ops.wait_restored(s3, archived, poll=0.05, timeout=30) == "restored"
    head = s3.head_object(**dict(zip(("Bucket", "Key"), parse_s3_url(archived))))
    assert 'ongoing-request="false"' in head["Restore"]
    # again: idempotent, no error
    assert ops.restore(s3, archived).state == "restored"


@pytest.mark.parametrize("gz,align", [(False, None), (True, None), (False, "records"),
                                      (True, "records")])
def test_stage_then_fetch_with_plain_http(s3, restored, buckets, sample, gz, align, check_aligned):
    res = stage(s3, restored, f"s3://{buckets.warm}/jobs",
                StageOptions(chunk_size=CHUNK, gzip=gz, align=align, format="ndjson"))
    assert res.complete and res.parts >= 8 and res.staged == res.parts and res.skipped == 0
    obj, datas = fetch_all_plain(res.manifest_url)
    assert b"".join(datas) == sample
    man = manifest.validate(obj)
    assert man.job_id == res.job_id and man.source["size"] == len(sample)
    assert all(p.encoding == ("gzip" if gz else "identity") for p in man.parts)
    assert all(p.key and p.key.endswith(f"{p.start}-{p.end}{'.gz' if gz else ''}")
               for p in man.parts)
    if align == "records":
        assert all(p.size <= CHUNK for p in man.parts)
        check_aligned(man, sample)
    else:
        assert [p.size for p in man.parts[:-1]] == [CHUNK] * (len(man.parts) - 1)
    if gz:  # stored bytes really are compressed
        stored = s3.get_object(Bucket=buckets.warm, Key=man.parts[0].key)["Body"].read()
        assert stored[:2] == b"\x1f\x8b" and len(stored) < man.parts[0].size
    # the jsonm fetcher agrees
    assert b"".join(d for _, d in fetch.iter_parts(res.manifest_url)) == sample


def test_no_copy_uses_ranges_of_the_restored_object(s3, restored, buckets, sample, check_aligned):
    res = stage(s3, restored, f"s3://{buckets.warm}/jobs",
                StageOptions(chunk_size=CHUNK, no_copy=True, align="records", format="ndjson"))
    obj, datas = fetch_all_plain(res.manifest_url)
    assert b"".join(datas) == sample
    assert all(p["range"] == f"bytes={p['start']}-{p['end'] - 1}" for p in obj["parts"])
    assert res.staged == 0 and res.part_keys == []
    check_aligned(manifest.validate(obj), sample)
    listing = s3.list_objects_v2(Bucket=buckets.warm, Prefix=f"jobs/{res.job_id}/warm-chunks/")
    assert listing.get("KeyCount", 0) == 0


def test_results_urls_accept_a_put_from_the_page(s3, restored, buckets):
    res = stage(s3, restored, f"s3://{buckets.warm}/jobs",
                StageOptions(chunk_size=1 << 20, results=f"s3://{buckets.results}/jobs",
                             checkpoints=f"s3://{buckets.checkpoints}/jobs"))
    man = fetch.fetch_manifest(res.manifest_url)
    report = man.results["report"]
    req = urllib.request.Request(report["url"], data=b'{"schema":"jsonm.report"}', method="PUT",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200
    got = s3.get_object(Bucket=buckets.results, Key=f"jobs/{res.job_id}/report.json")
    assert got["Body"].read() == b'{"schema":"jsonm.report"}'
    assert man.results["checkpoint"]["bucket"] == buckets.checkpoints
    assert man.prices and man.prices["as_of"]


def test_live_manifest_is_usable_while_staging(s3, restored, buckets, sample):
    seen: list[tuple[bool, int]] = []
    first_part: list[bytes] = []

    def on_chunk(ev: dict) -> None:
        url = res_url[0]
        man = fetch.fetch_manifest(url)
        seen.append((man.complete, len(man.parts)))
        if ev["index"] == 0:
            first_part.append(fetch.fetch_part(man.parts[0]))

    # the manifest URL is deterministic per key; presign it up front like the page would get it
    from jsonm_core.cloud.staging import job_prefix, source_of
    from jsonm_core.cloud.s3 import presign_get
    src, _ = source_of(s3, *parse_s3_url(restored))
    res_url = [presign_get(s3, buckets.warm, job_prefix("jobs", manifest.job_id(src))
                           + "manifest.json", 600)]
    res = stage(s3, restored, f"s3://{buckets.warm}/jobs",
                StageOptions(chunk_size=CHUNK, align="records"), progress=on_chunk)
    assert seen[0] == (False, 1) and seen[-1] == (False, res.parts)
    assert [n for _, n in seen] == list(range(1, res.parts + 1))
    assert first_part[0] == sample[:len(first_part[0])]
    assert fetch.fetch_manifest(res_url[0]).complete
    with pytest.raises(fetch.FetchError, match="staging is not finished"):
        partial = json.loads(http(res_url[0])[2])
        partial["complete"] = False
        partial["parts"] = partial["parts"][:2]
        list(fetch.iter_parts(manifest.validate(partial)))


def test_cors_lets_the_page_origin_fetch_ranges(s3, restored, buckets):
    res = stage(s3, restored, f"s3://{buckets.warm}/jobs", StageOptions(chunk_size=1 << 20))
    url = fetch.fetch_manifest(res.manifest_url).parts[0].url
    req = urllib.request.Request(url, method="OPTIONS", headers={
        "Origin": "http://127.0.0.1:8000", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "range"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        headers = {k.lower(): v for k, v in resp.headers.items()}
    assert headers.get("access-control-allow-origin") in ("*", "http://127.0.0.1:8000")
    assert "GET" in headers.get("access-control-allow-methods", "")
    status, h, body = http(url, {"Origin": "http://127.0.0.1:8000", "Range": "bytes=0-9"})
    h = {k.lower(): v for k, v in h.items()}
    assert status == 206 and len(body) == 10 and h["content-range"].startswith("bytes 0-9/")
    assert "content-range" in h.get("access-control-expose-headers", "").lower()


def test_lambda_handler_stops_on_time_budget_and_continues(s3, restored, buckets, sample,
                                                           local_s3):
    from jsonm_core.cloud.handler import SAFETY_MS, handler

    class Context:
        def __init__(self, chunks_allowed: int) -> None:
            self.calls = 0
            self.allowed = chunks_allowed

        def get_remaining_time_in_millis(self) -> int:
            self.calls += 1
            return SAFETY_MS + 1 if self.calls <= self.allowed else SAFETY_MS - 1

    event = {"source": restored, "warm": f"s3://{buckets.warm}/jobs", "chunk_size": CHUNK,
             "gzip": True, "align": "records", "format": "ndjson",
             "endpoint_url": local_s3.endpoint_url}
    first = handler(event, Context(3))
    assert first["ok"] and not first["complete"] and first["parts"] == 3 and first["staged"] == 3
    assert not fetch.fetch_manifest(first["manifest_url"]).complete
    second = handler(event, Context(10_000))
    assert second["ok"] and second["complete"] and second["skipped"] == 3
    assert second["staged"] == second["parts"] - 3 and second["job_id"] == first["job_id"]
    assert b"".join(d for _, d in fetch.iter_parts(second["manifest_url"])) == sample
    bad = handler({"warm": event["warm"]}, None)
    assert not bad["ok"] and "source" in bad["error"]


def test_manifest_reader_is_a_file_over_the_verified_parts(s3, restored, buckets, sample):
    import io
    import shutil

    res = stage(s3, restored, f"s3://{buckets.warm}/jobs",
                StageOptions(chunk_size=CHUNK, gzip=True, align="records"))
    reader = fetch.ManifestReader(res.manifest_url)
    out = io.BytesIO()
    shutil.copyfileobj(io.BufferedReader(reader, 10_000), out)
    assert out.getvalue() == sample and reader.tell() == len(sample)
    assert b"".join(fetch.iter_manifest_bytes(res.manifest_url)) == sample


def test_multipart_upload_of_a_bigger_file_stages_and_verifies(s3, buckets, tmp_path):
    from jsonm_core.cloud.demo import write_events

    path = tmp_path / "big.ndjson"
    size = write_events(path, 11 << 20, seed=5)
    src = f"s3://{buckets.cold}/big.ndjson"
    up = ops.upload(s3, path, src, storage_class="GLACIER", part_size=5 << 20, chunk_size=4 << 20)
    assert up.size == size and up.etag.endswith("-3") and up.estimated_chunks == 3
    assert ops.restore(s3, src, tier="Expedited", days=1).expected_hours == 0.08
    ops.wait_restored(s3, src, poll=0.05, timeout=30)
    res = stage(s3, src, f"s3://{buckets.warm}/jobs", StageOptions(chunk_size=4 << 20))
    man = fetch.fetch_manifest(res.manifest_url)
    assert man.source["etag"] == up.etag and man.source["size"] == size and len(man.parts) == 3
    digest = hashlib.sha256()
    for _, data in fetch.iter_parts(man):
        digest.update(data)
    assert digest.hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
