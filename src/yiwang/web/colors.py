"""Colours that mean the same on every page: the map, list pages and detail maps.

Keyed by stored values, so that any app may use them without importing another's models;
the stylesheet's state badges use the same values.
"""

from __future__ import annotations

# Component states (部件状态): intact, damaged, lost, abandoned, removed.
COMPONENT_STATE_COLORS: dict[str, str] = {
    "intact": "#2e7d32",
    "damaged": "#ef6c00",
    "lost": "#c62828",
    "abandoned": "#757575",
    "removed": "#bdbdbd",
}
UNKNOWN_STATE_COLOR = "#616e7c"
