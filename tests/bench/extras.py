"""The measurements beside the table: flat memory, 1 vs 2 workers, gzip warm chunks, cold page
load, and where jsonm's time goes inside Pyodide.  Each returns (rows, markdown lines)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.bench import inputs
from tests.bench.runners import MB, Row, cpython_job, pyodide_job
from tests.bench.table import RUNNERS, fmt, log, measure


def extra_flat(sizes: list[int], chunk: int) -> tuple[list[Row], list[str]]:
    """jsonm's peak memory on the twitter document at two sizes (both runtimes)."""
    rows, notes = [], []
    for key in ("jsonm-pyodide", "jsonm-cpython"):
        peaks = []
        for size in sizes:
            path = inputs.ensure("twitter.json", size)
            log(f"flat-memory: {key} on {path.name}")
            row = measure(key, path, chunk)
            row.extra["kind"] = "flat-memory"
            rows.append(row)
            peaks.append(row.peak_mb)
        base = rows[-len(sizes)].extra.get("heap_before_mb")
        notes.append(f"- {RUNNERS[key][1]}: peak {' → '.join(fmt(p) for p in peaks)} MB at "
                     f"{' → '.join(inputs.size_label(s) for s in sizes)} input: ×{peaks[-1] / peaks[0]:.2f}"
                     + (f" (heap after boot {base} MB)" if base else ""))
    return rows, notes


