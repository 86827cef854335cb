"""The command-centre dashboard's figures (大屏): today's KPIs, live cases, heat and rankings.

Everything is read through the case scope rule (`core.scope` on the case's division path)
and aggregated in SQL: a fixed number of queries whatever the number of cases, so the
endpoint the page polls every few seconds stays cheap at a million cases. Only the live
cases drawn on the map are rows, capped at `MAP_LIMIT` (the most urgent first), and their
traffic light is the case pages' own rule (`core.workcalendar.traffic_light` on the
stage columns, as `cases.queries.light` calls it).

The open cases are read through two partial indexes made for this page (cases migration
0010, condition `_open`'s word for word): the live cases walk `case_open_due` in deadline
order, and the counts per grid, type and department read `case_open_scope_counts` alone
(an index-only scan on PostgreSQL). Those three counts are the bulk of a poll's cost; the
page's endpoint shares them for `SNAPSHOT_SECONDS` between every screen of one scope
(`shared=True`), while today's figures and the live cases are read on every poll.

The dashboard is for leaders and the command centre (受理员, 值班长, 派遣员) and
administrators: they read every case of their division subtree. Handlers (department-bound
readers) are refused, so the division rule alone is the whole scope here.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from yiwang.cases import deadlines
from yiwang.cases.models import OPEN_EXCLUDED, Case, CaseEvent, Source, State
from yiwang.core.scope import scope_path, scoped
from yiwang.core.workcalendar import traffic_light
from yiwang.org.models import User
from yiwang.org.permissions import has_role
from yiwang.org.roles import Role

SHANGHAI = ZoneInfo("Asia/Shanghai")
DASHBOARD_ROLES = frozenset(
    {Role.LEADER, Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER, Role.ADMIN}
)
MAP_LIMIT = 1000  # live cases drawn on the map, the nearest deadlines first
TOP_TYPES = 10
TOP_DEPARTMENTS = 10
TOP_GRIDS = 10
REGISTER_MOVES = ("register",)
DISPATCH_MOVES = ("dispatch",)
CLOSE_MOVES = ("close", "self_close")
STATE_LABELS = dict(State.choices)
SOURCE_LABELS = dict(Source.choices)
# How long one scope's open-case counts (per grid, type, department; 在办 and 超期) are shared
# by the screens polling it: the snapshot of a time bucket of this length, so a count shown is
# never older than this. The page says when its counts were taken.
SNAPSHOT_SECONDS = 15


def may_view(user: User) -> bool:
    return has_role(user, DASHBOARD_ROLES)


def _cases(user: User) -> QuerySet[Case]:
    return scoped(Case.objects.all(), user, "division_path")


def _open(user: User) -> QuerySet[Case]:
    # Word for word the partial indexes' condition (cases.models.OPEN_EXCLUDED).
    return _cases(user).exclude(state__in=OPEN_EXCLUDED)


def local_midnight(now: datetime) -> datetime:
    day = now.astimezone(SHANGHAI).date()
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def _rate(part: int, whole: int) -> float | None:
    # No case closed today: no rate (shown as "—"), never 0 % or 100 %.
    return round(part * 100.0 / whole, 1) if whole else None


def today_kpis(user: User, now: datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Today's counts (Asia/Shanghai day) and today's intake by source (2 queries)."""
    start = local_midnight(now)
    by_source = list(
        _cases(user)
        .filter(reported_at__gte=start, reported_at__lte=now)
        .values("source")
        .annotate(n=Count("id"))
        .order_by()
    )
    events = scoped(
        CaseEvent.objects.filter(at__gte=start, at__lte=now), user, "case__division_path"
    )
    on_time = Q(transition__in=CLOSE_MOVES) & (
        Q(case__handle_due_at__isnull=True) | Q(case__handled_at__lte=F("case__handle_due_at"))
    )
    moves = events.aggregate(
        registered=Count("case", distinct=True, filter=Q(transition__in=REGISTER_MOVES)),
        dispatched=Count("case", distinct=True, filter=Q(transition__in=DISPATCH_MOVES)),
        closed=Count("case", distinct=True, filter=Q(transition__in=CLOSE_MOVES)),
        closed_on_time=Count("case", distinct=True, filter=on_time),
    )
    counts = {row["source"]: row["n"] for row in by_source}
    sources = [
        {"key": key, "label": str(label), "count": counts.get(key, 0)}
        for key, label in Source.choices
    ]
    kpis = {
        "reported": sum(counts.values()),
        "registered": moves["registered"],
        "dispatched": moves["dispatched"],
        "closed": moves["closed"],
        "closed_on_time": moves["closed_on_time"],
        "on_time_rate": _rate(moves["closed_on_time"], moves["closed"]),
    }
    return kpis, sources


def _grids(user: User, now: datetime) -> list[dict[str, Any]]:
    rows = (
        _open(user)
        .values("grid__code", "grid__name")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(stage_due_at__lt=now)))
        .order_by()
    )
    return [
        {
            "code": r["grid__code"] or "",
            "name": r["grid__name"] or "",
            "open": r["open"],
            "overdue": r["overdue"],
        }
        for r in rows
    ]


def _types(user: User) -> list[dict[str, Any]]:
    rows = (
        _open(user)
        .values("type__code", "type__name")
        .annotate(n=Count("id"))
        .order_by("-n", "type__code")[:TOP_TYPES]
    )
    return [{"code": r["type__code"], "name": r["type__name"], "count": r["n"]} for r in rows]


