"""The analyst's page end to end on a real staged job: 2 Pyodide workers stream record-aligned gzip
parts from the local S3 endpoint, and the downloaded report equals `jsonm scan FILE`."""

from __future__ import annotations

import json

from page_jobs import clear_remote_state
from page_jobs import assert_same_report, download_report, expected_report, page_url, wait_done, wait_loaded
from playwright.sync_api import expect

MB = 1 << 20


def test_full_run_two_workers_report_equals_cli_scan(guarded_page, site_url, staged, blocked_requests):
    job = staged("demo24", 24.0, 2 * MB)           # tens of MB, ~12 record-aligned gzip parts
    clear_remote_state(job)
    assert len(job.parts) >= 10 and all(p["encoding"] == "gzip" for p in job.parts)
    page = guarded_page
    fetched: dict[int, int] = {}
    page.on("requestfinished", lambda r: (i := job.part_of(r.url)) is not None
            and fetched.__setitem__(i, fetched.get(i, 0) + 1))
    page.goto(page_url(site_url, job.manifest_url, workers=2))
    wait_loaded(page)
    expect(page.locator("#job-tier")).to_have_text("standard_browser_processing")
    page.get_by_test_id("start").click()
    wait_done(page)
    report = download_report(page)
    assert_same_report(report, expected_report(job.path))
    assert report["totals"]["errors"] >= 1                      # the demo's planted faults are found
    assert report["source"]["key"] == job.manifest["source"]["key"]
    # finished: the controls and the worker table say so (no stale "streaming", no live Start)
    expect(page.locator("#job-card")).to_have_attribute("data-phase", "done")
    for control in ("start", "pause", "resume", "cancel"):
        expect(page.get_by_test_id(control)).to_be_disabled()
    expect(page.locator("#workers-body tr td:nth-child(2)")).to_have_text(["done", "done"])
    expect(page.locator("#st-eta")).to_have_text("done")
    assert sorted(fetched) == list(range(len(job.parts)))       # every part fetched …
    assert page.get_by_test_id("progress").get_attribute("data-duplicates") is None  # … and processed once
    # both workers did work, the findings table shows the report's findings
    rows = page.get_by_test_id("findings").locator("tbody tr")
    assert rows.count() == min(len(report["findings"]), 1000)
    # nothing signed leaks into the page or the report
    html = page.content()
    assert "X-Amz-Signature=" not in json.dumps(report) or "X-Amz-Signature=REDACTED" in json.dumps(report)
    assert job.manifest["parts"][0]["url"].split("X-Amz-Signature=")[1][:16] not in html
    # "Upload results": the report goes to the manifest's presigned PUT URL (the seed's processed/)
    page.get_by_test_id("upload").click()
    expect(page.get_by_test_id("upload-status")).to_contain_text("report uploaded", timeout=30_000)
    target = job.manifest["results"]["report"]
    stored = json.loads(job.s3.get_object(Bucket=target["bucket"], Key=target["key"])["Body"].read())
    assert stored == report
    assert blocked_requests == []
