"""The benchmark inputs: from ../shared/corpus when present, generated in code otherwise (a user's
machine), always valid JSON of about the requested size."""

from __future__ import annotations

import json

import pytest

from tests.bench import inputs

pytestmark = pytest.mark.cpython_only

SIZE = 4 << 20


def parsed(path):
    data = path.read_bytes()
    if path.suffix == ".ndjson":
        return [json.loads(line) for line in data.splitlines() if line]
    return [json.loads(data)]


@pytest.mark.parametrize("origin", ["corpus", "synthetic"])
def test_every_input_is_valid_json_of_about_the_size(tmp_path, monkeypatch, origin):
    if origin == "synthetic":
        monkeypatch.setattr(inputs, "CORPUS", tmp_path / "no-corpus-here")
    elif inputs.corpus_origin() != "corpus":
        pytest.fail("../shared/corpus is missing: the corpus inputs cannot be checked")
    assert inputs.corpus_origin() == origin
    for kind in inputs.WRITERS:
        path = inputs.ensure(kind, SIZE, tmp_path / "data")
        assert origin in path.name
        low = 0.75 if kind == "citm.json" else 0.95      # citm grows by whole catalogue copies
        assert low * SIZE <= path.stat().st_size <= (2 - low) * SIZE, (kind, path.stat().st_size)
        values = parsed(path)
        assert values and all(isinstance(v, (dict, list)) for v in values)
    rows = parsed(inputs.ensure("rows.ndjson", SIZE, tmp_path / "data"))
    assert len(rows) > 500 and all(isinstance(r, list) and len(r) == 9 for r in rows)
