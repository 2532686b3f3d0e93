"""Walking skeleton: the PyScript page starts a worker that boots the vendored Pyodide, installs our
wheel and ijson with micropip from this origin only, and reports their versions."""

from __future__ import annotations

import re

from playwright.sync_api import expect

import jsonm_core


def test_worker_boots_pyodide_and_installs_wheel_from_origin(guarded_page, site_url, blocked_requests):
    requested: list[str] = []
    guarded_page.on("request", lambda r: requested.append(r.url))
    guarded_page.goto(site_url)
    version = guarded_page.get_by_test_id("engine-version")
    expect(version).to_have_text(re.compile(rf"jsonm_core {re.escape(jsonm_core.__version__)} · ijson python"),
                                 timeout=90_000)
    assert any(u.endswith("/vendor/pyodide/pyodide.asm.wasm") for u in requested)
    assert any(re.search(r"/vendor/pyodide/jsonm_core-[^/]+-py3-none-any\.whl$", u) for u in requested)
    assert any(u.endswith("/vendor/micropython/micropython.wasm") for u in requested)
    assert blocked_requests == []
    assert all(u.startswith(site_url) for u in requested), [u for u in requested if not u.startswith(site_url)]
