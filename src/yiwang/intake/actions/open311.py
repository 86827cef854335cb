"""Open311 GeoReport v2: registered clients, the public service list, filing requests.

- clients: `issue_client`, `update_client`, `reset_client_key` (system administrators);
  `authenticate_client` turns an api_key into its client
- services: `save_public_service` edits the one list of what the public may report (the
  report page's types under their tiles and Open311 `services`), `clean_attributes` checks
  a service definition's questions
- requests: `submit_request` files a case (or keeps an address-only request for an operator
  to place), `place_request` files the case of such a request
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django_ratelimit.core import get_usage

from yiwang.cases import actions as case_actions
from yiwang.cases.models import DESCRIPTION_MAX_LENGTH, Case, Source
from yiwang.catalog.models import ObjectType
from yiwang.core import audit
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied, TooManyRequests
from yiwang.core.scope import path_in_scope
from yiwang.core.textinput import text_problem
from yiwang.intake.actions.channels import channel_actor
from yiwang.intake.actions.submissions import record_submission
from yiwang.intake.models import (
    Channel,
    Open311Client,
    Open311Request,
    PublicCategory,
    PublicService,
    Submission,
)
from yiwang.intake.public_defaults import default_tile
from yiwang.org.models import User
from yiwang.org.permissions import require_role
from yiwang.org.roles import Role

# Open311 reports enter like the public form's: accepted for verification (待派发核实), an
# inspector confirms them before they are registered (issue 7: "public reports enter as 待核实").
ENTRY_TRANSITION = "to_verify"
# GeoReport v2: "free form text limited to 4,000 characters".
DESCRIPTION_LIMIT = 4000
RATE_PATTERN = re.compile(r"^[1-9][0-9]{0,5}/[1-9]?[0-9]*[smhd]$")
TOUCH_INTERVAL = timedelta(minutes=1)

# ---- clients --------------------------------------------------------------------------------


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _check_client_fields(name: str, contact: str, rate: str) -> tuple[str, str, str]:
    name, contact, rate = name.strip(), contact.strip(), rate.strip()
    if not name:
        raise InvalidInput("required", "请填写客户端名称。", "name")
    for value, fname, limit in ((name, "name", 100), (contact, "contact", 200)):
        problem = text_problem(value)
        if problem is not None:
            raise InvalidInput(problem[0], problem[1], fname)
        if len(value) > limit:
            raise InvalidInput("too_long", f"不能超过 {limit} 字。", fname)
    if not RATE_PATTERN.match(rate):
        raise InvalidInput(
            "bad_rate", "提交频率上限的格式应为“次数/时段”，如 60/m、1000/h、5000/d。", "rate"
        )
    return name, contact, rate


def issue_client(
    actor: User, *, name: str, contact: str = "", rate: str = "60/m", now: datetime | None = None
) -> tuple[str, Open311Client]:
    """Register a client; returns its api_key (shown this once) and the client."""
    require_role(actor, [Role.ADMIN], "登记 Open311 客户端")
    name, contact, rate = _check_client_fields(name, contact, rate)
    key = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            client = Open311Client.objects.create(
                name=name,
                contact=contact,
                rate=rate,
                key_prefix=key[:8],
                key_hash=_hash(key),
                created_at=now or timezone.now(),
            )
            audit.record(
                actor, "intake.open311.issue_client", client, f"登记 Open311 客户端 {name}"
            )
    except IntegrityError:
        raise InvalidInput("duplicate", f"已有名为“{name}”的客户端。", "name") from None
    return key, client


def _client(client_id: int) -> Open311Client:
    client = Open311Client.objects.select_for_update().filter(pk=client_id).first()
    if client is None:
        raise NotFound("client_not_found", "没有这个 Open311 客户端。", "id")
    return client


def update_client(
    actor: User,
    client_id: int,
    *,
    name: str | None = None,
    contact: str | None = None,
    rate: str | None = None,
    is_active: bool | None = None,
) -> Open311Client:
    require_role(actor, [Role.ADMIN], "修改 Open311 客户端")
    try:
        with transaction.atomic():
            client = _client(client_id)
            client.name, client.contact, client.rate = _check_client_fields(
                client.name if name is None else name,
                client.contact if contact is None else contact,
                client.rate if rate is None else rate,
            )
            if is_active is not None:
                client.is_active = is_active
            client.save(update_fields=["name", "contact", "rate", "is_active"])
            state = "启用" if client.is_active else "停用"
            audit.record(
                actor,
                "intake.open311.update_client",
                client,
                f"修改 Open311 客户端 {client.name}（{state}，{client.rate}）",
            )
    except IntegrityError:
        raise InvalidInput("duplicate", f"已有名为“{name}”的客户端。", "name") from None
    return client


@transaction.atomic
def reset_client_key(actor: User, client_id: int) -> str:
    """A new api_key for the client; the old one stops working at once."""
    require_role(actor, [Role.ADMIN], "重置 Open311 客户端密钥")
    client = _client(client_id)
    key = secrets.token_urlsafe(32)
    client.key_prefix, client.key_hash = key[:8], _hash(key)
    client.save(update_fields=["key_prefix", "key_hash"])
    summary = f"重置 Open311 客户端 {client.name} 的密钥"
    audit.record(actor, "intake.open311.reset_key", client, summary)
    return key


def authenticate_client(key: str) -> Open311Client | None:
    """The active client an api_key belongs to, or None."""
    key = key.strip()
    if not key or len(key) > 200:
        return None
    client = Open311Client.objects.filter(key_hash=_hash(key), is_active=True).first()
    if client is None:
        return None
    now = timezone.now()
    # Touched at most once a minute, so a busy client does not turn each post into two writes.
    if client.last_used_at is None or now - client.last_used_at > TOUCH_INTERVAL:
        Open311Client.objects.filter(pk=client.pk).update(last_used_at=now)
    return client


def check_client_rate(request: HttpRequest, client: Open311Client) -> None:
    """Refuse a post when the client has used up its rate (django-ratelimit, in the cache)."""
    usage = get_usage(
        request,
        group="intake.open311.post",
        key=lambda _g, _r: str(client.pk),
        rate=client.rate,
        increment=True,
    )
    if usage is not None and usage["should_limit"]:
        seconds = max(1, int(usage["time_left"]))
        raise TooManyRequests(
            "rate_limited",
            f"该客户端提交过于频繁（上限 {client.rate}），请在 {seconds} 秒后重试。",
            "api_key",
            retry_after=seconds,
        )


# ---- the public service list ----------------------------------------------------------------

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_TYPES = ("singlevaluelist", "multivaluelist")
ATTRIBUTE_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,50}$")


def _attr_text(value: Any, where: str, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise InvalidInput("bad_attributes", f"{where} 应为文字。", "attributes")
    text = str(value).strip()
    if required and not text:
        raise InvalidInput("bad_attributes", f"{where} 不能为空。", "attributes")
    if text_problem(text) is not None or len(text) > limit:
        raise InvalidInput(
            "bad_attributes", f"{where} 含有控制字符或超过 {limit} 字。", "attributes"
        )
    return text


def clean_attributes(raw: Any) -> list[dict[str, Any]]:
    """The questions of a service definition, checked and in a canonical form.

    Each is ``{code, datatype, required, description, datatype_description, order,
    variable, values: [{key, name}]}`` (GeoReport v2 `attribute`); list types need values.
    """
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise InvalidInput("bad_attributes", "附加字段应为一个列表。", "attributes")
    cleaned: list[dict[str, Any]] = []
    codes: set[str] = set()
    for i, item in enumerate(raw, start=1):
        where = f"第 {i} 个附加字段"
        if not isinstance(item, dict):
            raise InvalidInput("bad_attributes", f"{where}应为一个对象。", "attributes")
        code = _attr_text(item.get("code"), f"{where}的 code", 50, required=True)
        if not ATTRIBUTE_CODE.match(code) or code in codes:
            raise InvalidInput(
                "bad_attributes",
                f"{where}的 code 只能由字母、数字、_ . - 组成，且不能重复。",
                "attributes",
            )
        codes.add(code)
        datatype = item.get("datatype", "string")
        if datatype not in DATATYPES:
            allowed = "、".join(DATATYPES)
            raise InvalidInput(
                "bad_attributes", f"{where}的 datatype 应为 {allowed} 之一。", "attributes"
            )
        values = item.get("values") or []
        if not isinstance(values, list):
            raise InvalidInput("bad_attributes", f"{where}的 values 应为列表。", "attributes")
        options = []
        keys: set[str] = set()
        for value in values:
            if not isinstance(value, dict):
                raise InvalidInput("bad_attributes", f"{where}的选项应为对象。", "attributes")
            key = _attr_text(value.get("key"), f"{where}的选项 key", 50, required=True)
            if key in keys:
                raise InvalidInput("bad_attributes", f"{where}的选项 key 重复：{key}", "attributes")
            keys.add(key)
            options.append(
                {"key": key, "name": _attr_text(value.get("name"), f"{where}的选项名称", 100)}
            )
        if datatype in LIST_TYPES and not options:
            raise InvalidInput("bad_attributes", f"{where}是选择题，需要 values。", "attributes")
        if datatype not in LIST_TYPES and options:
            raise InvalidInput(
                "bad_attributes", f"{where}不是选择题，不能有 values。", "attributes"
            )
        order = item.get("order", i)
        if not isinstance(order, int) or isinstance(order, bool) or order < 1:
            raise InvalidInput("bad_attributes", f"{where}的 order 应为正整数。", "attributes")
        flags = {}
        for flag, default in (("required", False), ("variable", True)):
            flags[flag] = item.get(flag, default)
            if not isinstance(flags[flag], bool):
                raise InvalidInput(
                    "bad_attributes", f"{where}的 {flag} 应为 true 或 false。", "attributes"
                )
        cleaned.append(
            {
                "code": code,
                "datatype": datatype,
                "required": flags["required"],
                "variable": flags["variable"],
                "order": order,
                "description": _attr_text(item.get("description"), f"{where}的说明", 200),
                "datatype_description": _attr_text(
                    item.get("datatype_description"), f"{where}的填写说明", 200
                ),
                "values": options,
            }
        )
    if len({a["order"] for a in cleaned}) != len(cleaned):
        raise InvalidInput("bad_attributes", "附加字段的 order 不能重复。", "attributes")
    return sorted(cleaned, key=lambda a: a["order"])


def save_public_service(
    actor: User,
    *,
    kind: str,
    type_code: str,
    name: str = "",
    description: str = "",
    keywords: str = "",
    group: str = "",
    attributes: Any = None,
    order: int = 100,
    is_active: bool = True,
    category_id: int | None = None,
    now: datetime | None = None,
) -> PublicService:
    """Open a type to the public (or change how it is offered): create or update its entry.

    `category_id` is the report page's tile; a new entry without one goes under the default
    tile of its major class (`public_defaults`), an existing one keeps its tile.
    """
    require_role(actor, [Role.ADMIN], "设置公众可报类型")
    obj_type = ObjectType.objects.filter(kind=kind, code=type_code).first()
    if obj_type is None:
        raise InvalidInput("unknown_type", f"未知的类型代码：{type_code}", "type_code")
    category = None
    if category_id is not None:
        category = PublicCategory.objects.filter(pk=category_id).first()
        if category is None:
            raise InvalidInput("unknown_category", "请选择公众上报大类。", "category")
    texts = {"name": name, "description": description, "keywords": keywords, "group": group}
    limits = {"name": 100, "description": 500, "keywords": 200, "group": 50}
    for fname, value in texts.items():
        problem = text_problem(value)
        if problem is not None:
            raise InvalidInput(problem[0], problem[1], fname)
        if len(value.strip()) > limits[fname]:
            raise InvalidInput("too_long", f"不能超过 {limits[fname]} 字。", fname)
    if not isinstance(order, int) or order < 0:
        raise InvalidInput("bad_order", "排序应为非负整数。", "order")
    cleaned = clean_attributes(attributes)
    with transaction.atomic():
        fields: dict[str, Any] = {
            **{k: v.strip() for k, v in texts.items()},
            "attributes": cleaned,
            "order": order,
            "is_active": is_active,
            "updated_at": now or timezone.now(),
        }
        if category is not None:
            fields["category"] = category
        elif not PublicService.objects.filter(type=obj_type).exists():
            fields["category"] = default_tile(PublicCategory, obj_type.major_code)
        service, created = PublicService.objects.update_or_create(type=obj_type, defaults=fields)
        audit.record(
            actor,
            "intake.open311.save_service",
            service,
            f"{'开放' if created else '修改'}公众可报类型 {obj_type.code} {obj_type.name}"
            f"（{'启用' if is_active else '停用'}）",
            category=service.category_id,
            name=service.name,
            order=service.order,
            is_active=service.is_active,
        )
    return service


# ---- filing requests ------------------------------------------------------------------------


@dataclass
class RequestPost:
    """A POST requests, as the client sent it (strings; `attributes` code → values)."""

    service: PublicService
    lat: str = ""
    long: str = ""
    crs: str = "wgs84"  # an extension: GeoReport v2 itself is WGS84
    address_string: str = ""
    address_id: str = ""
    description: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)
    media_url: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    device_id: str = ""
    account_id: str = ""


def _text(value: str, name: str, limit: int, *, multiline: bool = False) -> str:
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise InvalidInput(problem[0], f"{name}{problem[1]}", name)
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput("too_long", f"{name} 不能超过 {limit} 个字符。", name)
    return value


def _number(value: str, name: str) -> float:
    try:
        number = float(value.strip())
    except ValueError:
        raise InvalidInput("bad_number", f"{name} 应为数字。", name) from None
    if not math.isfinite(number):
        raise InvalidInput("bad_number", f"{name} 应为有限的数字。", name)
    return number


def _point(post: RequestPost) -> tuple[float, float] | None:
    has_lat, has_long = bool(post.lat.strip()), bool(post.long.strip())
    if has_lat != has_long:
        missing = "lat" if has_long else "long"
        raise InvalidInput("lat_long_pair", "lat 与 long 须同时提供。", missing)
    if not has_lat:
        return None
    lat, lon = _number(post.lat, "lat"), _number(post.long, "long")
    if not -90 <= lat <= 90:
        raise InvalidInput("bad_coordinates", "lat 应在 -90 到 90 之间。", "lat")
    if not -180 <= lon <= 180:
        raise InvalidInput("bad_coordinates", "long 应在 -180 到 180 之间。", "long")
    return lon, lat


def _answers(service: PublicService, given: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The answers to the service definition's questions, as (question, answer) lines."""
    questions = {a["code"]: a for a in service.attributes}
    unknown = sorted(set(given) - set(questions))
    if unknown:
        raise InvalidInput(
            "unknown_attribute", f"该类型没有附加字段 {unknown[0]}。", f"attribute[{unknown[0]}]"
        )
    lines = []
    for attr in service.attributes:
        code, datatype = attr["code"], attr["datatype"]
        fname = f"attribute[{code}]"
        values = [v.strip() for v in given.get(code, []) if v.strip()]
        if not values:
            if attr["required"] and attr["variable"]:
                raise InvalidInput("required", f"请填写附加字段 {code}。", fname)
            continue
        if len(values) > 1 and datatype != "multivaluelist":
            raise InvalidInput("bad_attribute", f"附加字段 {code} 只能有一个值。", fname)
        multiline = datatype == "text"
        values = [_text(v, fname, 1000 if multiline else 200, multiline=multiline) for v in values]
        if datatype in LIST_TYPES:
            names = {o["key"]: o["name"] or o["key"] for o in attr["values"]}
            wrong = [v for v in values if v not in names]
            if wrong:
                raise InvalidInput("bad_attribute", f"附加字段 {code} 没有选项 {wrong[0]}。", fname)
            shown = "、".join(names[v] for v in values)
        elif datatype == "number":
            _number(values[0], fname)
            shown = values[0]
        elif datatype == "datetime":
            try:
                datetime.fromisoformat(values[0].replace("Z", "+00:00"))
            except ValueError:
                raise InvalidInput(
                    "bad_datetime", f"附加字段 {code} 应为 ISO 8601 日期时间。", fname
                ) from None
            shown = values[0]
        else:
            shown = values[0]
        lines.append((attr["description"] or code, shown))
    return lines


