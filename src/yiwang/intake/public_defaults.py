"""What the public may report on a fresh installation (data, not rules).

Every active matter type of GB/T 47678.5-2026 (事项: the component majors 01–05 read as
"… 异常", then 06 市容环境 … 10 其他) under nine picture tiles, as the one list of
`PublicService` rows that the report page and Open311 both read. Administrators narrow or
rename it in the admin (公众上报大类 / 公众可报类型); `seed` fills the empty tables after
migrating (the data migrations) and again after a database flush (post_migrate, apps.py).
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone

# (tile name, icon, major codes), in the order the tiles are shown. Component and matter
# types share the majors 01–05 (市政公用设施 … 其他管理部件), so one table serves both kinds.
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
OTHER_TILE = CATEGORIES[-1]


def tile_name_for(major_code: str) -> str:
    """The default tile of a catalogue major class ("06" → 市容环境; unknown → 其他问题)."""
    for name, _icon, majors in CATEGORIES:
        if major_code in majors:
            return name
    return OTHER_TILE[0]


def default_tile(category_model: type, major_code: str) -> object:
    """The tile a type of this major goes under when nobody chose one: the default tile's
    name if an administrator kept it, else the last tile shown (其他问题 by default); a
    database without any tile gets 其他问题 back."""
    found = category_model.objects.filter(name=tile_name_for(major_code))  # type: ignore[attr-defined]
    tile = found.order_by("position", "id").first()
    if tile is None:
        tile = category_model.objects.order_by("-position", "-id").first()  # type: ignore[attr-defined]
    if tile is None:
        name, icon, _majors = OTHER_TILE
        tile = category_model.objects.create(  # type: ignore[attr-defined]
            name=name, icon=icon, position=len(CATEGORIES)
        )
    return tile


def seed(apps: object) -> None:
    """Fill an empty list (a fresh database, a flushed test database): the nine tiles when
    there is none, and the matter types under them when no type is open to the public.
    Existing rows, however an administrator edited them, are kept."""
    get = apps.get_model  # type: ignore[attr-defined]
    ObjectType = get("catalog", "ObjectType")
    PublicCategory = get("intake", "PublicCategory")
    PublicService = get("intake", "PublicService")
    try:
        PublicService._meta.get_field("category")
    except FieldDoesNotExist:
        return  # migrated to a state before the one list (0006_one_public_list)
    if not PublicCategory.objects.exists():
        PublicCategory.objects.bulk_create(
            PublicCategory(name=name, icon=icon, position=position)
            for position, (name, icon, _majors) in enumerate(CATEGORIES, start=1)
        )
    if PublicService.objects.exists():
        return
    now = timezone.now()
    rows: list[object] = []
    for _name, _icon, majors in CATEGORIES:
        tile = default_tile(PublicCategory, majors[0])
        types = ObjectType.objects.filter(
            kind="matter", major_code__in=majors, is_active=True
        ).order_by("code")
        # One running order over the tiles: Open311 lists `services` by it, in tile order,
        # and the report page orders each tile's types by it.
        for t in types:
            rows.append(PublicService(type=t, category=tile, order=len(rows) + 1, updated_at=now))
    PublicService.objects.bulk_create(rows)
