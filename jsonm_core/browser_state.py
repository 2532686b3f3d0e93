"""A job's resumable state as one plain, versioned JSON document (no pickles).

The page uploads it to the manifest's checkpoint PUT URL (``results.checkpoint.url``) so the job
can resume on another device from the manifest alone, and reads it back from the matching GET
URL (``results.checkpoint.get_url``) when this browser has no IndexedDB state for the job.
Done parts carry their part report (JSON text); a run of consecutive done parts travels as one
entry ``{"index": first, "last": last, ...}`` with the runs' merged report (version 2), so the state
stays a few reports long however many parts a terabyte job has; parts in progress carry the engine
checkpoint (base64; the blob has its own integrity hash and source identity).  The whole document carries a
sha256 over its canonical JSON, so a corrupt or foreign one is rejected with one clear message.
Standard library only; runs in the Pyodide workers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any, Callable, Iterable, Sequence

SCHEMA = "jsonm.job_state"
VERSION = 2                # 2: runs of done parts as one entry ("last"); version 1 documents still read
MAX_BYTES = 64 << 20       # upload bound: larger states drop entries (those parts are redone)


class StateError(ValueError):
    """The remote job state is unreadable, corrupt, or belongs to another job."""


def _digest(body: dict) -> str:
    # surrogatepass: a report may quote a lone surrogate from the data (a bad \\u escape)
    canon = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canon.encode("utf-8", "surrogatepass")).hexdigest()


def _entry(p: dict) -> dict:
    e = {"index": int(p["index"]), "state": p["state"], "position": int(p.get("position") or 0),
         "records": int(p.get("records") or 0)}
    if p["state"] == "done":
        e["report"] = str(p["report"])
        if int(p.get("last", p["index"])) > e["index"]:
            e["last"] = int(p["last"])
    else:
        e["checkpoint"] = base64.b64encode(bytes(p["checkpoint"])).decode("ascii")
    return e


def _merge_texts(a: str, b: str) -> str:
    from jsonm_core.report import merge
    return json.dumps(merge(json.loads(a), json.loads(b)), ensure_ascii=False)


class ReportRuns:
    """Merged reports of runs of consecutive done parts, kept from one upload to the next: a part
    that finishes next to a run costs one merge, not one per part of the run.  The merge law
    (``report.merge`` is associative and exact) makes any grouping give the whole file's report."""

    def __init__(self, merge: Callable[[str, str], str] = _merge_texts) -> None:
        self.merge = merge
        self.merges = 0                          # how many merges were computed (for tests)
        self._by_first: dict[int, tuple[int, str]] = {}    # first index -> (last index, report)

    def combine(self, units: list[tuple[int, int, str]]) -> str:
        """The report of contiguous units (first, last, report text) in order."""
        a, b = units[0][0], units[-1][1]
        cached = self._by_first.get(a)
        if cached is not None and cached[0] == b:
            return cached[1]
        acc, i = None, 0
        while i < len(units):
            first = units[i][0]
            hit = self._by_first.get(first)
            if hit is not None and hit[0] <= b and any(u[1] == hit[0] for u in units[i:]):
                piece, last = hit[1], hit[0]
            else:
                piece, last = units[i][2], units[i][1]
            acc = piece if acc is None else self._merged(acc, piece)
            while i < len(units) and units[i][0] <= last:
                i += 1
        for first in [f for f in self._by_first if a <= f <= b]:
            del self._by_first[first]            # subsumed by the run (a, b)
        self._by_first[a] = (b, acc)
        return acc

    def _merged(self, a: str, b: str) -> str:
        self.merges += 1
        return self.merge(a, b)


def _runs(entries: list[dict], runs: ReportRuns) -> list[dict]:
    """Done entries of consecutive parts combined into one run entry each (others unchanged)."""
    out: list[dict] = []
    group: list[dict] = []

    def close() -> None:
        if len(group) == 1:
            out.append(group[0])
        elif group:
            units = [(g["index"], g.get("last", g["index"]), g["report"]) for g in group]
            out.append({"index": units[0][0], "last": units[-1][1], "state": "done",
                        "position": group[-1]["position"], "records": sum(g["records"] for g in group),
                        "report": runs.combine(units)})
        group.clear()

    for e in entries:
        if e["state"] == "done" and group and group[-1].get("last", group[-1]["index"]) + 1 == e["index"]:
            group.append(e)
            continue
        close()
        if e["state"] == "done":
            group.append(e)
        else:
            out.append(e)
    close()
    return out


def _weight(e: dict) -> int:
    return len(e.get("report") or e.get("checkpoint") or "") + 128


