"""Photo files: metadata stripped before storing, identical content stored once, the file
removed with its last row, refusals of what is not a plain image, and S3 storage against
moto's server on loopback.

Images are built here with Pillow (it writes EXIF with a GPS block and XMP), and read back
with Pillow from what the storage holds; names and digests are computed here from the
stored bytes, not taken from the code under test.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from case_steps import Loop
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import ExifTags, Image

from case_support import POINT_A, City, png
from yiwang.cases import actions
from yiwang.cases.actions.photos import Upload, add_photo, remove_photo
from yiwang.cases.models import Case, CasePhoto
from yiwang.core.errors import InvalidInput, PermissionDenied

RED, BLUE = (230, 20, 20), (20, 20, 230)
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description/></rdf:RDF></x:xmpmeta>'


def phone_photo(latitude: float = 22.541, orientation: int = 6) -> bytes:
    """40×20 JPEG, red left and blue right, as a phone writes it: EXIF with the camera,
    an orientation (6: to be shown turned 90° clockwise) and a GPS position, plus XMP."""
    image = Image.new("RGB", (40, 20), RED)
    image.paste(BLUE, (20, 0, 40, 20))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "ExamplePhone"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (float(int(latitude)), 32.0, 27.6)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (114.0, 3.0, 3.6)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif, xmp=XMP)
    return out.getvalue()


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def near(pixel: Any, colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel, colour, strict=True))


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


@pytest.fixture
def loop(city: City) -> Loop:
    return Loop(city)


def attach(city: City, case: Case, content: bytes, name: str = "现场.jpg") -> CasePhoto:
    return add_photo(
        city.users["operator"], case.number, phase="before", filename=name, content=content
    )


# ---- metadata -------------------------------------------------------------------------------


def test_gps_exif_and_xmp_are_stripped_and_the_orientation_applied(
    city: City, loop: Loop, media: Path
) -> None:
    upload = phone_photo()
    sent = Image.open(io.BytesIO(upload))
    assert sent.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test's photo does carry GPS
    assert "xmp" in sent.info

    photo = attach(city, loop.report(source="public"), upload)
    [path] = stored_files(media)
    raw = path.read_bytes()
    stored = Image.open(io.BytesIO(raw))
    assert stored.format == "JPEG"
    assert stored.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert len(stored.getexif()) == 0
    assert "exif" not in stored.info and "xmp" not in stored.info
    assert b"Exif\x00\x00" not in raw and b"ExamplePhone" not in raw and b"xmpmeta" not in raw
    # Turned as the phone said: 20 wide, 40 high, red on top (the left side went up).
    assert stored.size == (20, 40)
    assert near(stored.getpixel((10, 5)), RED) and near(stored.getpixel((10, 35)), BLUE)
    # Named by the digest of what is stored, in two levels of folders.
    digest = hashlib.sha256(raw).hexdigest()
    assert photo.sha256 == digest and photo.size == len(raw)
    assert path.relative_to(media).as_posix() == f"photos/{digest[:2]}/{digest[2:4]}/{digest}.jpg"
    assert photo.content_type == "image/jpeg"


def test_png_and_webp_lose_their_metadata_too(city: City, loop: Loop, media: Path) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "ExamplePhone"
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] = "N"
    case = loop.report(source="public")
    for fmt, seed in (("PNG", 1), ("WEBP", 2)):
        out = io.BytesIO()
        Image.new("RGB", (16, 16), (seed * 50, 90, 90)).save(out, fmt, exif=exif)
        assert b"ExamplePhone" in out.getvalue()
        photo = attach(city, case, out.getvalue(), f"x.{fmt.lower()}")
        with photo.file.open("rb") as f:
            raw = f.read()
        assert b"ExamplePhone" not in raw
        assert len(Image.open(io.BytesIO(raw)).getexif()) == 0
        assert Image.open(io.BytesIO(raw)).format == fmt


# ---- one file per content -------------------------------------------------------------------


def test_same_photo_on_two_cases_is_one_file_until_both_rows_are_gone(
    city: City,
    loop: Loop,
    media: Path,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first, second = loop.report(source="public"), loop.report(source="public")
    # The same picture sent twice, once with another GPS position: the stored bytes match.
    a = attach(city, first, phone_photo(latitude=22.5))
    b = attach(city, second, phone_photo(latitude=23.1))
    assert a.file.name == b.file.name
    assert len(stored_files(media)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        remove_photo(city.users["operator"], first.number, a.pk)
    assert len(stored_files(media)) == 1  # the second case still shows it
    client.force_login(city.users["operator"])
    served = client.get(f"/cases/{second.number}/photos/{b.pk}/")
    assert served.status_code == 200
    assert Image.open(io.BytesIO(served.getvalue())).size == (20, 40)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/cases/{second.number}/photos/{b.pk}")
    assert response.status_code == 204
    assert stored_files(media) == []
    assert not CasePhoto.objects.exists()
    timeline = client.get(f"/api/cases/{second.number}/timeline").json()["events"]
    assert [e["transition_label"] for e in timeline][-1] == "删除照片"


def test_only_the_uploader_or_the_command_centre_removes_a_photo(
    city: City, loop: Loop, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    case = loop.report()  # by the inspector
    photo = add_photo(
        city.users["inspector"], case.number, phase="before", filename="a.png", content=png(3)
    )
    for role in ("dispatcher", "leader"):
        with pytest.raises(PermissionDenied):
            remove_photo(city.users[role], case.number, photo.pk)
    with django_capture_on_commit_callbacks(execute=True):
        remove_photo(city.users["inspector"], case.number, photo.pk)
    assert stored_files(media) == []


def test_a_rolled_back_move_keeps_a_file_another_case_shares(
    city: City, loop: Loop, media: Path
) -> None:
    shared = png(40)
    other = loop.report(source="public")
    attach(city, other, shared, "shared.png")
    case = loop.drive("handling")
    with pytest.raises(InvalidInput) as refused:
        actions.transition(
            city.users["handler"],
            case.number,
            "finish",
            version=case.version,
            inputs={"result": "已修复"},
            photos=[
                Upload("a.png", shared),
                Upload("b.png", png(41)),
                Upload("c.png", b"GIF89a not a photo"),
            ],
        )
    assert refused.value.code == "bad_file_type"
    # The move and its rows are gone; the new file went with them, the shared one stays.
    assert Case.objects.get(pk=case.pk).state == "handling"
    assert CasePhoto.objects.filter(case=case).count() == 0
    [kept] = stored_files(media)
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == CasePhoto.objects.get().sha256


def test_a_photo_whose_file_is_missing_is_not_found(
    city: City, loop: Loop, media: Path, client: Client
) -> None:
    case = loop.report(source="public")
    photo = attach(city, case, png(5), "a.png")
    default_storage.delete(photo.file.name)
    client.force_login(city.users["operator"])
    assert client.get(f"/cases/{case.number}/photos/{photo.pk}/").status_code == 404
    response = client.get(f"/api/cases/{case.number}/photos/{photo.pk}")
    assert (response.status_code, response.json()["code"]) == (404, "photo_file_missing")


# ---- refusals -------------------------------------------------------------------------------


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_chunks(width: int, height: int, data: bytes, extra: bytes = b"") -> bytes:
    """A greyscale PNG built by hand: any size the header claims, any chunk added."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", zlib.compress(data))
        + chunk(b"IEND", b"")
    )


