"""Demo cases: about 3,000 cases of the last 90 days, created through the real actions.

Each case is planned first (where, what, who reports it, which branches of the loop it
takes) from a seeded random generator, then played through `report_cases` and
`transition` with simulated times that only move forward and never pass the real
present. Stage times are drawn as fractions of each stage's real allowance (computed
by the working-time calendar), so a known share of stages finish late. Recent cases are
left waiting in every state so that each demo user's worklists have work in them.

Loading is idempotent: when demo cases exist (or the marker audit row does), nothing
is created.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from yiwang.cases import actions as case_actions
from yiwang.cases import deadlines
from yiwang.cases.actions import reference
from yiwang.cases.models import FINAL_STATES, Case, Source, Stage, State, Urgency
from yiwang.cases.workflow import TRANSITIONS, Clock
from yiwang.catalog import actions as catalog_actions
from yiwang.catalog.models import Component, ObjectType
from yiwang.core import audit, generations
from yiwang.core.errors import InvalidInput
from yiwang.core.models import AuditEntry
from yiwang.core.progress import Progress
from yiwang.core.workcalendar import WorkCalendar
from yiwang.demo import city
from yiwang.org import actions as org_actions
from yiwang.org.models import Department, User

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEED = 20261125
CASE_COUNT = 3000
DAYS = 90
# Public reports of a problem already open, a few metres from it: two in three merged into
# it by the operator (已合并), the rest left waiting with the case offered as a duplicate.
DUPLICATE_REPORTS = 24
MARKER = "demo.cases"  # audit action written once the demo cases are loaded

MUNICIPAL = "福田区市政设施管理中心"
SANITATION = "福田区环境卫生管理处"
GREENING = "福田区园林绿化管理所"
TRAFFIC = "福田区交通运输局"
ENFORCEMENT = "福田区城市管理综合执法大队"
WATER = "福田区水务局"
GAS = "福田区燃气安全管理所"

# One inspector per street (the street of `inspector` comes from city.STAFF).
EXTRA_INSPECTORS = [("inspector2", "孙监督", "440304002"), ("inspector3", "周监督", "440304003")]
# A handler for every department that has none in city.STAFF (`handler` is 市政).
EXTRA_HANDLERS = [
    ("handler_env", "吴环卫", SANITATION),
    ("handler_green", "郑园林", GREENING),
    ("handler_traffic", "冯交通", TRAFFIC),
    ("handler_law", "何执法", ENFORCEMENT),
    ("handler_water", "许水务", WATER),
    ("handler_gas", "吕燃气", GAS),
    *[
        (f"handler_{code[-3:]}", f"{name[:2]}专干", f"{name}办事处")
        for code, name, _ in city.STREETS
    ],
]

# Matter types by how often they are reported, and who usually handles them (else 属地).
MATTERS: list[tuple[str, int, str | None]] = [
    ("06010", 14, SANITATION),  # 暴露垃圾
    ("06012", 6, SANITATION),  # 道路不洁
    ("06011", 3, SANITATION),  # 积存垃圾渣土
    ("06042", 6, SANITATION),  # 垃圾站（箱）满溢
    ("06036", 8, None),  # 乱堆杂物
    ("06013", 5, MUNICIPAL),  # 道路破损
    ("06050", 2, MUNICIPAL),  # 路缘石缺损
    ("06051", 2, MUNICIPAL),  # 盲道缺损
    ("06007", 2, None),  # 沿街晾挂
    ("06028", 3, None),  # 噪声扰民
    ("06027", 2, None),  # 油烟污染
    ("06029", 2, None),  # 露天烧烤
    ("06001", 3, None),  # 私搭乱建
    ("06030", 2, WATER),  # 乱倒乱排污水、废水
    ("06017", 2, GREENING),  # 绿地脏乱
    ("06045", 1, GREENING),  # 非法占绿毁绿
    ("07001", 8, None),  # 非法小广告
    ("07003", 2, ENFORCEMENT),  # 违规户外广告
    ("08002", 3, ENFORCEMENT),  # 施工占道
    ("08004", 3, ENFORCEMENT),  # 工地扬尘
    ("08005", 2, ENFORCEMENT),  # 施工废弃料
    ("09006", 6, ENFORCEMENT),  # 占道经营
    ("09005", 4, None),  # 店外经营
    ("09001", 3, ENFORCEMENT),  # 无照经营游商
    ("09009", 6, None),  # 机动车乱停放
    ("09010", 4, None),  # 非机动车乱停放
    ("09011", 5, None),  # 共享单车乱象
    ("09012", 2, ENFORCEMENT),  # 占用消防通道
    ("01037", 3, MUNICIPAL),  # 路灯异常
    ("01003", 2, MUNICIPAL),  # 雨水井盖异常
    ("02010", 1, TRAFFIC),  # 交通标志牌及标线异常
    ("10002", 1, None),  # 架空线缆脱落
]
MATTER_DEPARTMENT = {code: dept for code, _, dept in MATTERS}
# What machines see: cameras see street order, drones building sites, sensors bins and noise.
VIDEO_MATTERS = ["09006", "09005", "09009", "06010", "06036", "09001", "09011"]
DRONE_MATTERS = ["08004", "06001", "06011", "08005"]
SENSOR_MATTERS = ["06042", "06028", "06030"]
# Small things an inspector may clear on the spot (自处理结案).
SELF_HANDLE = ["07001", "06012"]

ROADS = [
    "华强北路", "深南中路", "红荔路", "福华路", "振华路", "燕南路", "上步中路", "华富路",
    "笋岗西路", "园岭东路", "百花二路", "滨河大道", "福民路", "福田路", "金田路", "彩田路",
    "益田路", "皇岗路", "新洲路", "南园路",
]  # fmt: skip
DAMAGE = ["破损", "缺失", "松动", "移位", "倾斜", "污损"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
RESULTS = [
    "已清理完毕，现场恢复整洁。",
    "已修复。",
    "已更换新件。",
    "已劝离并教育。",
    "已整改到位。",
]

# Each stage finishes late with this probability (the rest finish within the limit).
LATE = {
    Stage.ACCEPT: 0.01,
    Stage.VERIFY: 0.02,
    Stage.REGISTER: 0.01,
    Stage.DISPATCH: 0.01,
    Stage.HANDLE: 0.05,
    Stage.CHECK: 0.02,
    Stage.CLOSE: 0.01,
}
# Recent cases left waiting where they are, so every worklist has something in it.
HOLD_DAYS = 12
HOLD_SHARE = 0.5
HOLDS: list[tuple[str, int]] = [
    (State.REPORTED, 6),
    (State.PENDING_VERIFY, 6),
    (State.VERIFYING, 8),
    (State.PENDING_REGISTER, 6),
    (State.VOID_REQUESTED, 5),
    (State.PENDING_DISPATCH, 6),
    (State.DISPATCHED, 10),
    (State.HANDLING, 14),
    (State.RETURN_REQUESTED, 5),
    (State.EXTENSION_REQUESTED, 5),
    (State.SUSPEND_REQUESTED, 4),
    (State.SUSPENDED, 6),
    (State.HANDLED, 7),
    (State.CHECKING, 8),
    (State.PENDING_CLOSE, 6),
]
VERIFY_ONLY = {State.PENDING_VERIFY, State.VERIFYING}


@dataclass
class People:
    admin: User
    operator: User
    shift_lead: User
    dispatcher: User
    inspectors: dict[str, User]  # street code → inspector
    handlers: dict[int, User]  # department id → handler
    departments: dict[str, Department]  # name → department


@dataclass(frozen=True)
class Step:
    name: str
    actor: User
    inputs: dict[str, Any]


@dataclass
class Plan:
    reported_at: datetime
    reporter: User
    report: case_actions.Report
    steps: list[Step] = field(default_factory=list)


class _Held(Exception):
    """The planned path reached the state the case is to be left waiting in."""


class _Path:
    def __init__(self, hold: str | None) -> None:
        self.steps: list[Step] = []
        self.hold = hold

    def go(self, name: str, actor: User, reaches: str, **inputs: Any) -> None:
        self.steps.append(Step(name, actor, inputs))
        if reaches == self.hold:
            raise _Held


# ---- people -----------------------------------------------------------------------------------


def ensure_people(admin: User) -> People:
    users = {u.username: u for u in User.objects.select_related("division", "department")}
    departments = {d.name: d for d in Department.objects.select_related("division")}
    for username, display, division in EXTRA_INSPECTORS:
        if username not in users:
            users[username] = org_actions.create_staff(
                admin,
                username=username,
                password=city.PASSWORD,
                role="inspector",
                division_code=division,
                display_name=display,
            )
    for username, display, department in EXTRA_HANDLERS:
        if username not in users:
            dept = departments[department]
            users[username] = org_actions.create_staff(
                admin,
                username=username,
                password=city.PASSWORD,
                role="handler",
                division_code=dept.division.code,
                display_name=display,
                department_id=dept.pk,
            )
    inspectors = {city.STAFF[0][3]: users["inspector"]}
    inspectors.update({division: users[name] for name, _, division in EXTRA_INSPECTORS})
    handlers = {users["handler"].department_id: users["handler"]}
    handlers.update({departments[d].pk: users[name] for name, _, d in EXTRA_HANDLERS})
    return People(
        admin=admin,
        operator=users["operator"],
        shift_lead=users["shiftlead"],
        dispatcher=users["dispatcher"],
        inspectors=inspectors,  # type: ignore[arg-type]
        handlers=handlers,  # type: ignore[arg-type]
        departments=departments,
    )


def _configure_reference(admin: User, people: People) -> None:
    """Self-handled types, and routing rules that send each type to its department."""
    for code in SELF_HANDLE:
        catalog_actions.update_type(admin, "matter", code, self_handle=True)
    district = city.DISTRICT
    rules: list[dict[str, Any]] = [
        {"kind": "component", "major_code": major, "department": name}
        for major, name in city.AUTHORITY_BY_MAJOR.items()
    ]
    rules += [
        {"kind": "matter", "type_code": code, "department": dept}
        for code, _, dept in MATTERS
        if dept is not None
    ]
    for priority, rule in enumerate(rules, start=10):
        dept = people.departments[rule.pop("department")]
        reference.add_routing_rule(
            admin, priority=priority, division_code=district, department_id=dept.pk, **rule
        )


# ---- planning ---------------------------------------------------------------------------------


def _report_time(rng: random.Random, now: datetime, source: str, days_back: float) -> datetime:
    day = (now - timedelta(days=days_back)).astimezone(SHANGHAI).date()
    if source == Source.INSPECTOR:
        minutes = rng.uniform(8.5 * 60, 17.5 * 60)
    elif source in (Source.SENSOR, Source.VIDEO):
        minutes = rng.uniform(0, 24 * 60 - 1)
    else:
        minutes = rng.uniform(7 * 60, 23 * 60)
    at = datetime.combine(day, time(0), tzinfo=SHANGHAI) + timedelta(minutes=minutes)
    if source == Source.HOTLINE:
        # 12345 hands its work orders over in hourly batches.
        at = at.replace(minute=5, second=0, microsecond=0) + timedelta(hours=1)
    elif source == Source.VIDEO:
        at = at.replace(minute=30 if at.minute >= 30 else 0, second=0, microsecond=0)
    else:
        at = at.replace(second=0, microsecond=0)
    if at > now:
        at = now - timedelta(minutes=rng.uniform(1, 90))
    return at.astimezone(UTC)


def _point(rng: random.Random, cells: list[city.Cell]) -> tuple[float, float, city.Cell]:
    # The inspector account's street (南园) is busiest; central cells more than outer ones.
    weights = [
        (2 if c.code.startswith(city.STAFF[0][3]) else 1) * (3 if c.region_class == 1 else 1)
        for c in cells
    ]
    cell = rng.choices(cells, weights=weights)[0]
    xs = [p[0] for p in cell.ring]
    ys = [p[1] for p in cell.ring]
    lon = min(xs) + (max(xs) - min(xs)) * rng.uniform(0.05, 0.95)
    lat = min(ys) + (max(ys) - min(ys)) * rng.uniform(0.05, 0.95)
    return round(lon, 7), round(lat, 7), cell


def _contact(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(SURNAMES) + rng.choice(["先生", "女士"])
    phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    return name, phone


def _pick_source(rng: random.Random, kind: str, component: Component | None) -> str:
    if kind == "component":
        options = [Source.INSPECTOR] * 12 + [Source.PUBLIC] * 2 + [Source.HOTLINE] * 3
        if component is not None and "井盖" in component.type.name:
            options += [Source.SENSOR] * 4  # tilt sensors on manhole covers
        return rng.choice(options)
    return rng.choices(
        [
            Source.INSPECTOR,
            Source.PUBLIC,
            Source.HOTLINE,
            Source.VIDEO,
            Source.DRONE,
            Source.SENSOR,
        ],
        weights=[55, 8, 17, 12, 3, 5],
    )[0]


def _street_office(people: People, street_code: str) -> Department:
    name = next(n for code, n, _ in city.STREETS if code == street_code)
    return people.departments[f"{name}办事处"]


def _draft(
    rng: random.Random,
    now: datetime,
    people: People,
    cells: list[city.Cell],
    components: list[Component],
    days_back: float,
) -> tuple[Plan, Department, str, bool]:
    """A report and its handling department; the path is planned separately."""
    kind = "component" if rng.random() < 0.35 else "matter"
    component = rng.choice(components) if kind == "component" and components else None
    if kind == "component" and component is None:
        kind = "matter"
    source = _pick_source(rng, kind, component)
    urgency = Urgency.URGENT if rng.random() < 0.08 else Urgency.NORMAL
    road = rng.choice(ROADS)
    if component is not None:
        lon, lat = component.lon, component.lat
        street_code = component.division_path.strip("/").split("/")[3]
        type_code, type_name = component.type.code, component.type.name
        title = f"{road}{type_name}{rng.choice(DAMAGE)}"
        dept_name = city.AUTHORITY_BY_MAJOR.get(component.type.major_code)
        if "燃气" in type_name:
            dept_name = GAS
    else:
        lon, lat, cell = _point(rng, cells)
        street_code = cell.community_code[:9]
        pool: list[str] | None = {
            str(Source.VIDEO): VIDEO_MATTERS,
            str(Source.DRONE): DRONE_MATTERS,
            str(Source.SENSOR): SENSOR_MATTERS,
        }.get(source)
        if pool:
            type_code = rng.choice(pool)
        else:
            type_code = rng.choices([m[0] for m in MATTERS], weights=[m[1] for m in MATTERS])[0]
        type_name = _TYPE_NAMES[("matter", type_code)]
        title = f"{road}{type_name}"
        dept_name = MATTER_DEPARTMENT.get(type_code)
    street_name = next(n for code, n, _ in city.STREETS if code == street_code)
    address = f"深圳市福田区{street_name}{road}{rng.randint(1, 399)}号附近"
    what = f"{address}{type_name}" + ("，情况紧急" if urgency == Urgency.URGENT else "")
    description = rng.choice(
        [
            f"现场发现{what}，请尽快处置。",
            f"{what}，影响市容和通行。",
            f"{what}，存在安全隐患。",
            f"市民反映{what}，要求处理。",
        ]
    )
    contact_name, contact_phone = ("", "")
    if source in (Source.PUBLIC, Source.HOTLINE):
        contact_name, contact_phone = _contact(rng)
        description = f"市民来电/来信：{description}"
    inspector_source = source == Source.INSPECTOR
    reporter = people.inspectors[street_code] if inspector_source else people.operator
    report = case_actions.Report(
        kind=kind,
        type_code=type_code,
        title=title,
        lon=lon,
        lat=lat,
        source=source,
        urgency=urgency,
        description=description,
        address=address,
        component_ident=component.ident if component is not None else "",
        contact_name=contact_name,
        contact_phone=contact_phone,
    )
    department = people.departments[dept_name] if dept_name else _street_office(people, street_code)
    plan = Plan(_report_time(rng, now, source, days_back), reporter, report)
    return plan, department, street_code, type_code in SELF_HANDLE and kind == "matter"


_TYPE_NAMES: dict[tuple[str, str], str] = {}


def _path(
    rng: random.Random,
    plan: Plan,
    people: People,
    department: Department,
    street_code: str,
    self_handle: bool,
    hold: str | None,
) -> list[Step]:
    """The moves the case will make, stopping early at `hold` when set."""
    p = _Path(hold)
    op, lead, disp = people.operator, people.shift_lead, people.dispatcher
    inspector = people.inspectors[street_code]
    if hold == State.REPORTED:
        return []
    try:
        if plan.report.source == Source.INSPECTOR:
            if self_handle and hold is None and rng.random() < 0.6:
                p.go("self_close", plan.reporter, State.CLOSED, result="已现场处理完毕。")
            if rng.random() < 0.02 or (hold == State.VOID_REQUESTED and rng.random() < 0.5):
                p.go(
                    "request_void",
                    op,
                    State.VOID_REQUESTED,
                    note="重复上报，与已有案卷为同一问题。",
                )
                p.go("approve_void", lead, State.VOIDED)
            p.go("accept", op, State.PENDING_REGISTER)
        else:
            if rng.random() < 0.03:
                p.go(
                    "request_void",
                    op,
                    State.VOID_REQUESTED,
                    note="重复上报，与已有案卷为同一问题。",
                )
                p.go("approve_void", lead, State.VOIDED)
            p.go("to_verify", op, State.PENDING_VERIFY)
            p.go("send_verify", op, State.VERIFYING, inspector_id=inspector.pk)
            if rng.random() < 0.07 or hold == State.VOID_REQUESTED:
                p.go("verify_reject", inspector, State.VOID_REQUESTED, note="现场核实无此问题。")
                p.go("approve_void", lead, State.VOIDED)
            p.go("verify_confirm", inspector, State.PENDING_REGISTER, note="情况属实。")
        r = rng.random()
        if r < 0.02:
            p.go("void", lead, State.VOIDED, note="不属于城市管理范围。")
        if r < 0.04:
            p.go("request_void", op, State.VOID_REQUESTED, note="疑似重复上报。")
            p.go("deny_void", lead, State.PENDING_REGISTER, note="经查不是重复案卷，应予立案。")
        p.go("register", lead, State.PENDING_DISPATCH)
        if rng.random() < 0.06 or hold == State.RETURN_REQUESTED:
            wrong = (
                _street_office(people, street_code)
                if department.kind == Department.Kind.PROFESSIONAL
                else people.departments[ENFORCEMENT]
            )
            p.go("dispatch", disp, State.DISPATCHED, department_id=wrong.pk)
            handler = people.handlers[wrong.pk]
            p.go("request_return", handler, State.RETURN_REQUESTED, note="不属于本单位职责。")
            if rng.random() < 0.2:
                p.go("deny_return", disp, State.DISPATCHED, note="属于贵单位职责，请处置。")
                department = wrong
            else:
                p.go("approve_return", disp, State.PENDING_DISPATCH)
                p.go("dispatch", disp, State.DISPATCHED, department_id=department.pk)
        else:
            p.go("dispatch", disp, State.DISPATCHED, department_id=department.pk)
        handler = people.handlers[department.pk]
        reworks = 0
        while True:
            p.go("accept_task", handler, State.HANDLING)
            branch = rng.random()
            if branch < 0.06 or hold == State.EXTENSION_REQUESTED:
                p.go(
                    "request_extension",
                    handler,
                    State.EXTENSION_REQUESTED,
                    amount=rng.choice(["1", "2", "3"]),
                    unit="work_days",
                    note="需协调产权单位，申请延期。",
                )
                if rng.random() < 0.8:
                    p.go("approve_extension", disp, State.HANDLING)
                else:
                    p.go("deny_extension", disp, State.HANDLING, note="可按期完成，请抓紧处置。")
            elif branch < 0.09 or hold in (State.SUSPEND_REQUESTED, State.SUSPENDED):
                p.go(
                    "request_suspend",
                    handler,
                    State.SUSPEND_REQUESTED,
                    note="涉及产权纠纷，需长期协调。",
                )
                if rng.random() < 0.8 or hold == State.SUSPENDED:
                    p.go("approve_suspend", disp, State.SUSPENDED)
                    p.go("resume", disp, State.HANDLING, note="纠纷已协调解决，恢复处置。")
                else:
                    p.go("deny_suspend", disp, State.HANDLING, note="不符合挂账条件。")
            p.go("finish", handler, State.HANDLED, result=rng.choice(RESULTS))
            p.go("send_check", op, State.CHECKING, inspector_id=inspector.pk)
            if reworks < 2 and rng.random() < 0.08:
                p.go("check_fail", inspector, State.DISPATCHED, note="现场仍未处置到位。")
                reworks += 1
                continue
            p.go("check_pass", inspector, State.PENDING_CLOSE, note="已处置到位。")
            if reworks < 2 and rng.random() < 0.02:
                p.go("rework", lead, State.DISPATCHED, note="处置照片不清晰，请重新处置。")
                reworks += 1
                continue
            p.go("close", lead, State.CLOSED)
            break
    except _Held:
        pass
    # A path may have ended earlier (void, self-close): cut what follows a final move.
    for i, step in enumerate(p.steps):
        if step.name in ("self_close", "approve_void", "void"):
            return p.steps[: i + 1]
    return p.steps


def plan_cases(people: People, now: datetime, count: int = CASE_COUNT) -> list[Plan]:
    rng = random.Random(SEED)
    _TYPE_NAMES.update({(t.kind, t.code): t.name for t in ObjectType.objects.all()})
    cells = city.lattice()
    components = list(Component.objects.select_related("type").order_by("ident"))
    holds = [h for h, _ in HOLDS]
    hold_weights = [w for _, w in HOLDS]
    plans = []
    for _ in range(count):
        days_back = rng.uniform(0, DAYS)
        plan, department, street_code, self_handle = _draft(
            rng, now, people, cells, components, days_back
        )
        hold = None
        if days_back < HOLD_DAYS and rng.random() < HOLD_SHARE:
            hold = rng.choices(holds, weights=hold_weights)[0]
            if hold in VERIFY_ONLY and plan.report.source == Source.INSPECTOR:
                hold = State.PENDING_REGISTER
        plan.steps = _path(rng, plan, people, department, street_code, self_handle, hold)
        plans.append(plan)
    plans.sort(key=lambda p: p.reported_at)
    return plans


# ---- playing the plans ------------------------------------------------------------------------


class _Clock:
    """Draws the time of each move from the running stage's allowance."""

    def __init__(self, rng: random.Random, cal: WorkCalendar) -> None:
        self.rng = rng
        self.cal = cal
        self.key: tuple[Any, ...] = ()
        self.end: datetime | None = None

    def _plan_stage(self, case: Case, start: datetime) -> None:
        due, unit = case.stage_due_at, case.stage_unit
        self.key = (case.stage, case.stage_started_at, due)
        if due is None or not unit:
            self.end = None
            return
        allowed = max(self.cal.elapsed(start, due, unit), 60.0)  # type: ignore[arg-type]
        late = self.rng.random() < LATE.get(case.stage, 0.02)  # type: ignore[call-overload]
        fraction = self.rng.uniform(1.1, 2.5) if late else self.rng.uniform(0.15, 0.9)
        self.end = self.cal.add_seconds(start, fraction * allowed, unit)  # type: ignore[arg-type]

    def next(self, case: Case, name: str, prev: datetime) -> datetime:
        key = (case.stage, case.stage_started_at, case.stage_due_at)
        if key != self.key:
            # A new stage, or the deadline moved (extension, resume): plan its end afresh.
            self._plan_stage(case, prev)
        if self.end is None:
            # Suspended (挂账): the hang-up lasts days.
            return self.cal.next_working_moment(prev + timedelta(days=self.rng.uniform(1, 6)))
        unit = case.stage_unit
        if TRANSITIONS[name].clock in (Clock.START, Clock.STOP, Clock.PAUSE):
            at = self.end
        else:
            span = self.cal.elapsed(prev, self.end, unit)  # type: ignore[arg-type]
            at = self.cal.add_seconds(prev, self.rng.uniform(0.05, 0.3) * max(span, 0), unit)  # type: ignore[arg-type]
        return max(at, prev + timedelta(minutes=self.rng.uniform(1, 5)))