def encode(job_id: str, source: dict, parts: Iterable[dict], *, saved_at: float,
           finished: bool = False, max_bytes: int = MAX_BYTES,
           runs: ReportRuns | None = None) -> tuple[str, dict]:
    """(JSON text, summary) for the part records {index, state: done|progress, position, records,
    report (text, done; "last" when it covers a run of parts) | checkpoint (bytes, progress)}.
    With ``runs``, consecutive done parts become one entry with their merged report.  Over
    `max_bytes`, the biggest entries are left out (checkpoints before reports): those parts are
    simply processed again."""
    entries = []
    for p in sorted(parts, key=lambda p: int(p["index"])):
        if p.get("state") == "done" and p.get("report") is not None:
            entries.append(_entry(p))
        elif p.get("state") == "progress" and p.get("checkpoint") is not None:
            entries.append(_entry(p))
    if runs is not None:
        entries = _runs(entries, runs)
    dropped: list[int] = []
    total = sum(_weight(e) for e in entries)
    for e in sorted(entries, key=lambda e: (e["state"] == "done", -_weight(e))):
        if total <= max_bytes:
            break
        total -= _weight(e)
        dropped.append(e["index"])
    entries = [e for e in entries if e["index"] not in dropped]
    body = {"schema": SCHEMA, "version": VERSION, "job_id": job_id, "source": source,
            "saved_at": float(saved_at), "finished": bool(finished), "parts": entries}
    doc = dict(body, sha256=_digest(body))
    text = json.dumps(doc, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:              # lone surrogates: escaped, so the text is valid UTF-8
        text = json.dumps(doc)
    summary = {"done": sum(e.get("last", e["index"]) - e["index"] + 1 for e in entries if e["state"] == "done"),
               "entries": len(entries),
               "progress": sum(e["state"] == "progress" for e in entries),
               "dropped": sorted(dropped), "bytes": len(text.encode("utf-8"))}
    return text, summary


def decode(text: str | bytes, *, job_id: str, parts: Sequence[tuple[int, int]]) -> dict:
    """Validate a job state for this job (`parts`: the manifest's (start, end) per part) and
    return {"saved_at", "finished", "parts": [records with checkpoint bytes decoded]}."""
    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise StateError(f"not JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise StateError("not a jsonm job state")
    if doc.get("version") not in (1, VERSION):
        raise StateError(f"unsupported job state version {doc.get('version')!r}")
    claimed = doc.pop("sha256", None)
    if not isinstance(claimed, str) or _digest(doc) != claimed:
        raise StateError("integrity hash mismatch (corrupt or edited)")
    if doc.get("job_id") != job_id:
        raise StateError("it belongs to another job")
    out, seen = [], set()
    for e in doc.get("parts") or []:
        out.append(_check_entry(e, parts, seen))
    return {"saved_at": doc.get("saved_at"), "finished": bool(doc.get("finished")), "parts": out}


def _check_entry(e: Any, parts: Sequence[tuple[int, int]], seen: set) -> dict:
    if not isinstance(e, dict) or not isinstance(e.get("index"), int):
        raise StateError("a part entry has no index")
    i = e["index"]
    last = e.get("last", i)
    if not isinstance(last, int) or (last != i and e.get("state") != "done"):
        raise StateError(f"part {i}: a run of parts must be done")
    covered = range(i, last + 1)
    if not covered or not 0 <= i <= last < len(parts) or any(k in seen for k in covered):
        raise StateError(f"part index {i} is out of range or repeated")
    seen.update(covered)
    start, end = parts[last]
    pos = e.get("position")
    if not isinstance(pos, int) or not start <= pos <= end:
        raise StateError(f"part {last}: position {pos!r} outside the part")
    rec = {"index": i, "state": e.get("state"), "position": pos, "records": int(e.get("records") or 0)}
    if last != i:
        rec["last"] = last
    if e.get("state") == "done":
        try:
            report = json.loads(e.get("report"))
        except (TypeError, ValueError):
            raise StateError(f"part {i}: unreadable report") from None
        if not isinstance(report, dict) or report.get("schema") != "jsonm.report":
            raise StateError(f"part {i}: not a jsonm report")
        rec["report"] = e["report"]
    elif e.get("state") == "progress":
        try:
            rec["checkpoint"] = base64.b64decode(e.get("checkpoint") or "", validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise StateError(f"part {i}: checkpoint is not base64") from None
    else:
        raise StateError(f"part {i}: unknown state {e.get('state')!r}")
    return rec
