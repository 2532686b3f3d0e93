"""The JSONM engine: a sans-IO, bounded-memory, resumable, forensic streaming JSON processor.

``feed(bytes)`` in any split, ``finish()`` -> report dict, ``checkpoint()`` -> bytes,
``Engine.resume(blob)``.  Two paths produce identical statistics:

* fast path: a *record* (an element of the record stream: NDJSON line, element of the top-level
  array, member of the top-level object or element of an array member) that is complete in the
  buffer is parsed by the C-accelerated stdlib scanner and profiled as Python objects;
* exact path: a byte-precise pushdown tokenizer (this module's state machine) for anything the
  fast path rejects (syntax errors, NaN, duplicate keys, lone surrogates, depth) and for records
  larger than the buffer.  It never recurses and holds at most one token prefix.

Which path a record takes never changes the report: both feed the same ``Profiler`` calls and the
fast path only accepts records it can account for exactly.

Errors make the enclosing record skipped from the error on: the engine resynchronises at the next
line (NDJSON/seq) or at the next ',' / closer of the record level (JSON), counting skipped bytes
and records.  Findings' excerpts never cross a record boundary, so splits, checkpoints and parts
all produce byte-identical reports.

Checkpoint state (``checkpoint.pack_checkpoint`` wraps it): ``position`` (resume offset),
``options``, ``context`` (the scanner's context format: format, shape, state, spine stack with
keys and heights, line/column), ``records``/``streams``/``skipped_*``, ``paths`` (each path's
report entry including its exact ``sketch`` state), ``paths_overflow``, ``findings`` (kept list +
counts), ``last_boundary``/``prev_boundary`` and ``tail`` (up to 32 bytes before ``position``, for
excerpts), ``start``/``end``/``last`` of the part, ``finished``.  Its size is bounded by P paths
and K findings per code, not by the input.
"""

from __future__ import annotations

import json
import re
import time
from itertools import accumulate

from ._findings import EXCERPT_AFTER, EXCERPT_BEFORE, Findings, excerpt_text
from ._profile import SAFE_INT, Profiler, child_path, node_from_report
from .checkpoint import CheckpointError, pack_checkpoint, unpack_checkpoint

__all__ = ["Engine", "CheckpointError"]

# ---- states ---------------------------------------------------------------------------------
TOP, TOP_AFTER, VALUE, ARR_FIRST, OBJ_FIRST, OBJ_KEY, COLON, AFTER = range(8)
STRING, NUMBER, SKIP, SKIP_LINE, SKIP_ALL, DEAD = range(8, 14)
STATE_NAMES = {TOP: "top", TOP_AFTER: "top-after", AFTER: "after", VALUE: "value",
               ARR_FIRST: "array-first", OBJ_FIRST: "object-first", OBJ_KEY: "key", COLON: "colon",
               DEAD: "dead"}
STATE_BY_NAME = {v: k for k, v in STATE_NAMES.items()}

NEED = -1                                   # handler result: more input needed
_WS = re.compile(rb"[ \t\n\r]*")
_WS_SEQ = re.compile(rb"[ \t\n\r\x1e]*")
_STR_RUN = re.compile(rb'[^"\\\x00-\x1f]*')
_NUM_RUN = re.compile(rb"[0-9eE.+\-]*")
_SKIP_ANY = re.compile(rb'[\[{]+|[\]}]+|[",]')
_SKIP_STR = re.compile(rb'["\\]')
_LOW_PREFIX = re.compile(rb"\\(u([dD]([c-fC-F][0-9a-fA-F]{0,2})?)?)?")
_LOW_FULL = re.compile(rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_HEX4 = re.compile(rb"[0-9a-fA-F]{4}")
_STR_BULK = re.compile(rb'(?:[^"\\\x00-\x1f]+|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*')
_SURR_ESC = re.compile(rb"\\u[dD][89a-fA-F]")
_scanstring = json.decoder.scanstring
_S_SEP_ARR = re.compile(r"[ \t\n\r]*,[ \t\n\r]*")
_S_WS = re.compile(r"[ \t\n\r]*")
_S_WS_SEQ = re.compile(r"[ \t\n\r\x1e]*")
_S_DIGITS = re.compile(r"-?[0-9]{16,}")
_ESCAPES = {0x22: '"', 0x5C: "\\", 0x2F: "/", 0x62: "\b", 0x66: "\f", 0x6E: "\n", 0x72: "\r", 0x74: "\t"}
_LITERALS = {0x74: b"true", 0x66: b"false", 0x6E: b"null"}
_NONSTD = {0x4E: b"NaN", 0x49: b"Infinity"}
_VALUE_START = frozenset(b'{["-0123456789tfnNI')
_AUTO_START = frozenset(b'{["-0123456789tfn')
KEY_CAP = 1 << 16
CONTEXT_KEYS = 1024          # a spine object's keys carried in contexts (beyond: no cross-part dup check)
FAST_MAX_HEIGHT = 200
# The stdlib C scanner recurses per nesting level and, in Pyodide, overflows the wasm/JS stack
# (a fatal error, not a RecursionError) somewhere past ~3000 levels: windows that could nest this
# deep go to the exact path before the C scanner ever sees them.
SCAN_SAFE_NESTING = 1000
# Fast-path values wait in per-node lists for one C-level reduction per this many input bytes.
FLUSH_BYTES = 4 << 20
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
EXCERPT_MAX = 48


class _Reject(Exception):
    """Raised inside the C scanner's hooks: the record needs the exact path."""


def _pairs_hook(pairs):
    d = dict(pairs)
    if len(d) != len(pairs):
        raise _Reject
    return d


def _const_hook(name):
    raise _Reject


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs_hook, parse_constant=_const_hook)
_SCAN = _DECODER.scan_once


def _num_step(s: int, c: int) -> int:
    """One step of the RFC 8259 number grammar: states 0 start, 1 '-', 2 '0', 3 int digits,
    4 '.', 5 fraction digits, 6 'e', 7 exponent sign, 8 exponent digits; -1 invalid."""
    if s == 0:
        return 1 if c == 45 else 2 if c == 48 else 3 if 49 <= c <= 57 else -1
    if s == 1:
        return 2 if c == 48 else 3 if 49 <= c <= 57 else -1
    if s == 2:
        return 4 if c == 46 else 6 if c in (101, 69) else -1
    if s == 3:
        return 3 if 48 <= c <= 57 else 4 if c == 46 else 6 if c in (101, 69) else -1
    if s == 4:
        return 5 if 48 <= c <= 57 else -1
    if s == 5:
        return 5 if 48 <= c <= 57 else 6 if c in (101, 69) else -1
    if s == 6:
        return 7 if c in (43, 45) else 8 if 48 <= c <= 57 else -1
    return 8 if 48 <= c <= 57 else -1


def _num_check(text: bytes) -> tuple[int, int]:
    """(index of the first invalid byte or len(text), state before it / final state)."""
    s = 0
    for idx, c in enumerate(text):
        nxt = _num_step(s, c)
        if nxt < 0:
            return idx, s
        s = nxt
    return len(text), s


_NUM_ACCEPT = (2, 3, 5, 8)
_NUM_WHY = {0: "a digit or '-'", 1: "a digit after '-'", 2: "'.', 'e' or the end of the number "
            "(leading zeros are not allowed)", 3: "a digit, '.' or 'e'", 4: "a digit after '.'",
            5: "a digit or 'e'", 6: "a digit or sign in the exponent", 7: "a digit in the exponent",
            8: "a digit in the exponent"}


