"""The engine worker's Python (Pyodide, one per Web Worker): validate manifests, process parts.

Messages in (from the page):  open{url|text}, use{text}, run{part}, pause, cancel, checkpoint,
finalize{parts}, forget{job_id}, upload{what}, sync{seq, finished}.
Messages out: ready, manifest / manifest_error, progress, checkpointed, note, part_done,
part_failed{kind: expired|network|integrity|error}, paused, report, forgotten, uploaded, synced.

A part is streamed: fetch -> (gunzip) -> sha256 -> engine.feed in pieces <= the engine buffer;
checkpoints (every 8 MB or 2 s, on pause/pagehide) go to IndexedDB keyed (job_id, part index).
"""

import asyncio
import hashlib
import json
import time
import zlib

import js
from pyodide.ffi import JsException, to_js

import jsonm_idb as idb
import jsonm_core
from jsonm_core import browser_plan as bp
from jsonm_core import browser_state as bs
from jsonm_core import cost
from jsonm_core import manifest as mf

boot_ms = 0.0
BUFFER = 4 << 20
PIECE = 256 << 10
SNAPSHOT_EVERY = 1 << 20
state = {"manifest": None, "pause": False, "cancel": False, "checkpoint_now": False,
         "queue": [], "running": None, "queue_task": False, "worked": 0,
         "prefetched": {}, "fresh": set(), "prefetch": True, "range": None, "config": {}}


class Expired(Exception):
    pass


