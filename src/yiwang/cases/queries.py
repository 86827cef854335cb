"""The read side of the case loop: scoped lists, worklists, search, detail and timeline.

Every function takes the acting user and starts from `cases(user)`, which limits
rows to the user's division subtree, and a handler's to their department's cases
(`cases.scope`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils import timezone
from django.utils.translation import gettext_noop

from yiwang.cases import deadlines, scope
from yiwang.cases.models import FINAL_STATES, Case, CaseEvent, CaseStageRecord, State
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.workcalendar import Light, WorkCalendar, traffic_light
from yiwang.geo.models import UnitGrid
from yiwang.org.models import Division, User
from yiwang.org.permissions import has_role
from yiwang.org.roles import Role

SHANGHAI = ZoneInfo("Asia/Shanghai")
# What a list row shows (type, grid, street, department). Every join here costs planning
# time on each page view; the detail page adds the rest.
LIST_RELATED = ("type", "grid", "street", "department")
# Long columns no list shows (the detail page loads them); the grid outline can be
# kilobytes per row.
LIST_DEFERRED = ("grid__geometry", "description", "pending_request")
DETAIL_RELATED = ("community", "assignee", "reporter", "component", "suggested_department")
COUNT_CAP = 10_000  # counts above this show as "10000+" so huge lists stay fast


def _listed() -> QuerySet[Case]:
    # Lists never draw the grid polygon; leaving it out keeps wide exports and pages light.
    return Case.objects.select_related(*LIST_RELATED).defer(*LIST_DEFERRED)


def cases(user: User) -> QuerySet[Case]:
    return scope.in_scope(_listed(), user)


def case_detail(user: User, number: str) -> Case:
    case = (
        cases(user)
        .defer(None)  # the detail page draws the grid outline
        .select_related(*DETAIL_RELATED)
        .filter(number=number)
    )
    found = case.first()
    if found is None:
        raise NotFound("case_not_found", f"案卷 {number} 不存在或不在您的管辖范围内。", "number")
    return found


def timeline(user: User, number: str) -> list[CaseEvent]:
    case = case_detail(user, number)
    return list(CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "id"))


def stage_records(case: Case) -> list[CaseStageRecord]:
    return list(case.stages.order_by("started_at", "id"))


# ---- merged duplicates ----------------------------------------------------------------------

# More hops than a chain can have (the engine refuses chains): only bad data gets this far.
_MAX_MERGE_HOPS = 10


def final_case(case: Case) -> Case:
    """The case that carries the result for `case`: itself, or the case it was merged into.

    Not scoped: the caller already holds `case` (a staff page read it through `cases`, a
    public status page through its tracking code) and may show the result of the case
    that answers for it. Follows `merged_into` to its end, stopping at a repeat.
    """
    seen = {case.pk}
    for _ in range(_MAX_MERGE_HOPS):
        if case.merged_into_id is None:
            break
        target = Case.objects.select_related("type").filter(pk=case.merged_into_id).first()
        if target is None or target.pk in seen:
            break
        seen.add(target.pk)
        case = target
    return case


def merged_cases(user: User, case: Case) -> list[Case]:
    """The duplicates merged into this case that the user may see, oldest report first."""
    return list(
        scope.in_scope(Case.objects.all(), user)
        .filter(merged_into_id=case.pk)
        .select_related("reporter")
        .only(
            "pk",
            "number",
            "title",
            "source",
            "reported_at",
            "reporter__username",
            "reporter__display_name",
            "reporter__role",
        )
        .order_by("reported_at", "id")
    )


def merge_targets(rows: list[Case]) -> dict[int, str]:
    """For the merged cases among `rows`: case id → number of the case it was merged into.

    One query for a whole page (none when no row is merged), instead of a join on every
    list query.
    """
    wanted = {c.merged_into_id for c in rows if c.merged_into_id is not None}
    if not wanted:
        return {}
    numbers = dict(Case.objects.filter(pk__in=wanted).values_list("pk", "number"))
    return {
        c.pk: numbers[c.merged_into_id]
        for c in rows
        if c.merged_into_id is not None and c.merged_into_id in numbers
    }


# ---- worklists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Worklist:
    key: str
    label: str
    roles: frozenset[str]
    states: tuple[str, ...]
    mine: str = ""  # "assignee": tasks given to me; "department": my department's cases


# Labels are plain str; gettext_noop lists them for makemessages, the pages translate them.
WORKLISTS: tuple[Worklist, ...] = (
    Worklist("to_accept", gettext_noop("待受理"), frozenset({Role.OPERATOR}), (State.REPORTED,)),
    Worklist(
        "to_send_verify",
        gettext_noop("待派发核实"),
        frozenset({Role.OPERATOR}),
        (State.PENDING_VERIFY,),
    ),
    Worklist(
        "to_send_check", gettext_noop("待派发核查"), frozenset({Role.OPERATOR}), (State.HANDLED,)
    ),
    Worklist(
        "to_register",
        gettext_noop("待立案"),
        frozenset({Role.SHIFT_LEAD}),
        (State.PENDING_REGISTER,),
    ),
    Worklist(
        "to_close", gettext_noop("待结案"), frozenset({Role.SHIFT_LEAD}), (State.PENDING_CLOSE,)
    ),
    Worklist(
        "void_requests",
        gettext_noop("作废审批"),
        frozenset({Role.SHIFT_LEAD}),
        (State.VOID_REQUESTED,),
    ),
    Worklist(
        "to_dispatch",
        gettext_noop("待派遣"),
        frozenset({Role.DISPATCHER}),
        (State.PENDING_DISPATCH,),
    ),
    Worklist(
        "return_requests",
        gettext_noop("回退审批"),
        frozenset({Role.DISPATCHER}),
        (State.RETURN_REQUESTED,),
    ),
    Worklist(
        "extension_requests",
        gettext_noop("延期审批"),
        frozenset({Role.DISPATCHER}),
        (State.EXTENSION_REQUESTED,),
    ),
    Worklist(
        "suspend_requests",
        gettext_noop("挂账审批"),
        frozenset({Role.DISPATCHER}),
        (State.SUSPEND_REQUESTED,),
    ),
    Worklist("suspended", gettext_noop("已挂账"), frozenset({Role.DISPATCHER}), (State.SUSPENDED,)),
    Worklist(
        "to_handle",
        gettext_noop("待处置"),
        frozenset({Role.HANDLER}),
        (State.DISPATCHED, State.HANDLING),
        mine="department",
    ),
    Worklist(
        "my_requests",
        gettext_noop("待审批申请"),
        frozenset({Role.HANDLER}),
        (State.RETURN_REQUESTED, State.EXTENSION_REQUESTED, State.SUSPEND_REQUESTED),
        mine="department",
    ),
    Worklist(
        "verify_tasks",
        gettext_noop("核实任务"),
        frozenset({Role.INSPECTOR}),
        (State.VERIFYING,),
        "assignee",
    ),
    Worklist(
        "check_tasks",
        gettext_noop("核查任务"),
        frozenset({Role.INSPECTOR}),
        (State.CHECKING,),
        "assignee",
    ),
    Worklist(
        "open_cases",
        gettext_noop("在办案卷"),
        frozenset({Role.LEADER}),
        tuple(s for s in State.values if s not in FINAL_STATES),
    ),
)
WORKLISTS_BY_KEY = {w.key: w for w in WORKLISTS}


def worklists_for(user: User) -> list[Worklist]:
    if user.is_superuser:
        return [w for w in WORKLISTS if not w.mine]
    return [w for w in WORKLISTS if user.role in w.roles]


def worklist(user: User, key: str) -> QuerySet[Case]:
    """The cases waiting on this user in one worklist, most urgent (earliest due) first."""
    wl = WORKLISTS_BY_KEY.get(key)
    if wl is None or not (user.is_superuser or has_role(user, wl.roles)):
        raise NotFound("worklist_not_found", "没有这个工作清单。", "key")
    if wl.mine == "department":
        # The department's current cases are in its scope by definition: no need to read
        # the dispatch history, and the (department, stage_due_at) index serves alone.
        if not user.department_id:
            return Case.objects.none()
        qs = scope.in_division(_listed(), user).filter(department_id=user.department_id)
    else:
        qs = cases(user)
    qs = qs.filter(state__in=wl.states)
    if wl.mine == "assignee":
        qs = qs.filter(assignee=user)
    return qs.order_by("stage_due_at", "id")


def worklist_counts(user: User) -> dict[str, int]:
    return {w.key: capped_count(worklist(user, w.key)) for w in worklists_for(user)}


def capped_count(qs: QuerySet[Case]) -> int:
    """Exact up to COUNT_CAP, then COUNT_CAP + 1 (shown as "10000+")."""
    # Without the list's joins: counting 10,001 rows need not read six other tables.
    return qs.select_related(None).order_by().values("pk")[: COUNT_CAP + 1].count()


# ---- search ---------------------------------------------------------------------------------

# Cases without a running clock (closed, voided, suspended) sort after the others on
# both databases (SQLite would put NULLs first, PostgreSQL last).
SORTS: dict[str, str | OrderBy] = {
    "reported": "-reported_at",
    "-reported": "reported_at",
    "due": F("stage_due_at").asc(nulls_last=True),
    "-due": F("stage_due_at").desc(nulls_last=True),
    "number": "number",
}


# The longest free-text search term (title or address contains it), pages and API alike.
SEARCH_TEXT_MAX_LENGTH = 50


@dataclass
class SearchFilters:
    number: str = ""
    type_code: str = ""
    kind: str = ""
    state: str = ""
    grid: str = ""
    street: str = ""
    department: int | None = None
    source: str = ""
    date_from: date | None = None
    date_to: date | None = None
    overdue: bool = False
    q: str = ""
    sort: str = "reported"


def _local_midnight(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=SHANGHAI)


def _id_of(model: Any, code: str) -> int | None:
    """The row id for a code; None (matching nothing) for an unknown code."""
    return model.objects.filter(code=code).values_list("pk", flat=True).first()  # type: ignore[no-any-return]


def search(user: User, f: SearchFilters, *, now: datetime | None = None) -> QuerySet[Case]:
    qs = cases(user)
    if f.number:
        qs = qs.filter(number__startswith=f.number.strip().upper())
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.type_code:
        qs = qs.filter(type__code=f.type_code)
    if f.state:
        if f.state not in State.values:
            raise InvalidInput("bad_state", f"未知的状态：{f.state}", "state")
        qs = qs.filter(state=f.state)
    # Codes are resolved to ids first so the planner sees the real value (and its row
    # count) instead of a join, and can walk the (street, state, reported_at) index.
    if f.grid:
        qs = qs.filter(grid_id=_id_of(UnitGrid, f.grid))
    if f.street:
        qs = qs.filter(street_id=_id_of(Division, f.street))
    if f.department:
        qs = qs.filter(department_id=f.department)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise InvalidInput("bad_date_range", "开始日期不能晚于结束日期。", "date_from")
    if f.date_from:
        qs = qs.filter(reported_at__gte=_local_midnight(f.date_from))
    if f.date_to:
        qs = qs.filter(reported_at__lt=_local_midnight(f.date_to + timedelta(days=1)))
    if f.overdue:
        qs = qs.filter(stage_due_at__lt=now or timezone.now()).exclude(state__in=list(FINAL_STATES))
    if f.q:
        # icontains: the same answer on both databases (LIKE is case-blind on SQLite only).
        qs = qs.filter(Q(title__icontains=f.q) | Q(address__icontains=f.q))
    if f.sort not in SORTS:
        raise InvalidInput("bad_sort", "不支持的排序方式。", "sort")
    return qs.order_by(SORTS[f.sort], "-id")


# ---- presentation helpers -------------------------------------------------------------------


def light(
    case: Case, now: datetime | None = None, *, cal: WorkCalendar | None = None
) -> Light | None:
    """Green / amber / red for the case's running stage (None when no clock runs).

    List callers pass `cal` fetched once: `deadlines.calendar()` costs a query per call.
    """
    if case.stage_due_at is None or case.stage_started_at is None or not case.stage_unit:
        return None
    return traffic_light(
        case.stage_started_at,
        case.stage_due_at,
        now or timezone.now(),
        calendar=cal if cal is not None else deadlines.calendar(),
        unit=case.stage_unit,  # type: ignore[arg-type]
        suspended_seconds=case.stage_suspended_seconds,
    )


def record_light(
    record: CaseStageRecord, now: datetime | None = None, *, cal: WorkCalendar | None = None
) -> Light:
    return traffic_light(
        record.started_at,
        record.due_at,
        now or timezone.now(),
        calendar=cal if cal is not None else deadlines.calendar(),
        unit=record.limit_unit,  # type: ignore[arg-type]
        finished_at=record.finished_at,
        suspended_seconds=record.suspended_clock_seconds,
    )


def record_times(
    record: CaseStageRecord, judged: datetime, cal: WorkCalendar
) -> tuple[float, float]:
    """(used, allowed) seconds of a stage stretch on its own clock, suspensions left out."""
    unit = record.limit_unit
    excluded = record.suspended_clock_seconds
    used = max(cal.elapsed(record.started_at, judged, unit) - excluded, 0.0)  # type: ignore[arg-type]
    allowed = cal.elapsed(record.started_at, record.due_at, unit) - excluded  # type: ignore[arg-type]
    return used, allowed


# Roles that call reporters back; everyone else sees the phone number masked.
PHONE_ROLES = frozenset({Role.OPERATOR, Role.SHIFT_LEAD})


def sees_phone_numbers(user: User) -> bool:
    return bool(user.is_superuser or user.role in PHONE_ROLES)


def mask_phone(phone: str) -> str:
    """138****5678: enough to recognise a caller, not enough to call them."""
    if len(phone) <= 4:
        return "*" * len(phone)
    keep = 3 if len(phone) >= 11 else 2
    return phone[:keep] + "*" * (len(phone) - keep - 4) + phone[-4:]


def contact_phone_for(user: User, case: Case) -> str:
    phone = case.contact_phone
    if not phone or sees_phone_numbers(user):
        return phone
    return mask_phone(phone)


# ---- who can take a case ------------------------------------------------------------------


def _enclosing_paths(path: str) -> list[str]:
    """Paths of the division and its ancestors ("440000/", "440000/440300/", …)."""
    parts = [p for p in path.split("/") if p]
    return ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def inspector_candidates(case: Case) -> list[Any]:
    """Active inspectors responsible for the case's place (whose division encloses it),
    nearest first; the engine accepts exactly these for verify and check tasks."""
    from yiwang.org.models import User

    return list(
        User.objects.select_related("division")
        .filter(
            is_active=True,
            role=Role.INSPECTOR,
            division__path__in=_enclosing_paths(case.division_path),
        )
        .order_by("-division__path", "display_name", "username")
    )


def department_candidates(case: Case) -> list[Any]:
    """Active departments whose division encloses the case, nearest first (dispatch targets)."""
    from yiwang.org.models import Department

    return list(
        Department.objects.filter(
            is_active=True, division__path__in=_enclosing_paths(case.division_path)
        ).order_by("-division__path", "name")
    )
