"""Case detail: data, map, photos, timeline with stage clocks, and every move as a form.

Each move the user may make now is a form built from the transition table's
declared inputs. A post goes through `cases.actions.transition`; a refused post
shows the same page again with the reason next to the field (400), a clear
"someone else handled it" notice with the current state and the typed text (409),
or a refusal (403). A case outside the user's scope is 404 on every URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext
from django.views.decorators.http import require_GET, require_POST

from yiwang.cases import actions, deadlines, duplicates, engine, queries
from yiwang.cases.actions import photos as photo_actions
from yiwang.cases.models import (
    FINAL_STATES,
    Case,
    CaseEvent,
    CasePhoto,
    CaseStageRecord,
    State,
    TimeUnit,
)
from yiwang.cases.views.worklists import countdown_text
from yiwang.cases.workflow import MERGE_SOURCES, TRANSITIONS, Input, Transition
from yiwang.core.errors import ActionError, Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.textinput import is_ascii_digits
from yiwang.core.workcalendar import Light, WorkCalendar
from yiwang.org.models import Department, User
from yiwang.org.permissions import acting_user, has_role

# Timeline rows that are not moves of the transition table.
EVENT_LABELS = {
    "report": gettext_noop("上报"),
    "photo": gettext_noop("上传照片"),
    "note": gettext_noop("备注"),
    "photo_removed": gettext_noop("删除照片"),
    "merged_in": gettext_noop("合并了重复案卷"),
    "unmerged_out": gettext_noop("重复案卷撤销合并"),
    duplicates.KEEP_SEPARATE: gettext_noop("保持独立"),
}
LIGHT_COLORS = {Light.GREEN: "#2e7d32", Light.AMBER: "#f59e0b", Light.RED: "#c62828"}
CONFLICT_MESSAGE = gettext_noop("案卷已被他人处理，请刷新后重试。")


def _unit_label(value: str) -> str:
    """A time unit's name in the active language ("" or the raw value when unknown)."""
    return str(TimeUnit(value).label) if value in TimeUnit.values else value


# ---- forms built from the transition table ------------------------------------------------


@dataclass
class Option:
    value: str
    label: str
    selected: bool = False


@dataclass
class FieldView:
    name: str
    label: str
    kind: str  # textarea | number | select | text | checkbox
    required: bool
    value: str = ""
    options: list[Option] = field(default_factory=list)
    error: str = ""


@dataclass
class FormView:
    name: str
    label: str
    fields: list[FieldView]
    error: str = ""
    # Moves that turn a case away (作废, 驳回, 回退, 返工) are drawn apart from the main one,
    # folded until opened (or until a post of theirs came back with an error).
    tone: str = "primary"
    open: bool = False
    photos: bool = False  # the move takes photos along (处置完毕 with its after photos)
    photo_error: str = ""


# Errors of the photos sent with a move, shown under its file field.
PHOTO_FIELDS = frozenset({"photos", "file", "phase"})

# Moves off the main path (requests, denials, voids, rework): folded under the main move.
SIDE_MOVES = frozenset(
    {
        "request_void",
        "void",
        "deny_void",
        "verify_reject",
        "request_return",
        "deny_return",
        "request_extension",
        "deny_extension",
        "request_suspend",
        "deny_suspend",
        "check_fail",
        "rework",
        # Merging by number; the candidates panel merges with one click.
        "merge",
    }
)


def _inspectors(case: Case) -> list[User]:
    return queries.inspector_candidates(case)


def _departments(case: Case) -> list[Department]:
    return queries.department_candidates(case)


