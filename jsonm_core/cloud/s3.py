"""boto3 plumbing shared by the cloud commands: clients, s3:// URLs, one-line errors.

Real AWS by default (credentials/profile chain), any S3 API with an endpoint URL; loopback
endpoints (the embedded local S3, test proxies) get path-style addressing and dummy keys.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from jsonm_core.manifest import is_loopback_host

ARCHIVE_CLASSES = ("GLACIER", "DEEP_ARCHIVE")
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # SigV4 presigned URLs live at most 7 days


class CloudError(Exception):
    """A cloud operation failed; str() is one line meant for the user (exit status 1)."""


class ArchivedError(CloudError):
    """The object is in an archive storage class and has not been restored."""


def parse_s3_url(url: str, *, need_key: bool = True) -> tuple[str, str]:
    """'s3://bucket/key' -> (bucket, key); ValueError with a clear message otherwise."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"expected s3://BUCKET/KEY, got {url!r}")
    key = parts.path.lstrip("/")
    if need_key and not key:
        raise ValueError(f"{url!r} names a bucket but no key")
    return parts.netloc, key


def s3_url(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def default_endpoint() -> str | None:
    """JSONM_ENDPOINT_URL, else None (boto3 itself honours AWS_ENDPOINT_URL[_S3])."""
    return os.environ.get("JSONM_ENDPOINT_URL") or None


def make_client(endpoint_url: str | None = None, *, profile: str | None = None,
                region: str | None = None) -> Any:
    """A SigV4 S3 client: AWS by default, or the given S3-compatible endpoint."""
    import boto3
    from botocore.config import Config

    endpoint_url = endpoint_url or default_endpoint()
    host = urlsplit(endpoint_url).hostname or "" if endpoint_url else ""
    local = is_loopback_host(host)
    # S3-compatible servers (MinIO, Ceph, moto) want path-style; AWS itself picks its own.
    path_style = bool(endpoint_url) and not host.endswith(".amazonaws.com")
    config = Config(signature_version="s3v4", retries={"max_attempts": 3, "mode": "standard"},
                    s3={"addressing_style": "path" if path_style else "virtual"})
    if local:
        from jsonm_core.cloud.local_s3 import LOCAL_CREDENTIALS
        session = boto3.session.Session(**LOCAL_CREDENTIALS)
    else:
        session = boto3.session.Session(profile_name=profile, region_name=region)
    if not endpoint_url and session.region_name:
        # Regional endpoint: presigned URLs then point straight at the bucket's region
        # (the global endpoint answers other regions with a redirect that breaks CORS).
        endpoint_url = f"https://s3.{session.region_name}.amazonaws.com"
    kwargs: dict[str, Any] = {"config": config}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    return session.client("s3", **kwargs)


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def explain(exc: BaseException, what: str = "") -> CloudError:
    """Turn a botocore exception into a one-line CloudError about `what` (e.g. an s3:// URL)."""
    from botocore.exceptions import (ClientError, EndpointConnectionError, NoCredentialsError,
                                     NoRegionError, ProfileNotFound)

    about = f"{what}: " if what else ""
    if isinstance(exc, CloudError):
        return exc
    if isinstance(exc, NoCredentialsError):
        return CloudError("no AWS credentials found (configure a profile, or use --endpoint-url "
                          "for an S3-compatible endpoint such as `jsonm local-s3`)")
    if isinstance(exc, (NoRegionError, ProfileNotFound)):
        return CloudError(str(exc))
    if isinstance(exc, EndpointConnectionError):
        return CloudError(f"cannot reach the S3 endpoint {exc.kwargs.get('endpoint_url', '')}")
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message", "") or code
        if code == "InvalidObjectState":
            return ArchivedError(f"{about}object is archived; run `jsonm restore {what}` "
                                 "and wait for the restore to finish")
        if code in ("NoSuchKey", "404", "NotFound"):
            return CloudError(f"{about}no such object")
        if code == "NoSuchBucket":
            return CloudError(f"{about}no such bucket")
        if code in ("AccessDenied", "403", "Forbidden"):
            return CloudError(f"{about}access denied ({message})")
        if code in ("PreconditionFailed", "412"):
            return CloudError(f"{about}the object changed since staging began (ETag mismatch); "
                              "run the command again to stage the new version")
        if code == "RestoreAlreadyInProgress":
            return CloudError(f"{about}a restore is already in progress")
        return CloudError(f"{about}{code}: {message}")
    if isinstance(exc, OSError):
        return CloudError(f"{about}{exc.strerror or exc}")
    return CloudError(f"{about}{exc}")


def head(s3: Any, bucket: str, key: str) -> dict:
    try:
        return s3.head_object(Bucket=bucket, Key=key)
    except Exception as exc:  # noqa: BLE001 - translated to one line
        raise explain(exc, s3_url(bucket, key)) from None


def restore_state(head_response: dict) -> str:
    """'standard' (no restore needed), 'archived', 'restoring' or 'restored'."""
    storage_class = head_response.get("StorageClass") or "STANDARD"
    if storage_class not in ARCHIVE_CLASSES:
        return "standard"
    restore = head_response.get("Restore") or ""
    if 'ongoing-request="true"' in restore:
        return "restoring"
    if 'ongoing-request="false"' in restore:
        return "restored"
    return "archived"


def presign_get(s3: Any, bucket: str, key: str, expires: int) -> str:
    return s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                     ExpiresIn=int(min(expires, MAX_PRESIGN_SECONDS)))


def presign_put(s3: Any, bucket: str, key: str, expires: int) -> str:
    return s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key},
                                     ExpiresIn=int(min(expires, MAX_PRESIGN_SECONDS)))
