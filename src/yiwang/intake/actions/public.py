"""Public reporting (公众上报): a member of the public files a problem without signing in.

The report becomes a case filed by the public channel's system account
(`channel_actor(Channel.PUBLIC)`, source 公众上报), moved at once by 受理并待核实 (`to_verify`)
so that it waits for an inspector's 核实 like every public report; its photos are attached
as "before" photos through `cases.actions.photos.add_photo`, each with a pending
`PublicPhotoReview`; the `Submission` gives the reporter a tracking code. All of it is one
transaction: a refused photo leaves no case, no submission and no file behind.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from yiwang.cases import actions as case_actions
from yiwang.cases.actions.photos import Upload, add_photo, release_file, sniff_image_type
from yiwang.cases.models import Case, CasePhoto, Source
from yiwang.core import audit
from yiwang.core.errors import ActionError, InvalidInput, TooManyRequests
from yiwang.core.textinput import text_problem
from yiwang.intake.actions.channels import channel_actor
from yiwang.intake.actions.submissions import find_resend, record_submission
from yiwang.intake.models import Channel, PublicPhotoReview, PublicService, Submission
from yiwang.intake.queries import OPEN_SERVICE
from yiwang.org.models import User

MAX_PHOTOS = 3
# The page resizes photos to at most 1600 px JPEG (a few hundred KB); this leaves room for a
# phone without canvas support and refuses anything that cannot be a photo of a street.
MAX_PHOTO_BYTES = 5 * 1024 * 1024
DESCRIPTION_MAX_LENGTH = 1000
ADDRESS_MAX_LENGTH = 200
# What the public form posts as the sender of its submissions; the page's one-time token is
# the external id, so a double submit of one page files one case.
FORM_SENDER = "form"
TOKEN_RE = re.compile(r"[0-9a-f]{32}")

# A mainland mobile number, or a landline with its area code (0755-12345678).
# (ASCII: \d alone would take any Unicode digit, which no telephone dials.)
MOBILE_RE = re.compile(r"1[3-9]\d{9}", re.ASCII)
LANDLINE_RE = re.compile(r"0[1-9]\d{8,10}", re.ASCII)
PHONE_MESSAGE = "回访电话格式不正确：请填写 11 位手机号，或带区号的固定电话（如 0755-12345678）。"

# The case actions name their own fields; the public form has fewer, differently named ones.
FORM_FIELDS = {
    "lon": "location",
    "lat": "location",
    "crs": "location",
    "type_code": "type",
    "kind": "type",
    "title": "type",
    "contact_phone": "phone",
    # A photo refused when it is decoded (damaged, markup inside) is named "file".
    "file": "photos",
}
# gettext_noop: the page's own location check shows the same words, translated.
PUBLIC_MESSAGES = {
    "not_in_grid": gettext_noop(
        "该位置不在本市的受理范围内（不在任何单元网格内），请在地图上重新选择问题位置。"
    ),
    "out_of_scope": gettext_noop("该位置不在本平台的受理范围内，请在地图上重新选择问题位置。"),
}


@dataclass(frozen=True)
class PublicReport:
    """What the public form sends, as typed (checked by `report_publicly`). `service_id` is
    the chosen entry of the one public list (`PublicService`)."""

    service_id: int | None
    lon: float | None
    lat: float | None
    description: str
    address: str = ""
    phone: str = ""
    photos: Sequence[Upload] = field(default_factory=tuple)
    token: str = ""


def normalize_phone(raw: str) -> str:
    """The call-back number in one spelling ("13800138000", "0755-12345678"), or "" if none.

    Spaces and hyphens are ignored, and +86 / 0086 before a mobile number.
    """
    digits = re.sub(r"[\s\-]", "", raw)
    if not digits:
        return ""
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix) and MOBILE_RE.fullmatch(digits[len(prefix) :]):
            digits = digits[len(prefix) :]
    if MOBILE_RE.fullmatch(digits):
        return digits
    if LANDLINE_RE.fullmatch(digits):
        # Area codes are 010 and 02x (three digits with the 0), every other one four.
        split = 3 if digits.startswith(("010", "02")) else 4
        area, number = digits[:split], digits[split:]
        if 7 <= len(number) <= 8:
            return f"{area}-{number}"
    raise InvalidInput("bad_phone", PHONE_MESSAGE, "phone")


def photo_problems(photos: Sequence[Upload]) -> list[str]:
    """Why the photos cannot be taken, one message each (empty: they can)."""
    if len(photos) > MAX_PHOTOS:
        return [f"最多上传 {MAX_PHOTOS} 张照片。"]
    problems = []
    limit_mb = MAX_PHOTO_BYTES // (1024 * 1024)
    for number, upload in enumerate(photos, start=1):
        if not upload.content:
            problems.append(f"第 {number} 张照片是空文件。")
        elif len(upload.content) > MAX_PHOTO_BYTES:
            problems.append(f"第 {number} 张照片超过 {limit_mb} MB，请换一张或缩小后再上传。")
        elif sniff_image_type(upload.content) is None:
            # Judged by the bytes, whatever the name or the claimed type says (an SVG or a
            # web page named .jpg is not a photo).
            problems.append(f"第 {number} 张照片不是 JPEG、PNG 或 WebP 格式的图片。")
    return problems


def _service(service_id: int | None) -> PublicService:
    """The chosen entry, if it is open to the public (the same rule as the page's list)."""
    found = (
        PublicService.objects.select_related("type").filter(OPEN_SERVICE, pk=service_id).first()
        if service_id is not None
        else None
    )
    if found is None:
        raise InvalidInput("required", "请选择问题类型。", "type")
    return found


def _check_text(value: str, label: str, name: str, limit: int, *, multiline: bool) -> str:
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise InvalidInput(problem[0], f"{label}{problem[1]}", name)
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput("too_long", f"{label}不能超过 {limit} 字。", name)
    return value


def _check(report: PublicReport) -> tuple[PublicService, float, float, str, str, str]:
    service = _service(report.service_id)
    lon, lat = report.lon, report.lat
    if lon is None or lat is None or not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidInput("required", "请在地图上点选问题位置，或使用当前位置。", "location")
    description = _check_text(
        report.description, "问题描述", "description", DESCRIPTION_MAX_LENGTH, multiline=True
    )
    if not description:
        raise InvalidInput("required", "请描述一下问题。", "description")
    address = _check_text(
        report.address, "位置说明", "address", ADDRESS_MAX_LENGTH, multiline=False
    )
    phone = normalize_phone(report.phone)
    problems = photo_problems(report.photos)
    if problems:
        raise InvalidInput("bad_photo", problems[0], "photos")
    return service, lon, lat, description, address, phone


def _as_public(error: ActionError) -> ActionError:
    """A case action's refusal, named by the public form's field and in its words."""
    field = FORM_FIELDS.get(error.field or "", error.field)
    message = PUBLIC_MESSAGES.get(error.code, error.message)
    if isinstance(error, TooManyRequests):  # not raised by the case actions; kept as it is
        return error
    return type(error)(error.code, message, field, **error.details)


def _distinct(photos: Sequence[Upload]) -> list[Upload]:
    # The same picture chosen twice is stored once (add_photo refuses a repeat on one case).
    seen: set[str] = set()
    unique = []
    for upload in photos:
        digest = hashlib.sha256(upload.content).hexdigest()
        if digest not in seen:
            seen.add(digest)
            unique.append(upload)
    return unique


def report_publicly(
    report: PublicReport, *, client: str = "", now: datetime | None = None
) -> Submission:
    """File a public report; the submission carries the tracking code and the case.

    A resend of the same page (same token) returns the first submission and files nothing.
    `client` is the sender's address, kept in the audit row for abuse handling only.
    """
    token = report.token if TOKEN_RE.fullmatch(report.token or "") else ""
    if token:
        earlier = find_resend(Channel.PUBLIC, FORM_SENDER, token)
        if earlier is not None:
            return earlier
    service, lon, lat, description, address, phone = _check(report)
    actor = channel_actor(Channel.PUBLIC)
    now = now or timezone.now()
    object_type = service.type
    stored: list[str] = []
    try:
        with transaction.atomic():
            case = _file_case(
                actor,
                case_actions.Report(
                    kind=object_type.kind,
                    type_code=object_type.code,
                    title=service.display_name,
                    source=Source.PUBLIC,
                    lon=lon,
                    lat=lat,
                    description=description,
                    address=address,
                    contact_phone=phone,
                ),
                now,
            )
            submission = record_submission(
                channel=Channel.PUBLIC,
                case=case,
                sender=FORM_SENDER if token else "",
                external_id=token,
                contact_phone=phone,
                created_by=actor,
                now=now,
            )
            for upload in _distinct(report.photos):
                photo = add_photo(
                    actor,
                    case.number,
                    phase=CasePhoto.Phase.BEFORE,
                    filename=upload.filename,
                    content=upload.content,
                    content_type=upload.content_type,
                    now=now,
                )
                stored.append(photo.file.name)
                PublicPhotoReview.objects.create(photo=photo, submission=submission)
            audit.record(
                actor,
                "intake.public.report",
                submission,
                f"公众上报 {submission.tracking_code} → 案卷 {case.number}",
                case=case.number,
                type=object_type.code,
                photos=len(stored),
                client=client,
            )
    except IntegrityError:
        # Two submits of one page at the same moment: the other one filed it.
        _delete_files(stored)
        earlier = find_resend(Channel.PUBLIC, FORM_SENDER, token) if token else None
        if earlier is None:
            raise
        return earlier
    except ActionError as exc:
        _delete_files(stored)
        raise _as_public(exc) from None
    except BaseException:
        _delete_files(stored)
        raise
    return submission


def _file_case(actor: User, report: case_actions.Report, now: datetime) -> Case:
    """Report the case and accept it for verification (受理并待核实) in one go."""
    case = case_actions.report_cases(actor, [report], now=now)[0]
    with case_actions.moving(case) as moves:
        case = moves.apply(
            actor, "to_verify", version=case.version, inputs={"note": "公众上报，待核实。"}, now=now
        )
    return case


def _delete_files(names: list[str]) -> None:
    # After the rollback: a file goes only if no other case's photo shares it (photos are
    # stored once per content).
    for name in names:
        release_file(name)
