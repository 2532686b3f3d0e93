"""The forensic report: build from an engine, merge two reports, strip the run section.

Schema ``jsonm.report`` version 1.  Everything except the top-level ``"run"`` object is
deterministic.  ``merge(a, b)`` treats ``b`` as the bytes that follow ``a`` (parts in order) and
is exact and associative: per-path sums are exact integers, sketches are hash-selected, findings
keep the first K per code.

Fields beyond the shared contract:
- ``records.streams``: records per stream path (``stream_path`` is the largest, ties by name);
  records are NDJSON/seq values, elements of a top-level array, members of a top-level object,
  or elements of an array member of a top-level object; ``shape`` is array|object|scalar|stream.
- ``records.skipped_bytes/skipped_records``: bytes from the start of a broken record to the
  resynchronisation point (next line, or next ',' / closer at the record level).
- ``paths[p]``: ``count``, ``types``, ``number`` {min, max, mean} over finite numbers, ``string``
  {min_len, max_len, mean_len} in characters, ``distinct`` (exact below 256 distinct values, KMV
  estimate above), ``examples`` (first 3 distinct scalars, strings cut at 40 chars + "…"),
  ``key_sets`` (up to 16 variants selected by hash, with counts) and ``key_sets_other``,
  ``max_depth`` (nesting height of the values at p: scalar 0, [] 1), and ``sketch``: the exact
  mergeable state (integer sum, float sum scaled by 2**1074 as decimal strings, KMV hashes, key
  set hashes).
- ``findings[i]``: ``offset`` absolute byte offset, ``line`` 1-based, ``column`` 1-based *byte*
  column, ``path`` of the value (or container) concerned, ``excerpt`` of up to 16 bytes before and
  24 after (never crossing a record boundary, so splits and parts give the same text; control
  characters escaped, invalid UTF-8 as \\xNN, "…" where cut).
- ``paths_overflow``: values that fell on paths beyond the P cap; ``limits``: K and P.
"""

from __future__ import annotations

import platform
import sys
import time

from . import __version__
from ._profile import merge_nodes, node_from_report, node_report

SCHEMA = "jsonm.report"
VERSION = 1


def _records(count, fmt, shape, streams, skipped_bytes, skipped_records) -> dict:
    stream_path = None
    if streams:
        stream_path = sorted(streams.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return {"count": count, "format": fmt, "shape": shape, "stream_path": stream_path,
            "streams": dict(sorted(streams.items())), "skipped_bytes": skipped_bytes,
            "skipped_records": skipped_records}


def build_report(eng) -> dict:
    f = eng.findings
    elapsed = time.perf_counter() - eng._t0
    nbytes = eng.position - eng.start
    paths = eng.prof.report_paths()
    return {
        "schema": SCHEMA, "version": VERSION,
        "source": eng.source,
        "bytes": nbytes,
        "records": _records(eng.records, eng.format, eng.shape, eng.streams, eng.skipped_bytes,
                            eng.skipped_records),
        "paths": paths,
        "paths_overflow": eng.prof.overflow,
        "findings": [dict(x) for x in f.kept],
        "finding_counts": dict(sorted(f.by_code.items())),
        "totals": f.totals(),
        "limits": {"max_findings_per_code": f.per_code, "max_paths": eng.prof.max_paths},
        "run": {"engine": f"jsonm_core {__version__}", "python": sys.version.split()[0],
                "platform": sys.platform, "implementation": platform.python_implementation(),
                "elapsed_s": round(elapsed, 6),
                "mb_per_s": round(nbytes / elapsed / 1e6, 3) if elapsed > 0 else None,
                "buffer_size": eng.cap, "fast_records": eng._fast_records,
                "part": (eng.part or {}).get("index")},
    }


def without_run(report: dict) -> dict:
    """The deterministic part of a report (everything except ``"run"``)."""
    return {k: v for k, v in report.items() if k != "run"}


def merge(a: dict, b: dict) -> dict:
    """The report of the bytes of ``a`` followed by those of ``b``."""
    for r in (a, b):
        if r.get("schema") != SCHEMA or r.get("version") != VERSION:
            raise ValueError("merge() needs two jsonm.report version 1 reports")
    ra, rb = a["records"], b["records"]
    streams = dict(ra.get("streams", {}))
    for k, v in rb.get("streams", {}).items():
        streams[k] = streams.get(k, 0) + v
    paths = {}
    for p in sorted(set(a["paths"]) | set(b["paths"])):
        pa, pb = a["paths"].get(p), b["paths"].get(p)
        if pa is None:
            paths[p] = pb
        elif pb is None:
            paths[p] = pa
        else:
            paths[p] = node_report(merge_nodes(node_from_report(p, pa), node_from_report(p, pb)))
    limit = a.get("limits", {}).get("max_findings_per_code", 100)
    kept, seen = [], {}
    for f in a["findings"] + b["findings"]:
        n = seen.get(f["code"], 0)
        if n < limit:
            kept.append(f)
        seen[f["code"]] = n + 1
    counts = dict(a["finding_counts"])
    for k, v in b["finding_counts"].items():
        counts[k] = counts.get(k, 0) + v
    totals = {k: a["totals"].get(k, 0) + b["totals"].get(k, 0) for k in ("errors", "warnings", "info")}
    out = {
        "schema": SCHEMA, "version": VERSION,
        "source": a.get("source") if a.get("source") is not None else b.get("source"),
        "bytes": a["bytes"] + b["bytes"],
        "records": _records(ra["count"] + rb["count"], ra["format"] if ra["format"] else rb["format"],
                            ra["shape"] if ra["shape"] is not None else rb["shape"], streams,
                            ra["skipped_bytes"] + rb["skipped_bytes"],
                            ra["skipped_records"] + rb["skipped_records"]),
        "paths": paths,
        "paths_overflow": a["paths_overflow"] + b["paths_overflow"],
        "findings": kept,
        "finding_counts": dict(sorted(counts.items())),
        "totals": totals,
        "limits": a.get("limits", b.get("limits")),
        "run": {"merged": [a.get("run"), b.get("run")]},
    }
    return out