@dataclass(frozen=True)
class Checked:
    point: tuple[float, float] | None
    description: str
    contact_name: str
    phone: str
    extra: dict[str, Any]


def _check(post: RequestPost) -> Checked:
    point = _point(post)
    address = _text(post.address_string, "address_string", 300)
    address_id = _text(post.address_id, "address_id", 64)
    if point is None and not address:
        field_name = "address_id" if address_id else "lat"
        raise InvalidInput(
            "location_required",
            "请提供位置：lat 与 long，或 address_string（本平台没有 address_id 地址库）。",
            field_name,
        )
    description = _text(post.description, "description", DESCRIPTION_LIMIT, multiline=True)
    answers = _answers(post.service, post.attributes)
    if answers:
        added = "\n".join(f"{q}：{a}" for q, a in answers)
        description = f"{description}\n\n{added}" if description else added
    description = description[:DESCRIPTION_MAX_LENGTH]
    media_url = _text(post.media_url, "media_url", 500)
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            raise InvalidInput("bad_url", "media_url 应为 http(s) 链接。", "media_url") from None
    email = _text(post.email, "email", 254)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInput("bad_email", "email 不是有效的电子邮箱。", "email") from None
    first = _text(post.first_name, "first_name", 25)
    last = _text(post.last_name, "last_name", 25)
    # A Chinese name is written family name first, without a space; others keep theirs.
    chinese = bool(first and last) and not (first + last).isascii()
    contact_name = f"{last}{first}" if chinese else f"{first} {last}"
    phone = _text(post.phone, "phone", 20).replace(" ", "").removeprefix("+")
    # ASCII digits: str.isdigit() also takes Arabic-Indic or superscript digits.
    if phone and not (phone.isascii() and phone.replace("-", "").isdigit()):
        raise InvalidInput("bad_phone", "phone 只能包含数字、空格、“+”和“-”。", "phone")
    return Checked(
        point=point,
        description=description,
        contact_name=contact_name.strip(),
        phone=phone,
        extra={
            "address_string": address,
            "address_id": address_id,
            "attributes": {k: v for k, v in post.attributes.items() if v},
            "media_url": media_url,
            "email": email,
            "device_id": _text(post.device_id, "device_id", 64),
            "account_id": _text(post.account_id, "account_id", 64),
        },
    )


