"""Editing the reference tables the case loop runs on (administrators only).

Time limits, routing rules, the holiday / 调休 calendar and the work periods are
cached per process (`cases.deadlines`, `cases.routing`); every action here bumps
the table's generation in its own transaction, so the next read in any process
rebuilds its cache, and writes an audit row.

Changes apply to stages that start afterwards: deadlines already computed for
open cases are kept (an administrator editing a limit does not move promises
made to departments).

Routing rules: the rule's department must be responsible for the rule's whole area,
i.e. the department's division contains or equals the rule's division. A district
专业部门 may therefore serve a rule for the district or for any street in it, but a
street office cannot be routed cases of a neighbouring street — the dispatch step
(`engine._set_department`) would refuse such a suggestion anyway.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction

from yiwang.cases import deadlines, routing
from yiwang.cases.models import (
    CalendarDay,
    CalendarYear,
    RoutingRule,
    Stage,
    TimeLimit,
    TimeUnit,
    Urgency,
    WorkPeriod,
)
from yiwang.catalog.models import Kind, ObjectType
from yiwang.core import audit, generations
from yiwang.core.errors import Conflict, InvalidInput, NotFound
from yiwang.org.models import Department, Division
from yiwang.org.permissions import require_admin, require_in_scope

LIMITS_GENERATION = deadlines.LIMITS_GENERATION
ROUTING_GENERATION = routing.GENERATION
CALENDAR_GENERATION = deadlines.CALENDAR_GENERATION

# The longest limit an administrator may enter per unit: a year on the wall clock,
# about a working year otherwise. Anything longer is a typo, not a deadline.
MAX_AMOUNT: dict[str, Decimal] = {
    TimeUnit.HOURS: Decimal(8760),
    TimeUnit.WORK_HOURS: Decimal(2000),
    TimeUnit.WORK_DAYS: Decimal(250),
}
MAX_PRIORITY = 100_000
# The holiday table covers the years a deployed system can meet; outside them a date
# is almost certainly a typo (2206 for 2026).
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_WORK_PERIODS = 6


# ---- shared checks ------------------------------------------------------------------------


@contextmanager
def _first_writer() -> Iterator[None]:
    """Two administrators adding the same key at once: the second is told, not crashed."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise Conflict(
            "concurrent_edit", "其他管理员刚刚新增了同一条记录，请刷新后重试。", None
        ) from exc


def _choice(value: str, choices: Any, code: str, message: str, field: str) -> str:
    value = str(value or "").strip()
    for v, label in choices.choices:
        if value in (v, str(label)):
            return str(v)
    raise InvalidInput(code, message, field)


