"""Checkpoint blobs: versioned JSON state, gzip-compressed, sha256 integrity, source identity.

Layout (bytes): ``b"JSONMCK1"`` + gzip(JSON envelope).  The envelope is
``{"schema": "jsonm.checkpoint", "version": 1, "sha256": hex, "source": {...}|null, "state": {...}}``
where ``sha256`` is over the canonical JSON of ``{"source", "state"}``.  Plain data, no pickle:
a checkpoint written in CPython resumes in Pyodide and vice versa.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib

MAGIC = b"JSONMCK1"
SCHEMA = "jsonm.checkpoint"
VERSION = 1
IDENTITY_KEYS = ("bucket", "key", "version_id", "etag", "size", "url", "path")


class CheckpointError(ValueError):
    """A corrupt, truncated or foreign checkpoint: never silently used."""


def _canon(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def source_identity(source: dict | None) -> dict | None:
    """The fields of a source that identify its bytes (others, e.g. presigned URLs, may change)."""
    if source is None:
        return None
    ident = {k: source[k] for k in IDENTITY_KEYS if k in source and source[k] is not None}
    if isinstance(ident.get("url"), str):
        ident["url"] = ident["url"].split("?", 1)[0]      # presigned query strings rotate
    return ident or None


def pack_checkpoint(state: dict, source: dict | None) -> bytes:
    body = {"source": source_identity(source), "state": state}
    env = {"schema": SCHEMA, "version": VERSION, "sha256": hashlib.sha256(_canon(body)).hexdigest(), **body}
    return MAGIC + gzip.compress(_canon(env), compresslevel=6, mtime=0)


def unpack_checkpoint(blob: bytes, source: dict | None = None) -> dict:
    """The state of a checkpoint; raise CheckpointError naming what is wrong."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise CheckpointError("checkpoint must be bytes")
    blob = bytes(blob)
    if not blob.startswith(MAGIC):
        raise CheckpointError("not a jsonm checkpoint (bad magic header)")
    try:
        raw = gzip.decompress(blob[len(MAGIC):])
    except (OSError, EOFError, zlib.error) as exc:
        raise CheckpointError(f"checkpoint is truncated or corrupt (gzip: {exc})") from None
    try:
        env = json.loads(raw)
    except ValueError as exc:
        raise CheckpointError(f"checkpoint is corrupt (JSON: {exc})") from None
    if not isinstance(env, dict) or env.get("schema") != SCHEMA:
        raise CheckpointError("not a jsonm checkpoint (schema mismatch)")
    if env.get("version") != VERSION:
        raise CheckpointError(f"unsupported checkpoint version {env.get('version')!r} (this engine reads {VERSION})")
    body = {"source": env.get("source"), "state": env.get("state")}
    if hashlib.sha256(_canon(body)).hexdigest() != env.get("sha256"):
        raise CheckpointError("checkpoint integrity check failed (sha256 mismatch): it was modified or corrupted")
    want = source_identity(source)
    have = env.get("source")
    if want is not None and have is not None and want != have:
        diff = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
        raise CheckpointError(f"checkpoint belongs to another source (differs in: {', '.join(diff)})")
    if want is not None and have is None:
        raise CheckpointError("checkpoint has no source identity but a source was given")
    if not isinstance(env["state"], dict):
        raise CheckpointError("checkpoint state is malformed")
    return env["state"]
