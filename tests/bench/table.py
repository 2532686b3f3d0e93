"""The comparison table: each runner on each file (best of ``repeat``), its markdown, and the
issue's target ratios computed from it."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.bench import inputs
from tests.bench.runners import BENCH_BUILD, MB, ROOT, BenchError, Row, cpython_job, jq_stream, node_peer, pyodide_job

REPORTS = BENCH_BUILD / "reports"
FILES = ["twitter.json", "twitter.ndjson", "citm.json", "rows.ndjson"]
# key: (name in the table, runtime)
RUNNERS = {
    "jsonm-cpython": ("jsonm (full profile)", "cpython"),
    "jsonm-pyodide": ("jsonm (full profile)", "pyodide"),
    "ijson-pyodide": ("ijson python backend (events)", "pyodide"),
    "loads-pyodide": ("json.loads (whole file)", "pyodide"),
    "streamparser-node": ("@streamparser/json (values)", "node"),
    "stream-json-node": ("stream-json (tokens)", "node"),
    "json-parse-node": ("JSON.parse (whole file)", "node"),
    "jq": ("jq --stream (events)", "native"),
}


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def measure(key: str, path: Path, chunk: int, repeat: int = 1) -> Row:
    """One runner on one file: the best of ``repeat`` runs (the machine may be shared)."""
    rows = [measure_once(key, path, chunk) for _ in range(max(1, repeat))]
    best = max(rows, key=lambda r: r.mb_per_s or 0)
    if repeat > 1:
        best.extra["runs_mb_per_s"] = [round(r.mb_per_s, 3) for r in rows]
    return best


def measure_once(key: str, path: Path, chunk: int) -> Row:
    """One runner on one file, once."""
    name, runtime = RUNNERS[key]
    label = path.name
    extra: dict = {"runner": key, "bytes": path.stat().st_size}
    if key in ("jsonm-cpython", "jsonm-pyodide"):
        REPORTS.mkdir(parents=True, exist_ok=True)
        out = REPORTS / f"{key}--{path.name}"
        job = {"job": "jsonm", "file": str(path), "chunk": chunk, "report_out": str(out)}
        res, rss = cpython_job(job) if key == "jsonm-cpython" else pyodide_job(job)
        extra.update(report=str(out.relative_to(ROOT)), report_sha256=res["report_sha256"],
                     records=res["records"], totals=res["findings"])
    elif key == "ijson-pyodide":
        res, rss = pyodide_job({"job": "ijson", "file": str(path), "chunk": chunk})
        extra["backend"] = res["backend"]
    elif key == "loads-pyodide":
        res, rss = pyodide_job({"job": "loads", "file": str(path)})
    elif key.endswith("-node"):
        res, rss = node_peer(key.removesuffix("-node"), path, chunk)
    elif key == "jq":
        got = jq_stream(path)
        if got is None:
            raise BenchError("jq is not installed")
        res, rss = got
    else:  # pragma: no cover - argparse restricts keys
        raise BenchError(f"unknown runner {key}")
    extra["seconds"] = round(res["seconds"], 3)
    extra["cpu_seconds"] = round(res["cpu_seconds"], 3)
    extra["rss_mb"] = round(rss, 1)
    if runtime == "pyodide":
        peak = res["heap_peak"] / MB
        extra["heap_before_mb"] = round(res["heap_before"] / MB, 1)
        extra["peak_kind"] = "wasm heap"
    else:
        peak = rss
        extra["peak_kind"] = "RSS"
    return Row(name, runtime, label, res["mb_per_s"], peak, extra)


def error_line(exc: BaseException) -> str:
    """The most telling line of a runner's failure (the Python exception, not the JS stack)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    named = [line for line in lines if re.match(r"^[\w.]*(Error|Exception)\b", line)]
    return (named or lines or [type(exc).__name__])[-1][:200]


def fmt(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x:,.{digits}f}"


