"""Shared test configuration for every layer (CPython, Pyodide under Node, browser)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
IN_PYODIDE = sys.platform == "emscripten"

try:
    from hypothesis import HealthCheck, settings

    # wasm is several times slower than CPython: fewer examples, no deadline, same properties.
    settings.register_profile("pyodide", max_examples=15, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile("default", deadline=None)
    settings.load_profile("pyodide" if IN_PYODIDE else "default")
except ImportError:  # hypothesis is a test dependency; the browser layer does not need it
    pass


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cpython_only: needs CPython facilities (subprocess, sockets, threads)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if IN_PYODIDE:
        skip = pytest.mark.skip(reason="CPython-only test: deselected in the Pyodide layer")
        for item in items:
            if "cpython_only" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def corpus() -> Path:
    """../shared/corpus (real-world JSON); CI has it beside the clone."""
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing at {CORPUS}")
    return CORPUS
