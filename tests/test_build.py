"""The build driver: offline vendoring, the generated Pyodide lock, reproducible wheels, clear setup errors."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYODIDE_DIR = ROOT / "build" / "web" / "vendor" / "pyodide"
SHIPPED_LOCK = ROOT / "build" / "npm" / "node_modules" / "pyodide" / "pyodide-lock.json"


def load_build_module():
    spec = importlib.util.spec_from_file_location("jsonm_build", ROOT / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def lock() -> dict:
    path = PYODIDE_DIR / "pyodide-lock.json"
    if not path.exists():
        pytest.fail("build/web is missing: run `python3 build.py build`")
    return json.loads(path.read_text())


def test_lock_lists_exactly_the_wheels_we_serve_with_real_hashes(lock):
    assert set(lock["packages"]) == {"micropip", "packaging", "ijson", "jsonm-core"}
    for name, entry in lock["packages"].items():
        assert "://" not in entry["file_name"] and "/" not in entry["file_name"], entry
        served = PYODIDE_DIR / entry["file_name"]
        assert served.exists(), f"{name}: {served} is not served"
        assert hashlib.sha256(served.read_bytes()).hexdigest() == entry["sha256"], name
    assert lock["packages"]["jsonm-core"]["depends"] == ["ijson"]


def test_micropip_entry_carries_pypi_hash_not_pyodides(lock):
    shipped = json.loads(SHIPPED_LOCK.read_text())["packages"]["micropip"]
    ours = lock["packages"]["micropip"]
    assert ours["version"] == shipped["version"] == "0.11.1"
    # The PyPI wheel differs from the one Pyodide's lock describes: we record what we actually ship.
    assert ours["sha256"] != shipped["sha256"]


def test_ijson_wheel_is_pure_python_with_its_python_backend():
    wheel = next(PYODIDE_DIR.glob("ijson-3.6.0-py3-none-any.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        wheel_meta = zf.read("ijson-3.6.0.dist-info/WHEEL").decode()
    assert "ijson/backends/python.py" in names
    assert not [n for n in names if n.endswith((".c", ".h", ".so", ".pyd"))]
    assert "Root-Is-Purelib: true" in wheel_meta and "Tag: py3-none-any" in wheel_meta


def test_core_wheel_is_reproducible_and_its_record_is_valid(tmp_path):
    build = load_build_module()
    first = build.build_core_wheel(tmp_path / "a")
    second = build.build_core_wheel(tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as zf:
        info = f"jsonm_core-{build.core_version()}.dist-info"
        record = zf.read(f"{info}/RECORD").decode().splitlines()
        assert "jsonm = jsonm_core.cli:main" in zf.read(f"{info}/entry_points.txt").decode()
        for line in record:
            path, digest, size = line.rsplit(",", 2)
            if not digest:
                continue
            data = zf.read(path)
            assert int(size) == len(data)
            assert digest.startswith("sha256=")
        assert "jsonm_core/__init__.py" in zf.namelist()


def test_page_sources_reference_no_remote_host():
    offenders = []
    for path in (ROOT / "web").rglob("*"):
        if path.is_file():
            # A real host name (placeholders such as "https://…/manifest.json" are not addresses).
            for host in re.findall(r"(?:https?:)?//([a-z0-9-]+(?:\.[a-z0-9-]+)+)", path.read_text(errors="replace")):
                if host not in ("127.0.0.1", "www.w3.org"):
                    offenders.append(f"{path.relative_to(ROOT)}: {host}")
    assert not offenders, offenders


def test_missing_node_gives_one_actionable_line():
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    proc = subprocess.run([sys.executable, str(ROOT / "build.py"), "build"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "'node' not found" in lines[0] and "install" in lines[0]


def test_missing_chromium_without_apt_gives_one_actionable_line(monkeypatch):
    build = load_build_module()
    monkeypatch.setattr(build, "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.setattr(build.shutil, "which", lambda name: None)
    with pytest.raises(build.BuildError, match="install Debian's 'chromium' package"):
        build.ensure_chromium()


@pytest.mark.parametrize("args, wanted", [
    ([], True), (["--quick"], True), (["--extras", "none"], False), (["--extras=workers,gzip"], False),
    (["--extras", "workers,pageload"], True), (["--extras=pageload"], True), (["--json", "--extras"], False)])
def test_bench_installs_chromium_only_when_it_measures_the_page_load(args, wanted):
    assert load_build_module().bench_wants_browser(args) is wanted


def test_static_server_sends_csp_and_module_types():
    from jsonm_core.devserve import StaticServer

    server = StaticServer(ROOT / "build" / "web").start()
    try:
        with urllib.request.urlopen(server.url) as resp:
            csp = resp.headers["Content-Security-Policy"]
            assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
            assert "'wasm-unsafe-eval'" in csp
        with urllib.request.urlopen(server.url + "vendor/pyodide/pyodide.asm.wasm") as resp:
            assert resp.headers["Content-Type"] == "application/wasm"
        with urllib.request.urlopen(server.url + "vendor/pyodide/pyodide.mjs") as resp:
            assert resp.headers["Content-Type"].startswith("text/javascript")
    finally:
        server.stop()
