"""Helpers for the page's browser tests: stage real jobs on the local S3 endpoint, compute the
expected report with the CLI, and drive the page (load a manifest, start, download the report)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_MS = 240_000


@dataclass
class StagedJob:
    manifest_url: str
    path: Path
    job_id: str
    manifest: dict
    size: int

    @property
    def parts(self) -> list[dict]:
        return self.manifest["parts"]

    def part_of(self, url: str) -> int | None:
        """Index of the part whose object this request URL fetches (by path, signature ignored)."""
        path = urlsplit(url).path
        for p in self.parts:
            if urlsplit(p["url"]).path == path:
                return p["index"]
        return None

    def wire_size(self, index: int) -> int:
        """Bytes of the part's object on the wire (the gzip member when gzip)."""
        return self.wire_sizes[index]


def stage_file(endpoint_url: str, path: Path, key: str, *, chunk_size: int, page_origin: str,
               prefix: str = "jsonmtest", gzip_parts: bool = True) -> StagedJob:
    """upload (DEEP_ARCHIVE) -> restore -> stage record-aligned (gzip) chunks -> presigned manifest."""
    from jsonm_core.cloud import ops
    from jsonm_core.cloud.buckets import BucketNames, init_buckets
    from jsonm_core.cloud.s3 import make_client, s3_url
    from jsonm_core.cloud.staging import StageOptions, stage

    s3 = make_client(endpoint_url)
    names = BucketNames.with_prefix(prefix)
    init_buckets(s3, names, origins=[page_origin])
    src = s3_url(names.cold, key)
    ops.upload(s3, path, src, storage_class="DEEP_ARCHIVE")
    ops.restore(s3, src, tier="Bulk", days=1)
    ops.wait_restored(s3, src, poll=0.1, timeout=60)
    res = stage(s3, src, s3_url(names.warm, "jobs"),
                StageOptions(chunk_size=chunk_size, gzip=gzip_parts, align="records", format="ndjson",
                             expires=6 * 3600, results=s3_url(names.results, "jobs"),
                             checkpoints=s3_url(names.checkpoints, "jobs")))
    obj = ops.read_manifest(s3, names.warm, res.manifest_key)
    job = StagedJob(res.manifest_url, path, res.job_id, obj, res.size)
    job.wire_sizes = [s3.head_object(Bucket=names.warm, Key=p["key"])["ContentLength"] for p in obj["parts"]]
    job.s3, job.names, job.manifest_key = s3, names, res.manifest_key
    return job


_EXPECTED: dict[Path, dict] = {}


def expected_report(path: Path) -> dict:
    """`jsonm scan FILE` (the CLI, as the analyst would run it) outside "run"."""
    if path in _EXPECTED:
        return _EXPECTED[path]
    proc = subprocess.run([sys.executable, "-m", "jsonm_core.cli", "scan", str(path), "--format", "ndjson"],
                          capture_output=True, timeout=600, cwd=ROOT)
    assert proc.returncode in (0, 1), proc.stderr.decode()[-2000:]
    _EXPECTED[path] = comparable(json.loads(proc.stdout))
    return _EXPECTED[path]


def comparable(report: dict) -> dict:
    """The deterministic part of a report: everything but "run" (and the source identity, which is
    the S3 object for the page and the local file for `jsonm scan FILE`)."""
    return {k: v for k, v in report.items() if k not in ("run", "source")}


def assert_same_report(got: dict, want: dict) -> None:
    """The page's report equals the CPython scan's field for field (outside "run" and "source"):
    the engine's hashes are portable, so even the distinct sketches match exactly."""
    assert comparable(got) == comparable(want)


def page_url(site_url: str, manifest_url: str, *, workers: int = 2, **params: object) -> str:
    extra = "".join(f"&{k}={v}" for k, v in params.items())
    return f"{site_url}?manifest={quote(manifest_url, safe='')}&workers={workers}{extra}"


def start_job(page: Page, site_url: str, job: StagedJob, *, workers: int = 2, **params: object) -> str:
    """Open the page on the job's manifest, wait for validation, press Start; returns the page URL."""
    url = page_url(site_url, job.manifest_url, workers=workers, **params)
    page.goto(url)
    wait_loaded(page)
    page.get_by_test_id("start").click()
    return url


