"""Exporters by kind: the domain side of an export job, registered at start-up."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from yiwang.core.errors import InvalidInput


@dataclass(frozen=True)
class Prepared:
    """One export ready to write: nothing is read from the database until ``rows`` is."""

    basename: str  # file name stem ("cases"), also the worksheet name
    label: str  # what the export covers, in words, for the user's list of exports
    headers: Sequence[Any]
    total: int  # rows that ``rows`` yields (after any cap)
    truncated: bool  # more rows matched than the cap allows
    rows: Iterable[Sequence[Any]]


# (acting user, filters) → Prepared; raises ActionError for filters it refuses. The user is
# the project's user model, which `core` may not import (it lives in `org`).
Exporter = Callable[[Any, Mapping[str, str]], Prepared]

_EXPORTERS: dict[str, Exporter] = {}


def register(kind: str, exporter: Exporter) -> None:
    _EXPORTERS[kind] = exporter


def exporter(kind: str) -> Exporter:
    found = _EXPORTERS.get(kind)
    if found is None:
        raise InvalidInput("unknown_export", f"未知的导出类别：{kind}", "kind")
    return found
