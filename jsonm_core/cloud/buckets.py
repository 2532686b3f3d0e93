"""The four buckets (cold, warm, results, checkpoints) with CORS and lifecycle rules.

CORS lets the page on its own origin GET/HEAD/PUT with `Range` and read `Content-Range`,
`Content-Length` and `ETag`.  Lifecycle: warm chunks expire after N days, results move to
STANDARD_IA after 30 days, checkpoints expire 30 days after they were written (i.e. after the
job's last checkpoint, which is written at completion).  The CloudFormation template carries
the same rules for real AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from jsonm_core.cloud.s3 import explain

ROLES = ("cold", "warm", "results", "checkpoints")


@dataclass(frozen=True)
class BucketNames:
    cold: str = "jsonm-cold"
    warm: str = "jsonm-warm"
    results: str = "jsonm-results"
    checkpoints: str = "jsonm-checkpoints"

    @classmethod
    def with_prefix(cls, prefix: str) -> "BucketNames":
        return cls(*(f"{prefix}-{role}" for role in ROLES))

    def as_dict(self) -> dict[str, str]:
        return {role: getattr(self, role) for role in ROLES}


def cors_rules(origins: Sequence[str]) -> list[dict]:
    return [{"AllowedOrigins": list(origins) or ["*"], "AllowedMethods": ["GET", "HEAD", "PUT"],
             "AllowedHeaders": ["Range", "Content-Type", "Content-Length", "If-Match"],
             "ExposeHeaders": ["Content-Range", "Content-Length", "ETag", "Accept-Ranges"],
             "MaxAgeSeconds": 3600}]


def lifecycle_rules(role: str, warm_days: int = 7) -> list[dict]:
    if role == "warm":
        return [{"ID": "expire-warm-chunks", "Status": "Enabled", "Filter": {"Prefix": ""},
                 "Expiration": {"Days": warm_days}}]
    if role == "results":
        return [{"ID": "results-to-ia", "Status": "Enabled", "Filter": {"Prefix": ""},
                 "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}]}]
    if role == "checkpoints":
        return [{"ID": "expire-checkpoints", "Status": "Enabled", "Filter": {"Prefix": ""},
                 "Expiration": {"Days": 30}}]
    return []


def init_buckets(s3: Any, names: BucketNames = BucketNames(), *,
                 origins: Sequence[str] = ("*",), warm_days: int = 7,
                 region: str | None = None) -> dict[str, str]:
    """Create (idempotently) and configure the buckets; returns role -> bucket name."""
    for role, bucket in names.as_dict().items():
        try:
            kwargs: dict[str, Any] = {"Bucket": bucket}
            if region and region != "us-east-1":
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
            try:
                s3.create_bucket(**kwargs)
            except s3.exceptions.BucketAlreadyOwnedByYou:
                pass
            s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": cors_rules(origins)})
            rules = lifecycle_rules(role, warm_days)
            if rules:
                s3.put_bucket_lifecycle_configuration(Bucket=bucket,
                                                      LifecycleConfiguration={"Rules": rules})
            s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
        except Exception as exc:  # noqa: BLE001
            raise explain(exc, f"s3://{bucket}") from None
    return names.as_dict()