def _departments(user: User, now: datetime) -> list[dict[str, Any]]:
    rows = (
        _open(user)
        .filter(department__isnull=False)
        .values("department_id", "department__name")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(stage_due_at__lt=now)))
        .order_by()
    )
    return [
        {"name": r["department__name"], "open": r["open"], "overdue": r["overdue"]} for r in rows
    ]


def live_cases(user: User, now: datetime) -> tuple[list[dict[str, Any]], bool]:
    """Open cases whose stage clock runs, nearest deadline first, with their light.

    Plain rows, not model instances (a thousand of those cost ~30 ms a poll); the light is
    the rule `cases.queries.light` applies to a case, called with the same columns.
    """
    cal = deadlines.calendar()
    # Translated once a poll, not once a case (a lazy label costs ~17 µs each time).
    state_labels = {key: str(label) for key, label in STATE_LABELS.items()}
    rows = list(
        _open(user)
        .filter(stage_due_at__isnull=False)
        .order_by("stage_due_at", "id")
        .values_list(
            "number",
            "title",
            "lon",
            "lat",
            "state",
            "stage_started_at",
            "stage_due_at",
            "stage_unit",
            "stage_suspended_seconds",
            "type__name",
        )[: MAP_LIMIT + 1]
    )
    truncated = len(rows) > MAP_LIMIT
    out = []
    for number, title, lon, lat, state, started, due, unit, suspended, type_name in rows[
        :MAP_LIMIT
    ]:
        light = ""
        if started is not None and due is not None and unit:
            light = traffic_light(
                started,
                due,
                now,
                calendar=cal,
                unit=unit,  # type: ignore[arg-type]  # a stored TimeUnit value
                suspended_seconds=suspended,
            ).value
        out.append(
            {
                "number": number,
                "title": title,
                "lon": lon,
                "lat": lat,
                "state": state_labels.get(state, state),
                "type": type_name,
                "light": light,
                "due": timezone.localtime(due, SHANGHAI).strftime("%m-%d %H:%M"),
            }
        )
    return out, truncated


def open_counts(user: User, now: datetime) -> dict[str, Any]:
    """The open cases per grid, per type and per department at `now` (3 queries)."""
    return {
        "at": now,
        "grids": _grids(user, now),
        "types": _types(user),
        "departments": _departments(user, now),
    }


def shared_open_counts(user: User, now: datetime) -> dict[str, Any]:
    """`open_counts` as taken by the first poll of this scope in the current time bucket.

    Keyed by the scope's division path (what the counts depend on: the dashboard's readers
    are bound by division alone) and the bucket of `SNAPSHOT_SECONDS` that `now` falls in,
    so the snapshot is never older than that, and every screen of one scope shares it.
    """
    prefix = scope_path(user)
    if prefix is None:
        return open_counts(user, now)
    bucket = int(now.timestamp()) // SNAPSHOT_SECONDS
    key = f"reports:dashboard:open-counts:{prefix}:{bucket}"
    counts: dict[str, Any] | None = cache.get(key)
    if counts is None:
        counts = open_counts(user, now)
        # The key names its bucket and is never read after it; the timeout only clears it.
        cache.set(key, counts, 2 * SNAPSHOT_SECONDS)
    return counts


def dashboard(user: User, *, now: datetime | None = None, shared: bool = False) -> dict[str, Any]:
    """All the page's figures in one answer (a fixed number of queries, whatever the cases).

    With `shared`, the open-case counts are this scope's snapshot of the current time bucket
    (`shared_open_counts`, `counts_at` says when it was taken); today's figures and the live
    cases are read now either way.
    """
    now = now or timezone.now()
    kpis, sources = today_kpis(user, now)
    counts = shared_open_counts(user, now) if shared else open_counts(user, now)
    grids, departments = counts["grids"], counts["departments"]
    cases, truncated = live_cases(user, now)
    kpis["open"] = sum(g["open"] for g in grids)
    kpis["overdue"] = sum(g["overdue"] for g in grids)
    lights = {"green": 0, "amber": 0, "red": 0}
    for case in cases:
        if case["light"]:
            lights[case["light"]] += 1
    located = [g for g in grids if g["code"]]
    worst = sorted(located, key=lambda g: (-g["overdue"], -g["open"], g["code"]))[:TOP_GRIDS]
    by_open = sorted(departments, key=lambda d: (-d["open"], d["name"]))[:TOP_DEPARTMENTS]
    overdue = sorted(
        (d for d in departments if d["overdue"]), key=lambda d: (-d["overdue"], d["name"])
    )[:TOP_DEPARTMENTS]
    return {
        "generated_at": timezone.localtime(now, SHANGHAI).isoformat(timespec="seconds"),
        "counts_at": timezone.localtime(counts["at"], SHANGHAI).isoformat(timespec="seconds"),
        "day": local_midnight(now).date().isoformat(),
        "kpi": kpis,
        "lights": lights,
        "cases": cases,
        "cases_truncated": truncated,
        "grids": sorted(located, key=lambda g: g["code"]),
        "worst_grids": worst,
        "sources": sources,
        "types": counts["types"],
        "departments": by_open,
        "overdue_departments": overdue,
    }


def refresh_seconds(value: str | None, default: int, *, minimum: float = 0.05) -> float:
    """The page's refresh interval from `?refresh=` (tests use a very short one)."""
    try:
        seconds = float(value) if value else float(default)
    except ValueError:
        seconds = float(default)
    if seconds != seconds or seconds <= 0:  # NaN or not positive
        seconds = float(default)
    return max(seconds, minimum)
