"""Pure decisions the page's workers make: chunk size, prefetch, memory pressure, retries, progress.

Kept out of the browser glue so each rule is tested in CPython and in Pyodide, and the glue
(web/worker.py) stays a thin loop that asks this module what to do.  Standard library only.

Seed rules implemented here:
- chunk size from device memory and type (`chunk_size`): mobile min(20 MB, 10% of memory);
  > 8 GB: 500 MB; > 4 GB: 200 MB; else 50 MB.  `navigator.deviceMemory` reports at most 8, so
  the 500 MB rung is reachable only with an explicit memory hint (``memory_gb``).
- at most `MAX_IN_FLIGHT` (3) chunks in flight per worker; prefetch the next chunk once the
  current one is 50 % processed (`should_prefetch`).
- memory pressure (`pressure_level`, `on_pressure`): moderate halves the next range and pauses
  prefetch; critical recycles the worker (WebAssembly memory never shrinks) from its checkpoint.
- retries (`classify_status`, `backoff`, `RetryPolicy`): exponential backoff with full jitter on
  network errors, 429 and 5xx, up to a cap; 403 with an expired signature pauses the job instead.
- job bookkeeping (`JobProgress`): per-part state and positions, totals, ETA, JSON round trip.
"""

# No `from __future__` and no `re`: the page's main thread imports this module on MicroPython too.
import random
import time


def _now() -> float:
    """Monotonic seconds (MicroPython has no time.monotonic)."""
    mono = getattr(time, "monotonic", None)
    if mono is not None:
        return mono()
    return time.ticks_ms() / 1000  # type: ignore[attr-defined]

MB = 1 << 20
GB = 1 << 30
MAX_IN_FLIGHT = 3
PREFETCH_AT = 0.5
MIN_CHUNK = 256 << 10
DEVICE_MEMORY_CAP_GB = 8          # navigator.deviceMemory never reports more than this
CHECKPOINT_EVERY_BYTES = 8 * MB
CHECKPOINT_EVERY_SECONDS = 2.0
MODERATE, CRITICAL = 0.70, 0.90   # fractions of the worker's memory budget


# ---------------------------------------------------------------------------- chunk sizing

def chunk_size(device_memory_gb: float | None, *, mobile: bool = False,
               memory_gb: float | None = None) -> int:
    """Bytes per fetched range for this device (the seed's table).

    device_memory_gb is `navigator.deviceMemory` (None when the browser hides it: treated as 4);
    memory_gb, when given, overrides it (an analyst's hint; the only way past the 8 GB cap).
    """
    mem = memory_gb if memory_gb is not None else device_memory_gb
    if mem is None or mem <= 0:
        mem = 4
    if memory_gb is None:
        mem = min(mem, DEVICE_MEMORY_CAP_GB)
    if mobile:
        return max(MIN_CHUNK, min(20 * MB, int(mem * GB * 0.10)))
    if mem > 8:
        return 500 * MB
    if mem > 4:
        return 200 * MB
    return 50 * MB


def pool_size(hardware_concurrency: int | None, *, requested: int | None = None,
              cap: int = 4) -> int:
    """Workers to start: the request if given, else one per core minus the page's own, capped."""
    if requested is not None and requested > 0:
        return min(int(requested), 16)
    cores = int(hardware_concurrency or 2)
    return max(1, min(cap, cores - 1 if cores > 2 else cores))


