// Engine worker: loads the vendored Pyodide, installs jsonm_core (and ijson) with micropip from
// this origin through the generated lock file, then runs web/worker.py (module `jsonm_worker`),
// which fetches parts, feeds the engine and keeps checkpoints in IndexedDB (web/idb.js).
// This file only boots and relays messages; all decisions are Python's.
import { loadPyodide } from "./vendor/pyodide/pyodide.mjs";
import * as idb from "./idb.js";

const indexURL = new URL("./vendor/pyodide/", import.meta.url).href;
const t0 = performance.now();
let handler = null;
const early = [];

self.onmessage = (event) => {
  if (handler) handler(event.data);
  else early.push(event.data);
};

async function boot() {
  const pyodide = await loadPyodide({ indexURL, lockFileURL: indexURL + "pyodide-lock.json" });
  await pyodide.loadPackage("micropip");
  await pyodide.runPythonAsync(`import micropip\nawait micropip.install("jsonm-core")`);
  pyodide.registerJsModule("jsonm_idb", idb);
  // WebAssembly memory of this worker's Pyodide (it only grows): the page shows it, the worker's
  // memory-pressure rule reads it.
  self.jsonmWasmBytes = () => pyodide._module.HEAPU8.length;
  const source = await (await fetch(new URL("./worker.py", import.meta.url))).text();
  pyodide.FS.writeFile("/home/pyodide/jsonm_worker.py", source);
  const mod = pyodide.pyimport("jsonm_worker");
  mod.boot_ms = performance.now() - t0;
  const dispatch = mod.dispatch;
  handler = (msg) => dispatch(msg);
  mod.announce();
  for (const msg of early.splice(0)) handler(msg);
}

boot().catch((err) => postMessage(JSON.stringify({ type: "error", message: String((err && err.message) || err) })));
