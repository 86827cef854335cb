"""0006_one_public_list: an installation that had two lists (the report page's PublicType rows
and Open311's PublicService rows) ends with one, nothing an administrator set lost."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from yiwang.intake.models import PublicService

BEFORE = [("intake", "0004_public")]


def _latest(executor: MigrationExecutor) -> list[tuple[str, str]]:
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] == "intake"]


@pytest.mark.django_db(transaction=True)
def test_the_page_types_move_into_the_one_list() -> None:
    executor = MigrationExecutor(connection)
    latest = _latest(executor)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    object_type = old.get_model("catalog", "ObjectType")
    category = old.get_model("intake", "PublicCategory")
    page_type = old.get_model("intake", "PublicType")
    service = old.get_model("intake", "PublicService")

    def matter(code: str) -> object:
        return object_type.objects.get(kind="matter", code=code)

    page_type.objects.all().delete()
    service.objects.all().delete()
    tiles = {c.name: c for c in category.objects.all()}
    # The report page offered three types (one switched off there) …
    page_type.objects.create(
        category=tiles["市容环境"], object_type=matter("06010"), name="乱扔垃圾", position=1
    )
    page_type.objects.create(
        category=tiles["市政设施"], object_type=matter("01001"), position=1, is_active=False
    )
    page_type.objects.create(category=tiles["街面秩序"], object_type=matter("09006"), position=1)
    # … Open311 two of them (one switched off there) and a component type of its own.
    now = timezone.now()
    service.objects.create(
        type=matter("06010"),
        keywords="垃圾, 脏乱",
        attributes=[{"code": "SIZE"}],
        order=7,
        updated_at=now,
    )
    service.objects.create(type=matter("09006"), name="占道摆卖", is_active=False, updated_at=now)
    service.objects.create(
        type=object_type.objects.get(kind="component", code="01001"), order=3, updated_at=now
    )

    executor = MigrationExecutor(connection)
    executor.migrate(latest)

    rows = {
        (s.type.kind, s.type.code): s
        for s in PublicService.objects.select_related("type", "category")
    }
    assert set(rows) == {
        ("matter", "06010"),
        ("matter", "01001"),
        ("matter", "09006"),
        ("component", "01001"),
    }
    garbage = rows[("matter", "06010")]
    # Open311's settings kept, the page's tile and plainer name added.
    assert (garbage.category.name, garbage.name, garbage.keywords) == (
        "市容环境",
        "乱扔垃圾",
        "垃圾, 脏乱",
    )
    assert garbage.attributes == [{"code": "SIZE"}] and garbage.order == 7 and garbage.is_active
    cover = rows[("matter", "01001")]
    assert (cover.category.name, cover.is_active) == ("市政设施", False)
    # Switched off in either list: off in the one list; Open311's own name kept.
    stalls = rows[("matter", "09006")]
    assert (stalls.category.name, stalls.name, stalls.is_active) == ("街面秩序", "占道摆卖", False)
    # Only Open311 had it: under the default tile of its major class (01 市政公用设施).
    component = rows[("component", "01001")]
    assert (component.category.name, component.order, component.is_active) == ("市政设施", 3, True)
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert "intake_publictype" not in tables
