// Engine worker: loads the vendored Pyodide, installs jsonm_core (and ijson) with micropip from
// this origin through the generated lock file, and reports what it runs.
import { loadPyodide } from "./vendor/pyodide/pyodide.mjs";

const indexURL = new URL("./vendor/pyodide/", import.meta.url).href;

async function boot() {
  const pyodide = await loadPyodide({ indexURL, lockFileURL: indexURL + "pyodide-lock.json" });
  await pyodide.loadPackage("micropip");
  await pyodide.runPythonAsync(`import micropip\nawait micropip.install("jsonm-core")`);
  const info = pyodide.runPython(`import jsonm_core, ijson\n[jsonm_core.__version__, ijson.backend]`).toJs();
  postMessage({ type: "ready", version: info[0], ijson_backend: info[1] });
}

boot().catch((err) => postMessage({ type: "error", message: String(err && err.message || err) }));
