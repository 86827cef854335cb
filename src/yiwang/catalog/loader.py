"""Loads the packaged GB/T 47678.5-2026 catalogue (153 component + 250 matter types)."""

from __future__ import annotations

import csv
from importlib import resources
from typing import Any


def catalog_rows() -> list[dict[str, str]]:
    text = resources.files("yiwang.catalog").joinpath("data/gbt47678-5-2026-catalog.csv")
    return list(csv.DictReader(text.read_text(encoding="utf-8").splitlines()))


def load_catalog(type_model: Any) -> int:
    """Create the standard types that are missing (idempotent); returns how many were created."""
    existing = set(type_model.objects.values_list("kind", "code"))
    new = [
        type_model(
            kind=row["kind"],
            code=row["code"],
            major_code=row["major_code"],
            major_name=row["major_name"],
            name=row["name"],
            is_local=False,
        )
        for row in catalog_rows()
        if (row["kind"], row["code"]) not in existing
    ]
    type_model.objects.bulk_create(new)
    return len(new)