def _truncated_jpeg() -> bytes:
    whole = phone_photo()
    return whole[: len(whole) * 2 // 3]


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
SCRIPT = b"<html><script>alert(1)</script></html>"
REFUSED: list[tuple[str, bytes, str]] = [
    ("svg", SVG, "bad_file_type"),
    ("html", b"<!DOCTYPE html><html><body>hi</body></html>", "bad_file_type"),
    ("gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "bad_file_type"),
    ("png with html appended", png(1) + SCRIPT, "bad_image_content"),
    ("jpeg with html appended", phone_photo() + SCRIPT, "bad_image_content"),
    (
        "png with a script in a text chunk",
        png_chunks(1, 1, b"\x00\x00", extra=chunk(b"tEXt", b"Comment\x00<script>x()</script>")),
        "bad_image_content",
    ),
    ("truncated jpeg", _truncated_jpeg(), "bad_image"),
    ("png without its data", png(1)[:40], "bad_image"),
    # 30,000 × 30,000 grey pixels in a few kilobytes: never decoded.
    ("decompression bomb", png_chunks(30_000, 30_000, b"\x00" * 30_001 * 8), "image_too_large"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "content", "code"), REFUSED, ids=[r[0] for r in REFUSED])
def test_what_is_not_a_plain_image_is_refused_with_a_clear_error(
    city: City, loop: Loop, media: Path, client: Client, what: str, content: bytes, code: str
) -> None:
    case = loop.report(source="public")
    with pytest.raises(InvalidInput) as refused:
        attach(city, case, content, f"{what}.jpg")
    assert (refused.value.code, refused.value.field) == (code, "file")
    assert refused.value.message and not refused.value.message.isascii()  # said in Chinese
    client.force_login(city.users["operator"])
    response = client.post(
        f"/api/cases/{case.number}/photos",
        {"phase": "before", "file": SimpleUploadedFile("p.png", content, "image/png")},
    )
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert stored_files(media) == [] and not CasePhoto.objects.exists()


# ---- configuration and S3 -------------------------------------------------------------------


def test_storage_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from yiwang.settings import _media_storage

    assert _media_storage("local")["BACKEND"].endswith("FileSystemStorage")
    monkeypatch.delenv("YIWANG_S3_BUCKET", raising=False)
    with pytest.raises(ImproperlyConfigured):
        _media_storage("s3")
    with pytest.raises(ImproperlyConfigured):
        _media_storage("ftp")


@pytest.fixture
def s3(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto's S3 server on loopback, a bucket, and the app's default storage on it,
    configured through the same environment variables an operator sets."""
    # Both are declared dependencies (boto3 of the app, moto of the dev extra): a missing
    # one fails here, under CI as anywhere.
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {
        "YIWANG_S3_BUCKET": "yiwang-media",
        "YIWANG_S3_ENDPOINT_URL": endpoint,
        "YIWANG_S3_ACCESS_KEY": "test-access",
        "YIWANG_S3_SECRET_KEY": "test-secret",
        "YIWANG_S3_REGION": "us-east-1",
        "YIWANG_S3_ADDRESSING_STYLE": "path",
        "YIWANG_S3_PREFIX": "media",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from yiwang.settings import _media_storage

    settings.STORAGES = {**settings.STORAGES, "default": _media_storage("s3")}
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test-access",
        aws_secret_access_key="test-secret",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket="yiwang-media")
    try:
        yield client
    finally:
        server.stop()


def objects(client: Any) -> list[str]:
    listed = client.list_objects_v2(Bucket="yiwang-media")
    return sorted(o["Key"] for o in listed.get("Contents", []))


def test_photos_on_s3_are_private_deduplicated_and_served_by_the_app(
    s3: Any,
    city: City,
    loop: Loop,
    client: Client,
    media: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first, second = loop.report(source="public"), loop.report(source="public")
    a = attach(city, first, phone_photo())
    [key] = objects(s3)
    raw = s3.get_object(Bucket="yiwang-media", Key=key)["Body"].read()
    digest = hashlib.sha256(raw).hexdigest()
    assert key == f"media/photos/{digest[:2]}/{digest[2:4]}/{digest}.jpg"
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert stored_files(media) == []  # nothing went to the local disk

    # Private: no grant to everyone, and every URL the storage could give is signed.
    grants = s3.get_object_acl(Bucket="yiwang-media", Key=key)["Grants"]
    assert all("URI" not in g["Grantee"] for g in grants), grants
    assert "Signature=" in default_storage.url(a.file.name)

    client.force_login(city.users["operator"])
    served = client.get(f"/cases/{first.number}/photos/{a.pk}/")
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served.getvalue() == raw
    api = client.get(f"/api/cases/{first.number}/photos/{a.pk}")
    assert api.status_code == 200 and api.getvalue() == raw
    client.force_login(city.inspector_b)  # another street
    assert client.get(f"/cases/{first.number}/photos/{a.pk}/").status_code == 404

    b = attach(city, second, phone_photo(latitude=23.0))
    assert objects(s3) == [key]
    with django_capture_on_commit_callbacks(execute=True):
        remove_photo(city.users["operator"], first.number, a.pk)
    assert objects(s3) == [key]
    with django_capture_on_commit_callbacks(execute=True):
        remove_photo(city.users["operator"], second.number, b.pk)
    assert objects(s3) == []


def test_report_photos_go_through_the_same_path(city: City, media: Path) -> None:
    case = actions.report_case(
        city.users["inspector"],
        kind="matter",
        type_code="06001",
        title="人行道私搭乱建",
        lon=POINT_A[0],
        lat=POINT_A[1],
    )
    photo = add_photo(
        city.users["inspector"], case.number, phase="before", filename="../../etc/passwd",
        content=phone_photo(),
    )  # fmt: skip
    assert photo.file.name.startswith("photos/") and "passwd" not in photo.file.name


def test_the_daily_sweep_removes_old_files_no_photo_refers_to(
    city: City, loop: Loop, media: Path
) -> None:
    import os
    import time

    from yiwang.cases.tasks import sweep_photo_files
    from yiwang.core.models import AuditEntry

    kept = attach(city, loop.report(), png(1))
    # What a process killed between its commit and its file cleanup leaves behind: files in
    # the photo layout that no row names, one two days old and one written a minute ago.
    orphan = media / "photos" / "ab" / "cd" / ("ab" + "cd" + "0" * 60 + ".png")
    young = media / "photos" / "ab" / "ef" / ("ab" + "ef" + "1" * 60 + ".png")
    for path in (orphan, young):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png(2))
    two_days_ago = time.time() - 2 * 86400
    os.utime(orphan, (two_days_ago, two_days_ago))
    os.utime(media / kept.file.name, (two_days_ago, two_days_ago))

    assert sweep_photo_files.call() == 1

    assert not orphan.exists()
    assert young.exists()  # an upload in progress writes its file before its row commits
    assert (media / kept.file.name).exists()  # a photo's own file stays, however old
    assert AuditEntry.objects.filter(action="cases.sweep_photo_files").count() == 1
