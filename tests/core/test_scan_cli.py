"""`jsonm scan`: sources (path, -, http(s) with Range), report output, exit statuses 0/1/2/3,
--limit-bytes + --checkpoint + --resume giving the uninterrupted report.  CPython only (files,
stdin, a local HTTP server)."""

from __future__ import annotations

import io
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jsonm_core.cli import main
from jsonm_core.report import without_run
from jsonm_core.scan_cli import parse_size

pytestmark = pytest.mark.cpython_only

DATA = b"".join(b'{"id": %d, "name": "n%d", "tags": ["a", "b"]}\n' % (i, i) for i in range(3000))


@pytest.fixture
def src(tmp_path):
    p = tmp_path / "in.ndjson"
    p.write_bytes(DATA)
    return p


def scan(*argv) -> int:
    return main(["scan", *map(str, argv)])


def test_clean_input_exits_0_and_writes_the_report(src, tmp_path):
    out = tmp_path / "r.json"
    assert scan(src, "--report", out) == 0
    r = json.loads(out.read_text())
    assert r["schema"] == "jsonm.report" and r["records"]["count"] == 3000
    assert r["source"]["size"] == len(DATA)


def test_error_findings_exit_1_with_the_report_still_written(tmp_path):
    p = tmp_path / "bad.json"
    p.write_bytes(b'[1, 2, oops, 4]')
    out = tmp_path / "r.json"
    assert scan(p, "--report", out) == 1
    assert json.loads(out.read_text())["findings"][0]["offset"] == 7


def test_usage_and_io_errors_exit_2_with_one_line(tmp_path, capsys):
    assert scan(tmp_path / "missing.json") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("jsonm: cannot open") and "Traceback" not in err
    assert scan(tmp_path / "missing.json", "--buffer-size", "lots") == 2
    assert "not a byte size" in capsys.readouterr().err


def test_limit_checkpoint_resume_gives_the_uninterrupted_report(src, tmp_path, capsys):
    ck, r1, r2 = tmp_path / "ck.bin", tmp_path / "r1.json", tmp_path / "r2.json"
    assert scan(src, "--report", r1) == 0
    assert scan(src, "--limit-bytes", "50K", "--checkpoint", ck, "--report", r2) == 3
    assert ck.exists() and not r2.exists()
    assert "stopped at byte" in capsys.readouterr().err
    assert scan(src, "--resume", ck, "--report", r2) == 0
    assert without_run(json.loads(r2.read_text())) == without_run(json.loads(r1.read_text()))


def test_resume_with_a_foreign_or_corrupt_checkpoint_exits_2(src, tmp_path, capsys):
    ck = tmp_path / "ck.bin"
    assert scan(src, "--limit-bytes", "10K", "--checkpoint", ck) == 3
    other = tmp_path / "other.ndjson"
    other.write_bytes(DATA[:-10])
    capsys.readouterr()
    assert scan(other, "--resume", ck) == 2
    assert "another source" in capsys.readouterr().err
    ck.write_bytes(ck.read_bytes()[:40])
    assert scan(src, "--resume", ck) == 2
    assert "truncated or corrupt" in capsys.readouterr().err


def test_stdin_source(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(DATA)))
    out = tmp_path / "r.json"
    assert scan("-", "--report", out, "--format", "ndjson") == 0
    assert json.loads(out.read_text())["records"]["count"] == 3000


class _RangeHandler(BaseHTTPRequestHandler):
    ranges: list = []

    def do_GET(self):
        rng = self.headers.get("Range")
        if rng:
            a, b = rng.split("=")[1].split("-")
            a, b = int(a), min(int(b), len(DATA) - 1)
            type(self).ranges.append((a, b))
            body = DATA[a:b + 1]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {a}-{b}/{len(DATA)}")
        else:
            body = DATA
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", '"v1"')
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_http_source_is_read_with_range_requests(tmp_path, monkeypatch):
    import jsonm_core.scan_cli as sc
    monkeypatch.setattr(sc, "HTTP_BLOCK", 32 << 10)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _RangeHandler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/data.ndjson?sig=1"
        out, ck = tmp_path / "r.json", tmp_path / "ck.bin"
        assert scan(url, "--limit-bytes", "40K", "--checkpoint", ck) == 3
        assert scan(url.replace("sig=1", "sig=2"), "--resume", ck, "--report", out) == 0
        r = json.loads(out.read_text())
        assert r["records"]["count"] == 3000
        assert r["source"]["url"].endswith("/data.ndjson") and r["source"]["etag"] == '"v1"'
        assert len(_RangeHandler.ranges) > 3
    finally:
        srv.shutdown()


def test_parse_size():
    assert [parse_size(x) for x in ("4096", "64K", "4M", "1GiB", "2kb")] == [4096, 65536, 4 << 20, 1 << 30, 2048]
    with pytest.raises(ValueError):
        parse_size("1.5M")


def test_progress_bar_only_on_a_tty():
    from jsonm_core.scan_cli import Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        p = Progress(2_000_000, 0, stream)
        p.update(1_000_000, final=True)
        p.close(2_000_000)
    assert pipe.getvalue() == ""
    out = tty.getvalue()
    assert "50.0%" in out and "100.0%" in out and "MB/s" in out and "ETA" in out and out.endswith("\n")
