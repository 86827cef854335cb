"""Open311 GeoReport v2 at /open311/v2/ (http://wiki.open311.org/GeoReport_v2).

Plain Django views, not the ninja API: Open311 has its own formats and its own errors.
Every call answers in the format its path ends with (.json or .xml); every refusal is the
specification's error list with HTTP 404 (unknown resource or jurisdiction), 403 (missing
or wrong api_key, POST only) or 400 (anything else, including a rate limit — its body code
is 429 — and a failure of ours, which the specification files under "General service
error"). The reads are public and carry no personal data; see docs/intake.md.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from yiwang.cases.models import Case, Source, Stage, State
from yiwang.cases.workflow import TRANSITIONS
from yiwang.core import jsoninput
from yiwang.core.errors import ActionError, NotFound, TooManyRequests
from yiwang.intake import queries
from yiwang.intake.actions import open311 as actions
from yiwang.intake.views.open311_format import SHANGHAI, document, errors, w3c
from yiwang.org.models import Division

logger = logging.getLogger(__name__)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ("json", "xml")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_PAGE = 10_000
MAX_SERVICE_CODES = 100
UPDATES_DEFAULT_WINDOW = timedelta(days=1)
# An attribute answer: attribute[code]=v, or attribute[code][]=v for each of several values.
ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


class Open311Error(Exception):
    """A refusal in the specification's terms: HTTP status and one {code, description}."""

    def __init__(self, status: int, description: str, code: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.code = code if code is not None else status
        self.description = description


def _error_response(fmt: str, exc: Open311Error) -> HttpResponse:
    return errors(fmt, exc.status, [(exc.code, exc.description)])


def _from_action(exc: ActionError) -> Open311Error:
    where = f"（{exc.field}）" if exc.field else ""
    text = f"{exc.message}{where}"
    if isinstance(exc, NotFound):
        return Open311Error(404, text)
    if isinstance(exc, TooManyRequests):
        return Open311Error(400, text, code=429)
    # 403 is the api_key's alone in Open311: a place outside the city is a bad request.
    return Open311Error(400, text)


def endpoint(*methods: str) -> Callable[..., Callable[..., HttpResponse]]:
    """Wrap an Open311 view: method, encoding and every refusal in the Open311 shape."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def run(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise Open311Error(
                        400, _("该资源不支持 %(method)s 请求。") % {"method": request.method}, 405
                    )
                _check_encoding(request)
                response = view(request, fmt, **kwargs)
            except Open311Error as exc:
                response = _error_response(fmt, exc)
            except ActionError as exc:
                response = _error_response(fmt, _from_action(exc))
                if isinstance(exc, TooManyRequests):
                    response["Retry-After"] = str(exc.retry_after)
            except (RequestDataTooBig, SuspiciousOperation, MultiPartParserError, OSError):
                response = _error_response(fmt, Open311Error(400, _("请求体无法读取或过大。")))
            except Exception:
                # GeoReport v2 files a failure of the server under 400 "General service error".
                logger.exception("Open311 %s %s failed", request.method, request.path)
                response = _error_response(
                    fmt, Open311Error(400, _("服务内部错误，请稍后重试或联系平台。"))
                )
            return response

        return run

    return wrap


def _check_encoding(request: HttpRequest) -> None:
    from yiwang.web.edge import bad_encoding

    where = bad_encoding(request)
    if where is not None:
        raise Open311Error(400, _("请求不是有效的 UTF-8 编码（%(where)s）。") % {"where": where})
    if "\x00" in request.path_info or "%00" in request.META.get("QUERY_STRING", ""):
        raise Open311Error(400, _("请求中不能含有 NUL 字符。"))


# ---- parameters -----------------------------------------------------------------------------


def _list(params: QueryDict, name: str) -> list[str]:
    """A comma-separated list parameter, also given several times (status=open&status=closed)."""
    items: list[str] = []
    for value in params.getlist(name):
        items.extend(v.strip() for v in value.split(","))
    return [v for v in items if v]


def _jurisdiction(params: QueryDict) -> Division:
    code = params.get("jurisdiction_id", "")
    division = queries.open311_jurisdiction(code)
    if division is None:
        raise Open311Error(404, _("jurisdiction_id %(code)s 不存在。") % {"code": code[:20]})
    return division


def _datetime(params: QueryDict, name: str) -> datetime | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    # An unencoded "+" of an offset arrives as a space; "Z" means UTC.
    value = re.sub(r" (\d{2}(:?\d{2})?)$", r"+\1", raw)
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or not 1970 <= parsed.year <= 2999:
        raise Open311Error(
            400,
            _("%(name)s 不是有效的 W3C 日期时间（如 2026-01-01T00:00:00+08:00）。")
            % {"name": name},
        )
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=SHANGHAI)


def _int(params: QueryDict, name: str, default: int, top: int) -> int:
    raw = params.get(name, "").strip()
    if not raw:
        return default
    # ASCII digits only: "²" is a digit to str.isdigit() but not to int().
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise Open311Error(400, _("%(name)s 应为正整数。") % {"name": name})
    return min(int(raw), top)


def _window(start: datetime | None, end: datetime | None, names: tuple[str, str]) -> None:
    if start is None or end is None:
        return
    if end < start:
        message = _("%(end)s 不能早于 %(start)s。") % {"start": names[0], "end": names[1]}
        raise Open311Error(400, message)
    if end - start > queries.OPEN311_WINDOW:
        raise Open311Error(
            400,
            _("%(start)s 与 %(end)s 的跨度不能超过 90 天。") % {"start": names[0], "end": names[1]},
        )


def _flag(params: QueryDict, name: str) -> bool:
    return params.get(name, "").strip().lower() in ("true", "1", "yes")


# ---- documents ------------------------------------------------------------------------------


class Labels:
    """The names of states, stages, sources and moves in the request's language, looked up
    once per answer: an enum's label (a lazy translation) costs microseconds on each use,
    and a list answer uses them thousands of times."""

    def __init__(self) -> None:
        self.states = {value: str(label) for value, label in State.choices}
        self.stages = {value: str(label) for value, label in Stage.choices}
        self.sources = {value: str(label) for value, label in Source.choices}
        self.moves = {name: _(t.label) for name, t in TRANSITIONS.items()}
        self.reported = _("上报")

    def state(self, state: str) -> str:
        return self.states.get(state, state)

    def move(self, transition: str, to_state: str) -> str:
        return f"{self.moves.get(transition, self.reported)}：{self.state(to_state)}"


def _status(state: str) -> str:
    # 已合并 alone (a merge's own update) is open: a request is merged only into an open case.
    return "closed" if state in queries.OPEN311_CLOSED_STATES else "open"


def _merged_note(final: Case, labels: Labels) -> str:
    return _("已与同一位置的其他反映合并处理（%(number)s）：%(state)s") % {
        "number": final.number,
        "state": labels.state(final.state),
    }


def _request(
    row: dict[str, Any],
    names: dict[int, str],
    labels: Labels,
    notes: dict[int, list[queries.TimelineNote]] | None,
    final: Case | None = None,
) -> dict[str, Any]:
    """One request; a merged one reports the case carrying its result (`final`): its
    status, department, handling deadline and last change, and says so in `status_notes`."""
    state = row["state"]
    status, status_notes = _status(state), labels.state(state)
    agency, expected, updated = row["department__name"], row["handle_due_at"], row["updated_at"]
    if final is not None:
        status, status_notes = _status(final.state), _merged_note(final, labels)
        agency = final.department.name if final.department is not None else None
        expected = final.handle_due_at
        updated = max(updated, final.updated_at)
    # Only what a reporter typed into a public channel (the public form, Open311) is public:
    # a hotline caller's account, an inspector's or a camera's notes may name people.
    published = row["source"] == Source.PUBLIC
    item: dict[str, Any] = {
        "service_request_id": row["number"],
        "status": status,
        "status_notes": status_notes,
        "service_name": names.get(row["type_id"]) or row["type__name"],
        "service_code": queries.service_code(row["type__kind"], row["type__code"]),
        "description": (row["description"] or row["title"]) if published else None,
        "agency_responsible": agency,
        "service_notice": None,
        "requested_datetime": w3c(row["reported_at"]),
        "updated_datetime": w3c(updated),
        "expected_datetime": w3c(expected),
        "address": (row["address"] or None) if published else None,
        "address_id": None,
        "zipcode": None,
        "lat": row["lat"],
        "long": row["lon"],
        "media_url": None,
    }
    if notes is not None:
        stage = row["stage"]
        item["extended_attributes"] = {
            "state": state,
            "state_name": labels.state(state),
            "stage": stage or None,
            "stage_name": labels.stages.get(stage),
            "stage_due_datetime": w3c(row["stage_due_at"]),
            "source": row["source"],
            "source_name": labels.sources.get(row["source"], row["source"]),
        }
        item["notes"] = [
            {
                "datetime": w3c(n.at),
                "type": n.transition,
                "description": labels.move(n.transition, n.to_state),
            }
            for n in notes[row["id"]]
        ]
    return item


def _requests_document(fmt: str, rows: list[dict[str, Any]], extensions: bool) -> HttpResponse:
    names = queries.service_names()
    finals = queries.open311_final(rows)
    notes = queries.timeline_notes([r["id"] for r in rows], finals) if extensions else None
    labels = Labels()
    body = [_request(r, names, labels, notes, finals.get(r["id"])) for r in rows]
    return document(fmt, "service_requests", body)


# ---- the calls ------------------------------------------------------------------------------


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    changed = w3c(queries.services_changed_at()) or "2026-12-01T00:00:00+08:00"
    base = request.build_absolute_uri("/open311/v2")
    body = {
        "changeset": changed,
        "contact": _("如需帮助，请联系本平台的系统管理员。"),
        "key_service": _(
            "api_key 由本平台的系统管理员在管理后台“Open311 客户端”中登记并发放；"
            "只有提交请求需要它。"
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": changed,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return document(fmt, "discovery", body)


@endpoint("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    _jurisdiction(request.GET)
    body = [
        {
            "service_code": queries.service_code(s.type.kind, s.type.code),
            "service_name": s.name or s.type.name,
            "description": s.description or None,
            "metadata": bool(s.attributes),
            "type": "realtime",
            "keywords": s.keywords or None,
            "group": s.group or s.type.major_name,
        }
        for s in queries.public_services()
    ]
    return document(fmt, "services", body)


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    _jurisdiction(request.GET)
    service = queries.public_service(code)
    if service is None:
        raise Open311Error(404, _("service_code %(code)s 不存在。") % {"code": code[:20]})
    attributes = [
        {
            "variable": a["variable"],
            "code": a["code"],
            "datatype": a["datatype"],
            "required": a["required"],
            "datatype_description": a["datatype_description"] or None,
            "order": a["order"],
            "description": a["description"] or None,
            "values": [{"key": v["key"], "name": v["name"]} for v in a["values"]],
        }
        for a in service.attributes
    ]
    body = {
        "service_code": queries.service_code(service.type.kind, service.type.code),
        "attributes": attributes,
    }
    return document(fmt, "service_definition", body)


@endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    params = request.GET
    division = _jurisdiction(params)
    extensions = _flag(params, "extensions")
    ids = _list(params, "service_request_id")
    if ids:
        if len(ids) > queries.OPEN311_MAX_ROWS:
            raise Open311Error(400, _("service_request_id 一次最多 1000 个。"))
        rows = queries.open311_requests(
            queries.open311_actor(), division, queries.RequestFilters(ids=ids)
        )
        return _requests_document(fmt, rows, extensions)
    codes = _list(params, "service_code")
    if len(codes) > MAX_SERVICE_CODES:
        raise Open311Error(400, _("service_code 一次最多 100 个。"))
    statuses = {s.lower() for s in _list(params, "status")}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, _("status 只能是 open、closed 或二者（逗号分隔）。"))
    f = queries.RequestFilters(
        start=_datetime(params, "start_date"),
        end=_datetime(params, "end_date"),
        updated_after=_datetime(params, "updated_after"),
        updated_before=_datetime(params, "updated_before"),
        statuses=statuses,
        service_codes=codes,
        page=_int(params, "page", 1, MAX_PAGE),
        page_size=_int(params, "page_size", queries.OPEN311_MAX_ROWS, queries.OPEN311_MAX_ROWS),
    )
    _window(f.start, f.end, ("start_date", "end_date"))
    # Without start/end dates the 90-day rule applies to the update window instead.
    if f.start is None and f.end is None:
        _window(f.updated_after, f.updated_before, ("updated_after", "updated_before"))
    elif f.updated_after and f.updated_before and f.updated_before < f.updated_after:
        raise Open311Error(400, _("updated_before 不能早于 updated_after。"))
    rows = queries.open311_requests(queries.open311_actor(), division, f)
    return _requests_document(fmt, rows, extensions)


@endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, number: str) -> HttpResponse:
    division = _jurisdiction(request.GET)
    row = queries.open311_request(queries.open311_actor(), division, number.strip().upper())
    if row is None:
        raise Open311Error(404, _("service_request_id %(id)s 不存在。") % {"id": number[:40]})
    return _requests_document(fmt, [row], _flag(request.GET, "extensions"))


@endpoint("GET")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    _jurisdiction(request.GET)
    found = queries.open311_token(token)
    if found is None:
        raise Open311Error(404, _("token %(token)s 不存在。") % {"token": token[:20]})
    number = found.case.number if found.case is not None else None
    body = [{"service_request_id": number, "token": found.tracking_code}]
    return document(fmt, "service_requests", body)


@endpoint("GET")
def updates(request: HttpRequest, fmt: str) -> HttpResponse:
    """mySociety's extension, as FixMyStreet polls it: the moves between two moments."""
    params = request.GET
    division = _jurisdiction(params)
    start, end = _datetime(params, "start_date"), _datetime(params, "end_date")
    _window(start, end, ("start_date", "end_date"))
    end = end or ((start + UPDATES_DEFAULT_WINDOW) if start else timezone.now())
    start = start or end - UPDATES_DEFAULT_WINDOW
    page = _int(params, "page", 1, MAX_PAGE)
    rows = queries.open311_updates(queries.open311_actor(), division, start, end, page=page)
    labels = Labels()
    merged = _("与同一位置的其他反映合并处理")
    body = [
        {
            "update_id": r["update_id"],
            "service_request_id": r["case__number"],
            "status": _status(r["to_state"]),
            "updated_datetime": w3c(r["at"]),
            "description": labels.move(r["transition"], r["to_state"])
            + (f"（{merged}）" if r["merged"] or r["to_state"] == State.MERGED else ""),
            "media_url": None,
            "external_status_code": r["to_state"],
        }
        for r in rows
    ]
    return document(fmt, "service_request_updates", body)


@csrf_exempt  # a client's POST to a mistyped path gets the Open311 404, not a CSRF page
def not_found(request: HttpRequest, path: str) -> HttpResponse:
    fmt = "json" if path.endswith(".json") else "xml"
    return errors(fmt, 404, [(404, _("没有这个 Open311 资源：%(path)s") % {"path": path[:100]})])


# ---- POST requests --------------------------------------------------------------------------


def _form(request: HttpRequest) -> QueryDict:
    """The posted fields: a form (as the specification says), or a JSON object."""
    kind = request.content_type or ""
    if kind in FORM_TYPES:
        return request.POST
    if kind == "application/json":
        # Strict UTF-8, bounded nesting, no lone surrogates (in keys too): a refusal names why.
        data = jsoninput.loads(request.body, field="body")
        if not isinstance(data, dict):
            raise Open311Error(400, _("JSON 请求体应为一个对象。"))
        form = QueryDict(mutable=True)
        for key, value in data.items():
            if key == "attribute" and isinstance(value, dict):
                for code, answer in value.items():
                    for item in answer if isinstance(answer, list) else [answer]:
                        form.appendlist(f"attribute[{code}][]", _plain(item, key))
            else:
                form[str(key)] = _plain(value, str(key))
        return form
    raise Open311Error(
        400,
        _("请以 application/x-www-form-urlencoded 表单提交（GeoReport v2），收到的是 %(kind)s。")
        % {"kind": kind[:60] or "（无类型）"},
    )


def _plain(value: Any, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Open311Error(400, _("%(name)s 应为文字或数字。") % {"name": name[:40]})
    return str(value)


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    form = _form(request)
    key = form.get("api_key", "") or request.GET.get("api_key", "")
    if not key.strip():
        raise Open311Error(403, _("缺少 api_key，不能提交请求。"))
    client = actions.authenticate_client(key)
    if client is None:
        raise Open311Error(403, _("api_key 无效或已停用，不能提交请求。"))
    actions.check_client_rate(request, client)
    division = _jurisdiction(form if "jurisdiction_id" in form else request.GET)
    code = form.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, _("缺少 service_code。"))
    service = queries.public_service(code)
    if service is None:
        raise Open311Error(404, _("service_code %(code)s 不存在。") % {"code": code[:20]})
    attributes: dict[str, list[str]] = {}
    for name in form:
        match = ATTRIBUTE_KEY.match(name)
        if match:
            attributes.setdefault(match.group(1), []).extend(form.getlist(name))
    post = actions.RequestPost(
        service=service,
        lat=form.get("lat", ""),
        long=form.get("long", ""),
        crs=form.get("crs", "") or "wgs84",
        address_string=form.get("address_string", ""),
        address_id=form.get("address_id", ""),
        description=form.get("description", ""),
        attributes=attributes,
        media_url=form.get("media_url", ""),
        email=form.get("email", ""),
        first_name=form.get("first_name", ""),
        last_name=form.get("last_name", ""),
        phone=form.get("phone", ""),
        device_id=form.get("device_id", ""),
        account_id=form.get("account_id", ""),
    )
    within = "" if division.pk == queries.open311_actor().division_id else division.path
    submission = actions.submit_request(client, post, within=within)
    account = post.account_id.strip() or None
    if submission.case is not None:
        answer = {
            "service_request_id": submission.case.number,
            "service_notice": _("已受理，待核实后立案处置。查询码：%(code)s")
            % {"code": submission.tracking_code},
            "account_id": account,
        }
    else:
        answer = {
            "token": submission.tracking_code,
            "service_notice": _("已收到，待工作人员在地图上定位后立卷；可凭 token 查询案卷编号。"),
            "account_id": account,
        }
    return document(fmt, "service_requests", [answer])
