"""The map and the list pages show a component state in the same colour."""

from __future__ import annotations

import re
from pathlib import Path

from yiwang.catalog.models import Component
from yiwang.web.colors import COMPONENT_STATE_COLORS

STYLESHEET = Path(__file__).resolve().parents[2] / "src/yiwang/web/static/web/app.css"


def test_every_component_state_has_the_stylesheets_colour() -> None:
    css = STYLESHEET.read_text(encoding="utf-8")
    badges = dict(re.findall(r"\.state-([a-z]+) \{ --state-color: (#[0-9a-f]{6}); \}", css))
    assert set(COMPONENT_STATE_COLORS) == set(Component.State.values)
    for state in Component.State.values:
        assert COMPONENT_STATE_COLORS[state] == badges[state], state
