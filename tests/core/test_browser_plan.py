"""The page's pure decisions (jsonm_core.browser_plan): the seed's chunk sizes, prefetch at 50 %,
<= 3 in flight, pressure halving/recycling, retry classification and jittered backoff, and the
job bookkeeping that IndexedDB stores.  Runs in CPython and in Pyodide (no I/O)."""

import json
import random

import pytest

from jsonm_core import browser_plan as bp

MB, GB = bp.MB, bp.GB


@pytest.mark.parametrize("mem, mobile, expected", [
    (8, False, 200 * MB),        # deviceMemory caps at 8: "> 8 GB" is unreachable from it
    (16, False, 200 * MB),       # a (non-standard) larger report is capped to 8 as well
    (6, False, 200 * MB),
    (4, False, 50 * MB),
    (2, False, 50 * MB),
    (None, False, 50 * MB),      # hidden deviceMemory is treated as 4 GB
    (8, True, 20 * MB),          # mobile: min(20 MB, 10 % of memory)
    (1, True, 20 * MB),
    (0.125, True, int(0.0125 * GB)),   # 10 % of 128 MB is below 20 MB
])
def test_chunk_size_follows_the_seed_table(mem, mobile, expected):
    assert bp.chunk_size(mem, mobile=mobile) == expected


def test_memory_hint_reaches_the_500mb_rung_that_device_memory_cannot():
    assert bp.chunk_size(8, memory_gb=16) == 500 * MB
    assert bp.chunk_size(8, memory_gb=8) == 200 * MB
    assert bp.chunk_size(2, memory_gb=5) == 200 * MB


def test_pool_size_caps_and_honours_request():
    assert bp.pool_size(2) == 2
    assert bp.pool_size(16) == 4
    assert bp.pool_size(8, cap=6) == 6
    assert bp.pool_size(None) == 2
    assert bp.pool_size(16, requested=1) == 1
    assert bp.pool_size(1) == 1


def test_split_range_covers_exactly_with_bounded_pieces():
    pieces = bp.split_range(10, 1000, 97)
    assert pieces[0][0] == 10 and pieces[-1][1] == 1000
    assert all(b - a <= 97 for a, b in pieces)
    assert all(p[1] == q[0] for p, q in zip(pieces, pieces[1:]))
    assert bp.range_header(0, 100) == "bytes=0-99"


def test_prefetch_at_half_and_never_more_than_three_in_flight():
    assert not bp.should_prefetch(49, 100, in_flight=1)
    assert bp.should_prefetch(50, 100, in_flight=1)
    assert bp.should_prefetch(99, 100, in_flight=2)
    assert not bp.should_prefetch(99, 100, in_flight=3)
    assert not bp.should_prefetch(99, 100, in_flight=1, prefetch_enabled=False)
    assert not bp.should_prefetch(99, 100, in_flight=1, queued=0)
    assert bp.MAX_IN_FLIGHT == 3


def test_pressure_levels_and_decisions():
    assert bp.pressure_level(10, 100) == "normal"
    assert bp.pressure_level(70, 100) == "moderate"
    assert bp.pressure_level(95, 100) == "critical"
    assert bp.pressure_level(95, 0) == "normal"
    assert bp.on_pressure("normal", 8 * MB) == {"range": 8 * MB, "prefetch": True, "recycle": False}
    assert bp.on_pressure("moderate", 8 * MB) == {"range": 4 * MB, "prefetch": False, "recycle": False}
    crit = bp.on_pressure("critical", 8 * MB)
    assert crit["recycle"] and not crit["prefetch"] and crit["range"] == 4 * MB
    assert bp.on_pressure("moderate", bp.MIN_CHUNK)["range"] == bp.MIN_CHUNK


def test_a_fresh_worker_does_some_work_before_it_may_be_recycled():
    assert not bp.on_pressure("critical", 8 * MB, worked=0)["recycle"]          # no recycle loop
    assert not bp.on_pressure("critical", 8 * MB, worked=bp.RECYCLE_MIN_WORK - 1)["recycle"]
    assert bp.on_pressure("critical", 8 * MB, worked=bp.RECYCLE_MIN_WORK)["recycle"]
    assert bp.on_pressure("critical", 8 * MB, worked=10, min_work=10)["prefetch"] is False
    assert not bp.on_pressure("moderate", 8 * MB, worked=1 << 40)["recycle"]


