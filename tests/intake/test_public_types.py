"""What the public may report: one list (`PublicService`), seeded from the catalogue, edited by
administrators (audited), read alike by the report page and by Open311 `services`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from case_support import City
from public_support import form, media, post, service_id
from yiwang.cases.models import Case
from yiwang.catalog.models import ObjectType
from yiwang.core.errors import PermissionDenied
from yiwang.core.models import AuditEntry
from yiwang.intake.actions import open311 as open311_actions
from yiwang.intake.actions import public_review
from yiwang.intake.models import PublicCategory, PublicService

__all__ = ["media"]  # the autouse fixture

TILES = [
    "市政设施",
    "交通设施",
    "环卫设施",
    "园林绿化",
    "市容环境",
    "宣传广告",
    "施工管理",
    "街面秩序",
    "其他问题",
]


def page_data() -> list[dict[str, Any]]:
    """The report page's tiles with their types, as the page's script reads them."""
    html = Client().get("/report/").content.decode()
    found = re.search(r'<script id="public-types" type="application/json">(.*?)</script>', html)
    assert found is not None
    return json.loads(found.group(1))["categories"]  # type: ignore[no-any-return]


def page_types() -> dict[str, list[str]]:
    """The report page's tiles and the names under each."""
    return {c["name"]: [t["name"] for t in c["types"]] for c in page_data()}


def open311_services() -> dict[str, str]:
    """Open311 `services`: service_code → service_name, in the order listed."""
    body = Client().get("/open311/v2/services.json").json()
    return {s["service_code"]: s["service_name"] for s in body}


def rename(admin: Any, code: str, name: str, *, is_active: bool = True) -> PublicService:
    """The administrator's save of an entry, every field as it is but the name and switch."""
    entry = PublicService.objects.get(type__kind="matter", type__code=code)
    return open311_actions.save_public_service(
        admin,
        kind="matter",
        type_code=code,
        name=name,
        order=entry.order,
        is_active=is_active,
        category_id=entry.category_id,
    )


@pytest.mark.django_db
def test_every_matter_type_of_the_catalogue_is_reportable_under_nine_tiles() -> None:
    public = PublicService.objects.select_related("type", "category")
    codes = [s.type.code for s in public]
    # GB/T 47678.5-2026 has 250 matter types (STANDARDS.md §1): each offered once.
    assert len(codes) == 250 == len(set(codes))
    assert {s.type.kind for s in public} == {"matter"}
    assert list(PublicCategory.objects.values_list("name", flat=True)) == TILES
    # 井盖 under 市政设施, 占道经营 (09 街面秩序) under its tile.
    assert public.get(type__code="01001").category.name == "市政设施"
    assert public.get(type__code="09001").category.name == "街面秩序"
    # The majors 05 and 10 share the last tile.
    other = {s.type.major_code for s in public.filter(category__name="其他问题")}
    assert other == {"05", "10"}


@pytest.mark.django_db
def test_the_report_page_and_open311_offer_the_same_list() -> None:
    matters = ObjectType.objects.filter(kind="matter", is_active=True)
    expected = {f"S{t.code}": t.name for t in matters}
    services = open311_services()
    assert services == expected
    # Listed tile by tile, in the tiles' order (01 … 04, 06 … 09, then 05 and 10).
    tile_order = ["01", "02", "03", "04", "06", "07", "08", "09", "05|10"]
    position = {m: i for i, group in enumerate(tile_order) for m in group.split("|")}
    listed = [position[code[1:3]] for code in services]
    assert listed == sorted(listed)
    on_page = page_types()
    assert list(on_page) == TILES
    assert sorted(n for names in on_page.values() for n in names) == sorted(expected.values())
    assert "供水井盖异常" in on_page["市政设施"]


@pytest.mark.django_db
def test_an_administrator_retires_and_renames_types(city: City, media: Path) -> None:
    root = city.root
    rename(root, "01001", "井盖坏了或丢了")
    assert "井盖坏了或丢了" in page_types()["市政设施"]
    assert open311_services()["S01001"] == "井盖坏了或丢了"

    rename(root, "01001", "井盖坏了或丢了", is_active=False)
    assert "井盖坏了或丢了" not in page_types()["市政设施"]
    assert "S01001" not in open311_services()
    assert Client().get("/open311/v2/services/S01001.json").status_code == 404
    refused = post(Client(), form(type=str(service_id("01001"))))
    assert refused.status_code == 400 and Case.objects.count() == 0
    assert AuditEntry.objects.filter(action="intake.open311.save_service").count() == 2

    # A tile switched off takes its types off the page and off Open311.
    tile = PublicCategory.objects.get(name="施工管理")
    tile.is_active = False
    public_review.save_category(root, tile)
    assert "施工管理" not in Client().get("/report/").content.decode()
    assert not [code for code in open311_services() if code.startswith("S08")]
    assert AuditEntry.objects.filter(action="intake.public_category.update").count() == 1


@pytest.mark.django_db
def test_only_administrators_edit_the_list(city: City) -> None:
    with pytest.raises(PermissionDenied):
        rename(city.users["operator"], "01001", "井盖", is_active=False)
    assert PublicService.objects.get(type__kind="matter", type__code="01001").is_active


@pytest.mark.django_db
def test_one_admin_page_with_the_tile_as_column_and_filter(city: City, make_user: Any) -> None:
    admin = make_user("admin", "440304")
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/intake/publiccategory/").status_code == 200
    # The page list of PublicType is gone: one page edits the one list.
    assert client.get("/admin/intake/publictype/").status_code == 404
    listing = client.get("/admin/intake/publicservice/", {"q": "井盖"})
    html = listing.content.decode()
    assert listing.status_code == 200 and "供水井盖异常" in html
    assert "column-category" in html and "市政设施" in html
    street = PublicCategory.objects.get(name="街面秩序")
    filtered = client.get("/admin/intake/publicservice/", {"category__id__exact": street.pk})
    html = filtered.content.decode()
    # One row per matter type of major 09 (21 in GB/T 47678.5-2026), none of another tile.
    assert html.count('<td class="field-category') == 21
    assert "供水井盖异常" not in html and "占道经营" in html

    # Moving a type to another tile in the admin moves it on the report page.
    entry = PublicService.objects.get(type__kind="matter", type__code="01001")
    environment = PublicCategory.objects.get(name="市容环境")
    moved = client.post(
        f"/admin/intake/publicservice/{entry.pk}/change/",
        {
            "category": environment.pk,
            "name": "井盖",
            "description": "",
            "keywords": "窨井, 下水道",
            "group": "",
            "order": "1",
            "is_active": "on",
            "attributes": "",
        },
    )
    assert moved.status_code == 302, moved.content.decode()[:2000]
    on_page = page_types()
    assert "井盖" in on_page["市容环境"] and "井盖" not in on_page["市政设施"]
    assert AuditEntry.objects.filter(action="intake.open311.save_service").count() == 1
    # The keywords travel to the page's search.
    (cover,) = [t for c in page_data() for t in c["types"] if t["name"] == "井盖"]
    assert cover["keywords"] == "窨井, 下水道"


@pytest.mark.django_db(transaction=True)
def test_the_default_list_comes_back_after_a_database_flush() -> None:
    call_command("flush", interactive=False, verbosity=0)
    assert PublicCategory.objects.count() == 9
    assert PublicService.objects.count() == 250
