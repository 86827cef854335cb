"""Shipped defaults of intake's editable tables, seeded by migration and after a flush.

12345 hotline categories → matter types: the codes are ours (DB44/T 2479-2024's table
was not available), a few common ones mapped to GB/T 47678.5-2026 matter types.
Administrators edit the table (管理后台 › 热线分类对照), not this file.
"""

from __future__ import annotations

from typing import Any

DEFAULT_HOTLINE_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("暴露垃圾", "市容环境/暴露垃圾", "06010"),
    ("垃圾满溢", "市容环境/垃圾站（箱）满溢", "06042"),
    ("道路破损", "市容环境/道路破损", "06013"),
    ("井盖异常", "市政设施/井盖缺损", "01023"),
    ("路灯异常", "市政设施/路灯不亮", "01037"),
    ("噪声扰民", "环境保护/噪声扰民", "06028"),
    ("施工扰民", "施工管理/施工扰民", "08001"),
    ("油烟污染", "环境保护/油烟污染", "06027"),
    ("私搭乱建", "违法建设/私搭乱建", "06001"),
    ("占道经营", "街面秩序/占道经营", "09006"),
    ("非法小广告", "市容环境/非法小广告", "07001"),
    ("机动车乱停放", "街面秩序/机动车乱停放", "09009"),
)


def seed_hotline_categories(apps: Any) -> int:
    """Fill an empty category table with the defaults; returns how many rows were made."""
    object_type = apps.get_model("catalog", "ObjectType")
    category = apps.get_model("intake", "HotlineCategory")
    if category.objects.exists():
        return 0
    matters = {
        t.code: t
        for t in object_type.objects.filter(
            kind="matter", code__in=[c for _, _, c in DEFAULT_HOTLINE_CATEGORIES]
        )
    }
    rows = [
        category(code=code, name=name, type=matters[type_code])
        for code, name, type_code in DEFAULT_HOTLINE_CATEGORIES
        if type_code in matters
    ]
    category.objects.bulk_create(rows)
    return len(rows)
