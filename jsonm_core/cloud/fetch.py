"""Read a job through its manifest with plain HTTP: what `jsonm scan MANIFEST_URL` consumes.

Standard library only (urllib), no credentials: exactly what the browser has.  Each part is
fetched whole (a part is at most one chunk), its sha256 verified against the manifest *before*
any byte is handed on, gunzipped when stored with gzip, and yielded with its part record.
S3's XML errors become one-line `FetchError`s (expired URL -> "run jsonm manifest refresh").
"""

from __future__ import annotations

import gzip
import io
import hashlib
import json
import re
import urllib.error
import urllib.request
import zlib
from datetime import datetime, timezone
from typing import Iterator

from jsonm_core.cost import CostMeter
from jsonm_core.manifest import Manifest, ManifestError, Part, check_url, loads, parse_time

TIMEOUT = 60


class FetchError(Exception):
    """A part or manifest could not be fetched or failed verification; str() is one line."""


def _s3_error(body: bytes) -> tuple[str, str]:
    text = body[:4096].decode("utf-8", "replace")
    code = re.search(r"<Code>([^<]*)</Code>", text)
    msg = re.search(r"<Message>([^<]*)</Message>", text)
    return (code.group(1) if code else ""), (msg.group(1) if msg else "")


def _explain_http(exc: urllib.error.HTTPError, what: str) -> FetchError:
    try:
        body = exc.read()
    except OSError:
        body = b""
    code, message = _s3_error(body)
    if exc.code == 403 and ("expired" in message.lower() or code == "ExpiredToken"):
        return FetchError(f"{what}: the presigned URL has expired; run `jsonm manifest refresh` "
                          "for new URLs (same job)")
    if exc.code == 403:
        return FetchError(f"{what}: access denied ({message or code or 'HTTP 403'}); the URL "
                          "may have been altered or its signing key revoked")
    if code == "InvalidObjectState":
        return FetchError(f"{what}: object is archived; run `jsonm restore` first")
    if exc.code == 404:
        return FetchError(f"{what}: not found (HTTP 404{', ' + code if code else ''}); "
                          "was the job cleaned up?")
    return FetchError(f"{what}: HTTP {exc.code} {code or exc.reason}".rstrip())


def http_get(url: str, what: str, *, headers: dict | None = None, timeout: float = TIMEOUT) -> bytes:
    """GET a URL, S3 errors explained in one line."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.read()
    except urllib.error.HTTPError as exc:
        raise _explain_http(exc, what) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"{what}: cannot fetch ({reason})") from None


def fetch_manifest(url: str, *, timeout: float = TIMEOUT) -> Manifest:
    """Fetch and validate a manifest from its (presigned) URL."""
    try:
        check_url(url, "manifest")
    except ManifestError as exc:
        raise FetchError(str(exc)) from None
    data = http_get(url, "manifest", timeout=timeout)
    try:
        return loads(data)
    except ManifestError as exc:
        raise FetchError(f"manifest: {exc}") from None


def decode_part(part: Part, body: bytes) -> bytes:
    """Gunzip if needed and check the sha256 of the original bytes; FetchError otherwise."""
    if part.encoding == "gzip":
        try:
            data = gzip.decompress(body)
        except (OSError, EOFError, zlib.error):
            raise FetchError(f"part {part.index}: stored bytes are not valid gzip") from None
    else:
        data = body
    if len(data) != part.size:
        raise FetchError(f"part {part.index}: got {len(data)} bytes, the manifest says "
                         f"{part.size} (bytes [{part.start}, {part.end}))")
    digest = hashlib.sha256(data).hexdigest()
    if digest != part.sha256:
        raise FetchError(f"part {part.index}: sha256 mismatch (expected {part.sha256[:16]}…, got "
                         f"{digest[:16]}…): the chunk was altered or corrupted")
    return data


def fetch_part(part: Part, *, check_expiry: bool = True, timeout: float = TIMEOUT,
               meter: CostMeter | None = None, now: datetime | None = None) -> bytes:
    """One part's verified, decoded bytes (Range header for --no-copy parts)."""
    what = f"part {part.index}"
    if check_expiry and parse_time(part.expires_at) <= (now or datetime.now(timezone.utc)):
        raise FetchError(f"{what}: the presigned URL expired at {part.expires_at}; run "
                         "`jsonm manifest refresh` for new URLs (same job)")
    headers = {"Range": part.range} if part.range else {}
    body = http_get(part.url, what, headers=headers, timeout=timeout)
    if meter is not None:
        meter.get(len(body))
    return decode_part(part, body)


def iter_parts(source: str | Manifest, *, check_expiry: bool = True, timeout: float = TIMEOUT,
               meter: CostMeter | None = None) -> Iterator[tuple[Part, bytes]]:
    """(part, verified decoded bytes) for each part in order; `source` is a URL or a Manifest.

    Raises FetchError if the manifest is not complete (staging still running).
    """
    m = fetch_manifest(source, timeout=timeout) if isinstance(source, str) else source
    if not m.complete:
        raise FetchError(f"manifest: staging is not finished ({len(m.parts)} parts, "
                         f"{m.covered_bytes} of {m.source['size']} bytes so far)")
    for part in m.parts:
        yield part, fetch_part(part, check_expiry=check_expiry, timeout=timeout, meter=meter)


def url_is_manifest(url: str, *, timeout: float = TIMEOUT) -> Manifest | None:
    """The manifest if the URL serves one (used to route `jsonm scan URL`), else None."""
    data = http_get(url, "url", timeout=timeout)
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not (isinstance(obj, dict) and obj.get("schema") == "jsonm.manifest"):
        return None
    try:
        return loads(data)
    except ManifestError as exc:
        raise FetchError(f"manifest: {exc}") from None


def iter_manifest_bytes(source: str | Manifest, **kwargs) -> Iterator[bytes]:
    """Just the verified, decoded bytes of each part, in order (the whole original object)."""
    for _, data in iter_parts(source, **kwargs):
        yield data


class ManifestReader(io.RawIOBase):
    """A read-only binary file over a manifest's parts (verified part by part, in order).

    For code that wants a file object (`jsonm scan` reads paths, stdin and URLs as files);
    memory is one part at a time.
    """

    def __init__(self, source: str | Manifest, **kwargs) -> None:
        self.manifest = fetch_manifest(source) if isinstance(source, str) else source
        self._parts = iter_parts(self.manifest, **kwargs)
        self._buf = memoryview(b"")
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        while not len(self._buf):
            try:
                self._buf = memoryview(next(self._parts)[1])
            except StopIteration:
                return 0
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        self._pos += n
        return n

    def tell(self) -> int:
        return self._pos
