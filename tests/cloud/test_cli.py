"""The cloud commands end to end in subprocesses: exit status 0/1/2, one-line errors, output."""

from __future__ import annotations

import json
import signal

import pytest

from jsonm_core.cloud import fetch

pytestmark = [pytest.mark.cloud, pytest.mark.cpython_only]


def no_traceback(out) -> None:
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_cost_prints_the_seed_figures_exactly(jsonm):
    out = jsonm("cost", "1000GB")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "glacier storage      $0.99 / month" in lines[2]
    assert lines[3].endswith("$23.00") and lines[4].endswith("$90.00")
    assert lines[5].endswith("$113.99")
    assert "tier enterprise_cloud_processing" in lines[0]
    assert any(l.strip().startswith("restore_retrieval") for l in lines)
    js = json.loads(jsonm("cost", "500MB", "--json", "--chunk-size", "10MB").stdout)
    assert js["estimate"]["tier_name"] == "standard_browser_processing"
    assert js["estimate"]["chunks"] == 50


def test_cost_errors(jsonm, tmp_path):
    bad = jsonm("cost", "ten gigs")
    assert bad.returncode == 2 and "not a size" in bad.stderr
    exp = jsonm("cost", "1GB", "--tier", "Expedited")
    assert exp.returncode == 1 and "cannot be restored with tier Expedited" in exp.stderr
    no_traceback(exp)
    prices = tmp_path / "p.json"
    prices.write_text('{"egress_per_gb": 0.05, "as_of": "2031-02-03"}')
    out = jsonm("cost", "1000GB", "--prices", str(prices))
    assert "prices as of 2031-02-03" in out.stdout and "$90.00" in out.stdout  # seed unchanged
    assert any(l.strip().startswith("egress") and "50.0000" in l for l in out.stdout.splitlines())


def test_full_cli_flow(jsonm, local_s3, sample, tmp_path, s3):
    ep = ["--endpoint-url", local_s3.endpoint_url]
    out = jsonm("init-buckets", "--prefix", "clitest", "--origin", "http://127.0.0.1:8123",
                "--warm-days", "3", *ep)
    assert out.returncode == 0, out.stderr
    assert "warm\ts3://clitest-warm" in out.stdout
    cors = s3.get_bucket_cors(Bucket="clitest-warm")["CORSRules"][0]
    assert cors["AllowedOrigins"] == ["http://127.0.0.1:8123"]
    assert {"Content-Range", "ETag"} <= set(cors["ExposeHeaders"])
    rules = s3.get_bucket_lifecycle_configuration(Bucket="clitest-warm")["Rules"]
    assert rules[0]["Expiration"]["Days"] == 3
    rules = s3.get_bucket_lifecycle_configuration(Bucket="clitest-results")["Rules"]
    assert rules[0]["Transitions"][0] == {"Days": 30, "StorageClass": "STANDARD_IA"}
    rules = s3.get_bucket_lifecycle_configuration(Bucket="clitest-checkpoints")["Rules"]
    assert rules[0]["Expiration"]["Days"] == 30

    path = tmp_path / "events.ndjson"
    path.write_bytes(sample)
    src = "s3://clitest-cold/in/events.ndjson"
    out = jsonm("upload", str(path), src, "--chunk-size", "64KB", *ep)
    assert out.returncode == 0, out.stderr
    assert f"size={len(sample)}" in out.stdout and "storage_class=DEEP_ARCHIVE" in out.stdout
    assert f"estimated_chunks={-(-len(sample) // 65536)}" in out.stdout

    out = jsonm("stage", src, "--warm", "s3://clitest-warm/jobs", *ep)
    assert out.returncode == 1
    assert "object is archived" in out.stderr and "jsonm restore" in out.stderr
    no_traceback(out)

    out = jsonm("restore", src, "--tier", "Bulk", "--days", "2", "--wait", "--poll", "0.1", *ep)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "restored"
    assert "expected wait ~48 h" in out.stderr and "retrieval cost ~$" in out.stderr

    out = jsonm("stage", src, "--warm", "s3://clitest-warm/jobs", "--chunk-size", "64KB",
                "--gzip", "--align", "records", "--expires", "2h", *ep)
    assert out.returncode == 0, out.stderr
    url = out.stdout.strip()
    man = fetch.fetch_manifest(url)
    assert man.complete and len(man.parts) >= 6
    assert b"".join(d for _, d in fetch.iter_parts(url)) == sample

    out = jsonm("manifest", "validate", url)
    assert out.returncode == 0 and out.stdout.startswith(f"ok: job {man.job_id}, {len(man.parts)} parts")
    mfile = tmp_path / "m.json"
    obj = json.loads(fetch.http_get(url, "m"))
    obj["parts"][1]["start"] -= 1
    mfile.write_text(json.dumps(obj))
    out = jsonm("manifest", "validate", str(mfile))
    assert out.returncode == 1 and "overlaps part 0" in out.stderr
    no_traceback(out)

    out = jsonm("cleanup", man.job_id, "--warm", "s3://clitest-warm/jobs", *ep)
    assert out.returncode == 0 and f"deleted {len(man.parts) + 1} objects" in out.stderr
    assert s3.list_objects_v2(Bucket="clitest-warm", Prefix="jobs/").get("KeyCount", 0) == 0