def _play(plans: list[Plan], now: datetime, progress: Progress) -> int:
    rng = random.Random(SEED + 1)
    clock = _Clock(rng, deadlines.calendar())
    created = 0
    i = 0
    while i < len(plans):
        # Reports of the same reporter at the same moment arrive as one batch.
        j = i + 1
        while (
            j < len(plans)
            and plans[j].reported_at == plans[i].reported_at
            and plans[j].reporter.pk == plans[i].reporter.pk
        ):
            j += 1
        batch = plans[i:j]
        cases = case_actions.report_cases(
            batch[0].reporter, [p.report for p in batch], now=batch[0].reported_at
        )
        created += len(cases)
        for plan, case in zip(batch, cases, strict=True):
            # A case's history is played as one unit of work: every move checked and
            # applied by the engine, the rows written once.
            with case_actions.moving(case) as moves:
                at = plan.reported_at
                for step in plan.steps:
                    at = clock.next(case, step.name, at)
                    if at > now:
                        break
                    case = moves.apply(
                        step.actor, step.name, version=case.version, inputs=step.inputs, now=at
                    )
        progress.advance(len(batch))
        i = j
    return created


def _report_duplicates(people: People, now: datetime, progress: Progress) -> int:
    """Duplicate reports of recent open cases, merged through the workflow like any move."""
    rng = random.Random(SEED + 2)
    targets = list(
        Case.objects.exclude(state__in=list(FINAL_STATES))
        .filter(reported_at__gte=now - timedelta(days=6), reported_at__lte=now - timedelta(hours=3))
        .select_related("type")
        .order_by("id")
    )
    if not targets:
        progress.advance(DUPLICATE_REPORTS)
        return 0
    if len(targets) >= DUPLICATE_REPORTS:
        picks = rng.sample(targets, DUPLICATE_REPORTS)
    else:
        picks = rng.choices(targets, k=DUPLICATE_REPORTS)
    created = 0
    for i, target in enumerate(picks):
        at = min(
            target.reported_at + timedelta(minutes=rng.uniform(20, 150)),
            now - timedelta(minutes=15),
        )
        fields: dict[str, Any] = {
            "kind": target.kind,
            "type_code": target.type.code,
            "title": target.title,
            "address": target.address,
            "description": "群众再次反映同一问题。",
            "source": Source.PUBLIC,
        }
        # A few metres off; on the target's own point if that would leave the grids.
        offset = (rng.uniform(-6e-5, 6e-5), rng.uniform(-6e-5, 6e-5))
        for lon, lat in (
            (target.lon + offset[0], target.lat + offset[1]),
            (target.lon, target.lat),
        ):
            try:
                report = case_actions.Report(lon=lon, lat=lat, **fields)
                duplicate = case_actions.report_cases(people.operator, [report], now=at)[0]
                break
            except InvalidInput:
                continue
        else:
            progress.advance()
            continue
        created += 1
        if i % 3 != 2:
            with case_actions.moving(duplicate) as moves:
                moves.apply(
                    people.operator,
                    "merge",
                    version=duplicate.version,
                    inputs={"into": target.number, "note": "同一问题重复上报。"},
                    now=at + timedelta(minutes=rng.uniform(3, 9)),
                )
        progress.advance()
    return created


def demo_cases_exist() -> bool:
    if AuditEntry.objects.filter(action=MARKER).exists():
        return True
    reporters = ["inspector", "operator", *(name for name, _, _ in EXTRA_INSPECTORS)]
    return Case.objects.filter(reporter__username__in=reporters).exists()


def build_cases(
    admin: User | None = None, *, now: datetime | None = None, stream: IO[str] | None = None
) -> int:
    """Load the demo cases once; returns how many were created (0 when already there).

    Progress (cases played through the workflow) goes to `stream`, stderr by default.
    """
    if demo_cases_exist():
        return 0
    admin = admin or city.ensure_admin()
    now = now or timezone.now()
    with transaction.atomic(), generations.pinned():
        people = ensure_people(admin)
        _configure_reference(admin, people)
        plans = plan_cases(people, now)
        total = len(plans) + DUPLICATE_REPORTS
        with Progress("案卷（按流程办理）", total, unit="件", stream=stream) as bar:
            created = _play(plans, now, bar)
            created += _report_duplicates(people, now, bar)
        audit.record(
            admin, MARKER, ("cases.case", "demo"), f"载入演示案卷 {created} 件", count=created
        )
    return created
