"""Reliability on a real staged job: failing range requests are retried, an expired presigned URL
pauses the job until a refreshed manifest is pasted, and a corrupted part is caught by sha256."""

from __future__ import annotations

import random

from page_jobs import clear_remote_state
from page_jobs import (S3_EXPIRED, assert_same_report, download_report, expected_report, refresh_manifest,
                       start_job, wait_done, wait_fraction)
from playwright.sync_api import expect

KB = 1 << 10


def test_five_percent_of_range_requests_fail_report_is_identical(guarded_page, site_url, staged):
    job = staged("demo6", 6.0, 512 * KB)
    clear_remote_state(job)
    page = guarded_page
    rng = random.Random(5)
    seen = {"n": 0, "failed": []}

    def flaky(route):
        seen["n"] += 1
        # the second request always fails, then 5 % at random: half 500s, half dropped connections
        if seen["n"] == 2 or rng.random() < 0.05:
            seen["failed"].append(route.request.url)
            if len(seen["failed"]) % 2:
                route.fulfill(status=500, body="<Error><Code>InternalError</Code></Error>")
            else:
                route.abort("connectionreset")
        else:
            route.fallback()

    page.context.route("**/warm-chunks/**", flaky)
    start_job(page, site_url, job, workers=2)
    wait_done(page)
    assert seen["failed"], "the fault injection never fired"
    assert_same_report(download_report(page), expected_report(job.path))
    expect(page.get_by_test_id("notes")).to_contain_text("retrying in")
    assert page.get_by_test_id("progress").get_attribute("data-duplicates") is None


def test_expired_url_pauses_then_a_refreshed_manifest_continues(guarded_page, site_url, staged):
    job = staged("demo6", 6.0, 512 * KB)
    clear_remote_state(job)
    page = guarded_page
    expired = {"on": False, "hits": 0}
    ok_parts: dict[int, int] = {}

    def s3_expiry(route):
        if expired["on"]:
            expired["hits"] += 1
            route.fulfill(status=403, body=S3_EXPIRED, headers={"Content-Type": "application/xml"})
        else:
            route.fallback()

    page.context.route("**/warm-chunks/**", s3_expiry)
    page.on("requestfinished", lambda r: (i := job.part_of(r.url)) is not None and r.response().status == 200
            and ok_parts.__setitem__(i, ok_parts.get(i, 0) + 1))
    start_job(page, site_url, job, workers=2)
    wait_fraction(page, 0.2)
    expired["on"] = True
    expect(page.get_by_test_id("status")).to_contain_text("manifest expired", ignore_case=True, timeout=60_000)
    expect(page.get_by_test_id("resume")).to_be_enabled()
    before = page.get_by_test_id("progress").get_attribute("data-fraction")
    refreshed = refresh_manifest(job)
    expired["on"] = False
    page.get_by_test_id("manifest-input").fill(refreshed)
    page.get_by_test_id("manifest-input").press("Enter")
    expect(page.get_by_test_id("notes")).to_contain_text("refreshed manifest for the same job")
    wait_done(page)
    assert expired["hits"] >= 1
    assert float(before) > 0
    assert_same_report(download_report(page), expected_report(job.path))
    assert page.get_by_test_id("progress").get_attribute("data-duplicates") is None   # no part processed twice
    assert sorted(ok_parts) == list(range(len(job.parts)))


def test_corrupted_part_fails_its_sha256_and_can_be_retried_from_the_ui(guarded_page, site_url, staged):
    job = staged("plain6", 6.0, 768 * KB, gzip=False)
    clear_remote_state(job)
    victim = 1
    page = guarded_page
    corrupt = {"on": True, "served": 0}

    def flip(route):
        if corrupt["on"] and job.part_of(route.request.url) == victim:
            resp = route.fetch()
            body = bytearray(resp.body())
            body[len(body) // 2] ^= 0x20                       # one flipped bit, same length
            corrupt["served"] += 1
            route.fulfill(response=resp, body=bytes(body))
        else:
            route.fallback()

    page.context.route("**/warm-chunks/**", flip)
    start_job(page, site_url, job, workers=2)
    failed = page.get_by_test_id("failed-parts")
    expect(failed).to_contain_text(f"Part {victim} failed: sha256 mismatch for part {victim}", timeout=180_000)
    expect(page.get_by_test_id("status")).to_contain_text("1 part(s) failed", timeout=180_000)
    assert corrupt["served"] == 2                              # fetched, refetched once, then reported
    expect(page.get_by_test_id("report")).to_be_hidden()       # no report from corrupted bytes
    corrupt["on"] = False
    page.get_by_test_id("retry-part").click()
    wait_done(page)
    assert_same_report(download_report(page), expected_report(job.path))


def test_offline_pauses_and_online_resumes(guarded_page, site_url, staged):
    job = staged("demo6", 6.0, 512 * KB)
    clear_remote_state(job)
    page = guarded_page
    start_job(page, site_url, job, workers=2)
    wait_fraction(page, 0.2)
    page.context.set_offline(True)
    expect(page.get_by_test_id("status")).to_contain_text("Offline — paused")
    expect(page.get_by_test_id("resume")).to_be_enabled()
    page.context.set_offline(False)
    expect(page.get_by_test_id("notes")).to_contain_text("browser is back online")
    wait_done(page)
    assert_same_report(download_report(page), expected_report(job.path))
    expect(page.get_by_test_id("failed-parts")).to_be_empty()
