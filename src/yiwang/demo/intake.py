"""Demo intake: every channel of the 多渠道受理 desk with something in it.

Run by `demo.load.build` after the cases, through the intake actions only (no model is
written here): 12 cameras of the district (GB/T 28181 ids, online and offline, streams
and media-platform references) and an alarm source whose ~40 alarms of the last days
file cases, repeat into them, wait in 告警审核 or were rejected as false alarms; a 12345
hotline system with 30 work orders (most filed, some 待定位, one 退单, one revised); an
Open311 client with a few requests; 15 public reports with photos the operator approved,
refused or has still to look at; and reports from the inspectors' phones.

Everything is drawn from a seeded generator, at times of the last three days. Loading is
idempotent: once the marker audit row exists (written in the same transaction as the
rest), nothing is created. The keys of the Open311 client and the alarm source exist in
clear only when they are issued: they are returned once, for the command to print.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from yiwang.cases import queries as case_queries
from yiwang.cases.actions.photos import Upload
from yiwang.core import audit, generations
from yiwang.core.errors import ActionError
from yiwang.core.models import AuditEntry
from yiwang.core.progress import Progress
from yiwang.demo import city
from yiwang.demo.cases import ROADS, SURNAMES
from yiwang.demo.pictures import street_jpeg
from yiwang.intake.actions import (
    alarm_review,
    alarm_setup,
    cameras,
    hotline,
    inspector,
    open311,
    public,
    public_review,
)
from yiwang.intake.actions.alarm_checks import AlarmIn
from yiwang.intake.actions.alarms import receive_alarms
from yiwang.intake.loader import DEFAULT_HOTLINE_CATEGORIES
from yiwang.intake.models import (
    AlarmEventType,
    AlarmSource,
    Camera,
    HotlineCategory,
    HotlineSystem,
    PublicPhotoReview,
    PublicService,
)
from yiwang.intake.schemas.hotline import HotlineOrderIn
from yiwang.org.models import User

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEED = 20261201
MARKER = "demo.intake"  # audit action written once the demo intake is loaded
DAYS_BACK_HOURS = 70  # everything arrived within the last three days

# GB/T 28181 ids: centre 44030400 (福田区 + grassroots unit 00), industry 08 城市管理,
# type 132 网络摄像机 (131 摄像机 for a few), network 6 电子政务外网, then the serial.
CENTRE = f"{city.DISTRICT}00"
CAMERA_COUNT = 12
# The district's video platform (type 200, SIP server) that the referenced cameras sit on.
MEDIA_PLATFORM = f"{CENTRE}082006000001"
CAMERA_STATUS = {3: "offline", 8: "offline", 10: "fault"}  # by index; the others online
SOURCE_NAME = "福田区视频智能分析平台（演示）"
FLIGHT = "UAV-FT-0001"

HOTLINE_CODE = "sz12345-demo"
HOTLINE_NAME = "深圳市12345热线（演示）"
HOTLINE_ORDERS = 30
NO_POINT = {4, 9, 15, 20, 26, 29}  # orders the hotline sent without coordinates
RETURNED = 15  # one of them is not ours: 退单

CLIENT_NAME = "i福田市民App（演示）"
# (matter code, name shown to the public, group) opened through Open311.
SERVICES = [
    ("06010", "暴露垃圾", "市容环境"),
    ("06036", "乱堆杂物", "市容环境"),
    ("06013", "道路破损", "市容环境"),
    ("07001", "非法小广告", "宣传广告"),
    ("09006", "占道经营", "街面秩序"),
    ("09009", "机动车乱停放", "街面秩序"),
    ("06028", "噪声扰民", "市容环境"),
    ("01037", "路灯不亮", "市政设施"),
]
GARBAGE_SIZE = {
    "code": "size",
    "datatype": "singlevaluelist",
    "required": False,
    "description": "垃圾大约有多少",
    "values": [
        {"key": "bag", "name": "一两袋"},
        {"key": "pile", "name": "一小堆"},
        {"key": "truck", "name": "需要车辆清运"},
    ],
}

PUBLIC_REPORTS = 15
# What the public reports, by catalogue matter code, with what they write.
PUBLIC_PROBLEMS = [
    ("06010", "路边有一堆垃圾，好几天没人清理了，有异味。"),
    ("06013", "人行道地砖松动翘起，老人走路容易绊倒。"),
    ("07001", "小区门口电线杆上贴满了小广告。"),
    ("09006", "早上有流动摊贩占用人行道卖早餐。"),
    ("06036", "楼下空地堆满了废旧家具和纸箱。"),
    ("01037", "这一段路灯晚上不亮，走夜路很黑。"),
    ("09009", "机动车长期占用人行道停放。"),
    ("06028", "深夜有商铺音响声音很大，影响休息。"),
]
# Photo reviews: the photos of the latest reports still wait for the operator; of the
# earlier ones every fifth photo (from the third on) was refused, the rest approved.
UNREVIEWED_REPORTS = 5
REFUSALS = ["照片中有清晰的人脸。", "照片中有可辨认的车牌号码。"]

Advance = Callable[[int], None]


@dataclass
class IntakeLoaded:
    cameras: int = 0
    received: int = 0  # alarms, orders, requests and reports that arrived
    keys: dict[str, str] = field(default_factory=dict)  # what the keys are for → key


@dataclass(frozen=True)
class _People:
    admin: User
    operator: User
    inspectors: list[User]


class _Clock:
    """Times of the last days from the seeded generator, never in the future."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now

    def back(self, low_hours: float = 1.0, high_hours: float = DAYS_BACK_HOURS) -> datetime:
        at = self.now - timedelta(hours=self.rng.uniform(low_hours, high_hours))
        return at.replace(microsecond=0)

    def after(self, at: datetime, low_minutes: float, high_minutes: float) -> datetime:
        later = at + timedelta(minutes=self.rng.uniform(low_minutes, high_minutes))
        return min(later, self.now - timedelta(minutes=1)).replace(microsecond=0)


