"""Bounded findings: the first ``per_code`` findings of each code in document order, plus counts.

Keeping the *first* K per code (not a sample) makes ``merge`` exact: the first K of A+B are the
first K of (first K of A) + (first K of B).
"""

from __future__ import annotations

SEVERITY = {
    "syntax": "error", "truncated": "error", "trailing-data": "error", "invalid-utf8": "error",
    "control-character": "error", "non-standard-literal": "error", "depth-limit": "error",
    "encoding": "error", "lone-surrogate": "warning", "duplicate-key": "warning",
    "number-precision": "warning", "bom": "warning", "size-limit": "info",
}
EXCERPT_BEFORE = 16
EXCERPT_AFTER = 24
_CTRL = {c: f"\\u{c:04x}" for c in list(range(0x20)) + [0x7F]}
_CTRL.update({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"})


def excerpt_text(data: bytes, cut_before: bool, cut_after: bool) -> str:
    """Escaped, truncated rendering of raw bytes: invalid UTF-8 shows as \\xNN."""
    s = data.decode("utf-8", "backslashreplace").translate(_CTRL)
    return ("…" if cut_before else "") + s + ("…" if cut_after else "")


class Findings:
    def __init__(self, per_code: int = 100) -> None:
        self.per_code = per_code
        self.kept: list[dict] = []
        self.by_code: dict[str, int] = {}

    def add(self, code: str, offset: int, line: int, column: int, path: str | None,
            message: str) -> dict | None:
        """Count a finding; return the stored dict (its excerpt still to fill) or None if past K."""
        n = self.by_code.get(code, 0)
        self.by_code[code] = n + 1
        if n >= self.per_code:
            return None
        f = {"severity": SEVERITY[code], "code": code, "offset": offset, "line": line,
             "column": column, "path": path, "message": message, "excerpt": ""}
        self.kept.append(f)
        return f

    def totals(self) -> dict:
        t = {"errors": 0, "warnings": 0, "info": 0}
        for code, n in self.by_code.items():
            sev = SEVERITY[code]
            t["errors" if sev == "error" else "warnings" if sev == "warning" else "info"] += n
        return t

    def state(self) -> dict:
        return {"per_code": self.per_code, "kept": [dict(f) for f in self.kept],
                "by_code": dict(self.by_code)}

    @classmethod
    def from_state(cls, st: dict) -> "Findings":
        f = cls(st["per_code"])
        f.kept = [dict(x) for x in st["kept"]]
        f.by_code = dict(st["by_code"])
        return f
