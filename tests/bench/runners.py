"""Runners: each measurement is one child process (so its peak memory is its own), whose last
"BENCH {json}" stdout line is its result; peak RSS comes from the kernel (os.wait4's rusage)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
WEB = ROOT / "build" / "web"
BENCH_BUILD = ROOT / "build" / "bench"
NPM_DIR = BENCH_BUILD / "npm"
VENV_PY = ROOT / ".venv" / "bin" / "python"
MB = 1 << 20

# The JavaScript peers, pinned (installed by the harness into build/bench/npm).
NPM_PEERS = {"@streamparser/json": "0.0.26", "stream-json": "3.8.0"}


class BenchError(RuntimeError):
    """A runner failed: the message names it and carries the tail of its output."""


@dataclass
class Row:
    """One measured line of the table (``--json`` prints it as one object)."""

    name: str
    runtime: str
    file: str
    mb_per_s: float | None
    peak_mb: float | None
    extra: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"name": self.name, "runtime": self.runtime, "file": self.file,
                "mb_per_s": None if self.mb_per_s is None else round(self.mb_per_s, 3),
                "peak_mb": None if self.peak_mb is None else round(self.peak_mb, 1), **self.extra}


def run_child(cmd: list[str], timeout: float = 3600, cwd: Path = ROOT) -> tuple[dict, float, float]:
    """Run ``cmd``; return (its BENCH result, its peak RSS in MB, wall seconds)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd)
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    lines = [line for line in stdout.splitlines() if line.startswith("BENCH ")]
    if proc.returncode != 0 or not lines:
        tail = (stdout[-1500:] + "\n" + stderr[-2500:]).strip()
        raise BenchError(f"{' '.join(map(str, cmd[:3]))}… exited {proc.returncode}:\n{tail}")
    return json.loads(lines[-1][len("BENCH "):]), usage.ru_maxrss / 1024, wall


def node() -> str:
    exe = shutil.which("node")
    if not exe:
        raise BenchError("node is required (Node.js 20+)")
    return exe


def ensure_npm_peers() -> Path:
    """npm install the pinned peers into build/bench/npm (skipped when already there)."""
    modules = NPM_DIR / "node_modules"
    stamp = NPM_DIR / "installed.json"
    want = json.dumps(NPM_PEERS, sort_keys=True)
    if modules.is_dir() and stamp.exists() and stamp.read_text() == want:
        return modules
    NPM_DIR.mkdir(parents=True, exist_ok=True)
    (NPM_DIR / "package.json").write_text(json.dumps(
        {"name": "jsonm-bench-peers", "private": True, "dependencies": NPM_PEERS}, indent=2))
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NPM_DIR,
                   check=True, stdout=subprocess.DEVNULL)
    stamp.write_text(want)
    return modules


def cpython_job(job: dict, timeout: float = 3600) -> tuple[dict, float]:
    """A jobs.py job in a fresh CPython (the venv's): (result, peak RSS MB)."""
    res, rss, _ = run_child([str(VENV_PY), "-m", "tests.bench.jobs", json.dumps(job)], timeout)
    return res, rss


def pyodide_job(job: dict, timeout: float = 3600) -> tuple[dict, float]:
    """A jobs.py job inside Pyodide under Node: (result with heap_before/heap_peak, peak RSS MB)."""
    if not (WEB / "vendor" / "pyodide" / "pyodide-lock.json").exists():
        raise BenchError("build/web is missing: run `python3 build.py build` first")
    res, rss, _ = run_child([node(), str(HERE / "pyodide_bench.mjs"), str(WEB), str(ROOT), json.dumps(job)], timeout)
    return res, rss


def node_peer(peer: str, path: Path, chunk: int, timeout: float = 3600) -> tuple[dict, float]:
    modules = ensure_npm_peers()
    res, rss, _ = run_child([node(), str(HERE / "node_peers.mjs"), str(modules), peer, str(path), str(chunk)], timeout)
    return res, rss


def jq_stream(path: Path, timeout: float = 3600) -> tuple[dict, float] | None:
    """``jq --stream`` counting its events (C, streaming); None when jq is not installed."""
    jq = shutil.which("jq")
    if not jq:
        return None
    cmd = [sys.executable, "-c", (
        "import subprocess,sys,time,json,os,resource;t=time.perf_counter();"
        "o=subprocess.run([sys.argv[1],'-n','--stream','reduce inputs as $e (0; .+1)',sys.argv[2]],"
        "capture_output=True,check=True).stdout;s=time.perf_counter()-t;b=os.path.getsize(sys.argv[2]);"
        "u=resource.getrusage(resource.RUSAGE_CHILDREN);"
        "print('BENCH '+json.dumps({'events':int(o),'bytes':b,'seconds':s,'mb_per_s':b/1048576/s,"
        "'cpu_seconds':u.ru_utime+u.ru_stime,'maxrss_kb':u.ru_maxrss}))"), jq, str(path)]
    res, _, _ = run_child(cmd, timeout)
    return res, res["maxrss_kb"] / 1024  # jq's own peak, not the wrapper's


def workers_run(path: Path, parts: list[dict | None], timeout: float = 3600,
                repeat: int = 3) -> tuple[dict, float]:
    """Node worker_threads, one Pyodide + jsonm per part, all started together after boot; the
    fastest of ``repeat`` rounds on the same workers."""
    res, rss, _ = run_child([node(), str(HERE / "workers.mjs"), str(WEB), str(ROOT), str(Path(path).resolve()),
                             json.dumps(parts), str(repeat)], timeout)
    return res, rss
