"""The evaluation tests build cases with the case-loop tests' driver (`case_steps.Loop`)."""

from __future__ import annotations

import sys
from pathlib import Path

CASE_TESTS = str(Path(__file__).resolve().parents[1] / "cases")
if CASE_TESTS not in sys.path:
    sys.path.append(CASE_TESTS)
