"""The CloudFormation template: linted by cfn-lint, shipped as package data, and carrying the
same bucket rules as `jsonm init-buckets`."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest

pytestmark = [pytest.mark.cloud, pytest.mark.cpython_only]

ROOT = Path(__file__).resolve().parents[2]
LINT = "import sys; from cfnlint.runner import main; sys.exit(main())"


@pytest.fixture(scope="module")
def template_path() -> Path:
    path = resources.files("jsonm_core.cloud") / "template.yaml"
    assert path.is_file()
    return Path(str(path))


def test_cfn_lint_passes(template_path):
    out = subprocess.run([sys.executable, "-c", LINT, str(template_path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr


def test_cfn_lint_would_catch_a_broken_template(template_path, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(template_path.read_text().replace("Runtime: python3.12",
                                                        "Runtime: python2.1"))
    out = subprocess.run([sys.executable, "-c", LINT, str(broken)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode != 0 and "python2.1" in out.stdout


def test_template_has_the_four_buckets_with_rules(template_path):
    from cfnlint.decode import decode

    tpl, errors = decode(str(template_path))
    assert not errors
    res = tpl["Resources"]
    buckets = {k: v["Properties"] for k, v in res.items() if v["Type"] == "AWS::S3::Bucket"}
    assert set(buckets) == {"ColdBucket", "WarmBucket", "ResultsBucket", "CheckpointBucket"}
    for props in buckets.values():
        sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        assert props["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    for name in ("WarmBucket", "ResultsBucket", "CheckpointBucket"):
        cors = buckets[name]["CorsConfiguration"]["CorsRules"][0]
        assert set(cors["AllowedMethods"]) == {"GET", "HEAD", "PUT"}
        assert "Range" in cors["AllowedHeaders"]
        assert {"Content-Range", "Content-Length", "ETag"} <= set(cors["ExposedHeaders"])
    warm = buckets["WarmBucket"]["LifecycleConfiguration"]["Rules"][0]
    assert warm["ExpirationInDays"] == {"Ref": "WarmDays"}
    results = buckets["ResultsBucket"]["LifecycleConfiguration"]["Rules"][0]["Transitions"][0]
    assert results == {"StorageClass": "STANDARD_IA", "TransitionInDays": 30}
    ckpt = buckets["CheckpointBucket"]["LifecycleConfiguration"]["Rules"][0]
    assert ckpt["ExpirationInDays"] == 30
    fn = res["StagingFunction"]["Properties"]
    assert fn["Handler"] == "jsonm_core.cloud.handler.handler"
    from jsonm_core.cloud import handler
    assert callable(handler.handler)


def test_pyproject_ships_the_template_as_package_data():
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "template.yaml" in conf["tool"]["setuptools"]["package-data"]["jsonm_core.cloud"]