def split_range(start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Half-open sub-ranges of [start, end), each at most `size` bytes."""
    size = max(1, int(size))
    return [(a, min(a + size, end)) for a in range(start, end, size)]


def range_header(start: int, end: int) -> str:
    """HTTP Range value for the half-open [start, end)."""
    return f"bytes={start}-{end - 1}"


# ---------------------------------------------------------------------------- prefetch

def should_prefetch(processed: int, current_size: int, in_flight: int, *,
                    prefetch_enabled: bool = True, queued: int = 1) -> bool:
    """Open the next chunk's request now? (current >= 50 % processed, < 3 in flight)."""
    if not prefetch_enabled or queued <= 0 or in_flight >= MAX_IN_FLIGHT:
        return False
    if current_size <= 0:
        return True
    return processed >= current_size * PREFETCH_AT


# ---------------------------------------------------------------------------- memory pressure

def pressure_level(used_bytes: int, budget_bytes: int) -> str:
    """"normal", "moderate" or "critical" for memory used against the worker's budget."""
    if budget_bytes <= 0:
        return "normal"
    ratio = used_bytes / budget_bytes
    if ratio >= CRITICAL:
        return "critical"
    if ratio >= MODERATE:
        return "moderate"
    return "normal"


RECYCLE_MIN_WORK = CHECKPOINT_EVERY_BYTES  # a worker processes this much before it may be recycled


def on_pressure(level: str, next_range: int, *, worked: int | None = None,
                min_work: int = RECYCLE_MIN_WORK) -> dict:
    """What to do at a pressure level: next range size, prefetch on/off, recycle the worker.

    `worked` (bytes this worker incarnation has fed) guards against a recycle loop: a fresh
    worker already at the critical level (budget below Pyodide's baseline) first does
    `min_work` bytes, so every incarnation makes progress past its checkpoint."""
    if level == "critical":
        recycle = worked is None or worked >= min_work
        return {"range": max(MIN_CHUNK, next_range // 2), "prefetch": False, "recycle": recycle}
    if level == "moderate":
        return {"range": max(MIN_CHUNK, next_range // 2), "prefetch": False, "recycle": False}
    return {"range": next_range, "prefetch": True, "recycle": False}


# ---------------------------------------------------------------------------- retries

_EXPIRED_MARKERS = ("request has expired", "expiredtoken", "token has expired")


def classify_status(status: int | None, body: str = "") -> str:
    """"ok", "retry" (network error / 429 / 5xx), "expired" (403 expired URL) or "fatal"."""
    if status is None or status == 0:
        return "retry"
    if 200 <= status < 300:
        return "ok"
    if status == 429 or 500 <= status < 600:
        return "retry"
    low = (body or "").lower()
    if status == 403 and (not body or any(m in low for m in _EXPIRED_MARKERS)):
        return "expired"
    return "fatal"


def backoff(attempt: int, *, base: float = 0.25, cap: float = 20.0,
            rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number `attempt` (1-based): full jitter in [0, min(cap, base*2^(a-1))]."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return rng.uniform(0, ceiling) if rng is not None else random.uniform(0, ceiling)


class RetryPolicy:
    """Counts attempts for one request; `next_delay()` is None once the cap is reached."""

    def __init__(self, max_attempts: int = 6, base: float = 0.25, cap: float = 20.0,
                 rng: random.Random | None = None) -> None:
        self.max_attempts = max_attempts
        self.base, self.cap, self.rng = base, cap, rng
        self.attempts = 0

    def next_delay(self) -> float | None:
        self.attempts += 1
        if self.attempts >= self.max_attempts:
            return None
        return backoff(self.attempts, base=self.base, cap=self.cap, rng=self.rng)

    def reset(self) -> None:
        self.attempts = 0


def shrink_after_failures(range_size: int, failures: int) -> int:
    """Repeated integrity failures shrink the range: halve per failure beyond the first."""
    return max(MIN_CHUNK, range_size >> max(0, failures - 1))


class CheckpointClock:
    """Checkpoint every N bytes or T seconds, whichever first (the seed's 8 MB / 2 s)."""

    def __init__(self, every_bytes: int = CHECKPOINT_EVERY_BYTES,
                 every_seconds: float = CHECKPOINT_EVERY_SECONDS, now: float | None = None) -> None:
        self.every_bytes, self.every_seconds = every_bytes, every_seconds
        self.last_pos = 0
        self.last_time = _now() if now is None else now

    def due(self, position: int, now: float | None = None) -> bool:
        now = _now() if now is None else now
        return (position - self.last_pos >= self.every_bytes
                or (position > self.last_pos and now - self.last_time >= self.every_seconds))

    def mark(self, position: int, now: float | None = None) -> None:
        self.last_pos = position
        self.last_time = _now() if now is None else now


# ---------------------------------------------------------------------------- redaction

SECRET_PARAMS = ("x-amz-signature", "x-amz-credential", "x-amz-security-token", "signature",
                 "awsaccesskeyid", "sig", "token")
_STOP = "&# \"'<>\n"


def redact(text: str) -> str:
    """Presigned signatures, credentials and tokens in URLs (query parameters) -> "REDACTED"."""
    text = text or ""
    low = text.lower()
    out, i = [], 0
    while True:
        hit = -1
        for name in SECRET_PARAMS:
            j = low.find(name + "=", i)
            while j > 0 and low[j - 1] not in "?&":
                j = low.find(name + "=", j + 1)
            if j > 0 and (hit < 0 or j < hit):
                hit, hit_name = j, name
        if hit < 0:
            out.append(text[i:])
            return "".join(out)
        value_at = hit + len(hit_name) + 1
        k = value_at
        while k < len(text) and text[k] not in _STOP:
            k += 1
        out.append(text[i:value_at])
        out.append("REDACTED")
        i = k


# ---------------------------------------------------------------------------- job progress

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"


class JobProgress:
    """Per-part state of one job: what is done, where each running part is, totals and ETA.

    Positions are absolute offsets in the source; a part's progress is position - start.
    Plain JSON round trip (`to_json` / `from_json`) for IndexedDB.
    """

    VERSION = 1

    def __init__(self, job_id: str, parts: list[tuple[int, int]]) -> None:
        self.job_id = job_id
        self.parts = [(int(a), int(b)) for a, b in parts]
        self.state = [PENDING] * len(self.parts)
        self.position = [a for a, _ in self.parts]
        self.records = [0] * len(self.parts)
        self.errors: dict[int, str] = {}
        self.fetched_bytes = 0
        self.requests = 0

    @property
    def total_bytes(self) -> int:
        return sum(b - a for a, b in self.parts)

    @property
    def done_bytes(self) -> int:
        return sum(min(b, max(a, p)) - a for (a, b), p in zip(self.parts, self.position))

    @property
    def fraction(self) -> float:
        total = self.total_bytes
        return 1.0 if total == 0 else self.done_bytes / total

    @property
    def total_records(self) -> int:
        return sum(self.records)

    def remaining_bytes(self) -> int:
        return self.total_bytes - self.done_bytes

    def eta_seconds(self, bytes_per_second: float) -> float | None:
        if bytes_per_second <= 0:
            return None
        return self.remaining_bytes() / bytes_per_second

    def next_pending(self, exclude: set[int] | frozenset = frozenset()) -> int | None:
        """Lowest-index part that is pending and not excluded (in-order helps early findings)."""
        for i, s in enumerate(self.state):
            if s == PENDING and i not in exclude:
                return i
        return None

    def start(self, index: int, position: int | None = None) -> None:
        self.state[index] = RUNNING
        if position is not None:
            self.position[index] = max(self.parts[index][0], min(position, self.parts[index][1]))

    def advance(self, index: int, position: int, records: int | None = None) -> None:
        a, b = self.parts[index]
        self.position[index] = max(a, min(int(position), b))
        if records is not None:
            self.records[index] = int(records)

    def finish(self, index: int, records: int | None = None) -> None:
        self.state[index] = DONE
        self.position[index] = self.parts[index][1]
        self.errors.pop(index, None)
        if records is not None:
            self.records[index] = int(records)

    def fail(self, index: int, message: str) -> None:
        self.state[index] = FAILED
        self.errors[index] = message

    def requeue(self, index: int, position: int | None = None) -> None:
        """Back to pending (pause, worker recycled, retry from the UI), keeping its position."""
        if self.state[index] != DONE:
            self.state[index] = PENDING
            self.errors.pop(index, None)
            if position is not None:
                self.advance(index, position)

    def fetched(self, nbytes: int, requests: int = 0) -> None:
        self.fetched_bytes += int(nbytes)
        self.requests += int(requests)

    @property
    def complete(self) -> bool:
        return all(s == DONE for s in self.state)

    def counts(self) -> dict:
        out = {PENDING: 0, RUNNING: 0, DONE: 0, FAILED: 0}
        for s in self.state:
            out[s] += 1
        return out

    def to_json(self) -> dict:
        return {"version": self.VERSION, "job_id": self.job_id, "parts": [list(p) for p in self.parts],
                "state": [s if s != RUNNING else PENDING for s in self.state],
                "position": list(self.position), "records": list(self.records),
                "errors": {str(k): v for k, v in self.errors.items()},
                "fetched_bytes": self.fetched_bytes, "requests": self.requests}

    @classmethod
    def from_json(cls, obj: dict) -> "JobProgress":
        if not isinstance(obj, dict) or obj.get("version") != cls.VERSION:
            raise ValueError("unknown job progress version")
        job = cls(obj["job_id"], [tuple(p) for p in obj["parts"]])
        if not (len(obj["state"]) == len(obj["position"]) == len(obj["records"]) == len(job.parts)):
            raise ValueError("job progress arrays do not match its parts")
        job.state = [s if s in (PENDING, DONE, FAILED) else PENDING for s in obj["state"]]
        job.position = [int(p) for p in obj["position"]]
        job.records = [int(r) for r in obj["records"]]
        job.errors = {int(k): str(v) for k, v in obj.get("errors", {}).items()}
        job.fetched_bytes = int(obj.get("fetched_bytes", 0))
        job.requests = int(obj.get("requests", 0))
        return job


class Throughput:
    """Bytes per second over a sliding window of (time, total bytes) samples, for the live chart."""

    def __init__(self, window: float = 5.0) -> None:
        self.window = window
        self.samples: list[tuple[float, int]] = []

    def add(self, now: float, total_bytes: int) -> None:
        self.samples.append((now, total_bytes))
        while len(self.samples) > 2 and now - self.samples[0][0] > self.window:
            self.samples.pop(0)

    def rate(self) -> float:
        if len(self.samples) < 2:
            return 0.0
        (t0, b0), (t1, b1) = self.samples[0], self.samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0


PURGE_AFTER_DAYS = 30


def purge_due(finished_at: float | None, now: float, days: int = PURGE_AFTER_DAYS) -> bool:
    """A completed job's checkpoints are purged `days` after it finished (epoch seconds)."""
    return finished_at is not None and now - finished_at >= days * 86400
