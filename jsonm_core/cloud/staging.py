"""Phase 2 of the seed: copy byte ranges of a restored object into warm chunks + a manifest.

Chunks are `{job}/warm-chunks/{start}-{end}[.gz]` objects whose metadata holds the sha256 of the
original bytes, so a re-run after a crash finds them and stages only what is missing.  The
manifest object is rewritten after every chunk (`complete: false` until the end): a browser can
start on chunk 0 while later chunks are still staging (the seed's notify_chunk_ready).

Record alignment (`align="records"`) cuts at boundaries reported by the engine's sans-IO
`jsonm_core.scanner.BoundaryScanner`; `find_cuts` is the one place that chooses the cut finder.
"""

from __future__ import annotations

import gzip as gzip_module
import hashlib
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator, Protocol

from jsonm_core import cost, manifest
from jsonm_core.cloud.s3 import (MAX_PRESIGN_SECONDS, CloudError, explain, head, parse_s3_url,
                                 presign_get, presign_put, restore_state, s3_url)

CHUNKS_DIR = "warm-chunks/"
MANIFEST_NAME = "manifest.json"
DEFAULT_CHUNK = 64 << 20
DEFAULT_EXPIRES = 24 * 3600
RESULT_FILES = {"report": "report.json", "output": "output.ndjson", "checkpoint": "checkpoint.bin"}

Progress = Callable[[dict], None]


# ---------------------------------------------------------------------------- cut finders

class CutFinder(Protocol):
    def feed(self, data: bytes) -> list[tuple[int, dict | None]]:
        """Absolute offsets (with context) where a part may start, for bytes fed in order."""

    def finish(self) -> list[tuple[int, dict | None]]:
        """Boundaries still held at end of input."""

    def first_context(self) -> dict | None:
        """Context for part 0 when there are several parts, so each reads the same format."""


class NewlineCuts:
    """Fallback for NDJSON / JSON lines: a record starts after every newline."""

    def __init__(self) -> None:
        self.pos = 0

    def feed(self, data: bytes) -> list[tuple[int, dict | None]]:
        out = []
        i = data.find(b"\n")
        while i >= 0:
            out.append((self.pos + i + 1, None))
            i = data.find(b"\n", i + 1)
        self.pos += len(data)
        return out

    def finish(self) -> list[tuple[int, dict | None]]:
        return []

    def first_context(self) -> dict | None:
        return None


class ScannerCuts:
    """Adapter over the engine's BoundaryScanner (`feed(data) -> [Boundary(offset, context)]`):
    boundaries are exactly where an `Engine(part=...)` can start, with the context it needs."""

    def __init__(self, fmt: str, min_gap: int) -> None:
        from jsonm_core.scanner import BoundaryScanner
        self.scanner = BoundaryScanner(format=fmt, min_gap=min_gap)

    SLICE = 64 << 10  # the scanner is markedly faster fed in small slices than in 8 MB blocks

    def feed(self, data: bytes) -> list[tuple[int, dict | None]]:
        view = memoryview(data)
        return [(int(b.offset), b.context) for i in range(0, len(view), self.SLICE)
                for b in self.scanner.feed(bytes(view[i:i + self.SLICE]))]

    def finish(self) -> list[tuple[int, dict | None]]:
        return [(int(b.offset), b.context) for b in self.scanner.finish()]

    def first_context(self) -> dict | None:
        from jsonm_core.scanner import start_context
        return start_context(self.scanner.format)


