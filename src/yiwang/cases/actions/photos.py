"""Before / after photos of a case: checked by content, stored privately, logged on the timeline.

Storage (the default storage: local files, or S3 with ``YIWANG_STORAGE=s3``):

- An upload is decoded and re-encoded without EXIF, GPS and XMP (`core.images`); the
  stored file is named by the sha256 of what is stored, ``photos/ab/cd/<sha256>.jpg``,
  so no client-given name reaches the storage and identical content is stored once, shared
  by the rows of every case that carries it.
- A file goes when its last row goes (`remove_photo`, or a rolled-back upload). Who adds
  or releases a file holds the lock named after its digest (`core.locks`), so an upload
  of the same content never finds its file deleted under it: the upload writes the file
  if it is missing and its row becomes visible before the lock is free; a release looks
  for rows and deletes the file under the same lock, after the row's removal committed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.utils import timezone

from yiwang.cases import scope
from yiwang.cases.models import FINAL_STATES, Case, CaseEvent, CasePhoto, State, photo_file_name
from yiwang.core import audit, locks
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.images import ImageRefused, clean_image, sniff_image_type
from yiwang.org.models import User
from yiwang.org.permissions import has_role
from yiwang.org.roles import Role

log = logging.getLogger(__name__)

MAX_PHOTO_BYTES = 10 * 1024 * 1024
# Photos attached to one move (处置完毕 with its after photos).
MAX_PHOTOS_PER_MOVE = 9
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
# Who may add "before" photos besides the case's reporter.
BEFORE_ROLES = frozenset({Role.INSPECTOR, Role.OPERATOR})
# Who may remove any photo of an open case (the uploader may remove their own).
REMOVE_ROLES = frozenset({Role.OPERATOR, Role.SHIFT_LEAD})

__all__ = [
    "MAX_PHOTOS_PER_MOVE",
    "MAX_PHOTO_BYTES",
    "PhotoItem",
    "Prepared",
    "Upload",
    "add_photo",
    "add_photos",
    "attach_prepared",
    "prepare",
    "release_file",
    "remove_photo",
    "sniff_image_type",
]


@dataclass(frozen=True)
class Upload:
    """One uploaded file as received: the name and type are only the client's claims."""

    filename: str
    content: bytes
    content_type: str = ""


def _storage() -> Storage:
    return CasePhoto._meta.get_field("file").storage  # type: ignore[attr-defined, no-any-return]


def _lock_name(name: str) -> str:
    return f"cases.photo_file:{name}"


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
    # The inspector sent to check the handling photographs the result on the spot (核查照片).
    if (
        has_role(actor, {Role.INSPECTOR})
        and case.state == State.CHECKING
        and case.assignee_id == actor.pk
    ):
        return
    raise PermissionDenied(
        "not_holder",
        "只有承办部门的处置人员或负责核查的监督员可以上传处置后照片。",
        "phase",
    )


@dataclass(frozen=True)
class Prepared:
    """An upload checked and re-encoded (`prepare`), ready to be attached."""

    content: bytes
    content_type: str
    sha256: str


def prepare(content: bytes) -> Prepared:
    """Check an upload and re-encode it without metadata; InvalidInput says why not."""
    if not content:
        raise InvalidInput("empty_file", "上传的文件是空的。", "file")
    if len(content) > MAX_PHOTO_BYTES:
        raise InvalidInput(
            "file_too_large", f"照片不能超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB。", "file"
        )
    try:
        image = clean_image(content)
    except ImageRefused as refused:
        raise InvalidInput(refused.code, refused.message, "file") from None
    digest = hashlib.sha256(image.content).hexdigest()
    return Prepared(image.content, image.content_type, digest)


def _store(storage: Storage, name: str, content: bytes) -> None:
    """Make sure the file `name` holds `content` (the caller holds the file's lock)."""
    if storage.exists(name):
        return  # the same digest: the same bytes
    saved = storage.save(name, ContentFile(content))
    if saved != name:
        # A file-system storage keeps an existing name (a leftover of a crash between
        # writing and checking): the bytes are the same, keep one copy.
        storage.delete(saved)


