"""Before / after photos of a case: checked by content, stored privately, logged on the timeline."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from yiwang.cases import scope
from yiwang.cases.models import FINAL_STATES, Case, CaseEvent, CasePhoto
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.org.models import User
from yiwang.org.permissions import has_role
from yiwang.org.roles import Role

MAX_PHOTO_BYTES = 10 * 1024 * 1024
# Photos attached to one move (处置完毕 with its after photos).
MAX_PHOTOS_PER_MOVE = 9
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
# Who may add "before" photos besides the case's reporter.
BEFORE_ROLES = frozenset({Role.INSPECTOR, Role.OPERATOR})


@dataclass(frozen=True)
class Upload:
    """One uploaded file as received: the name and type are only the client's claims."""

    filename: str
    content: bytes
    content_type: str = ""


def sniff_image_type(content: bytes) -> str | None:
    """The image type the bytes really are (JPEG, PNG, WebP), whatever the client claimed."""
    if content[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if content[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


def _check_uploader(actor: User, case: Case, phase: str) -> None:
    if actor.is_superuser:
        return
    if phase == CasePhoto.Phase.BEFORE:
        if case.reporter_id == actor.pk or has_role(actor, BEFORE_ROLES):
            return
        raise PermissionDenied(
            "forbidden_role", "只有上报人、监督员或受理员可以上传处置前照片。", "phase"
        )
    if (
        has_role(actor, {Role.HANDLER})
        and case.department_id is not None
        and case.department_id == actor.department_id
    ):
        return
    raise PermissionDenied("not_holder", "只有承办部门的处置人员可以上传处置后照片。", "phase")


def add_photo(
    actor: User,
    number: str,
    *,
    phase: str,
    filename: str,
    content: bytes,
    content_type: str = "",
    now: datetime | None = None,
) -> CasePhoto:
    """Attach one photo. The stored type is the sniffed one; `content_type` is only the claim."""
    if phase not in CasePhoto.Phase.values:
        raise InvalidInput(
            "bad_phase", "照片阶段应为 处置前（before）或 处置后（after）。", "phase"
        )
    if not content:
        raise InvalidInput("empty_file", "上传的文件是空的。", "file")
    if len(content) > MAX_PHOTO_BYTES:
        raise InvalidInput(
            "file_too_large", f"照片不能超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB。", "file"
        )
    real_type = sniff_image_type(content)
    if real_type is None:
        raise InvalidInput("bad_file_type", "只能上传 JPEG、PNG 或 WebP 格式的图片。", "file")
    digest = hashlib.sha256(content).hexdigest()
    now = now or timezone.now()

    stored_name: str | None = None
    photo = CasePhoto(phase=phase, sha256=digest, content_type=real_type, size=len(content))
    try:
        with transaction.atomic():
            # The row lock serialises uploads to one case, so the duplicate check holds.
            case = Case.objects.select_for_update().filter(number=number).first()
            if case is None or not scope.can_see(actor, case):
                raise NotFound(
                    "case_not_found", f"案卷 {number} 不存在或不在您的管辖范围内。", "number"
                )
            _check_uploader(actor, case, phase)
            if case.state in FINAL_STATES:
                raise Conflict(
                    "bad_state", f"案卷已{case.get_state_display()}，不能再上传照片。", None
                )
            if CasePhoto.objects.filter(case=case, sha256=digest).exists():
                raise Conflict("duplicate_photo", "该照片已上传过。", "file")
            photo.case = case
            photo.uploaded_by = actor
            # The client's file name never reaches the file system: only the digest does.
            photo.file.save(f"{digest}.{EXTENSIONS[real_type]}", ContentFile(content), save=False)
            stored_name = photo.file.name
            photo.save()
            data: dict[str, Any] = {
                "photo_id": photo.pk,
                "phase": phase,
                "sha256": digest,
                "size": len(content),
                # Control characters (NUL above all) are refused by PostgreSQL's jsonb.
                "filename": "".join(ch for ch in filename if ch.isprintable())[:200],
            }
            # A photo changes no field a transition depends on, so the version stays.
            CaseEvent.objects.create(
                case=case,
                at=now,
                actor=actor,
                transition="photo",
                from_state=case.state,
                to_state=case.state,
                data=data,
                version=case.version,
            )
    except BaseException:
        if stored_name:
            photo.file.storage.delete(stored_name)
        raise
    return photo


@dataclass(frozen=True)
class PhotoItem:
    """One photo of a batch for `add_photos`: the case, the phase and the upload."""

    number: str
    phase: str
    upload: Upload


def add_photos(
    actor: User, items: Sequence[PhotoItem], *, now: datetime | None = None
) -> list[CasePhoto]:
    """`add_photo` for many cases at once (machine channels filing cases in batches): the same
    checks, files and timeline rows, in one transaction with a fixed number of queries.
    All or nothing; a refusal names the item (`photos[i].file`)."""
    if not items:
        return []
    now = now or timezone.now()
    checked: list[tuple[PhotoItem, str, str]] = []
    for i, item in enumerate(items):
        field = f"photos[{i}].file"
        content = item.upload.content
        if item.phase not in CasePhoto.Phase.values:
            raise InvalidInput(
                "bad_phase", "照片阶段应为 处置前（before）或 处置后（after）。", field
            )
        if not content:
            raise InvalidInput("empty_file", "上传的文件是空的。", field)
        if len(content) > MAX_PHOTO_BYTES:
            raise InvalidInput(
                "file_too_large", f"照片不能超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB。", field
            )
        real_type = sniff_image_type(content)
        if real_type is None:
            raise InvalidInput("bad_file_type", "只能上传 JPEG、PNG 或 WebP 格式的图片。", field)
        checked.append((item, real_type, hashlib.sha256(content).hexdigest()))
    stored: list[str] = []
    try:
        with transaction.atomic():
            cases = {
                c.number: c
                for c in Case.objects.select_for_update().filter(
                    number__in={item.number for item in items}
                )
            }
            taken = set(
                CasePhoto.objects.filter(
                    case__in=list(cases.values()), sha256__in={d for _, _, d in checked}
                ).values_list("case_id", "sha256")
            )
            photos, events = [], []
            for item, real_type, digest in checked:
                case = cases.get(item.number)
                if case is None or not scope.can_see(actor, case):
                    raise NotFound(
                        "case_not_found",
                        f"案卷 {item.number} 不存在或不在您的管辖范围内。",
                        "number",
                    )
                _check_uploader(actor, case, item.phase)
                if case.state in FINAL_STATES:
                    raise Conflict(
                        "bad_state", f"案卷已{case.get_state_display()}，不能再上传照片。", None
                    )
                if (case.pk, digest) in taken:
                    raise Conflict("duplicate_photo", "该照片已上传过。", "file")
                taken.add((case.pk, digest))
                photo = CasePhoto(
                    case=case,
                    phase=item.phase,
                    sha256=digest,
                    content_type=real_type,
                    size=len(item.upload.content),
                    uploaded_by=actor,
                )
                photo.file.save(
                    f"{digest}.{EXTENSIONS[real_type]}",
                    ContentFile(item.upload.content),
                    save=False,
                )
                stored.append(photo.file.name)
                photos.append(photo)
            CasePhoto.objects.bulk_create(photos)
            for photo, (item, _real_type, digest) in zip(photos, checked, strict=True):
                events.append(
                    CaseEvent(
                        case=photo.case,
                        at=now,
                        actor=actor,
                        transition="photo",
                        from_state=photo.case.state,
                        to_state=photo.case.state,
                        data={
                            "photo_id": photo.pk,
                            "phase": item.phase,
                            "sha256": digest,
                            "size": photo.size,
                            "filename": "".join(
                                ch for ch in item.upload.filename if ch.isprintable()
                            )[:200],
                        },
                        version=photo.case.version,
                    )
                )
            CaseEvent.objects.bulk_create(events)
    except BaseException:
        for name in stored:
            CasePhoto.file.field.storage.delete(name)
        raise
    return photos