def find_cuts(fmt: str, chunk_size: int = DEFAULT_CHUNK) -> CutFinder:
    """The engine's scanner (one candidate boundary per 1/16 chunk at most); newline cuts
    (right only for NDJSON) if the engine is not installed."""
    try:
        return ScannerCuts(fmt, min_gap=max(1, min(64 << 10, chunk_size // 16)))
    except ImportError:
        if fmt == "json":
            raise CloudError("record alignment of a JSON document needs jsonm_core.scanner") from None
        return NewlineCuts()


@dataclass(frozen=True)
class Chunk:
    start: int
    end: int
    context: dict | None
    data: bytes | None  # None when not read (fixed-size chunks already staged)


def aligned_chunks(read: Callable[[int, int], bytes], size: int, chunk_size: int,
                   cuts: CutFinder, block: int = 8 << 20) -> Iterator[Chunk]:
    """Read the object in order and cut at the last record start <= chunk_size (or the first
    after, for a record bigger than a chunk).  Memory: about chunk_size + one record + block."""
    pending = bytearray()
    pstart, ctx, pos = 0, None, 0
    bounds: deque[tuple[int, dict | None]] = deque()

    def cut(final: bool) -> Chunk | None:
        nonlocal pending, pstart, ctx
        while bounds and bounds[0][0] <= pstart:
            bounds.popleft()
        avail = pos - pstart
        best = None
        if avail > chunk_size:
            target = pstart + chunk_size
            for off, c in bounds:        # the last start <= target, else the first after it
                if off > target and best is not None:
                    break
                best = (off, c)
                if off > target:
                    break
        if best is None:
            if not final or avail == 0:
                return None
            best = (pos, None)
        off, c = best
        if pstart == 0 and off < size:   # the first of several parts: pin the detected format
            ctx = cuts.first_context()
        chunk = Chunk(pstart, off, ctx, bytes(pending[:off - pstart]))
        del pending[:off - pstart]
        pstart, ctx = off, c
        return chunk

    while pos < size:
        data = read(pos, min(size, pos + block))
        if not data:
            raise CloudError(f"source ended at byte {pos} of {size}")
        pos += len(data)
        pending += data
        bounds.extend((o, c) for o, c in cuts.feed(data) if 0 < o < size)
        while (chunk := cut(False)) is not None:
            yield chunk
    bounds.extend((o, c) for o, c in cuts.finish() if pstart < o < size)
    while (chunk := cut(True)) is not None:
        yield chunk


def fixed_chunks(size: int, chunk_size: int) -> Iterator[Chunk]:
    for start in range(0, size, chunk_size):
        yield Chunk(start, min(size, start + chunk_size), None, None)


# ---------------------------------------------------------------------------- staging

@dataclass
class StageOptions:
    chunk_size: int = DEFAULT_CHUNK
    gzip: bool = False
    align: str | None = None          # None (fixed-size ranges) or "records"
    expires: int = DEFAULT_EXPIRES    # seconds the presigned URLs live
    no_copy: bool = False             # parts are Range GETs of the restored object itself
    format: str = "auto"
    results: str | None = None        # s3://BUCKET/PREFIX for report/output; default: job prefix
    checkpoints: str | None = None    # s3://BUCKET/PREFIX for checkpoints; default: job prefix
    prices: dict | None = None
    read_block: int = 8 << 20


@dataclass
class StageResult:
    job_id: str
    warm_bucket: str
    job_prefix: str
    manifest_key: str
    manifest_url: str
    complete: bool
    parts: int = 0
    staged: int = 0
    skipped: int = 0
    bytes_read: int = 0
    size: int = 0
    part_keys: list[str] = field(default_factory=list)

    @property
    def manifest_s3(self) -> str:
        return s3_url(self.warm_bucket, self.manifest_key)


def job_prefix(warm_prefix: str, jid: str) -> str:
    base = warm_prefix.strip("/")
    return f"{base}/{jid}/" if base else f"{jid}/"


def chunk_key(prefix: str, start: int, end: int, gz: bool) -> str:
    return f"{prefix}{CHUNKS_DIR}{start}-{end}{'.gz' if gz else ''}"


def source_of(s3: Any, bucket: str, key: str) -> tuple[dict, dict]:
    """(source identity, HEAD response) of the object to stage; refuses unrestored archives."""
    h = head(s3, bucket, key)
    state = restore_state(h)
    if state in ("archived", "restoring"):
        verb = "is still being restored" if state == "restoring" else "is archived"
        raise CloudError(f"{s3_url(bucket, key)}: object {verb} ({h.get('StorageClass')}); "
                         f"run `jsonm restore {s3_url(bucket, key)} --wait` first")
    src = manifest.source_identity(bucket, key, size=h["ContentLength"], etag=h.get("ETag"),
                                   version_id=h.get("VersionId"))
    return src, h


def _existing_chunks(s3: Any, bucket: str, prefix: str) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                   Prefix=prefix + CHUNKS_DIR):
            for obj in page.get("Contents", []):
                out[obj["Key"]] = obj["Size"]
    except Exception as exc:  # noqa: BLE001
        raise explain(exc, s3_url(bucket, prefix)) from None
    return out


def _stored_sha(s3: Any, bucket: str, key: str) -> str | None:
    try:
        return s3.head_object(Bucket=bucket, Key=key).get("Metadata", {}).get("sha256")
    except Exception:  # noqa: BLE001 - a vanished chunk is simply staged again
        return None


def _finished_parts(s3: Any, bucket: str, mkey: str, jid: str, plan: dict,
                    existing: dict[str, int]) -> list[dict] | None:
    """The parts of a complete earlier run of this job with this plan whose chunks all still
    hold their sha256, else None (then staging runs, skipping chunks already there)."""
    try:
        body = s3.get_object(Bucket=bucket, Key=mkey)["Body"].read()
        old = manifest.loads(body)
    except Exception:  # noqa: BLE001 - no usable earlier manifest
        return None
    if not old.complete or old.job_id != jid or old.raw.get("staging") != plan:
        return None
    for part in old.parts:
        if part.range is None and (part.key not in existing
                                   or _stored_sha(s3, bucket, part.key) != part.sha256):
            return None
    return [dict(p) for p in old.raw["parts"]]


def results_urls(s3: Any, jid: str, warm_bucket: str, prefix: str, opts: StageOptions,
                 expires_at: str) -> dict:
    """Presigned PUT (and GET, to resume elsewhere) URLs for the report, output and checkpoint."""
    out = {}
    for name, filename in RESULT_FILES.items():
        where = opts.checkpoints if name == "checkpoint" else opts.results
        if where:
            bucket, base = parse_s3_url(where, need_key=False)
            key = f"{base.strip('/')}/{jid}/{filename}".lstrip("/")
        else:
            bucket, key = warm_bucket, f"{prefix}results/{filename}"
        out[name] = {"url": presign_put(s3, bucket, key, opts.expires), "method": "PUT",
                     "get_url": presign_get(s3, bucket, key, opts.expires),
                     "expires_at": expires_at, "bucket": bucket, "key": key}
    return out


def write_manifest(s3: Any, bucket: str, key: str, obj: dict) -> manifest.Manifest:
    checked = manifest.validate(obj)  # never publish a manifest the page would reject
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=manifest.dumps(obj),
                      ContentType="application/json", CacheControl="no-cache")
    except Exception as exc:  # noqa: BLE001
        raise explain(exc, s3_url(bucket, key)) from None
    return checked


def stage(s3: Any, source: str, warm: str, opts: StageOptions | None = None, *,
          progress: Progress | None = None,
          should_stop: Callable[[], bool] | None = None) -> StageResult:
    """Stage s3://source into warm chunks under s3://warm/{job_id}/ and write the manifest."""
    opts = opts or StageOptions()
    if not 0 < opts.expires <= MAX_PRESIGN_SECONDS:
        raise ValueError("presigned URLs can live at most 7 days (SigV4); use --expires 7d or less")
    if opts.chunk_size <= 0:
        raise ValueError("chunk size must be positive")
    if opts.no_copy and opts.gzip:
        raise ValueError("--no-copy serves ranges of the original object; it cannot be --gzip")
    sbucket, skey = parse_s3_url(source)
    wbucket, wprefix = parse_s3_url(warm, need_key=False)
    src, _ = source_of(s3, sbucket, skey)
    jid = manifest.job_id(src)
    prefix = job_prefix(wprefix, jid)
    mkey = prefix + MANIFEST_NAME
    size = src["size"]
    expires_at = manifest.iso_utc(datetime.now(timezone.utc) + timedelta(seconds=opts.expires))
    prices = opts.prices if opts.prices is not None else cost.load_prices()
    results = results_urls(s3, jid, wbucket, prefix, opts, expires_at)
    existing = {} if opts.no_copy else _existing_chunks(s3, wbucket, prefix)
    result = StageResult(jid, wbucket, prefix, mkey, presign_get(s3, wbucket, mkey, opts.expires),
                         complete=False, size=size)
    parts: list[dict] = []

    def read(a: int, b: int) -> bytes:
        try:
            body = s3.get_object(Bucket=sbucket, Key=skey, Range=manifest.byte_range(a, b),
                                 IfMatch=f'"{src["etag"]}"' if src["etag"] else "*")["Body"]
            data = body.read()
        except Exception as exc:  # noqa: BLE001
            raise explain(exc, source) from None
        result.bytes_read += len(data)
        return data

    plan = {"chunk_size": opts.chunk_size, "gzip": opts.gzip, "align": opts.align,
            "format": opts.format, "no_copy": opts.no_copy}

    def publish(complete: bool) -> None:
        obj = manifest.build(src, parts, format=opts.format, complete=complete, results=results,
                             prices=prices, warm={"bucket": wbucket, "prefix": prefix})
        obj["staging"] = plan  # lets a re-run recognise a finished job with the same plan
        write_manifest(s3, wbucket, mkey, obj)

    done = _finished_parts(s3, wbucket, mkey, jid, plan, existing)
    if done is not None:  # same job, same plan, every chunk still there: only re-sign
        for part in done:
            if part.get("range"):
                part["url"] = presign_get(s3, sbucket, skey, opts.expires)
            else:
                part["url"] = presign_get(s3, wbucket, part["key"], opts.expires)
                result.part_keys.append(part["key"])
            part["expires_at"] = expires_at
        parts.extend(done)
        result.parts = result.skipped = len(parts)
        publish(True)
        result.complete = True
        return result

    if opts.align == "records":
        chunks: Iterator[Chunk] = aligned_chunks(read, size, opts.chunk_size,
                                                 find_cuts(opts.format, opts.chunk_size),
                                                 opts.read_block)
    elif opts.align in (None, "none", "bytes"):
        chunks = fixed_chunks(size, opts.chunk_size)
    else:
        raise ValueError(f"unknown alignment {opts.align!r} (records)")

    for chunk in chunks:
        if should_stop is not None and should_stop():
            publish(False)
            return result
        index = len(parts)
        ckey = chunk_key(prefix, chunk.start, chunk.end, opts.gzip)
        data = chunk.data
        stored = _stored_sha(s3, wbucket, ckey) if ckey in existing else None
        if stored and data is None:
            sha = stored                      # fixed-size chunk already staged: do not re-read
        else:
            if data is None:
                data = read(chunk.start, chunk.end)
            sha = hashlib.sha256(data).hexdigest()
        if opts.no_copy:
            url = presign_get(s3, sbucket, skey, opts.expires)
            rng, key = manifest.byte_range(chunk.start, chunk.end), None
        else:
            if stored == sha:
                result.skipped += 1
            else:
                body = gzip_module.compress(data, 6, mtime=0) if opts.gzip else data
                try:
                    s3.put_object(Bucket=wbucket, Key=ckey, Body=body, Metadata={"sha256": sha},
                                  ContentType="application/gzip" if opts.gzip
                                  else "application/octet-stream")
                except Exception as exc:  # noqa: BLE001
                    raise explain(exc, s3_url(wbucket, ckey)) from None
                result.staged += 1
            url, rng, key = presign_get(s3, wbucket, ckey, opts.expires), None, ckey
            result.part_keys.append(ckey)
        parts.append(manifest.part_dict(index, chunk.start, chunk.end, url=url,
                                        expires_at=expires_at, sha256=sha,
                                        encoding="gzip" if opts.gzip else "identity",
                                        range=rng, context=chunk.context, key=key))
        result.parts = len(parts)
        publish(False)
        if progress:
            progress({"event": "chunk", "index": index, "start": chunk.start, "end": chunk.end,
                      "size": size, "staged": result.staged, "skipped": result.skipped})
    publish(True)
    result.complete = True
    return result
