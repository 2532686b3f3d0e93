"""A staging run killed halfway and re-run stages only the missing chunks."""

from __future__ import annotations

import pytest

from jsonm_core import manifest
from jsonm_core.cloud import fetch
from jsonm_core.cloud.s3 import make_client
from jsonm_core.cloud.staging import StageOptions, stage

pytestmark = [pytest.mark.cloud, pytest.mark.cpython_only]

CHUNK = 32 * 1024


def test_killed_staging_process_rerun_stages_only_missing_chunks(proxy, restored, buckets,
                                                                 sample, jsonm, jsonm_popen, s3):
    warm = f"s3://{buckets.warm}/jobs"
    args = ["stage", restored, "--warm", warm, "--chunk-size", str(CHUNK), "--gzip",
            "--align", "records", "--endpoint-url", proxy.endpoint_url]
    proxy.stall = ("PUT", r"/warm-chunks/", 3)  # the 4th chunk upload hangs ...
    proc = jsonm_popen(*args)
    try:
        assert proxy.stalled.wait(60), "staging never reached the 4th chunk"
        proc.kill()                                 # ... and the process dies mid-upload
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode != 0
    proxy.stall = None
    proxy.release.set()

    listing = s3.list_objects_v2(Bucket=buckets.warm, Prefix="jobs/")
    chunk_keys = [o["Key"] for o in listing.get("Contents", []) if "/warm-chunks/" in o["Key"]]
    assert len(chunk_keys) == 3
    manifest_key = next(o["Key"] for o in listing["Contents"] if o["Key"].endswith("manifest.json"))
    live = manifest.loads(s3.get_object(Bucket=buckets.warm, Key=manifest_key)["Body"].read())
    assert not live.complete and len(live.parts) == 3

    puts_before = len(proxy.requests("PUT", r"/warm-chunks/"))
    out = jsonm(*args)
    assert out.returncode == 0, out.stderr
    new_puts = proxy.requests("PUT", r"/warm-chunks/")[puts_before:]
    man = fetch.fetch_manifest(out.stdout.strip())
    assert man.complete and man.job_id == live.job_id
    assert len(new_puts) == len(man.parts) - 3
    staged_keys = {p.split("?")[0].split(f"/{buckets.warm}/", 1)[1] for p in new_puts}
    assert staged_keys.isdisjoint(chunk_keys)
    assert staged_keys | set(chunk_keys) == {p.key for p in man.parts}
    assert f"({len(man.parts) - 3} staged, 3 already there)" in out.stderr
    assert b"".join(d for _, d in fetch.iter_parts(man)) == sample


def test_fixed_size_rerun_does_not_reread_staged_ranges(proxy, restored, buckets, sample):
    client = make_client(proxy.endpoint_url)
    warm = f"s3://{buckets.warm}/jobs"
    calls = iter(range(10_000))
    first = stage(client, restored, warm, StageOptions(chunk_size=CHUNK),
                  should_stop=lambda: next(calls) >= 4)
    assert not first.complete and first.parts == 4 and first.bytes_read == 4 * CHUNK
    source_gets = len(proxy.requests("GET", r"/exports/sample\.ndjson"))
    second = stage(client, restored, warm, StageOptions(chunk_size=CHUNK))
    assert second.complete and second.skipped == 4 and second.staged == second.parts - 4
    assert second.bytes_read == len(sample) - 4 * CHUNK
    assert len(proxy.requests("GET", r"/exports/sample\.ndjson")) - source_gets == second.parts - 4
    assert b"".join(d for _, d in fetch.iter_parts(second.manifest_url)) == sample


def test_changed_chunk_in_warm_is_restaged(s3, restored, buckets, sample):
    warm = f"s3://{buckets.warm}/jobs"
    first = stage(s3, restored, warm, StageOptions(chunk_size=CHUNK, align="records"))
    victim = first.part_keys[1]
    s3.put_object(Bucket=buckets.warm, Key=victim, Body=b"garbage",
                  Metadata={"sha256": "0" * 64})
    again = stage(s3, restored, warm, StageOptions(chunk_size=CHUNK, align="records"))
    assert again.staged == 1 and again.skipped == again.parts - 1
    assert b"".join(d for _, d in fetch.iter_parts(again.manifest_url)) == sample


def test_source_replaced_during_staging_is_detected(s3, restored, buckets):
    from jsonm_core.cloud.s3 import CloudError, parse_s3_url

    bucket, key = parse_s3_url(restored)
    calls = iter(range(10_000))

    def replace_after_two() -> bool:
        if next(calls) == 2:
            s3.put_object(Bucket=bucket, Key=key, Body=b'{"replaced": true}\n' * 5000)
        return False

    with pytest.raises(CloudError, match="changed since staging began"):
        stage(s3, restored, f"s3://{buckets.warm}/jobs", StageOptions(chunk_size=CHUNK),
              should_stop=replace_after_two)


def test_rerun_of_a_finished_job_only_resigns(proxy, restored, buckets, sample):
    client = make_client(proxy.endpoint_url)
    opts = StageOptions(chunk_size=CHUNK, gzip=True, align="records", format="ndjson")
    first = stage(client, restored, f"s3://{buckets.warm}/jobs", opts)
    puts = len(proxy.requests("PUT", r"/warm-chunks/"))
    source_gets = len(proxy.requests("GET", r"/exports/sample\.ndjson"))
    again = stage(client, restored, f"s3://{buckets.warm}/jobs", opts)
    assert again.complete and again.bytes_read == 0 and again.skipped == again.parts == first.parts
    assert len(proxy.requests("PUT", r"/warm-chunks/")) == puts
    assert len(proxy.requests("GET", r"/exports/sample\.ndjson")) == source_gets
    assert b"".join(d for _, d in fetch.iter_parts(again.manifest_url)) == sample
    other = stage(client, restored, f"s3://{buckets.warm}/jobs",
                  StageOptions(chunk_size=CHUNK, gzip=False, align="records", format="ndjson"))
    assert other.bytes_read == len(sample) and other.staged == other.parts  # a new plan stages
