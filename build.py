#!/usr/bin/env python3
"""jsonm's build, run and test driver (standard library only).

    python3 build.py serve   # venv + install + build, then the local S3 endpoint, demo data and the page
    python3 build.py test    # everything above that tests need, plus Chromium, then every test layer
    python3 build.py build   # only (re)build the static site into build/web
    python3 build.py bench   # the benchmark harness (tests/bench)

Everything the page loads is vendored here from registry packages, pinned: Pyodide core from npm
``pyodide``, PyScript from npm ``@pyscript/core`` (+ its MicroPython interpreter), micropip and
packaging wheels from PyPI, ijson rebuilt as a pure wheel from its sdist, and our own wheel.  The
Pyodide lock file is regenerated with the real sha256 of what we ship, so integrity checks stay on
and nothing resolves to a CDN.  Each step is skipped when its inputs have not changed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
BUILD = ROOT / "build"
CACHE = BUILD / "cache"
NPM_DIR = BUILD / "npm"
WEB_OUT = BUILD / "web"
VENDOR = WEB_OUT / "vendor"
VENV = ROOT / ".venv"
VENV_PY = VENV / "bin" / "python"
CHROMIUM = Path("/usr/bin/chromium")

NPM_PACKAGES = {
    "pyodide": "314.0.7",
    "@pyscript/core": "0.7.31",
    "@micropython/micropython-webassembly-pyscript": "1.27.0",
}
# Pure wheels shipped to the browser beside Pyodide (target Python 3.14).
BROWSER_WHEELS = {"micropip": "0.11.1", "packaging": "26.1"}
IJSON_VERSION = "3.6.0"
# Pure wheels installed into Pyodide under Node to run the engine test suite there.
PYODIDE_TEST_WHEELS = ["pytest", "hypothesis"]
PYODIDE_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide.js"]
# Wheels the generated lock file lists; everything else in Pyodide's shipped lock is dropped so no
# package can resolve to a file we do not serve.
WHEEL_EPOCH = (2026, 1, 1, 0, 0, 0)


class BuildError(Exception):
    """A setup problem with one actionable line for the user."""


def log(msg: str) -> None:
    # Build chatter goes to stderr: `build.py bench --json` keeps stdout machine-readable.
    print(f"[build] {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    kw.setdefault("stdout", sys.stderr)
    try:
        return subprocess.run(cmd, check=True, **kw)
    except FileNotFoundError:
        raise BuildError(f"'{cmd[0]}' is not installed; install it and re-run") from None
    except subprocess.CalledProcessError as exc:
        raise BuildError(f"command failed ({exc.returncode}): {' '.join(map(str, cmd))}") from None


def digest(*paths: Path, extra: str = "") -> str:
    """Hash of file contents under ``paths``: the stamp that makes re-runs skip unchanged steps."""
    h = hashlib.sha256(extra.encode())
    for base in paths:
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for p in files:
            if "__pycache__" in p.parts:
                continue
            h.update(str(p.relative_to(ROOT)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def up_to_date(name: str, stamp: str) -> bool:
    f = CACHE / f"{name}.stamp"
    return f.exists() and f.read_text() == stamp


def mark_done(name: str, stamp: str) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / f"{name}.stamp").write_text(stamp)


# ---------------------------------------------------------------------------------------- tools
def check_tools(need_node: bool = True) -> None:
    if sys.version_info < (3, 11):
        raise BuildError(f"Python 3.11+ is required (this is {sys.version.split()[0]})")
    if need_node:
        for tool, hint in (("node", "apt-get install nodejs"), ("npm", "apt-get install npm")):
            if not shutil.which(tool):
                raise BuildError(f"'{tool}' not found: install Node.js 20+ with npm (e.g. {hint}) and re-run")
        major = int(subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip("v\n").split(".")[0])
        if major < 18:
            raise BuildError(f"Node.js 18+ is required for Pyodide (found {major}); upgrade node and re-run")


def ensure_chromium() -> None:
    if CHROMIUM.exists():
        return
    if not shutil.which("apt-get"):
        raise BuildError("Chromium is missing at /usr/bin/chromium and apt-get is unavailable: install Debian's 'chromium' package")
    if os.geteuid() != 0:
        raise BuildError("Chromium is missing: run 'sudo apt-get install -y chromium' (or re-run this as root)")
    log("installing Debian chromium (apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL)
    run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, stdout=subprocess.DEVNULL)


# ----------------------------------------------------------------------------------------- venv
def ensure_venv() -> None:
    """Create .venv and install the project with its test extras (editable) when pyproject changes."""
    stamp = digest(ROOT / "pyproject.toml", extra=sys.version)
    if VENV_PY.exists() and up_to_date("venv", stamp):
        return
    if not VENV_PY.exists():
        log("creating .venv")
        run([sys.executable, "-m", "venv", str(VENV)])
    log("installing jsonm-core[test] into .venv")
    run([str(VENV_PY), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", f"{ROOT}[test]"])
    mark_done("venv", stamp)


def pip_download(args: list[str], dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    run([str(VENV_PY if VENV_PY.exists() else sys.executable), "-m", "pip", "download", "-q",
         "--disable-pip-version-check", "-d", str(dest), *args])


# ------------------------------------------------------------------------------------ npm / pypi
def npm_install() -> Path:
    modules = NPM_DIR / "node_modules"
    stamp = json.dumps(NPM_PACKAGES, sort_keys=True)
    if modules.exists() and up_to_date("npm", stamp):
        return modules
    log("npm install " + " ".join(f"{k}@{v}" for k, v in NPM_PACKAGES.items()))
    NPM_DIR.mkdir(parents=True, exist_ok=True)
    (NPM_DIR / "package.json").write_text(json.dumps(
        {"name": "jsonm-vendor", "private": True, "dependencies": NPM_PACKAGES}, indent=2))
    run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NPM_DIR)
    mark_done("npm", stamp)
    return modules


def download_wheels() -> Path:
    """micropip/packaging for the browser and pytest/hypothesis for Pyodide-under-Node, py3 pure."""
    dest = CACHE / "wheels"
    stamp = json.dumps([BROWSER_WHEELS, PYODIDE_TEST_WHEELS, IJSON_VERSION])
    if up_to_date("wheels", stamp):
        return dest
    log("downloading pure wheels for Python 3.14 from PyPI")
    target = ["--only-binary=:all:", "--python-version", "3.14", "--platform", "any",
              "--implementation", "py", "--abi", "none"]
    pip_download([*target, "--no-deps", *(f"{k}=={v}" for k, v in BROWSER_WHEELS.items())], dest / "browser")
    pip_download([*target, *PYODIDE_TEST_WHEELS], dest / "pyodide-tests")
    pip_download(["--no-deps", "--no-binary=:all:", f"ijson=={IJSON_VERSION}"], dest / "sdist")
    mark_done("wheels", stamp)
    return dest


# ---------------------------------------------------------------------------------------- wheels
def write_wheel(out_dir: Path, name: str, version: str, files: dict[str, bytes], metadata: str,
                entry_points: str = "") -> Path:
    """A reproducible py3-none-any wheel (fixed timestamps, sorted entries, RECORD with hashes)."""
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    files = dict(files)
    files[f"{info}/METADATA"] = metadata.encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: jsonm-build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    if entry_points:
        files[f"{info}/entry_points.txt"] = entry_points.encode()
    record = []
    for path, data in sorted(files.items()):
        h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={h},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    out_dir.mkdir(parents=True, exist_ok=True)
    wheel = out_dir / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in sorted(files.items()):
            zi = zipfile.ZipInfo(path, WHEEL_EPOCH)
            zi.external_attr = 0o644 << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, data)
    return wheel


def core_version() -> str:
    for line in (ROOT / "jsonm_core" / "__init__.py").read_text().splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise BuildError("jsonm_core/__init__.py has no __version__")


def build_core_wheel(out_dir: Path) -> Path:
    files = {}
    for p in sorted((ROOT / "jsonm_core").rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc",):
            files[str(p.relative_to(ROOT))] = p.read_bytes()
    version = core_version()
    metadata = (
        "Metadata-Version: 2.1\nName: jsonm-core\n"
        f"Version: {version}\nSummary: Forensic, bounded-memory, resumable streaming JSON processing\n"
        "Requires-Python: >=3.11\nProvides-Extra: cloud\n"
        "Requires-Dist: boto3>=1.34; extra == \"cloud\"\nRequires-Dist: moto[server]>=5.0; extra == \"cloud\"\n"
    )
    return write_wheel(out_dir, "jsonm-core", version, files, metadata,
                       entry_points="[console_scripts]\njsonm = jsonm_core.cli:main\n")


def build_ijson_wheel(sdist_dir: Path, out_dir: Path) -> Path:
    """ijson publishes no pure wheel: repackage the sdist's Python sources (no C extension)."""
    sdist = next(sdist_dir.glob(f"ijson-{IJSON_VERSION}.tar.gz"))
    files = {}
    metadata = ""
    with tarfile.open(sdist) as tf:
        for m in tf.getmembers():
            parts = m.name.split("/")
            if m.isfile() and parts[-1] == "PKG-INFO" and len(parts) == 2:
                metadata = tf.extractfile(m).read().decode()
            if m.isfile() and len(parts) > 2 and parts[1] == "src" and parts[-1].endswith(".py"):
                files["/".join(parts[2:])] = tf.extractfile(m).read()
    if "ijson/backends/python.py" not in files:
        raise BuildError("ijson sdist layout changed: no src/ijson/backends/python.py")
    return write_wheel(out_dir, "ijson", IJSON_VERSION, files, metadata)


