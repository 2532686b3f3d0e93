"""Resume on another device from the manifest alone: the page uploads the job state (done part
reports + in-progress checkpoints, plain JSON) to the manifest's checkpoint PUT URL, and a browser
with no IndexedDB state for the job restores it from the matching GET URL."""

from __future__ import annotations

import json

from page_jobs import (assert_same_report, clear_remote_state, download_report, expected_report, guard_context,
                       idb_parts, page_url, remote_state, wait_done, wait_fraction, wait_loaded)
from playwright.sync_api import expect

KB = 1 << 10


def _pause_mid_part(page, job) -> list[dict]:
    """Pause until one part is done and another is caught mid-way with a checkpoint saved."""
    for _ in range(30):
        page.get_by_test_id("pause").click()
        expect(page.get_by_test_id("status")).to_contain_text("Paused")
        expect(page.locator("#workers-body")).to_contain_text("paused")
        saved = idb_parts(page, job.job_id)
        if (any(p["state"] == "done" for p in saved)
                and any(p["state"] == "progress" and p["checkpoint_bytes"] for p in saved)):
            return saved
        page.get_by_test_id("resume").click()
        page.wait_for_timeout(150)
    raise AssertionError("never paused inside a part after its first checkpoint")


def _remote_parts(job, remote: dict) -> list[tuple]:
    """(index, state, position) per part; a run entry of done parts stands for each of its parts."""
    out = []
    for p in remote["parts"]:
        last = p.get("last", p["index"])
        out += [(k, p["state"], p["position"] if k == last else job.parts[k]["end"])
                for k in range(p["index"], last + 1)]
    return sorted(out)


def _wait_uploaded(page, job, saved: list[dict]) -> dict:
    """The state at the checkpoint URL is the paused tab's IndexedDB state (parts and positions)."""
    want = sorted((p["index"], p["state"], p["position"]) for p in saved if p["state"] == "done"
                  or p["checkpoint_bytes"])
    remote = None
    for _ in range(200):
        remote = remote_state(job)
        if remote and _remote_parts(job, remote) == want:
            return remote
        page.wait_for_timeout(100)
    raise AssertionError(f"checkpoint URL never held the paused state {want}: {remote and remote['parts']}")


def test_resume_on_another_device_from_the_manifest_alone(guarded_page, browser, site_url, staged):
    job = staged("device4", 4.0, 512 * KB, gzip=False)
    clear_remote_state(job)
    page = guarded_page
    page.goto(page_url(site_url, job.manifest_url, workers=1, checkpoint_kb=64, snapshot_kb=64, sync_s=1))
    wait_loaded(page)
    page.get_by_test_id("start").click()
    wait_fraction(page, 0.4)                        # one worker: parts 0-2 done, in order
    saved = _pause_mid_part(page, job)
    remote = _wait_uploaded(page, job, saved)
    assert remote["schema"] == "jsonm.job_state" and remote["job_id"] == job.job_id
    # consecutive done parts travel as one entry with their merged report (version 2)
    assert remote["version"] == 2 and remote["parts"][0]["index"] == 0 and remote["parts"][0]["last"] >= 2
    expect(page.get_by_test_id("remote-state")).to_contain_text("Checkpoint URL: saved at")
    done = {p["index"] for p in saved if p["state"] == "done"}
    in_progress = {p["index"]: p["position"] for p in saved if p["state"] == "progress" and p["checkpoint_bytes"]}

    blocked: list[str] = []
    other = browser.new_context()                   # another device: empty IndexedDB
    try:
        guard_context(other, blocked)
        page2 = other.new_page()
        fetched: list[tuple[int, str]] = []

        def on_response(resp):
            i = job.part_of(resp.url)
            if i is not None:
                fetched.append((i, resp.request.headers.get("range", "")))

        page2.on("response", on_response)
        page2.goto(page_url(site_url, job.manifest_url, workers=2))
        assert "Unfinished job found" in wait_loaded(page2)
        expect(page2.get_by_test_id("notes")).to_contain_text(
            f"restored from the manifest's checkpoint URL: {len(done)} parts done, {len(in_progress)} in progress")
        page2.get_by_test_id("start").click()
        wait_done(page2)
        assert_same_report(download_report(page2), expected_report(job.path))
        refetched = {i for i, _ in fetched}
        assert not refetched & done, f"done parts fetched again on the other device: {refetched & done}"
        for i, pos in in_progress.items():
            part = job.parts[i]
            if pos > part["start"]:
                assert (i, f"bytes={pos - part['start']}-{part['end'] - part['start'] - 1}") in fetched
        finished = None
        for _ in range(100):                        # at the end the checkpoint URL says "finished"
            finished = remote_state(job)
            if finished and finished["finished"]:
                break
            page2.wait_for_timeout(100)
        assert finished["finished"] and finished["parts"] == []
    finally:
        other.close()
    assert not blocked, blocked


def test_a_corrupt_remote_state_is_discarded_with_a_note(guarded_page, site_url, staged):
    job = staged("device4", 4.0, 512 * KB, gzip=False)
    target = job.manifest["results"]["checkpoint"]
    doc = {"schema": "jsonm.job_state", "version": 1, "job_id": job.job_id, "source": None, "saved_at": 0,
           "finished": False, "parts": [{"index": 0, "state": "done", "position": job.parts[0]["end"],
                                         "records": 1, "report": "{}"}], "sha256": "0" * 64}
    job.s3.put_object(Bucket=target["bucket"], Key=target["key"], Body=json.dumps(doc).encode())
    page = guarded_page
    page.goto(page_url(site_url, job.manifest_url, workers=1))
    assert "Manifest valid" in wait_loaded(page)       # nothing restored: a fresh start is offered
    expect(page.get_by_test_id("notes")).to_contain_text(
        "the checkpoint saved at the manifest's checkpoint URL was discarded: integrity hash mismatch")
    assert idb_parts(page, job.job_id) == []
    # "Forget this job" also empties the state at the checkpoint URL (no other device resumes it)
    page.get_by_test_id("forget").click()
    expect(page.get_by_test_id("status")).to_contain_text("Job forgotten")
    cleared = None
    for _ in range(100):
        cleared = remote_state(job)
        if cleared and cleared.get("sha256") != "0" * 64:
            break
        page.wait_for_timeout(100)
    assert cleared["parts"] == [] and not cleared["finished"] and cleared["job_id"] == job.job_id
    clear_remote_state(job)
