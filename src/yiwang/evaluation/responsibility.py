"""Responsibility lists (责任清单, Dongguan's practice): each street's and each department's
open problems, most urgent first, with a summary of counts per street and per department.

An *open problem* is a case that was registered (立案: a confirmed problem on its way to be
fixed) and is not finished: not 已结案, 已作废 or 已合并. A street's list holds the open
problems located in it; a department's list the open problems currently dispatched to it
(its handlers are working on them, or it must accept them). 挂账 cases stay on the list
(the problem is not solved), shown with their state; their clock is stopped.

Urgency order: the running stage's deadline, earliest first (so every overdue case comes
before every case still in time, the longest overdue first), cases without a running clock
(挂账) last, then the oldest report first. The order is SQL, so a page of a long list costs
one indexed query, not a traffic light per case.

Scoped like every case read (`cases.scope.in_scope`): a street leader's lists, counts and
exports hold their street only; a street outside the reader's scope is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from yiwang.cases import deadlines
from yiwang.cases.models import OPEN_EXCLUDED, Case, State
from yiwang.cases.queries import light
from yiwang.cases.scope import in_scope
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.scope import scoped
from yiwang.core.workcalendar import Light
from yiwang.evaluation.queries import READER_ROLES
from yiwang.org.models import Department, Division, User
from yiwang.org.permissions import require_role


@dataclass(frozen=True)
class Choice:
    """What the list is about: a street, a department, or everything in scope."""

    street: Division | None = None
    department: Department | None = None

    @property
    def label(self) -> str:
        if self.street is not None:
            return self.street.name
        if self.department is not None:
            return self.department.name
        return ""


def open_problems(user: User) -> QuerySet[Case]:
    """Every open problem the user may see, most urgent first. Read by the command centre
    and leaders (`READER_ROLES`); handlers have their department's worklist instead."""
    require_role(user, READER_ROLES, "查看责任清单")
    return (
        in_scope(Case.objects.all(), user)
        .filter(registered_at__isnull=False)
        .exclude(state__in=OPEN_EXCLUDED)
        .select_related("type", "street", "department")
        .defer("description", "pending_request")
        .order_by(F("stage_due_at").asc(nulls_last=True), "reported_at", "id")
    )


def streets(user: User) -> QuerySet[Division]:
    """The streets a reader may pick: those in their scope."""
    return scoped(Division.objects.filter(level=Division.Level.STREET), user, "path").order_by(
        "code"
    )


def departments(user: User) -> QuerySet[Department]:
    """The departments a reader may pick: those whose division lies in their scope or
    encloses it (a district department works in every street of the district)."""
    qs = Department.objects.filter(is_active=True).select_related("division")
    scope = user.division.path if user.division is not None else None
    if scope is None:
        return qs.order_by("name") if user.is_superuser else qs.none()
    return qs.filter(
        Q(division__path__startswith=scope) | Q(division__path__in=_enclosing(scope))
    ).order_by("name")


def _enclosing(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def choose(user: User, street_code: str = "", department_id: str = "") -> Choice:
    """The street or department asked for, refused when unknown or out of scope."""
    if street_code and department_id:
        raise InvalidInput("street_or_department", "请选择街道或部门之一", field="street")
    if street_code:
        street = streets(user).filter(code=street_code).first()
        if street is None:
            raise NotFound("street_not_found", "街道不存在或不在您的管辖范围内", field="street")
        return Choice(street=street)
    if department_id:
        if not department_id.isdigit():
            raise InvalidInput("bad_department", "部门编号应为数字", field="department")
        dept = departments(user).filter(pk=int(department_id)).first()
        if dept is None:
            raise NotFound(
                "department_not_found", "部门不存在或不在您的管辖范围内", field="department"
            )
        return Choice(department=dept)
    return Choice()


def problems_of(user: User, choice: Choice) -> QuerySet[Case]:
    qs = open_problems(user)
    if choice.street is not None:
        qs = qs.filter(street_id=choice.street.pk)
    if choice.department is not None:
        qs = qs.filter(department_id=choice.department.pk)
    return qs


@dataclass(frozen=True)
class SummaryRow:
    key: Any
    name: str
    open: int
    overdue: int
    suspended: int
    param: str  # the query string that opens its list ("street=440304001")


def summary(user: User, by: str, now: datetime | None = None) -> list[SummaryRow]:
    """Counts of open problems per street (`by="street"`) or department, one query: 在办
    (open), 超期 (the running stage past its deadline), 挂账 (suspended). Largest first."""
    now = now or timezone.now()
    column = "street_id" if by == "street" else "department_id"
    rows = (
        open_problems(user)
        .filter(**{f"{column}__isnull": False})
        .order_by()
        .values(column)
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=Q(stage_due_at__lt=now) & ~Q(state=State.SUSPENDED)),
            suspended=Count("id", filter=Q(state__in=[State.SUSPENDED, State.SUSPEND_REQUESTED])),
        )
    )
    counts = {row[column]: row for row in rows}
    names: dict[Any, tuple[str, str]]
    if by == "street":
        names = {
            pk: (name, f"street={code}")
            for pk, name, code in Division.objects.filter(pk__in=list(counts)).values_list(
                "pk", "name", "code"
            )
        }
    else:
        names = {
            pk: (name, f"department={pk}")
            for pk, name in Department.objects.filter(pk__in=list(counts)).values_list("pk", "name")
        }
    result = []
    for key, c in counts.items():
        name, param = names.get(key, (str(key), ""))
        result.append(SummaryRow(key, name, c["open"], c["overdue"], c["suspended"], param))
    result.sort(key=lambda r: (-r.open, -r.overdue, r.name))
    return result


@dataclass(frozen=True)
class Line:
    """One problem as the list and the export show it."""

    case: Case
    light: Light | None
    days_open: int


def lines(cases: list[Case], now: datetime | None = None) -> list[Line]:
    """Traffic light and whole days since the report, for the cases of one page."""
    now = now or timezone.now()
    cal = deadlines.calendar()
    return [Line(case, light(case, now, cal=cal), (now - case.reported_at).days) for case in cases]
