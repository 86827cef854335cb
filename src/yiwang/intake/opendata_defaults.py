"""Re-seeds an empty 311 category mapping after a database flush (post_migrate, apps.py).

The data migration `0010_opendata` seeds the mapping on a fresh database; a flushed test
database (transactional tests) loses it, and later tests would import every request as
unmapped. Existing rows are never touched: only an empty table is filled.
"""

from __future__ import annotations

from yiwang.intake.opendata import SEED_MAPPING


def seed(apps: object) -> None:
    get = apps.get_model  # type: ignore[attr-defined]
    ObjectType = get("catalog", "ObjectType")
    OpenDataCategory = get("intake", "OpenDataCategory")
    if OpenDataCategory.objects.exists():
        return
    types = {t.code: t for t in ObjectType.objects.filter(kind="matter")}
    OpenDataCategory.objects.bulk_create(
        OpenDataCategory(
            key=" ".join(category.split()).casefold(), category=category, type=types[code]
        )
        for category, code in SEED_MAPPING.items()
        if code in types
    )