def demo_intake_exists() -> bool:
    return (
        AuditEntry.objects.filter(action=MARKER).exists()
        or Camera.objects.filter(device_id__startswith=f"{CENTRE}08").exists()
        or HotlineSystem.objects.filter(code=HOTLINE_CODE).exists()
    )


def _people(admin: User) -> _People:
    users = {
        u.username: u
        for u in User.objects.select_related("division", "department").filter(
            username__in=["operator", "inspector", "inspector2", "inspector3"]
        )
    }
    phones = [users[name] for name in ("inspector", "inspector2", "inspector3") if name in users]
    return _People(admin=admin, operator=users["operator"], inspectors=phones)


def _inside(rng: random.Random, cell: city.Cell) -> tuple[float, float]:
    """A point well inside a grid cell (clear of its borders)."""
    xs = [p[0] for p in cell.ring]
    ys = [p[1] for p in cell.ring]
    lon = min(xs) + (max(xs) - min(xs)) * rng.uniform(0.15, 0.85)
    lat = min(ys) + (max(ys) - min(ys)) * rng.uniform(0.15, 0.85)
    return round(lon, 7), round(lat, 7)


def _street_cells(street_code: str) -> list[city.Cell]:
    return [c for c in city.lattice() if c.community_code.startswith(street_code)]