def _amount(value: Any, unit: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput("invalid_amount", "时限应为数字。", "amount") from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput("invalid_amount", "时限应大于 0。", "amount")
    limit = MAX_AMOUNT[unit]
    if amount > limit:
        raise InvalidInput(
            "amount_too_large",
            f"时限不能超过 {limit} {TimeUnit(unit).label}。",
            "amount",
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput("invalid_amount", "时限最多保留两位小数。", "amount")
    return amount.quantize(Decimal("0.01"))


def _kind(kind: str) -> str:
    kind = str(kind or "").strip()
    if kind and kind not in Kind.values:
        raise InvalidInput("invalid_kind", "类型应为 部件 或 事项。", "kind")
    return kind


def _category(
    kind: str, major_code: str, type_code: str | None
) -> tuple[ObjectType | None, str, str]:
    """Resolve the category part of a key: (type, kind, major_code), validated."""
    kind = _kind(kind)
    major_code = str(major_code or "").strip()
    type_code = str(type_code or "").strip() or None
    if type_code is not None:
        if not kind:
            raise InvalidInput("kind_required", "指定小类时须同时指定类型（部件或事项）。", "kind")
        obj_type = ObjectType.objects.filter(kind=kind, code=type_code).first()
        if obj_type is None:
            raise InvalidInput(
                "unknown_type", f"{Kind(kind).label}类型代码 {type_code} 不存在。", "type_code"
            )
        if major_code and major_code != obj_type.major_code:
            raise InvalidInput(
                "major_mismatch",
                f"小类 {type_code} 属于大类 {obj_type.major_code}，与所填大类 {major_code} 不符。",
                "major_code",
            )
        return obj_type, kind, obj_type.major_code
    if major_code:
        if not kind:
            raise InvalidInput("kind_required", "指定大类时须同时指定类型（部件或事项）。", "kind")
        if not ObjectType.objects.filter(kind=kind, major_code=major_code).exists():
            raise InvalidInput(
                "unknown_major",
                f"{Kind(kind).label}没有代码为 {major_code} 的大类。",
                "major_code",
            )
    return None, kind, major_code


# ---- time limits --------------------------------------------------------------------------


def _limit_label(row: TimeLimit) -> str:
    if row.type is not None:
        scope = f"小类 {row.type.code} {row.type.name}"
    elif row.major_code:
        scope = f"{Kind(row.kind).label}大类 {row.major_code}"
    elif row.kind:
        scope = f"全部{Kind(row.kind).label}"
    else:
        scope = "全部类型"
    return f"{scope}／{Urgency(row.urgency).label}／{Stage(row.stage).label}"


@transaction.atomic
def set_time_limit(
    actor: Any,
    *,
    stage: str,
    urgency: str,
    amount: Any,
    unit: str,
    type_code: str | None = None,
    kind: str = "",
    major_code: str = "",
) -> TimeLimit:
    """Create or update the limit for one key: (type | kind + major | kind | all, urgency, stage).

    A type is named by ``kind`` + ``type_code``. Rows keyed by a type store no kind or
    major (that is how `deadlines.limit_for` looks them up). ``stage``, ``urgency`` and
    ``unit`` take the stored value or its Chinese label (处置, 紧急, 工作日).
    """
    require_admin(actor, "修改处置时限")
    stage = _choice(stage, Stage, "invalid_stage", "未知的环节。", "stage")
    urgency = _choice(urgency, Urgency, "invalid_urgency", "紧急程度应为 一般 或 紧急。", "urgency")
    unit = _choice(unit, TimeUnit, "invalid_unit", "单位应为 小时、工作时 或 工作日。", "unit")
    value = _amount(amount, unit)
    obj_type, kind, major_code = _category(kind, major_code, type_code)
    if obj_type is not None:
        key: dict[str, Any] = {"type": obj_type, "kind": "", "major_code": ""}
    else:
        key = {"type": None, "kind": kind, "major_code": major_code}
    row = (
        TimeLimit.objects.select_for_update(of=("self",))
        .select_related("type")
        .filter(urgency=urgency, stage=stage, **key)
        .first()
    )
    old = None if row is None else {"amount": str(row.amount), "unit": row.unit}
    if row is None:
        with _first_writer():
            row = TimeLimit.objects.create(
                urgency=urgency, stage=stage, amount=value, unit=unit, **key
            )
    else:
        row.amount, row.unit = value, unit
        row.save(update_fields=["amount", "unit"])
    audit.record(
        actor,
        "cases.set_time_limit",
        row,
        f"{'新增' if old is None else '修改'}处置时限 {_limit_label(row)}："
        f"{value.normalize():f} {TimeUnit(unit).label}",
        old=old,
        new={"amount": str(value), "unit": unit},
    )
    generations.bump(LIMITS_GENERATION)
    return row


@transaction.atomic
def delete_time_limit(actor: Any, pk: int) -> None:
    """Remove a specific row; the type then falls back to its category's or the global one."""
    require_admin(actor, "删除处置时限")
    row = (
        TimeLimit.objects.select_for_update(of=("self",))
        .select_related("type")
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise NotFound("time_limit_not_found", "该处置时限不存在。", "pk")
    if row.type_id is None and not row.kind and not row.major_code:
        raise InvalidInput(
            "global_limit_required",
            "全部类型的默认时限保证每个类型都有时限，不能删除，只能修改。",
            "pk",
        )
    label = _limit_label(row)
    audit.record(
        actor,
        "cases.delete_time_limit",
        row,
        f"删除处置时限 {label}",
        old={"amount": str(row.amount), "unit": row.unit},
    )
    row.delete()
    generations.bump(LIMITS_GENERATION)


# ---- routing rules ------------------------------------------------------------------------


def _priority(value: Any) -> int:
    try:
        priority = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("invalid_priority", "优先级应为整数。", "priority") from None
    if not 0 <= priority <= MAX_PRIORITY:
        raise InvalidInput(
            "invalid_priority", f"优先级应在 0 到 {MAX_PRIORITY} 之间，数字小的先匹配。", "priority"
        )
    return priority


def _rule_target(actor: Any, division_code: str, department_id: Any) -> tuple[Division, Department]:
    division = Division.objects.filter(code=str(division_code or "").strip()).first()
    if division is None:
        raise NotFound("division_not_found", f"区划代码 {division_code} 不存在。", "division_code")
    require_in_scope(actor, division.path, "适用区域")
    try:
        dept_pk = int(department_id)
    except (TypeError, ValueError):
        raise InvalidInput("invalid", "请选择处置部门。", "department_id") from None
    department = Department.objects.select_related("division").filter(pk=dept_pk).first()
    if department is None:
        raise NotFound("department_not_found", "所选处置部门不存在。", "department_id")
    require_in_scope(actor, department.division.path, "处置部门")
    if not department.is_active:
        raise InvalidInput("department_inactive", f"{department.name}已停用。", "department_id")
    if not division.path.startswith(department.division.path):
        raise InvalidInput(
            "department_out_of_area",
            f"{department.name}不负责{division.name}全境，不能作为该区域的派遣部门。",
            "department_id",
        )
    return division, department


def _rule_label(rule: RoutingRule) -> str:
    if rule.type is not None:
        what = f"小类 {rule.type.code} {rule.type.name}"
    elif rule.major_code:
        what = f"{Kind(rule.kind).label}大类 {rule.major_code}"
    elif rule.kind:
        what = f"全部{Kind(rule.kind).label}"
    else:
        what = "全部类型"
    return f"#{rule.priority} {rule.division.name} {what} → {rule.department.name}"


def _rule_data(rule: RoutingRule) -> dict[str, Any]:
    return {
        "priority": rule.priority,
        "kind": rule.kind,
        "major_code": rule.major_code,
        "type": rule.type.code if rule.type is not None else None,
        "division": rule.division.code,
        "department_id": rule.department_id,
        "is_active": rule.is_active,
    }


def _check_duplicate(rule: RoutingRule) -> None:
    twins = RoutingRule.objects.filter(
        division=rule.division,
        department=rule.department,
        type=rule.type,
        kind=rule.kind,
        major_code=rule.major_code,
        is_active=True,
    ).exclude(pk=rule.pk)
    if rule.is_active and twins.exists():
        raise InvalidInput(
            "duplicate_rule", "已有相同区域、类型和部门的启用规则。", "department_id"
        )


@transaction.atomic
def add_routing_rule(
    actor: Any,
    *,
    division_code: str,
    department_id: int,
    priority: int = 100,
    kind: str = "",
    major_code: str = "",
    type_code: str | None = None,
    is_active: bool = True,
) -> RoutingRule:
    """A rule: cases of this type / category located in this division go to this department."""
    require_admin(actor, "新增派遣规则")
    division, department = _rule_target(actor, division_code, department_id)
    obj_type, kind, major_code = _category(kind, major_code, type_code)
    rule = RoutingRule(
        priority=_priority(priority),
        kind=kind,
        major_code=major_code,
        type=obj_type,
        division=division,
        department=department,
        is_active=bool(is_active),
    )
    _check_duplicate(rule)
    rule.save()
    audit.record(
        actor,
        "cases.add_routing_rule",
        rule,
        f"新增派遣规则 {_rule_label(rule)}",
        **_rule_data(rule),
    )
    generations.bump(ROUTING_GENERATION)
    return rule


def _rule_for_update(actor: Any, pk: int) -> RoutingRule:
    rule = (
        RoutingRule.objects.select_for_update(of=("self",))
        .select_related("division", "department", "type")
        .filter(pk=pk)
        .first()
    )
    if rule is None:
        raise NotFound("routing_rule_not_found", "该派遣规则不存在。", "pk")
    require_in_scope(actor, rule.division.path, "该派遣规则的适用区域")
    return rule


_UNCHANGED: Any = object()


@transaction.atomic
def update_routing_rule(
    actor: Any,
    pk: int,
    *,
    division_code: str | None = None,
    department_id: int | None = None,
    priority: int | None = None,
    kind: str | None = None,
    major_code: str | None = None,
    type_code: str | None = _UNCHANGED,
    is_active: bool | None = None,
) -> RoutingRule:
    """Change some fields of a rule: None or omitted keeps a field; ``type_code=None`` clears
    the type (the rule then matches by kind and major)."""
    require_admin(actor, "修改派遣规则")
    rule = _rule_for_update(actor, pk)
    before = _rule_data(rule)
    if division_code is not None or department_id is not None:
        rule.division, rule.department = _rule_target(
            actor,
            division_code if division_code is not None else rule.division.code,
            department_id if department_id is not None else rule.department_id,
        )
    if kind is not None or major_code is not None or type_code is not _UNCHANGED:
        old_type = rule.type.code if rule.type is not None else None
        new_type = old_type if type_code is _UNCHANGED else type_code
        if major_code is None:
            # A type rule's major comes from the type; a category rule keeps its own.
            major_code = "" if new_type else rule.major_code
        obj_type, new_kind, new_major = _category(
            kind if kind is not None else rule.kind, major_code, new_type
        )
        rule.type, rule.kind, rule.major_code = obj_type, new_kind, new_major
    if priority is not None:
        rule.priority = _priority(priority)
    if is_active is not None:
        rule.is_active = bool(is_active)
    _check_duplicate(rule)
    rule.save()
    after = _rule_data(rule)
    changed = sorted(k for k in after if after[k] != before[k])
    audit.record(
        actor,
        "cases.update_routing_rule",
        rule,
        f"修改派遣规则 {_rule_label(rule)}",
        changed=changed,
        old=before,
        new=after,
    )
    generations.bump(ROUTING_GENERATION)
    return rule


@transaction.atomic
def delete_routing_rule(actor: Any, pk: int) -> None:
    require_admin(actor, "删除派遣规则")
    rule = _rule_for_update(actor, pk)
    audit.record(
        actor,
        "cases.delete_routing_rule",
        rule,
        f"删除派遣规则 {_rule_label(rule)}",
        **_rule_data(rule),
    )
    rule.delete()
    generations.bump(ROUTING_GENERATION)


# ---- calendar -----------------------------------------------------------------------------


def _day(value: Any) -> date:
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value).strip())
        except ValueError:
            raise InvalidInput("invalid_date", "日期格式应为 YYYY-MM-DD。", "day") from None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise InvalidInput("invalid_date", f"日期应在 {FIRST_YEAR} 至 {LAST_YEAR} 年之间。", "day")
    return value


@transaction.atomic
def set_calendar_day(actor: Any, *, day: date, kind: str, name: str = "") -> CalendarDay:
    """Mark a day as a holiday (休) or a 调休 working day (班); replaces any earlier entry."""
    require_admin(actor, "维护节假日与调休")
    day = _day(day)
    kind = _choice(
        kind, CalendarDay.Kind, "invalid_day_kind", "类别应为 休息日 或 调休上班。", "kind"
    )
    name = str(name or "").strip()
    if len(name) > 50:
        raise InvalidInput("too_long", "名称不能超过 50 字。", "name")
    row = CalendarDay.objects.select_for_update().filter(date=day).first()
    old = None if row is None else {"kind": row.kind, "name": row.name}
    if row is None:
        with _first_writer():
            row = CalendarDay.objects.create(date=day, kind=kind, name=name)
    else:
        row.kind, row.name = kind, name
        row.save(update_fields=["kind", "name"])
    audit.record(
        actor,
        "cases.set_calendar_day",
        row,
        f"{day:%Y-%m-%d} 设为{row.get_kind_display()}{f'（{name}）' if name else ''}",
        day=day.isoformat(),
        old=old,
        new={"kind": kind, "name": name},
    )
    generations.bump(CALENDAR_GENERATION)
    return row


@transaction.atomic
def clear_calendar_day(actor: Any, day: date) -> None:
    """Remove a day's entry: it follows its weekday again."""
    require_admin(actor, "维护节假日与调休")
    day = _day(day)
    row = CalendarDay.objects.select_for_update().filter(date=day).first()
    if row is None:
        raise NotFound("calendar_day_not_found", f"{day:%Y-%m-%d} 没有节假日或调休记录。", "day")
    audit.record(
        actor,
        "cases.clear_calendar_day",
        row,
        f"删除 {day:%Y-%m-%d} 的{row.get_kind_display()}记录",
        day=day.isoformat(),
        old={"kind": row.kind, "name": row.name},
    )
    row.delete()
    generations.bump(CALENDAR_GENERATION)


def _year(value: Any) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("invalid_year", "年份应为四位数字。", "year") from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput("invalid_year", f"年份应在 {FIRST_YEAR} 至 {LAST_YEAR} 之间。", "year")
    return year


@transaction.atomic
def mark_year_complete(actor: Any, year: int, source: str = "manual") -> CalendarYear:
    """Declare a year's holidays and 调休 days entered, which silences its warning."""
    require_admin(actor, "维护节假日与调休")
    year = _year(year)
    source = str(source or "").strip() or "manual"
    if len(source) > 50:
        raise InvalidInput("too_long", "来源不能超过 50 字。", "source")
    row, created = CalendarYear.objects.update_or_create(year=year, defaults={"source": source})
    holidays = CalendarDay.objects.filter(date__year=year, kind=CalendarDay.Kind.HOLIDAY).count()
    audit.record(
        actor,
        "cases.mark_year_complete",
        row,
        f"{year} 年节假日数据已维护（来源：{source}，休息日 {holidays} 天）",
        created=created,
        source=source,
    )
    generations.bump(CALENDAR_GENERATION)
    return row


@transaction.atomic
def unmark_year(actor: Any, year: int) -> None:
    """Take back `mark_year_complete`: the year is warned about again."""
    require_admin(actor, "维护节假日与调休")
    year = _year(year)
    row = CalendarYear.objects.filter(year=year).first()
    if row is None:
        raise NotFound("calendar_year_not_found", f"{year} 年未标记为已维护。", "year")
    audit.record(actor, "cases.unmark_year", row, f"取消 {year} 年节假日数据已维护标记")
    row.delete()
    generations.bump(CALENDAR_GENERATION)


def _fmt(t: time) -> str:
    return f"{t:%H:%M}"


def validate_work_periods(periods: Sequence[tuple[time, time]]) -> list[tuple[time, time]]:
    """Non-empty, each inside one day and ending after it starts, sorted, not overlapping."""
    if not periods:
        raise InvalidInput("work_periods_required", "至少需要一个工作时段。", "periods")
    if len(periods) > MAX_WORK_PERIODS:
        raise InvalidInput(
            "too_many_periods", f"工作时段不能超过 {MAX_WORK_PERIODS} 个。", "periods"
        )
    clean: list[tuple[time, time]] = []
    for pair in periods:
        try:
            start, end = pair
        except (TypeError, ValueError):
            raise InvalidInput(
                "invalid_period", "工作时段应为（开始, 结束）。", "periods"
            ) from None
        if not isinstance(start, time) or not isinstance(end, time):
            raise InvalidInput("invalid_period", "工作时段的开始和结束应为时刻。", "periods")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise InvalidInput("invalid_period", "工作时段按北京时间填写，不带时区。", "periods")
        if end <= start:
            raise InvalidInput(
                "invalid_period",
                f"工作时段 {_fmt(start)}–{_fmt(end)} 的结束应晚于开始（不能跨越午夜）。",
                "periods",
            )
        if clean and start < clean[-1][1]:
            prev = clean[-1]
            raise InvalidInput(
                "periods_overlap",
                f"工作时段 {_fmt(start)}–{_fmt(end)} 与 {_fmt(prev[0])}–{_fmt(prev[1])} "
                "重叠或未按时间先后排列。",
                "periods",
            )
        clean.append((start, end))
    return clean


@transaction.atomic
def set_work_periods(actor: Any, periods: Sequence[tuple[time, time]]) -> list[WorkPeriod]:
    """Replace the daily work periods (default 08:00–12:00, 14:00–18:00)."""
    require_admin(actor, "修改工作时段")
    clean = validate_work_periods(periods)
    old = [f"{_fmt(p.start)}–{_fmt(p.end)}" for p in WorkPeriod.objects.order_by("start")]
    WorkPeriod.objects.all().delete()
    WorkPeriod.objects.bulk_create([WorkPeriod(start=s, end=e) for s, e in clean])
    new = [f"{_fmt(s)}–{_fmt(e)}" for s, e in clean]
    audit.record(
        actor,
        "cases.set_work_periods",
        ("cases.workperiod", "*"),
        f"工作时段改为 {'、'.join(new)}",
        old=old,
        new=new,
    )
    generations.bump(CALENDAR_GENERATION)
    return list(WorkPeriod.objects.order_by("start"))
