"""Shared helpers for the engine tests (plain functions; no I/O)."""

from __future__ import annotations

from jsonm_core.engine import Engine
from jsonm_core.report import merge, without_run
from jsonm_core.scanner import BoundaryScanner, start_context


def run(data: bytes, splits=None, **kw) -> dict:
    """Deterministic report of ``data`` fed in the pieces cut at ``splits`` (sorted offsets)."""
    e = Engine(**kw)
    prev = 0
    for s in sorted(splits or ()):
        e.feed(data[prev:s])
        prev = s
    e.feed(data[prev:])
    return without_run(e.finish())


def bytewise(data: bytes, **kw) -> dict:
    return run(data, range(1, len(data)), **kw)


def errors(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["severity"] == "error"]


def boundaries(data: bytes, fmt: str = "auto") -> list:
    sc = BoundaryScanner(fmt, min_gap=0)
    return sc.feed(data) + sc.finish()


def parts_report(data: bytes, cuts, fmt: str = "auto", **kw) -> dict:
    """Process ``data`` as parts cut at the given scanner boundaries and merge the reports."""
    src = {"size": len(data)}
    cuts = [b for b in cuts if 0 < b.offset < len(data)]     # staging never makes empty parts
    spans = []
    prev, ctx = 0, None
    if cuts:
        ctx = start_context(cuts[0].context["format"])
    for b in cuts:
        spans.append((prev, b.offset, ctx))
        prev, ctx = b.offset, b.context
    spans.append((prev, len(data), ctx))
    out = None
    for i, (s, e, c) in enumerate(spans):
        eng = Engine(format=fmt, part={"index": i, "start": s, "end": e, "context": c}, source=src, **kw)
        eng.feed(data[s:e])
        r = eng.finish()
        out = r if out is None else merge(out, r)
    full = Engine(format=fmt, source=src, **kw)
    full.feed(data)
    return without_run(out), without_run(full.finish())
