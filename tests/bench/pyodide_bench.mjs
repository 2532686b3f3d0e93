// One benchmark job inside Pyodide under Node, on the built wheel, the way the browser worker runs it.
//
//   node pyodide_bench.mjs <build/web dir> <repo root> '<job json>'
//
// Boots the vendored Pyodide, micropip-installs jsonm-core (and its ijson dependency) through the
// generated pyodide-lock.json, mounts the repo and the scratch data dir at their host paths (NODEFS),
// imports tests/bench/jobs.py from the mount and runs the job.  Prints one line
// "BENCH {json}": the job's own result plus the wasm heap (linear memory never shrinks, so its final
// size is the peak) before and after the job.  Boot time is reported, never counted as processing.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

export async function bootPyodide(webDir, mounts) {
  const t0 = performance.now();
  const pyodideDir = path.join(webDir, "vendor", "pyodide") + path.sep;
  const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
  const pyodide = await loadPyodide({
    indexURL: pyodideDir,
    lockFileURL: path.join(pyodideDir, "pyodide-lock.json"),
    stdout: (s) => console.error(s),
    stderr: (s) => console.error(s),
  });
  await pyodide.loadPackage("micropip", { messageCallback: () => {} });
  for (const host of mounts.filter((p) => fs.existsSync(p))) {
    pyodide.FS.mkdirTree(host);
    pyodide.mountNodeFS(host, host);
  }
  await pyodide.runPythonAsync(`
import micropip
await micropip.install("jsonm-core")      # resolved from our lock file, with ijson
`);
  return { pyodide, bootSeconds: (performance.now() - t0) / 1000 };
}

export function heapBytes(pyodide) {
  return pyodide._module.HEAP8.buffer.byteLength;
}

export function importJobs(pyodide, benchDir) {
  pyodide.globals.set("BENCH_DIR", benchDir);
  pyodide.runPython(`
import sys
if BENCH_DIR not in sys.path:
    sys.path.insert(0, BENCH_DIR)
import jobs, jsonm_core, jsonm_core.engine, ijson   # imported before any timing
`);
  return pyodide.globals.get("jobs");
}

async function main() {
  const [webDir, repoRoot, jobJson] = process.argv.slice(2);
  const benchDir = path.join(repoRoot, "tests", "bench");
  const job = JSON.parse(jobJson);
  const mounts = [repoRoot, path.resolve(repoRoot, "..", "shared")];
  const { pyodide, bootSeconds } = await bootPyodide(webDir, mounts);
  const jobs = importJobs(pyodide, benchDir);
  const heapBefore = heapBytes(pyodide);
  const cpu0 = process.cpuUsage();
  const res = JSON.parse(jobs.run(jobJson));
  const cpu = process.cpuUsage(cpu0);
  res.cpu_seconds = (cpu.user + cpu.system) / 1e6;
  const heapAfter = heapBytes(pyodide);
  const version = pyodide.runPython("jsonm_core.__version__");
  console.log("BENCH " + JSON.stringify({
    ...res, heap_before: heapBefore, heap_peak: heapAfter, boot_seconds: bootSeconds,
    jsonm_core: version, pyodide: pyodide.version, job: job.job,
  }));
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => { console.error(err && err.stack || String(err)); process.exit(1); });
}