def _street_name(street_code: str) -> str:
    return next(name for code, name, _ in city.STREETS if code == street_code)


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def _caller(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(["先生", "女士"])


def _jpeg(name: str, seed: int, size: tuple[int, int] = (320, 240)) -> Upload:
    return Upload(f"{name}.jpg", street_jpeg(seed, size=size), "image/jpeg")


# ---- cameras and alarms ----------------------------------------------------------------------


def _camera_csv(rng: random.Random) -> tuple[str, list[str]]:
    """The cameras as the registry's CSV import reads them, and their ids in order."""
    lines = ["device_id,name,lon,lat,status,stream_url,platform_ref,address"]
    ids = []
    for i in range(CAMERA_COUNT):
        street_code = city.STREETS[i % len(city.STREETS)][0]
        cells = [c for c in _street_cells(street_code) if c.region_class == 1]
        lon, lat = _inside(rng, rng.choice(cells))
        road, cross = rng.sample(ROADS, 2)
        device = f"{CENTRE}08{'131' if i % 5 == 4 else '132'}6{i + 1:06d}"
        ids.append(device)
        # Half the cameras give a stream, the others sit on the district's media platform.
        stream = f"rtsp://10.44.3.{20 + i}:554/Streaming/Channels/101" if i % 2 == 0 else ""
        platform = "" if i % 2 == 0 else f"{MEDIA_PLATFORM}/{device}"
        name = f"{road}{cross}路口{'东西南北'[i % 4]}侧"
        address = f"深圳市福田区{_street_name(street_code)}{road}与{cross}交叉口"
        status = CAMERA_STATUS.get(i, "online")
        lines.append(f"{device},{name},{lon},{lat},{status},{stream},{platform},{address}")
    return "\n".join(lines) + "\n", ids


@dataclass
class _PlannedAlarm:
    at: datetime
    event_type: str
    confidence: float
    event_id: str
    camera: str = ""
    point: tuple[float, float] | None = None
    decision: str = ""  # "accept" | "reject" once an operator looked at it
    reason: str = ""


# Incidents a camera saw confidently, with how many repeats followed within the window.
REPEATS = [2, 1, 0, 3, 1, 0, 2, 1, 0, 1, 2, 0, 1, 0]
PENDING_GROUPS = 6
REJECTIONS = ["树影晃动被误识别为占道经营。", "行人驻足被误识别，现场无问题。"]
# Incidents and repeats, the review groups (one with a repeat), the rejected and the
# accepted ones, and the drone's two sightings.
ALARM_COUNT = len(REPEATS) + sum(REPEATS) + PENDING_GROUPS + 1 + len(REJECTIONS) + 1 + 2
OPEN311_REQUESTS = 5


def _plan_alarms(rng: random.Random, clock: _Clock, online: list[str]) -> list[_PlannedAlarm]:
    codes = [code for code, _, _ in alarm_setup.DEFAULT_EVENT_TYPES]
    codes = list(
        AlarmEventType.objects.filter(code__in=codes, is_active=True)
        .order_by("code")
        .values_list("code", flat=True)
    )
    used: set[tuple[str, str]] = set()
    serial = iter(range(1, 1000))

    def pair(i: int) -> tuple[str, str]:
        # A (camera, type) of its own, so each incident or review group is its own track.
        camera = online[i % len(online)]
        for code in rng.sample(codes, len(codes)):
            if (camera, code) not in used:
                used.add((camera, code))
                return camera, code
        raise RuntimeError("not enough event types for the demo cameras")

    def event_id(at: datetime) -> str:
        return f"AI-{timezone.localtime(at, SHANGHAI):%Y%m%d%H%M%S}-{next(serial):04d}"

    plans: list[_PlannedAlarm] = []
    for i, repeats in enumerate(REPEATS):
        camera, code = pair(i)
        at = clock.back(3, DAYS_BACK_HOURS)
        plans.append(_PlannedAlarm(at, code, round(rng.uniform(0.83, 0.98), 2), "", camera))
        for _ in range(repeats):
            at = at + timedelta(minutes=rng.uniform(4, 12))
            plans.append(_PlannedAlarm(at, code, round(rng.uniform(0.8, 0.97), 2), "", camera))
    review: list[tuple[str, str]] = [
        *(("", "") for _ in range(PENDING_GROUPS)),
        *(("reject", reason) for reason in REJECTIONS),
        ("accept", ""),
    ]
    for i, (decision, reason) in enumerate(review, start=len(REPEATS)):
        camera, code = pair(i)
        at = clock.back(2, DAYS_BACK_HOURS)
        low = round(rng.uniform(0.5, 0.78), 2)
        plans.append(_PlannedAlarm(at, code, low, "", camera, None, decision, reason))
        if i == len(REPEATS):  # a low-confidence repeat joins the first group
            later = at + timedelta(minutes=6)
            plans.append(_PlannedAlarm(later, code, round(low - 0.05, 2), "", camera))
    # A drone over a building site: the second sighting, 20 m on, joins the first's case.
    cell = rng.choice(_street_cells(city.STREETS[2][0]))
    lon, lat = _inside(rng, cell)
    at = clock.back(5, 30)
    code = "piled_materials" if "piled_materials" in codes else codes[0]
    plans.append(_PlannedAlarm(at, code, 0.91, "", "", (lon, lat)))
    later = at + timedelta(minutes=3)
    plans.append(_PlannedAlarm(later, code, 0.88, "", "", (lon + 0.0002, lat)))
    plans.sort(key=lambda p: p.at)
    for p in plans:
        p.event_id = event_id(p.at)
    return plans


def _load_video(
    rng: random.Random, clock: _Clock, people: _People, result: IntakeLoaded, advance: Advance
) -> None:
    text, ids = _camera_csv(rng)
    cameras.import_cameras(people.admin, text)
    result.cameras = len(ids)
    advance(len(ids))
    key, source = alarm_setup.create_alarm_source(
        people.admin, name=SOURCE_NAME, division_code=city.DISTRICT
    )
    result.keys["alarm"] = key
    online = [d for i, d in enumerate(ids) if i not in CAMERA_STATUS]
    plans = _plan_alarms(rng, clock, online)
    decided: list[tuple[_PlannedAlarm, int]] = []
    for n, plan in enumerate(plans):
        item = AlarmIn(
            event_id=plan.event_id,
            event_type=plan.event_type,
            occurred_at=plan.at,
            confidence=plan.confidence,
            camera_id=plan.camera,
            flight_id="" if plan.camera else FLIGHT,
            lon=plan.point[0] if plan.point else None,
            lat=plan.point[1] if plan.point else None,
            snapshot=street_jpeg(SEED + 1000 + n),
        )
        answer = _receive(source, item, plan.at + timedelta(seconds=3))
        if plan.decision and answer is not None:
            decided.append((plan, answer))
        result.received += 1
        advance(1)
    for plan, alarm_id in decided:
        at = clock.after(plan.at, 20, 90)
        if plan.decision == "reject":
            alarm_review.reject_alarm(people.operator, alarm_id, reason=plan.reason, now=at)
        else:
            alarm_review.accept_alarm(
                people.operator, alarm_id, note="回看录像确认存在问题。", now=at
            )


def _receive(source: AlarmSource, item: AlarmIn, now: datetime) -> int | None:
    [answer] = receive_alarms(source, [item], now=now)
    if isinstance(answer, ActionError):
        raise answer  # the demo's own data is wrong: stop rather than load half of it
    return answer.alarm_id


# ---- 12345 hotline ---------------------------------------------------------------------------


def _categories() -> list[tuple[str, str]]:
    active = set(HotlineCategory.objects.filter(is_active=True).values_list("code", flat=True))
    return [(code, name) for code, name, _ in DEFAULT_HOTLINE_CATEGORIES if code in active]


def _load_hotline(
    rng: random.Random, clock: _Clock, people: _People, result: IntakeLoaded, advance: Advance
) -> None:
    system = hotline.create_system(people.admin, code=HOTLINE_CODE, name=HOTLINE_NAME)
    categories = _categories()
    planned: list[tuple[datetime, dict[str, Any]]] = []
    for i in range(HOTLINE_ORDERS):
        street_code = city.STREETS[i % len(city.STREETS)][0]
        code, label = categories[i % len(categories)]
        problem = label.rsplit("/", 1)[-1]
        road = rng.choice(ROADS)
        number = rng.randint(1, 399)
        at = clock.back(1, DAYS_BACK_HOURS)
        local = timezone.localtime(at, SHANGHAI)
        order: dict[str, Any] = {
            "order_id": f"SZ12345-{local:%Y%m%d}-{i + 1:04d}",
            "received_at": local.isoformat(),
            "category": code,
            "category_name": label,
            "title": f"{road}{problem}",
            "content": f"市民来电反映：{road}{number}号附近{problem}，希望尽快处理。",
            "address": f"广东省深圳市福田区{_street_name(street_code)}{road}{number}号",
            "caller_name": _caller(rng),
            "caller_phone": _phone(rng),
            "urgency": "urgent" if i % 11 == 7 else "normal",
            "deadline": (local + timedelta(days=3)).isoformat(),
        }
        if i not in NO_POINT:
            order["lon"], order["lat"] = _inside(rng, rng.choice(_street_cells(street_code)))
        else:
            order["content"] += "（来电人未能说明具体位置。）"
        planned.append((at, order))
    planned.sort(key=lambda p: p[0])
    for at, order in planned:
        filed = hotline.receive_order(
            system, HotlineOrderIn.model_validate(order), now=clock.after(at, 2, 10)
        )
        result.received += 1
        advance(1)
        index = int(order["order_id"].rsplit("-", 1)[1]) - 1
        if index == RETURNED:
            hotline.return_order(
                people.operator,
                filed.order.pk,
                reason="诉求为小区内部物业管理纠纷，不属于城市管理范围，请转住建部门。",
                now=clock.after(at, 30, 90),
            )
    # The hotline sends one filed order again unchanged (nothing happens) and revises
    # another (its case's timeline says what changed).
    located = [(at, o) for at, o in planned if "lon" in o]
    resend_at, resend = located[0]
    hotline.receive_order(
        system, HotlineOrderIn.model_validate(resend), now=clock.after(resend_at, 30, 60)
    )
    revised_at, revised = located[1]
    revised = {**revised, "content": revised["content"] + "市民再次来电催办。", "urgency": "urgent"}
    hotline.receive_order(
        system, HotlineOrderIn.model_validate(revised), now=clock.after(revised_at, 60, 180)
    )
    advance(2)


# ---- Open311 ---------------------------------------------------------------------------------


def _load_open311(
    rng: random.Random, clock: _Clock, people: _People, result: IntakeLoaded, advance: Advance
) -> None:
    for order, (code, name, group) in enumerate(SERVICES, start=1):
        open311.save_public_service(
            people.admin,
            kind="matter",
            type_code=code,
            name=name,
            group=group,
            keywords=name,
            attributes=[GARBAGE_SIZE] if code == "06010" else None,
            order=order,
        )
    key, client = open311.issue_client(
        people.admin, name=CLIENT_NAME, contact="福田区政务服务数据管理局 0755-00000000"
    )
    result.keys["open311"] = key
    services = {
        s.type.code: s
        for s in PublicService.objects.select_related("type").filter(
            type__kind="matter", type__code__in=[c for c, _, _ in SERVICES]
        )
    }
    posts: list[tuple[datetime, open311.RequestPost]] = []
    for i in range(OPEN311_REQUESTS):
        code, name, _group = SERVICES[(i * 3) % len(SERVICES)]
        street_code = city.STREETS[i % len(city.STREETS)][0]
        road = rng.choice(ROADS)
        post = open311.RequestPost(
            service=services[code],
            description=f"{road}附近{name}，请处理。（来自 i福田 App）",
            first_name=rng.choice(["伟", "芳", "敏", "静", "磊"]),
            last_name=rng.choice(SURNAMES),
            phone=_phone(rng),
            device_id=f"demo-device-{i + 1}",
        )
        if i == OPEN311_REQUESTS - 1:
            # Only an address: it waits for an operator to place it (a token answers).
            post.address_string = (
                f"深圳市福田区{_street_name(street_code)}{road}{rng.randint(1, 99)}号"
            )
        else:
            lon, lat = _inside(rng, rng.choice(_street_cells(street_code)))
            post.lat, post.long = str(lat), str(lon)
        if code == "06010":
            post.attributes = {"size": ["pile"]}
        posts.append((clock.back(2, DAYS_BACK_HOURS), post))
    for at, post in sorted(posts, key=lambda p: p[0]):
        open311.submit_request(client, post, now=at)
        result.received += 1
        advance(1)


# ---- the public form and its photos -----------------------------------------------------------


def _load_public(
    rng: random.Random, clock: _Clock, people: _People, result: IntakeLoaded, advance: Advance
) -> None:
    # The entries of the one public list for these types (the report page's choices).
    types = dict(
        PublicService.objects.filter(
            type__kind="matter",
            type__code__in=[code for code, _ in PUBLIC_PROBLEMS],
            is_active=True,
        ).values_list("type__code", "pk")
    )
    problems = [(code, text) for code, text in PUBLIC_PROBLEMS if code in types]
    planned = []
    for i in range(PUBLIC_REPORTS):
        code, text = problems[i % len(problems)]
        street_code = city.STREETS[i % len(city.STREETS)][0]
        lon, lat = _inside(rng, rng.choice(_street_cells(street_code)))
        photos = [
            _jpeg(f"IMG_{2026_0000 + i * 10 + k}", SEED + i * 10 + k, (480, 360))
            for k in range(1 + i % 2)
        ]
        report = public.PublicReport(
            service_id=types[code],
            lon=lon,
            lat=lat,
            description=text,
            address=f"{rng.choice(ROADS)}{rng.randint(1, 399)}号附近",
            phone=_phone(rng) if i % 3 else "",
            photos=photos,
            # The page's one-time token: a resend of the same report files nothing.
            token=hashlib.sha256(f"demo-public-{i}".encode()).hexdigest()[:32],
        )
        planned.append((clock.back(1, DAYS_BACK_HOURS), report))
    reviews: list[tuple[datetime, int]] = []
    ordered = sorted(planned, key=lambda p: p[0])
    for n, (at, report) in enumerate(ordered):
        submission = public.report_publicly(report, client="127.0.0.1", now=at)
        if n < len(ordered) - UNREVIEWED_REPORTS:
            reviews += [(at, pk) for pk in _review_ids(submission.pk)]
        result.received += 1
        advance(1)
    for n, (at, review_id) in enumerate(reviews):
        refused = n % 5 == 2
        public_review.review_photo(
            people.operator,
            review_id,
            approve=not refused,
            reason=REFUSALS[n // 5 % len(REFUSALS)] if refused else "",
            now=clock.after(at, 10, 120),
        )


def _review_ids(submission_id: int) -> list[int]:
    return list(
        PublicPhotoReview.objects.filter(submission_id=submission_id)
        .order_by("id")
        .values_list("pk", flat=True)
    )


# ---- the inspectors' phones (城管通) ------------------------------------------------------------

PHONE_REPORTS = [
    ("07001", "电箱上张贴小广告多处。"),
    ("06010", "绿化带内有暴露垃圾。"),
    ("09010", "共享单车和电动车堆在盲道上。"),
    ("06013", "人行道破损，约一平方米。"),
]


def _load_phones(
    rng: random.Random, clock: _Clock, people: _People, result: IntakeLoaded, advance: Advance
) -> None:
    for i, (code, text) in enumerate(PHONE_REPORTS):
        user = people.inspectors[i % len(people.inspectors)]
        assert user.division is not None
        lon, lat = _inside(rng, rng.choice(_street_cells(user.division.code)))
        at = clock.back(1, 48)
        # The phone's own id for the report: a resend of it files nothing new.
        report_id = uuid.uuid5(uuid.NAMESPACE_URL, f"yiwang-demo:phone:{i}")
        inspector.file_report(
            user,
            report_id,
            kind="matter",
            type_code=code,
            lon=lon,
            lat=lat,
            description=text,
            accuracy_m=round(rng.uniform(4, 15), 1),
            captured_at=at - timedelta(minutes=1),
            user_id=user.pk,
            now=at,
        )
        for k in range(1 + i % 2):
            inspector.add_report_photo(
                user, report_id, _jpeg(f"phone-{i}-{k}", SEED + 500 + i * 10 + k), now=at
            )
        result.received += 1
        advance(1)
    # One verification done from the phone, with its photo (the task list's first).
    user = people.inspectors[0]
    task = case_queries.worklist(user, "verify_tasks").first()
    if task is not None:
        inspector.complete_task(
            user,
            task.number,
            "verify_confirm",
            version=task.version,
            note="现场核实，情况属实。",
            photos=[_jpeg("verify", SEED + 900)],
        )
    advance(1)


# ---- the whole step --------------------------------------------------------------------------


def build_intake(
    admin: User | None = None, *, now: datetime | None = None, stream: IO[str] | None = None
) -> IntakeLoaded:
    """Load the demo's intake once; the counts are all 0 (and no keys) when it is there."""
    if demo_intake_exists():
        return IntakeLoaded()
    admin = admin or city.ensure_admin()
    now = now or timezone.now()
    result = IntakeLoaded()
    steps = (
        CAMERA_COUNT
        + ALARM_COUNT
        + HOTLINE_ORDERS
        + 2
        + OPEN311_REQUESTS
        + PUBLIC_REPORTS
        + len(PHONE_REPORTS)
        + 1
    )
    with transaction.atomic(), generations.pinned():
        people = _people(admin)
        with Progress("多渠道受理", steps, unit="条", stream=stream) as bar:
            # One generator per channel: changing one channel leaves the others' data as it was.
            for offset, load in enumerate(
                (_load_video, _load_hotline, _load_open311, _load_public, _load_phones)
            ):
                rng = random.Random(SEED + offset)
                load(rng, _Clock(rng, now), people, result, bar.advance)
        audit.record(
            admin,
            MARKER,
            ("intake.submission", "demo"),
            f"载入演示受理数据：摄像机 {result.cameras} 台，受理 {result.received} 条",
            cameras=result.cameras,
            received=result.received,
        )
    return result