def _file_case(
    actor: User,
    service: PublicService,
    *,
    lon: float,
    lat: float,
    crs: str,
    address: str,
    description: str,
    contact_name: str,
    phone: str,
    now: datetime,
) -> Case:
    obj_type = service.type
    case = case_actions.report_cases(
        actor,
        [
            case_actions.Report(
                kind=obj_type.kind,
                type_code=obj_type.code,
                title=service.name or obj_type.name,
                lon=lon,
                lat=lat,
                crs=crs,
                source=Source.PUBLIC,
                description=description,
                address=address,
                contact_name=contact_name,
                contact_phone=phone,
            )
        ],
        now=now,
    )[0]
    with case_actions.moving(case) as moves:
        return moves.apply(actor, ENTRY_TRANSITION, version=case.version, now=now)


def submit_request(
    client: Open311Client,
    post: RequestPost,
    *,
    within: str = "",
    now: datetime | None = None,
) -> Submission:
    """File one Open311 request: a case at once when it has a point, else a submission that
    waits for an operator to place it (answered with a token). All or nothing.

    `within` is the division path of the jurisdiction the client named: the point must lie
    in it."""
    checked = _check(post)
    now = now or timezone.now()
    actor = channel_actor(Channel.OPEN311)
    with transaction.atomic():
        case = None
        if checked.point is not None:
            case = _file_case(
                actor,
                post.service,
                lon=checked.point[0],
                lat=checked.point[1],
                crs=post.crs or "wgs84",
                address=checked.extra["address_string"],
                description=checked.description,
                contact_name=checked.contact_name,
                phone=checked.phone,
                now=now,
            )
            if not case.division_path.startswith(within):
                raise InvalidInput(
                    "outside_jurisdiction", "该位置不在 jurisdiction_id 所指的区划内。", "lat"
                )
        submission = record_submission(
            channel=Channel.OPEN311,
            case=case,
            sender=str(client.pk),
            contact_phone=checked.phone,
            created_by=actor,
            now=now,
        )
        Open311Request.objects.create(
            submission=submission,
            client=client,
            service=post.service,
            description=checked.description,
            contact_name=checked.contact_name,
            **checked.extra,
        )
        where = f"案卷 {case.number}" if case else "待定位"
        audit.record(
            actor,
            "intake.open311.submit",
            submission,
            f"Open311 客户端 {client.name} 提交请求（{where}）",
            client=client.pk,
        )
    return submission


