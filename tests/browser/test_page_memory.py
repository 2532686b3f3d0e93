"""Memory pressure: at the critical level a worker is recycled (WebAssembly memory never shrinks)
and its part resumes from the checkpoint in IndexedDB; the job still ends with the identical report."""

from __future__ import annotations

from page_jobs import (assert_same_report, clear_remote_state, download_report, expected_report, start_job,
                       wait_done)
from playwright.sync_api import expect

KB = 1 << 10


def test_workers_recycled_at_critical_memory_give_the_identical_report(guarded_page, site_url, staged):
    job = staged("plain6", 6.0, 768 * KB, gzip=False)   # identity parts: a part resumes with a Range
    clear_remote_state(job)
    page = guarded_page
    # a 1 MB budget puts every worker at the critical level; each incarnation first feeds 1 MB
    start_job(page, site_url, job, workers=2, memory_mb=1, recycle_min_kb=1024, checkpoint_kb=64, snapshot_kb=64)
    wait_done(page)
    assert_same_report(download_report(page), expected_report(job.path))
    notes = page.get_by_test_id("notes")
    expect(notes).to_contain_text("reached critical memory")
    restarts = notes.locator("li", has_text="restarted (WebAssembly memory never shrinks)").count()
    resumed = notes.locator("li", has_text="resumes from its checkpoint at byte").count()
    print(f"\n{restarts} worker recycles, {resumed} parts resumed from a checkpoint")
    assert restarts >= 2 and resumed >= 1
    assert page.get_by_test_id("progress").get_attribute("data-duplicates") is None   # no part done twice