class PartFailure(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class Paused(Exception):
    pass


def post(obj: dict) -> None:
    """Messages travel as JSON text: the page's MicroPython parses them with its json module."""
    js.postMessage(json.dumps(obj))


def wasm_bytes() -> int:
    try:
        return int(js.jsonmWasmBytes())
    except Exception:  # noqa: BLE001 - before boot completes
        return 0


def announce() -> None:
    import ijson
    post({"type": "ready", "version": jsonm_core.__version__, "ijson_backend": ijson.backend,
          "boot_ms": round(boot_ms), "wasm": wasm_bytes()})


def dispatch(msg) -> None:
    """Called from JS for every message; long work runs as tasks so control messages get in."""
    data = json.loads(msg)
    kind = data.get("type")
    if kind == "pause" or kind == "cancel":
        state["pause"] = True
        state["cancel"] = kind == "cancel"
        dropped = state["queue"][:]
        state["queue"].clear()
        drop_prefetched()
        if state["running"] is None:
            post({"type": "paused", "part": None, "dropped": dropped})
        else:
            state["dropped"] = dropped
        return
    if kind == "checkpoint":
        state["checkpoint_now"] = True
        return
    if kind == "run":                     # queued in message order: a later pause drops it
        state["pause"] = False
        state["cancel"] = False
        state["queue"].append(int(data["part"]))
        if data.get("fresh"):
            state["fresh"].add(int(data["part"]))
    if kind == "config":
        state["config"].update(data.get("config") or {})
        return
    asyncio.ensure_future(_guard(kind, data))


async def _guard(kind: str, data: dict) -> None:
    try:
        if kind == "open":
            await open_manifest(data)
        elif kind == "use":
            use_manifest(data["text"])
        elif kind == "run":
            if state["queue"] and state["running"] is None and not state["queue_task"]:
                state["queue_task"] = True
                try:
                    await run_queue()
                finally:
                    state["queue_task"] = False
        elif kind == "finalize":
            await finalize(data)
        elif kind == "forget":
            await idb.deleteJob(data["job_id"])
            post({"type": "forgotten", "job_id": data["job_id"]})
        elif kind == "upload":
            await upload(data)
        elif kind == "sync":
            await sync_state(data)
    except Exception as exc:  # noqa: BLE001 - one clear line to the page, never a silent worker
        post({"type": "error", "message": bp.redact(f"{type(exc).__name__}: {exc}"), "during": kind})


# ---------------------------------------------------------------------------- manifest

async def fetch_text(url: str) -> str:
    policy = bp.RetryPolicy(max_attempts=4)
    while True:
        try:
            resp = await js.fetch(url)
            body = await resp.text()
        except JsException as exc:
            delay = policy.next_delay()
            if delay is None:
                raise mf.ManifestError(f"cannot fetch the manifest: {exc}") from None
            await asyncio.sleep(delay)
            continue
        verdict = bp.classify_status(resp.status, body)
        if verdict == "ok":
            return body
        if verdict == "retry":
            delay = policy.next_delay()
            if delay is not None:
                await asyncio.sleep(delay)
                continue
        if verdict == "expired":
            raise mf.ManifestError("the manifest URL has expired — ask for a refreshed one")
        raise mf.ManifestError(f"fetching the manifest failed with HTTP {resp.status}")


def use_manifest(text: str) -> mf.Manifest:
    m = mf.loads(text)
    state["manifest"] = m
    state["runs"] = bs.ReportRuns()      # merged reports of done runs, for job-state uploads
    return m


async def open_manifest(data: dict) -> None:
    url = data.get("url")
    try:
        if url:
            mf.check_url(url, "manifest")
            text = await fetch_text(url)
        else:
            text = data.get("text") or ""
        m = use_manifest(text)
    except mf.ManifestError as exc:
        post({"type": "manifest_error", "message": bp.redact(str(exc))})
        return
    await purge_old_jobs()
    size = m.source["size"]
    part_size = max((p.size for p in m.parts), default=0)
    est = cost.estimate(size, chunk_size=max(1, part_size),
                        egress_fraction=1.0)
    saved = (await idb.partSummaries(m.job_id)).to_py()
    if not saved and await pull_state(m):
        saved = (await idb.partSummaries(m.job_id)).to_py()
    job = (await idb.getJob(m.job_id))
    if job is None:
        await idb.putJob(to_js({"job_id": m.job_id, "source": m.source, "parts": len(m.parts),
                                "created_at": time.time(), "updated_at": time.time(),
                                "finished_at": None}, dict_converter=js.Object.fromEntries))
        finished_at = None
    else:
        finished_at = job.finished_at if isinstance(job.finished_at, (int, float)) else None  # JS null
    prices = cost.PRICES
    post({"type": "manifest", "text": text, "job_id": m.job_id,
          "source": {"bucket": m.source["bucket"], "key": m.source["key"], "size": size},
          "format": m.format, "complete": m.complete,
          "parts": [[p.start, p.end] for p in m.parts],
          "encodings": [p.encoding for p in m.parts],
          "expired": len(m.expired_parts()),
          "results": sorted(m.results),
          "estimate": {"total": est["total"], "tier": cost.seed_tier(size),
                       "seed": cost.seed_estimate(size / cost.GB)["total_estimate"],
                       "items": est["items"], "as_of": prices["as_of"]},
          "prices": {"egress_per_gb": prices["egress_per_gb"],
                     "get_per_1000": prices["get_per_1000"]["STANDARD"],
                     "put_per_1000": prices["put_per_1000"]["STANDARD"]},
          "saved": saved, "finished_at": finished_at})


async def purge_old_jobs() -> None:
    """Completed jobs' checkpoints and part reports are purged 30 days after they finished."""
    now = time.time()
    for job in (await idb.listJobs()):
        done_at = job.finished_at if isinstance(job.finished_at, (int, float)) else None
        if bp.purge_due(done_at, now):
            await idb.deleteJob(job.job_id)
            post({"type": "note", "level": "info",
                  "message": f"purged job {job.job_id[:12]} (finished more than 30 days ago)"})


# ---------------------------------------------------------------------------- parts

async def run_queue() -> None:
    while state["queue"] and not state["pause"]:
        index = state["queue"].pop(0)
        state["running"] = index
        try:
            await run_part(index)
        except Paused:
            pass
        except Expired as exc:
            post({"type": "part_failed", "part": index, "kind": "expired", "message": str(exc)})
        except PartFailure as exc:
            post({"type": "part_failed", "part": index, "kind": exc.kind,
                  "message": bp.redact(str(exc))})
        except Exception as exc:  # noqa: BLE001
            post({"type": "part_failed", "part": index, "kind": "error",
                  "message": bp.redact(f"{type(exc).__name__}: {exc}")})
        finally:
            state["running"] = None
    if state["pause"]:
        post({"type": "paused", "part": None, "dropped": state.pop("dropped", [])})


def drop_prefetched() -> None:
    for promise in state["prefetched"].values():
        promise.then(lambda resp: resp.body.cancel() if resp.body else None).catch(lambda e: None)
    state["prefetched"].clear()


def maybe_prefetch(part: mf.Part, fed: int) -> None:
    """Open the next queued part's request once this one is half done (<= 3 in flight)."""
    m = state["manifest"]
    if not state["queue"] or state["pause"]:
        return
    nxt = state["queue"][0]
    if nxt in state["prefetched"] or nxt not in state["fresh"]:
        return                            # a part with saved progress resumes with its own request
    in_flight = 1 + len(state["prefetched"])
    if bp.should_prefetch(fed - part.start, part.size, in_flight, prefetch_enabled=state["prefetch"],
                          queued=len(state["queue"])):
        npart = m.parts[nxt]
        url, headers, _ = request_for(npart, npart.start)
        init = {"headers": headers, "cache": "no-store"}
        state["prefetched"][nxt] = js.fetch(url, to_js(init, dict_converter=js.Object.fromEntries))


def new_engine(m: mf.Manifest, part: mf.Part):
    from jsonm_core.engine import Engine
    # The engine snapshots itself at record boundaries every `snapshot_every` bytes; the worker
    # persists the newest snapshot every 8 MB or 2 s (bp.CheckpointClock), on pause and pagehide.
    every = int(state["config"].get("snapshot_every", SNAPSHOT_EVERY))
    return Engine(format=m.format, buffer_size=BUFFER, source=m.source, checkpoint_every=every,
                  part={"index": part.index, "start": part.start, "end": part.end,
                        "context": part.context})


async def load_checkpoint(m: mf.Manifest, part: mf.Part):
    """(engine, position) from IndexedDB, or (None, start); a bad checkpoint is dropped with a note."""
    rec = await idb.getPart(m.job_id, part.index)
    if rec is None or rec.state != "progress":
        return None, part.start
    from jsonm_core.engine import CheckpointError, Engine
    try:
        blob = rec.checkpoint.to_bytes()
        engine = Engine.resume(blob, source=m.source)
        post({"type": "note", "level": "info", "part": part.index,
              "message": f"part {part.index} resumes from its checkpoint at byte {engine.resume_offset}"})
        return engine, int(engine.resume_offset)
    except (CheckpointError, ValueError, AttributeError) as exc:
        await idb.deletePart(m.job_id, part.index)
        post({"type": "note", "level": "warning", "part": part.index,
              "message": f"checkpoint for part {part.index} failed its integrity check and was "
                         f"discarded ({exc}); the part restarts from its beginning"})
        return None, part.start


async def save_checkpoint(m: mf.Manifest, part: mf.Part, engine) -> int | None:
    """Persist the engine's latest record-boundary snapshot; returns its position (None if none yet)."""
    from jsonm_core.engine import CheckpointError
    try:
        blob = engine.checkpoint()
    except CheckpointError:
        return None                      # no record boundary reached yet in this part
    position = int(engine.resume_offset)
    arr = js.Uint8Array.new(len(blob))
    arr.assign(blob)
    rec = to_js({"job_id": m.job_id, "index": part.index, "state": "progress", "position": position,
                 "records": int(engine.records), "updated_at": time.time()},
                dict_converter=js.Object.fromEntries)
    rec.checkpoint = arr
    await idb.putPart(rec)
    post({"type": "checkpointed", "part": part.index, "position": position, "bytes": len(blob)})
    return position


async def run_part(index: int) -> None:
    m = state["manifest"]
    if m is None:
        raise PartFailure("error", "no manifest loaded in this worker")
    part = m.parts[index]
    rec = await idb.getPart(m.job_id, index)
    if rec is not None and rec.state == "done":
        post({"type": "part_done", "part": index, "records": int(rec.records or 0), "cached": True})
        return
    failures = 0
    while True:
        engine, position = await load_checkpoint(m, part)
        try:
            await stream_part(m, part, engine, position)
            return
        except PartFailure as exc:
            if exc.kind != "integrity":
                raise
            failures += 1
            await idb.deletePart(m.job_id, index)
            post({"type": "note", "level": "error", "part": index, "message": str(exc)})
            if failures >= 2:
                raise
            state["range"] = bp.shrink_after_failures(state.get("range") or (8 << 20), failures + 1)


def request_for(part: mf.Part, resume_at: int) -> tuple[str, dict, bool]:
    """(url, headers, whole) for fetching the part's bytes from absolute offset resume_at."""
    headers = {}
    if part.encoding == "gzip":
        return part.url, headers, True          # a gzip member cannot be entered mid-way
    if part.range is not None:                  # --no-copy: a range of the original object
        headers["Range"] = bp.range_header(resume_at, part.end)
    elif resume_at > part.start:
        headers["Range"] = bp.range_header(resume_at - part.start, part.size)
    return part.url, headers, resume_at == part.start


async def stream_part(m: mf.Manifest, part: mf.Part, engine, position: int) -> None:
    resumed = engine is not None
    if engine is None:
        engine = new_engine(m, part)
        position = part.start
    fed = position                      # absolute offset the engine has consumed up to
    hasher = None
    hashed_to = part.start              # absolute offset of the next byte to hash
    verify = True
    clock = bp.CheckpointClock(
        every_bytes=int(state["config"].get("checkpoint_every", bp.CHECKPOINT_EVERY_BYTES)),
        every_seconds=float(state["config"].get("checkpoint_seconds", bp.CHECKPOINT_EVERY_SECONDS)))
    clock.mark(fed)
    policy = bp.RetryPolicy(max_attempts=int(state["config"].get("max_attempts", 6)))
    last_post = 0.0
    fetched_unreported = 0
    requests_unreported = 0
    while True:
        start_at = part.start if part.encoding == "gzip" else (hashed_to if hasher else fed)
        if start_at >= part.end:
            break                       # the checkpoint already covers the whole part: a Range
                                        # from its end would be refused (416); just finish it
        url, headers, whole = request_for(part, start_at)
        if whole:
            hasher, hashed_to = hashlib.sha256(), part.start
        elif hasher is None:
            verify = False              # resumed mid-part from a checkpoint: prefix not refetched
        decoder = zlib.decompressobj(31) if part.encoding == "gzip" else None
        decoded_at = start_at
        try:
            init = {"headers": headers, "cache": "no-store"}
            early = state["prefetched"].pop(part.index, None)
            if early is not None and not whole:
                drop = early
                drop.then(lambda r: r.body.cancel() if r.body else None).catch(lambda e: None)
                early = None
            if early is not None:
                resp = await early        # opened while the previous part was half done
            else:
                resp = await js.fetch(url, to_js(init, dict_converter=js.Object.fromEntries))
            requests_unreported += 1
            if not (200 <= resp.status < 300):
                body = await resp.text()
                verdict = bp.classify_status(resp.status, body)
                if verdict == "expired":
                    raise Expired("manifest expired — paste a refreshed manifest URL")
                if verdict == "fatal":
                    raise PartFailure("error", f"part {part.index}: HTTP {resp.status}")
                raise ConnectionError(f"HTTP {resp.status}")
            if headers.get("Range") and resp.status != 206:
                raise PartFailure("error", f"part {part.index}: the server ignored the Range header")
            reader = resp.body.getReader()

            async def after_piece(fed_now: int) -> None:
                nonlocal last_post, fetched_unreported, requests_unreported
                now = time.monotonic()
                if now - last_post >= 0.25:
                    last_post = now
                    post(progress_msg(part, fed_now, engine, fetched_unreported, requests_unreported))
                    fetched_unreported = requests_unreported = 0
                    pressure(m, part)
                maybe_prefetch(part, fed_now)
                if state["pause"] or state["checkpoint_now"] or (engine.checkpoint_due and clock.due(fed_now)):
                    await save_checkpoint(m, part, engine)
                    clock.mark(fed_now)
                    state["checkpoint_now"] = False
                    if state["pause"]:
                        await reader.cancel()
                        post(progress_msg(part, fed_now, engine, fetched_unreported, requests_unreported))
                        raise Paused()

            while True:
                chunk = await reader.read()
                if chunk.done:
                    break
                raw = chunk.value.to_bytes()
                fetched_unreported += len(raw)
                data = decoder.decompress(raw) if decoder else raw
                if data:
                    if hasher is not None:
                        hasher.update(data)
                        hashed_to += len(data)
                    fed = await feed(engine, data, decoded_at, fed, after_piece)
                    decoded_at += len(data)
            if decoder is not None:
                data = decoder.flush()
                if data:
                    hasher.update(data)
                    hashed_to += len(data)
                    fed = await feed(engine, data, decoded_at, fed, after_piece)
                    decoded_at += len(data)
            if decoded_at != part.end:
                raise ConnectionError(f"short body: part {part.index} ended at byte {decoded_at}, "
                                      f"expected {part.end}")
            break
        except (JsException, ConnectionError, zlib.error) as exc:
            if state["pause"]:               # offline / paused: keep the checkpoint, do not burn retries
                await save_checkpoint(m, part, engine)
                raise Paused() from None
            delay = policy.next_delay()
            if delay is None:
                raise PartFailure("network", f"part {part.index} failed after {policy.attempts} "
                                             f"attempts: {exc}") from None
            post({"type": "note", "level": "info", "part": part.index,
                  "message": bp.redact(f"part {part.index}: {exc}; retrying in {delay:.1f} s")})
            await asyncio.sleep(delay)
    post(progress_msg(part, fed, engine, fetched_unreported, requests_unreported))
    if verify and hasher is not None:
        digest = hasher.hexdigest()
        if digest != part.sha256:
            raise PartFailure("integrity", f"sha256 mismatch for part {part.index}: expected "
                                           f"{part.sha256[:16]}…, got {digest[:16]}…")
    elif resumed:
        post({"type": "note", "level": "info", "part": part.index,
              "message": f"part {part.index} resumed at byte {position}: its sha256 covers the whole "
                         f"part, so only the fetched remainder was read (not re-verified)"})
    report = engine.finish()
    await idb.putPart(to_js({"job_id": m.job_id, "index": part.index, "state": "done",
                             "position": part.end, "records": int(engine.records),
                             "report": json.dumps(report, ensure_ascii=False),
                             "updated_at": time.time()}, dict_converter=js.Object.fromEntries))
    post({"type": "part_done", "part": part.index, "records": int(engine.records), "cached": False})


async def feed(engine, data: bytes, data_at: int, fed: int, after_piece=None) -> int:
    """Feed the part of `data` (starting at absolute data_at) beyond `fed`, in pieces <= PIECE;
    after each piece `after_piece(fed)` may checkpoint, report progress or stop (pause)."""
    skip = fed - data_at
    if skip >= len(data):
        return fed
    view = memoryview(data)[max(0, skip):]
    for i in range(0, len(view), PIECE):
        piece = bytes(view[i:i + PIECE])
        engine.feed(piece)
        fed += len(piece)
        state["worked"] += len(piece)
        if after_piece is not None:
            await after_piece(fed)
    await asyncio.sleep(0)               # let pause/checkpoint messages in
    return fed


def progress_msg(part: mf.Part, fed: int, engine, fetched: int, requests: int) -> dict:
    return {"type": "progress", "part": part.index, "position": fed, "records": int(engine.records),
            "fetched": fetched, "requests": requests, "wasm": wasm_bytes(),
            "prefetch": state["prefetch"]}


def pressure(m: mf.Manifest, part: mf.Part) -> None:
    budget = int(state["config"].get("memory_budget", 1536 << 20))
    level = bp.pressure_level(wasm_bytes(), budget)
    decision = bp.on_pressure(level, state.get("range") or (8 << 20), worked=state["worked"],
                              min_work=int(state["config"].get("recycle_min_work", bp.RECYCLE_MIN_WORK)))
    state["prefetch"] = decision["prefetch"]
    state["range"] = decision["range"]
    if decision["recycle"]:
        state["checkpoint_now"] = True
        state["pause"] = True
        post({"type": "recycle", "part": part.index, "wasm": wasm_bytes()})


# ---------------------------------------------------------------------------- report

async def finalize(data: dict) -> None:
    from jsonm_core.report import merge
    m = state["manifest"]
    merged = None
    covered = -1                          # a restored run's report covers its parts up to here
    for i in range(len(m.parts)):
        rec = await idb.getPart(m.job_id, i)
        if rec is None or rec.state != "done":
            post({"type": "error", "during": "finalize", "message": f"part {i} is not done"})
            return
        if getattr(rec, "covered_by", None) is not None:
            if i > covered:
                post({"type": "error", "during": "finalize",
                      "message": f"part {i} is covered by a run whose report is missing"})
                return
            continue
        report = json.loads(rec.report)
        merged = report if merged is None else merge(merged, report)
        covered = int(getattr(rec, "last", None) or i)
    merged.setdefault("run", {})
    if isinstance(merged.get("run"), dict):
        merged["run"]["browser"] = {"parts": len(m.parts), "job_id": m.job_id}
    text = bp.redact(json.dumps(merged, ensure_ascii=False, indent=1))
    job = await idb.getJob(m.job_id)
    if job is not None:
        job.finished_at = time.time()
        await idb.putJob(job)
    state["report_text"] = text
    post({"type": "report", "text": text})


async def upload(data: dict) -> None:
    m = state["manifest"]
    what = data.get("what", "report")
    target = (m.results or {}).get(what)
    text = data.get("text") or state.get("report_text")
    if not target or not text:
        post({"type": "uploaded", "ok": False, "message": f"no presigned {what} URL in the manifest"})
        return
    init = {"method": target.get("method", "PUT"), "body": text,
            "headers": {"Content-Type": "application/json"}}
    try:
        resp = await js.fetch(target["url"], to_js(init, dict_converter=js.Object.fromEntries))
        ok = 200 <= resp.status < 300
        post({"type": "uploaded", "ok": ok, "status": resp.status,
              "message": f"{what} uploaded ({len(text.encode())} bytes)" if ok
              else f"upload failed: HTTP {resp.status}"})
    except JsException as exc:
        post({"type": "uploaded", "ok": False, "message": bp.redact(f"upload failed: {exc}")})


# ---------------------------------------------------------------------------- remote job state

def _note(message: str, level: str = "info") -> None:
    post({"type": "note", "level": level, "message": bp.redact(message)})


async def pull_state(m: mf.Manifest) -> bool:
    """No local state: restore the job state saved at the manifest's checkpoint GET URL, if any."""
    url = ((m.results or {}).get("checkpoint") or {}).get("get_url")
    if not url:
        return False
    try:
        resp = await js.fetch(url, to_js({"cache": "no-store"}, dict_converter=js.Object.fromEntries))
        if resp.status in (403, 404):      # nothing saved yet (S3 answers 403 without ListBucket)
            return False
        if not (200 <= resp.status < 300):
            _note(f"the manifest's checkpoint URL answered HTTP {resp.status}; starting fresh", "warning")
            return False
        text = await resp.text()
    except JsException as exc:
        _note(f"could not read the manifest's checkpoint URL ({exc}); starting fresh", "warning")
        return False
    try:
        got = bs.decode(text, job_id=m.job_id, parts=[(p.start, p.end) for p in m.parts])
    except bs.StateError as exc:
        _note(f"the checkpoint saved at the manifest's checkpoint URL was discarded: {exc}; "
              f"the job starts from the beginning", "warning")
        return False
    if got["finished"] or not got["parts"]:
        return False
    done = progress = 0
    for rec in got["parts"]:
        row = {"job_id": m.job_id, "index": rec["index"], "state": rec["state"],
               "position": rec["position"], "records": rec["records"], "updated_at": time.time()}
        last = rec.get("last", rec["index"])
        if rec["state"] == "done":
            row["report"] = rec["report"]
            done += last - rec["index"] + 1
            if last != rec["index"]:
                row["last"] = last
        else:
            progress += 1
        obj = to_js(row, dict_converter=js.Object.fromEntries)
        if rec["state"] == "progress":
            arr = js.Uint8Array.new(len(rec["checkpoint"]))
            arr.assign(rec["checkpoint"])
            obj.checkpoint = arr
        await idb.putPart(obj)
        for k in range(rec["index"] + 1, last + 1):      # inside a run: done, its report in the run's
            await idb.putPart(to_js({"job_id": m.job_id, "index": k, "state": "done",
                                     "position": m.parts[k].end, "records": 0, "covered_by": rec["index"],
                                     "updated_at": time.time()}, dict_converter=js.Object.fromEntries))
    _note(f"restored from the manifest's checkpoint URL: {done} parts done, "
          f"{progress} in progress (saved on another device or session)")
    return True


async def sync_state(data: dict) -> None:
    """Upload the job state (latest request wins; one upload at a time per worker)."""
    state["sync_want"] = data
    if state.get("syncing"):
        return
    state["syncing"] = True
    try:
        while state.get("sync_want") is not None:
            want = state.pop("sync_want")
            await _put_state(want)
    finally:
        state["syncing"] = False


async def _put_state(want: dict) -> None:
    m = state["manifest"]
    target = (m.results or {}).get("checkpoint") if m is not None else None
    if not target:
        return
    finished = bool(want.get("finished"))
    records = []
    if want.get("clear"):
        state["runs"] = bs.ReportRuns()   # a forgotten job's merged runs must not come back
    if not finished and not want.get("clear"):
        for r in (await idb.partRecords(m.job_id)):
            if getattr(r, "covered_by", None) is not None:
                continue                  # inside a restored run: its report is the run's
            rec = {"index": int(r.index), "state": r.state, "position": int(r.position or 0),
                   "records": int(getattr(r, "records", 0) or 0)}
            report = getattr(r, "report", None)
            blob = getattr(r, "checkpoint", None)
            if isinstance(report, str):
                rec["report"] = report
                if getattr(r, "last", None) is not None:
                    rec["last"] = int(r.last)
            if blob is not None and hasattr(blob, "to_bytes"):
                rec["checkpoint"] = blob.to_bytes()
            records.append(rec)
    limit = int(state["config"].get("state_max_bytes", bs.MAX_BYTES))
    text, summary = bs.encode(m.job_id, m.source, records, saved_at=time.time(), finished=finished,
                              max_bytes=limit, runs=state.get("runs"))
    init = {"method": target.get("method", "PUT"), "body": text,
            "headers": {"Content-Type": "application/json"}}
    msg = {"type": "synced", "seq": want.get("seq", 0), "finished": finished,
           "cleared": bool(want.get("clear")), **summary}
    try:
        resp = await js.fetch(target["url"], to_js(init, dict_converter=js.Object.fromEntries))
        msg["ok"] = 200 <= resp.status < 300
        msg["status"] = resp.status
    except JsException as exc:
        msg["ok"], msg["error"] = False, bp.redact(str(exc))
    post(msg)
