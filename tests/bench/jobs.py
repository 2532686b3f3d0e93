"""The measured work, identical in CPython and inside Pyodide (no imports from the harness).

Each job reads its file in ``chunk``-byte pieces (as the worker reads a fetch stream), times only
the processing (interpreter boot and package install are excluded) and returns a JSON-able dict.
CPython runs it as ``python -m tests.bench.jobs '<job json>'``; pyodide_bench.mjs imports this file
from the mounted repo.  Peak memory is measured outside (RSS of the process, or the wasm heap).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import zlib

MB = 1 << 20


def _chunks(path: str, chunk: int, start: int = 0, end: int | None = None):
    with open(path, "rb") as f:
        f.seek(start)
        left = None if end is None else end - start
        while left is None or left > 0:
            data = f.read(chunk if left is None else min(chunk, left))
            if not data:
                return
            if left is not None:
                left -= len(data)
            yield data


def _gunzipped(path: str, chunk: int):
    d = zlib.decompressobj(wbits=31)
    for data in _chunks(path, chunk):
        out = d.decompress(data)
        if out:
            yield out
    tail = d.flush()
    if tail:
        yield tail


def canonical_report(report: dict) -> bytes:
    """The report without its "run" section, as canonical JSON: what must match across runtimes."""
    try:
        from jsonm_core.report import without_run
        report = without_run(report)
    except ImportError:  # pragma: no cover - before the engine lands
        report = {k: v for k, v in report.items() if k != "run"}
    return json.dumps(report, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _result(nbytes: int, seconds: float, **extra) -> dict:
    return {"bytes": nbytes, "seconds": seconds, "mb_per_s": nbytes / MB / seconds if seconds else None, **extra}


def run_jsonm(job: dict) -> dict:
    """jsonm's full forensic profile of the file (or of one part of it, or of its gzip form)."""
    from jsonm_core.engine import Engine

    chunk = job.get("chunk", MB)
    kwargs = {"format": job.get("format", "auto")}
    if job.get("part"):
        kwargs["part"] = job["part"]
    source = _gunzipped(job["gzip"], chunk) if job.get("gzip") else \
        _chunks(job["file"], chunk, *(job["part"]["start"], job["part"]["end"]) if job.get("part") else ())
    t0 = time.perf_counter()
    engine = Engine(**kwargs)
    n = 0
    for data in source:
        n += len(data)
        engine.feed(data)
    report = engine.finish()
    seconds = time.perf_counter() - t0
    canon = canonical_report(report)
    if job.get("report_out"):
        with open(job["report_out"], "wb") as f:
            f.write(canon)
    return _result(n, seconds, records=report.get("records", {}).get("count"),
                   report_sha256=hashlib.sha256(canon).hexdigest(),
                   findings=report.get("totals"), report=canon.decode() if job.get("return_report") else None)


def run_ijson(job: dict) -> dict:
    """ijson's pure-Python backend: every parse event of the file (the streaming baseline)."""
    import ijson

    backend = ijson.get_backend("python")
    multiple = job["file"].endswith(".ndjson")
    t0 = time.perf_counter()
    events = 0
    with open(job["file"], "rb") as f:
        for _ in backend.parse(f, buf_size=job.get("chunk", MB), multiple_values=multiple):
            events += 1
    seconds = time.perf_counter() - t0
    return _result(_size(job["file"]), seconds, events=events, backend=backend.backend_name)


def run_loads(job: dict) -> dict:
    """stdlib json.loads of the whole file at once (NDJSON: every line), i.e. unbounded memory."""
    t0 = time.perf_counter()
    with open(job["file"], "rb") as f:
        data = f.read()
    if job["file"].endswith(".ndjson"):
        values = [json.loads(line) for line in data.splitlines() if line]
    else:
        values = [json.loads(data)]
    seconds = time.perf_counter() - t0
    return _result(len(data), seconds, values=len(values))


def run_read(job: dict) -> dict:
    """Reading the file in chunks and nothing else: the I/O floor under every streaming job."""
    t0 = time.perf_counter()
    n = sum(len(d) for d in _chunks(job["file"], job.get("chunk", MB)))
    return _result(n, time.perf_counter() - t0)


