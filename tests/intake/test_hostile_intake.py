"""Hostile input on every intake channel: each refusal is a clear 4xx in the channel's own
error shape, nothing is half-written, and nothing one sender does breaks another's data.

Found by attacking the public form, the inspector's phone API, Open311 and the 12345
hotline with the test client (and real threads on PostgreSQL). Each test failed before the
fix named in its docstring; the expected answers come from the channel's documentation
(docs/intake.md), the GeoReport v2 specification and XML 1.0, not from the code under test.
"""

from __future__ import annotations

import io
import json
import uuid
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hotline_support import hotline_fixture, jsonl, order, post_batch, post_order, signed_headers
from open311_support import BASE, GARBAGE_CODE, error_of, new_client, open_services, parse
from openpyxl import Workbook

from case_support import POINT_A, City, png
from public_support import form, media, photo, stored_files
from yiwang.cases import actions as case_actions
from yiwang.cases.models import Case, CaseEvent, CasePhoto
from yiwang.intake.models import HotlineOrder, Open311Request, Submission
from yiwang.org.models import User

__all__ = ["hotline_fixture", "media"]  # fixtures

ORDERS = "/api/intake/hotline/orders"
PHONE_REPORTS = "/api/intake/inspector/reports"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def readable(photo: CasePhoto) -> bool:
    """The stored file of a photo row is still there and holds an image."""
    storage = photo.file.storage
    if not storage.exists(photo.file.name):
        return False
    with storage.open(photo.file.name, "rb") as fh:
        head = fh.read(8)
    return head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"RIFF"))


def nothing_filed() -> bool:
    return not Case.objects.exists() and not Submission.objects.exists()


# A file that starts like a PNG (so a first look at its bytes passes) but cannot be decoded.
BROKEN_PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


# ==== photos shared between cases ============================================================
# Photos are stored once per content and shared by every case that carries them
# (docs/intake.md "附件存储"): a refusal may only delete a file no other case still uses.


@pytest.mark.django_db
def test_a_refused_public_report_keeps_the_photo_another_case_shares(
    city: City, media: Path
) -> None:
    """Was: the public form deleted every file it had stored on a refusal, including the file
    an earlier case shares (the same picture): that case's photo was gone."""
    visitor = Client()
    first = visitor.post(
        "/report/", {**form(), "photos": [photo("a.png", png(5))]}, HTTP_ACCEPT="application/json"
    )
    assert first.status_code == 200
    kept = CasePhoto.objects.get()
    assert readable(kept)

    # The same picture again, with a second "photo" that only looks like a PNG.
    refused = visitor.post(
        "/report/",
        {**form(), "photos": [photo("a.png", png(5)), photo("b.png", BROKEN_PNG)]},
        HTTP_ACCEPT="application/json",
    )
    assert refused.status_code == 400
    assert Case.objects.count() == 1 and CasePhoto.objects.count() == 1
    assert readable(kept), "the first case lost its photo"
    assert len(stored_files(media)) == 1


@pytest.mark.django_db
def test_the_public_form_shows_a_photo_refused_by_its_content_next_to_the_photos(
    city: City,
) -> None:
    """Was: a photo refused when it was decoded (damaged, or web markup hidden in it) came back
    with no field, so the page showed it at the top instead of next to 现场照片."""
    for bad in (BROKEN_PNG, png(1) + b"<script>alert(1)</script>"):
        response = Client().post(
            "/report/", {**form(), "photos": [photo("p.png", bad)]}, HTTP_ACCEPT="application/json"
        )
        assert response.status_code == 400
        body = response.json()
        assert body["ok"] is False and list(body["errors"]) == ["photos"], body
        assert body["errors"]["photos"][0]
    assert nothing_filed()


def check_task(city: City) -> Case:
    """An inspector's case handled by the municipal department, sent back to check (核查)."""
    u = city.users
    case = case_actions.report_case(
        u["inspector"], kind="matter", type_code="01001", title="井盖破损", lon=POINT_A[0],
        lat=POINT_A[1],
    )  # fmt: skip
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("operator", "accept", {}),
        ("shift_lead", "register", {}),
        ("dispatcher", "dispatch", {"department_id": city.municipal.pk}),
        ("handler", "accept_task", {}),
        ("handler", "finish", {"result": "已修复"}),
        ("operator", "send_check", {"inspector_id": u["inspector"].pk}),
    ]
    for who, name, inputs in steps:
        case = case_actions.transition(u[who], case.number, name, version=case.version, inputs=inputs)
    assert case.state == "checking"
    return case


@pytest.mark.django_db
def test_a_refused_phone_task_keeps_the_photo_another_case_shares(city: City) -> None:
    """Was: a task move refused after its photos were stored (核查不通过 without a reason)
    deleted their files, including one another case's photo shares."""
    inspector = city.users["inspector"]
    client = signed_in(inspector)
    # The inspector's own report carries the picture first.
    body = {"id": str(uuid.uuid4()), "kind": "matter", "type_code": "06010",
            "lon": POINT_A[0], "lat": POINT_A[1]}  # fmt: skip
    assert client.post(PHONE_REPORTS, body, content_type="application/json").status_code == 201
    upload = io.BytesIO(png(6))
    upload.name = "p.png"
    assert client.post(f"{PHONE_REPORTS}/{body['id']}/photos", {"file": upload}).status_code == 201
    kept = CasePhoto.objects.get()

    case = check_task(city)
    again = io.BytesIO(png(6))
    again.name = "same.png"
    refused = client.post(
        f"/m/tasks/{case.number}/check_fail/", {"version": case.version, "photos": [again]}
    )
    assert refused.status_code == 400  # 核查不通过 needs a reason
    assert not CasePhoto.objects.filter(case=case).exists()
    assert readable(kept), "the report lost its photo"
