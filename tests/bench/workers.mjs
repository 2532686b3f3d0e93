// N Node worker_threads, each with its own Pyodide + jsonm (as the page's Web Workers), processing
// one part each of the same file.
//
//   node workers.mjs <build/web dir> <repo root> <file> '<parts json>'
//
// parts: a JSON list, one entry per worker: null (the whole file, plain Engine) or a manifest-style
// part {"index","start","end","context"}.  Every worker boots first; the clock starts when all are
// ready and stops when the last one has finished, so boot is excluded exactly as for one worker.
// The round runs <repeat> times (default 3) on the same booted workers and the fastest round counts,
// as for the single-process measurements (best of N: a shared machine's hiccups inflate one round).
// Prints "BENCH {json}" with the wall time, total bytes, each worker's result and canonical report.
import path from "node:path";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { bootPyodide, heapBytes, importJobs } from "./pyodide_bench.mjs";

const self = fileURLToPath(import.meta.url);

if (isMainThread) {
  const [webDir, repoRoot, file, partsJson, repeatArg] = process.argv.slice(2);
  const parts = JSON.parse(partsJson);
  const repeat = Math.max(1, Number(repeatArg || 3));
  const workers = parts.map(() => new Worker(self, { workerData: { webDir, repoRoot } }));
  const next = (w) => new Promise((resolve, reject) => {
    w.once("message", resolve);
    w.once("error", reject);
  });
  const boots = await Promise.all(workers.map(next));
  let wall = Infinity, cpu = null, results = null;
  const rounds = [];
  for (let round = 0; round < repeat; round++) {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();   // process-wide: every worker thread, processing window only
    const res = await Promise.all(workers.map((w, i) => {
      const done = next(w);
      w.postMessage({ job: "jsonm", file, part: parts[i], return_report: true });
      return done;
    }));
    const seconds = (performance.now() - t0) / 1000;
    rounds.push(seconds);
    if (seconds < wall) {
      wall = seconds;
      cpu = process.cpuUsage(cpu0);
      results = res;
    }
  }
  const bytes = results.reduce((n, r) => n + r.bytes, 0);
  for (const w of workers) await w.terminate();
  console.log("BENCH " + JSON.stringify({
    workers: parts.length, wall_seconds: wall, round_seconds: rounds, bytes, mb_per_s: bytes / 1048576 / wall,
    cpu_seconds: (cpu.user + cpu.system) / 1e6,
    boot_seconds: boots.map((b) => b.boot_seconds),
    results: results.map(({ report, ...r }) => r),
    reports: results.map((r) => r.report),
  }));
} else {
  const { webDir, repoRoot } = workerData;
  const { pyodide, bootSeconds } = await bootPyodide(webDir, [repoRoot, path.resolve(repoRoot, "..", "shared")]);
  const jobs = importJobs(pyodide, path.join(repoRoot, "tests", "bench"));
  parentPort.postMessage({ boot_seconds: bootSeconds });
  parentPort.on("message", (job) => {
    const res = JSON.parse(jobs.run(JSON.stringify(job)));
    parentPort.postMessage({ ...res, heap_peak: heapBytes(pyodide) });
  });
}
