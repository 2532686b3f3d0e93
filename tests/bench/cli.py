"""jsonm against its peers, in one run, on the same generated files.

    python3 build.py bench                         # the full run (64 MB inputs, 512 MB flat-memory check)
    python3 build.py bench -- --quick              # small sizes for development (8 MB, 8 vs 64 MB)
    python3 build.py bench -- --json               # one JSON object per line instead of the table
    python3 build.py bench -- --runners jsonm-pyodide,ijson-pyodide --files twitter.json --extras none
    .venv/bin/python -m tests.bench --quick        # the same without the build step

MB means MiB (2**20 bytes) everywhere.  Throughput counts the bytes of the file over the time the
runner spends reading and processing it (interpreter boot and package install excluded).  Peak
memory is the process's peak RSS for CPython / Node / native runners and the wasm heap (linear
memory, which never shrinks) for Pyodide runners.  Ratios between runners of the same run are what
count; absolute numbers depend on the machine.  The run is saved to build/bench/latest.{json,md}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.bench import inputs
from tests.bench.runners import (BENCH_BUILD, MB, ROOT, BenchError, Row, cpython_job, jq_stream, node,
                                 node_peer, pyodide_job)

REPORTS = BENCH_BUILD / "reports"
FILES = ["twitter.json", "twitter.ndjson", "citm.json"]
EXTRAS = ["flat", "workers", "gzip", "pageload", "profile"]
# key: (table name, runtime)
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


def parse_size(text: str) -> int:
    t = text.strip().upper().removesuffix("B")
    for suffix, mult in (("G", 1 << 30), ("M", MB), ("K", 1 << 10)):
        if t.endswith(suffix):
            return int(float(t[:-1]) * mult)
    return int(t)


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import jsonm_core
    nodev = subprocess.run([node(), "--version"], capture_output=True, text=True).stdout.strip()
    git = lambda *a: subprocess.run(["git", *a], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    from tests.bench import runners
    wheel = next((runners.WEB / "vendor" / "pyodide").glob("jsonm_core-*.whl"))
    return {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "nproc": os.cpu_count(),
            "cpu": cpu, "mem_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
            "python": platform.python_version(), "node": nodev, "jsonm_core": jsonm_core.__version__,
            "commit": git("rev-parse", "--short", "HEAD"),
            "engine_uncommitted": bool(git("status", "--porcelain", "--", "jsonm_core")),
            "wheel_sha256": hashlib.sha256(wheel.read_bytes()).hexdigest()[:16],
            "corpus": inputs.corpus_origin(), "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]}


def snapshot_web() -> None:
    """Run every Pyodide and page measurement on a private copy of build/web: a concurrent
    `build.py build` (which replaces build/web) must not change the wheel or the page mid-run."""
    from tests.bench import runners

    src = ROOT / "build" / "web"
    if not (src / "vendor" / "pyodide" / "pyodide-lock.json").exists():
        raise SystemExit("bench: build/web is missing: run `python3 build.py build` first")
    dst = BENCH_BUILD / "web"
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    runners.WEB = dst


# ------------------------------------------------------------------------------------ the table
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


# ------------------------------------------------------------------------------------- extras
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
            f"**×{two['mb_per_s'] / one['mb_per_s']:.2f}** (parts took "
            f"{', '.join(fmt(r['seconds'], 2) for r in two['results'])} s); CPU in the processing window "
            f"{one['cpu_seconds']:.2f} s vs {two['cpu_seconds']:.2f} s (×{two['cpu_seconds'] / one['cpu_seconds']:.2f}: "
            f"the work itself does not grow); load average {load:.1f} on {os.cpu_count()} cores; merged report identical "
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


# ---------------------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 build.py bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=parse_size, default=None, help="input size (default 64MB; --quick 8MB)")
    p.add_argument("--quick", action="store_true", help="small sizes for development")
    p.add_argument("--flat-sizes", default=None, help="sizes of the flat-memory check (default 64MB,512MB)")
    p.add_argument("--profile-size", type=parse_size, default=8 * MB)
    p.add_argument("--chunk", type=parse_size, default=MB, help="bytes per read/feed (default 1MB)")
    p.add_argument("--warm-chunk", type=parse_size, default=64 * MB, help="staging chunk size for gzip (64MB)")
    p.add_argument("--runners", default=",".join(RUNNERS), help=f"comma list from: {', '.join(RUNNERS)}")
    p.add_argument("--files", default=",".join(FILES), help=f"comma list from: {', '.join(FILES)}")
    p.add_argument("--extras", default=",".join(EXTRAS), help=f"comma list from {', '.join(EXTRAS)}, or none")
    p.add_argument("--repeat", type=int, default=1, help="runs per table cell; the best is kept")
    p.add_argument("--pageload-runs", type=int, default=3)
    p.add_argument("--json", action="store_true", help="one JSON object per line on stdout")
    p.add_argument("--out", type=Path, default=BENCH_BUILD / "latest",
                   help="save the run as OUT.md and OUT.json (default build/bench/latest)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--"]:  # `python3 build.py bench -- --quick`: build.py passes the separator on
        argv = argv[1:]
    ns = build_parser().parse_args(argv)
    size = ns.size or (8 * MB if ns.quick else 64 * MB)
    flat_sizes = [parse_size(s) for s in (ns.flat_sizes or ("8MB,64MB" if ns.quick else "64MB,512MB")).split(",")]
    runners = [] if ns.runners == "none" else [r for r in ns.runners.split(",") if r]
    files = [f for f in ns.files.split(",") if f]
    extras = [] if ns.extras == "none" else [e for e in ns.extras.split(",") if e]
    for bad, known, what in ((runners, RUNNERS, "runner"), (files, FILES, "file"), (extras, EXTRAS, "extra")):
        unknown = [x for x in bad if x not in known]
        if unknown:
            print(f"bench: unknown {what} {unknown[0]!r} (known: {', '.join(known)})", file=sys.stderr)
            return 2

    snapshot_web()
    meta = machine()
    meta.update(size=size, chunk=ns.chunk)
    origin = meta["corpus"]
    log(f"inputs from {'../shared/corpus' if origin == 'corpus' else 'GENERATED data (no ../shared/corpus here)'}")
    paths = {f: inputs.ensure(f, size) for f in files} if runners else {}
    rows: list[Row] = []
    notes: dict[str, list[str]] = {}
    failures = 0
    t_start = time.perf_counter()
    for f in paths:
        for key in runners:
            log(f"{key} on {paths[f].name}")
            try:
                row = measure(key, paths[f], ns.chunk, ns.repeat)
            except Exception as exc:  # one failed runner must not hide the others
                failures += 1
                log(f"FAILED {key} on {paths[f].name}: {exc}")
                row = Row(RUNNERS[key][0], RUNNERS[key][1], paths[f].name, None, None,
                          {"runner": key, "error": error_line(exc)})
            rows.append(row)
            if ns.json:
                print(json.dumps(row.as_json()), flush=True)

    steps = {
        "flat": ("Flat memory (jsonm, twitter document)", lambda: extra_flat(flat_sizes, ns.chunk)),
        "workers": ("1 vs 2 workers (Node worker_threads, Pyodide + jsonm each, record-aligned halves)",
                    lambda: [x for f in ("twitter.json", "twitter.ndjson")
                             for x in [extra_workers(inputs.ensure(f, size))]]),
        "gzip": ("gzip warm chunks", lambda: [extra_gzip(inputs.ensure(f, size), ns.chunk, ns.warm_chunk)
                                              for f in ("twitter.json", "twitter.ndjson", "citm.json")]),
        "pageload": ("Cold page load (headless Chromium, the browser tests' flags)",
                     lambda: extra_pageload(ns.pageload_runs, inputs.ensure("twitter.ndjson", 8 * MB))),
        "profile": ("Profile of jsonm (cProfile, own time)",
                    lambda: extra_profile([inputs.ensure(f, ns.profile_size) for f in ("twitter.json", "twitter.ndjson")],
                                          ns.chunk, 20)),
    }
    for name in extras:
        title, step = steps[name]
        log(f"extra: {name}")
        try:
            got = step()
            parts = got if isinstance(got, list) else [got]
            notes[title] = []
            for erows, enotes in parts:
                for r in erows:
                    r.extra.setdefault("kind", name)
                    rows.append(r)
                    if ns.json:
                        print(json.dumps(r.as_json()), flush=True)
                notes[title].extend(enotes)
        except Exception as exc:  # one failed extra must not hide the others
            failures += 1
            log(f"FAILED extra {name}: {type(exc).__name__}: {exc}")
            notes[title] = [f"- failed: {type(exc).__name__}: {str(exc).splitlines()[-1][:300] if str(exc) else ''}"]

    meta["seconds"] = round(time.perf_counter() - t_start, 1)
    md = render(meta, rows, files, notes)
    ns.out.parent.mkdir(parents=True, exist_ok=True)
    ns.out.with_suffix(".md").write_text(md)
    ns.out.with_suffix(".json").write_text(json.dumps({"meta": meta, "rows": [r.as_json() for r in rows],
                                                       "notes": notes}, indent=1))
    if not ns.json:
        print(md)
    log(f"saved {ns.out}.md and .json ({meta['seconds']} s)")
    return 1 if failures else 0


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