def _field(case: Case, spec: Input, value: str, choices: dict[str, list[Any]]) -> FieldView:
    view = FieldView(spec.name, gettext(spec.label), "textarea", spec.required, value)
    if spec.kind in ("decimal", "int"):
        view.kind = "number"
    elif spec.kind == "case":
        view.kind = "text"
    elif spec.kind == "flag":
        view.kind = "checkbox"
    elif spec.kind == "choice":
        view.kind = "select"
        view.options = [Option(c, _unit_label(c), c == value) for c in spec.choices]
    elif spec.kind == "user":
        view.kind = "select"
        # The inspector who reported the case knows the spot best: offered first for checks.
        value = value or (str(case.reporter_id) if case.reporter_id else "")
        view.options = [
            Option(
                str(u.pk),
                gettext("%(user)s（%(division)s）") % {"user": u, "division": u.division.name}
                if u.division
                else str(u),
                str(u.pk) == value,
            )
            for u in choices["user"]
        ]
    elif spec.kind == "department":
        view.kind = "select"
        chosen = value or (
            str(case.suggested_department_id) if case.suggested_department_id else ""
        )
        view.options = [
            Option(
                str(d.pk),
                gettext("%(name)s（建议）") % {"name": d.name}
                if d.pk == case.suggested_department_id
                else d.name,
                str(d.pk) == chosen,
            )
            for d in choices["department"]
        ]
    return view


def _forms(
    case: Case,
    allowed: list[Transition],
    *,
    failed: str = "",
    values: dict[str, str] | None = None,
    error: ActionError | None = None,
) -> list[FormView]:
    kinds = {spec.kind for t in allowed for spec in t.inputs}
    choices: dict[str, list[Any]] = {
        "user": _inspectors(case) if "user" in kinds else [],
        "department": _departments(case) if "department" in kinds else [],
    }
    forms = []
    for t in allowed:
        typed = (values or {}) if t.name == failed else {}
        fields = [_field(case, spec, typed.get(spec.name, ""), choices) for spec in t.inputs]
        form = FormView(
            t.name,
            gettext(t.label),
            fields,
            tone="secondary" if t.name in SIDE_MOVES else "primary",
            photos=bool(t.photo_phase),
        )
        form.open = t.name == failed
        if t.name == failed and error is not None:
            named = next((f for f in fields if f.name == error.field), None)
            if named is not None:
                named.error = error.message
            elif form.photos and error.field in PHOTO_FIELDS:
                form.photo_error = error.message
            else:
                form.error = error.message
        forms.append(form)
    return forms


# ---- timeline and stage clocks ------------------------------------------------------------