def release_file(name: str) -> None:
    """Delete the stored file `name` if no photo row refers to it any more.

    Called after a row's removal committed, or after an upload rolled back; never raises
    (a file left behind costs space, not correctness).
    """
    if not name:
        return
    try:
        with transaction.atomic():
            locks.hold(_lock_name(name))
            if not CasePhoto.objects.filter(file=name).exists():
                _storage().delete(name)
    except Exception:
        log.exception("could not release photo file %s", name)


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
    """Attach one photo. The stored type is the decoded one; `content_type` is only the claim."""
    if phase not in CasePhoto.Phase.values:
        raise InvalidInput(
            "bad_phase", "照片阶段应为 处置前（before）或 处置后（after）。", "phase"
        )
    return attach_prepared(
        actor, number, phase=phase, filename=filename, upload=prepare(content), now=now
    )


def attach_prepared(
    actor: User,
    number: str,
    *,
    phase: str,
    filename: str,
    upload: Prepared,
    now: datetime | None = None,
) -> CasePhoto:
    """Attach an upload `prepare` checked. Several in one transaction must come in the
    order of their digests (`transition` sorts them): each holds its file's lock to the
    end, and two transactions taking two locks in opposite orders would wait on each other."""
    data, real_type, digest = upload.content, upload.content_type, upload.sha256
    now = now or timezone.now()

    photo = CasePhoto(phase=phase, sha256=digest, content_type=real_type, size=len(data))
    name = photo_file_name(photo, f"x.{EXTENSIONS[real_type]}")
    stored = False
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
                    "bad_state", f"案卷{case.get_state_display()}，不能再上传照片。", None
                )
            if CasePhoto.objects.filter(case=case, sha256=digest).exists():
                raise Conflict("duplicate_photo", "该照片已上传过。", "file")
            photo.case = case
            photo.uploaded_by = actor
            locks.hold(_lock_name(name))
            stored = True  # from here on a failure may leave a file to release
            _store(_storage(), name, data)
            photo.file.name = name
            photo.save()
            event: dict[str, Any] = {
                "photo_id": photo.pk,
                "phase": phase,
                "sha256": digest,
                "size": len(data),
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
                data=event,
                version=case.version,
            )
    except BaseException:
        if stored:
            # Rolled back: the file goes unless another case's photo shares it.
            release_file(name)
        raise
    return photo


