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
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.bench import inputs
from tests.bench.extras import extra_flat, extra_gzip, extra_pageload, extra_profile, extra_workers
from tests.bench.runners import BENCH_BUILD, MB, ROOT, Row, node
from tests.bench.table import FILES, RUNNERS, error_line, log, measure, render

EXTRAS = ["flat", "workers", "gzip", "pageload", "profile"]
# key: (table name, runtime)


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
                                              for f in ("twitter.json", "twitter.ndjson", "citm.json", "rows.ndjson")]),
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
