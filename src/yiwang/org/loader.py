"""Loads the packaged Guangdong division table (province, cities, counties)."""

from __future__ import annotations

import csv
from importlib import resources
from typing import Any


def division_rows() -> list[dict[str, str]]:
    """Rows of the packaged CSV, without the self-parented county duplicates.

    东莞市 (441900) and 中山市 (442000) have no county level; the source lists each
    once more as a county whose parent is itself. They are kept once, as cities.
    """
    text = (
        resources.files("yiwang.org")
        .joinpath("data/guangdong-divisions.csv")
        .read_text(encoding="utf-8")
    )
    return [r for r in csv.DictReader(text.splitlines()) if r["code"] != r["parent_code"]]


def load_divisions(division_model: Any) -> int:
    """Create missing divisions; existing codes are left alone (idempotent)."""
    existing = dict(division_model.objects.values_list("code", "path"))
    ids = dict(division_model.objects.values_list("code", "id"))
    created = 0
    for row in division_rows():
        if row["code"] in existing:
            continue
        parent_code = row["parent_code"] or None
        parent_path = existing.get(parent_code, "") if parent_code else ""
        path = f"{parent_path}{row['code']}/"
        obj = division_model.objects.create(
            code=row["code"],
            name=row["name"],
            level=row["level"],
            parent_id=ids.get(parent_code) if parent_code else None,
            path=path,
        )
        existing[obj.code] = path
        ids[obj.code] = obj.id
        created += 1
    return created
