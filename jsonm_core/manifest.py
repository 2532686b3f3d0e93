"""The job manifest: what a browser (or `jsonm scan`) needs to process a staged object.

Pure Python, standard library only: it runs in CPython and in Pyodide, where the page calls
`validate` on the fetched manifest before it fetches a single part.  A manifest never holds
credentials, only presigned URLs with their expiry.

Shape (version 1)::

    {"schema": "jsonm.manifest", "version": 1,
     "job_id": "<hex of the source identity>",
     "source": {"bucket", "key", "version_id": str|null, "etag": str|null, "size"},
     "format": "auto|json|ndjson|seq",
     "complete": true,                       # false while staging still adds parts (live manifest)
     "parts": [{"index", "start", "end",     # byte range of the ORIGINAL object, end exclusive
                "url", "expires_at",         # presigned GET, ISO 8601 UTC "...Z"
                "range": null | "bytes=a-b", # --no-copy: the URL is the original object
                "sha256",                    # of the original (decoded) bytes of the range
                "encoding": "identity|gzip",
                "context": {...} | null,     # record-boundary context from the scanner
                "key": "warm/object/key"}],  # optional, lets `manifest refresh` re-presign
     "results": {"report": {"url", "expires_at", "method"}, ...},
     "warm": {"bucket", "prefix"},           # optional: where the job's objects live
     "prices": {...}, "created_at": "...Z"}

The job identity is derived from the source identity only, never from URLs, so a refreshed
manifest (new URLs) continues the same job and its checkpoints.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence
from urllib.parse import urlsplit

SCHEMA = "jsonm.manifest"
MANIFEST_VERSION = 1
SUPPORTED_VERSIONS = (1,)
FORMATS = ("auto", "json", "ndjson", "seq")
ENCODINGS = ("identity", "gzip")
# 1 TB in 10 MB chunks is 100k parts; a manifest is fetched and parsed whole by the page,
# so cap it well above any sane plan but below what would exhaust a tab's memory.
MAX_PARTS = 250_000

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_RANGE = re.compile(r"^bytes=(\d+)-(\d+)$")
_ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


class ManifestError(ValueError):
    """The manifest is unusable; the message names the first thing that is wrong."""


@dataclass(frozen=True)
class Part:
    index: int
    start: int
    end: int
    url: str
    expires_at: str
    sha256: str
    encoding: str = "identity"
    range: str | None = None
    context: dict | None = None
    key: str | None = None

    @property
    def size(self) -> int:
        return self.end - self.start

    def as_dict(self) -> dict:
        return part_dict(self.index, self.start, self.end, url=self.url,
                         expires_at=self.expires_at, sha256=self.sha256,
                         encoding=self.encoding, range=self.range,
                         context=self.context, key=self.key)


@dataclass(frozen=True)
class Manifest:
    job_id: str
    source: dict
    format: str
    complete: bool
    parts: tuple[Part, ...]
    results: dict = field(default_factory=dict)
    prices: dict | None = None
    created_at: str | None = None
    warm: dict | None = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def covered_bytes(self) -> int:
        """Bytes of the source the listed parts cover (== source size once complete)."""
        return self.parts[-1].end if self.parts else 0

    def expired_parts(self, now: datetime | None = None) -> list[Part]:
        """Parts whose presigned URL has expired at `now` (default: the current UTC time)."""
        now = now or datetime.now(timezone.utc)
        return [p for p in self.parts if parse_time(p.expires_at) <= now]


# ---------------------------------------------------------------------------- identity / time

def source_identity(bucket: str, key: str, *, size: int, etag: str | None = None,
                    version_id: str | None = None) -> dict:
    """The source dict in its canonical form (ETag without quotes)."""
    return {"bucket": bucket, "key": key, "version_id": version_id,
            "etag": etag.strip('"') if etag else None, "size": int(size)}


def job_id(source: Mapping[str, Any]) -> str:
    """Hex id derived only from the source identity (bucket, key, version, ETag, size)."""
    ident = {k: source.get(k) for k in ("bucket", "key", "version_id", "etag", "size")}
    if isinstance(ident["etag"], str):
        ident["etag"] = ident["etag"].strip('"')
    canon = json.dumps(ident, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canon.encode("ascii")).hexdigest()[:32]


def iso_utc(when: datetime | float | int) -> str:
    """ISO 8601 UTC with a trailing Z, second precision (what manifests store)."""
    if not isinstance(when, datetime):
        when = datetime.fromtimestamp(when, timezone.utc)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Parse a manifest timestamp ("...Z") into an aware UTC datetime."""
    if not isinstance(text, str) or not _ISO_Z.match(text):
        raise ManifestError(f"timestamp {text!r} is not ISO 8601 UTC ending in Z")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=timezone.utc)


