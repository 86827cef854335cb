"""What the public may report on a fresh installation (data, not rules).

Every active matter type of GB/T 47678.5-2026 (事项: the component majors 01–05 read as
"… 异常", then 06 市容环境 … 10 其他) under nine picture tiles. Administrators narrow or
rename the list in the admin (公众上报大类 / 公众可上报类型); `seed` fills the empty tables
from the data migration, and again after a database flush (post_migrate, see apps.py).
"""

from __future__ import annotations

# (tile name, icon, matter major codes), in the order the tiles are shown.
CATEGORIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("市政设施", "utility", ("01",)),
    ("交通设施", "traffic", ("02",)),
    ("环卫设施", "sanitation", ("03",)),
    ("园林绿化", "greenery", ("04",)),
    ("市容环境", "environment", ("06",)),
    ("宣传广告", "advertising", ("07",)),
    ("施工管理", "construction", ("08",)),
    ("街面秩序", "street", ("09",)),
    ("其他问题", "other", ("05", "10")),
)


def seed(apps: object) -> None:
    """Fill an empty list (the data migration; a flushed test database). Existing rows,
    however an administrator edited them, are kept."""
    get = apps.get_model  # type: ignore[attr-defined]
    ObjectType = get("catalog", "ObjectType")
    PublicCategory = get("intake", "PublicCategory")
    PublicType = get("intake", "PublicType")
    if PublicCategory.objects.exists():
        return
    for position, (name, icon, majors) in enumerate(CATEGORIES, start=1):
        category = PublicCategory.objects.create(name=name, icon=icon, position=position)
        types = ObjectType.objects.filter(
            kind="matter", major_code__in=majors, is_active=True
        ).order_by("code")
        PublicType.objects.bulk_create(
            PublicType(category=category, object_type=t, position=i)
            for i, t in enumerate(types, start=1)
        )
