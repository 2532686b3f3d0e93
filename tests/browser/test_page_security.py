"""Security of the page: data carrying HTML/JS payloads is shown as text (no dialog, no script, no
element from the data), a bad manifest is rejected before any fetch with one clear message, and the
page is served under a CSP without unsafe-inline scripts."""

from __future__ import annotations

import json
import urllib.request

from page_jobs import clear_remote_state
from page_jobs import assert_same_report, download_report, expected_report, start_job, wait_done
from playwright.sync_api import expect

KB = 1 << 10
PAYLOADS = ['<img src=x onerror="window.__xss=1;alert(1)">', "</script><script>window.__xss=2;alert(2)</script>",
            "<svg onload=alert(3)>", "javascript:alert(4)", "\"><iframe src=javascript:alert(5)>"]


def hostile_data() -> bytes:
    lines = []
    for i in range(400):
        p = PAYLOADS[i % len(PAYLOADS)]
        lines.append(json.dumps({"id": i, p: p, "nested": {"<b>key</b>": [p, {"k": p}]}, "note": f"row {i} {p}"}))
    lines.insert(200, '{"id": 9999, "<img src=x onerror=alert(6)>": "</script><script>alert(7)</script>" oops}')
    lines.insert(300, '{"dup": 1, "dup": "<img src=x onerror=alert(8)>"}')
    return ("\n".join(lines) + "\n").encode()


def test_html_and_script_payloads_in_the_data_are_shown_as_text(guarded_page, site_url, staged):
    job = staged("hostile", hostile_data(), 32 * KB)
    clear_remote_state(job)
    page = guarded_page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    start_job(page, site_url, job, workers=1)
    wait_done(page)
    report = download_report(page)
    assert_same_report(report, expected_report(job.path))
    assert report["totals"]["errors"] >= 1
    page.wait_for_timeout(500)
    assert dialogs == []
    assert page.evaluate("window.__xss") is None
    card = page.get_by_test_id("report")
    assert card.locator("img, svg, iframe, script").count() == 0      # nothing from the data became an element
    assert page.locator("img, iframe").count() == 0
    schema = page.get_by_test_id("schema")
    expect(schema).to_contain_text('$["<img src=x onerror=\\"window.__xss=1;alert(1)\\">"]')
    expect(schema).to_contain_text('$.nested["<b>key</b>"][*].k')
    expect(schema).to_contain_text('$["</script><script>window.__xss=2;alert(2)</script>"]')
    findings = page.get_by_test_id("findings")
    expect(findings).to_contain_text('rt(7)</script>" oops}')            # excerpts, verbatim, as text
    expect(findings).to_contain_text('{"dup": 1, "dup": "<img src=x onerr')


def test_bad_manifest_is_rejected_with_one_clear_message_before_any_fetch(guarded_page, site_url, staged):
    job = staged("hostile", hostile_data(), 32 * KB)
    clear_remote_state(job)
    bad = json.loads(json.dumps(job.manifest))
    del bad["parts"][0]["sha256"]
    page = guarded_page
    parts_fetched: list[str] = []
    page.on("request", lambda r: job.part_of(r.url) is not None and parts_fetched.append(r.url))
    page.goto(site_url)
    expect(page.get_by_test_id("engine-version")).to_contain_text("jsonm_core", timeout=90_000)
    page.get_by_test_id("manifest-file").set_input_files(
        files=[{"name": "manifest.json", "mimeType": "application/json", "buffer": json.dumps(bad).encode()}])
    expect(page.get_by_test_id("status")).to_have_text("Manifest rejected: part 0 has no sha256 checksum")
    bad["parts"][0]["sha256"] = job.manifest["parts"][0]["sha256"]
    bad["parts"][0]["url"] = "http://example.com/chunk"
    page.get_by_test_id("manifest-file").set_input_files(
        files=[{"name": "manifest.json", "mimeType": "application/json", "buffer": json.dumps(bad).encode()}])
    expect(page.get_by_test_id("status")).to_contain_text("Manifest rejected: part 0 url must be https")
    assert parts_fetched == []
    expect(page.locator("#job-card")).to_be_hidden()


def test_page_is_served_with_a_csp_without_unsafe_inline_scripts(site_url):
    with urllib.request.urlopen(site_url) as resp:
        csp = resp.headers["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'wasm-unsafe-eval'" in script_src
    assert "object-src 'none'" in csp
