"""Cloud-layer fixtures: the embedded S3 endpoint on a free loopback port (one per session),
fresh buckets per test, and a fault-injecting HTTP proxy in front of the endpoint.

The endpoint (moto) never checks presigned signatures or expiry, so the proxy does what S3
does for the paths we must test: it enforces X-Amz-Date + X-Amz-Expires against its own clock
(which a test can move forward) and answers with S3's documented XML errors (403 AccessDenied
"Request has expired"), can deny chosen paths (403 AccessDenied), and can stall matching
requests so that a staging process can be killed at a known point.
"""

from __future__ import annotations

import http.client
import http.server
import itertools
import re
import socketserver
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOP_HEADERS = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
               "trailers", "transfer-encoding", "upgrade", "host"}

def s3_error(code: str, message: str, status: int = 403) -> tuple[int, bytes]:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message><RequestId>jsonm-test</RequestId></Error>").encode()
    return status, body


class FaultProxy:
    """HTTP proxy to the local endpoint that enforces presigned expiry and injects faults."""

    def __init__(self, upstream: str) -> None:
        up = urlsplit(upstream)
        self.upstream = (up.hostname, up.port)
        self.clock_skew = 0.0            # seconds the proxy's clock runs ahead
        self.deny: list[str] = []        # regexes on the path: 403 AccessDenied
        self.stall: tuple[str, str, int] | None = None  # (method, path regex, after n matches)
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.log: list[tuple[str, str]] = []
        self._stall_count = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                verdict = proxy._judge(self.command, self.path)
                if verdict is not None:
                    status, payload = verdict
                    self.send_response(status)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                headers["Host"] = f"{proxy.upstream[0]}:{proxy.upstream[1]}"
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in HOP_HEADERS and k.lower() != "content-length":
                        self.send_header(k, v)
                length = resp.getheader("Content-Length") if self.command == "HEAD" else None
                self.send_header("Content-Length", length or str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_OPTIONS = _handle

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.endpoint_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _judge(self, method: str, path: str) -> tuple[int, bytes] | None:
        with self._lock:
            self.log.append((method, path))
        qs = parse_qs(urlsplit(path).query)
        if "X-Amz-Date" in qs and "X-Amz-Expires" in qs:
            signed = datetime.strptime(qs["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(
                tzinfo=timezone.utc).timestamp()
            if time.time() + self.clock_skew > signed + int(qs["X-Amz-Expires"][0]):
                return s3_error("AccessDenied", "Request has expired")
        if any(re.search(rx, path) for rx in self.deny):
            return s3_error("AccessDenied", "Access Denied")
        if self.stall and method == self.stall[0] and re.search(self.stall[1], path):
            with self._lock:
                self._stall_count += 1
                hold = self._stall_count > self.stall[2]
            if hold:
                self.stalled.set()
                self.release.wait(120)
                return s3_error("ServiceUnavailable", "stalled by the test proxy", 503)
        return None

    def requests(self, method: str, pattern: str) -> list[str]:
        with self._lock:
            return [p for m, p in self.log if m == method and re.search(pattern, p)]

    def reset(self) -> None:
        self.release.set()               # let any stalled request finish (its client is gone)
        with self._lock:
            self.log.clear()
            self._stall_count = 0
        self.clock_skew, self.deny, self.stall = 0.0, [], None
        self.stalled = threading.Event()
        self.release = threading.Event()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def local_s3():
    from jsonm_core.cloud.local_s3 import start_local_s3

    handle = start_local_s3("127.0.0.1", 0)
    yield handle
    handle.stop()


@pytest.fixture(scope="session")
def _proxy(local_s3):
    proxy = FaultProxy(local_s3.endpoint_url)
    yield proxy
    proxy.close()


@pytest.fixture
def proxy(_proxy):
    _proxy.reset()
    yield _proxy
    _proxy.reset()


@pytest.fixture
def s3(local_s3):
    from jsonm_core.cloud.s3 import make_client
    return make_client(local_s3.endpoint_url)


_ids = itertools.count()


@pytest.fixture
def buckets(s3):
    """Fresh cold/warm/results/checkpoints buckets for one test (CORS for any origin)."""
    from jsonm_core.cloud.buckets import BucketNames, init_buckets

    names = BucketNames.with_prefix(f"t{next(_ids)}-{uuid.uuid4().hex[:8]}")
    init_buckets(s3, names, origins=["*"])
    return names


@pytest.fixture(scope="session")
def sample() -> bytes:
    """~400 KB of the demo generator's NDJSON, faults included."""
    from jsonm_core.cloud.demo import demo_bytes
    return demo_bytes(400_000)


@pytest.fixture
def archived(s3, buckets, sample, tmp_path):
    """The sample uploaded to the cold bucket as DEEP_ARCHIVE (not restored); its s3:// URL."""
    from jsonm_core.cloud import ops

    path = tmp_path / "sample.ndjson"
    path.write_bytes(sample)
    url = f"s3://{buckets.cold}/exports/sample.ndjson"
    ops.upload(s3, path, url, storage_class="DEEP_ARCHIVE")
    return url


@pytest.fixture
def restored(s3, archived):
    from jsonm_core.cloud import ops

    ops.restore(s3, archived, tier="Bulk", days=1)
    ops.wait_restored(s3, archived, poll=0.05, timeout=30)
    return archived


JSONM = [sys.executable, "-c", "import sys; from jsonm_core.cli import main; sys.exit(main())"]


def run_jsonm(*args: str, timeout: float = 120, **kw):
    """Run the jsonm CLI in a subprocess (real exit status, real stderr)."""
    import subprocess
    return subprocess.run([*JSONM, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, **kw)


@pytest.fixture
def jsonm():
    """`jsonm(*args)` -> CompletedProcess of the CLI in a subprocess."""
    return run_jsonm


@pytest.fixture
def jsonm_popen():
    """`jsonm_popen(*args)` -> Popen of the CLI (for killing it halfway)."""
    import subprocess

    def start(*args: str) -> subprocess.Popen:
        return subprocess.Popen([*JSONM, *args], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    return start


@pytest.fixture
def check_aligned():
    """`check_aligned(manifest, data)`: every part starts right after a record (NDJSON of objects:
    the byte before is the record's closing brace, the next is its newline), and each part,
    processed on its own by an Engine with the part's context, merges into the whole report."""
    import functools

    from jsonm_core.engine import Engine
    from jsonm_core.report import merge, without_run

    def check(man, data: bytes) -> None:
        for p in man.parts[1:]:
            assert data[p.start - 1:p.start + 1] == b"}\n", (p.index, data[p.start - 5:p.start + 5])
            assert p.context is not None
        whole = Engine(format=man.format, source=man.source)
        whole.feed(data)
        reports = []
        for p in man.parts:
            eng = Engine(format=man.format, source=man.source,
                         part={"index": p.index, "start": p.start, "end": p.end, "context": p.context})
            eng.feed(data[p.start:p.end])
            reports.append(eng.finish())
        assert without_run(functools.reduce(merge, reports)) == without_run(whole.finish())
    return check