# ---------------------------------------------------------------------------- builders

def part_dict(index: int, start: int, end: int, *, url: str, expires_at: str, sha256: str,
              encoding: str = "identity", range: str | None = None,
              context: dict | None = None, key: str | None = None) -> dict:
    """One manifest part as plain JSON data."""
    part = {"index": index, "start": start, "end": end, "url": url, "expires_at": expires_at,
            "range": range, "sha256": sha256, "encoding": encoding, "context": context}
    if key is not None:
        part["key"] = key
    return part


def byte_range(start: int, end: int) -> str:
    """HTTP Range header value for the half-open range [start, end)."""
    return f"bytes={start}-{end - 1}"


def build(source: Mapping[str, Any], parts: Sequence[Mapping[str, Any]], *,
          format: str = "auto", complete: bool = True, results: Mapping[str, Any] | None = None,
          prices: Mapping[str, Any] | None = None, warm: Mapping[str, Any] | None = None,
          created_at: str | None = None) -> dict:
    """A manifest dict (not yet validated: call `validate` on it, staging does)."""
    src = {k: source.get(k) for k in ("bucket", "key", "version_id", "etag", "size")}
    obj = {"schema": SCHEMA, "version": MANIFEST_VERSION, "job_id": job_id(src),
           "source": src, "format": format, "complete": complete,
           "parts": [dict(p) for p in parts], "results": dict(results or {}),
           "prices": dict(prices) if prices is not None else None,
           "created_at": created_at or iso_utc(datetime.now(timezone.utc))}
    if warm is not None:
        obj["warm"] = dict(warm)
    return obj


def dumps(manifest: Mapping[str, Any]) -> bytes:
    """Serialise a manifest dict as compact UTF-8 JSON (what is stored and served)."""
    return json.dumps(manifest, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def loads(data: bytes | str, *, max_parts: int = MAX_PARTS) -> Manifest:
    """Parse and validate manifest JSON text."""
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ManifestError(f"manifest is not valid JSON: {exc}") from None
    return validate(obj, max_parts=max_parts)


def looks_like_manifest(obj: Any) -> bool:
    """Cheap check used to route a URL's JSON to manifest processing."""
    return isinstance(obj, dict) and obj.get("schema") == SCHEMA


# ---------------------------------------------------------------------------- validation

def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: Any, what: str) -> str:
    """An https URL, or http to a loopback host (the local endpoint); else ManifestError."""
    if not isinstance(url, str) or not url:
        raise ManifestError(f"{what} has no url")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise ManifestError(f"{what} url is malformed: {url[:80]!r}") from None
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and is_loopback_host(host):
        return url
    raise ManifestError(f"{what} url must be https (plain http only to loopback): {url[:80]!r}")


def _req(obj: Mapping, key: str, types: type | tuple, what: str) -> Any:
    if key not in obj:
        raise ManifestError(f"{what} is missing {key!r}")
    value = obj[key]
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise ManifestError(f"{what} {key!r} has the wrong type (bool)")
    if not isinstance(value, types):
        raise ManifestError(f"{what} {key!r} has the wrong type ({type(value).__name__})")
    return value


def _validate_source(src: Any) -> dict:
    if not isinstance(src, dict):
        raise ManifestError("manifest 'source' must be an object")
    _req(src, "bucket", str, "source")
    _req(src, "key", str, "source")
    size = _req(src, "size", int, "source")
    if size < 0:
        raise ManifestError(f"source size {size} is negative")
    for k in ("version_id", "etag"):
        if src.get(k) is not None and not isinstance(src[k], str):
            raise ManifestError(f"source {k!r} must be a string or null")
    if not src.get("version_id") and not src.get("etag"):
        raise ManifestError("source identity needs a version_id or an etag")
    return src


