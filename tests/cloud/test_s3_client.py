"""Which URLs the clients presign: regional virtual-host on AWS, path-style elsewhere."""

from __future__ import annotations

import pytest

from jsonm_core.cloud.s3 import make_client, parse_s3_url, restore_state

pytestmark = [pytest.mark.cloud, pytest.mark.cpython_only]


@pytest.fixture
def fake_aws(monkeypatch):
    for k in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "JSONM_ENDPOINT_URL",
              "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")


@pytest.mark.parametrize("endpoint,region,prefix", [
    (None, "eu-west-1", "https://bkt.s3.eu-west-1.amazonaws.com/k?"),
    ("https://s3.eu-west-1.amazonaws.com", "eu-west-1", "https://bkt.s3.eu-west-1.amazonaws.com/k?"),
    ("https://minio.lan:9000", None, "https://minio.lan:9000/bkt/k?"),
    ("http://127.0.0.1:9", None, "http://127.0.0.1:9/bkt/k?"),
])
def test_presigned_url_shapes(fake_aws, endpoint, region, prefix):
    url = make_client(endpoint, region=region).generate_presigned_url(
        "get_object", Params={"Bucket": "bkt", "Key": "k"}, ExpiresIn=60)
    assert url.startswith(prefix) and "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url


def test_parse_s3_url_and_restore_state():
    assert parse_s3_url("s3://b/a/b.json") == ("b", "a/b.json")
    assert parse_s3_url("s3://b", need_key=False) == ("b", "")
    for bad in ("https://b/k", "s3://b", "s3:///k"):
        with pytest.raises(ValueError, match="s3://"):
            parse_s3_url(bad)
    assert restore_state({"StorageClass": "STANDARD_IA"}) == "standard"
    assert restore_state({"StorageClass": "DEEP_ARCHIVE"}) == "archived"
    assert restore_state({"StorageClass": "GLACIER", "Restore": 'ongoing-request="true"'}) == "restoring"
    assert restore_state({"StorageClass": "GLACIER",
                          "Restore": 'ongoing-request="false", expiry-date="x"'}) == "restored"
