"""The demo job: a generated event/log export, archived, restored, staged, presigned.

`generate_events` writes realistic nested NDJSON records (users, geo, sessions, tags, nested
arrays) with four planted faults, one of each kind the forensic report must find:
a duplicate key, an integer too big for int64/double, an invalid UTF-8 byte, and a record
with a syntax error.  Deterministic for a given (size, seed).  `generate_events` and
`demo_bytes` are pure standard library (the browser tests reuse them); `prepare_demo` needs boto3.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

DEMO_KEY = "demo/events.ndjson"
FAULTS = ("duplicate_key", "big_integer", "invalid_utf8", "syntax_error")

_FIRST = ["Ana", "Bo", "Chen", "Dmitri", "Elif", "Femi", "Grace", "Hiro", "Inés", "Jonas",
          "Kavya", "Lena", "Mateo", "Noor", "Olu", "Priya", "Quinn", "Rafael", "Saanvi", "Zoë"]
_LAST = ["Silva", "Nguyen", "Kowalski", "Okafor", "Müller", "Tanaka", "García", "Haddad",
         "Johansson", "Rossi", "O'Brien", "Dubois", "Kim", "Novak", "Singh", "Ferreira"]
_CITIES = [("PT", "Lisboa", 38.72, -9.14), ("PL", "Łódź", 51.76, 19.46),
           ("JP", "東京", 35.68, 139.69), ("BR", "São Paulo", -23.55, -46.63),
           ("DE", "Köln", 50.94, 6.96), ("US", "Denver", 39.74, -104.99),
           ("NG", "Lagos", 6.52, 3.38), ("IN", "Bengaluru", 12.97, 77.59),
           ("FR", "Besançon", 47.24, 6.02), ("TR", "İstanbul", 41.01, 28.98)]
_TYPES = ["page_view", "page_view", "page_view", "login", "logout", "purchase", "search",
          "error", "api_call"]
_TAGS = ["beta", "mobile", "vip", "trial", "eu", "ab:red", "ab:blue", "bot?", "legacy", "sso"]
_OS = [("iOS", "17.4"), ("Android", "14"), ("Windows", "11"), ("macOS", "14.3"), ("Linux", None)]
_BROWSERS = ["Safari", "Chrome", "Firefox", "Edge", None]


def _record(rng: random.Random, n: int) -> dict:
    country, city, lat, lon = rng.choice(_CITIES)
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    uid = rng.randrange(1, 250_000)
    os_name, os_version = rng.choice(_OS)
    etype = rng.choice(_TYPES)
    rec: dict[str, Any] = {
        "event_id": f"evt-{n:09d}",
        "ts": f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:{(n * 7) % 60:02d}.{n % 1000:03d}Z",
        "type": etype,
        "user": {"id": uid, "name": f"{first} {last}",
                 "email": f"{first.lower()}.{uid}@example.org",
                 "roles": rng.sample(["viewer", "editor", "admin", "auditor"], rng.randint(1, 2)),
                 "geo": {"country": country, "city": city,
                         "lat": round(lat + rng.uniform(-0.2, 0.2), 5),
                         "lon": round(lon + rng.uniform(-0.2, 0.2), 5)},
                 "verified": rng.random() < 0.8},
        "session": {"id": f"s-{rng.getrandbits(48):012x}",
                    "ip": f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                    "device": {"os": os_name, "os_version": os_version,
                               "browser": rng.choice(_BROWSERS)}},
        "tags": rng.sample(_TAGS, rng.randint(0, 4)),
        "metrics": {"latency_ms": round(rng.lognormvariate(4, 0.8), 2),
                    "bytes_sent": rng.randrange(200, 2_000_000), "retries": rng.choice([0, 0, 0, 1, 2])},
    }
    if etype == "purchase":
        rec["order"] = {"id": f"o-{rng.getrandbits(40):010x}", "currency": rng.choice(["EUR", "USD", "JPY"]),
                        "items": [{"sku": f"SKU-{rng.randrange(10_000):05d}", "qty": rng.randint(1, 5),
                                   "price": round(rng.uniform(1, 500), 2)}
                                  for _ in range(rng.randint(1, 6))]}
    elif etype == "search":
        rec["query"] = {"q": rng.choice(["json forensics", "café near me", "pérdida de datos", "日本語"]),
                        "filters": [{"field": "date", "op": "gte", "value": "2026-01-01"}]
                        if rng.random() < 0.5 else [], "page": rng.randint(1, 9)}
    elif etype == "error":
        rec["error"] = {"code": rng.choice([400, 404, 409, 500, 503]),
                        "stack": [f"at frame_{i} (app.js:{rng.randrange(1, 999)})"
                                  for i in range(rng.randint(1, 5))],
                        "cause": None if rng.random() < 0.5 else {"code": "ECONNRESET"}}
    if rng.random() < 0.05:
        rec["user"]["manager"] = {"id": rng.randrange(1, 250_000), "reports": [rng.randrange(1, 250_000)
                                                                              for _ in range(3)]}
    return rec


def _fault(kind: str, n: int) -> bytes:
    """One planted faulty record (bytes, newline-terminated)."""
    head = f'{{"event_id": "evt-{n:09d}", "ts": "2026-06-01T00:00:00.000Z", '.encode()
    if kind == "duplicate_key":
        body = b'"type": "login", "user": {"id": 4242, "name": "Dup Key", "id": 4243}}'
    elif kind == "big_integer":
        body = b'"type": "api_call", "metrics": {"bytes_sent": 123456789012345678901234567890}}'
    elif kind == "invalid_utf8":
        body = b'"type": "search", "query": {"q": "caf\xe9 latte"}}'
    elif kind == "syntax_error":
        body = b'"type": "login" "user": {"id": 77}}'
    else:
        raise ValueError(kind)
    return head + body + b"\n"


def generate_events(size_bytes: int, *, seed: int = 20260603,
                    faults: bool = True) -> Iterator[bytes]:
    """NDJSON lines totalling about size_bytes (never less); faults at ~20/40/60/80 %."""
    rng = random.Random(seed)
    todo = list(FAULTS) if faults else []
    written, n = 0, 0
    while written < size_bytes or todo:
        if todo and (written >= size_bytes * (len(FAULTS) - len(todo) + 1) / (len(FAULTS) + 1)
                     or written >= size_bytes):
            line = _fault(todo.pop(0), n)
        else:
            line = json.dumps(_record(rng, n), ensure_ascii=False,
                              separators=(", ", ": ")).encode("utf-8") + b"\n"
        n += 1
        written += len(line)
        yield line


def demo_bytes(size_bytes: int, *, seed: int = 20260603, faults: bool = True) -> bytes:
    return b"".join(generate_events(size_bytes, seed=seed, faults=faults))


def write_events(path: str | os.PathLike, size_bytes: int, *, seed: int = 20260603,
                 faults: bool = True) -> int:
    """Write the generated file; returns its size."""
    total = 0
    with open(path, "wb") as fh:
        for line in generate_events(size_bytes, seed=seed, faults=faults):
            fh.write(line)
            total += len(line)
    return total


@dataclass
class DemoJob:
    manifest_url: str
    manifest_s3: str
    job_id: str
    source: str
    path: Path
    size: int
    parts: int
    buckets: dict


def prepare_demo_job(endpoint_url: str | None, workdir: str | os.PathLike, *, size_mb: float = 30,
                     page_origin: str = "*", chunk_size: int = 4 << 20, gzip: bool = True,
                     expires: int = 24 * 3600, bucket_prefix: str = "jsonm",
                     progress: Callable[[str], None] | None = None) -> DemoJob:
    """Generate → upload to DEEP_ARCHIVE → restore → stage (records, gzip) → presign."""
    from jsonm_core.cloud import ops
    from jsonm_core.cloud.buckets import BucketNames, init_buckets
    from jsonm_core.cloud.s3 import make_client, s3_url
    from jsonm_core.cloud.staging import StageOptions, stage

    say = progress or (lambda msg: None)
    s3 = make_client(endpoint_url)
    names = BucketNames.with_prefix(bucket_prefix)
    origins = ["*"] if page_origin in (None, "", "*") else [page_origin]
    init_buckets(s3, names, origins=origins)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    size = int(size_mb * (1 << 20))
    path = workdir / f"demo-events-{size}.ndjson"
    if not path.exists():
        say(f"generating {path.name}")
        tmp = path.with_suffix(".tmp")
        write_events(tmp, size)
        tmp.replace(path)
    src = s3_url(names.cold, DEMO_KEY)
    try:
        existing = s3.head_object(Bucket=names.cold, Key=DEMO_KEY)["ContentLength"]
    except Exception:  # noqa: BLE001 - absent: upload it
        existing = None
    if existing != path.stat().st_size:
        say(f"uploading to {src} (DEEP_ARCHIVE)")
        ops.upload(s3, path, src, storage_class="DEEP_ARCHIVE", chunk_size=chunk_size)
    say("restoring")
    ops.restore(s3, src, tier="Bulk", days=7)
    ops.wait_restored(s3, src, poll=0.2, timeout=120)
    say("staging")
    res = stage(s3, src, s3_url(names.warm, "jobs"),
                StageOptions(chunk_size=chunk_size, gzip=gzip, align="records", format="ndjson",
                             expires=expires, results=s3_url(names.results, "jobs"),
                             checkpoints=s3_url(names.checkpoints, "jobs")))
    return DemoJob(res.manifest_url, res.manifest_s3, res.job_id, src, path, res.size,
                   res.parts, names.as_dict())


def prepare_demo(endpoint_url: str | None, workdir: str | os.PathLike, size_mb: float = 30,
                 page_origin: str = "*", **kwargs: Any) -> str:
    """The demo job's presigned manifest URL (see prepare_demo_job)."""
    return prepare_demo_job(endpoint_url, workdir, size_mb=size_mb, page_origin=page_origin,
                            **kwargs).manifest_url