def test_usage_and_failure_exit_codes(jsonm, local_s3):
    ep = ["--endpoint-url", local_s3.endpoint_url]
    out = jsonm("stage", "not-an-s3-url", "--warm", "s3://x/y", *ep)
    assert out.returncode == 2 and "expected s3://BUCKET/KEY" in out.stderr
    no_traceback(out)
    out = jsonm("restore", "s3://no-such-bucket-here/k", *ep)
    assert out.returncode == 1 and "s3://no-such-bucket-here/k" in out.stderr
    no_traceback(out)
    out = jsonm("stage", "s3://a/b", "--warm", "s3://c/d", "--expires", "soon", *ep)
    assert out.returncode == 2 and "not a duration" in out.stderr
    out = jsonm("stage", "s3://a/b", "--warm", "s3://c/d", "--expires", "8d", *ep)
    assert out.returncode == 2 and "at most 7 days" in out.stderr
    no_traceback(out)
    out = jsonm("cleanup", "abc123", *ep)
    assert out.returncode == 2 and "--warm" in out.stderr
    out = jsonm("restore", "s3://x/k", "--endpoint-url", "http://127.0.0.1:9")
    assert out.returncode == 1 and "cannot reach the S3 endpoint" in out.stderr
    no_traceback(out)
    out = jsonm("manifest")
    assert out.returncode == 2 and "refresh" in out.stderr


def test_local_s3_command_persists_state(jsonm_popen, tmp_path):
    from jsonm_core.cloud.s3 import make_client

    state = tmp_path / "state"

    def start():
        proc = jsonm_popen("local-s3", "--state", str(state))
        line = proc.stdout.readline().decode().strip()
        assert line.startswith("http://127.0.0.1:"), line
        return proc, make_client(line)

    def stop(proc):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        proc.stdout.close()
        proc.stderr.close()

    proc, s3 = start()
    try:
        s3.create_bucket(Bucket="keep")
        s3.put_bucket_cors(Bucket="keep", CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]})
        s3.put_object(Bucket="keep", Key="cold.json", Body=b'{"a": 1}', StorageClass="DEEP_ARCHIVE",
                      Metadata={"sha256": "abc"})
        s3.put_object(Bucket="keep", Key="warm.json", Body=b"[1,2,3]")
        etag = s3.head_object(Bucket="keep", Key="cold.json")["ETag"]
    finally:
        stop(proc)
    proc, s3 = start()
    try:
        head = s3.head_object(Bucket="keep", Key="cold.json")
        assert head["StorageClass"] == "DEEP_ARCHIVE" and head["ETag"] == etag
        assert head["Metadata"] == {"sha256": "abc"} and "Restore" not in head
        with pytest.raises(Exception, match="InvalidObjectState"):
            s3.get_object(Bucket="keep", Key="cold.json")
        s3.restore_object(Bucket="keep", Key="cold.json", RestoreRequest={"Days": 1})
        assert s3.get_object(Bucket="keep", Key="warm.json")["Body"].read() == b"[1,2,3]"
        assert s3.get_bucket_cors(Bucket="keep")["CORSRules"][0]["AllowedMethods"] == ["GET"]
    finally:
        stop(proc)
    proc, s3 = start()
    try:  # the restore survived too
        assert s3.get_object(Bucket="keep", Key="cold.json")["Body"].read() == b'{"a": 1}'
    finally:
        stop(proc)
