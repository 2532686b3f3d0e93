"""``python -m tests.bench [args]`` (what ``python3 build.py bench`` runs after building)."""

import sys

from tests.bench.cli import main

sys.exit(main())
