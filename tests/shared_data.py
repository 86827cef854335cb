"""Where the public corpora and reference files of ../shared/ are.

The project never reads them at run time; the tests compare against them. A checkout may
stand beside ``shared/`` (``<repo>/../shared``) or elsewhere on the same machine, so a few
places are tried; ``YIWANG_SHARED_DIR`` names it outright.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CANDIDATES = [
    *([Path(os.environ["YIWANG_SHARED_DIR"])] if os.environ.get("YIWANG_SHARED_DIR") else []),
    REPO.parent / "shared",
    Path("/work/shared"),
]


def shared_file(*parts: str) -> Path:
    """The file under shared/; a test that needs it fails under CI=true, else skips."""
    for base in CANDIDATES:
        path = base.joinpath(*parts)
        if path.exists():
            return path
    what = "shared/" + "/".join(parts)
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required under CI=true but was not found in {CANDIDATES}")
    pytest.skip(f"{what} not found", allow_module_level=True)
