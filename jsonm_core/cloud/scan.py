"""`jsonm scan MANIFEST_URL`: process a staged job from its manifest with the engine.

Standard library + engine only (no boto3): the manifest's presigned URLs are all it needs.
Every part is verified against its sha256 before the engine sees a byte.  Record-aligned parts
(each with the scanner's context) are processed each by its own engine and merged
(`scan_cli.scan_parts`); byte-cut parts are fed in order to one engine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Callable, Iterator

from jsonm_core import browser_state as bs
from jsonm_core.cloud.fetch import FetchError, fetch_part, http_get
from jsonm_core.manifest import Manifest, ManifestError, loads

PROBE_BYTES = 4096


def probe_manifest(url: str) -> Manifest | None:
    """The manifest served at `url`, or None if the URL serves something else (e.g. the JSON
    to scan itself).  Looks at the first 4 KB only, so a huge object is not downloaded twice."""
    head = http_get(url, "url", headers={"Range": f"bytes=0-{PROBE_BYTES - 1}"})
    text = head[:PROBE_BYTES].lstrip()
    if not text.startswith(b"{") or b'"jsonm.manifest"' not in text:
        return None
    body = head if len(head) < PROBE_BYTES else http_get(url, "manifest")
    try:
        return loads(body)
    except ManifestError as exc:
        raise FetchError(f"manifest: {exc}") from None


def is_record_aligned(m: Manifest) -> bool:
    return all(p.context is not None for p in m.parts[1:])


def part_bytes(m: Manifest, *, check_expiry: bool = True) -> Iterator[tuple[dict, bytes]]:
    """(engine part dict, verified decoded bytes) for each part, in order."""
    if not m.complete:
        raise FetchError(f"manifest: staging is not finished ({len(m.parts)} parts so far)")
    for p in m.parts:
        yield ({"index": p.index, "start": p.start, "end": p.end, "context": p.context},
               fetch_part(p, check_expiry=check_expiry))


def scan_manifest(m: Manifest, *, progress=None, resume: dict | None = None,
                  save: Callable[[str], None] | None = None, limit: int | None = None,
                  **engine_options) -> dict | None:
    """The report of the job's whole object (same as scanning the original file), or None when
    ``limit`` bytes were processed first.  ``resume``: a job state (``browser_state.decode``) to
    continue from; ``save(text)`` receives the job state, in the format the page keeps at the
    manifest's checkpoint URL, at every engine checkpoint, after every part and at a stop."""
    run = _ManifestRun(m, progress, resume, save, limit, engine_options)
    return run.aligned() if is_record_aligned(m) else run.stream()


class _ManifestRun:
    """One `jsonm scan MANIFEST_URL` pass: parts in order, resumable from a job state."""

    def __init__(self, m: Manifest, progress, resume: dict | None, save, limit: int | None,
                 engine_options: dict) -> None:
        engine_options.setdefault("format", m.format)
        self.m, self.progress, self.save, self.limit = m, progress, save, limit
        self.options = engine_options
        self.prior = {e["index"]: e for e in (resume or {}).get("parts", [])}
        self.done: list[dict] = []              # job-state entries of finished parts (or runs)
        self.processed = 0                      # bytes fed by this pass (for ``limit``)
        self.runs = bs.ReportRuns()             # consecutive done parts saved as one merged entry

    def _engine(self, part: dict | None, entry: dict | None):
        from jsonm_core.engine import Engine
        if entry is not None and entry["state"] == "progress":
            return Engine.resume(entry["checkpoint"], source=self.m.source)
        return Engine(part=part, source=self.m.source, **self.options)

    def _state(self, current: dict | None = None, finished: bool = False) -> str:
        entries = self.done + ([current] if current else [])
        text, _ = bs.encode(self.m.job_id, self.m.source, entries, saved_at=time.time(),
                            finished=finished, max_bytes=1 << 62, runs=self.runs)
        return text

    def _progress_entry(self, eng, blob: bytes) -> dict:
        pos = eng.resume_offset
        index = next(p.index for p in self.m.parts if p.start <= pos <= p.end)
        return {"index": index, "state": "progress", "position": pos, "records": eng.records,
                "checkpoint": blob}

    def _run(self, eng, chunks) -> dict | None:
        from jsonm_core.scan_cli import scan_stream
        start = eng.resume_offset
        if self.limit is not None:
            eng.stop_at(start + max(self.limit - self.processed, 0))

        def on_checkpoint(blob: bytes) -> None:
            self.save(self._state(self._progress_entry(eng, blob)))

        report = scan_stream(eng, chunks, self.progress, on_checkpoint if self.save else None)
        if report is None:                      # stopped by the limit: keep the resume point
            if self.save:
                self.save(self._state(self._progress_entry(eng, eng.checkpoint())))
            return None
        self.processed += eng.position - start
        return report

    def aligned(self) -> dict | None:
        """Record-aligned parts: each by its own engine, reports merged in order."""
        from jsonm_core.report import merge
        report = None
        parts = self.m.parts
        k = 0
        while k < len(parts):
            p = parts[k]
            k += 1
            entry = self.prior.get(p.index)
            if entry is not None and entry["state"] == "done":
                r = json.loads(entry["report"])       # a run's report covers its parts to "last"
                self.done.append(entry)
                k = entry.get("last", p.index) + 1
                if self.progress is not None:
                    self.progress.update(parts[k - 1].end)
            else:
                if self.limit is not None and self.processed >= self.limit:
                    if self.save:
                        self.save(self._state(entry))
                    return None
                eng = self._engine({"index": p.index, "start": p.start, "end": p.end,
                                    "context": p.context}, entry)
                data = fetch_part(p)
                r = self._run(eng, [data[eng.resume_offset - p.start:]])
                if r is None:
                    return None
                self.done.append({"index": p.index, "state": "done", "position": p.end,
                                  "records": r["records"]["count"],
                                  "report": json.dumps(r, ensure_ascii=False)})
                if self.save:
                    self.save(self._state())
            report = r if report is None else merge(report, r)
        if report is None:
            raise FetchError("manifest: no parts to scan")
        return report

    def stream(self) -> dict | None:
        """Byte-cut parts: one engine fed the parts in order (its checkpoints are absolute)."""
        entry = next((e for e in self.prior.values() if e["state"] == "progress"), None)
        eng = self._engine(None, entry)
        offset = eng.resume_offset

        def chunks():
            for p in self.m.parts:
                if p.end > offset:
                    data = fetch_part(p)
                    yield data[max(offset - p.start, 0):]

        report = self._run(eng, chunks())
        if report is not None and self.save:
            self.save(self._state(finished=True))
        return report