@pytest.mark.parametrize("status, body, kind", [
    (200, "", "ok"), (206, "", "ok"), (None, "", "retry"), (0, "", "retry"),
    (500, "", "retry"), (503, "SlowDown", "retry"), (429, "", "retry"),
    (403, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", "expired"),
    (403, "", "expired"),
    (403, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", "fatal"),
    (404, "NoSuchKey", "fatal"),
])
def test_classify_status(status, body, kind):
    assert bp.classify_status(status, body) == kind


def test_backoff_is_jittered_exponential_and_capped():
    rng = random.Random(7)
    for attempt in range(1, 12):
        ceiling = min(20.0, 0.25 * 2 ** (attempt - 1))
        delays = [bp.backoff(attempt, rng=rng) for _ in range(50)]
        assert all(0 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 40          # jitter: not one fixed value
    assert max(bp.backoff(30, rng=rng) for _ in range(100)) <= 20.0


def test_retry_policy_gives_up_at_the_cap():
    policy = bp.RetryPolicy(max_attempts=4, rng=random.Random(1))
    delays = [policy.next_delay() for _ in range(5)]
    assert all(d is not None for d in delays[:3]) and delays[3] is None and delays[4] is None
    policy.reset()
    assert policy.next_delay() is not None


def test_repeated_integrity_failures_shrink_the_range():
    assert bp.shrink_after_failures(8 * MB, 1) == 8 * MB
    assert bp.shrink_after_failures(8 * MB, 2) == 4 * MB
    assert bp.shrink_after_failures(8 * MB, 3) == 2 * MB
    assert bp.shrink_after_failures(8 * MB, 40) == bp.MIN_CHUNK


def test_checkpoint_clock_bytes_or_seconds_whichever_first():
    clock = bp.CheckpointClock(every_bytes=100, every_seconds=2.0, now=0.0)
    assert not clock.due(50, now=1.0)
    assert clock.due(100, now=1.0)          # bytes first
    clock.mark(100, now=1.0)
    assert not clock.due(120, now=2.5)
    assert clock.due(120, now=3.1)          # seconds first
    assert not clock.due(100, now=10.0)     # no progress: nothing to checkpoint


def test_redact_hides_signatures_credentials_and_tokens_only():
    url = ("http://127.0.0.1:9000/warm/jobs/x/0-100.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256"
           "&X-Amz-Credential=AKIA%2F20260101&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600"
           "&X-Amz-SignedHeaders=host&X-Amz-Signature=deadbeef&X-Amz-Security-Token=tok")
    out = bp.redact(f"fetch {url} failed")
    assert "deadbeef" not in out and "AKIA" not in out and "tok&" not in out and not out.endswith("=tok failed")
    assert "X-Amz-Signature=REDACTED" in out and "X-Amz-Credential=REDACTED" in out
    assert "X-Amz-Date=20260101T000000Z" in out and out.startswith("fetch http://127.0.0.1:9000/warm/")
    assert out.endswith(" failed")
    assert bp.redact("no secrets here: signature is a word") == "no secrets here: signature is a word"
    assert bp.redact("https://h/k?Signature=abc#frag") == "https://h/k?Signature=REDACTED#frag"


def test_job_progress_bookkeeping_and_round_trip():
    job = bp.JobProgress("j1", [(0, 100), (100, 250), (250, 300)])
    assert job.total_bytes == 300 and job.done_bytes == 0 and job.next_pending() == 0
    job.start(0)
    assert job.next_pending() == 1 and job.next_pending({1}) == 2
    job.advance(0, 60, records=6)
    job.start(1, position=180)
    assert job.done_bytes == 60 + 80
    job.finish(0, records=10)
    job.fail(2, "network")
    assert job.counts() == {"pending": 0, "running": 1, "done": 1, "failed": 1}
    assert job.remaining_bytes() == 300 - 100 - 80
    assert job.eta_seconds(10) == pytest.approx(12.0) and job.eta_seconds(0) is None
    job.fetched(1234, requests=2)
    again = bp.JobProgress.from_json(job.to_json())
    # a running part is stored as pending at its position (a reload restarts it from there)
    assert again.state == ["done", "pending", "failed"] and again.position == [100, 180, 250]
    assert again.errors == {2: "network"} and again.fetched_bytes == 1234 and again.requests == 2
    again.requeue(2)
    assert again.state[2] == "pending" and 2 not in again.errors
    again.requeue(0)
    assert again.state[0] == "done"
    assert not again.complete
    for i in (1, 2):
        again.finish(i)
    assert again.complete and again.fraction == 1.0 and again.total_records == 10


def test_job_progress_rejects_foreign_or_inconsistent_state():
    with pytest.raises(ValueError):
        bp.JobProgress.from_json({"version": 99})
    good = bp.JobProgress("j", [(0, 10)]).to_json()
    good["state"] = ["pending", "pending"]
    with pytest.raises(ValueError):
        bp.JobProgress.from_json(good)


def test_positions_are_clamped_to_their_part():
    job = bp.JobProgress("j", [(0, 10), (10, 20)])
    job.advance(1, 5)
    job.advance(0, 99)
    assert job.position == [10, 10]


def test_throughput_window():
    meter = bp.Throughput(window=5)
    assert meter.rate() == 0.0
    for t in range(0, 11):
        meter.add(float(t), t * 1000 if t < 6 else 5000 + (t - 5) * 3000)
    assert meter.rate() == pytest.approx(3000.0)


def test_purge_after_thirty_days():
    assert not bp.purge_due(None, 1e9)
    assert not bp.purge_due(0, 29 * 86400)
    assert bp.purge_due(0, 30 * 86400)


# ---------------------------------------------------------------------------- job state (checkpoint URL)

from jsonm_core import browser_state as bs  # noqa: E402

_REPORT = '{"schema": "jsonm.report", "version": 1, "bytes": 10}'
_PARTS = [(0, 10), (10, 20), (20, 30)]


def _state(**kw):
    recs = [{"index": 0, "state": "done", "position": 10, "records": 3, "report": _REPORT},
            {"index": 1, "state": "progress", "position": 14, "records": 1, "checkpoint": b"\x00\xffgz"},
            {"index": 2, "state": "progress", "position": 20}]          # no checkpoint: left out
    return bs.encode("job1", {"bucket": "b", "key": "k"}, recs, saved_at=5.0, **kw)


def test_job_state_round_trips_reports_and_checkpoint_bytes():
    text, summary = _state()
    assert summary["done"] == 1 and summary["progress"] == 1 and summary["dropped"] == []
    assert "\\u0000" not in text and "gz" not in text          # bytes travel as base64, not raw
    got = bs.decode(text, job_id="job1", parts=_PARTS)
    assert not got["finished"] and got["saved_at"] == 5.0
    assert got["parts"] == [{"index": 0, "state": "done", "position": 10, "records": 3, "report": _REPORT},
                            {"index": 1, "state": "progress", "position": 14, "records": 1,
                             "checkpoint": b"\x00\xffgz"}]


def test_job_state_rejects_corrupt_foreign_and_inconsistent_documents():
    text, _ = _state()
    with pytest.raises(bs.StateError, match="integrity"):
        bs.decode(text.replace('"position": 14', '"position": 15'), job_id="job1", parts=_PARTS)
    with pytest.raises(bs.StateError, match="another job"):
        bs.decode(text, job_id="job2", parts=_PARTS)
    with pytest.raises(bs.StateError, match="not JSON"):
        bs.decode(text[:-5], job_id="job1", parts=_PARTS)
    with pytest.raises(bs.StateError, match="out of range"):
        bs.decode(text, job_id="job1", parts=_PARTS[:1])
    with pytest.raises(bs.StateError, match="outside the part"):
        bs.decode(text, job_id="job1", parts=[(0, 10), (15, 20)])
    with pytest.raises(bs.StateError, match="not a jsonm job state"):
        bs.decode('{"schema": "jsonm.report"}', job_id="job1", parts=_PARTS)


def test_job_state_is_size_bounded_dropping_checkpoints_first():
    big = {"index": 1, "state": "progress", "position": 12, "checkpoint": b"x" * 3000}
    rep = {"index": 0, "state": "done", "position": 10, "report": _REPORT}
    text, summary = bs.encode("j", None, [rep, big], saved_at=0, max_bytes=1000)
    assert summary["dropped"] == [1] and summary["done"] == 1 and len(text) < 1000
    assert [p["index"] for p in bs.decode(text, job_id="j", parts=_PARTS)["parts"]] == [0]


def test_finished_job_state_carries_no_parts():
    text, summary = bs.encode("j", None, [], saved_at=1, finished=True)
    got = bs.decode(text, job_id="j", parts=_PARTS)
    assert got["finished"] and got["parts"] == [] and summary["done"] == 0


def test_job_state_with_a_lone_surrogate_in_a_report_is_valid_utf8_and_round_trips():
    """A part report may quote a lone surrogate decoded from a bad \\u escape in the data."""
    report = json.dumps({"schema": "jsonm.report", "examples": ["a\ud800b", "é"]}, ensure_ascii=False)
    text, _ = bs.encode("j", None, [{"index": 0, "state": "done", "position": 10, "report": report}], saved_at=0)
    text.encode("utf-8")                                  # what goes over the wire or to a file
    got = bs.decode(text.encode("utf-8"), job_id="j", parts=_PARTS)
    assert got["parts"][0]["report"] == report
    plain, _ = bs.encode("j", None, [{"index": 0, "state": "done", "position": 10, "report": _REPORT}], saved_at=0)
    assert "\\u" not in plain and bs.decode(plain, job_id="j", parts=_PARTS)["parts"][0]["report"] == _REPORT


# ---- runs of done parts (version 2): a terabyte job's state stays a few reports long

from core_helpers import boundaries  # noqa: E402
from jsonm_core.engine import Engine  # noqa: E402
from jsonm_core.report import merge, without_run  # noqa: E402


def _part_reports(n: int = 6):
    """Real part reports of a small NDJSON document cut into ``n`` parts at record boundaries."""
    data = b"".join(b'{"i": %d, "s": "%s", "f": %s}\n' % (i, b"x" * (i % 7), b"1.5" if i % 3 else b"2")
                    for i in range(300))
    cuts = boundaries(data, "ndjson")
    step = max(1, len(cuts) // n)
    picked = [c for c in cuts[step::step] if 0 < c.offset < len(data)][: n - 1]
    spans, prev = [], (0, None)
    for c in picked:
        spans.append((prev[0], c.offset, prev[1]))
        prev = (c.offset, c.context)
    spans.append((prev[0], len(data), prev[1]))
    reports = []
    for i, (a, b, ctx) in enumerate(spans):
        e = Engine(format="ndjson", part={"index": i, "start": a, "end": b, "context": ctx,
                                          "last": i == len(spans) - 1}, source={"size": len(data)})
        e.feed(data[a:b])
        reports.append(e.finish())
    whole = Engine(format="ndjson", source={"size": len(data)})
    whole.feed(data)
    return data, spans, reports, without_run(whole.finish())


def test_consecutive_done_parts_travel_as_one_run_with_the_merged_report():
    data, spans, reports, whole = _part_reports()
    texts = [json.dumps(r, ensure_ascii=False) for r in reports]
    parts = [(a, b) for a, b, _ in spans]
    recs = [{"index": i, "state": "done", "position": parts[i][1], "records": r["records"]["count"],
             "report": texts[i]} for i, r in enumerate(reports) if i != 3]
    recs.append({"index": 3, "state": "progress", "position": parts[3][0], "checkpoint": b"ck"})
    runs = bs.ReportRuns()
    text, summary = bs.encode("j", None, recs, saved_at=0, runs=runs)
    got = bs.decode(text, job_id="j", parts=parts)["parts"]
    assert [(e["index"], e.get("last"), e["state"]) for e in got] == [(0, 2, "done"), (3, None, "progress"),
                                                                       (4, 5, "done")]
    assert summary["done"] == 5 and summary["entries"] == 3
    assert got[0]["records"] == sum(r["records"]["count"] for r in reports[:3])
    # the runs' reports and the last part merge to exactly the whole document's report
    rebuilt = merge(merge(json.loads(got[0]["report"]), reports[3]), json.loads(got[2]["report"]))
    assert without_run(rebuilt) == whole


def test_a_part_finishing_next_to_a_run_costs_one_merge():
    _, spans, reports, _ = _part_reports()
    texts = [json.dumps(r, ensure_ascii=False) for r in reports]
    runs, recs = bs.ReportRuns(), []
    for i, t in enumerate(texts):                       # parts finish in order, one upload each
        recs.append({"index": i, "state": "done", "position": spans[i][1], "report": t})
        before = runs.merges
        bs.encode("j", None, recs, saved_at=0, runs=runs)
        assert runs.merges - before == (1 if i else 0)
    once = bs.encode("j", None, recs, saved_at=0, runs=runs)[0]
    assert runs.merges == len(texts) - 1                # nothing new: no merge at all
    fresh = bs.encode("j", None, recs, saved_at=0, runs=bs.ReportRuns())[0]
    assert json.loads(once)["parts"] == json.loads(fresh)["parts"]    # same text without the cache


def test_a_run_state_resumes_and_merges_again_with_runs_restored_from_it():
    """What another device does: rows restored from run entries upload as the same runs."""
    _, spans, reports, whole = _part_reports()
    parts = [(a, b) for a, b, _ in spans]
    texts = [json.dumps(r, ensure_ascii=False) for r in reports]
    first, _ = bs.encode("j", None, [{"index": i, "state": "done", "position": parts[i][1], "report": texts[i]}
                                     for i in (0, 1, 3, 4)], saved_at=0, runs=bs.ReportRuns())
    restored = bs.decode(first, job_id="j", parts=parts)["parts"]
    assert [(e["index"], e.get("last")) for e in restored] == [(0, 1), (3, 4)]
    later = restored + [{"index": i, "state": "done", "position": parts[i][1], "report": texts[i]} for i in (2, 5)]
    text, summary = bs.encode("j", None, later, saved_at=0, runs=bs.ReportRuns())
    (only,) = bs.decode(text, job_id="j", parts=parts)["parts"]
    assert (only["index"], only["last"], summary["done"]) == (0, 5, 6)
    assert without_run(json.loads(only["report"])) == whole


def test_run_entries_are_validated():
    parts = [(0, 10), (10, 20), (20, 30)]

    def doc(entries):
        text, _ = bs.encode("j", None, [], saved_at=0)
        body = json.loads(text)
        body.pop("sha256")
        body["parts"] = entries
        return json.dumps(dict(body, sha256=bs._digest(body)))

    good = {"index": 0, "last": 1, "state": "done", "position": 20, "records": 1, "report": _REPORT}
    assert bs.decode(doc([good]), job_id="j", parts=parts)["parts"][0]["last"] == 1
    with pytest.raises(bs.StateError, match="out of range or repeated"):
        bs.decode(doc([good, {**good, "index": 1, "last": 2, "position": 30}]), job_id="j", parts=parts)
    with pytest.raises(bs.StateError, match="out of range or repeated"):
        bs.decode(doc([{**good, "last": 3}]), job_id="j", parts=parts)
    with pytest.raises(bs.StateError, match="outside the part"):
        bs.decode(doc([{**good, "position": 5}]), job_id="j", parts=parts)
    with pytest.raises(bs.StateError, match="must be done"):
        bs.decode(doc([{"index": 0, "last": 1, "state": "progress", "position": 12, "checkpoint": ""}]),
                  job_id="j", parts=parts)
    v1 = json.loads(doc([]))                             # version 1 documents still read
    v1.pop("sha256")
    v1["version"] = 1
    assert bs.decode(json.dumps(dict(v1, sha256=bs._digest(v1))), job_id="j", parts=parts)["parts"] == []
