"""Cold page load in headless Chromium with the browser tests' setup (Debian Chromium, their flags,
loopback static server, fresh context = empty cache): milliseconds from navigation start to the
engine being ready, and, on a job staged on the local S3 endpoint (record-aligned gzip parts, as
the browser tests stage them) opened with ``?manifest=…&autostart=1``, to the first processed byte
(the first progress update with data fed; the worker posts progress every 0.25 s at most)."""

from __future__ import annotations

import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "build" / "web"

FIRST_BYTE_JS = """() => {
  const el = document.querySelector('[data-testid="progress"]');
  return el && parseFloat(el.getAttribute("data-fraction") || "0") > 0 ? performance.now() : null;
}"""

READY_JS = """() => {
  const el = document.querySelector('[data-testid="engine-version"]');
  return el && /^jsonm_core /.test(el.textContent) ? performance.now() : null;
}"""


def cold_loads(runs: int = 3, timeout_ms: int = 120_000, data: Path | None = None, workers: int = 2,
               chunk_size: int = 4 << 20, web: Path = WEB) -> dict:
    """``runs`` loads, each in a fresh browser context (empty cache): engine-ready times in ms, and
    with ``data`` (an NDJSON file) the time to the first processed byte of that file's staged job."""
    from playwright.sync_api import sync_playwright

    from jsonm_core.devserve import StaticServer
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    server = StaticServer(web).start()
    times, transferred, first = [], [], []
    s3 = url = None
    try:
        if data is not None:
            from jsonm_core.cloud.local_s3 import start_local_s3
            from tests.browser.page_jobs import page_url, stage_file

            s3 = start_local_s3(port=0)
            job = stage_file(s3.endpoint_url, data, f"bench/{data.name}", chunk_size=chunk_size,
                             page_origin=server.url.rstrip("/"), prefix="jsonmbench")
            url = page_url(server.url, job.manifest_url, workers=workers, autostart=1)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                for _ in range(runs):
                    context = browser.new_context()
                    page = context.new_page()
                    sizes: list[int] = []
                    errors: list[str] = []
                    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
                    page.on("pageerror", lambda e: errors.append(str(e)))
                    page.on("requestfinished", lambda r: sizes.append(r.sizes().get("responseBodySize", 0)))
                    page.goto(url or server.url)
                    try:
                        handle = page.wait_for_function(READY_JS, timeout=timeout_ms, polling=20)
                    except Exception:
                        version = page.get_by_test_id("engine-version").text_content()
                        raise RuntimeError(f"engine never ready: {version!r}; errors: {errors[-3:]}") from None
                    times.append(float(handle.json_value()))
                    transferred.append(sum(sizes))
                    if url:
                        try:
                            handle = page.wait_for_function(FIRST_BYTE_JS, timeout=timeout_ms, polling=20)
                        except Exception:
                            status = page.get_by_test_id("status").text_content()
                            raise RuntimeError(f"no processed byte; page status: {status!r}; errors: "
                                               f"{errors[-3:]}") from None
                        first.append(float(handle.json_value()))
                    context.close()
            finally:
                browser.close()
    finally:
        server.stop()
        if s3 is not None:
            s3.stop()
    out = {"ready_runs_ms": times, "ready_median_ms": statistics.median(times),
           "transferred_mb": statistics.median(transferred) / (1 << 20)}
    if first:
        out.update(first_byte_runs_ms=first, first_byte_median_ms=statistics.median(first))
    return out
