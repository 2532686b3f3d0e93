"""`jsonm scan MANIFEST_URL` gives the same report as `jsonm scan FILE` (outside "run"; the
"source" identity names the S3 object instead of the path), verifying every part's sha256."""

from __future__ import annotations

import gzip
import json

import pytest

from jsonm_core.cloud import fetch
from jsonm_core.cloud.staging import StageOptions, stage

pytestmark = [pytest.mark.cloud, pytest.mark.cpython_only]


def comparable(report: dict) -> dict:
    return {k: v for k, v in report.items() if k not in ("run", "source")}


@pytest.fixture
def file_report(sample, tmp_path, jsonm):
    path = tmp_path / "sample.ndjson"
    path.write_bytes(sample)
    out = jsonm("scan", str(path), "--format", "ndjson", "--report", str(tmp_path / "file.json"))
    assert out.returncode == 1, out.stderr  # the planted faults are error findings
    return json.loads((tmp_path / "file.json").read_text())


@pytest.mark.parametrize("gz,align", [(True, "records"), (False, None)])
def test_scan_manifest_url_equals_scan_file(s3, restored, buckets, file_report, tmp_path, jsonm,
                                            gz, align):
    res = stage(s3, restored, f"s3://{buckets.warm}/jobs",
                StageOptions(chunk_size=48 * 1024, gzip=gz, align=align, format="ndjson"))
    out = jsonm("scan", res.manifest_url, "--report", str(tmp_path / "m.json"))
    assert out.returncode == 1, out.stderr
    report = json.loads((tmp_path / "m.json").read_text())
    assert comparable(report) == comparable(file_report)
    assert report["source"]["key"] == "exports/sample.ndjson"
    assert report["source"]["etag"] == fetch.fetch_manifest(res.manifest_url).source["etag"]
    codes = {f["code"] for f in report["findings"]}
    assert {"duplicate-key", "invalid-utf8", "syntax"} <= codes


def test_scan_manifest_refuses_a_tampered_part(s3, restored, buckets, tmp_path, jsonm):
    res = stage(s3, restored, f"s3://{buckets.warm}/jobs",
                StageOptions(chunk_size=48 * 1024, gzip=True, align="records", format="ndjson"))
    man = fetch.fetch_manifest(res.manifest_url)
    data = bytearray(fetch.fetch_part(man.parts[3]))
    data[100] ^= 0x20
    s3.put_object(Bucket=buckets.warm, Key=man.parts[3].key, Body=gzip.compress(bytes(data)))
    out = jsonm("scan", res.manifest_url, "--report", str(tmp_path / "m.json"))
    assert out.returncode == 2
    assert out.stderr.strip().startswith("jsonm: part 3: sha256 mismatch")
    assert "Traceback" not in out.stderr and not (tmp_path / "m.json").exists()


def test_scan_of_a_plain_json_url_is_not_taken_for_a_manifest(s3, buckets, tmp_path, jsonm,
                                                              local_s3):
    from jsonm_core.cloud.s3 import presign_get

    s3.put_object(Bucket=buckets.warm, Key="plain.json", Body=b'{"schema": "other", "a": [1, 2]}')
    url = presign_get(s3, buckets.warm, "plain.json", 600)
    out = jsonm("scan", url, "--report", str(tmp_path / "r.json"))
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["schema"] == "jsonm.report" and "$.a[*]" in report["paths"]
    assert report["source"]["url"].endswith("/plain.json")


def test_reading_a_job_needs_no_boto3():
    import subprocess
    import sys

    code = ("import sys; sys.modules['boto3'] = sys.modules['botocore'] = None\n"
            "import jsonm_core.cloud.fetch, jsonm_core.cloud.scan, jsonm_core.manifest, jsonm_core.cost\n"
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


@pytest.mark.parametrize("gz,align", [(True, "records"), (False, None)])
def test_scan_manifest_in_limited_steps_resumes_to_the_same_report(s3, restored, buckets, file_report,
                                                                   tmp_path, jsonm, gz, align):
    """--limit-bytes stops at a record boundary with the job state in --checkpoint (the format
    the page keeps at the manifest's checkpoint URL); --resume continues, whichever the layout."""
    from jsonm_core import browser_state as bs

    res = stage(s3, restored, f"s3://{buckets.warm}/jobs",
                StageOptions(chunk_size=48 * 1024, gzip=gz, align=align, format="ndjson"))
    man = fetch.fetch_manifest(res.manifest_url)
    state = tmp_path / "job-state.json"
    args = ["scan", res.manifest_url, "--report", str(tmp_path / "m.json"), "--checkpoint", str(state),
            "--checkpoint-every", "16K", "--limit-bytes", "70K"]
    out = jsonm(*args)
    assert out.returncode == 3, out.stderr
    assert "--resume" in out.stderr and not (tmp_path / "m.json").exists()
    steps, positions, runs = 1, [], 0
    while out.returncode == 3:
        saved = bs.decode(state.read_bytes(), job_id=man.job_id, parts=[(p.start, p.end) for p in man.parts])
        runs += sum("last" in e for e in saved["parts"])      # consecutive done parts as one entry
        ahead = max(e["position"] for e in saved["parts"])
        assert not positions or ahead > positions[-1]            # every step moves on
        positions.append(ahead)
        out = jsonm(*args, "--resume", str(state))
        steps += 1
        assert steps < 12
    assert out.returncode == 1, out.stderr                       # the planted faults are errors
    assert steps >= 4                                            # ~400 KB in 70 KB steps
    assert runs > 0 if align else runs == 0                      # byte-cut: one engine, no part reports
    assert comparable(json.loads((tmp_path / "m.json").read_text())) == comparable(file_report)


def test_scan_manifest_refuses_a_corrupt_or_foreign_job_state(s3, restored, buckets, tmp_path, jsonm):
    res = stage(s3, restored, f"s3://{buckets.warm}/jobs",
                StageOptions(chunk_size=48 * 1024, gzip=True, align="records", format="ndjson"))
    state = tmp_path / "state.json"
    out = jsonm("scan", res.manifest_url, "--checkpoint", str(state), "--limit-bytes", "100K")
    assert out.returncode == 3, out.stderr
    from jsonm_core import browser_state as bs

    doc = json.loads(state.read_text())
    foreign, _ = bs.encode("another-job", doc["source"], [], saved_at=0)
    man = fetch.fetch_manifest(res.manifest_url)
    entries = bs.decode(state.read_bytes(), job_id=man.job_id, parts=[(p.start, p.end) for p in man.parts])["parts"]
    progress = next(e for e in entries if e["state"] == "progress")
    blob = bytearray(progress["checkpoint"])
    blob[len(blob) // 2] ^= 0x01
    progress["checkpoint"] = bytes(blob)
    damaged, _ = bs.encode(man.job_id, doc["source"], entries, saved_at=0)   # a valid outer hash
    for name, text, why in [
        ("checkpoint", damaged, "checkpoint"),
        ("edited", state.read_text().replace('"records": ', '"records": 1', 1), "integrity hash mismatch"),
        ("foreign", foreign, "belongs to another job"),
        ("garbage", "not json at all", "not JSON"),
    ]:
        bad = tmp_path / f"{name}.json"
        bad.write_text(text)
        out = jsonm("scan", res.manifest_url, "--resume", str(bad), "--report", str(tmp_path / "r.json"))
        assert out.returncode == 2, (name, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"jsonm: cannot resume from {bad}") and why in lines[0], lines
        assert "Traceback" not in out.stderr and not (tmp_path / "r.json").exists()
