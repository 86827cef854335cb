"""Case photos: type by content, size limit, who may add which phase, private serving."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from case_steps import Loop
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.test import Client
from PIL import Image

from case_support import POINT_A, City, png
from yiwang.cases import actions
from yiwang.cases.actions.photos import MAX_PHOTO_BYTES, MAX_PHOTOS_PER_MOVE, Upload, add_photo
from yiwang.cases.models import Case, CaseEvent, CasePhoto
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied


def encoded(fmt: str) -> bytes:
    """A real 8×8 image in `fmt`, made with Pillow (the action decodes what it stores)."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


JPEG = encoded("JPEG")
WEBP = encoded("WEBP")


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def reported(city: City) -> Case:
    return actions.report_case(
        city.users["inspector"],
        kind="matter",
        type_code="06001",
        title="人行道私搭乱建",
        lon=POINT_A[0],
        lat=POINT_A[1],
    )


def dispatched(city: City) -> Case:
    u = city.users
    case = reported(city)
    actions.transition(u["operator"], case.number, "accept", version=1)
    actions.transition(u["shift_lead"], case.number, "register", version=2)
    return actions.transition(
        u["dispatcher"],
        case.number,
        "dispatch",
        version=3,
        inputs={"department_id": city.municipal.pk},
    )


# ---- the action ---------------------------------------------------------------------------


def test_reporter_adds_a_before_photo(city: City, media: Path) -> None:
    case = reported(city)
    content = png()
    photo = add_photo(
        city.users["inspector"],
        case.number,
        phase="before",
        filename="现场.png",
        content=content,
        content_type="image/png",
    )
    assert photo.sha256 == hashlib.sha256(content).hexdigest()
    assert (photo.content_type, photo.size, photo.phase) == ("image/png", len(content), "before")
    files = stored_files(media)
    assert len(files) == 1
    assert files[0].read_bytes() == content
    # The client's file name never becomes a path.
    assert "现场" not in str(files[0])
    after = Case.objects.get(pk=case.pk)
    assert after.version == 1  # a photo does not invalidate open screens
    event = CaseEvent.objects.get(case=case, transition="photo")
    assert event.actor == city.users["inspector"]
    assert event.data["phase"] == "before"
    assert event.data["filename"] == "现场.png"


def test_type_comes_from_the_content_not_the_claim(city: City, media: Path) -> None:
    case = reported(city)
    inspector = city.users["inspector"]
    with pytest.raises(InvalidInput) as text_as_jpeg:
        add_photo(
            inspector,
            case.number,
            phase="before",
            filename="photo.jpg",
            content="这不是图片".encode(),
            content_type="image/jpeg",
        )
    assert (text_as_jpeg.value.code, text_as_jpeg.value.field) == ("bad_file_type", "file")
    # A real JPEG sent with a wrong claim is stored as what it is.
    photo = add_photo(
        inspector,
        case.number,
        phase="before",
        filename="x.bin",
        content=JPEG,
        content_type="application/octet-stream",
    )
    assert photo.content_type == "image/jpeg"
    webp = add_photo(
        inspector, case.number, phase="before", filename="w", content=WEBP, content_type=""
    )
    assert webp.content_type == "image/webp"
    assert sorted(p.suffix for p in stored_files(media)) == [".jpg", ".webp"]


def test_size_limit_and_empty_file(city: City, media: Path) -> None:
    case = reported(city)
    inspector = city.users["inspector"]
    assert MAX_PHOTO_BYTES == 10 * 1024 * 1024
    too_big = png() + b"\x00" * (MAX_PHOTO_BYTES + 1 - len(png()))
    with pytest.raises(InvalidInput) as big:
        add_photo(inspector, case.number, phase="before", filename="a.png", content=too_big)
    assert big.value.code == "file_too_large"
    just_fits = png() + b"\x00" * (MAX_PHOTO_BYTES - len(png()))
    add_photo(inspector, case.number, phase="before", filename="b.png", content=just_fits)
    with pytest.raises(InvalidInput) as empty:
        add_photo(inspector, case.number, phase="before", filename="c.png", content=b"")
    assert empty.value.code == "empty_file"
    with pytest.raises(InvalidInput) as phase:
        add_photo(inspector, case.number, phase="during", filename="d.png", content=png(1))
    assert phase.value.field == "phase"
    assert len(stored_files(media)) == 1


