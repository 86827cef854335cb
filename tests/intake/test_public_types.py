"""What the public may report: seeded from the catalogue, edited by administrators (audited)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from case_support import City
from public_support import form, media, post, public_type_id
from yiwang.cases.models import Case
from yiwang.core.errors import PermissionDenied
from yiwang.core.models import AuditEntry
from yiwang.intake.actions import public_review
from yiwang.intake.models import PublicCategory, PublicType

__all__ = ["media"]  # the autouse fixture


@pytest.mark.django_db
def test_every_matter_type_of_the_catalogue_is_reportable_under_nine_tiles() -> None:
    public = PublicType.objects.select_related("object_type")
    codes = [t.object_type.code for t in public]
    # GB/T 47678.5-2026 has 250 matter types (STANDARDS.md §1): each offered once.
    assert len(codes) == 250 == len(set(codes))
    assert {t.object_type.kind for t in public} == {"matter"}
    tiles = list(PublicCategory.objects.values_list("name", flat=True))
    assert tiles == [
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
    # 井盖 under 市政设施, 占道经营 (09 街面秩序) under its tile.
    assert PublicType.objects.get(object_type__code="01001").category.name == "市政设施"
    assert PublicType.objects.get(object_type__code="09001").category.name == "街面秩序"


@pytest.mark.django_db
def test_an_administrator_retires_and_renames_types(city: City, media: Path) -> None:
    root = city.root
    public_type = PublicType.objects.get(pk=public_type_id("01001"))
    public_type.name = "井盖坏了或丢了"
    public_review.save_public_type(root, public_type)
    html = Client().get("/report/").content.decode()
    assert "井盖坏了或丢了" in html

    public_type.is_active = False
    public_review.save_public_type(root, public_type)
    assert "井盖坏了或丢了" not in Client().get("/report/").content.decode()
    refused = post(Client(), form(type=str(public_type.pk)))
    assert refused.status_code == 400 and Case.objects.count() == 0
    assert AuditEntry.objects.filter(action="intake.public_type.update").count() == 2

    tile = PublicCategory.objects.get(name="施工管理")
    tile.is_active = False
    public_review.save_category(root, tile)
    assert "施工管理" not in Client().get("/report/").content.decode()
    assert AuditEntry.objects.filter(action="intake.public_category.update").count() == 1


@pytest.mark.django_db
def test_only_administrators_edit_the_list(city: City) -> None:
    public_type = PublicType.objects.get(pk=public_type_id("01001"))
    public_type.is_active = False
    with pytest.raises(PermissionDenied):
        public_review.save_public_type(city.users["operator"], public_type)
    assert PublicType.objects.get(pk=public_type.pk).is_active


@pytest.mark.django_db
def test_the_admin_lists_the_tiles_and_types(city: City, make_user: Any) -> None:
    admin = make_user("admin", "440304")
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/intake/publiccategory/").status_code == 200
    listing = client.get("/admin/intake/publictype/", {"q": "井盖"})
    assert listing.status_code == 200 and "供水井盖异常" in listing.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_default_list_comes_back_after_a_database_flush() -> None:
    call_command("flush", interactive=False, verbosity=0)
    assert PublicCategory.objects.count() == 9
    assert PublicType.objects.count() == 250
