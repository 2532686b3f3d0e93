// Runs pytest inside Pyodide under Node, against the *built wheel* (not the source tree), so a
// passing run means jsonm_core works where the browser worker runs it.
//
//   node run_in_pyodide.mjs <build/web dir> <test-wheels dir> <repo root> [pytest args...]
//
// The repo and ../shared are mounted at their host paths (NODEFS) so tests find the corpus the
// same way as in CPython; jsonm_core itself is installed with micropip through the generated
// pyodide-lock.json, exactly as in the worker.  Exit status is pytest's.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [webDir, testWheels, repoRoot, ...pytestArgs] = process.argv.slice(2);
const pyodideDir = path.join(webDir, "vendor", "pyodide") + path.sep;
const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);

const pyodide = await loadPyodide({
  indexURL: pyodideDir,
  lockFileURL: path.join(pyodideDir, "pyodide-lock.json"),
});
// Raw byte writes keep pytest's progress output intact (the default is line-buffered per call).
pyodide.setStdout({ write: (buf) => { process.stdout.write(buf); return buf.length; } });
pyodide.setStderr({ write: (buf) => { process.stderr.write(buf); return buf.length; } });
await pyodide.loadPackage("micropip", { messageCallback: () => {} });

const mounts = [repoRoot, path.resolve(repoRoot, "..", "shared")].filter((p) => fs.existsSync(p));
for (const host of mounts) {
  pyodide.FS.mkdirTree(host);
  pyodide.mountNodeFS(host, host);
}
pyodide.FS.mkdirTree("/test-wheels");
for (const f of fs.readdirSync(testWheels).filter((f) => f.endsWith(".whl"))) {
  pyodide.FS.writeFile(`/test-wheels/${f}`, fs.readFileSync(path.join(testWheels, f)));
}

pyodide.globals.set("PYTEST_ARGS", pyodide.toPy(pytestArgs));
const status = await pyodide.runPythonAsync(`
import os, sys, micropip
await micropip.install("jsonm-core")                       # resolved from our lock file
await micropip.install(["emfs:/test-wheels/" + f for f in sorted(os.listdir("/test-wheels"))], deps=False)
import jsonm_core, ijson
assert "site-packages" in jsonm_core.__file__, jsonm_core.__file__
print(f"jsonm_core {jsonm_core.__version__} from {jsonm_core.__file__}; ijson backend {ijson.backend}; {sys.version.split()[0]} on {sys.platform}")
import pytest
int(pytest.main(["-p", "no:cacheprovider", *PYTEST_ARGS]))
`);
process.exit(status);
