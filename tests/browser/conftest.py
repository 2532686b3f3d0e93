"""Browser-layer fixtures: the built page on a loopback static server, Debian Chromium driven by
pytest-playwright, and a network guard that blocks (and fails the test on) any non-local request."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from jsonm_core.devserve import StaticServer

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "build" / "web"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
    # Belt and braces under the route guard: no host but loopback even resolves.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}

pytestmark = pytest.mark.browser


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname in LOCAL_HOSTS


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def site_url() -> str:
    if not (WEB / "index.html").exists():
        pytest.fail("build/web is missing: run `python3 build.py build` (build.py test does it)")
    server = StaticServer(WEB).start()
    yield server.url
    server.stop()


@pytest.fixture
def blocked_requests(context) -> list[str]:
    """Every non-local request is aborted and recorded; a test that caused one fails at teardown."""
    blocked: list[str] = []

    def guard(route):
        if is_local(route.request.url):
            route.fallback()
        else:
            blocked.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", guard)
    yield blocked
    assert not blocked, f"requests left the local origins: {blocked[:5]}"


@pytest.fixture
def guarded_page(context, blocked_requests):
    """A page whose context is under the network guard, with console errors collected."""
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    return page


# --- the page's tests (issue 5): a real local S3 endpoint and staged jobs, one per session ----------

@pytest.fixture(scope="session")
def s3_endpoint():
    """The embedded S3 endpoint (moto server) on a free loopback port, for the whole session."""
    from jsonm_core.cloud.local_s3 import start_local_s3

    server = start_local_s3(port=0)
    yield server.endpoint_url
    server.stop()


@pytest.fixture(scope="session")
def staged(s3_endpoint, site_url, tmp_path_factory):
    """staged(name, data_or_size_mb, chunk_size, gzip=True) -> StagedJob, cached for the session."""
    from page_jobs import stage_file

    from jsonm_core.cloud.demo import write_events

    cache: dict = {}
    workdir = tmp_path_factory.mktemp("jobs")

    def make(name: str, data: bytes | float, chunk_size: int, gzip: bool = True):
        if name not in cache:
            path = workdir / f"{name}.ndjson"
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                write_events(path, int(data * (1 << 20)))
            cache[name] = stage_file(s3_endpoint, path, f"tests/{name}.ndjson", chunk_size=chunk_size,
                                     page_origin=site_url.rstrip("/"), gzip_parts=gzip)
        return cache[name]

    return make
