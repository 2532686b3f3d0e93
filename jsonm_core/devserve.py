"""Local serving for the demo and the browser tests (CPython only, never imported by the engine).

`python3 build.py serve` runs ``python -m jsonm_core.devserve``: the embedded S3 endpoint, demo data
staged into it, and a static server for ``build/web`` with the page's security headers.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
import threading
from pathlib import Path
from typing import Callable

# The page's Content-Security-Policy: no inline scripts; Pyodide needs wasm-unsafe-eval; data is
# fetched only from this origin and the S3 endpoints a manifest may name (loopback or https).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; "
    "script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'; "
    "worker-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; "
    "connect-src 'self' blob: data: https: http://127.0.0.1:* http://localhost:*; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)

MIME_TYPES = {
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".json": "application/json",
    ".py": "text/plain",
    ".toml": "text/plain",
}


class StaticHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with correct module/wasm types, the CSP, and no caching (always the fresh build)."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # quiet: the demo prints its own lines
        pass


class StaticServer:
    """A threaded static server on loopback; ``url`` ends with '/'."""

    def __init__(self, web_dir: Path, host: str = "127.0.0.1", port: int = 0):
        handler: Callable = functools.partial(StaticHandler, directory=str(web_dir))
        self.httpd = http.server.ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://{host}:{self.httpd.server_address[1]}/"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> "StaticServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jsonm-devserve")
    parser.add_argument("--web", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--s3-port", type=int, default=9000)
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args(argv)

    try:
        web = StaticServer(args.web, args.host, args.port).start()
    except OSError as exc:
        print(f"jsonm: cannot listen on {args.host}:{args.port}: {exc.strerror} (use --port)", file=sys.stderr)
        return 2
    from jsonm_core.cloud.demo import prepare_demo
    from jsonm_core.cloud.local_s3 import start_local_s3

    try:
        s3 = start_local_s3(host=args.host, port=args.s3_port)
    except OSError as exc:
        web.stop()
        print(f"jsonm: cannot start the local S3 endpoint on port {args.s3_port}: {exc} (use --s3-port)", file=sys.stderr)
        return 2
    print(f"local S3 endpoint: {s3.endpoint_url}", flush=True)
    print("preparing the demo: generate → cold tier → restore → record-aligned gzip chunks …", flush=True)
    args.workdir.mkdir(parents=True, exist_ok=True)
    manifest_url = prepare_demo(s3.endpoint_url, args.workdir, page_origin=web.url.rstrip("/"))
    from urllib.parse import quote

    # autostart=1: the page starts (or resumes) the job as soon as its manifest is validated.
    print(f"\nOpen {web.url}?manifest={quote(manifest_url, safe='')}&autostart=1\n", flush=True)
    print("Ctrl-C stops the servers.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        web.stop()
        s3.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
