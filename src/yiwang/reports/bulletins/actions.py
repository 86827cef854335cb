"""Issuing bulletins: the only write path of `Bulletin` rows.

Every issue writes a new version (1, 2, …) of its (kind, period, division) — a published
version is never rewritten. The next version number is taken under a lock
of the (kind, period, division) held to the end of the writing transaction (an advisory
lock on PostgreSQL; SQLite's writers run one at a time), with the unique constraint
(kind, period_start, division_path, version) behind it: racing issues get one row and one
number each, never a shared or a lost one. The worker's schedule issues each
period once (`issue_due`); people may add versions on demand (`issue_on_demand`).

Which divisions get scheduled bulletins (`bulletin_divisions`): the codes in
settings.BULLETIN_DIVISIONS when it is set; otherwise, for every city (市) holding unit
grids, the smallest city or district (区县) that holds all of that city's grids — a city
running the loop in several districts gets a city bulletin, a city that runs it in one
district (the demo: 福田区) gets that district's; a province node gets one per hosted city.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django_ratelimit.core import get_usage

from yiwang.core import audit, locks
from yiwang.core.errors import (
    ActionError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TooManyRequests,
)
from yiwang.geo.models import UnitGrid
from yiwang.org.models import Division, User
from yiwang.org.permissions import require_role
from yiwang.org.roles import Role
from yiwang.reports.bulletins import common as c
from yiwang.reports.bulletins.build import build
from yiwang.reports.bulletins.content import BulletinContent
from yiwang.reports.models import Bulletin

logger = logging.getLogger(__name__)
ISSUER_ROLES = (Role.LEADER, Role.SHIFT_LEAD, Role.ADMIN)
ISSUE_HOUR = 8  # scheduled bulletins are issued from 08:00 Asia/Shanghai
# How far back a (re)started worker catches up missed scheduled bulletins.
CATCH_UP = {"daily": 7, "weekly": 4, "monthly": 3}
_RETRIES = 5


def _write(
    content: BulletinContent,
    division: Division,
    *,
    by: User | None,
    trigger: str,
    now: datetime,
) -> Bulletin | None:
    """Write the next version; None when a scheduled version of the period exists already."""
    kind, first = content.kind, date.fromisoformat(content.period_start)
    for _attempt in range(_RETRIES):
        try:
            with transaction.atomic():
                # Issues of one period take their numbers one at a time: with only the
                # unique constraint, N racing issues lose N-1 rounds, and more than a few
                # ran out of retries (a 500 on PostgreSQL with 8 at once).
                locks.hold(f"reports.bulletin:{kind}:{first.isoformat()}:{division.path}")
                same = Bulletin.objects.filter(
                    kind=kind, period_start=first, division_path=division.path
                )
                if trigger == Bulletin.Trigger.SCHEDULED and same.filter(trigger=trigger).exists():
                    return None
                latest = same.aggregate(v=Max("version"))["v"] or 0
                bulletin = Bulletin.objects.create(
                    kind=kind,
                    period_start=first,
                    period_end=date.fromisoformat(content.period_end),
                    division_path=division.path,
                    version=latest + 1,
                    trigger=trigger,
                    issued_at=now,
                    issued_by=by,
                    title=content.title,
                    content=content.model_dump(mode="json"),
                )
                audit.record(
                    by,
                    "reports.issue_bulletin",
                    bulletin,
                    f"{content.title}（第{bulletin.version}版）",
                    kind=kind,
                    period_start=content.period_start,
                    division=division.code,
                    version=bulletin.version,
                    trigger=trigger,
                )
                return bulletin
        except IntegrityError:
            # Another issue took this version number (or the period's scheduled slot)
            # between our read and our write: read again.
            continue
    raise IntegrityError("could not take a bulletin version number")


def issue(
    kind: str,
    day: date,
    division: Division,
    *,
    by: User | None = None,
    trigger: str = Bulletin.Trigger.SCHEDULED,
    now: datetime | None = None,
) -> Bulletin | None:
    """Build and write a new version of the `kind` bulletin of the period holding `day`.

    A scheduled issue (trigger ``scheduled``) returns None when the period already has its
    scheduled version; an on-demand one always writes a new version."""
    if kind not in c.KINDS:
        raise InvalidInput("bad_kind", "通报类别应为日盘点、周分析或月通报。", "kind")
    now = now or timezone.now()
    if (
        trigger == Bulletin.Trigger.SCHEDULED
        and Bulletin.objects.filter(
            kind=kind,
            period_start=c.span_of(kind, day).first,
            division_path=division.path,
            trigger=trigger,
        ).exists()
    ):
        return None  # cheap check first: building a monthly bulletin takes seconds
    content = build(kind, division, day, now=now)
    return _write(content, division, by=by, trigger=trigger, now=now)


def issue_on_demand(actor: User, kind: str, day: date, *, now: datetime | None = None) -> Bulletin:
    """A leader, shift lead or administrator issues a new version for their own division."""
    require_role(actor, ISSUER_ROLES, "生成通报")
    now = now or timezone.now()
    if kind not in c.KINDS:
        raise InvalidInput("bad_kind", "通报类别应为日盘点、周分析或月通报。", "kind")
    if not isinstance(day, date) or not 2000 <= day.year <= 2100:
        raise InvalidInput("bad_date", "请填写 2000 年至 2100 年之间的日期。", "day")
    today = now.astimezone(c.SHANGHAI).date()
    span = c.span_of(kind, day)
    if span.first > today:
        raise InvalidInput("future_period", "该统计期尚未开始，不能生成通报。", "day")
    _check_issue_rate(actor)
    division = issuing_division(actor)
    bulletin = issue(kind, day, division, by=actor, trigger=Bulletin.Trigger.ON_DEMAND, now=now)
    assert bulletin is not None  # on demand always writes
    return bulletin


def _check_issue_rate(actor: User) -> None:
    """A monthly bulletin of a big city takes seconds of database time to build: one person
    may issue `settings.BULLETIN_ISSUE_RATE` on demand (django-ratelimit, counted in the
    default cache, per person, fixed windows). The key names the person, so no request is
    needed (django-ratelimit reads the request only for request-based keys and methods)."""
    rate = settings.BULLETIN_ISSUE_RATE
    usage = get_usage(
        None,
        group="reports.bulletins.issue",
        key=lambda _g, _r: str(actor.pk),
        rate=rate,
        increment=True,
    )
    if usage is not None and usage["should_limit"]:
        seconds = max(1, int(usage["time_left"]))
        raise TooManyRequests(
            "rate_limited",
            f"生成通报过于频繁（上限 {rate}），请在 {seconds} 秒后重试。",
            "kind",
            retry_after=seconds,
        )


def issuing_division(actor: User) -> Division:
    """The division a person's bulletins cover: their own; a superuser without one, the
    first scheduled bulletin division."""
    if actor.division_id:
        division = actor.division
        assert division is not None
        return division
    if actor.is_superuser:
        found = bulletin_divisions()
        if found:
            return found[0]
        raise NotFound("no_division", "没有可生成通报的区划（尚无单元网格）。", "kind")
    raise PermissionDenied("no_division", "您的账号未绑定区划，不能生成通报。")


# ---- the schedule ----------------------------------------------------------------------------


def bulletin_divisions() -> list[Division]:
    codes = list(getattr(settings, "BULLETIN_DIVISIONS", ()) or ())
    if codes:
        return list(Division.objects.filter(code__in=codes).order_by("code"))
    # Paths are province/city/district/street/community/: group the grids by city, and
    # for each city take the smallest city or district holding all of its grids.
    paths = UnitGrid.objects.order_by().values_list("division_path", flat=True).distinct()
    common: dict[str, list[str]] = {}
    for path in paths:
        parts = path.strip("/").split("/")
        if len(parts) < 2:
            continue
        city = "/".join(parts[:2])
        if city not in common:
            common[city] = parts[:3]
        else:
            shared = common[city]
            n = 0
            while n < min(len(shared), len(parts)) and shared[n] == parts[n]:
                n += 1
            common[city] = shared[:n]
    wanted = {"/".join(parts) + "/" for parts in common.values()}
    return list(Division.objects.filter(path__in=wanted).order_by("code"))


def due_periods(now: datetime) -> list[tuple[str, date]]:
    """(kind, first day) of every scheduled period due at `now` within the catch-up reach:
    a day from 08:00 the next day, a week from 08:00 on the Monday after, a month from
    08:00 on the 1st after."""
    local = now.astimezone(c.SHANGHAI)
    today = local.date()
    ready = local.time() >= time(ISSUE_HOUR)
    # The newest complete period of each kind whose issuing hour has come.
    last_day = today - timedelta(days=1 if ready else 2)
    this_monday = today - timedelta(days=today.weekday())
    last_monday = this_monday - timedelta(weeks=1 if ready or today != this_monday else 2)
    this_first = today.replace(day=1)
    last_first = c.add_months(this_first, -1 if ready or today != this_first else -2)
    out: list[tuple[str, date]] = []
    for k in range(CATCH_UP["daily"]):
        out.append(("daily", last_day - timedelta(days=k)))
    for k in range(CATCH_UP["weekly"]):
        out.append(("weekly", last_monday - timedelta(weeks=k)))
    for k in range(CATCH_UP["monthly"]):
        out.append(("monthly", c.add_months(last_first, -k)))
    return out


def issue_due(now: datetime | None = None) -> list[Bulletin]:
    """Issue every due scheduled bulletin that is missing (the hourly job and the catch-up
    at the worker's start are the same call)."""
    now = now or timezone.now()
    issued = []
    for division in bulletin_divisions():
        for kind, first in due_periods(now):
            try:
                bulletin = issue(kind, first, division, now=now)
            except ActionError:
                # E.g. no current evaluation scheme: the other bulletins still go out, and
                # the next hourly run tries this one again.
                logger.exception("bulletin %s %s of %s not issued", kind, first, division.code)
                continue
            if bulletin is not None:
                issued.append(bulletin)
    return issued