def sha256_file(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def write_lock(shipped_lock: Path, wheels: dict[str, tuple[str, Path, list[str], list[str]]], out: Path) -> None:
    """Pyodide's lock restricted to what we serve, each entry with the real sha256 of our file."""
    lock = json.loads(shipped_lock.read_text())
    packages = {}
    for name, (version, wheel, imports, depends) in sorted(wheels.items()):
        packages[name] = {
            "name": name, "version": version, "file_name": wheel.name, "install_dir": "site",
            "sha256": sha256_file(wheel), "package_type": "package", "imports": imports,
            "depends": depends, "unvendored_tests": False, "tool": {},
        }
    lock["packages"] = packages
    out.write_text(json.dumps(lock, indent=1, sort_keys=True))


# ------------------------------------------------------------------------------------------ site
def build_site() -> Path:
    check_tools()
    ensure_venv()
    modules = npm_install()
    wheels = download_wheels()
    stamp = digest(ROOT / "web", ROOT / "jsonm_core", wheels, extra=json.dumps(NPM_PACKAGES))
    if (WEB_OUT / "index.html").exists() and up_to_date("site", stamp):
        return WEB_OUT
    log("assembling build/web")
    if WEB_OUT.exists():
        shutil.rmtree(WEB_OUT)
    shutil.copytree(ROOT / "web", WEB_OUT)
    pyo = VENDOR / "pyodide"
    pyo.mkdir(parents=True)
    for f in PYODIDE_FILES:
        shutil.copy2(modules / "pyodide" / f, pyo / f)
    shutil.copytree(modules / "@pyscript" / "core" / "dist", VENDOR / "pyscript",
                    ignore=shutil.ignore_patterns("*.map"))
    shutil.copytree(modules / "@micropython" / "micropython-webassembly-pyscript", VENDOR / "micropython",
                    ignore=shutil.ignore_patterns("*.map", "package.json", "README*", "LICENSE*"))
    shipped = {}
    for name, version in BROWSER_WHEELS.items():
        whl = next((wheels / "browser").glob(f"{name}-{version}-*.whl"))
        shutil.copy2(whl, pyo / whl.name)
        shipped[name] = (version, pyo / whl.name, [name], [])
    ijson_whl = build_ijson_wheel(wheels / "sdist", pyo)
    shipped["ijson"] = (IJSON_VERSION, ijson_whl, ["ijson"], [])
    core_whl = build_core_wheel(pyo)
    shipped["jsonm-core"] = (core_version(), core_whl, ["jsonm_core"], ["ijson"])
    write_lock(modules / "pyodide" / "pyodide-lock.json", shipped, pyo / "pyodide-lock.json")
    (WEB_OUT / "build-info.json").write_text(json.dumps({
        "jsonm_core": core_version(), "core_wheel": core_whl.name, "npm": NPM_PACKAGES,
        "wheels": {k: v[1].name for k, v in shipped.items()},
    }, indent=1))
    mark_done("site", stamp)
    log(f"site ready: {WEB_OUT}")
    return WEB_OUT


# -------------------------------------------------------------------------------------- commands
def venv_run(args: list[str]) -> int:
    return subprocess.call([str(VENV_PY), *args], cwd=ROOT)


def cmd_build(_: argparse.Namespace) -> int:
    build_site()
    return 0


def cmd_serve(ns: argparse.Namespace) -> int:
    build_site()
    args = ["-m", "jsonm_core.devserve", "--web", str(WEB_OUT), "--port", str(ns.port),
            "--s3-port", str(ns.s3_port), "--workdir", str(BUILD / "demo")]
    return venv_run(args)


def cmd_test(ns: argparse.Namespace) -> int:
    build_site()
    ensure_chromium()
    return venv_run(["-m", "pytest", *ns.pytest_args])


def bench_wants_browser(args: list[str]) -> bool:
    """Does this bench run include the cold page load (the default extras do)?"""
    for i, a in enumerate(args):
        if a.startswith("--extras"):
            value = a.partition("=")[2] if "=" in a else (args[i + 1] if i + 1 < len(args) else "")
            return "pageload" in value.split(",")
    return True


def cmd_bench(ns: argparse.Namespace) -> int:
    build_site()
    if bench_wants_browser(ns.bench_args):
        try:
            ensure_chromium()
        except BuildError as exc:  # the other measurements still run; the page load row says why
            log(f"page load will not be measured: {exc}")
    return venv_run(["-m", "tests.bench", *ns.bench_args])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("build", help="build the static site into build/web").set_defaults(func=cmd_build)
    p = sub.add_parser("serve", help="local S3 endpoint + demo data + the page")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--s3-port", type=int, default=9000)
    p.set_defaults(func=cmd_serve)
    # Extra arguments (e.g. `test -k engine`, `bench --quick --json`) pass through untouched.
    sub.add_parser("test", help="all test layers (extra args go to pytest)").set_defaults(func=cmd_test, passthrough="pytest_args")
    sub.add_parser("bench", help="benchmarks against peers (extra args go to the harness)").set_defaults(func=cmd_bench, passthrough="bench_args")
    ns, extra = parser.parse_known_args(argv)
    if extra and not getattr(ns, "passthrough", None):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if getattr(ns, "passthrough", None):
        setattr(ns, ns.passthrough, extra[1:] if extra[:1] == ["--"] else extra)
    try:
        return ns.func(ns)
    except BuildError as exc:
        print(f"build.py: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