def remove_photo(
    actor: User, number: str, photo_id: int, *, now: datetime | None = None
) -> CasePhoto:
    """Remove one photo of an open case (its uploader, or a 受理员 / 值班长). The stored file
    is deleted once no other row refers to it."""
    now = now or timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(number=number).first()
        if case is None or not scope.can_see(actor, case):
            raise NotFound(
                "case_not_found", f"案卷 {number} 不存在或不在您的管辖范围内。", "number"
            )
        photo = CasePhoto.objects.filter(case=case, pk=photo_id).first()
        if photo is None:
            raise NotFound("photo_not_found", "照片不存在。", "photo_id")
        if not (photo.uploaded_by_id == actor.pk or has_role(actor, REMOVE_ROLES)):
            raise PermissionDenied(
                "forbidden_role", "只有上传者本人、受理员或值班长可以删除照片。", "photo_id"
            )
        if case.state in FINAL_STATES:
            raise Conflict("bad_state", f"案卷{case.get_state_display()}，照片不能再删除。", None)
        name = photo.file.name
        CaseEvent.objects.create(
            case=case,
            at=now,
            actor=actor,
            transition="photo_removed",
            from_state=case.state,
            to_state=case.state,
            data={"photo_id": photo.pk, "phase": photo.phase, "sha256": photo.sha256},
            version=case.version,
        )
        photo.delete()
        # After the commit (of the outermost transaction): until then the row may come back.
        transaction.on_commit(lambda: release_file(name))
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
    checks, re-encoding, content-addressed files and timeline rows, in one transaction with
    a fixed number of queries. All or nothing; a refusal names the item (`photos[i].file`)."""
    if not items:
        return []
    now = now or timezone.now()
    checked: list[tuple[PhotoItem, Prepared, str]] = []
    for i, item in enumerate(items):
        field = f"photos[{i}].file"
        if item.phase not in CasePhoto.Phase.values:
            raise InvalidInput(
                "bad_phase", "照片阶段应为 处置前（before）或 处置后（after）。", field
            )
        try:
            prepared = prepare(item.upload.content)
        except InvalidInput as exc:
            exc.field = field
            raise
        probe = CasePhoto(sha256=prepared.sha256, content_type=prepared.content_type)
        name = photo_file_name(probe, f"x.{EXTENSIONS[prepared.content_type]}")
        checked.append((item, prepared, name))
    # File locks in the order of their names, as `attach_prepared` takes them.
    names = sorted({name for _, _, name in checked})
    held: list[str] = []
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
                    case__in=list(cases.values()), sha256__in={p.sha256 for _, p, _ in checked}
                ).values_list("case_id", "sha256")
            )
            photos: list[CasePhoto] = []
            for item, prepared, name in checked:
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
                        "bad_state", f"案卷{case.get_state_display()}，不能再上传照片。", None
                    )
                if (case.pk, prepared.sha256) in taken:
                    raise Conflict("duplicate_photo", "该照片已上传过。", "file")
                taken.add((case.pk, prepared.sha256))
                photo = CasePhoto(
                    case=case,
                    phase=item.phase,
                    sha256=prepared.sha256,
                    content_type=prepared.content_type,
                    size=len(prepared.content),
                    uploaded_by=actor,
                )
                photo.file.name = name
                photos.append(photo)
            content_of = {name: prepared.content for _, prepared, name in checked}
            storage = _storage()
            for name in names:
                locks.hold(_lock_name(name))
                held.append(name)
                _store(storage, name, content_of[name])
            CasePhoto.objects.bulk_create(photos)
            CaseEvent.objects.bulk_create(
                [
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
                            "sha256": photo.sha256,
                            "size": photo.size,
                            "filename": "".join(
                                ch for ch in item.upload.filename if ch.isprintable()
                            )[:200],
                        },
                        # A photo changes no field a transition depends on.
                        version=photo.case.version,
                    )
                    for photo, (item, _prepared, _name) in zip(photos, checked, strict=True)
                ]
            )
    except BaseException:
        for name in held:
            release_file(name)
        raise
    return photos


ORPHAN_GRACE = timedelta(hours=24)
PHOTO_ROOT = "photos"  # photo_file_name writes photos/ab/cd/<sha256>.<ext>


def sweep_orphan_files(*, now: datetime | None = None) -> int:
    """Delete stored photo files no row refers to: left behind when a process died between
    a commit and its file cleanup. Files younger than a day are left alone (an upload in
    progress has written its file before its row commits); each is checked under its lock,
    as `release_file` does. Returns how many files went."""
    now = now or timezone.now()
    storage = _storage()
    removed = 0
    for name in _stored_photo_names(storage):
        try:
            if storage.get_modified_time(name) > now - ORPHAN_GRACE:
                continue
        except (OSError, NotImplementedError):
            continue
        if CasePhoto.objects.filter(file=name).exists():
            continue
        release_file(name)
        removed += 0 if storage.exists(name) else 1
    if removed:
        audit.record(
            None,
            "cases.sweep_photo_files",
            ("cases.casephoto", "*"),
            f"清理无引用的照片文件 {removed} 个",
        )
    return removed


def _stored_photo_names(storage: Storage) -> list[str]:
    """Every file under ``photos/ab/cd/`` (the layout `photo_file_name` writes)."""
    names: list[str] = []
    try:
        firsts, _files = storage.listdir(PHOTO_ROOT)
    except (OSError, FileNotFoundError):
        return names
    for first in firsts:
        seconds, _ = storage.listdir(f"{PHOTO_ROOT}/{first}")
        for second in seconds:
            _dirs, files = storage.listdir(f"{PHOTO_ROOT}/{first}/{second}")
            names += [f"{PHOTO_ROOT}/{first}/{second}/{name}" for name in files]
    return names
