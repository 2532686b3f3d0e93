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
