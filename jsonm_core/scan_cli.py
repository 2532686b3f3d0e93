"""`jsonm scan SOURCE`: run the engine over a file, stdin or an http(s) URL (Range requests).

Thin I/O adapters around the sans-IO engine.  Reusable pieces for other front ends:

- ``open_source(spec) -> Source``: ``.identity`` (dict for checkpoints), ``.size`` (int | None),
  ``.chunks(offset)`` (iterator of bytes from ``offset``);
- ``scan_stream(engine, chunks, progress=None) -> report`` feeds one engine;
- ``scan_parts(parts, *, source=None, **engine_options) -> report`` processes manifest-style parts
  in order, each ``(part_dict, chunks)`` with ``part_dict = {"index", "start", "end", "context"}``,
  each by its own ``Engine(part=...)``, and merges their reports (the cloud ``scan MANIFEST_URL``
  form calls this).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from typing import Callable, Iterable, Iterator

from .checkpoint import CheckpointError
from .engine import Engine
from .report import merge

READ_BLOCK = 1 << 20
HTTP_BLOCK = 8 << 20
_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(i?b)?\s*$", re.I)


def parse_size(text: str) -> int:
    """'4096', '64k', '4MiB', '1G' -> bytes (powers of 1024)."""
    m = _SIZE.match(str(text))
    if not m:
        raise ValueError(f"not a byte size: {text!r} (e.g. 4096, 64K, 4M, 1G)")
    return int(m.group(1)) << (10 * "kmgt".find(m.group(2).lower()) + 10 if m.group(2) else 0)


class Source:
    identity: dict
    size: int | None
    name: str

    def chunks(self, offset: int) -> Iterator[bytes]:
        raise NotImplementedError


class FileSource(Source):
    def __init__(self, path: str) -> None:
        self.path = path
        self.name = path
        st = os.stat(path)
        self.size = st.st_size
        self.identity = {"path": os.path.abspath(path), "size": st.st_size}

    def chunks(self, offset: int) -> Iterator[bytes]:
        with open(self.path, "rb") as f:
            f.seek(offset)
            while True:
                b = f.read(READ_BLOCK)
                if not b:
                    return
                yield b


def read_from(read: Callable[[int], bytes], offset: int) -> Iterator[bytes]:
    """Blocks of a sequential stream from ``offset`` on: earlier bytes are read and dropped."""
    skip = offset
    while True:
        b = read(READ_BLOCK)
        if not b:
            return
        if skip:
            if len(b) <= skip:
                skip -= len(b)
                continue
            b, skip = b[skip:], 0
        yield b


class StdinSource(Source):
    def __init__(self, stream=None) -> None:
        self.stream = stream if stream is not None else sys.stdin.buffer
        self.name = "-"
        self.size = None
        self.identity = {"path": "-"}

    def chunks(self, offset: int) -> Iterator[bytes]:
        return read_from(self.stream.read, offset)   # a resumed scan of stdin discards what was processed


class HttpSource(Source):
    """An http(s) object read with ``Range`` requests of ``HTTP_BLOCK`` bytes."""

    def __init__(self, url: str) -> None:
        import urllib.request
        self.url = url
        self.name = url
        req = urllib.request.Request(url, headers={"Range": "bytes=0-0"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            etag = resp.headers.get("ETag")
            cr = resp.headers.get("Content-Range")
            if resp.status == 206 and cr and "/" in cr and cr.rsplit("/", 1)[1] != "*":
                self.size = int(cr.rsplit("/", 1)[1])
            else:
                cl = resp.headers.get("Content-Length")
                self.size = int(cl) if cl and resp.status == 200 else None
            self.ranged = resp.status == 206
        base = url.split("?", 1)[0]
        self.identity = {"url": base, "size": self.size, "etag": etag}

    def chunks(self, offset: int) -> Iterator[bytes]:
        import urllib.request
        if not self.ranged or self.size is None:
            with urllib.request.urlopen(self.url, timeout=60) as resp:
                yield from read_from(resp.read, offset)
            return
        pos = offset
        while pos < self.size:
            end = min(pos + HTTP_BLOCK, self.size) - 1
            req = urllib.request.Request(self.url, headers={"Range": f"bytes={pos}-{end}"})
            with urllib.request.urlopen(req, timeout=120) as resp:
                if resp.status != 206:
                    raise OSError(f"server ignored the Range request (HTTP {resp.status})")
                while True:
                    b = resp.read(READ_BLOCK)
                    if not b:
                        break
                    pos += len(b)
                    yield b
            if pos <= end:
                raise OSError(f"short read at byte {pos} (expected up to {end + 1})")


def open_source(spec: str) -> Source:
    if spec == "-":
        return StdinSource()
    if spec.startswith(("http://", "https://")):
        return HttpSource(spec)
    return FileSource(spec)


class Progress:
    """A one-line progress bar on a TTY (bytes, MB/s, ETA); silent otherwise."""

    def __init__(self, total: int | None, start: int = 0, stream=None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.total, self.start = total, start
        self.t0 = self.last = time.monotonic()
        self.shown = False

    def update(self, pos: int, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not final and now - self.last < 0.2:
            return
        self.last = now
        done = pos - self.start
        rate = done / max(now - self.t0, 1e-9)
        mb = f"{pos / 1e6:,.1f} MB"
        if self.total:
            frac = min(pos / self.total, 1.0)
            bar = "#" * int(frac * 30)
            eta = (self.total - pos) / rate if rate > 0 else 0
            line = f"\r[{bar:<30}] {frac * 100:5.1f}% {mb} / {self.total / 1e6:,.1f} MB " \
                   f"{rate / 1e6:6.1f} MB/s ETA {int(eta) // 60}:{int(eta) % 60:02d}"
        else:
            line = f"\r{mb} {rate / 1e6:6.1f} MB/s"
        self.stream.write(line)
        self.stream.flush()
        self.shown = True

    def close(self, pos: int) -> None:
        if self.enabled:
            self.update(pos, final=True)
            self.stream.write("\n")
            self.stream.flush()


def scan_stream(engine: Engine, chunks: Iterable[bytes], progress: Progress | None = None,
                on_checkpoint: Callable[[bytes], None] | None = None) -> dict | None:
    """Feed ``chunks`` to ``engine``; write due checkpoints; return the report, or None if the
    engine stopped at its ``stop_at`` boundary (then ``engine.checkpoint()`` is the resume point)."""
    for b in chunks:
        engine.feed(b)
        if progress:
            progress.update(engine.position)
        if engine.stopped:
            return None
        if on_checkpoint is not None and engine.checkpoint_due:
            on_checkpoint(engine.checkpoint())
    return engine.finish()


def scan_parts(parts: Iterable[tuple[dict, Iterable[bytes]]], *, source: dict | None = None,
               progress: Progress | None = None, **engine_options) -> dict:
    """Process manifest parts in order, each standalone, and merge their reports."""
    report = None
    for part, chunks in parts:
        eng = Engine(part=part, source=source, **engine_options)
        r = scan_stream(eng, chunks, progress)
        report = r if report is None else merge(report, r)
    if report is None:
        raise ValueError("no parts to scan")
    return report


def _write_atomic(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _write_report(dest: str, report: dict) -> None:
    text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:          # lone surrogates from the data: keep the report valid UTF-8
        data = (json.dumps(report, indent=2, ensure_ascii=True) + "\n").encode("ascii")
    if dest == "-":
        sys.stdout.buffer.write(data) if hasattr(sys.stdout, "buffer") else sys.stdout.write(data.decode())
        sys.stdout.flush()
    else:
        _write_atomic(dest, data)


def cmd_scan(args) -> int:
    from .cli import UsageError
    if args.source.startswith(("http://", "https://")):
        # A URL serving a jsonm manifest: scan the staged job (cloud issue; stdlib only).
        from .cloud.scan import run_manifest_scan
        status = run_manifest_scan(args)
        if status is not None:
            return status
    opts = {}
    try:
        if args.buffer_size is not None:
            opts["buffer_size"] = parse_size(args.buffer_size)
        if args.checkpoint_every is not None:
            opts["checkpoint_every"] = parse_size(args.checkpoint_every)
        limit = parse_size(args.limit_bytes) if args.limit_bytes is not None else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        src = open_source(args.source)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot open {args.source}: {_why(exc)}") from None
    source = dict(src.identity)
    if args.resume:
        try:
            with open(args.resume, "rb") as f:
                blob = f.read()
            eng = Engine.resume(blob, source=source)
        except OSError as exc:
            raise UsageError(f"cannot read checkpoint {args.resume}: {_why(exc)}") from None
        except CheckpointError as exc:
            raise UsageError(f"cannot resume from {args.resume}: {exc}") from None
    else:
        try:
            eng = Engine(format=args.format, source=source, **opts)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if limit is not None:
        eng.stop_at(eng.resume_offset + limit if args.resume else limit)
    progress = Progress(src.size, eng.resume_offset)

    def save(blob: bytes) -> None:
        _write_atomic(args.checkpoint, blob)

    try:
        report = scan_stream(eng, src.chunks(eng.resume_offset), progress,
                             save if args.checkpoint else None)
    except OSError as exc:
        progress.close(eng.position)
        raise UsageError(f"error reading {src.name}: {_why(exc)}") from None
    progress.close(eng.position)
    try:
        if report is None:
            if args.checkpoint:
                save(eng.checkpoint())
                print(f"jsonm: stopped at byte {eng.resume_offset} (--limit-bytes); checkpoint written "
                      f"to {args.checkpoint}; continue with --resume {args.checkpoint}", file=sys.stderr)
            else:
                print(f"jsonm: stopped at byte {eng.resume_offset} (--limit-bytes); no --checkpoint "
                      "given, nothing saved", file=sys.stderr)
            return 3
        if args.checkpoint:
            save(eng.checkpoint())
        _write_report(args.report, report)
    except OSError as exc:
        raise UsageError(f"cannot write output: {_why(exc)}") from None
    return 1 if report["totals"]["errors"] else 0


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or exc.__class__.__name__


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "scan", help="forensic scan of a JSON / NDJSON input (file, -, http(s) URL)",
        description="Stream SOURCE through the bounded-memory engine and write the forensic report. "
                    "Exit status: 0 no error findings, 1 error findings, 2 usage or I/O error, "
                    "3 stopped by --limit-bytes (checkpoint written).")
    p.add_argument("source", metavar="SOURCE", help="a path, - for stdin, or an http(s) URL (Range requests)")
    p.add_argument("--report", default="-", metavar="FILE|-", help="where to write the JSON report (default: stdout)")
    p.add_argument("--format", default="auto", choices=("auto", "json", "ndjson", "seq"))
    p.add_argument("--buffer-size", metavar="BYTES", help="bounded buffer capacity (default 4M)")
    p.add_argument("--checkpoint", metavar="FILE", help="write checkpoints to FILE (replaced atomically)")
    p.add_argument("--checkpoint-every", metavar="BYTES", help="checkpoint interval (default 8M)")
    p.add_argument("--resume", metavar="FILE", help="continue from a checkpoint FILE")
    p.add_argument("--limit-bytes", metavar="N",
                   help="stop at the first record boundary after N bytes (exit 3; see --checkpoint)")
    p.set_defaults(func=cmd_scan)