def test_same_file_twice_on_one_case_is_refused(city: City, media: Path) -> None:
    case = reported(city)
    inspector = city.users["inspector"]
    add_photo(inspector, case.number, phase="before", filename="a.png", content=png())
    with pytest.raises(Conflict) as twice:
        add_photo(inspector, case.number, phase="before", filename="again.png", content=png())
    assert twice.value.code == "duplicate_photo"
    # Another case may carry the same picture: two rows, one stored file.
    other = reported(city)
    add_photo(inspector, other.number, phase="before", filename="a.png", content=png())
    assert CasePhoto.objects.count() == 2
    assert len(stored_files(media)) == 1


def test_who_may_add_which_phase(city: City) -> None:
    u = city.users
    case = dispatched(city)
    add_photo(u["operator"], case.number, phase="before", filename="o.png", content=png(1))
    for user in (u["handler"], u["dispatcher"], u["leader"]):
        with pytest.raises(PermissionDenied):
            add_photo(user, case.number, phase="before", filename="h.png", content=png(2))
    add_photo(u["handler"], case.number, phase="after", filename="h.png", content=png(3))
    for user in (u["inspector"], u["operator"]):
        with pytest.raises(PermissionDenied) as refused:
            add_photo(user, case.number, phase="after", filename="x.png", content=png(4))
        assert refused.value.code in ("not_holder", "forbidden_role")
    # Out of scope: another street, or a department the case was never dispatched to.
    with pytest.raises(NotFound):
        add_photo(city.inspector_b, case.number, phase="before", filename="b.png", content=png(5))
    with pytest.raises(NotFound):
        add_photo(
            city.handler_office_a, case.number, phase="after", filename="x.png", content=png(4)
        )
    assert list(CasePhoto.objects.values_list("phase", flat=True).order_by("id")) == [
        "before",
        "after",
    ]


def test_closed_case_takes_no_photos(city: City) -> None:
    case = reported(city)
    actions.transition(
        city.users["shift_lead"], case.number, "void", version=1, inputs={"note": "重复"}
    )
    with pytest.raises(Conflict) as refused:
        add_photo(
            city.users["inspector"], case.number, phase="before", filename="a.png", content=png()
        )
    assert refused.value.code == "bad_state"


