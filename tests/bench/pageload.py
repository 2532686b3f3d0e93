"""Cold page load in headless Chromium with the browser tests' setup (Debian Chromium, their flags,
loopback static server, no cache): milliseconds from navigation start to the engine being ready
(and to the first processed byte once the page can process data)."""

from __future__ import annotations

import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "build" / "web"

READY_JS = """() => {
  const el = document.querySelector('[data-testid="engine-version"]');
  return el && /^jsonm_core /.test(el.textContent) ? performance.now() : null;
}"""


def cold_loads(runs: int = 3, timeout_ms: int = 120_000) -> dict:
    """``runs`` loads, each in a fresh browser context (empty cache): engine-ready times in ms."""
    from playwright.sync_api import sync_playwright

    from jsonm_core.devserve import StaticServer
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    server = StaticServer(WEB).start()
    times, transferred = [], []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                for _ in range(runs):
                    context = browser.new_context()
                    page = context.new_page()
                    sizes: list[int] = []
                    page.on("requestfinished", lambda r: sizes.append(r.sizes().get("responseBodySize", 0)))
                    page.goto(server.url)
                    handle = page.wait_for_function(READY_JS, timeout=timeout_ms, polling=20)
                    times.append(float(handle.json_value()))
                    transferred.append(sum(sizes))
                    context.close()
            finally:
                browser.close()
    finally:
        server.stop()
    return {"milestone": "engine-ready", "runs_ms": times, "median_ms": statistics.median(times),
            "transferred_mb": statistics.median(transferred) / (1 << 20)}
