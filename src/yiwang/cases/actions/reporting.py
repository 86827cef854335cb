"""Reporting cases and moving them through the loop."""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiwang.cases import engine, numbers, routing
from yiwang.cases.actions import photos as photo_actions
from yiwang.cases.models import (
    DESCRIPTION_MAX_LENGTH,
    Case,
    CaseEvent,
    CaseStageRecord,
    Source,
    Urgency,
)
from yiwang.cases.workflow import INITIAL_STAGE, INITIAL_STATE, TRANSITIONS
from yiwang.catalog.models import Component, ObjectType
from yiwang.core import generations
from yiwang.core.errors import ActionError, InvalidInput, PermissionDenied
from yiwang.core.scope import path_in_scope
from yiwang.core.textinput import is_ascii_digits, model_max_length, text_problem
from yiwang.geo import crs as geo_crs
from yiwang.geo.locate import Located, locate_many
from yiwang.geo.models import UnitGrid
from yiwang.org.models import Division, User
from yiwang.org.permissions import has_role
from yiwang.org.roles import Role

# Who may put a case into the system, and from which sources.
REPORTER_SOURCES: dict[str, set[str]] = {
    Role.INSPECTOR: {Source.INSPECTOR},
    Role.OPERATOR: set(Source.values) - {Source.INSPECTOR},
    Role.SHIFT_LEAD: set(Source.values) - {Source.INSPECTOR},
    Role.ADMIN: set(Source.values),
}


@dataclass(frozen=True)
class Report:
    """What a reporter says about a problem; validated by `report_cases`."""

    kind: str
    type_code: str
    title: str
    lon: float
    lat: float
    source: str = Source.INSPECTOR
    urgency: str = Urgency.NORMAL
    description: str = ""
    address: str = ""
    crs: str = "wgs84"
    component_ident: str = ""
    contact_name: str = ""
    contact_phone: str = ""


def _check_reporter(actor: User, source: str) -> None:
    if source not in Source.values:
        raise InvalidInput("bad_source", f"未知的案卷来源：{source}", "source")
    if actor.is_superuser:
        return
    allowed = REPORTER_SOURCES.get(actor.role, set())
    if source not in allowed:
        if not allowed:
            raise PermissionDenied("forbidden_role", "您的角色不能登记案卷。")
        raise PermissionDenied(
            "forbidden_source", f"{actor.role_label}不能登记来源为“{Source(source).label}”的案卷。"
        )


def _validate(
    actor: User, report: Report, types: dict[tuple[str, str], ObjectType]
) -> tuple[ObjectType, float, float]:
    _check_reporter(actor, report.source)
    if report.kind not in ("component", "matter"):
        raise InvalidInput("bad_kind", "类型应为 部件 或 事件。", "kind")
    obj_type = types.get((report.kind, report.type_code))
    if obj_type is None or not obj_type.is_active:
        raise InvalidInput("unknown_type", f"未知的类型代码：{report.type_code}", "type_code")
    if report.urgency not in Urgency.values:
        raise InvalidInput("bad_urgency", "紧急程度应为 一般 或 紧急。", "urgency")
    title = report.title.strip()
    if not title:
        raise InvalidInput("required", "请填写标题。", "title")
    _check_texts(report)
    phone = report.contact_phone.strip()
    if phone and not is_ascii_digits(phone.replace("-", "")):
        raise InvalidInput("bad_phone", "联系电话只能包含数字和“-”。", "contact_phone")
    if not all(math.isfinite(v) for v in (report.lon, report.lat)):
        raise InvalidInput("bad_coordinates", "坐标不合法。", "lon")
    if not (-180 <= report.lon <= 180 and -90 <= report.lat <= 90):
        raise InvalidInput("bad_coordinates", "经纬度超出范围。", "lon")
    lon, lat = geo_crs.to_wgs84(report.lon, report.lat, geo_crs.parse_crs(report.crs))
    return obj_type, lon, lat