def _validate_part(i: int, p: Any) -> Part:
    what = f"part {i}"
    if not isinstance(p, dict):
        raise ManifestError(f"{what} must be an object")
    index = _req(p, "index", int, what)
    if index != i:
        raise ManifestError(f"{what} has index {index}; parts must be listed in order 0..n-1")
    start = _req(p, "start", int, what)
    end = _req(p, "end", int, what)
    if start < 0 or end <= start:
        raise ManifestError(f"{what} has an empty or inverted range [{start}, {end})")
    url = check_url(p.get("url"), what)
    expires_at = p.get("expires_at")
    if not isinstance(expires_at, str):
        raise ManifestError(f"{what} has no expires_at")
    parse_time(expires_at)
    sha = p.get("sha256")
    if not sha:
        raise ManifestError(f"{what} has no sha256 checksum")
    if not isinstance(sha, str) or not _HEX64.match(sha):
        raise ManifestError(f"{what} sha256 is not 64 lowercase hex digits")
    encoding = p.get("encoding", "identity")
    if encoding not in ENCODINGS:
        raise ManifestError(f"{what} has unknown encoding {encoding!r} (identity or gzip)")
    rng = p.get("range")
    if rng is not None:
        m = _RANGE.match(rng) if isinstance(rng, str) else None
        if not m:
            raise ManifestError(f"{what} range {rng!r} is not 'bytes=a-b'")
        a, b = int(m.group(1)), int(m.group(2))
        if a != start or b + 1 != end:
            raise ManifestError(f"{what} range {rng} does not match its bytes [{start}, {end})")
        if encoding != "identity":
            raise ManifestError(f"{what} is a range of the original object, so it cannot be gzip")
    context = p.get("context")
    if context is not None and not isinstance(context, dict):
        raise ManifestError(f"{what} context must be an object or null")
    key = p.get("key")
    if key is not None and not isinstance(key, str):
        raise ManifestError(f"{what} key must be a string")
    return Part(index, start, end, url, expires_at, sha, encoding, rng, context, key)


def validate(obj: Any, *, max_parts: int = MAX_PARTS) -> Manifest:
    """Check a parsed manifest and return it typed; `ManifestError` names the first problem."""
    if not isinstance(obj, dict):
        raise ManifestError("manifest must be a JSON object")
    if obj.get("schema") != SCHEMA:
        raise ManifestError(f"not a jsonm manifest (schema is {obj.get('schema')!r})")
    version = obj.get("version")
    if isinstance(version, bool) or version not in SUPPORTED_VERSIONS:
        raise ManifestError(f"unknown manifest version {version!r} "
                            f"(this jsonm reads version {MANIFEST_VERSION})")
    src = _validate_source(obj.get("source"))
    jid = obj.get("job_id")
    if jid != job_id(src):
        raise ManifestError("job_id does not match the source identity")
    fmt = obj.get("format", "auto")
    if fmt not in FORMATS:
        raise ManifestError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    complete = obj.get("complete", True)
    if not isinstance(complete, bool):
        raise ManifestError("manifest 'complete' must be true or false")
    raw_parts = obj.get("parts")
    if not isinstance(raw_parts, list):
        raise ManifestError("manifest 'parts' must be a list")
    if len(raw_parts) > max_parts:
        raise ManifestError(f"manifest has {len(raw_parts)} parts, more than the cap of {max_parts}")
    parts: list[Part] = []
    for i, raw in enumerate(raw_parts):
        part = _validate_part(i, raw)
        if not parts and part.start != 0:
            raise ManifestError(f"gap: part 0 starts at byte {part.start}, not 0")
        if parts:
            prev = parts[-1]
            if part.start < prev.end:
                raise ManifestError(f"part {i} [{part.start}, {part.end}) overlaps part {i - 1} "
                                    f"[{prev.start}, {prev.end})")
            if part.start > prev.end:
                raise ManifestError(f"gap: bytes [{prev.end}, {part.start}) between part {i - 1} "
                                    f"and part {i} are in no part")
        parts.append(part)
    covered = parts[-1].end if parts else 0
    if covered > src["size"]:
        raise ManifestError(f"sizes do not add up: parts cover {covered} bytes but the source "
                            f"is {src['size']} bytes")
    if complete and covered != src["size"]:
        raise ManifestError(f"sizes do not add up: parts cover {covered} bytes but the source "
                            f"is {src['size']} bytes")
    results = obj.get("results") or {}
    if not isinstance(results, dict):
        raise ManifestError("manifest 'results' must be an object")
    for name, res in results.items():
        if not isinstance(res, dict):
            raise ManifestError(f"result {name!r} must be an object")
        check_url(res.get("url"), f"result {name!r}")
        if "expires_at" in res:
            parse_time(res["expires_at"])
    prices = obj.get("prices")
    if prices is not None and not isinstance(prices, dict):
        raise ManifestError("manifest 'prices' must be an object or null")
    created_at = obj.get("created_at")
    if created_at is not None:
        parse_time(created_at)
    warm = obj.get("warm")
    if warm is not None and not (isinstance(warm, dict) and isinstance(warm.get("bucket"), str)):
        raise ManifestError("manifest 'warm' must be an object with a bucket")
    return Manifest(jid, src, fmt, complete, tuple(parts), results, prices, created_at, warm, obj)