def test_a_failed_database_write_removes_the_file(
    city: City, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = reported(city)

    def broken(**kwargs: Any) -> None:
        raise IntegrityError("simulated failure of the timeline insert")

    # The only way to make the database refuse a valid row here is to simulate it.
    monkeypatch.setattr(CaseEvent.objects, "create", broken)
    with pytest.raises(IntegrityError):
        add_photo(
            city.users["inspector"], case.number, phase="before", filename="a.png", content=png()
        )
    assert stored_files(media) == []
    assert not CasePhoto.objects.exists()


# ---- the API ------------------------------------------------------------------------------


def upload(client: Client, number: str, content: bytes, name: str, claimed: str, phase: str) -> Any:
    return client.post(
        f"/api/cases/{number}/photos",
        {"phase": phase, "file": SimpleUploadedFile(name, content, content_type=claimed)},
    )


def test_upload_and_download_through_the_api(client: Client, city: City) -> None:
    case = reported(city)
    client.force_login(city.users["inspector"])
    content = png()
    response = upload(client, case.number, content, "现场.png", "image/png", "before")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert (body["phase"], body["phase_label"], body["size"]) == ("before", "处置前", len(content))
    url = body["url"]
    assert url == f"/api/cases/{case.number}/photos/{body['id']}"
    assert not url.startswith("/media/")

    served = client.get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served.getvalue() == content

    detail = client.get(f"/api/cases/{case.number}").json()
    assert [p["url"] for p in detail["photos"]] == [url]
    assert detail["version"] == 1
    timeline = client.get(f"/api/cases/{case.number}/timeline").json()
    assert timeline["events"][-1]["transition_label"] == "上传照片"

    # Street B's inspector can neither see nor add.
    other = Client()
    other.force_login(city.inspector_b)
    assert other.get(url).status_code == 404
    refused = upload(other, case.number, png(9), "b.png", "image/png", "before")
    assert refused.status_code == 404
    assert refused.json()["code"] == "case_not_found"
    assert Client().get(url).status_code == 401
    # A photo id of another case does not leak through this case's number.
    second = reported(city)
    assert client.get(f"/api/cases/{second.number}/photos/{body['id']}").status_code == 404


def test_api_refuses_bad_files_with_field_errors(client: Client, city: City) -> None:
    case = reported(city)
    client.force_login(city.users["inspector"])
    text = upload(client, case.number, b"hello, world\n", "photo.jpg", "image/jpeg", "before")
    assert text.status_code == 400
    assert (text.json()["code"], text.json()["field"]) == ("bad_file_type", "file")
    big = png() + b"\x00" * MAX_PHOTO_BYTES
    too_big = upload(client, case.number, big, "big.png", "image/png", "before")
    assert too_big.status_code == 400
    assert too_big.json()["code"] == "file_too_large"
    after = upload(client, case.number, png(), "a.png", "image/png", "after")
    assert after.status_code == 403
    assert after.json()["field"] == "phase"
    missing = client.post(f"/api/cases/{case.number}/photos", {"phase": "before"})
    assert missing.status_code == 400
    assert missing.json()["field"] == "file"
    ok = upload(client, case.number, png(), "a.png", "image/png", "before")
    assert ok.status_code == 201
    again = upload(client, case.number, png(), "b.png", "image/png", "before")
    assert again.status_code == 409
    assert again.json() == {
        "code": "duplicate_photo",
        "message": "该照片已上传过。",
        "field": "file",
    }
    assert CasePhoto.objects.filter(case=case).count() == 1


def test_only_moves_that_declare_photos_take_them(city: City, media: Path) -> None:
    loop = Loop(city)
    case = loop.drive("handling")
    handler = city.users["handler"]
    extension = {"amount": "1", "unit": "work_days", "note": "材料未到"}
    with pytest.raises(InvalidInput) as refused:
        actions.transition(
            handler,
            case.number,
            "request_extension",
            version=case.version,
            inputs=extension,
            photos=[Upload("a.png", png(31))],
        )
    assert (refused.value.code, refused.value.field) == ("photos_not_allowed", "photos")
    with pytest.raises(InvalidInput) as too_many:
        actions.transition(
            handler,
            case.number,
            "finish",
            version=case.version,
            inputs={"result": "已修复"},
            photos=[Upload(f"{i}.png", png(40 + i)) for i in range(MAX_PHOTOS_PER_MOVE + 1)],
        )
    assert too_many.value.code == "too_many_photos"
    assert not CasePhoto.objects.exists() and stored_files(media) == []

    # A stale version refuses the move and keeps none of its photos.
    with pytest.raises(Conflict):
        actions.transition(
            handler,
            case.number,
            "finish",
            version=case.version - 1,
            inputs={"result": "已修复"},
            photos=[Upload("ok.png", png(50))],
        )
    assert not CasePhoto.objects.exists() and stored_files(media) == []
    done = actions.transition(
        handler,
        case.number,
        "finish",
        version=case.version,
        inputs={"result": "已修复"},
        photos=[Upload("ok.png", png(50))],
    )
    assert done.state == "handled"
    assert CasePhoto.objects.get(case=case).phase == "after"
    assert len(stored_files(media)) == 1
