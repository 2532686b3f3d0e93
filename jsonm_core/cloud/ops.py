"""Phase 1 and housekeeping: upload to the cold tier, restore, refresh URLs, clean up a job."""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from jsonm_core import cost, manifest
from jsonm_core.cloud.s3 import (ARCHIVE_CLASSES, MAX_PRESIGN_SECONDS, CloudError, explain,
                                 head, parse_s3_url, presign_get, presign_put, restore_state,
                                 s3_url)
from jsonm_core.cloud.staging import CHUNKS_DIR, DEFAULT_CHUNK, MANIFEST_NAME, write_manifest

STORAGE_CLASSES = ("DEEP_ARCHIVE", "GLACIER", "STANDARD")
TIERS = ("Bulk", "Standard", "Expedited")


@dataclass
class UploadResult:
    url: str
    size: int
    etag: str
    storage_class: str
    estimated_chunks: int


def upload(s3: Any, path: str | os.PathLike, dest: str, *, storage_class: str = "DEEP_ARCHIVE",
           chunk_size: int = DEFAULT_CHUNK, part_size: int = 64 << 20,
           progress: Callable[[int], None] | None = None) -> UploadResult:
    """Upload a local file (multipart above part_size, parts grown to stay within S3's
    10,000-part cap) into the given storage class."""
    from boto3.s3.transfer import TransferConfig

    if storage_class not in STORAGE_CLASSES:
        raise ValueError(f"unknown storage class {storage_class!r} ({', '.join(STORAGE_CLASSES)})")
    bucket, key = parse_s3_url(dest)
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise CloudError(f"{path}: {exc.strerror}") from None
    part = cost.multipart_part_size(size, part_size)
    config = TransferConfig(multipart_threshold=part, multipart_chunksize=part,
                            max_concurrency=4)
    try:
        s3.upload_file(str(path), bucket, key, ExtraArgs={"StorageClass": storage_class},
                       Config=config, Callback=progress)
    except Exception as exc:  # noqa: BLE001
        raise explain(exc, dest) from None
    h = head(s3, bucket, key)
    return UploadResult(dest, size, (h.get("ETag") or "").strip('"'), storage_class,
                        max(1, math.ceil(size / chunk_size)) if size else 0)


@dataclass
class RestoreStatus:
    state: str                 # standard | archived | restoring | restored
    storage_class: str
    expected_hours: float | None
    retrieval_usd: float | None
    expiry: str | None = None


def restore(s3: Any, src: str, *, tier: str = "Bulk", days: int = 7,
            prices: dict | None = None) -> RestoreStatus:
    """RestoreObject (idempotent: an object already restoring/restored is left alone)."""
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r} ({', '.join(TIERS)})")
    bucket, key = parse_s3_url(src)
    h = head(s3, bucket, key)
    state = restore_state(h)
    storage_class = h.get("StorageClass") or "STANDARD"
    if state == "standard":
        return RestoreStatus(state, storage_class, None, None)
    p = prices or cost.PRICES
    try:
        terms = cost.restore_terms(p, storage_class, tier)
    except cost.PriceError as exc:
        raise CloudError(f"{src}: {exc}") from None
    usd = h["ContentLength"] / cost.GB * terms["per_gb"] + terms["per_1000"] / 1000
    if state == "archived":
        try:
            s3.restore_object(Bucket=bucket, Key=key, RestoreRequest={
                "Days": int(days), "GlacierJobParameters": {"Tier": tier}})
        except Exception as exc:  # noqa: BLE001
            err = explain(exc, src)
            if "already in progress" not in str(err):
                raise err from None
        state = restore_state(head(s3, bucket, key))
    return RestoreStatus(state, storage_class, terms["hours"], usd)


def wait_restored(s3: Any, src: str, *, poll: float = 30.0, timeout: float | None = None,
                  on_poll: Callable[[str], None] | None = None) -> str:
    """Poll `x-amz-restore` until the restore is done; returns the final state."""
    bucket, key = parse_s3_url(src)
    start = time.monotonic()
    while True:
        state = restore_state(head(s3, bucket, key))
        if on_poll:
            on_poll(state)
        if state in ("restored", "standard"):
            return state
        if state == "archived":
            raise CloudError(f"{src}: no restore was requested; run `jsonm restore {src}`")
        if timeout is not None and time.monotonic() - start > timeout:
            raise CloudError(f"{src}: restore still in progress after {timeout:.0f}s")
        time.sleep(poll)


