"""The demo job: generated data with planted faults, archived -> restored -> staged -> URL."""

from __future__ import annotations

import json
import urllib.request

import pytest

from jsonm_core.cloud import demo, fetch

pytestmark = [pytest.mark.cloud, pytest.mark.cpython_only]


def test_generator_is_deterministic_and_sized():
    a = demo.demo_bytes(200_000)
    assert a == demo.demo_bytes(200_000)
    assert a != demo.demo_bytes(200_000, seed=1)
    assert 200_000 <= len(a) < 200_000 + 4096
    assert demo.demo_bytes(1000).count(b"\n") >= 4  # tiny sizes still carry every fault


def test_generator_plants_exactly_the_four_faults():
    data = demo.demo_bytes(300_000)
    lines = data.split(b"\n")[:-1]
    bad_utf8, bad_json, dup, big = [], [], [], []
    for i, line in enumerate(lines):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            bad_utf8.append(i)
            continue
        try:
            pairs = json.loads(text, object_pairs_hook=lambda kv: kv)
        except ValueError:
            bad_json.append(i)
            continue

        def walk(node):
            if isinstance(node, list) and node and all(isinstance(p, tuple) for p in node):
                keys = [k for k, _ in node]
                if len(keys) != len(set(keys)):
                    dup.append(i)
                for _, v in node:
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)
            elif isinstance(node, int) and not isinstance(node, bool) and abs(node) >= 2 ** 63:
                big.append(i)
        walk(pairs)
    assert len(bad_utf8) == len(bad_json) == len(dup) == len(big) == 1
    faults = sorted(bad_utf8 + bad_json + dup + big)
    assert faults[0] > 10 and faults[-1] < len(lines) - 10  # spread inside the file
    record = json.loads(lines[0])
    assert {"event_id", "ts", "type", "user", "session", "tags", "metrics"} <= set(record)
    assert {"id", "name", "geo", "roles"} <= set(record["user"])


def test_prepare_demo_returns_a_working_presigned_manifest(local_s3, tmp_path, s3, check_aligned):
    url = demo.prepare_demo(local_s3.endpoint_url, tmp_path, size_mb=1,
                            page_origin="http://127.0.0.1:8765", chunk_size=128 * 1024,
                            bucket_prefix="demotest")
    man = fetch.fetch_manifest(url)
    assert man.complete and len(man.parts) >= 8 and man.format == "ndjson"
    assert all(p.encoding == "gzip" for p in man.parts)
    head = s3.head_object(Bucket="demotest-cold", Key=demo.DEMO_KEY)
    assert head["StorageClass"] == "DEEP_ARCHIVE" and 'ongoing-request="false"' in head["Restore"]
    original = (tmp_path / f"demo-events-{1 << 20}.ndjson").read_bytes()
    data = b"".join(d for _, d in fetch.iter_parts(man))
    assert data == original
    check_aligned(man, data)
    req = urllib.request.Request(man.parts[0].url, method="OPTIONS", headers={
        "Origin": "http://127.0.0.1:8765", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "range"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8765"
    # idempotent: a second call reuses the archived object and the staged chunks
    again = demo.prepare_demo_job(local_s3.endpoint_url, tmp_path, size_mb=1,
                                  chunk_size=128 * 1024, bucket_prefix="demotest")
    assert again.job_id == man.job_id and again.parts == len(man.parts)