def run_manifest_scan(args: argparse.Namespace) -> int | None:
    """Called by `jsonm scan` for http(s) sources: None if the URL is not a manifest."""
    from jsonm_core.cli import UsageError
    from jsonm_core.scan_cli import Progress, _write_atomic, _write_report, parse_size

    try:
        m = probe_manifest(args.source)
    except FetchError as exc:
        raise UsageError(str(exc)) from None
    if m is None:
        return None
    opts: dict = {}
    if getattr(args, "format", "auto") != "auto":
        opts["format"] = args.format
    try:
        if getattr(args, "buffer_size", None):
            opts["buffer_size"] = parse_size(args.buffer_size)
        if getattr(args, "checkpoint_every", None):
            opts["checkpoint_every"] = parse_size(args.checkpoint_every)
        limit = parse_size(args.limit_bytes) if getattr(args, "limit_bytes", None) else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    resume = _read_state(args.resume, m) if getattr(args, "resume", None) else None
    save = None
    if getattr(args, "checkpoint", None):
        def save(text: str) -> None:
            _write_atomic(args.checkpoint, text.encode("utf-8"))
    progress = Progress(m.source["size"], 0)
    try:
        report = scan_manifest(m, progress=progress, resume=resume, save=save, limit=limit, **opts)
    except FetchError as exc:
        progress.close(0)
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write checkpoint {args.checkpoint}: {exc.strerror or exc}") from None
    if report is None:
        progress.close(0)
        where = (f"job state written to {args.checkpoint}; continue with --resume {args.checkpoint}"
                 if save else "no --checkpoint given, nothing saved")
        print(f"jsonm: stopped after {limit} bytes (--limit-bytes); {where}", file=sys.stderr)
        return 3
    progress.close(m.source["size"])
    try:
        _write_report(args.report, report)
    except OSError as exc:
        raise UsageError(f"cannot write output: {exc.strerror or exc}") from None
    return 1 if report["totals"]["errors"] else 0


def _read_state(path: str, m: Manifest) -> dict:
    """The job state to resume from, checked against this job's manifest (one clear message)."""
    from jsonm_core.checkpoint import CheckpointError
    from jsonm_core.cli import UsageError
    from jsonm_core.engine import Engine
    try:
        with open(path, "rb") as f:
            state = bs.decode(f.read(), job_id=m.job_id, parts=[(p.start, p.end) for p in m.parts])
        for e in state["parts"]:
            if e["state"] == "progress":
                Engine.resume(e["checkpoint"], source=m.source)   # its integrity and source, now
    except OSError as exc:
        raise UsageError(f"cannot read job state {path}: {exc.strerror or exc}") from None
    except (bs.StateError, CheckpointError) as exc:
        raise UsageError(f"cannot resume from {path}: {exc}") from None
    return state
