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
page's endpoint (`shared=True`) reads them from a per-scope snapshot in the cache, never older
than `SNAPSHOT_SECONDS`, while today's figures and the live cases are read on every poll.
Each poll marks its scope as watched (`WATCH_SECONDS`), and the worker's periodic job
`refresh_watched` (every `REFRESH_SECONDS`) takes the snapshot of every watched scope ahead
of the polls, so a watched screen's poll finds a fresh one. Without a worker (tests, `yiwang
demo`), or when it falls behind, the poll takes the snapshot itself, one poll per scope at a
time (`cache.add` as a lock): the others wait for its result.

The dashboard is for leaders and the command centre (受理员, 值班长, 派遣员) and
administrators: they read every case of their division subtree. Handlers (department-bound
readers) are refused, so the division rule alone is the whole scope here.
"""

from __future__ import annotations

import time as clock
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet, Value, When
from django.db.models import Case as DbCase
from django.utils import timezone

from yiwang.cases import deadlines
from yiwang.cases.models import OPEN_EXCLUDED, Case, CaseEvent, Source, State
from yiwang.core.scope import scope_path, scoped
from yiwang.core.workcalendar import Light, traffic_light
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
# How old one scope's open-case counts (per grid, type, department; 在办 and 超期) may be when
# a poll shows them: an older snapshot is taken again. The page says when its counts were taken.
SNAPSHOT_SECONDS = 15
# The worker's job takes the snapshot of every watched scope this often (settings'
# PERIODIC_TASKS says the same number); the margin to SNAPSHOT_SECONDS absorbs the worker's
# own delay (it looks for due jobs every second) and the job's run time.
REFRESH_SECONDS = 10
# A scope is watched for this long after its last poll (a screen polls every 30 s by default);
# a poll records itself again when its record is older than WATCH_TOUCH_SECONDS, not on every
# poll, so the polls rarely write the list.
WATCH_SECONDS = 180
WATCH_TOUCH_SECONDS = 30
# The lock on taking one scope's snapshot: its holder computes, the other polls of that scope
# wait for the result at most LOCK_WAIT_SECONDS (then compute themselves). The timeout frees
# the lock of a process that died holding it.
LOCK_SECONDS = 10
LOCK_WAIT_SECONDS = 2.0
# A snapshot taken by another process may be stamped slightly after a poll's own clock reading
# (it finished while the poll was starting): still fresh, not from the future.
CLOCK_SKEW_SECONDS = 2
WATCHED_KEY = "reports:dashboard:watched"


def may_view(user: User) -> bool:
    return has_role(user, DASHBOARD_ROLES)


def _cases(user: User) -> QuerySet[Case]:
    return scoped(Case.objects.all(), user, "division_path")


def _open(user: User) -> QuerySet[Case]:
    # Word for word the partial indexes' condition (cases.models.OPEN_EXCLUDED).
    return _cases(user).exclude(state__in=OPEN_EXCLUDED)


def _open_in(prefix: str) -> QuerySet[Case]:
    """The open cases under a division path prefix (`""`: all): `_open` for a scope rather
    than a user, the same SQL (`core.scope.scoped`'s filter, then the indexes' condition)."""
    cases = Case.objects.all()
    if prefix:
        cases = cases.filter(division_path__startswith=prefix)
    return cases.exclude(state__in=OPEN_EXCLUDED)


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


def _grids(open_cases: QuerySet[Case], now: datetime) -> list[dict[str, Any]]:
    rows = (
        open_cases.values("grid__code", "grid__name")
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


def _types(open_cases: QuerySet[Case]) -> list[dict[str, Any]]:
    rows = (
        open_cases.values("type__code", "type__name")
        .annotate(n=Count("id"))
        .order_by("-n", "type__code")[:TOP_TYPES]
    )
    return [{"code": r["type__code"], "name": r["type__name"], "count": r["n"]} for r in rows]


def _departments(open_cases: QuerySet[Case], now: datetime) -> list[dict[str, Any]]:
    rows = (
        open_cases.filter(department__isnull=False)
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
    the rule `cases.queries.light` applies to a case, called with the same columns. Reading
    a timestamp costs ~6 µs in the driver, so a case already past its deadline (red by the
    rule's first test, `now > due`, decided in SQL) comes without its stage start: the first
    thousand by deadline are mostly those in a city with a backlog.
    """
    cal = deadlines.calendar()
    # Translated once a poll, not once a case (a lazy label costs ~17 µs each time).
    state_labels = {key: str(label) for key, label in STATE_LABELS.items()}
    overdue = Q(stage_due_at__lt=now)
    # No `stage_due_at IS NOT NULL` in SQL: the planner takes it as independent of the case
    # being open (nearly every open case has a deadline) and, for a street, expects ~20 times
    # too few rows, so it sorts all the street's open cases (13,000 heap pages, 105-260 ms at
    # 1,000,000 cases) instead of walking `case_open_due` in order (12 ms). The cases without
    # a deadline come last (NULLS LAST, the index's order) and are dropped below.
    rows = list(
        _open(user)
        .order_by(F("stage_due_at").asc(nulls_last=True), "id")
        .annotate(
            _past=ExpressionWrapper(overdue, output_field=BooleanField()),
            _started=ExpressionWrapper(
                Q(stage_started_at__isnull=False), output_field=BooleanField()
            ),
            _start=DbCase(When(overdue, then=Value(None)), default=F("stage_started_at")),
        )
        .values_list(
            "number",
            "title",
            "lon",
            "lat",
            "state",
            "_past",
            "_started",
            "_start",
            "stage_due_at",
            "stage_unit",
            "stage_suspended_seconds",
            "type__name",
        )[: MAP_LIMIT + 1]
    )
    # Those without a deadline follow all those with one: dropping them leaves the first
    # MAP_LIMIT + 1 with a deadline, or all of them.
    rows = [row for row in rows if row[8] is not None]
    truncated = len(rows) > MAP_LIMIT
    out = []
    for row in rows[:MAP_LIMIT]:
        number, title, lon, lat, state, past, started, start, due, unit, suspended, type_name = row
        if due is None:
            continue  # dropped above; for the type checker
        light = ""
        if started and unit:
            if past or start is None:
                light = Light.RED.value
            else:
                light = traffic_light(
                    start,
                    due,
                    now,
                    calendar=cal,
                    unit=unit,  # type: ignore[arg-type]  # a stored TimeUnit value
                    suspended_seconds=suspended,
                ).value
        # Shanghai's offset is fixed; an f-string is a third of strftime's cost.
        local = due.astimezone(SHANGHAI)
        out.append(
            {
                "number": number,
                "title": title,
                "lon": lon,
                "lat": lat,
                "state": state_labels.get(state, state),
                "type": type_name,
                "light": light,
                "due": f"{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}",
            }
        )
    return out, truncated


def open_counts(user: User, now: datetime) -> dict[str, Any]:
    """The open cases per grid, per type and per department at `now` (3 queries)."""
    return _counts_of(_open(user), now)


def _counts_of(open_cases: QuerySet[Case], now: datetime) -> dict[str, Any]:
    return {
        "at": now,
        "grids": _grids(open_cases, now),
        "types": _types(open_cases),
        "departments": _departments(open_cases, now),
    }


def _snapshot_key(prefix: str) -> str:
    return f"reports:dashboard:open-counts:{prefix}"


def _lock_key(prefix: str) -> str:
    return f"reports:dashboard:open-counts-lock:{prefix}"


def _fresh(snapshot: dict[str, Any] | None, now: datetime) -> bool:
    if snapshot is None:
        return False
    age = (now - snapshot["at"]).total_seconds()
    return -CLOCK_SKEW_SECONDS <= age < SNAPSHOT_SECONDS


def _store(prefix: str, counts: dict[str, Any]) -> None:
    # Kept a little longer than it is fresh: a reader checks the age, the timeout only clears.
    cache.set(_snapshot_key(prefix), counts, 2 * SNAPSHOT_SECONDS)


def _watch(prefix: str, now: datetime, watched: dict[str, float] | None) -> None:
    """Record that a screen polls this scope (kept `WATCH_SECONDS`), for the worker's job.

    One cache entry lists the scopes; two polls of different scopes writing it at the same
    moment may lose one record, which the next poll of that scope writes again.
    """
    stamp = now.timestamp()
    watched = watched or {}
    seen = watched.get(prefix)
    if seen is not None and 0 <= stamp - seen < WATCH_TOUCH_SECONDS:
        return
    watched = {p: t for p, t in watched.items() if stamp - t < WATCH_SECONDS}
    watched[prefix] = stamp
    cache.set(WATCHED_KEY, watched, WATCH_SECONDS)


def watched_scopes(now: datetime | None = None) -> list[str]:
    """The division paths polled within the last `WATCH_SECONDS`."""
    stamp = (now or timezone.now()).timestamp()
    watched: dict[str, float] = cache.get(WATCHED_KEY) or {}
    return sorted(p for p, t in watched.items() if stamp - t < WATCH_SECONDS)


def _take(prefix: str, now: datetime) -> dict[str, Any]:
    """Compute and store one scope's snapshot, or wait for the poll or job computing it.

    The lock (`cache.add`) lets one caller per scope compute: Redis and the in-memory cache
    add atomically; the file cache (the default without Redis) only checks then writes, so two
    processes arriving within the same few milliseconds may both compute (never a wrong count,
    only a duplicated one).
    """
    key, lock = _snapshot_key(prefix), _lock_key(prefix)
    if not cache.add(lock, 1, LOCK_SECONDS):
        deadline = clock.monotonic() + LOCK_WAIT_SECONDS
        while clock.monotonic() < deadline:
            clock.sleep(0.02)
            snapshot: dict[str, Any] | None = cache.get(key)
            if _fresh(snapshot, now):
                return snapshot  # type: ignore[return-value]  # _fresh: not None
            if not cache.has_key(lock):
                break  # the holder finished without a fresh snapshot for us, or died
        # Never a count older than promised: compute it here rather than show a stale one.
        counts = _counts_of(_open_in(prefix), now)
        _store(prefix, counts)
        return counts
    try:
        counts = _counts_of(_open_in(prefix), now)
        _store(prefix, counts)
        return counts
    finally:
        cache.delete(lock)


def shared_open_counts(user: User, now: datetime) -> dict[str, Any]:
    """`open_counts` from this scope's snapshot, taken at most `SNAPSHOT_SECONDS` before `now`.

    Keyed by the scope's division path (what the counts depend on: the dashboard's readers
    are bound by division alone), so every screen of one scope shares it. The poll marks the
    scope as watched, so the worker takes the next snapshot before it is needed; a poll that
    finds none fresh takes it (or waits for the one poll of its scope taking it).
    """
    prefix = scope_path(user)
    if prefix is None:
        return open_counts(user, now)
    key = _snapshot_key(prefix)
    found = cache.get_many([key, WATCHED_KEY])
    _watch(prefix, now, found.get(WATCHED_KEY))
    snapshot: dict[str, Any] | None = found.get(key)
    if _fresh(snapshot, now):
        return snapshot  # type: ignore[return-value]  # _fresh: not None
    return _take(prefix, now)


def refresh_watched(now: datetime | None = None) -> int:
    """The worker's job: take the snapshot of every watched scope now; returns how many.

    A scope whose snapshot a poll is taking at this moment (its lock held) is left to it.
    """
    refreshed = 0
    for prefix in watched_scopes(now):
        lock = _lock_key(prefix)
        if not cache.add(lock, 1, LOCK_SECONDS):
            continue
        try:
            _store(prefix, _counts_of(_open_in(prefix), now or timezone.now()))
            refreshed += 1
        finally:
            cache.delete(lock)
    return refreshed


def dashboard(user: User, *, now: datetime | None = None, shared: bool = False) -> dict[str, Any]:
    """All the page's figures in one answer (a fixed number of queries, whatever the cases).

    With `shared`, the open-case counts are this scope's snapshot (`shared_open_counts`,
    `counts_at` says when it was taken, at most `SNAPSHOT_SECONDS` before `generated_at`);
    today's figures and the live cases are read now either way.
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
