"""jsonm_core: forensic, bounded-memory, resumable streaming JSON processing.

The engine is sans-IO (bytes in, report and checkpoints out) so that the same code runs in
CPython, in Pyodide under Node and in a browser Web Worker.  CPython-only cloud code lives in
``jsonm_core.cloud`` and is never imported by the engine.
"""

__version__ = "0.1.0"
