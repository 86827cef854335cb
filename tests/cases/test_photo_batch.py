"""Photos for many cases at once (`add_photos`): the same checks and rows as one by one."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from case_support import POINT_A, City, png
from yiwang.cases import actions
from yiwang.cases.actions.photos import PhotoItem, Upload, add_photos
from yiwang.cases.models import Case, CaseEvent, CasePhoto
from yiwang.core.errors import ActionError, NotFound

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    """Snapshots and photos go to a directory of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


def two_cases(city: City) -> list[Case]:
    return [
        actions.report_case(
            city.users["operator"],
            kind="matter",
            type_code="09006",
            title=f"占道经营 {i}",
            lon=POINT_A[0],
            lat=POINT_A[1],
            source="video",
        )
        for i in range(2)
    ]


def test_each_case_gets_its_photo_and_a_timeline_row(city: City) -> None:
    a, b = two_cases(city)
    operator = city.users["operator"]
    photos = add_photos(
        operator,
        [
            PhotoItem(a.number, "before", Upload("a.png", png(1))),
            PhotoItem(b.number, "before", Upload("b.png", png(2))),
        ],
    )
    assert [(p.case_id, p.sha256) for p in photos] == [
        (a.pk, hashlib.sha256(png(1)).hexdigest()),
        (b.pk, hashlib.sha256(png(2)).hexdigest()),
    ]
    for case, photo in zip((a, b), photos, strict=True):
        event = CaseEvent.objects.get(case=case, transition="photo")
        assert (event.data["photo_id"], event.data["phase"], event.version) == (
            photo.pk,
            "before",
            case.version,
        )
        with photo.file.open("rb") as f:
            assert f.read() in (png(1), png(2))


def test_one_bad_photo_refuses_the_batch_and_writes_no_file(city: City, _media: Path) -> None:
    a, b = two_cases(city)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"/>'
    with pytest.raises(ActionError) as caught:
        add_photos(
            city.users["operator"],
            [
                PhotoItem(a.number, "before", Upload("a.png", png(1))),
                PhotoItem(b.number, "before", Upload("b.svg", svg)),
            ],
        )
    assert (caught.value.code, caught.value.field) == ("bad_file_type", "photos[1].file")
    with pytest.raises(ActionError) as caught:
        add_photos(
            city.users["operator"],
            [
                PhotoItem(a.number, "before", Upload("a.png", png(1))),
                PhotoItem(a.number, "before", Upload("again.png", png(1))),
            ],
        )
    assert caught.value.code == "duplicate_photo"
    with pytest.raises(NotFound):
        add_photos(city.inspector_b, [PhotoItem(a.number, "before", Upload("a.png", png(1)))])
    assert not CasePhoto.objects.exists()
    assert not CaseEvent.objects.filter(transition="photo").exists()
    assert not [p for p in _media.rglob("*") if p.is_file()]