def _duration(seconds: float, unit: str, cal: WorkCalendar) -> str:
    """ "1 工作日 3 工作时" / "5 工作时 20 分" / "26 小时 5 分", on the stage's own clock."""
    minutes = int(max(seconds, 0) // 60)

    def work_hours(n: int) -> str:
        return ngettext("%(n)s 工作时", "%(n)s 工作时", n) % {"n": n}

    if unit == TimeUnit.WORK_DAYS:
        per_day = max(cal.work_seconds_per_day // 60, 1)
        days, rest = divmod(minutes, per_day)
        hours = rest // 60
        parts = [ngettext("%(n)s 工作日", "%(n)s 工作日", days) % {"n": days}] if days else []
        if hours or not days:
            parts.append(work_hours(hours))
        return " ".join(parts)
    hours, mins = divmod(minutes, 60)
    if unit != TimeUnit.WORK_HOURS and hours >= 24:
        days, hours = divmod(hours, 24)
        parts = [ngettext("%(n)s 天", "%(n)s 天", days) % {"n": days}]
        if hours:
            parts.append(ngettext("%(n)s 小时", "%(n)s 小时", hours) % {"n": hours})
        return " ".join(parts)
    parts = []
    if hours:
        parts.append(
            work_hours(hours)
            if unit == TimeUnit.WORK_HOURS
            else ngettext("%(n)s 小时", "%(n)s 小时", hours) % {"n": hours}
        )
    if mins or not hours:
        parts.append(ngettext("%(n)s 分", "%(n)s 分", mins) % {"n": mins})
    return " ".join(parts)


@dataclass
class StageView:
    record: CaseStageRecord
    label: str
    limit: str
    elapsed: str
    light: Light
    status: str  # 按时 | 超期 | 进行中 | 已超期 | 挂账中 (a stable key; the page translates it)
    overdue: bool


def _stages(
    records: list[CaseStageRecord], cal: WorkCalendar, now: datetime, *, merged: bool = False
) -> list[StageView]:
    views = []
    for r in records:
        # A suspended stage is judged where its clock stopped.
        judged = r.finished_at or r.paused_at or now
        elapsed, _allowed = queries.record_times(r, judged, cal)
        light = queries.record_light(r, judged, cal=cal)
        overdue = judged > r.due_at
        if r.finished_at is not None:
            status = gettext_noop("超期") if overdue else gettext_noop("按时")
        elif r.paused_at is not None:
            # The clock of a merged duplicate stands still as a suspended one's does.
            status = gettext_noop("已合并暂停") if merged else gettext_noop("挂账中")
        else:
            status = gettext_noop("已超期") if overdue else gettext_noop("进行中")
        views.append(
            StageView(
                record=r,
                label=r.get_stage_display(),
                limit=deadlines.Limit(r.limit_amount, r.limit_unit).label,
                elapsed=_duration(elapsed, r.limit_unit, cal),
                light=light,
                status=status,
                overdue=overdue,
            )
        )
    return views


@dataclass
class EventView:
    event: CaseEvent
    label: str
    actor: str
    role: str
    states: str  # "待派遣 → 待接收", empty when the state stayed
    details: list[str]


def _extension_text(amount: object, unit: str) -> str:
    return gettext("申请延长 %(amount)s %(unit)s") % {"amount": amount, "unit": _unit_label(unit)}


def _event_details(event: CaseEvent) -> list[str]:
    data = event.data or {}
    details = []
    if data.get("department"):
        details.append(gettext("处置部门：%(name)s") % {"name": data["department"]})
        if data.get("overrode_suggestion"):
            details.append(gettext("（未采用建议部门）"))
    if data.get("inspector"):
        details.append(gettext("监督员：%(name)s") % {"name": data["inspector"]})
    if data.get("amount") and data.get("unit"):
        details.append(_extension_text(data["amount"], data["unit"]))
    if data.get("new_due"):
        new_due = timezone.localtime(datetime.fromisoformat(data["new_due"]))
        details.append(gettext("新时限 %(due)s") % {"due": f"{new_due:%Y-%m-%d %H:%M}"})
    if event.transition in ("photo", "photo_removed") and data.get("phase"):
        details.append(str(CasePhoto.Phase(data["phase"]).label))
    if data.get("into"):
        details.append(gettext("合并到 %(number)s") % {"number": data["into"]})
    if data.get("from"):
        details.append(gettext("原合并到 %(number)s") % {"number": data["from"]})
    if data.get("case"):
        details.append(gettext("案卷 %(number)s") % {"number": data["case"]})
    if data.get("other"):
        details.append(gettext("与 %(number)s 不是同一问题") % {"number": data["other"]})
    return details


def _state_change(event: CaseEvent) -> str:
    if not event.from_state or event.from_state == event.to_state:
        return ""
    return f"{State(event.from_state).label} → {State(event.to_state).label}"


def _events(events: list[CaseEvent]) -> list[EventView]:
    views = []
    for e in events:
        t = TRANSITIONS.get(e.transition)
        views.append(
            EventView(
                event=e,
                label=gettext(t.label if t else EVENT_LABELS.get(e.transition, e.transition)),
                actor=str(e.actor) if e.actor else gettext("系统"),
                role=e.actor.role_label if e.actor else "",
                states=_state_change(e),
                details=_event_details(e),
            )
        )
    return views


# ---- the page -----------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return acting_user(request)


def _case_or_404(user: User, number: str) -> Case:
    try:
        return queries.case_detail(user, number)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _photo_phases(user: User, case: Case) -> list[tuple[str, str]]:
    """The photo phases this user may add to this case now."""
    if case.state in FINAL_STATES:
        return []
    phases = []
    for value, label in CasePhoto.Phase.choices:
        try:
            photo_actions._check_uploader(user, case, value)
        except PermissionDenied:
            continue
        phases.append((value, str(label)))
    return phases


def _page(
    request: HttpRequest,
    case: Case,
    *,
    status: int = 200,
    failed: str = "",
    values: dict[str, str] | None = None,
    error: ActionError | None = None,
    notice: str = "",
    photo_error: str = "",
) -> HttpResponse:
    user = _user(request)
    now = timezone.now()
    cal = deadlines.calendar()
    light = queries.light(case, now, cal=cal)
    allowed = engine.allowed_transitions(user, case)
    forms = _forms(case, allowed, failed=failed, values=values, error=error)
    photos = list(case.photos.order_by("phase", "id"))
    allowed_names = {t.name for t in allowed}
    map_data = {
        "point": [case.lat, case.lon],
        "grid": {"type": "Feature", "geometry": case.grid.geometry, "properties": {}},
        "tileUrl": settings.TILE_URL,
        "color": LIGHT_COLORS.get(light, "#1565c0") if light else "#1565c0",
    }
    # What the user wrote by hand (not picked from a list) is shown back on a conflict.
    typed = [
        (gettext(spec.label), (values or {}).get(spec.name, ""))
        for spec in (TRANSITIONS[failed].inputs if failed in TRANSITIONS else ())
        if spec.kind in ("text", "decimal") and (values or {}).get(spec.name, "").strip()
    ]
    context = {
        "case": case,
        "light": light,
        "countdown": countdown_text(case.stage_due_at, case.stage_unit, now, cal)
        if case.stage_due_at is not None
        else "",
        "contact_phone": queries.contact_phone_for(user, case),
        "pending": _pending_request(case),
        "events": _events(queries.timeline(user, case.number)),
        "stages": _stages(queries.stage_records(case), cal, now, merged=case.state == State.MERGED),
        "forms": forms,
        # The main moves first: on a phone they are the ones within thumb reach.
        "main_forms": [f for f in forms if f.tone == "primary"],
        "side_forms": [f for f in forms if f.tone != "primary"],
        "read_only": not allowed,
        "photos_before": [p for p in photos if p.phase == CasePhoto.Phase.BEFORE],
        "photos_after": [p for p in photos if p.phase == CasePhoto.Phase.AFTER],
        "photo_phases": _photo_phases(user, case),
        "removable": _removable(user, case, photos),
        "photo_error": photo_error,
        "map_data": map_data,
        "notice": notice,
        "conflict_message": gettext(CONFLICT_MESSAGE),
        "typed": typed,
        "error": error if error is not None and not failed else None,
        **_duplicates_context(user, case, "merge" in allowed_names, light),
    }
    return render(request, "cases/detail.html", context, status=status)


def _duplicates_context(
    user: User, case: Case, can_merge: bool, light: Light | None
) -> dict[str, Any]:
    """The candidates panel (a case still in a mergeable state), the case a merged case
    follows, and the duplicates merged into this one."""
    context: dict[str, Any] = {
        "can_merge": can_merge,
        "merged_into": queries.final_case(case) if case.merged_into_id else None,
        "merged_cases": queries.merged_cases(user, case),
        "show_duplicates": case.state in MERGE_SOURCES,
    }
    if not context["show_duplicates"]:
        return context
    window = duplicates.window_for(case.type)
    found = duplicates.candidates(user, case)
    context.update(
        duplicates=found,
        duplicate_window=window,
        duplicates_map={
            "point": [case.lat, case.lon],
            "radius": window.radius_m,
            "tileUrl": settings.TILE_URL,
            "color": LIGHT_COLORS.get(light, "#1565c0") if light else "#1565c0",
            "candidates": [
                {
                    "number": c.case.number,
                    "title": c.case.title,
                    "point": [c.case.lat, c.case.lon],
                    "label": str(i),
                    "distance": round(c.distance_m),
                }
                for i, c in enumerate(found, start=1)
            ],
        },
    )
    return context


def _removable(user: User, case: Case, photos: list[CasePhoto]) -> set[int]:
    """The photos this user may remove now (their own, or any for 受理员 / 值班长)."""
    if case.state in FINAL_STATES:
        return set()
    if has_role(user, photo_actions.REMOVE_ROLES):
        return {p.pk for p in photos}
    return {p.pk for p in photos if p.uploaded_by_id == user.pk}


def _pending_request(case: Case) -> str:
    request = case.pending_request or {}
    if request.get("kind") == "extension":
        return _extension_text(request.get("amount"), request.get("unit", ""))
    return ""


@login_required
@require_GET
def case_page(request: HttpRequest, number: str) -> HttpResponse:
    return _page(request, _case_or_404(_user(request), number))


def _success_message(t: Transition, case: Case) -> str:
    if t.name == "dispatch" and case.department is not None:
        return gettext("已派遣至 %(department)s") % {"department": case.department.name}
    if t.name in ("send_verify", "send_check") and case.assignee is not None:
        return gettext("已%(action)s给 %(assignee)s") % {
            "action": gettext(t.label),
            "assignee": case.assignee,
        }
    return gettext("%(action)s：已完成，案卷当前状态为“%(state)s”。") % {
        "action": gettext(t.label),
        "state": case.get_state_display(),
    }


@login_required
@require_POST
def transition(request: HttpRequest, number: str, name: str) -> HttpResponse:
    user = _user(request)
    t = TRANSITIONS.get(name)
    if t is None:
        raise Http404(gettext("未知的操作。"))
    values = {spec.name: request.POST.get(spec.name, "") for spec in t.inputs}
    raw_version = request.POST.get("version", "")
    version = int(raw_version) if is_ascii_digits(raw_version) else None
    photos = [
        # One byte past the limit is enough for the action to refuse a file.
        photo_actions.Upload(
            f.name or "", f.read(photo_actions.MAX_PHOTO_BYTES + 1), f.content_type or ""
        )
        for f in request.FILES.getlist("photos")
        if f.size
    ]
    try:
        case = actions.transition(user, number, name, version=version, inputs=values, photos=photos)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except Conflict as exc:
        # Show the case as it is now; the typed text is kept on the page.
        current = _case_or_404(user, number)
        return _page(request, current, status=409, failed=name, values=values, notice=exc.message)
    except PermissionDenied as exc:
        current = _case_or_404(user, number)
        return _page(request, current, status=403, error=exc)
    except ActionError as exc:
        current = _case_or_404(user, number)
        return _page(request, current, status=400, failed=name, values=values, error=exc)
    messages.success(request, _success_message(t, case))
    return redirect("cases:detail", number=case.number)


@login_required
@require_POST
def upload_photo(request: HttpRequest, number: str) -> HttpResponse:
    user = _user(request)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise InvalidInput("required", gettext("请选择要上传的照片。"), "file")
        photo_actions.add_photo(
            user,
            number,
            phase=request.POST.get("phase", ""),
            filename=upload.name or "",
            # One byte past the limit is enough for the action to refuse the file.
            content=upload.read(photo_actions.MAX_PHOTO_BYTES + 1),
            content_type=upload.content_type or "",
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ActionError as exc:
        current = _case_or_404(user, number)
        return _page(request, current, status=exc.status, photo_error=exc.message)
    messages.success(request, gettext("照片已上传。"))
    return redirect("cases:detail", number=number)


@login_required
@require_POST
def remove_photo(request: HttpRequest, number: str, photo_id: int) -> HttpResponse:
    user = _user(request)
    try:
        photo_actions.remove_photo(user, number, photo_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ActionError as exc:
        current = _case_or_404(user, number)
        return _page(request, current, status=exc.status, photo_error=exc.message)
    messages.success(request, gettext("照片已删除。"))
    return redirect("cases:detail", number=number)


@login_required
@require_GET
def photo(request: HttpRequest, number: str, photo_id: int) -> FileResponse:
    case = _case_or_404(_user(request), number)
    found = case.photos.filter(pk=photo_id).first()
    if found is None:
        raise Http404(gettext("照片不存在。"))
    try:
        stream = found.file.open("rb")
    except OSError as exc:
        # The row outlived its file (a restore without the media): not found, not a crash.
        raise Http404(gettext("照片文件缺失。")) from exc
    response = FileResponse(stream, content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    # Photos of a case are private: no shared cache may keep them.
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def keep_separate(request: HttpRequest, number: str) -> HttpResponse:
    """保持独立: the offered candidate is another problem; it is not offered again."""
    user = _user(request)
    other = request.POST.get("other", "")
    try:
        actions.keep_separate(user, number, other)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ActionError as exc:
        current = _case_or_404(user, number)
        return _page(request, current, status=exc.status, error=exc)
    messages.success(
        request, gettext("已记录：与案卷 %(number)s 不是同一问题。") % {"number": other.strip()}
    )
    return redirect("cases:detail", number=number)