def run_gunzip(job: dict) -> dict:
    """Decompressing the gzip file in chunks and nothing else."""
    t0 = time.perf_counter()
    n = sum(len(d) for d in _gunzipped(job["gzip"], job.get("chunk", MB)))
    return _result(n, time.perf_counter() - t0)


def run_gzip_ab(job: dict) -> dict:
    """jsonm on the raw file, jsonm on its gzip form, and gunzip alone, alternated ``repeat`` times in
    one process (the best of each kept), so that the decompression cost is not machine noise."""
    best: dict = {}
    for _ in range(job.get("repeat", 3)):
        for name, sub in (("raw", {"job": "jsonm", "file": job["file"]}),
                          ("gzip", {"job": "jsonm", "gzip": job["gzip"]}),
                          ("gunzip", {"job": "gunzip", "gzip": job["gzip"]})):
            res = JOBS[sub["job"]]({**sub, "chunk": job.get("chunk", MB)})
            res.pop("report", None)
            if name not in best or res["mb_per_s"] > best[name]["mb_per_s"]:
                best[name] = res
    return {**best, "bytes": best["raw"]["bytes"], "seconds": best["raw"]["seconds"], "mb_per_s": best["raw"]["mb_per_s"]}


def run_sections(job: dict) -> dict:
    """Where jsonm's time goes, by subtraction, in one process (best of ``repeat``): reading the
    file, UTF-8 decoding, the C json parser alone, the engine with profiling off (tokenising,
    records, findings), and the full engine (the per-path profile on top)."""
    from jsonm_core.engine import Engine

    path, chunk = job["file"], job.get("chunk", MB)
    ndjson = path.endswith(".ndjson")

    def decode():
        t0 = time.perf_counter()
        for d in _chunks(path, chunk):
            d.decode("utf-8", "replace")
        return time.perf_counter() - t0

    def engine(profile: bool):
        def go():
            t0 = time.perf_counter()
            e = Engine(profile=profile) if not profile else Engine()
            for d in _chunks(path, chunk):
                e.feed(d)
            e.finish()
            return time.perf_counter() - t0
        return go

    steps = {"read": lambda: run_read(job)["seconds"], "read+decode": decode,
             "read+json.loads": lambda: run_loads({"file": path})["seconds"],
             "engine, profile off": engine(False), "engine, full profile": engine(True)}
    size = _size(path)
    best = {name: min(fn() for _ in range(job.get("repeat", 2))) for name, fn in steps.items()}
    return {"bytes": size, "seconds": best["engine, full profile"],
            "mb_per_s": size / MB / best["engine, full profile"], "ndjson": ndjson,
            "sections": {k: {"seconds": v, "mb_per_s": size / MB / v} for k, v in best.items()}}


def run_profile(job: dict) -> dict:
    """cProfile of jsonm over the file: functions by own time, to find the engine's hot spots."""
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    res = run_jsonm(job)
    prof.disable()
    stats = pstats.Stats(prof)
    rows = []
    for (fname, line, func), (cc, nc, tt, ct, _) in stats.stats.items():
        rows.append({"func": f"{fname.rsplit('/', 2)[-1]}:{line}({func})", "calls": nc,
                     "tottime": tt, "cumtime": ct})
    rows.sort(key=lambda r: -r["tottime"])
    total = sum(r["tottime"] for r in rows) or 1.0
    for r in rows:
        r["share"] = r["tottime"] / total
    return {**res, "profile": rows[: job.get("top", 30)], "profile_total": total}


JOBS = {"jsonm": run_jsonm, "ijson": run_ijson, "loads": run_loads, "read": run_read,
        "gunzip": run_gunzip, "profile": run_profile, "gzip_ab": run_gzip_ab,
        "sections": run_sections}


def _size(path: str) -> int:
    with open(path, "rb") as f:
        return f.seek(0, 2)


def run(job_json: str) -> str:
    job = json.loads(job_json)
    __import__({"ijson": "ijson", "loads": "json"}.get(job["job"], "jsonm_core.engine"))  # not timed
    cpu0 = time.process_time()
    res = JOBS[job["job"]](job)
    res["cpu_seconds"] = time.process_time() - cpu0  # Pyodide's runner replaces it with Node's figure
    res["python"] = sys.version.split()[0]
    res["platform"] = sys.platform
    return json.dumps(res)


if __name__ == "__main__":
    print("BENCH " + run(sys.argv[1]), flush=True)