def table_md(rows: list[Row], files: list[str]) -> str:
    """Markdown table: per file, every runner, with its speed relative to jsonm in Pyodide."""
    lines = ["| file | runner | runtime | MB/s | MB per CPU-s | peak MB | jsonm-Pyodide ÷ this |",
             "|---|---|---|---:|---:|---:|---:|"]
    for f in files:
        frows = [r for r in rows if r.extra.get("kind") is None and r.file.startswith(f.split(".")[0] + "-")
                 and r.file.endswith("." + f.split(".")[1])]
        ref = next((r.mb_per_s for r in frows if r.extra.get("runner") == "jsonm-pyodide" and r.mb_per_s), None)
        for r in frows:
            ratio = f"{ref / r.mb_per_s:.2f}×" if ref and r.mb_per_s else "—"
            peak = fmt(r.peak_mb) + (" (heap)" if r.runtime == "pyodide" and r.peak_mb else "")
            err = f" **failed: {r.extra['error']}**" if r.extra.get("error") else ""
            cpu = r.extra.get("cpu_seconds")
            per_cpu = fmt(r.extra["bytes"] / MB / cpu) if cpu and r.mb_per_s else "—"
            lines.append(f"| {r.file} | {r.name}{err} | {r.runtime} | {fmt(r.mb_per_s)} | {per_cpu} | {peak} | {ratio} |")
    return "\n".join(lines)


def ratios(rows: list[Row]) -> list[str]:
    """The issue's target ratios, computed from this run's table (jsonm in Pyodide vs the peers)."""
    main = {(r.extra.get("runner"), r.file.split("-")[0] + "." + r.file.rsplit(".", 1)[1]): r
            for r in rows if r.extra.get("kind") is None and r.mb_per_s}
    out = []
    for f in FILES:
        j = main.get(("jsonm-pyodide", f))
        if not j:
            continue
        parts = [f"{peer_name} **{j.mb_per_s / p.mb_per_s:.2f}×**" for key, peer_name in
                 (("ijson-pyodide", "ijson-python"), ("loads-pyodide", "json.loads"),
                  ("streamparser-node", "@streamparser/json"), ("stream-json-node", "stream-json"))
                 if (p := main.get((key, f)))]
        if parts:
            out.append(f"- {f}: jsonm in Pyodide {fmt(j.mb_per_s)} MB/s = " + ", ".join(parts))
    d, n = main.get(("jsonm-pyodide", "twitter.json")), main.get(("jsonm-pyodide", "twitter.ndjson"))
    if d and n and d.extra.get("records") and n.extra.get("records"):
        rd, rn = d.extra["records"] / d.extra["seconds"], n.extra["records"] / n.extra["seconds"]
        out.append(f"- NDJSON vs document (same statuses; NDJSON is compact, {n.extra['records'] / n.extra['bytes'] * d.extra['bytes'] / d.extra['records']:.2f}× "
                   f"the records per byte): {n.mb_per_s / d.mb_per_s:.2f}× the MB/s, {rn / rd:.2f}× the records/s "
                   f"({rn:,.0f} vs {rd:,.0f} records/s)")
    return out


def render(meta: dict, rows: list[Row], files: list[str], notes: dict[str, list[str]]) -> str:
    head = (f"Measured {meta['date']} on {meta['nproc']} × {meta['cpu']}, {meta['mem_gb']} GB; CPython "
            f"{meta['python']}, Pyodide 314 under Node {meta['node']}, jsonm_core {meta['jsonm_core']} "
            f"at {meta['commit']}{' + uncommitted engine changes' if meta['engine_uncommitted'] else ''} "
            f"(load average at start {meta['loadavg_at_start'][0]}); "
            f"inputs {inputs.size_label(meta['size'])} each, read/fed in {inputs.size_label(meta['chunk'])} chunks, "
            + ("generated from `../shared/corpus`." if meta["corpus"] == "corpus"
               else "**generated in code (no `../shared/corpus` on this machine)**."))
    out = [head, "", table_md(rows, files)]
    if r := ratios(rows):
        out += ["", "**Ratios (same run)**", "", *r]
    for title, lines in notes.items():
        out += ["", f"**{title}**", "", *lines]
    return "\n".join(out) + "\n"