def place_request(
    actor: User,
    token: str,
    *,
    lon: float,
    lat: float,
    crs: str = "wgs84",
    now: datetime | None = None,
) -> Case:
    """File the case of an address-only Open311 request at the point an operator chose."""
    require_role(actor, [Role.OPERATOR, Role.SHIFT_LEAD], "为 Open311 请求定位")
    now = now or timezone.now()
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update()
            .filter(tracking_code=token.strip().upper(), channel=Channel.OPEN311)
            .first()
        )
        request = (
            Open311Request.objects.select_related("service__type")
            .filter(submission=submission)
            .first()
            if submission is not None
            else None
        )
        if submission is None or request is None:
            raise NotFound("request_not_found", "没有这个 Open311 请求。", "token")
        if submission.case_id is not None:
            raise InvalidInput("already_placed", "该请求已经立卷，无需再定位。", "token")
        if not all(math.isfinite(v) for v in (lon, lat)):
            raise InvalidInput("bad_coordinates", "坐标不合法。", "lon")
        case = _file_case(
            channel_actor(Channel.OPEN311),
            request.service,
            lon=lon,
            lat=lat,
            crs=crs,
            address=request.address_string,
            description=request.description,
            contact_name=request.contact_name,
            phone=submission.contact_phone,
            now=now,
        )
        if not path_in_scope(actor, case.division_path):
            raise PermissionDenied("out_of_scope", "该位置不在您的管辖范围内。", "lon")
        submission.case = case
        submission.save(update_fields=["case"])
        audit.record(
            actor,
            "intake.open311.place",
            submission,
            f"为 Open311 请求定位并立卷 {case.number}",
        )
    return case
