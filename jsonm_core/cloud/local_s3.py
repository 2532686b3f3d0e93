"""An embedded S3-compatible endpoint on loopback (moto's server mode) for the demo and tests.

What it honours (checked): storage classes (a DEEP_ARCHIVE GET is refused with
InvalidObjectState until RestoreObject), `x-amz-restore` on HEAD, Range GETs, SigV4 presigned
URLs, bucket CORS.  What it does not: it never verifies presigned signatures or expiry, so an
expired or tampered URL is still served (tests inject S3's error responses through a proxy).
Its state is in memory; with `state_dir` it is saved there on `stop()` and loaded on start
(objects, storage class, restore state, ETag, metadata, bucket CORS and lifecycle).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

# moto needs some credentials and a region even though it checks nothing.
_FAKE_ENV = {"AWS_ACCESS_KEY_ID": "jsonm-local", "AWS_SECRET_ACCESS_KEY": "jsonm-local",
             "AWS_DEFAULT_REGION": "us-east-1"}
LOCAL_CREDENTIALS = {"aws_access_key_id": "jsonm-local", "aws_secret_access_key": "jsonm-local",
                     "region_name": "us-east-1"}
STATE_FILE = "jsonm-local-s3.json"


@dataclass
class LocalS3:
    """A running local endpoint: use `.endpoint_url`, call `.stop()` (or use as a context manager)."""

    host: str
    port: int
    state_dir: Path | None
    _server: Any = field(repr=False)
    _stopped: bool = field(default=False, repr=False)

    @property
    def endpoint_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def client(self):
        """A boto3 S3 client for this endpoint (path-style, local credentials)."""
        from jsonm_core.cloud.s3 import make_client
        return make_client(self.endpoint_url)

    def stop(self) -> None:
        if self._stopped:
            return
        if self.state_dir is not None:
            save_state(self.state_dir, self.endpoint_url)
        self._server.stop()
        self._stopped = True

    def __enter__(self) -> "LocalS3":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_local_s3(host: str = "127.0.0.1", port: int = 0,
                   state_dir: str | os.PathLike | None = None, *, verbose: bool = False) -> LocalS3:
    """Start the endpoint in a background thread (port 0: a free port) and return its handle."""
    import logging

    from moto.server import ThreadedMotoServer

    if not verbose:  # werkzeug logs every request to stderr otherwise
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    for k, v in _FAKE_ENV.items():
        os.environ.setdefault(k, v)
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    handle = LocalS3(host, int(bound_port), Path(state_dir) if state_dir else None, server)
    if handle.state_dir is not None:
        handle.state_dir.mkdir(parents=True, exist_ok=True)
        load_state(handle.state_dir, handle.endpoint_url)
    return handle


# ---------------------------------------------------------------------------- persistence

def _backends():
    """Every moto S3 backend holding buckets (account x partition)."""
    from moto.s3.models import s3_backends
    for account in list(s3_backends.keys()):
        for region in list(s3_backends[account].keys()):
            yield s3_backends[account][region]


def save_state(state_dir: str | os.PathLike, endpoint_url: str) -> Path:
    """Write every bucket and object (latest versions) to state_dir; returns the index file."""
    from jsonm_core.cloud.s3 import make_client

    s3 = make_client(endpoint_url)
    state_dir = Path(state_dir)
    blobs = state_dir / "objects"
    blobs.mkdir(parents=True, exist_ok=True)
    buckets: list[dict] = []
    seen: set[str] = set()
    for backend in _backends():
        for name, bucket in list(backend.buckets.items()):
            if name in seen:
                continue
            seen.add(name)
            objects = []
            for key_name in list(bucket.keys.keys()):
                key = bucket.keys.get(key_name)
                if key is None:
                    continue
                blob = f"{len(buckets)}-{len(objects)}"
                (blobs / blob).write_bytes(key.value)
                objects.append({"key": key_name, "blob": blob, "etag": key.etag.strip('"'),
                                "storage_class": key.storage_class,
                                "metadata": dict(key.metadata),  # incl. Content-Type
                                "restore_expiry": key._expiry.isoformat() if key._expiry else None})
            buckets.append({"name": name, "cors": _get_config(s3, "get_bucket_cors", name, "CORSRules"),
                            "lifecycle": _get_config(s3, "get_bucket_lifecycle_configuration",
                                                     name, "Rules"),
                            "objects": objects})
    index = state_dir / STATE_FILE
    tmp = index.with_suffix(".tmp")
    tmp.write_text(json.dumps({"version": 1, "buckets": buckets}, indent=1))
    tmp.replace(index)
    return index


def _get_config(s3: Any, method: str, bucket: str, field_name: str) -> list:
    from botocore.exceptions import ClientError
    try:
        return getattr(s3, method)(Bucket=bucket).get(field_name, [])
    except ClientError:
        return []


def load_state(state_dir: str | os.PathLike, endpoint_url: str) -> int:
    """Recreate what `save_state` wrote through the running endpoint; returns objects loaded."""
    from jsonm_core.cloud.s3 import make_client

    index = Path(state_dir) / STATE_FILE
    if not index.exists():
        return 0
    state = json.loads(index.read_text())
    s3 = make_client(endpoint_url)
    count = 0
    for b in state.get("buckets", []):
        try:
            s3.create_bucket(Bucket=b["name"])
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
        if b.get("cors"):
            s3.put_bucket_cors(Bucket=b["name"], CORSConfiguration={"CORSRules": b["cors"]})
        if b.get("lifecycle"):
            s3.put_bucket_lifecycle_configuration(
                Bucket=b["name"], LifecycleConfiguration={"Rules": b["lifecycle"]})
        for o in b.get("objects", []):
            body = (Path(state_dir) / "objects" / o["blob"]).read_bytes()
            s3.put_object(Bucket=b["name"], Key=o["key"], Body=body,
                          StorageClass=o.get("storage_class") or "STANDARD")
            _fix_key(b["name"], o)
            count += 1
    return count


def _fix_key(bucket_name: str, o: dict) -> None:
    """Restore what the API cannot set: the original (e.g. multipart) ETag, the raw metadata
    and the restore state."""
    for backend in _backends():
        bucket = backend.buckets.get(bucket_name)
        if bucket is None:
            continue
        key = bucket.keys.get(o["key"])
        if key is None:
            continue
        key._etag = o["etag"]
        key.metadata.clear()
        key.set_metadata(dict(o.get("metadata") or {}))
        if o.get("restore_expiry"):
            expiry = datetime.fromisoformat(o["restore_expiry"])
            if expiry.tzinfo is None and expiry.replace(tzinfo=timezone.utc) <= datetime.now(timezone.utc):
                continue
            key._expiry = expiry
        return