# ---------------------------------------------------------------------------- job lookup

def locate_job(ref: str, *, warm: str | None = None) -> tuple[str, str]:
    """(warm bucket, job prefix) from s3://B/PREFIX/JOB[/manifest.json] or JOB + --warm."""
    if ref.startswith("s3://"):
        bucket, key = parse_s3_url(ref, need_key=False)
        if key.endswith(MANIFEST_NAME):
            key = key[: -len(MANIFEST_NAME)]
        prefix = key.strip("/") + "/" if key.strip("/") else ""
        return bucket, prefix
    if ref.startswith(("http://", "https://")):
        from jsonm_core.cloud.fetch import fetch_manifest
        m = fetch_manifest(ref)
        if not m.warm:
            raise CloudError("the manifest does not say where its job lives (no 'warm')")
        return m.warm["bucket"], m.warm.get("prefix") or ""
    if warm is None:
        raise ValueError("give the job as s3://WARM/PREFIX/JOB_ID, or JOB_ID with --warm s3://WARM/PREFIX")
    bucket, base = parse_s3_url(warm, need_key=False)
    base = base.strip("/")
    return bucket, f"{base}/{ref}/" if base else f"{ref}/"


def read_manifest(s3: Any, bucket: str, key: str) -> dict:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as exc:  # noqa: BLE001
        raise explain(exc, s3_url(bucket, key)) from None
    try:
        return manifest.loads(body).raw
    except manifest.ManifestError as exc:
        raise CloudError(f"{s3_url(bucket, key)}: {exc}") from None


def refresh(s3: Any, ref: str, *, expires: int, warm: str | None = None) -> tuple[str, dict]:
    """New presigned URLs for every part and result of a job; same job_id. Returns (URL, obj)."""
    if not 0 < expires <= MAX_PRESIGN_SECONDS:
        raise ValueError("presigned URLs can live at most 7 days (SigV4); use --expires 7d or less")
    bucket, prefix = locate_job(ref, warm=warm)
    mkey = prefix + MANIFEST_NAME
    obj = read_manifest(s3, bucket, mkey)
    expires_at = manifest.iso_utc(datetime.now(timezone.utc) + timedelta(seconds=expires))
    src = obj["source"]
    for part in obj["parts"]:
        if part.get("range"):
            part["url"] = presign_get(s3, src["bucket"], src["key"], expires)
        elif part.get("key"):
            part["url"] = presign_get(s3, bucket, part["key"], expires)
        else:
            raise CloudError(f"part {part['index']} has no key to re-sign")
        part["expires_at"] = expires_at
    for res in (obj.get("results") or {}).values():
        if res.get("bucket") and res.get("key"):
            res["url"] = presign_put(s3, res["bucket"], res["key"], expires)
            res["get_url"] = presign_get(s3, res["bucket"], res["key"], expires)
            res["expires_at"] = expires_at
    write_manifest(s3, bucket, mkey, obj)
    return presign_get(s3, bucket, mkey, expires), obj


def cleanup(s3: Any, ref: str, *, warm: str | None = None) -> int:
    """Delete a job's warm chunks and its manifest; returns how many objects went."""
    bucket, prefix = locate_job(ref, warm=warm)
    keys: list[str] = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                   Prefix=prefix + CHUNKS_DIR):
            keys.extend(o["Key"] for o in page.get("Contents", []))
        if keys or _exists(s3, bucket, prefix + MANIFEST_NAME):
            keys.append(prefix + MANIFEST_NAME)
        for i in range(0, len(keys), 1000):
            s3.delete_objects(Bucket=bucket, Delete={
                "Objects": [{"Key": k} for k in keys[i:i + 1000]], "Quiet": True})
    except Exception as exc:  # noqa: BLE001
        raise explain(exc, s3_url(bucket, prefix)) from None
    return len(keys)


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except Exception:  # noqa: BLE001
        return False


def is_archived_class(storage_class: str | None) -> bool:
    return (storage_class or "STANDARD") in ARCHIVE_CLASSES