# Every free-text field of a report, its limit and whether it may span lines: whatever
# channel a report comes by (form, API, import), what is stored is printable and fits.
_TEXT_FIELDS = (
    ("title", model_max_length(Case, "title"), False),
    ("description", DESCRIPTION_MAX_LENGTH, True),
    ("address", model_max_length(Case, "address"), False),
    ("contact_name", model_max_length(Case, "contact_name"), False),
    ("contact_phone", model_max_length(Case, "contact_phone"), False),
    ("component_ident", model_max_length(Component, "ident"), False),
)


def _check_texts(report: Report) -> None:
    for name, limit, multiline in _TEXT_FIELDS:
        value = getattr(report, name)
        label = getattr(Case._meta.get_field(name.removesuffix("_ident")), "verbose_name", name)
        problem = text_problem(value, multiline=multiline)
        if problem is not None:
            raise InvalidInput(problem[0], f"{label}{problem[1]}", name)
        if len(value.strip()) > limit:
            raise InvalidInput("too_long", f"{label}不能超过 {limit} 字。", name)


def report_cases(actor: User, reports: list[Report], *, now: datetime | None = None) -> list[Case]:
    """Register many reports in one transaction (all or nothing).

    Locating, routing, the first stage deadline and the timeline row are done for
    every case; rows are written in bulk so intake channels and imports stay fast.
    """
    if not reports:
        return []
    now = now or timezone.now()
    with generations.pinned():
        return _report_cases(actor, reports, now)


def _report_cases(actor: User, reports: list[Report], now: datetime) -> list[Case]:
    # Only the types this batch names: loading the whole catalogue per call dominated
    # small batches.
    codes = {r.type_code for r in reports}
    types = {(t.kind, t.code): t for t in ObjectType.objects.filter(code__in=codes)}
    checked: list[tuple[ObjectType, float, float]] = []
    for i, report in enumerate(reports):
        try:
            checked.append(_validate(actor, report, types))
        except ActionError as exc:
            # In a batch, say which report is wrong (as locating does below).
            if len(reports) > 1 and exc.field:
                exc.field = f"reports[{i}].{exc.field}"
            raise
    located = locate_many([(lon, lat) for _, lon, lat in checked])
    grids = _grids_and_divisions(located)
    components = _components(reports)

    with transaction.atomic():
        day, first = numbers.reserve(now, len(reports))
        cases: list[Case] = []
        for i, (report, (obj_type, lon, lat), spot) in enumerate(
            zip(reports, checked, located, strict=True)
        ):
            field = "lon" if len(reports) == 1 else f"reports[{i}].lon"
            if spot is None:
                raise InvalidInput("not_in_grid", "该位置不在任何单元网格内，无法登记。", field)
            grid, community, street = grids[spot.grid_id]
            if not path_in_scope(actor, grid.division_path):
                raise PermissionDenied("out_of_scope", "该位置不在您的管辖范围内。", field)
            component = None
            if report.component_ident:
                component = components.get(report.component_ident)
                if (
                    component is None
                    or component.division_path != grid.division_path[: len(component.division_path)]
                ):
                    raise InvalidInput(
                        "unknown_component",
                        f"部件 {report.component_ident} 不存在。",
                        "component_ident",
                    )
            case = Case(
                number=numbers.format_number(report.kind, obj_type.code, day, first + i),
                kind=report.kind,
                type=obj_type,
                urgency=report.urgency,
                source=report.source,
                title=report.title.strip(),
                description=report.description.strip(),
                address=report.address.strip(),
                lon=lon,
                lat=lat,
                grid=grid,
                community=community,
                street=street,
                district_code=spot.district_code,
                division_path=grid.division_path,
                component=component,
                reporter=actor if actor.pk else None,
                contact_name=report.contact_name.strip(),
                contact_phone=report.contact_phone.strip(),
                state=INITIAL_STATE,
                reported_at=now,
                suggested_department_id=routing.suggest_department_id(obj_type, grid.division_path),
            )
            cases.append(case)
        records = [engine.start_stage(c, INITIAL_STAGE, now) for c in cases]
        Case.objects.bulk_create(cases)
        CaseStageRecord.objects.bulk_create(records)
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case=c,
                    at=now,
                    actor=actor if actor.pk else None,
                    transition="report",
                    from_state="",
                    to_state=c.state,
                    data={"source": c.source, "grid": c.grid.code},
                    version=c.version,
                )
                for c in cases
            ]
        )
    return cases


