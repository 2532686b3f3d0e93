# The page's own Python (MicroPython on the main thread, kept light): the UI and the scheduler.
# Heavy work (manifest validation, fetching, parsing, merging) runs in the Pyodide workers;
# messages both ways are JSON text.  Everything that comes from data is set as textContent.
import json

import js

from pyscript import document, window
from pyscript.ffi import to_js

import browser_plan as bp

T0 = window.performance.now()
MAX_ASSIGNED = 2            # per worker: the part it streams + the next one queued behind it
MAX_FINDINGS_SHOWN = 1000


def el(i):
    return document.getElementById(i)


def set_text(i, s):
    el(i).textContent = s


def fmt_bytes(n):
    n = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1024


def fmt_int(n):
    s = str(int(n))
    out = ""
    while len(s) > 3:
        out = "\u202f" + s[-3:] + out
        s = s[:-3]
    return s + out


def fmt_secs(s):
    if s is None:
        return "—"
    s = int(s)
    if s < 60:
        return "%d s" % s
    if s < 3600:
        return "%d min %d s" % (s // 60, s % 60)
    return "%d h %d min" % (s // 3600, (s % 3600) // 60)


def status(msg, kind=""):
    node = el("status")
    node.textContent = bp.redact(msg)
    node.className = "status " + kind


def note(msg, level="info"):
    li = document.createElement("li")
    li.className = level
    li.textContent = bp.redact(msg)
    el("notes").appendChild(li)
    App.notes += 1
    set_text("notes-count", "(%d)" % App.notes)
    if level != "info":
        el("notes-box").open = True
    window.console.log("jsonm: " + bp.redact(msg))


def short_url(url):
    """Host and path only: the query string of a presigned URL is its signature."""
    q = url.find("?")
    return (url[:q] + " (presigned)") if q >= 0 else url


def query_param(name):
    return window.URLSearchParams.new(window.location.search).get(name)


class Worker:
    def __init__(self, slot):
        self.slot = slot
        self.ready = False
        self.state = "booting"
        self.assigned = []
        self.wasm = 0
        self.pausing = False
        self.recycling = False
        self.js = window.Worker.new("./worker.js", to_js({"type": "module"}))
        self.js.onmessage = lambda e: on_message(self, e)
        self.send({"type": "config", "config": App.config})

    def send(self, obj):
        self.js.postMessage(json.dumps(obj))


class App:
    workers = []
    info = None            # the validated manifest summary from a worker
    text = None            # the manifest JSON text (URLs inside; never shown)
    job = None             # bp.JobProgress
    running = False
    paused = False
    pause_reason = ""
    finalizing = False
    report_text = None
    report = None
    meter = bp.Throughput(window=6.0)
    rates = []
    notes = 0
    pending_url = None
    config = {}
    duplicate_done = 0
    sort_key = "offset"
    sort_desc = False
    started_at = 0.0
    fetched_at_start = 0
    sync_last = -1e9        # seconds (performance clock) of the last job-state upload request
    sync_seq = 0


# ---------------------------------------------------------------------------- workers

def read_config():
    """Tuning from the URL (tests and power users): checkpoint interval, memory budget, retries."""
    cfg = {}
    for name, key, scale in (("checkpoint_kb", "checkpoint_every", 1024), ("snapshot_kb", "snapshot_every", 1024),
                             ("memory_mb", "memory_budget", 1 << 20), ("attempts", "max_attempts", 1),
                             ("sync_s", "sync_seconds", 1), ("state_kb", "state_max_bytes", 1024),
                             ("recycle_min_kb", "recycle_min_work", 1024)):
        v = query_param(name)
        if v and v.isdigit():
            cfg[key] = int(v) * scale
    return cfg


def pool_target():
    requested = query_param("workers")
    req = int(requested) if requested and requested.isdigit() else None
    return bp.pool_size(window.navigator.hardwareConcurrency, requested=req)


def start_pool(n):
    for w in App.workers:
        w.js.terminate()
    App.workers = [Worker(i) for i in range(n)]
    render_workers()


def first_ready():
    for w in App.workers:
        if w.ready:
            return w
    return App.workers[0]


def on_message(w, event):
    try:
        data = json.loads(event.data)
    except Exception as exc:  # noqa
        note("unreadable worker message: %s" % exc, "error")
        return
    kind = data.get("type")
    if kind == "ready":
        w.ready = True
        w.state = "idle"
        w.wasm = data.get("wasm", 0)
        if w.slot == 0 or el("engine-version").textContent == "loading…":
            set_text("engine-version", "jsonm_core " + data["version"] + " · ijson " + data["ijson_backend"])
            set_text("start-time", "page ready %d ms · engine ready %d ms" % (App.page_ms, window.performance.now() - T0))
        if App.text is not None:
            w.send({"type": "use", "text": App.text})
        schedule()
    elif kind == "manifest":
        on_manifest(data)
    elif kind == "manifest_error":
        status("Manifest rejected: " + data["message"], "error")
        el("load-btn").disabled = False
    elif kind == "progress":
        if App.job is not None:
            App.job.advance(data["part"], data["position"], data["records"])
            App.job.fetched(data["fetched"], data["requests"])
        w.wasm = data.get("wasm", w.wasm)
        w.state = "streaming"
    elif kind == "checkpointed":
        w.state = "checkpointed part %d @ %s" % (data["part"], fmt_bytes(data["position"]))
        request_sync()
    elif kind == "part_done":
        if App.job is not None and not data.get("cached") and App.job.state[data["part"]] == "done":
            App.duplicate_done += 1          # a part processed twice (must never happen)
            el("progress").setAttribute("data-duplicates", str(App.duplicate_done))
        if App.job is not None:
            App.job.finish(data["part"], data.get("records"))
        if data["part"] in w.assigned:
            w.assigned.remove(data["part"])
        if not w.assigned:
            w.state = "idle"
        if not data.get("cached"):
            request_sync()
        schedule()
    elif kind == "part_failed":
        on_part_failed(w, data)
    elif kind == "paused":
        w.pausing = False
        for p in w.assigned:
            if App.job is not None:
                App.job.requeue(p)
        w.assigned = []
        w.state = "paused" if App.paused else "idle"
        if w.recycling:
            recycle(w)
        else:
            schedule()
        if App.paused and not any(x.pausing for x in App.workers):
            request_sync(force=True)          # every worker has saved its checkpoint
    elif kind == "recycle":
        note("worker %d reached critical memory (%s): recycling it from its checkpoint"
             % (w.slot + 1, fmt_bytes(data.get("wasm", 0))), "warning")
        w.recycling = True
        w.pausing = True
    elif kind == "note":
        note(data["message"], data.get("level", "info"))
    elif kind == "report":
        on_report(data["text"])
    elif kind == "uploaded":
        set_text("upload-status", data["message"])
        el("upload-status").className = "ok" if data.get("ok") else "sev-error"
    elif kind == "synced":
        on_synced(data)
    elif kind == "forgotten":
        note("job %s forgotten: its checkpoints were deleted from this browser" % data["job_id"][:12])
        reset_job()
        status("Job forgotten. Load a manifest to start again.")
    elif kind == "error":
        w.state = "error"
        note("worker %d: %s" % (w.slot + 1, data["message"]), "error")
        if data.get("during") == "finalize":
            App.finalizing = False
        if data.get("during") == "open":
            status("Could not open the manifest: " + data["message"], "error")
            el("load-btn").disabled = False
        if not w.ready:
            set_text("engine-version", "engine failed: " + data["message"])
    render_workers()


def has_remote_state():
    return bool(App.info) and "checkpoint" in (App.info.get("results") or [])


def request_sync(force=False, finished=False, clear=False):
    """Upload the job state to the manifest's checkpoint URL: at most every `sync_seconds`
    (default 3 s) while running, and always at pause, pagehide and the end of the job."""
    if not has_remote_state() or App.job is None:
        return
    now = window.performance.now() / 1000
    if not force and now - App.sync_last < App.config.get("sync_seconds", 3):
        return
    App.sync_last = now
    App.sync_seq += 1
    node = el("remote-state")
    node.setAttribute("data-sent", str(App.sync_seq))
    first_ready().send({"type": "sync", "seq": App.sync_seq, "finished": finished, "clear": clear})


def on_synced(data):
    node = el("remote-state")
    if data.get("ok"):
        if data.get("cleared"):
            text = "cleared (this job was forgotten)"
        elif data.get("finished"):
            text = "job marked finished (nothing left to resume)"
        else:
            text = "saved at %s — %d parts done, %d in progress (%s)" % (
                js.Date.new().toLocaleTimeString(), data.get("done", 0), data.get("progress", 0),
                fmt_bytes(data.get("bytes", 0)))
            if data.get("dropped"):
                text += " · %d parts left out (size bound)" % len(data["dropped"])
        node.className = "small ok"
    else:
        text = "upload failed: %s" % (data.get("error") or "HTTP %s" % data.get("status"))
        node.className = "small sev-error"
    node.textContent = "Checkpoint URL: " + bp.redact(text)
    node.setAttribute("data-acked", str(data.get("seq", 0)))


def recycle(w):
    w.js.terminate()
    fresh = Worker(w.slot)
    App.workers[w.slot] = fresh
    note("worker %d restarted (WebAssembly memory never shrinks)" % (w.slot + 1))


# ---------------------------------------------------------------------------- manifest

def load_manifest_url(url):
    url = (url or "").strip()
    if not url:
        status("Paste a manifest URL first.", "error")
        return
    status("Validating the manifest " + short_url(url) + " …")
    first_ready().send({"type": "open", "url": url})


def load_manifest_text(text):
    status("Validating the manifest file …")
    first_ready().send({"type": "open", "text": text})


def on_manifest(data):
    refreshed = App.job is not None and App.job.job_id == data["job_id"]
    App.info = data
    App.text = data["text"]
    for w in App.workers:
        if w.ready:
            w.send({"type": "use", "text": App.text})
    if refreshed:
        note("refreshed manifest for the same job: continuing with new URLs")
        if App.paused and App.pause_reason == "expired":
            status("Refreshed manifest accepted — continuing.", "ok")
            resume_job()
        else:
            status("Refreshed manifest accepted.", "ok")
        return
    job = bp.JobProgress(data["job_id"], data["parts"])
    saved_done = 0
    saved_progress = 0
    for rec in data.get("saved") or []:
        i = rec["index"]
        if i >= len(job.parts):
            continue
        if rec["state"] == "done":
            job.finish(i, rec.get("records"))
            saved_done += 1
        elif rec["state"] == "progress" and rec.get("position"):
            job.advance(i, rec["position"], rec.get("records"))
            saved_progress += 1
    App.job = job
    App.report_text = None
    App.fetched_at_start = 0
    src = data["source"]
    set_text("job-source", "s3://%s/%s" % (src["bucket"], src["key"]))
    set_text("job-size", fmt_bytes(src["size"]) + " (" + fmt_int(src["size"]) + " bytes)")
    enc = data.get("encodings") or []
    gz = len([e for e in enc if e == "gzip"])
    set_text("job-parts", "%d parts%s · format %s%s" % (len(job.parts), " (gzip)" if gz else "",
                                                        data["format"], "" if data["complete"] else " · staging"))
    set_text("job-id", data["job_id"])
    est = data["estimate"]
    set_text("job-estimate", "$%.4f (seed formula $%.4f) · prices of %s" % (est["total"], est["seed"], est["as_of"]))
    set_text("job-tier", est["tier"])
    el("job-card").hidden = False
    el("report-card").hidden = True
    resumable = saved_done + saved_progress > 0
    if data.get("expired"):
        note("%d part URLs in this manifest have already expired" % data["expired"], "warning")
    if resumable and not job.complete:
        status("Unfinished job found in this browser: %d parts done, %d in progress — press Resume."
               % (saved_done, saved_progress), "ok")
        el("start-btn").textContent = "Resume job"
    elif job.complete:
        status("This job is already complete in this browser — press Start to rebuild the report.", "ok")
        el("start-btn").textContent = "Start"
    else:
        status("Manifest valid. Press Start to process %s in %d parts." % (fmt_bytes(src["size"]), len(job.parts)), "ok")
        el("start-btn").textContent = "Start"
    el("load-btn").disabled = False
    set_buttons()
    render_progress()
    if query_param("resume") == "1" and resumable:
        start_job()
    elif query_param("autostart") == "1":
        start_job()


# ---------------------------------------------------------------------------- scheduling

def start_job():
    if App.job is None:
        return
    App.running = True
    App.paused = False
    App.pause_reason = ""
    App.started_at = window.performance.now()
    App.fetched_at_start = App.job.fetched_bytes
    App.meter = bp.Throughput(window=6.0)
    status("Running…")
    set_buttons()
    schedule()


def schedule():
    job = App.job
    if job is None or not App.running or App.paused:
        return
    for w in App.workers:
        if not w.ready or w.pausing or w.recycling:
            continue
        while len(w.assigned) < MAX_ASSIGNED:
            i = job.next_pending()
            if i is None:
                break
            job.start(i)
            w.assigned.append(i)
            w.state = "streaming"
            fresh = job.position[i] == job.parts[i][0]      # no saved progress: safe to prefetch
            w.send({"type": "run", "part": i, "fresh": fresh})
    if job.complete and not App.finalizing and App.report_text is None:
        App.finalizing = True
        status("All parts done — merging the part reports …")
        first_ready().send({"type": "finalize"})
    elif not job.complete and not any(w.assigned for w in App.workers):
        failed = job.counts()["failed"]
        if failed and job.next_pending() is None:
            status("%d part(s) failed; the others are done. Retry them below." % failed, "error")
    set_buttons()


def on_part_failed(w, data):
    i = data["part"]
    if i in w.assigned:
        w.assigned.remove(i)
    w.state = "idle"
    if data["kind"] == "expired":
        App.job.requeue(i)
        pause_job("expired")
        status("Manifest expired — paste a refreshed manifest URL to continue (progress is kept).", "error")
        el("manifest-input").focus()
        return
    App.job.fail(i, data["message"])
    note(data["message"], "error")
    render_failed()
    schedule()


def pause_job(reason="user"):
    if not App.running or App.paused:
        return
    App.paused = True
    App.pause_reason = reason
    for w in App.workers:
        if w.assigned:
            w.pausing = True
            w.state = "pausing"
            w.send({"type": "pause"})
    if reason == "user":
        status("Paused — checkpoints saved to this browser.")
    elif reason == "offline":
        status("Offline — paused; the job resumes when the network is back.", "error")
    set_buttons()


def resume_job():
    if not App.running:
        start_job()
        return
    App.paused = False
    App.pause_reason = ""
    status("Running…")
    schedule()


def cancel_job():
    for w in App.workers:
        if w.assigned:
            w.pausing = True
            w.send({"type": "cancel"})
    App.running = False
    App.paused = False
    status("Cancelled. Checkpoints are kept: Start continues, “Forget this job” clears them.")
    set_buttons()


def retry_part(i):
    App.job.requeue(i)
    render_failed()
    if not App.running:
        start_job()
    else:
        schedule()


def reset_job():
    App.job = None
    App.info = None
    App.text = None
    App.running = False
    App.report_text = None
    el("job-card").hidden = True
    el("report-card").hidden = True


# ---------------------------------------------------------------------------- rendering

def set_buttons():
    finished = App.report_text is not None
    running = App.running and not App.paused and not finished
    start = el("start-btn")
    start.disabled = App.job is None or App.running or finished or App.finalizing
    if finished:
        start.textContent = "Done"
    el("pause-btn").disabled = not running
    el("resume-btn").disabled = not (App.running and App.paused) or finished
    el("cancel-btn").disabled = not App.running or finished
    el("job-card").setAttribute("data-phase", job_phase())


def job_phase():
    """One word for the job's state (tests and styling read it from the job card)."""
    if App.job is None:
        return "none"
    if App.report_text is not None:
        return "done"
    if App.finalizing:
        return "merging"
    if App.running:
        return "paused" if App.paused else "running"
    return "ready"


def worker_state(w):
    """What a worker row says: the job's phase wins over a worker's last message."""
    if w.state in ("booting", "error") or w.recycling:
        return "recycling" if w.recycling else w.state
    if App.report_text is not None:
        return "done"
    if w.pausing:
        return "pausing"
    if not w.assigned:
        return "paused" if App.paused and App.running else "idle"
    return w.state


def render_workers():
    body = el("workers-body")
    body.replaceChildren()
    for w in App.workers:
        tr = document.createElement("tr")
        parts = ", ".join(str(p) for p in w.assigned) or "—"
        shown = worker_state(w)
        tr.className = "w-" + shown.split(" ")[0]
        for value in ("#%d" % (w.slot + 1), shown, parts, fmt_bytes(w.wasm) if w.wasm else "—"):
            td = document.createElement("td")
            td.textContent = value
            tr.appendChild(td)
        body.appendChild(tr)


def render_failed():
    box = el("failed")
    box.replaceChildren()
    if App.job is None:
        return
    for i, msg in sorted(App.job.errors.items()):
        div = document.createElement("div")
        div.className = "failed"
        span = document.createElement("span")
        span.textContent = "Part %d failed: %s" % (i, bp.redact(msg))
        btn = document.createElement("button")
        btn.textContent = "Retry part %d" % i
        btn.setAttribute("data-testid", "retry-part")
        btn.onclick = lambda e, i=i: retry_part(i)
        div.appendChild(span)
        div.appendChild(btn)
        box.appendChild(div)


def render_progress():
    job = App.job
    if job is None:
        return
    frac = job.fraction
    el("progress-bar").style.width = "%.2f%%" % (frac * 100)
    bar = el("progress")
    bar.setAttribute("aria-valuenow", "%d" % int(frac * 100))
    bar.setAttribute("data-fraction", "%.4f" % frac)
    set_text("progress-text", "%.1f %% · %s of %s" % (frac * 100, fmt_bytes(job.done_bytes), fmt_bytes(job.total_bytes)))
    set_text("st-bytes", fmt_bytes(job.done_bytes))
    set_text("st-records", fmt_int(job.total_records))
    now = window.performance.now() / 1000
    if App.running and not App.paused:
        App.meter.add(now, job.done_bytes)
    rate = App.meter.rate()
    set_text("st-rate", "%.2f MB/s" % (rate / bp.MB))
    if job.complete:
        set_text("st-eta", "done")
    else:
        set_text("st-eta", fmt_secs(job.eta_seconds(rate)) if rate > 0 and App.running and not App.paused else "—")
    c = job.counts()
    in_flight = sum(len(w.assigned) for w in App.workers)
    set_text("st-parts", "%d done · %d in flight · %d queued%s" % (
        c["done"], min(in_flight, len(App.workers)), c["pending"] + max(0, in_flight - len(App.workers)),
        (" · %d failed" % c["failed"]) if c["failed"] else ""))
    p = App.info["prices"] if App.info else None
    if p:
        usd = job.fetched_bytes / bp.GB * p["egress_per_gb"] + job.requests * p["get_per_1000"] / 1000
        set_text("st-cost", "$%.5f · %s · %d GETs" % (usd, fmt_bytes(job.fetched_bytes), job.requests))
    el("st-cost").setAttribute("data-fetched", str(job.fetched_bytes))
    if App.running and not App.paused:
        App.rates.append(rate)
        App.rates = App.rates[-120:]
    draw_chart()


def draw_chart():
    canvas = el("chart")
    w = canvas.clientWidth or 600
    canvas.width = w
    ctx = canvas.getContext("2d")
    ctx.clearRect(0, 0, w, 70)
    if not App.rates:
        return
    top = max(App.rates) or 1
    ctx.strokeStyle = "#2457d6"
    ctx.lineWidth = 2
    ctx.beginPath()
    n = len(App.rates)
    for k, r in enumerate(App.rates):
        x = w * k / max(1, n - 1)
        y = 66 - 60 * r / top
        if k == 0:
            ctx.moveTo(x, y)
        else:
            ctx.lineTo(x, y)
    ctx.stroke()
    ctx.fillStyle = "#5d6678"
    ctx.font = "11px system-ui"
    ctx.fillText("peak %.1f MB/s" % (top / bp.MB), 6, 12)


def tick():
    if App.job is not None:
        render_progress()
        render_workers()


# ---------------------------------------------------------------------------- report

def on_report(text):
    App.finalizing = False
    App.report_text = text
    App.report = json.loads(text)
    App.running = False
    r = App.report
    totals = r.get("totals") or {}
    secs = max(0.001, (window.performance.now() - App.started_at) / 1000) if App.started_at else 0
    processed = App.job.total_bytes if App.job else 0
    el("progress").setAttribute("data-elapsed", "%.2f" % secs)
    status("Done: %d errors, %d warnings, %d info in %s — %.1f s, %.2f MB/s." % (
        totals.get("errors", 0), totals.get("warnings", 0), totals.get("info", 0), fmt_bytes(r.get("bytes", 0)),
        secs, (processed / bp.MB / secs) if secs else 0), "ok")
    el("report-card").hidden = False
    box = el("totals")
    box.replaceChildren()
    recs = r.get("records") or {}
    for label, value, cls in (("errors", totals.get("errors", 0), "error"),
                              ("warnings", totals.get("warnings", 0), "warning"),
                              ("info", totals.get("info", 0), ""),
                              ("records", recs.get("count", 0), ""),
                              ("format", recs.get("format", "?"), ""),
                              ("bytes", r.get("bytes", 0), ""),
                              ("paths", len(r.get("paths") or {}), "")):
        span = document.createElement("span")
        span.className = "pill " + cls
        span.textContent = "%s: %s" % (label, fmt_int(value) if isinstance(value, int) else value)
        box.appendChild(span)
    render_findings()
    render_schema()
    set_buttons()
    render_progress()
    request_sync(force=True, finished=True)


def sort_value(f, key):
    v = f.get(key)
    if key in ("offset", "line"):
        return v if isinstance(v, int) else -1
    return str(v or "")


def render_findings():
    if App.report is None:
        return
    findings = App.report.get("findings") or []
    needle = (el("find-filter").value or "").lower()
    sev = el("find-severity").value
    rows = []
    for f in findings:
        if sev and f.get("severity") != sev:
            continue
        if needle:
            hay = " ".join(str(f.get(k, "")) for k in ("code", "path", "message", "excerpt")).lower()
            if needle not in hay:
                continue
        rows.append(f)
    key = App.sort_key
    rows.sort(key=lambda f: sort_value(f, key), reverse=App.sort_desc)
    body = el("findings-body")
    body.replaceChildren()
    for f in rows[:MAX_FINDINGS_SHOWN]:
        tr = document.createElement("tr")
        cells = (
            (f.get("severity", ""), "sev-" + str(f.get("severity", ""))),
            (f.get("code", ""), "mono"),
            (fmt_int(f["offset"]) if isinstance(f.get("offset"), int) else "—", "mono"),
            ("%s:%s" % (f.get("line", "?"), f.get("column", "?")), "mono"),
            (f.get("path") or "", "path"),
            (f.get("message") or "", ""),
            (f.get("excerpt") or "", "excerpt"),
        )
        for value, cls in cells:
            td = document.createElement("td")
            td.className = cls
            td.textContent = bp.redact(str(value))
            tr.appendChild(td)
        body.appendChild(tr)
    if len(rows) > MAX_FINDINGS_SHOWN:
        tr = document.createElement("tr")
        td = document.createElement("td")
        td.setAttribute("colspan", "7")
        td.textContent = "… %d more (download the report for all)" % (len(rows) - MAX_FINDINGS_SHOWN)
        tr.appendChild(td)
        body.appendChild(tr)


def describe_types(types):
    items = sorted(types.items(), key=lambda kv: -kv[1])
    return " · ".join("%s %s" % (k, fmt_int(v)) for k, v in items)


def describe_stats(p):
    out = []
    num = p.get("number")
    if isinstance(num, dict) and num.get("min") is not None:
        out.append("min %s · max %s · mean %s" % (num.get("min"), num.get("max"),
                                                 ("%.4g" % num["mean"]) if isinstance(num.get("mean"), (int, float)) else "?"))
    st = p.get("string")
    if isinstance(st, dict) and st.get("min_len") is not None:
        mean = st.get("mean_len")
        out.append("len %s–%s (mean %s)" % (st.get("min_len"), st.get("max_len"),
                                          ("%.1f" % mean) if isinstance(mean, (int, float)) else "?"))
    return " · ".join(out)


def render_schema():
    paths = (App.report or {}).get("paths") or {}
    body = el("schema-body")
    body.replaceChildren()
    for path in sorted(paths.keys())[:3000]:
        p = paths[path] or {}
        tr = document.createElement("tr")
        depth = path.count(".") + path.count("[")
        cells = ((path, "path"), (fmt_int(p.get("count", 0)), "mono"),
                 (describe_types(p.get("types") or {}), "types"), (describe_stats(p), "mono"),
                 (fmt_int(p["distinct"]) if isinstance(p.get("distinct"), int) else "—", "mono"))
        for k, (value, cls) in enumerate(cells):
            td = document.createElement("td")
            td.className = cls
            td.textContent = str(value)
            if k == 0:
                td.style.paddingLeft = "%.1frem" % (0.5 + 0.8 * max(0, depth - 1))
            tr.appendChild(td)
        body.appendChild(tr)


def download_report(_e=None):
    if App.report_text is None:
        return
    blob = window.Blob.new(to_js([App.report_text]), to_js({"type": "application/json"}))
    url = window.URL.createObjectURL(blob)
    a = document.createElement("a")
    a.href = url
    a.download = "jsonm-report-%s.json" % (App.job.job_id[:12] if App.job else "job")
    document.body.appendChild(a)
    a.click()
    a.remove()
    window.setTimeout(lambda: window.URL.revokeObjectURL(url), 5000)


def upload_report(_e=None):
    if App.report_text is None:
        return
    if not App.info or "report" not in (App.info.get("results") or []):
        set_text("upload-status", "This manifest has no presigned report URL.")
        return
    set_text("upload-status", "Uploading …")
    first_ready().send({"type": "upload", "what": "report", "text": App.report_text})


def on_sort(e):
    key = e.currentTarget.getAttribute("data-key")
    if App.sort_key == key:
        App.sort_desc = not App.sort_desc
    else:
        App.sort_key, App.sort_desc = key, False
    render_findings()


# ---------------------------------------------------------------------------- wiring

def on_submit(e):
    e.preventDefault()
    el("load-btn").disabled = True
    value = el("manifest-input").value
    if App.pending_url and value == bp.redact(App.pending_url):
        value = App.pending_url          # the field shows the redacted form of ?manifest=
    load_manifest_url(value)


def on_file(e):
    files = e.target.files
    if files.length:
        read_file(files.item(0))


def read_file(f):
    reader = window.FileReader.new()
    reader.onload = lambda ev: load_manifest_text(reader.result)
    reader.readAsText(f)


def on_drop(e):
    e.preventDefault()
    el("drop-zone").classList.remove("over")
    dt = e.dataTransfer
    if dt.files.length:
        read_file(dt.files.item(0))
        return
    url = dt.getData("text/uri-list") or dt.getData("text/plain")
    if url:
        el("manifest-input").value = url.strip()
        load_manifest_url(url)


def on_dragover(e):
    e.preventDefault()
    el("drop-zone").classList.add("over")


def on_drop_key(e):
    if e.key == "Enter" or e.key == " ":
        e.preventDefault()
        el("manifest-file").click()


def on_forget(_e=None):
    if App.info is None:
        return
    cancel_job()
    request_sync(force=True, clear=True)      # another device must not resume a forgotten job
    first_ready().send({"type": "forget", "job_id": App.info["job_id"]})


def on_visibility(_e=None):
    if document.visibilityState == "hidden":
        for w in App.workers:
            if w.assigned:
                w.send({"type": "checkpoint"})
        if App.running:     # after the workers have had a moment to save their checkpoints
            window.setTimeout(lambda: request_sync(force=True), 400)


def on_offline(_e=None):
    note("browser went offline", "warning")
    pause_job("offline")


def on_online(_e=None):
    note("browser is back online")
    if App.paused and App.pause_reason == "offline":
        resume_job()


def on_workers_change(_e=None):
    n = int(el("workers-select").value)
    if App.running and not App.paused:
        note("the worker count applies to the next start", "info")
        return
    start_pool(n)


def boot():
    App.config = read_config()
    n = pool_target()
    sel = el("workers-select")
    for k in range(1, 9):
        opt = document.createElement("option")
        opt.value = str(k)
        opt.textContent = str(k)
        if k == n:
            opt.selected = True
        sel.appendChild(opt)
    sel.onchange = on_workers_change
    start_pool(n)
    el("manifest-form").onsubmit = on_submit
    el("manifest-file").onchange = on_file
    dz = el("drop-zone")
    dz.ondrop = on_drop
    dz.ondragover = on_dragover
    dz.ondragleave = lambda e: dz.classList.remove("over")
    dz.onkeydown = on_drop_key
    el("start-btn").onclick = lambda e: start_job()
    el("pause-btn").onclick = lambda e: pause_job("user")
    el("resume-btn").onclick = lambda e: resume_job()
    el("cancel-btn").onclick = lambda e: cancel_job()
    el("forget-btn").onclick = on_forget
    el("download-btn").onclick = download_report
    el("upload-btn").onclick = upload_report
    el("find-filter").oninput = lambda e: render_findings()
    el("find-severity").onchange = lambda e: render_findings()
    for b in document.querySelectorAll("button.sort"):
        b.onclick = on_sort
    document.addEventListener("visibilitychange", on_visibility)
    js.window.addEventListener("pagehide", on_visibility)   # (pyscript's `window` proxy: Illegal invocation)
    js.window.addEventListener("offline", on_offline)
    js.window.addEventListener("online", on_online)
    window.setInterval(tick, 300)
    url = query_param("manifest")
    if url:
        el("manifest-input").value = bp.redact(url)
        App.pending_url = url
        load_manifest_url(url)
    App.page_ms = window.performance.now()
    document.body.setAttribute("data-page-ready", "1")


App.page_ms = 0
boot()