def wait_loaded(page: Page, timeout: float = 120_000) -> str:
    """Until the page has validated the manifest (fresh job, resumable job, or finished job)."""
    return _wait_any(page, ("Manifest valid", "Unfinished job found", "already complete"), timeout)


def _wait_any(page: Page, needles: tuple[str, ...], timeout: float) -> str:
    deadline = time.monotonic() + timeout / 1000
    status = page.get_by_test_id("status")
    while time.monotonic() < deadline:
        text = status.text_content() or ""
        if any(n in text for n in needles):
            return text
        if "rejected" in text:
            raise AssertionError(f"manifest rejected: {text}")
        page.wait_for_timeout(100)
    raise AssertionError(f"page status never showed {needles}: {status.text_content()!r}")


def wait_done(page: Page, timeout: float = RUN_TIMEOUT_MS) -> None:
    try:
        expect(page.get_by_test_id("status")).to_contain_text("Done:", timeout=timeout)
    except AssertionError as exc:      # say where the job stood, not only that it did not finish
        where = {k: page.locator(sel).text_content() for k, sel in
                 (("status", "#status"), ("parts", "#st-parts"), ("workers", "#workers-body"), ("notes", "#notes"))}
        raise AssertionError(f"job never finished: {where}") from exc


def fraction(page: Page) -> float:
    return float(page.get_by_test_id("progress").get_attribute("data-fraction") or 0)


def download_report(page: Page) -> dict:
    with page.expect_download() as dl:
        page.get_by_test_id("download").click()
    return json.loads(Path(dl.value.path()).read_text(encoding="utf-8"))


def gunzip_if(data: bytes) -> bytes:
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def idb_parts(page: Page, job_id: str) -> list[dict]:
    """The page's IndexedDB part records for a job (without checkpoint bytes)."""
    return page.evaluate("""(jobId) => new Promise((resolve, reject) => {
        const r = indexedDB.open("jsonm", 1);
        r.onerror = () => reject(r.error);
        r.onsuccess = () => {
          const q = r.result.transaction("parts").objectStore("parts")
            .getAll(IDBKeyRange.bound([jobId, 0], [jobId, Infinity]));
          q.onsuccess = () => { r.result.close(); resolve(q.result.map(p => ({index: p.index, state: p.state,
            position: p.position, checkpoint_bytes: p.checkpoint ? p.checkpoint.length : 0}))); };
          q.onerror = () => reject(q.error);
        };
      })""", job_id)


def wait_fraction(page: Page, at_least: float, timeout: float = 180.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        f = fraction(page)
        if f >= at_least:
            return f
        page.wait_for_timeout(50)
    raise AssertionError(f"progress never reached {at_least:.0%} (at {fraction(page):.1%})")


def refresh_manifest(job: StagedJob) -> str:
    """`jsonm manifest refresh`: new presigned URLs for the same job; returns the manifest URL."""
    from jsonm_core.cloud import ops

    url, obj = ops.refresh(job.s3, f"s3://{job.names.warm}/{job.manifest_key}", expires=6 * 3600)
    job.manifest = obj
    return url


# S3's documented answer to a presigned GET past its expiry (the local endpoint does not enforce it).
S3_EXPIRED = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
              "<Message>Request has expired</Message><X-Amz-Expires>3600</X-Amz-Expires>"
              "<RequestId>jsonm-test</RequestId></Error>")


def remote_state(job: StagedJob) -> dict | None:
    """The job state the page uploaded to the manifest's checkpoint URL (None if nothing yet)."""
    target = job.manifest["results"]["checkpoint"]
    try:
        body = job.s3.get_object(Bucket=target["bucket"], Key=target["key"])["Body"].read()
    except job.s3.exceptions.NoSuchKey:
        return None
    return json.loads(body)


def clear_remote_state(job: StagedJob) -> None:
    """Jobs are staged once per session and shared by tests: start each test without the state a
    previous test left at the checkpoint URL (a fresh context would otherwise resume from it)."""
    target = job.manifest["results"]["checkpoint"]
    job.s3.delete_object(Bucket=target["bucket"], Key=target["key"])


def guard_context(context, blocked: list[str]) -> None:
    """The conftest network guard for an extra context (another "device")."""
    def guard(route):
        parts = urlsplit(route.request.url)
        if parts.scheme in ("data", "blob", "about") or parts.hostname in ("127.0.0.1", "localhost", "::1"):
            route.fallback()
        else:
            blocked.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", guard)