def _grids_and_divisions(
    located: list[Located | None],
) -> dict[int, tuple[UnitGrid, Division, Division]]:
    ids = {spot.grid_id for spot in located if spot is not None}
    # One query: the grid, its community and the community's street.
    # The outline (kilobytes of JSON per grid) is not needed to file a case.
    grids = (
        UnitGrid.objects.filter(pk__in=ids)
        .select_related("community__parent")
        .defer("geometry")
        .order_by()
    )
    return {g.pk: (g, g.community, g.community.parent) for g in grids}  # type: ignore[misc]


def _components(reports: list[Report]) -> dict[str, Component]:
    idents = {r.component_ident for r in reports if r.component_ident}
    if not idents:
        return {}
    return {c.ident: c for c in Component.objects.filter(ident__in=idents)}


def report_case(actor: User, *, now: datetime | None = None, **fields: Any) -> Case:
    return report_cases(actor, [build_report(actor, fields)], now=now)[0]


def build_report(actor: User, fields: dict[str, Any]) -> Report:
    """One report from keyword fields, refusing unknown or missing ones and non-reporters."""
    if not has_role(actor, REPORTER_SOURCES.keys()):
        raise PermissionDenied("forbidden_role", "您的角色不能登记案卷。")
    known = set(Report.__dataclass_fields__)
    unknown = set(fields) - known
    if unknown:
        raise InvalidInput(
            "unknown_field", f"未知字段：{'、'.join(sorted(unknown))}", sorted(unknown)[0]
        )
    try:
        report = Report(**fields)
    except TypeError as exc:
        missing = [f for f in ("kind", "type_code", "title", "lon", "lat") if f not in fields]
        raise InvalidInput("required", "缺少必填项。", missing[0] if missing else None) from exc
    return report


def moving(case: str | Case) -> AbstractContextManager[engine.Moves]:
    """Several moves of one case in one transaction: ``with moving(n) as m: m.apply(...)``.

    Each move is checked and applied as `transition` would (scope, version, state, role,
    holder, guards, inputs, effects, stage clock, timeline row); the case, its stage records
    and its timeline are written together when the block ends, which makes replaying a
    case's history (imports, the demo) several times faster than one transaction per move.
    `case` is a case number, or a Case just returned by an action (see `engine.moving`).
    """
    return engine.moving(case)


def transition(
    actor: User,
    number: str,
    name: str,
    *,
    version: int | None,
    inputs: dict[str, Any] | None = None,
    photos: Sequence[photo_actions.Upload] = (),
    now: datetime | None = None,
) -> Case:
    """Apply one move of the table; a move that declares a photo phase (处置完毕) may bring
    its photos, stored with it or not at all."""
    if not photos:
        return engine.apply_transition(actor, number, name, version=version, inputs=inputs, now=now)
    t = TRANSITIONS.get(name)
    if t is not None and not t.photo_phase:
        raise InvalidInput("photos_not_allowed", f"“{t.label}”不能附带照片。", "photos")
    if len(photos) > photo_actions.MAX_PHOTOS_PER_MOVE:
        raise InvalidInput(
            "too_many_photos",
            f"一次最多附带 {photo_actions.MAX_PHOTOS_PER_MOVE} 张照片。",
            "photos",
        )
    now = now or timezone.now()
    # Every photo is checked before anything is written; attached in the order of their
    # digests (see `photos.attach_prepared`).
    prepared = sorted(
        ((photo_actions.prepare(u.content), u.filename) for u in photos),
        key=lambda p: p[0].sha256,
    )
    stored: list[str] = []
    try:
        with transaction.atomic():
            case = engine.apply_transition(
                actor, number, name, version=version, inputs=inputs, now=now
            )
            assert t is not None  # apply_transition refused an unknown name
            for upload, filename in prepared:
                photo = photo_actions.attach_prepared(
                    actor, number, phase=t.photo_phase, filename=filename, upload=upload, now=now
                )
                stored.append(photo.file.name)
    except BaseException:
        # The rows are rolled back; the files written before the failure go too, unless
        # a photo of another case shares one (content is stored once).
        for name_on_disk in stored:
            photo_actions.release_file(name_on_disk)
        raise
    return case