class Engine:
    """Bounded-memory streaming JSON processor; see the module docstring.

    Options: ``format`` auto|json|ndjson|seq (auto: NDJSON when the first line is one complete
    value and another value follows, else one JSON document); ``buffer_size`` bounds the bytes
    held (records larger than it take the structural path and get a ``size-limit`` info);
    ``checkpoint_every`` sets ``checkpoint_due`` at the first record boundary that many bytes
    after the last checkpoint; ``max_depth`` nesting limit (``depth-limit`` error, record
    skipped); ``source`` identity stored in checkpoints and the report; ``part`` =
    ``{"index", "start", "end", "context", ["last"]}`` processes one record-aligned part alone
    (``context`` from ``jsonm_core.scanner``; the part is the last one if ``last`` says so or
    ``end >= source["size"]``, else EOF at ``end`` is not truncation);
    ``max_findings_per_code`` (K) and ``max_paths`` (P) bound the report;
    ``profile=False`` skips path statistics (the scanner's mode; its findings are incomplete);
    ``exact=True`` disables the fast path (for tests and localisation).

    Attributes: ``position`` (absolute bytes consumed), ``resume_offset`` (where a resumed engine
    must be fed from), ``records``, ``checkpoint_due``, ``stopped`` (after ``stop_at``).
    """

    def __init__(self, *, format: str = "auto", buffer_size: int = 4 << 20,
                 checkpoint_every: int = 8 << 20, max_depth: int = 1024,
                 source: dict | None = None, part: dict | None = None,
                 max_findings_per_code: int = 100, max_paths: int = 4096,
                 profile: bool = True, exact: bool = False) -> None:
        if format not in ("auto", "json", "ndjson", "seq"):
            raise ValueError(f"unknown format {format!r} (auto, json, ndjson or seq)")
        if buffer_size < 1024:
            raise ValueError("buffer_size must be at least 1024 bytes")
        self.options = {"format": format, "buffer_size": int(buffer_size),
                        "checkpoint_every": int(checkpoint_every), "max_depth": int(max_depth),
                        "max_findings_per_code": int(max_findings_per_code),
                        "max_paths": int(max_paths)}
        self.format = format
        self.cap = int(buffer_size)
        self.checkpoint_every = int(checkpoint_every)
        self.max_depth = int(max_depth)
        self.source = source
        self.part = part
        self.profile_on = profile
        self._fast_on = not exact
        self._rec_path_s = "$"
        self._in_value = False
        self.prof = Profiler(max_paths)
        self.findings = Findings(max_findings_per_code)
        self.on_boundary = None                  # callable(offset, engine) for the scanner
        start = int(part["start"]) if part else 0
        self.start = start
        self.end = int(part["end"]) if part and part.get("end") is not None else None
        self.last = self._part_is_last(part, source)
        # buffer
        self._buf = bytearray()
        self._base = start
        self._i = 0
        self._eof = False
        self.position = start
        self.resume_offset = start
        # parse state
        self._st = TOP
        self._stack: list = []                  # frames: [is_obj, node, path, keys, height]
        self._key = None
        self._rec = -1                          # stack depth at the current record's start, -1 outside
        self._rec_start = start
        self._rec_node = None
        self._vnode = None
        self._vpath = "$"
        self._skip_depth = 0
        self._skip_str = False
        self._skip_from = start
        self._skip_rec = False
        self._tok = start                        # start of the current token (kept in the buffer)
        self._s = None                          # string state list
        self._n = None                          # streaming number state
        self._bom_checked = start != 0
        self._top_seen = False
        self.shape = None
        self._fast_wait = 0
        self._win = 1 << 20
        self._win_bound = 1 << 30               # nesting bound of the current fast-path window
        self._win_lone_free = False             # the window holds no unpaired surrogate escape
        self._flushed_at = 0                    # input offset of the last profiler flush
        self._last_nb = 0
        # accounting
        self.records = 0
        self.streams: dict[str, int] = {}
        self.skipped_bytes = 0
        self.skipped_records = 0
        self._last_boundary = self._prev_boundary = start
        self._pending: list = []                # findings whose excerpt awaits bytes: [f, o, lo]
        # lines: line number and line start at self._lc (an absolute offset)
        self._lc, self._line, self._line_start = start, 1, start
        # checkpoints
        self._snap = None
        self._snap_pos = start
        self._last_ckpt = start
        self.checkpoint_due = False
        self._stop_at = None
        self.stopped = False
        self._t0 = time.perf_counter()
        self._fast_records = 0
        if part and part.get("context"):
            self._apply_context(part["context"])

    @staticmethod
    def _part_is_last(part, source) -> bool:
        if not part:
            return True
        if "last" in part:
            return bool(part["last"])
        size = (source or {}).get("size")
        if part.get("end") is None:
            return True
        return size is not None and int(part["end"]) >= int(size)

    # ---- public API ----------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """Consume bytes (any split).  Never holds more than about ``buffer_size`` of them."""
        if self._eof:
            raise ValueError("feed() after finish()")
        if self.stopped:
            self.position += len(data)
            return
        mv = memoryview(data)
        off, n = 0, len(mv)
        while off < n:
            room = max(self.cap - (len(self._buf) - self._i), 64)
            piece = mv[off:off + room]
            self._buf += piece
            off += len(piece)
            self.position += len(piece)
            self._run()
            self._compact()
            if self.stopped:
                self.position += n - off
                return

    def finish(self) -> dict:
        """End of input (or of this part): flush, report truncation, return the report."""
        if not self._eof:
            self._eof = True
            if not self.stopped:
                self._run()
                self._at_eof()
        return self.report()

    def stop_at(self, offset: int) -> None:
        """Stop at the first record boundary at or after ``offset`` (for ``--limit-bytes``)."""
        self._stop_at = offset

    def checkpoint(self) -> bytes:
        """A checkpoint of the latest record boundary (``resume_offset``); gzip + sha256 JSON."""
        if self.stopped and self._snap is not None:
            snap = self._snap
        elif self._eof:
            snap = self._snapshot(self.position)
            snap["finished"] = True
        elif self._rec < 0 and self._s is None and self._n is None and self._st in STATE_NAMES \
                and self._st != DEAD and not self._pending:
            snap = self._snapshot(self._base + self._i)
        elif self._snap is not None:
            snap = self._snap
        else:                                   # still inside the first record: the initial state
            o = self.options
            fresh = Engine(format=o["format"], buffer_size=o["buffer_size"],
                           checkpoint_every=o["checkpoint_every"], max_depth=o["max_depth"],
                           source=self.source, part=self.part,
                           max_findings_per_code=o["max_findings_per_code"], max_paths=o["max_paths"],
                           profile=self.profile_on)
            snap = fresh._snapshot(fresh._base + fresh._i)
        self.checkpoint_due = False
        self._last_ckpt = snap["position"]
        self.resume_offset = snap["position"]
        return pack_checkpoint(snap, self.source)

    @classmethod
    def resume(cls, blob: bytes, *, source: dict | None = None) -> "Engine":
        """An engine continuing from ``blob``; feed it the input from ``resume_offset`` on."""
        snap = unpack_checkpoint(blob, source)
        try:
            return cls._from_snapshot(snap, source)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise CheckpointError(f"checkpoint state is malformed ({exc.__class__.__name__}: {exc})") from None

    # ---- the state machine ------------------------------------------------------------------------
    def _run(self) -> None:
        """Drive the state handlers over the buffered bytes until one needs more input."""
        j = self._i
        handlers = self._handlers
        while True:
            r = handlers[self._st](self, j)
            if r == NEED:
                break
            j = r
            if self.stopped:
                break
        self._flush_pending()

    def _ws(self, j: int) -> int:
        return (_WS_SEQ if self.format == "seq" else _WS).match(self._buf, j).end()

    def _need(self, j: int) -> int:
        self._i = j
        return NEED

    # -- top level --
    def _h_top(self, j: int) -> int:
        buf = self._buf
        if not self._bom_checked:
            r = self._check_bom(j)
            if r < 0 or self._st != TOP:         # more input needed, or not UTF-8 at all
                return r
            j = r
        j = self._ws(j)
        if j >= len(buf):
            return self._need(j)
        c = buf[j]
        if self.format == "auto":
            r = self._detect(j)
            if r < 0:
                return r
            if self.format == "seq":
                return j
        return self._value_start(j, c)

    def _h_top_after(self, j: int) -> int:
        buf = self._buf
        j = self._ws(j)
        if j >= len(buf):
            return self._need(j)
        if self.format != "json":
            self._st = TOP
            return self._value_start(j, buf[j])
        self._finding("trailing-data", self._base + j, "data after the end of the JSON document "
                      f"(found {self._show(buf[j])}; use --format ndjson for concatenated values)")
        self._skip_from = self._base + j
        self._skip_rec = False
        self._st = SKIP_ALL
        return j

    def _check_bom(self, j: int) -> int:
        buf = self._buf
        head = bytes(buf[j:j + 4])
        if len(head) < 4 and not self._eof:
            return self._need(j)
        self._bom_checked = True
        enc = None
        if head.startswith(b"\x00\x00\xfe\xff"):
            enc = "UTF-32BE (BOM)"
        elif head.startswith(b"\xff\xfe\x00\x00"):
            enc = "UTF-32LE (BOM)"
        elif head.startswith(b"\xfe\xff"):
            enc = "UTF-16BE (BOM)"
        elif head.startswith(b"\xff\xfe"):
            enc = "UTF-16LE (BOM)"
        elif len(head) == 4 and head[0] == 0 and head[1] == 0 and head[2] == 0 and head[3]:
            enc = "UTF-32BE"
        elif len(head) == 4 and head[0] and head[1] == 0 and head[2] == 0 and head[3] == 0:
            enc = "UTF-32LE"
        elif len(head) == 4 and head[0] == 0 and head[1] and head[2] == 0 and head[3]:
            enc = "UTF-16BE"
        elif len(head) == 4 and head[0] and head[1] == 0 and head[2] and head[3] == 0:
            enc = "UTF-16LE"
        if enc:
            self._finding("encoding", self._base + j, f"input is {enc}; JSON must be UTF-8 (RFC 8259 section 8.1): "
                          "transcode it first")
            self._skip_from = self._base + j
            self._skip_rec = False
            self._st = SKIP_ALL
            return j
        if head.startswith(b"\xef\xbb\xbf"):
            self._finding("bom", self._base + j, "UTF-8 byte order mark at the start (RFC 8259 forbids adding one; ignored)")
            return j + 3
        return j

    def _detect(self, j: int) -> int:
        """auto: NDJSON when the first line holds one complete value and another value follows."""
        buf = self._buf
        if buf[j] == 0x1E:                   # RFC 7464 record separator: JSON text sequence
            self.format = "seq"
            return j
        limit = j + self.cap                    # decide on the first buffer_size bytes only
        nl = buf.find(b"\n", j, limit)
        fmt = None
        if nl < 0:
            if self._eof or len(buf) >= limit:
                fmt = "json"
        else:
            line = bytes(buf[j:nl]).strip()
            candidate = line[:1] in (b"{", b"[") and line[-1:] in (b"}", b"]")
            if not candidate:
                try:
                    if _nesting_bound(line.decode("latin-1")) >= SCAN_SAFE_NESTING:
                        raise ValueError("too deep for the C scanner")
                    json.loads(line)
                    candidate = True
                except (ValueError, RecursionError):
                    candidate = False
            if not candidate:
                fmt = "json"
            else:
                k = _WS.match(buf, nl, limit).end()
                if k < min(len(buf), limit):
                    fmt = "ndjson" if buf[k] in _AUTO_START else "json"
                elif self._eof or k >= limit:
                    fmt = "json"
        if fmt is None:
            return self._need(j)
        self.format = fmt
        return j

    # -- values --
    def _is_rec_start(self, c: int) -> bool:
        st = self._stack
        n = len(st)
        if self.format != "json":
            return n == 0
        if n == 0:
            return c != 0x5B and c != 0x7B
        if n == 1:
            return not st[0][0] or c != 0x5B
        return n == 2 and st[0][0] and not st[1][0]

    def _value_node(self):
        st = self._stack
        if not st:
            return self.prof.root, self.prof.root.path
        top = st[-1]
        if top[0]:
            return self.prof.child(top[1], self._key), child_path(top[2], self._key)
        return self.prof.item(top[1]), top[2] + "[*]"

    def _value_start(self, j: int, c: int) -> int:
        if self._rec < 0 and self._is_rec_start(c):
            if self._fast_on:
                r = self._fast(j)
                if r != -2:
                    return r
            if self._base + j - self._snap_pos >= self.cap and not self._pending:
                # the exact path may stream a long record: keep a resume point before it
                self._snap = self._snapshot(self._base + j)
                self._snap_pos = self._base + j
            self._rec = len(self._stack)
            self._rec_start = self._base + j
            self._rec_path_s = self._value_node()[1]
        if not self._stack:
            self._top_seen = True
            if self.shape is None:
                self.shape = ("object" if c == 0x7B else "array" if c == 0x5B else "scalar") \
                    if self.format == "json" else "stream"
        node, path = self._value_node()
        self._vnode, self._vpath = node, path
        self._in_value = True
        if c == 0x7B or c == 0x5B:
            if len(self._stack) >= self.max_depth:
                return self._error("depth-limit", j, f"nesting deeper than {self.max_depth} levels "
                                   "(max_depth); the enclosing record is skipped")
            is_obj = c == 0x7B
            self._in_value = False
            self.prof.open_container(node, is_obj)
            self._stack.append([is_obj, node, path, set() if is_obj else None, 0])
            self._st = OBJ_FIRST if is_obj else ARR_FIRST
            return j + 1
        if c == 0x22:
            self._tok = self._base + j
            self._s = [False, self._base + j, 0, 0, "", [], 0, None, b'"']
            self._st = STRING
            return j + 1
        if c == 0x2D or 0x30 <= c <= 0x39:
            return self._number(j)
        lit = _LITERALS.get(c)
        if lit is not None:
            return self._literal(j, lit)
        return self._bad_value(j, c)

    def _bad_value(self, j: int, c: int) -> int:
        buf = self._buf
        want = _NONSTD.get(c)
        if want is not None:
            got = bytes(buf[j:j + len(want)])
            if got == want[:len(got)] and len(got) < len(want) and not self._eof:
                return self._need(j)
            if got == want:
                return self._error("non-standard-literal", j, f"{want.decode()} is not JSON "
                                   "(RFC 8259 has no NaN or Infinity)")
        if c in (0x5D, 0x7D) and self._st in (VALUE, OBJ_KEY):
            return self._error("syntax", j, f"trailing comma before {self._show(c)}")
        return self._error("syntax", j, f"expected a value, found {self._show(c)}")

    def _literal(self, j: int, lit: bytes) -> int:
        buf = self._buf
        got = bytes(buf[j:j + len(lit)])
        for k, b in enumerate(got):
            if b != lit[k]:
                return self._error("syntax", j + k, f"invalid literal: expected {lit.decode()!r}, "
                                   f"found {self._show(b)}")
        if len(got) < len(lit):
            if not self._eof:
                return self._need(j)
            return self._truncated(j + len(got), f"input ends inside the literal {lit.decode()!r}")
        node = self._vnode
        if lit[0] == 0x6E:
            self.prof.scalar_null(node)
        else:
            self.prof.scalar_bool(node, lit[0] == 0x74)
        return self._value_done(j + len(lit), 0)

    def _number(self, j: int) -> int:
        buf = self._buf
        e = _NUM_RUN.match(buf, j).end()
        if e - j >= self.cap:                   # by length, not by how much is buffered
            return self._number_stream(j)
        if e >= len(buf) and not self._eof:
            return self._need(j)
        text = bytes(buf[j:e])
        bad, s = _num_check(text)
        if bad < len(text) or s not in _NUM_ACCEPT:
            if text == b"-" and e < len(buf) and buf[e] == 0x49:
                want = b"-Infinity"
                got = bytes(buf[j:j + len(want)])
                if got == want[:len(got)] and len(got) < len(want) and not self._eof:
                    return self._need(j)
                if got == want:
                    return self._error("non-standard-literal", j, "-Infinity is not JSON "
                                       "(RFC 8259 has no NaN or Infinity)")
            if bad == len(text) and e >= len(buf):
                return self._truncated(j + bad, "input ends inside a number")
            found = self._show(buf[j + bad]) if j + bad < len(buf) else "the end"
            return self._error("syntax", j + bad, f"invalid number: expected {_NUM_WHY[s]}, found {found}")
        self._number_value(j, text)
        return self._value_done(e, 0)

    def _number_value(self, j: int, text: bytes) -> None:
        node = self._vnode
        if b"." in text or b"e" in text or b"E" in text:
            v = float(text)
            self.prof.scalar_float(node, v)
            if v - v != 0:
                self._finding("number-precision", self._base + j, "number overflows a 64-bit float "
                              f"(becomes {'-' if v < 0 else ''}Infinity)", self._vpath)
            return
        try:
            v = int(text)
        except ValueError:
            self.prof.scalar_huge_int(node, text[:32].decode())
            self._finding("number-precision", self._base + j, f"integer of {len(text)} digits is too long to "
                          "convert; excluded from number statistics", self._vpath)
            return
        self.prof.scalar_int(node, v)
        if v > SAFE_INT or v < -SAFE_INT:
            self._finding("number-precision", self._base + j, "integer beyond 2**53 loses precision as a "
                          "double (JavaScript number)", self._vpath)

    def _number_stream(self, j: int) -> int:
        """A number token longer than the buffer: validated piecewise, counted, no statistics."""
        self._n = [self._base + j, bytes(self._buf[j:j + 32]), 0, 0, False]
        self._st = NUMBER
        return self._h_number(j)

    def _h_number(self, j: int) -> int:
        buf = self._buf
        n = self._n
        e = _NUM_RUN.match(buf, j).end()
        text = bytes(buf[j:e])
        state = n[2]
        for idx, c in enumerate(text):
            prev = state
            state = _num_step(state, c)
            if c in (0x2E, 0x65, 0x45):
                n[4] = True
            if state < 0:
                self._n = None
                self._st = VALUE
                return self._error("syntax", j + idx, f"invalid number: expected {_NUM_WHY[prev]}, "
                                   f"found {self._show(c)}")
        n[2] = state
        n[3] += len(text)
        if e >= len(buf) and not self._eof:
            self._tok = self._base + e
            return self._need(e)
        self._n = None
        if state not in _NUM_ACCEPT:
            if e >= len(buf):
                return self._truncated(e, "input ends inside a number")
            return self._error("syntax", e, f"invalid number: unexpected {self._show(buf[e])}")
        o = n[0]
        self.prof.scalar_huge_int(self._vnode, "")
        self._finding("number-precision", o, f"number of {n[3]} bytes is longer than the buffer; "
                      "counted without statistics", self._vpath, excerpt_bytes=n[1])
        self._finding("size-limit", o, f"number token of {n[3]} bytes exceeds the buffer "
                      f"({self.cap} bytes); processed in streaming mode", self._vpath, excerpt_bytes=n[1])
        return self._value_done(e, 0)

    # -- strings: s = [is_key, start, length, crc, prefix, key_parts, raw_bytes, pending_high] --
    def _h_string(self, j: int) -> int:
        from zlib import crc32
        buf = self._buf
        s = self._s
        n = len(buf)
        while True:
            e = _STR_RUN.match(buf, j).end()
            if e > j:
                run = bytes(buf[j:e])
                try:
                    txt = run.decode("utf-8")
                except UnicodeDecodeError as ex:
                    if e >= n and not self._eof and ex.reason == "unexpected end of data":
                        good = ex.start
                        if good:
                            if s[7] is not None:
                                self._lone_high()
                            self._s_add(run[:good].decode("utf-8"), run[:good], crc32)
                        return self._need(j + good)
                    return self._error("invalid-utf8", j + ex.start, "invalid UTF-8 in a string "
                                       f"(byte {run[ex.start]:#04x}: {ex.reason})", in_string=True)
                if s[7] is not None:
                    self._lone_high()
                self._s_add(txt, run, crc32)
                j = e
            if j >= n:
                if self._eof:
                    if s[7] is not None:
                        self._lone_high()
                    return self._truncated(j, "input ends inside a string")
                return self._need(j)
            c = buf[j]
            if c == 0x22:
                if s[7] is not None:
                    self._lone_high()
                return self._string_done(j + 1)
            if c == 0x5C:
                m = _STR_BULK.match(buf, j)
                e = m.end()
                if e - j > 12 and s[7] is None:
                    run = bytes(buf[j:e])
                    if _SURR_ESC.search(run) is None:
                        try:
                            txt = _scanstring(run.decode("utf-8") + '"', 0, True)[0]
                        except (UnicodeDecodeError, ValueError):
                            txt = None
                        if txt is not None:
                            self._s_add(txt, txt.encode("utf-8"), crc32)
                            j = e
                            continue
                r = self._escape(j, crc32)
                if r < 0:
                    return r if r == NEED else self._error("syntax", j, self._esc_msg, in_string=True)
                j = r
                continue
            return self._error("control-character", j, f"raw control character {self._show(c)} in a "
                               "string (must be escaped)", in_string=True)

    def _s_add(self, txt: str, raw: bytes, crc32) -> None:
        s = self._s
        s[2] += len(txt)
        s[3] = crc32(raw, s[3])
        if len(s[4]) <= 41:
            s[4] += txt[:41]
        s[6] += len(raw)
        if len(s[8]) < EXCERPT_AFTER:
            s[8] += raw[:EXCERPT_AFTER]
        if s[0] and s[6] <= KEY_CAP:
            s[5].append(txt)

    def _lone_high(self) -> None:
        from zlib import crc32
        s = self._s
        cp, off = s[7]
        s[7] = None
        self._finding("lone-surrogate", off, f"unpaired high surrogate \\u{cp:04X} in a string",
                      self._spath())
        ch = chr(cp)
        self._s_add(ch, ch.encode("utf-8", "surrogatepass"), crc32)

    def _spath(self) -> str:
        if self._s[0]:
            top = self._stack[-1]
            return top[2]
        return self._vpath

    _esc_msg = ""

    def _escape(self, j: int, crc32) -> int:
        buf = self._buf
        s = self._s
        n = len(buf)
        if j + 1 >= n:
            if self._eof:
                return self._truncated(j + 1, "input ends inside an escape sequence") or -3
            return self._need(j)
        c = buf[j + 1]
        ch = _ESCAPES.get(c)
        if ch is not None:
            if s[7] is not None:
                self._lone_high()
            self._s_add(ch, ch.encode(), crc32)
            return j + 2
        if c != 0x75:
            self._esc_msg = f"invalid escape \\{chr(c) if 32 < c < 127 else hex(c)} in a string"
            return -3
        hexd = bytes(buf[j + 2:j + 6])
        if len(hexd) < 4 and _HEX4.fullmatch(hexd + b"0" * (4 - len(hexd))):
            if self._eof:
                return self._truncated(n, "input ends inside a \\u escape") or -3
            return self._need(j)
        if not _HEX4.fullmatch(hexd):
            self._esc_msg = "invalid \\u escape (needs 4 hex digits)"
            return -3
        cp = int(hexd, 16)
        if s[7] is not None:
            hcp, hoff = s[7]
            if 0xDC00 <= cp <= 0xDFFF:
                s[7] = None
                ch = chr(0x10000 + ((hcp - 0xD800) << 10) + (cp - 0xDC00))
                self._s_add(ch, ch.encode("utf-8"), crc32)
                return j + 6
            self._lone_high()
        if 0xD800 <= cp <= 0xDBFF:
            s[7] = (cp, self._base + j)
            nxt = bytes(buf[j + 6:j + 12])
            if len(nxt) < 6 and not self._eof and _LOW_PREFIX.fullmatch(nxt):
                s[7] = None
                return self._need(j)
            return j + 6
        if 0xDC00 <= cp <= 0xDFFF:
            self._finding("lone-surrogate", self._base + j,
                          f"unpaired low surrogate \\u{cp:04X} in a string", self._spath())
        ch = chr(cp)
        self._s_add(ch, ch.encode("utf-8", "surrogatepass"), crc32)
        return j + 6

    def _string_done(self, j: int) -> int:
        s = self._s
        self._s = None
        if s[0]:
            key = "".join(s[5])
            if s[6] > KEY_CAP:
                key += "…"
                self._finding("size-limit", s[1], f"object key of {s[6]} bytes truncated to "
                              f"{KEY_CAP} bytes in paths", self._stack[-1][2], excerpt_bytes=s[8])
            top = self._stack[-1]
            keys = top[3]
            if keys is not None:
                if key in keys:
                    self._finding("duplicate-key", s[1], f"duplicate key {json.dumps(key[:60])} "
                                  "in the same object", top[2])
                elif len(keys) < KEY_CAP:
                    keys.add(key)
            self._key = key
            self._st = COLON
            return j
        nbytes = self._base + j - s[1]
        if nbytes > self.cap:
            self._finding("size-limit", s[1], f"string of {nbytes} bytes exceeds the buffer "
                          f"({self.cap} bytes); processed in streaming mode", self._vpath,
                          excerpt_bytes=s[8])
        self.prof.string_done(self._vnode, s[2], s[3], s[4])
        return self._value_done(j, 0)

    # -- containers --
    def _h_obj_first(self, j: int) -> int:
        buf = self._buf
        j0, j = j, _WS.match(buf, j).end()
        if self.format == "ndjson" and j > j0 and buf.find(b"\n", j0, j) >= 0:
            return self._line_break(buf.find(b"\n", j0, j))
        if j >= len(buf):
            return self._need(j)
        c = buf[j]
        if c == 0x22:
            return self._key_start(j)
        if c == 0x7D:
            return self._close(j)
        return self._error("syntax", j, f"expected a string key or '}}', found {self._show(c)}")

    def _h_obj_key(self, j: int) -> int:
        buf = self._buf
        j0, j = j, _WS.match(buf, j).end()
        if self.format == "ndjson" and j > j0 and buf.find(b"\n", j0, j) >= 0:
            return self._line_break(buf.find(b"\n", j0, j))
        if j >= len(buf):
            return self._need(j)
        c = buf[j]
        if c == 0x22:
            return self._key_start(j)
        if c == 0x7D:
            return self._error("syntax", j, "trailing comma before '}'")
        return self._error("syntax", j, f"expected a string key, found {self._show(c)}")

    def _key_start(self, j: int) -> int:
        self._tok = self._base + j
        self._s = [True, self._base + j, 0, 0, "", [], 0, None, b'"']
        self._st = STRING
        return j + 1

    def _h_colon(self, j: int) -> int:
        buf = self._buf
        j0, j = j, _WS.match(buf, j).end()
        if self.format == "ndjson" and j > j0 and buf.find(b"\n", j0, j) >= 0:
            return self._line_break(buf.find(b"\n", j0, j))
        if j >= len(buf):
            return self._need(j)
        if buf[j] == 0x3A:
            self._st = VALUE
            return j + 1
        return self._error("syntax", j, f"expected ':' after the key, found {self._show(buf[j])}")

    def _h_value(self, j: int) -> int:
        buf = self._buf
        j0, j = j, _WS.match(buf, j).end()
        if self.format == "ndjson" and j > j0 and buf.find(b"\n", j0, j) >= 0:
            return self._line_break(buf.find(b"\n", j0, j))
        if j >= len(buf):
            return self._need(j)
        return self._value_start(j, buf[j])

    def _h_arr_first(self, j: int) -> int:
        buf = self._buf
        j0, j = j, _WS.match(buf, j).end()
        if self.format == "ndjson" and j > j0 and buf.find(b"\n", j0, j) >= 0:
            return self._line_break(buf.find(b"\n", j0, j))
        if j >= len(buf):
            return self._need(j)
        c = buf[j]
        if c == 0x5D:
            return self._close(j)
        return self._value_start(j, c)

    def _h_after(self, j: int) -> int:
        buf = self._buf
        j0, j = j, _WS.match(buf, j).end()
        if self.format == "ndjson" and j > j0 and buf.find(b"\n", j0, j) >= 0:
            return self._line_break(buf.find(b"\n", j0, j))
        if j >= len(buf):
            return self._need(j)
        c = buf[j]
        top = self._stack[-1]
        if c == 0x2C:
            self._st = OBJ_KEY if top[0] else VALUE
            return j + 1
        if c == (0x7D if top[0] else 0x5D):
            return self._close(j)
        want = "',' or '}'" if top[0] else "',' or ']'"
        return self._error("syntax", j, f"expected {want}, found {self._show(c)}")

    def _close(self, j: int) -> int:
        fr = self._stack.pop()
        h = fr[4] + 1
        self.prof.close_container(fr[1], h, fr[3])
        return self._value_done(j + 1, h)

    def _value_done(self, j: int, h: int) -> int:
        """A value ended at buffer index ``j`` (exclusive) with nesting height ``h``."""
        self._in_value = False
        st = self._stack
        if st:
            top = st[-1]
            if h >= top[4]:
                top[4] = h
                node = top[1]
                if h >= node.depth:
                    node.depth = h + 1
            self._st = AFTER
        else:
            self._st = TOP_AFTER
        if self._rec == len(st):
            self._rec = -1
            self._record_end(self._base + j, self._rec_path_s)
        return j

    def _record_end(self, end: int, stream: str, skipped: bool = False) -> None:
        if skipped:
            self.skipped_records += 1
        else:
            self.records += 1
            self.streams[stream] = self.streams.get(stream, 0) + 1
        rs = self._rec_start
        if end - rs > self.cap and not skipped:
            self._finding("size-limit", rs, f"record of {end - rs} bytes exceeds the buffer "
                          f"({self.cap} bytes); processed structurally (no checkpoint inside it)",
                          stream, excerpt_bytes=b"")
        self._boundary(end)

    def _boundary(self, end: int) -> None:
        self._prev_boundary, self._last_boundary = self._last_boundary, end
        if self._pending:
            self._complete_pending(end)
        if self.on_boundary is not None:
            self.on_boundary(end, self)
        if end - self._last_ckpt >= self.checkpoint_every or (
                self._stop_at is not None and end >= self._stop_at):
            self._snap = self._snapshot(end)
            self._snap_pos = end
            self.checkpoint_due = True
            self._last_ckpt = end
            if self._stop_at is not None and end >= self._stop_at:
                self.stopped = True

    # -- recovery --
    def _error(self, code: str, j: int, msg: str, in_string: bool = False) -> int:
        """An error at buffer index ``j``: record the finding and resynchronise."""
        if self._s is not None and self._s[7] is not None:
            self._lone_high()                   # whatever follows, that high surrogate is unpaired
        self._finding(code, self._base + j, msg, self._err_path())
        self._s = None
        self._n = None
        self._in_value = False
        if self.format in ("ndjson", "seq"):
            self._skip_rec = self._rec >= 0
            self._skip_from = self._rec_start if self._rec >= 0 else self._base + j
            self._rec = -1
            del self._stack[:]
            self._st = SKIP_LINE
            return j
        level = self._rec if self._rec >= 0 else len(self._stack)
        self._skip_rec = self._rec >= 0
        self._skip_from = self._rec_start if self._rec >= 0 else self._base + j
        self._rec = -1
        if level == 0:
            self._st = SKIP_ALL
            del self._stack[:]
            return j
        self._skip_depth = len(self._stack) - level
        del self._stack[level:]
        self._skip_str = in_string
        self._st = SKIP
        if in_string:
            return j + 1
        c = self._buf[j] if j < len(self._buf) else 0
        if c in (0x5B, 0x7B) and code == "depth-limit":
            self._skip_depth += 1
            return j + 1
        return j

    def _err_path(self) -> str:
        if self._s is not None and self._s[0]:
            return self._stack[-1][2] if self._stack else self.prof.root.path
        if self._in_value:
            return self._vpath
        if self._stack:
            return self._stack[-1][2]
        return self.prof.root.path

    def _h_skip(self, j: int) -> int:
        buf = self._buf
        n = len(buf)
        depth = self._skip_depth
        while True:
            if self._skip_str:
                m = _SKIP_STR.search(buf, j)
                if m is None:
                    self._skip_depth = depth
                    return self._need(n)
                k = m.start()
                if buf[k] == 0x5C:
                    if k + 1 >= n:
                        self._skip_depth = depth
                        return self._need(k) if not self._eof else self._need(n)
                    j = k + 2
                    continue
                self._skip_str = False
                j = k + 1
                continue
            m = _SKIP_ANY.search(buf, j)
            if m is None:
                self._skip_depth = depth
                return self._need(n)
            k, e = m.span()
            c = buf[k]
            if c == 0x22:
                self._skip_str = True
                j = e
            elif c == 0x5B or c == 0x7B:
                depth += e - k
                j = e
            elif c == 0x2C:
                if depth == 0:
                    return self._resync(k)
                j = e
            else:
                if depth == 0:
                    return self._resync(k)
                run = e - k
                if run <= depth:
                    depth -= run
                    j = e
                else:
                    j = k + depth
                    depth = 0

    def _resync(self, k: int) -> int:
        """Back in step at a ',' or closer at the spine level; a closer closes the innermost
        container whatever its kind (the mismatch was already reported)."""
        end = self._base + k
        self._skipped(end)
        self._st = AFTER
        if self._buf[k] != 0x2C:
            return self._close(k)
        return k

    def _skipped(self, end: int) -> None:
        n = end - self._skip_from
        self.skipped_bytes += n
        if self._skip_rec and n > 0:
            self.skipped_records += 1
        self._prev_boundary, self._last_boundary = self._last_boundary, end

    def _h_skip_line(self, j: int) -> int:
        buf = self._buf
        k = buf.find(b"\n", j)
        if k < 0:
            return self._need(len(buf))
        end = self._base + k
        self._skipped(end)
        self._st = TOP
        return k

    def _line_break(self, k: int) -> int:
        """NDJSON: a record may not span lines."""
        return self._error("syntax", k, "line ends inside a value (an NDJSON record is one line)")

    def _h_skip_all(self, j: int) -> int:
        return self._need(len(self._buf))

    def _h_dead(self, j: int) -> int:
        return self._need(len(self._buf))

    def _truncated(self, j: int, msg: str) -> int:
        """EOF inside a value (only called when the input really ended)."""
        if self._s is not None and self._s[7] is not None:
            self._lone_high()
        self._finding("truncated", self._base + j, msg, self._err_path())
        self._s = None
        self._st = DEAD
        return self._need(len(self._buf))

    def _at_eof(self) -> None:
        end = self._base + len(self._buf)
        if self._st in (SKIP, SKIP_LINE, SKIP_ALL):
            self._skipped(end)
            if self._st == SKIP and self.last:
                self._finding("truncated", end, "input ends inside a container (after an error)",
                              self._stack[-1][2] if self._stack else self.prof.root.path)
            self._st = DEAD
        elif self._st == DEAD:
            pass
        elif not self.last:
            if self._rec >= 0 or self._st not in (TOP, TOP_AFTER, AFTER, VALUE, OBJ_KEY, ARR_FIRST,
                                                  OBJ_FIRST, COLON):
                self._finding("truncated", end, "part ends inside a record (not a record boundary)",
                              self._err_path())
        elif self._stack or self._st not in (TOP, TOP_AFTER):
            what = "an object" if self._stack and self._stack[-1][0] else "an array" if self._stack else "a value"
            self._finding("truncated", end, f"input ends inside {what} (unexpected end of data)",
                          self._err_path())
        elif self.format in ("json", "auto") and not self._top_seen and self.start == 0:
            self.format = "json"
            self._finding("syntax", end, "empty document: no JSON value", self.prof.root.path)
        self._complete_pending(end)

    # ---- fast path ----------------------------------------------------------------------------------
    def _fast(self, j: int) -> int:
        """``_fast_window``, then the profiler's batched reduction when the exact path takes over
        (it updates nodes value by value) or every ``FLUSH_BYTES`` of input: fewer, larger C-level
        reductions, and a bound on what stays pending.  Reads of the profile flush first."""
        r = self._fast_window(j)
        if r == -2 or (r >= 0 and self._base + r - self._flushed_at >= FLUSH_BYTES):
            self.prof.flush()
            self._flushed_at = self._base + (j if r < 0 else r)
        return r

    def _fast_window(self, j: int) -> int:
        """Parse complete records at buffer index ``j`` with the C scanner.  Returns the index after
        the last record taken (state set), ``-2`` to use the exact path for this record, or NEED."""
        buf = self._buf
        avail = len(buf) - j
        eof = self._eof
        full = avail >= self.cap
        if not eof and not full and self._base + len(buf) < self._fast_wait:
            return self._need(j)
        fmt = self.format
        stack = self._stack
        arr_spine = fmt == "json" and bool(stack) and not stack[-1][0]
        multi = arr_spine or fmt != "json"
        win = min(avail, self._win if multi else max(16384, 4 * self._last_nb))
        while True:
            raw = bytes(buf[j:j + win])
            try:
                s = raw.decode("utf-8")
                bad_utf8 = False
                sb = raw
            except UnicodeDecodeError as ex:
                sb = raw[:ex.start]
                s = sb.decode("utf-8")
                bad_utf8 = not (ex.reason == "unexpected end of data" and j + win >= len(buf))
            ascii_ = len(s) == len(raw) if not bad_utf8 else s.isascii()
            bound = _nesting_bound_fast(sb)
            if bound >= SCAN_SAFE_NESTING:
                bound = _nesting_bound_bytes(sb)
                if bound >= SCAN_SAFE_NESTING:
                    return -2
            self._win_bound = bound             # no value in this window nests deeper
            self._win_lone_free = _lone_free(sb)
            where = None                        # (node, path) of this window's records
            limit = min(FAST_MAX_HEIGHT, self.max_depth - len(stack))
            sep_re = _S_SEP_ARR if arr_spine else _S_WS_SEQ if fmt == "seq" else _S_WS
            k = 0
            bpos = j                            # buffer index of s[k]
            took = 0
            while True:
                try:
                    obj, end = _SCAN(s, k)
                except StopIteration as ex:
                    fail, why = ex.value, "stop"
                except json.JSONDecodeError as ex:
                    fail, why = ex.pos, ex.msg
                except (_Reject, ValueError, RecursionError):
                    fail, why = len(s), "reject"
                else:
                    fail = -1
                if fail < 0:
                    nxt = s[end:end + 1]
                    if not nxt:
                        if not (eof and j + win >= len(buf) and not bad_utf8):
                            fail, why = end, "edge"
                    elif nxt not in " \t\r\n,]}" and not (fmt == "seq" and nxt == "\x1e"):
                        fail, why = end, "delim"
                nb = -1
                if fail < 0:
                    rec = s[k:end]
                    if ascii_ or rec.isascii():
                        nb = end - k
                    m = sep_re.match(s, end)            # the separator after the record (ASCII)
                    if fmt == "ndjson":
                        cn = s.find("\n", k)
                        if 0 <= cn < end:
                            fail, why = end, "anomaly"
                        elif nb < 0 and cn > 0 and m.end() > cn:
                            # bytes to the line's end (a byte scan) less the ASCII blanks after
                            # the record: its UTF-8 length without encoding it again
                            nb = sb.find(b"\n", bpos - j) - (bpos - j) - (cn - end)
                if fail < 0:
                    if nb < 0:
                        nb = len(rec.encode("utf-8"))
                    if where is None:
                        where = self._value_node()
                    r = self._fast_record(obj, rec, bpos, nb, where, limit)
                    if r < 0:
                        fail, why = end, "anomaly"
                    else:
                        took += 1
                        bpos += nb
                        if not multi or self.stopped:
                            self._fast_wait = 0
                            return bpos
                        me = m.end() if m is not None else -1
                        if me < 0 or me >= len(s):
                            self._fast_wait = 0
                            return bpos
                        bpos += me - end
                        self._st = VALUE if arr_spine else TOP
                        k = me
                        continue
                if took:
                    self._fast_wait = 0
                    return bpos
                # the first record failed: more data, wider window, or the exact path
                if win < avail and not bad_utf8 and why not in ("reject", "anomaly", "delim"):
                    win = min(avail, win * 2)
                    break
                if eof or full or bad_utf8 or why in ("reject", "anomaly", "delim"):
                    return -2
                if why == "stop" and fail < len(s):
                    return -2
                if why not in ("edge", "stop") and not why.startswith("Unterminated") \
                        and not why.startswith("Expecting") and fail < len(s) - 12:
                    return -2
                if why.startswith("Expecting") and fail < len(s):
                    return -2
                self._fast_wait = self._base + j + 2 * avail
                return self._need(j)

    def _fast_record(self, obj, rec: str, j: int, nb: int, where: tuple, limit: int) -> int:
        """Account one fast-parsed record at buffer index ``j`` of ``nb`` bytes; -1 to reject.
        ``where`` is the records' (node, path) and ``limit`` the height that needs the exact path:
        the same for every record of a window, so the window computes them once."""
        stack = self._stack
        if nb > self.cap:                       # larger than the buffer: always the exact path
            return -1
        if not self._win_lone_free and ("\\ud" in rec or "\\uD" in rec) and _has_lone(rec):
            return -1
        if self._win_bound >= limit and len(rec) >= 2 * limit and rec.count("[") + rec.count("{") >= limit \
                and _height(obj, limit) >= limit:
            return -1                           # deep: depth limit and recursion are the exact path's
        node, path = where
        start = self._base + j
        if not stack:
            self._top_seen = True
            if self.shape is None:
                t = type(obj)
                self.shape = ("object" if t is dict else "array" if t is list else "scalar") \
                    if self.format == "json" else "stream"
        big: list = []
        if self.profile_on:
            h = self.prof.walk(node, obj, big)
        else:
            h = _height(obj, 1 << 30)         # contexts carry the spine's heights
        if big:
            fs = self.findings
            n = fs.by_code.get("number-precision", 0)
            if n >= fs.per_code:                  # past K: only the count is reported
                fs.by_code["number-precision"] = n + len(big)
            else:
                self._fast_findings(rec, start, nb, path, big)
        if stack:
            top = stack[-1]
            if h >= top[4]:
                top[4] = h
                pn = top[1]
                if h >= pn.depth:
                    pn.depth = h + 1
            self._st = AFTER
        else:
            self._st = TOP_AFTER
        self._rec_start = start
        self._in_value = False
        self._last_nb = nb
        if 2 * nb > self._win:
            self._win = min(2 * nb, self.cap)
        self._fast_records += 1
        self.records += 1                       # ``_record_end`` without its size check (nb <= cap)
        streams = self.streams
        streams[path] = streams.get(path, 0) + 1
        self._boundary(start + nb)
        return 0

    def _fast_findings(self, rec: str, start: int, nb: int, path: str, big: list) -> None:
        """Exact offsets for the warnings of a fast-parsed record: big integers by position, the
        rest by re-running the exact tokenizer over the record's bytes (still in the buffer)."""
        ok = self.profile_on and all(b is not None and type(b[1]) is int for b in big)
        if ok:
            cands = []
            n = len(rec)
            for v in {b[1] for b in big}:
                t = str(v)
                a = rec.find(t)
                while a >= 0:
                    e = a + len(t)
                    if (not a or rec[a - 1] in ":,[ \t\n\r") and (e == n or rec[e] in " \t\n\r,]}"):
                        cands.append((a, v))
                    a = rec.find(t, a + 1)
            cands.sort()
            if len(cands) == len(big) and all(c[1] == b[1] for c, b in zip(cands, big)):
                ascii_ = rec.isascii()
                for (pos, v), (node, _) in zip(cands, big):
                    o = start + (pos if ascii_ else len(rec[:pos].encode("utf-8")))
                    self._finding("number-precision", o, "integer beyond 2**53 loses precision as a "
                                  "double (JavaScript number)", node.path if node is not self.prof.sink
                                  else None, rec_bounds=(start, start + nb))
                return
        self._rescan(start, nb, path)

    def _rescan(self, start: int, nb: int, path: str) -> None:
        """Findings of one record via the exact tokenizer on a scratch engine."""
        j = start - self._base
        data = bytes(self._buf[j:j + nb])
        line, col = self._line_col(start)
        sub = Engine(format="seq", buffer_size=max(self.cap, nb + 1024), profile=False, exact=True,
                     part={"start": start, "end": start + nb, "last": True,
                           "context": {"format": "seq", "line": line, "column": col,
                                       "root": path}})
        sub.feed(data)
        sub._eof = True
        sub._run()
        for f in sub.findings.kept:
            g = self._finding(f["code"], f["offset"], f["message"], f["path"], rec_bounds=(start, start + nb))
            del g
        for code, n in sub.findings.by_code.items():
            kept = sum(1 for f in sub.findings.kept if f["code"] == code)
            if n > kept:
                self.findings.by_code[code] = self.findings.by_code.get(code, 0) + (n - kept)

    # ---- findings, excerpts, lines ------------------------------------------------------------------
    def _finding(self, code: str, offset: int, message: str, path: str | None = None, *,
                 excerpt_bytes: bytes | None = None, rec_bounds=None) -> dict | None:
        """Record a finding at absolute ``offset``; its excerpt is clipped to the record (or to the
        stretch since the last boundary) so that any split or part cut gives the same text."""
        if path is None:
            path = self._err_path() if code not in ("bom", "encoding", "trailing-data") else self.prof.root.path
        line, col = self._line_col(offset)
        f = self.findings.add(code, offset, line, col, path, message)
        if f is None:
            return None
        if excerpt_bytes is not None:
            f["excerpt"] = excerpt_text(excerpt_bytes[:EXCERPT_AFTER], False, len(excerpt_bytes) >= EXCERPT_AFTER)
            return f
        if rec_bounds is not None:
            lo, hi = rec_bounds
            if offset <= lo:
                lo = min(offset, self._last_boundary)
            self._set_excerpt(f, offset, lo, min(hi, offset + EXCERPT_AFTER))
            return f
        lo = self._rec_start if self._rec >= 0 and offset > self._rec_start else self._last_boundary
        if code == "truncated":
            lo = self._last_boundary if self._last_boundary < offset else self._prev_boundary
        if offset < lo:
            lo = offset
        self._pending.append([f, offset, lo])
        return f

    def _set_excerpt(self, f: dict, o: int, lo: int, hi: int) -> None:
        a = max(o - EXCERPT_BEFORE, lo, self._base)
        b = min(hi, self._base + len(self._buf))
        data = bytes(self._buf[a - self._base:b - self._base]) if b > a else b""
        f["excerpt"] = excerpt_text(data, a > lo, b >= o + EXCERPT_AFTER)

    def _complete_pending(self, end: int) -> None:
        for f, o, lo in self._pending:
            self._set_excerpt(f, o, lo, min(o + EXCERPT_AFTER, max(end, o)))
        self._pending = []

    def _flush_pending(self) -> None:
        if not self._pending:
            return
        point = self._base + self._i
        keep = []
        for p in self._pending:
            f, o, lo = p
            if point >= o + EXCERPT_AFTER:
                self._set_excerpt(f, o, lo, o + EXCERPT_AFTER)
            else:
                keep.append(p)
        self._pending = keep

    def _line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and byte column of an absolute offset (moves the line cache forward)."""
        buf = self._buf
        if offset >= self._lc:
            self._advance_lines(min(offset, self._base + len(buf)))
            return self._line, offset - self._line_start + 1
        a = max(offset - self._base, 0)
        n = buf.count(b"\n", a, self._lc - self._base)
        if not n:
            return self._line, max(1, offset - self._line_start + 1)
        k = buf.rfind(b"\n", 0, a)
        return self._line - n, offset - (self._base + k + 1) + 1 if k >= 0 else 1

    def _advance_lines(self, to: int) -> None:
        if to <= self._lc:
            return
        buf = self._buf
        a, b = self._lc - self._base, to - self._base
        n = buf.count(b"\n", a, b)
        if n:
            self._line += n
            self._line_start = self._base + buf.rfind(b"\n", a, b) + 1
        self._lc = to

    def _compact(self) -> None:
        """Drop consumed bytes, keeping what pending excerpts and the current token still need."""
        point = self._base + self._i
        keep = point - 64
        if self._st in (STRING, NUMBER) or self._s is not None:
            if point - self._tok < self.cap:
                keep = min(keep, self._tok - EXCERPT_BEFORE)
        if self._rec >= 0 and point - self._rec_start < self.cap // 2:
            keep = min(keep, self._rec_start)
        for f, o, lo in self._pending:
            keep = min(keep, max(o - EXCERPT_BEFORE, lo))
        drop = keep - self._base
        if drop <= 0 or drop < len(self._buf) // 2 and drop < (1 << 16):
            return
        self._advance_lines(keep)
        del self._buf[:drop]
        self._base = keep
        self._i -= drop

    @staticmethod
    def _show(c: int) -> str:
        if 0x20 <= c < 0x7F:
            return repr(chr(c))
        return f"byte {c:#04x}"

    # ---- snapshots, contexts ------------------------------------------------------------------------
    def context(self, offset: int) -> dict:
        """The JSON-able state at a record boundary: what a part engine needs to start there."""
        line, col = self._line_col(offset)
        return {"v": 1, "format": self.format, "shape": self.shape, "state": STATE_NAMES[self._st],
                "stack": [[("object" if fr[0] else "array"), fr[2],
                           sorted(fr[3]) if fr[3] is not None and len(fr[3]) <= CONTEXT_KEYS else None,
                           fr[4]] for fr in self._stack],
                "top_seen": self._top_seen, "line": line, "column": col,
                "key": self._key if self._stack and self._stack[-1][0] else None}

    def _apply_context(self, ctx: dict) -> None:
        if ctx.get("v", 1) != 1:
            raise ValueError(f"unsupported part context version {ctx.get('v')!r}")
        self.format = ctx.get("format") or self.format
        self.shape = ctx.get("shape")
        self._top_seen = bool(ctx.get("top_seen", False))
        self._stack = []
        for kind, path, keys, height in ctx.get("stack", []):
            node = self.prof.node_for(path)
            self._stack.append([kind == "object", node, path, set(keys) if keys is not None else None, height])
        self._key = ctx.get("key")
        self._st = STATE_BY_NAME.get(ctx.get("state", "top"), TOP)
        self._line = int(ctx.get("line", 1))
        self._line_start = self.start - int(ctx.get("column", 1)) + 1
        self._bom_checked = self.start != 0
        root = ctx.get("root")
        if root:
            self.prof.root.path = root
            self.prof.nodes = {root: self.prof.root}

    def _snapshot(self, pos: int) -> dict:
        return {"position": pos, "options": self.options, "context": self.context(pos),
                "records": self.records, "streams": dict(self.streams),
                "skipped_bytes": self.skipped_bytes, "skipped_records": self.skipped_records,
                "start": self.start, "end": self.end, "last": self.last,
                "paths": self.prof.report_paths(), "paths_overflow": self.prof.overflow,
                "findings": self.findings.state(), "profile": self.profile_on,
                "last_boundary": self._last_boundary, "prev_boundary": self._prev_boundary,
                "tail": bytes(self._buf[max(pos - 32 - self._base, 0):max(pos - self._base, 0)]).decode("latin-1"),
                "part_index": (self.part or {}).get("index")}

    @classmethod
    def _from_snapshot(cls, snap: dict, source: dict | None) -> "Engine":
        o = snap["options"]
        pos = int(snap["position"])
        ctx = snap["context"]
        part = {"start": snap["start"], "end": snap["end"], "last": snap["last"],
                "index": snap.get("part_index"), "context": ctx}
        eng = cls(format=o["format"], buffer_size=o["buffer_size"], checkpoint_every=o["checkpoint_every"],
                  max_depth=o["max_depth"], source=source, part=part,
                  max_findings_per_code=o["max_findings_per_code"], max_paths=o["max_paths"],
                  profile=snap.get("profile", True))
        eng._base = eng.position = eng.resume_offset = eng._last_ckpt = pos
        eng._last_boundary = int(snap.get("last_boundary", pos))
        eng._prev_boundary = int(snap.get("prev_boundary", pos))
        eng._bom_checked = pos != 0
        tail = snap.get("tail", "").encode("latin-1")
        eng._buf = bytearray(tail)
        eng._base = pos - len(tail)
        eng._i = len(tail)
        if snap.get("finished"):
            eng._eof = True
        eng._lc = pos
        eng._line = int(ctx["line"])
        eng._line_start = pos - int(ctx["column"]) + 1
        eng.records = int(snap["records"])
        eng.streams = dict(snap["streams"])
        eng.skipped_bytes = int(snap["skipped_bytes"])
        eng.skipped_records = int(snap["skipped_records"])
        prof = eng.prof
        prof.nodes = {}
        for path, r in snap["paths"].items():
            prof.nodes[path] = node_from_report(path, r)
        prof.root = prof.nodes.get("$") or prof.node_for("$")
        prof.overflow_base = int(snap["paths_overflow"])
        for fr in eng._stack:
            fr[1] = prof.node_for(fr[2])
        eng.findings = Findings.from_state(snap["findings"])
        eng._snap = snap
        return eng

    # ---- report -----------------------------------------------------------------------------------
    def report(self) -> dict:
        from .report import build_report
        return build_report(self)


def _nesting_bound(s: str) -> int:
    """Upper bound of the nesting any value in ``s`` reaches (brackets inside strings count too):
    the largest rise of the running bracket depth above its lowest point before it."""
    steps = accumulate(map(_BRACKET_STEP.__getitem__, _NOT_BRACKET.sub("", s)), initial=0)
    low = 0
    rise = 0
    for depth in steps:
        if depth < low:
            low = depth
        elif depth - low > rise:
            rise = depth - low
    return rise


_BRACKET_STEP_B = {0x5B: 1, 0x7B: 1, 0x5D: -1, 0x7D: -1}
_NOT_BRACKET_B = bytes(b for b in range(256) if b not in _BRACKET_STEP_B)


def _nesting_bound_bytes(b: bytes) -> int:
    """``_nesting_bound`` of UTF-8 bytes (brackets are ASCII: never inside a multi-byte sequence);
    ``bytes.translate`` drops the other bytes far faster than a regex."""
    steps = accumulate(map(_BRACKET_STEP_B.__getitem__, b.translate(None, _NOT_BRACKET_B)), initial=0)
    low = 0
    rise = 0
    for depth in steps:
        if depth < low:
            low = depth
        elif depth - low > rise:
            rise = depth - low
    return rise


_BOUND_STEP = 64


def _nesting_bound_fast(b: bytes) -> int:
    """A cheap upper bound of ``_nesting_bound_bytes``: brackets taken ``_BOUND_STEP`` at a time
    (inside a step the depth stays within its opens above and its closes below its start), so the
    Python loop runs once per 64 brackets instead of once per bracket.  Loose by at most about two
    steps; the exact bound is computed only when this one reaches the limit."""
    br = b.translate(None, _NOT_BRACKET_B)
    n = len(br)
    if n < SCAN_SAFE_NESTING:
        return n
    depth = low = rise = 0
    for i in range(0, n, _BOUND_STEP):
        c = br[i:i + _BOUND_STEP]
        opens = c.count(b"[") + c.count(b"{")
        closes = len(c) - opens
        if depth - closes < low:
            low = depth - closes
        if depth + opens - low > rise:
            rise = depth + opens - low
        depth += opens - closes
    return rise


_SURR_ESC_ANY = re.compile(rb"\\u[dD][89a-fA-F]")
_SURR_ESC_PAIR = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F]")


def _lone_free(b: bytes) -> bool:
    """True when the UTF-8 text ``b`` surely holds no unpaired surrogate escape: every surrogate
    escape is half of a high+low pair.  Without an escaped backslash before a ``u`` every ``\\u``
    is an escape, so counting is exact; otherwise False (undecided: ``_has_lone`` decides per
    record).  Bytes, not the decoded text: one byte per character to scan, not up to four."""
    if b"\\u" not in b:
        return True
    if b"\\\\u" in b:
        return False
    return len(_SURR_ESC_ANY.findall(b)) == 2 * len(_SURR_ESC_PAIR.findall(b))


# Escapes read left to right (so an escaped backslash is never taken for the start of \u):
# runs without a backslash, a high+low surrogate pair, \u of a non-surrogate, any other escape;
# what stops the possessive loop before the end can only be an unpaired surrogate escape.
_LONE_SURR = re.compile(r"(?:[^\\]++|\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
                        r"|u(?![dD][89a-fA-F])|[^u]))*+\\u[dD][89a-fA-F]")


def _has_lone(rec: str) -> bool:
    """Does a record's text hold a \\u escape of an unpaired surrogate (escapes parsed with
    backslash parity, e.g. the low surrogate in ``"\\\\ud800\\udc00"`` is unpaired)?"""
    return _LONE_SURR.match(rec) is not None


def _height(v, limit: int) -> int:
    """Nesting height of a parsed value, giving up at ``limit`` (iterative)."""
    best = 0
    todo = [(v, 1)]
    while todo:
        x, d = todo.pop()
        if type(x) is dict:
            x = x.values()
        elif type(x) is not list:
            continue
        if d > best:
            best = d
            if best >= limit:
                return best
        for y in x:
            if type(y) is dict or type(y) is list:
                todo.append((y, d + 1))
    return best


Engine._handlers = {
    TOP: Engine._h_top, TOP_AFTER: Engine._h_top_after, VALUE: Engine._h_value,
    ARR_FIRST: Engine._h_arr_first, OBJ_FIRST: Engine._h_obj_first, OBJ_KEY: Engine._h_obj_key,
    COLON: Engine._h_colon, AFTER: Engine._h_after, STRING: Engine._h_string,
    NUMBER: Engine._h_number, SKIP: Engine._h_skip, SKIP_LINE: Engine._h_skip_line,
    SKIP_ALL: Engine._h_skip_all, DEAD: Engine._h_dead,
}