def split_parts(path: Path, n: int) -> list[dict]:
    """n record-aligned parts of the file, cut with the engine's own boundary scanner (the cut
    nearest each n-th of the file), as manifest parts: ``{"index", "start", "end", "context"}``."""
    from jsonm_core import scanner

    size = path.stat().st_size
    scan = scanner.BoundaryScanner(format="auto", min_gap=max(64 << 10, size // (8 * n)))
    boundaries = []
    with open(path, "rb") as f:
        while data := f.read(4 * MB):
            boundaries.extend(scan.feed(data))
    boundaries.extend(scan.finish())
    cuts = []
    for i in range(1, n):
        target = size * i // n
        b = min((b for b in boundaries if 0 < b.offset < size), key=lambda b: abs(b.offset - target))
        cuts.append(b)
    starts = [(0, None)] + [(b.offset, b.context) for b in cuts]
    ends = [b.offset for b in cuts] + [size]
    return [{"index": i, "start": s, "end": e, "context": c, "last": i == n - 1}
            for i, ((s, c), e) in enumerate(zip(starts, ends))]


def extra_workers(path: Path) -> tuple[list[Row], list[str]]:
    """1 vs 2 Node worker_threads running Pyodide + jsonm; the merged 2-part report must equal the whole."""
    from tests.bench.runners import workers_run

    parts = split_parts(path, 2)
    log(f"workers: {path.name} split at {[p['start'] for p in parts]}")
    one, rss1 = workers_run(path, [None])
    two, rss2 = workers_run(path, parts)
    load = os.getloadavg()[0]
    identical = None
    try:
        from jsonm_core.report import merge
        merged = merge(json.loads(two["reports"][0]), json.loads(two["reports"][1]))
        from tests.bench.jobs import canonical_report
        identical = canonical_report(merged) == one["reports"][0].encode()
    except Exception as exc:  # the comparison is reported, never fatal to the benchmark
        identical = f"merge failed: {exc}"
    rows = [Row("jsonm, 1 worker", "node-worker+pyodide", path.name, one["mb_per_s"], rss1,
                {"kind": "workers", "workers": 1, "seconds": round(one["wall_seconds"], 3), "peak_kind": "RSS",
                 "cpu_seconds": round(one["cpu_seconds"], 3)}),
            Row("jsonm, 2 workers", "node-worker+pyodide", path.name, two["mb_per_s"], rss2,
                {"kind": "workers", "workers": 2, "seconds": round(two["wall_seconds"], 3), "peak_kind": "RSS",
                 "cpu_seconds": round(two["cpu_seconds"], 3), "loadavg": round(load, 2),
                 "merged_report_identical": identical,
                 "part_seconds": [round(r["seconds"], 3) for r in two["results"]]})]
    note = (f"- {path.name}: 1 worker {fmt(one['mb_per_s'])} MB/s, 2 workers {fmt(two['mb_per_s'])} MB/s: "
            f"**×{two['mb_per_s'] / one['mb_per_s']:.2f}** (fastest of {len(two['round_seconds'])} rounds on "
            f"the same booted workers: 1 worker {', '.join(fmt(x, 2) for x in one['round_seconds'])} s, "
            f"2 workers {', '.join(fmt(x, 2) for x in two['round_seconds'])} s; its parts took "
            f"{', '.join(fmt(r['seconds'], 2) for r in two['results'])} s); CPU in the processing window "
            f"{one['cpu_seconds']:.2f} s vs {two['cpu_seconds']:.2f} s (×{two['cpu_seconds'] / one['cpu_seconds']:.2f}"
            f"); load average {load:.1f} on {os.cpu_count()} cores; merged report identical "
            f"to one worker's: {identical}")
    return rows, [note]


def extra_gzip(path: Path, chunk: int, warm_chunk: int) -> tuple[list[Row], list[str]]:
    """Warm chunks gzip'd as staging stores them (level 6, mtime 0) vs raw; jsonm on gzip in Pyodide."""
    import gzip

    size = path.stat().st_size
    gz_path = path.with_name(path.name + ".gz")
    raw_total = gz_total = 0
    with open(path, "rb") as f:
        while data := f.read(warm_chunk):
            raw_total += len(data)
            gz_total += len(gzip.compress(data, 6, mtime=0))
    if not gz_path.exists():
        with open(path, "rb") as f:
            gz_path.write_bytes(gzip.compress(f.read(), 6, mtime=0))
    ab, _ = pyodide_job({"job": "gzip_ab", "file": str(path), "gzip": str(gz_path), "chunk": chunk, "repeat": 3})
    raw, gzr, gun = ab["raw"], ab["gzip"], ab["gunzip"]
    heap = ab["heap_peak"] / MB
    same = raw["report_sha256"] == gzr["report_sha256"]
    cost = 1 - gzr["mb_per_s"] / raw["mb_per_s"]
    rows = [Row("jsonm on raw bytes", "pyodide", path.name, raw["mb_per_s"], heap, {"kind": "gzip"}),
            Row("jsonm on gzip (zlib in wasm)", "pyodide", path.name, gzr["mb_per_s"], heap,
                {"kind": "gzip", "wire_ratio": round(gz_total / raw_total, 4), "decompression_cost": round(cost, 4),
                 "report_identical": same}),
            Row("gunzip only (zlib in wasm)", "pyodide", path.name, gun["mb_per_s"], heap, {"kind": "gzip"})]
    notes = [f"- {path.name}: {inputs.size_label(warm_chunk)} warm chunks gzip'd = **{100 * gz_total / raw_total:.1f}%** "
             f"of raw bytes ({fmt(gz_total / MB)} of {fmt(size / MB)} MB); jsonm in Pyodide (best of 3, alternated in one "
             f"process) {fmt(raw['mb_per_s'])} MB/s on raw vs {fmt(gzr['mb_per_s'])} MB/s decompressing in wasm: decompression costs "
             f"**{100 * cost:.1f}%** of throughput (gunzip alone {fmt(gun['mb_per_s'])} MB/s); report identical: {same}"]
    return rows, notes


def extra_pageload(runs: int, data: Path) -> tuple[list[Row], list[str]]:
    """Cold loads of the page (fresh context each), 1 and 2 workers, on a job staged from ``data``."""
    from tests.bench import runners
    from tests.bench.pageload import cold_loads

    rows, notes = [], []
    for workers in (1, 2):
        res = cold_loads(runs, data=data, workers=workers, web=runners.WEB)
        rows.append(Row(f"cold page load, {workers} worker(s)", "chromium", data.name, None, None,
                        {"kind": "pageload", "workers": workers,
                         "ready_median_ms": round(res["ready_median_ms"]),
                         "first_byte_median_ms": round(res["first_byte_median_ms"]),
                         "ready_runs_ms": [round(t) for t in res["ready_runs_ms"]],
                         "first_byte_runs_ms": [round(t) for t in res["first_byte_runs_ms"]],
                         "transferred_mb": round(res["transferred_mb"], 1)}))
        notes.append(
            f"- {workers} worker(s), ×{runs} cold loads (fresh context, `?manifest=…&autostart=1`, job staged on "
            f"the local S3 endpoint from {data.name}): navigation → engine ready median "
            f"**{res['ready_median_ms'] / 1000:.2f} s**, → first processed byte median "
            f"**{res['first_byte_median_ms'] / 1000:.2f} s** (runs: "
            f"{', '.join(f'{t / 1000:.2f}' for t in res['first_byte_runs_ms'])} s; "
            f"{res['transferred_mb']:.1f} MB of runtime transferred before the data)")
    return rows, notes


def extra_profile(paths: list[Path], chunk: int, top: int) -> tuple[list[Row], list[str]]:
    """cProfile of jsonm inside Pyodide (and CPython on the first file, for contrast)."""
    notes, rows = ["Sections inside Pyodide, whole file, best of 2 in one process (every step includes reading the file; shares are of the full engine's time):", "",
                   "| file | read | + UTF-8 decode | json.loads (C parser floor) | engine, profile off | engine, full profile |",
                   "|---|---:|---:|---:|---:|---:|"], []
    for path in paths:
        res, _ = pyodide_job({"job": "sections", "file": str(path), "chunk": chunk})
        sec = res["sections"]
        rows.append(Row("jsonm sections", "pyodide", path.name, res["mb_per_s"], None, {"kind": "profile", "sections": sec}))
        full = sec["engine, full profile"]["seconds"]
        notes.append(f"| {path.name} | " + " | ".join(
            f"{v['seconds']:.3f} s ({100 * v['seconds'] / full:.0f}%)" for v in sec.values()) + " |")
    notes.append("")
    runs = [("pyodide", pyodide_job, p) for p in paths] + [("cpython", cpython_job, paths[0])]
    for key, runner, path in runs:
        res, _ = runner({"job": "profile", "file": str(path), "chunk": chunk, "top": top})
        rows.append(Row("jsonm under cProfile", key, path.name, res["mb_per_s"], None,
                        {"kind": "profile", "profile": res["profile"], "profile_total_s": round(res["profile_total"], 3)}))
        notes.append(f"\n{key}: {path.name}, {fmt(res['mb_per_s'], 2)} MB/s under cProfile, "
                     f"{res['profile_total']:.2f} s profiled\n")
        notes.append("| own time | share | calls | function |\n|---:|---:|---:|---|")
        for r in res["profile"]:
            notes.append(f"| {r['tottime']:.3f} s | {100 * r['share']:.1f}% | {r['calls']:,} | `{r['func']}` |")
    return rows, notes
