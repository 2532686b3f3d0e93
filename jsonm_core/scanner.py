"""Sans-IO record-boundary scanner for staging: where can the input be cut into parts?

``BoundaryScanner(format="auto", min_gap=64 KiB).feed(data) -> list[Boundary]`` reports record
boundaries in order: ``Boundary(offset, context)`` where ``offset`` is an absolute byte offset
just after a record (an NDJSON line's value, an element of the top-level array, a member of the
top-level object or an element of an array member) and ``context`` is the JSON-able state an
``Engine(part={"index", "start": offset, "end", "context": context})`` needs to process the bytes
from ``offset`` on by itself:

    {"v": 1, "format": "json|ndjson|seq", "shape": "array|object|scalar|stream",
     "state": "after|top|top-after", "top_seen": bool,
     "stack": [["object"|"array", path, keys-so-far|null, height-so-far], ...],
     "key": str|null, "line": n, "column": n}

``line``/``column`` are those of ``offset`` so findings in later parts carry absolute line numbers;
``stack`` lists the enclosing containers (the record stream's spine, at most two levels).
At most one boundary is reported per ``min_gap`` bytes (0: every record).  The scanner runs the
engine itself (without profiling), so boundaries and contexts are exactly the engine's.

``plan_ranges(size, chunk_size, boundaries)`` turns boundaries into ``(start, end, context)``
part ranges of about ``chunk_size`` bytes each (a record larger than a chunk makes a larger part).
"""

from __future__ import annotations

from typing import Iterable, NamedTuple

from .engine import Engine


class Boundary(NamedTuple):
    offset: int
    context: dict


class BoundaryScanner:
    """Feed the input in order; collect record boundaries with their contexts."""

    def __init__(self, format: str = "auto", *, min_gap: int = 64 << 10,
                 buffer_size: int = 4 << 20, max_depth: int = 1024) -> None:
        self.min_gap = min_gap
        self._out: list[Boundary] = []
        self._last = 0
        self._eng = Engine(format=format, buffer_size=buffer_size, max_depth=max_depth,
                           profile=False, checkpoint_every=1 << 62)
        self._eng.on_boundary = self._on_boundary

    def _on_boundary(self, offset: int, eng: Engine) -> None:
        if offset - self._last >= self.min_gap or not self._out and self._last == 0 and self.min_gap == 0:
            self._out.append(Boundary(offset, eng.context(offset)))
            self._last = offset

    def feed(self, data: bytes) -> list[Boundary]:
        self._eng.feed(data)
        out, self._out = self._out, []
        return out

    def finish(self) -> list[Boundary]:
        """Flush at end of input (boundaries of the last records, if any were held)."""
        self._eng.finish()
        out, self._out = self._out, []
        return out

    @property
    def format(self) -> str:
        return self._eng.format

    @property
    def position(self) -> int:
        return self._eng.position


def start_context(format: str) -> dict:
    """The context of offset 0 once the format is known (give it to the first part so that an
    ``auto`` input is read the same way in every part; the scanner's ``format`` is the decision)."""
    return {"v": 1, "format": format, "shape": None, "state": "top", "stack": [], "top_seen": False,
            "line": 1, "column": 1, "key": None}


def plan_ranges(size: int, chunk_size: int, boundaries: Iterable[Boundary]) -> list[tuple[int, int, dict | None]]:
    """Cut ``[0, size)`` at boundaries into parts of about ``chunk_size`` bytes (end exclusive).

    The first part gets ``start_context(format)`` (``None`` when there is a single part)."""
    cuts: list[tuple[int, dict]] = []
    start = 0
    best = None
    for b in boundaries:
        if b.offset <= start or b.offset >= size:
            continue
        if b.offset - start <= chunk_size:
            best = b
            continue
        if best is None:
            best = b
        cuts.append((best.offset, best.context))
        start = best.offset
        best = b if b.offset - start <= chunk_size and b.offset > start else None
    if best is not None and size - start > chunk_size and best.offset > start:
        cuts.append((best.offset, best.context))
    out = []
    prev, ctx = 0, None
    if cuts:
        ctx = start_context(cuts[0][1]["format"])
    for off, c in cuts:
        out.append((prev, off, ctx))
        prev, ctx = off, c
    out.append((prev, size, ctx))
    return out
