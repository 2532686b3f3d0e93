"""RFC 8259 conformance: every valid case yields no error finding, every invalid case an error at
the exact first offending byte; the fast path, the exact tokenizer and byte-at-a-time feeding agree."""

from __future__ import annotations

import pytest

from conformance_cases import I, N, Y
from core_helpers import bytewise, errors, run


@pytest.mark.parametrize("name", sorted(Y))
def test_valid_documents_have_no_error_findings(name):
    data = Y[name]
    fast = run(data)
    assert errors(fast) == [], fast["findings"]
    assert run(data, exact=True) == fast
    assert bytewise(data) == fast
    assert fast["totals"]["errors"] == 0
    assert fast["records"]["skipped_bytes"] == 0


@pytest.mark.parametrize("name", sorted(N))
def test_invalid_documents_report_an_error_at_the_offending_byte(name):
    data, offset = N[name]
    fast = run(data)
    errs = errors(fast)
    assert errs, f"{name}: no error finding for {data[:60]!r}"
    if offset is not None:
        assert errs[0]["offset"] == offset, errs[0]
    assert run(data, exact=True) == fast
    if len(data) < 2000:
        assert bytewise(data) == fast


@pytest.mark.parametrize("name", sorted(I))
def test_implementation_defined_cases_are_reported_not_crashed(name):
    data = I[name]
    fast = run(data)
    assert fast["schema"] == "jsonm.report"
    assert run(data, exact=True) == fast
    assert bytewise(data) == fast


def test_deep_nesting_is_structural_and_reports_the_depth_limit():
    data = b"[" * 100000
    r = run(data)
    codes = [f["code"] for f in errors(r)]
    assert codes[0] == "depth-limit" and r["findings"][0]["offset"] == 1024
    assert "truncated" in codes
    shallow = run(b"[" * 40 + b"]" * 40, max_depth=30)
    assert [f["code"] for f in errors(shallow)] == ["depth-limit"]
    assert errors(shallow)[0]["offset"] == 30
