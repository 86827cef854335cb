"""Shared pieces of the bulletin builders: periods on the Shanghai calendar, the reader a
bulletin is built for, and the number formats of generated Chinese text.

A bulletin covers one division's subtree. It is built through the same scope rule as every
page: the reader is a stand-in leader of that division (`division_reader`), never saved, so
a scheduled bulletin (no user) and one a leader asks for read exactly the same cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet

from yiwang.cases.models import OPEN_EXCLUDED, Case, CaseEvent, State
from yiwang.core.scope import scoped
from yiwang.org.models import Division, User
from yiwang.org.roles import Role

SHANGHAI = ZoneInfo("Asia/Shanghai")
KINDS = ("daily", "weekly", "monthly")
KIND_NAMES = {"daily": "日盘点", "weekly": "周分析", "monthly": "月通报"}
# Moves of the timeline a bulletin counts (as the dashboard does).
REGISTER_MOVES = ("register",)
DISPATCH_MOVES = ("dispatch",)
CLOSE_MOVES = ("close", "self_close")
# Cases whose clock does not run: never overdue while they wait.
NOT_RUNNING = [*OPEN_EXCLUDED, State.SUSPENDED]
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Span:
    """A bulletin's period: `first` to `last` (Shanghai days, both included)."""

    kind: str
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), SHANGHAI)

    @property
    def end(self) -> datetime:
        """The moment after the period (next day's Shanghai midnight)."""
        return datetime.combine(self.last + timedelta(days=1), time(), SHANGHAI)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Span:
        """环比: the day before, the week before, the month before."""
        if self.kind == "monthly":
            first = add_months(self.first, -1)
            return Span(self.kind, first, self.first - timedelta(days=1))
        return Span(
            self.kind, self.first - timedelta(days=self.days), self.first - timedelta(days=1)
        )

    def year_before(self) -> Span:
        """同比: the same month a year earlier (a week: 52 weeks earlier; a day: 364 days)."""
        if self.kind == "monthly":
            first = date(self.first.year - 1, self.first.month, 1)
            return Span(self.kind, first, add_months(first, 1) - timedelta(days=1))
        shift = timedelta(weeks=52)
        return Span(self.kind, self.first - shift, self.last - shift)


def span_of(kind: str, day: date) -> Span:
    """The period of `kind` holding `day`: that day, its week (Monday first), its month."""
    if kind == "daily":
        return Span(kind, day, day)
    if kind == "weekly":
        monday = day - timedelta(days=day.weekday())
        return Span(kind, monday, monday + timedelta(days=6))
    if kind == "monthly":
        first = day.replace(day=1)
        return Span(kind, first, add_months(first, 1) - timedelta(days=1))
    raise ValueError(kind)


def period_label(span: Span) -> str:
    if span.kind == "daily":
        return f"{span.first.year}年{span.first.month}月{span.first.day}日"
    if span.kind == "weekly":
        week = span.first.isocalendar()
        return (
            f"{week.year}年第{week.week}周（{span.first.month}月{span.first.day}日—"
            f"{span.last.month}月{span.last.day}日）"
        )
    return f"{span.first.year}年{span.first.month}月"


def division_reader(division: Division) -> User:
    """A stand-in leader of `division` (never saved): the scope every bulletin is read with."""
    return User(
        username=f"bulletin:{division.code}", role=Role.LEADER, division=division, is_active=True
    )


def division_cases(reader: User) -> QuerySet[Case]:
    return scoped(Case.objects.all(), reader, "division_path").order_by()


def division_events(reader: User, span: Span) -> QuerySet[CaseEvent]:
    qs = CaseEvent.objects.filter(at__gte=span.start, at__lt=span.end)
    return scoped(qs, reader, "case__division_path").order_by()


def moves(reader: User, span: Span) -> dict[str, int]:
    """Cases registered, dispatched and closed by moves in the period (distinct cases)."""
    return division_events(reader, span).aggregate(
        registered=Count("case", distinct=True, filter=Q(transition__in=REGISTER_MOVES)),
        dispatched=Count("case", distinct=True, filter=Q(transition__in=DISPATCH_MOVES)),
        closed=Count("case", distinct=True, filter=Q(transition__in=CLOSE_MOVES)),
    )


def closed_counts(reader: User, spans: list[Span]) -> list[int]:
    """Cases closed (结案 / 自处理结案 moves, each case once) in each span: one query."""
    windows = [Q(at__gte=s.start, at__lt=s.end) for s in spans]
    anywhere = windows[0]
    for w in windows[1:]:
        anywhere |= w
    qs = scoped(
        CaseEvent.objects.filter(anywhere, transition__in=CLOSE_MOVES),
        reader,
        "case__division_path",
    ).order_by()
    got = qs.aggregate(
        **{f"w{i}": Count("case", distinct=True, filter=w) for i, w in enumerate(windows)}
    )
    return [got[f"w{i}"] for i in range(len(spans))]


# ---- numbers in Chinese text -----------------------------------------------------------------


def n(value: int) -> str:
    """1234 → 1,234 (as bulletins print counts)."""
    return f"{value:,}"


def pct(value: float | Decimal | None, digits: int = 1) -> str:
    """A share 0..1 as a percentage; None → 无数据."""
    if value is None:
        return "无数据"
    return f"{float(value) * 100:.{digits}f}%"


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def change(current: int, before: int) -> str:
    """'上升5.2%' / '下降3.0%' / '持平' against `before`; '上期为零' when no ratio exists."""
    if before == 0:
        return "持平" if current == 0 else "上期为零"
    ratio = (current - before) * 100 / before
    if round(ratio, 1) == 0:
        return "持平"
    return f"{'上升' if ratio > 0 else '下降'}{abs(ratio):.1f}%"


def versus(prefix: str, current: int, before: int, zero: str) -> str:
    """'环比上升5.2%' — or `zero` ('上月无受理') when the earlier count is 0 and this one is
    not (no ratio exists)."""
    if before == 0 and current != 0:
        return zero
    return prefix + change(current, before)


def points(
    current: float | Decimal | None,
    before: float | Decimal | None,
    verb_up: str = "提高",
    verb_down: str = "降低",
) -> str | None:
    """The change of a rate in percentage points ("提高1.3个百分点"); None without both."""
    if current is None or before is None:
        return None
    delta = (float(current) - float(before)) * 100
    if round(delta, 1) == 0:
        return "持平"
    return f"{verb_up if delta > 0 else verb_down}{abs(delta):.1f}个百分点"


def signed(value: float | Decimal) -> str:
    """+6.5 / −6.5 (a true minus sign, as printed)."""
    v = float(value)
    return f"+{v:.1f}" if v > 0 else (f"−{abs(v):.1f}" if v < 0 else "0.0")


def local_text(moment: datetime) -> str:
    local = moment.astimezone(SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日{local:%H:%M}"
