"""Resume after reload, from IndexedDB: done parts are not fetched again, parts in progress restart
at their checkpoint's byte position, and a tampered checkpoint is rejected with a visible note."""

from __future__ import annotations

from page_jobs import (assert_same_report, clear_remote_state, download_report, expected_report, fraction,
                       idb_parts, start_job, wait_done, wait_fraction, wait_loaded)
from playwright.sync_api import expect

KB, MB = 1 << 10, 1 << 20
CHECKPOINT_KB = 64          # persist every 64 KB (or 2 s) …
SNAPSHOT_KB = 64            # … of engine snapshots taken at record boundaries every 64 KB


def test_reload_at_40_percent_resumes_without_refetching_done_bytes(guarded_page, site_url, staged):
    # identity (not gzip) parts, so a part in progress can restart with a Range from its checkpoint
    job = staged("plain12", 12.0, 2 * MB, gzip=False)     # ~6 parts: some done, two mid-way at 40 %
    clear_remote_state(job)
    page = guarded_page
    url = start_job(page, site_url, job, workers=2, checkpoint_kb=CHECKPOINT_KB, snapshot_kb=SNAPSHOT_KB)
    shown = wait_fraction(page, 0.40)
    page.reload()
    status = wait_loaded(page)
    assert "Unfinished job found" in status
    saved = {p["index"]: p for p in idb_parts(page, job.job_id)}
    done = {i for i, p in saved.items() if p["state"] == "done"}
    in_progress = {i: p["position"] for i, p in saved.items() if p["state"] == "progress"}
    assert done, "some parts finished before the reload"
    assert any(pos > job.parts[i]["start"] for i, pos in in_progress.items()), "a part was caught mid-way"
    assert all(saved[i]["checkpoint_bytes"] > 0 for i in in_progress)
    assert fraction(page) > 0            # the page shows the saved progress before resuming
    restart_at = {p["index"]: in_progress.get(p["index"], p["start"]) for p in job.parts if p["index"] not in done}
    remaining_saved = sum(p["end"] - restart_at[p["index"]] for p in job.parts if p["index"] not in done)

    fetched: list[tuple[int, int, str]] = []

    def on_response(resp):
        i = job.part_of(resp.url)
        if i is not None:
            fetched.append((i, int(resp.headers.get("content-length", "0")), resp.request.headers.get("range", "")))

    page.on("response", on_response)
    page.get_by_test_id("start").click()          # "Resume job"
    wait_done(page)
    assert_same_report(download_report(page), expected_report(job.path))
    refetched = {i for i, _, _ in fetched}
    assert not refetched & done, f"parts done before the reload were fetched again: {refetched & done}"
    after = sum(n for _, n, _ in fetched)
    print(f"\nreload at {shown:.1%} shown: {len(done)} parts done, {len(in_progress)} in progress; "
          f"fetched after reload {after} B = remaining from checkpoints {remaining_saved} B; "
          f"shown remaining {int(job.size * (1 - shown))} B of {job.size} B")
    assert after == remaining_saved               # exactly from each checkpoint to each part's end
    # … which is at most what was left when the tab went away plus one checkpoint interval per worker
    total = job.size
    assert after <= total * (1 - shown) + 2 * (CHECKPOINT_KB + SNAPSHOT_KB) * KB + 2 * 4 * KB
    for i, pos in in_progress.items():
        part = job.parts[i]
        if pos > part["start"]:
            assert any(j == i and rng == f"bytes={pos - part['start']}-{part['end'] - part['start'] - 1}"
                       for j, _, rng in fetched), (i, pos, fetched)
            expect(page.get_by_test_id("notes")).to_contain_text(f"part {i} resumes from its checkpoint at byte {pos}")


def test_tampered_checkpoint_is_rejected_and_the_part_restarts(guarded_page, site_url, staged):
    job = staged("plain6", 6.0, 768 * KB, gzip=False)
    clear_remote_state(job)
    page = guarded_page
    url = start_job(page, site_url, job, workers=1, checkpoint_kb=CHECKPOINT_KB, snapshot_kb=SNAPSHOT_KB)
    wait_fraction(page, 0.25)
    for _ in range(20):              # pause until a part is caught mid-way with a checkpoint saved
        page.get_by_test_id("pause").click()
        expect(page.get_by_test_id("status")).to_contain_text("Paused")
        expect(page.locator("#workers-body")).to_contain_text("paused")
        if any(p["state"] == "progress" and p["checkpoint_bytes"] for p in idb_parts(page, job.job_id)):
            break
        page.get_by_test_id("resume").click()
        page.wait_for_timeout(150)
    else:
        raise AssertionError("never paused inside a part after its first checkpoint")
    tampered = page.evaluate("""(jobId) => new Promise((resolve, reject) => {
        const r = indexedDB.open("jsonm", 1);
        r.onsuccess = () => {
          const s = r.result.transaction("parts", "readwrite").objectStore("parts");
          const q = s.getAll();
          q.onsuccess = () => {
            const p = q.result.find(p => p.job_id === jobId && p.state === "progress");
            p.checkpoint[Math.floor(p.checkpoint.length / 2)] ^= 0xff;   // one flipped byte
            s.put(p).onsuccess = () => resolve(p.index);
          };
        };
        r.onerror = () => reject(r.error);
      })""", job.job_id)
    page.goto(url + "&resume=1")                  # resumes without a click
    expect(page.get_by_test_id("notes")).to_contain_text(
        f"checkpoint for part {tampered} failed its integrity check", timeout=120_000)
    wait_done(page)
    assert_same_report(download_report(page), expected_report(job.path))
