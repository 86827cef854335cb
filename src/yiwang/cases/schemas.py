"""API shapes of the case loop (version 1 of `/api/cases`)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict, Strict
from pydantic_core import PydanticCustomError

from yiwang.cases.models import (
    DESCRIPTION_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    Case,
    CaseEvent,
    Source,
    State,
    TimeUnit,
    Urgency,
)
from yiwang.cases.queries import SEARCH_TEXT_MAX_LENGTH, SORTS, WORKLISTS
from yiwang.catalog.models import Component, Kind
from yiwang.core.schemas import MAX_DB_INT, Id, Latitude, Longitude
from yiwang.core.textinput import SafeText, model_max_length
from yiwang.geo.schemas import CrsName
from yiwang.org.models import Division

TYPE_CODE_PATTERN = r"^[0-9]{5}$"
# A case number as the engine accepts it for `into` (lower case is read as upper case).
CASE_NUMBER_PATTERN = r"^[A-Za-z][0-9]{5,20}$"
# Digits, optionally grouped by "-" (an extension, an area code), as the action accepts.
PHONE_PATTERN = r"^(?:[0-9][0-9-]*)?$"
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _case_text(field: str, **kw: Any) -> Any:
    return SafeText(model_max_length(Case, field), **kw)


# Path parameters: printable text of the column's length (a NUL could not even be queried).
CaseNumber = _case_text("number")
TransitionName = SafeText(model_max_length(CaseEvent, "transition"))


def _iso_date(value: Any) -> Any:
    # Only 年-月-日: pydantic would also read 0 or "1700000000" as a date.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise PydanticCustomError("date_parsing", _("应为 年-月-日 格式的日期。"))
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date), Field(json_schema_extra={"format": "date"})]


class CaseIn(Schema):
    """A new case. Omitted optional fields take the action's defaults; the limits are the
    model's (the same as the new-case form's)."""

    kind: Kind
    type_code: str = Field(pattern=TYPE_CODE_PATTERN, description="类型代码（5 位数字）")
    title: _case_text("title", not_blank=True)  # type: ignore[valid-type]
    lon: Longitude
    lat: Latitude
    urgency: Urgency | None = None
    source: Source | None = None
    description: SafeText(DESCRIPTION_MAX_LENGTH, multiline=True) | None = None  # type: ignore[valid-type]
    address: _case_text("address") | None = None  # type: ignore[valid-type]
    crs: CrsName | None = None
    component_ident: SafeText(model_max_length(Component, "ident")) | None = None  # type: ignore[valid-type]
    contact_name: _case_text("contact_name") | None = None  # type: ignore[valid-type]
    contact_phone: str | None = Field(
        None, max_length=model_max_length(Case, "contact_phone"), pattern=PHONE_PATTERN
    )


# The page number whose first row still fits the database's OFFSET (page_size ≤ 200).
MAX_PAGE = MAX_DB_INT // 200


class CaseQuery(Schema):
    number: _case_text("number") = ""  # type: ignore[valid-type]
    type: SafeText(5) = Field("", description="类型代码（5 位）")  # type: ignore[valid-type]
    kind: Kind | Literal[""] = ""
    state: State | Literal[""] = ""
    grid: SafeText(20) = Field("", description="单元网格代码")  # type: ignore[valid-type]
    street: SafeText(model_max_length(Division, "code")) = Field("", description="街道区划代码")  # type: ignore[valid-type]
    department: Id | None = None
    source: Source | Literal[""] = ""
    date_from: IsoDate | None = Field(None, description="上报日期起（北京时间，含）")
    date_to: IsoDate | None = Field(None, description="上报日期止（北京时间，含）")
    overdue: bool = False
    q: SafeText(SEARCH_TEXT_MAX_LENGTH) = Field("", description="标题或地址包含")  # type: ignore[valid-type]
    sort: Literal[tuple(SORTS)] | None = Field(None, description="排序")  # type: ignore[valid-type]
    worklist: Literal[("", *(w.key for w in WORKLISTS))] = Field(  # type: ignore[valid-type]
        "", description="工作清单键，见 /api/cases/worklists"
    )
    page: int = Field(1, ge=1, le=MAX_PAGE, description="页码；超出末页时返回空列表")
    page_size: int = Field(50, ge=1, le=200)


# What each transition takes, from the workflow's inputs (names are shared between
# transitions: note, department_id, inspector_id, amount, unit, result).
TextInput = SafeText(NOTE_MAX_LENGTH, multiline=True)


# An amount of time: a JSON number, or the same written as text ("2", "0.5") with at most
# two decimals, as the extension form sends it; 0 < amount ≤ 10000 either way.
StrictNumber = Annotated[float, Strict(), Field(gt=0, le=10_000)]
AMOUNT_PATTERN = r"^(?:[1-9][0-9]{0,3}(?:\.[0-9]{1,2})?|10000|0\.(?:[1-9][0-9]?|0[1-9]))$"
AmountText = Annotated[str, Field(pattern=AMOUNT_PATTERN)]


class TransitionIn(Schema):
    """`version`: the case's current version (a stale one gives 409); the other fields are
    the inputs of the transition, see `GET /api/cases/{number}/transitions`."""

    # Inputs a later transition adds reach the engine, which checks them.
    model_config = ConfigDict(extra="allow")

    version: int = Field(ge=1, le=MAX_DB_INT)
    note: TextInput | None = None  # type: ignore[valid-type]
    result: TextInput | None = None  # type: ignore[valid-type]
    department_id: Id | None = None
    inspector_id: Id | None = None
    amount: StrictNumber | AmountText | None = Field(None, description="延长时限（数值）")
    unit: Literal[tuple(TimeUnit.values)] | None = None  # type: ignore[valid-type]
    into: str | None = Field(
        None, pattern=CASE_NUMBER_PATTERN, description="合并（merge）到的案卷号"
    )
    other_type: bool | None = Field(None, description="合并到不同类型的案卷（merge）")


class Ref(Schema):
    id: int
    name: str


class CaseItem(Schema):
    number: str
    kind: str
    type_code: str
    type_name: str
    urgency: str
    urgency_label: str
    source: str
    source_label: str
    title: str
    state: str
    state_label: str
    street: str
    grid: str
    department: str | None
    reported_at: datetime
    stage: str
    stage_label: str
    stage_due_at: datetime | None
    light: str | None
    merged_into: str | None = Field(None, description="已合并时：合并到的案卷号")


class CasePage(Schema):
    items: list[CaseItem]
    count: int
    count_capped: bool
    page: int
    page_size: int


class PhotoOut(Schema):
    id: int
    phase: str
    phase_label: str
    url: str
    sha256: str
    size: int
    content_type: str
    uploaded_at: datetime


class CaseDetail(CaseItem):
    version: int
    description: str
    address: str
    lon: float
    lat: float
    community: str
    district_code: str
    component_ident: str | None
    reporter: str | None
    contact_name: str
    contact_phone: str
    department_id: int | None
    suggested_department: Ref | None
    assignee: str | None
    stage_started_at: datetime | None
    stage_light_label: str | None
    pending_request: dict[str, Any]
    result: str
    rework_count: int
    return_count: int
    extension_count: int
    registered_at: datetime | None
    dispatched_at: datetime | None
    handled_at: datetime | None
    closed_at: datetime | None
    handle_due_at: datetime | None
    photos: list[PhotoOut]
    merged_cases: list[str] = Field(description="合并到本案卷的重复案卷号（调用者可见的）")
    allowed_transitions: list[str]


class EventOut(Schema):
    at: datetime
    actor: str | None
    role_label: str
    transition: str
    transition_label: str
    from_state: str
    from_state_label: str
    to_state: str
    to_state_label: str
    note: str
    data: dict[str, Any]
    version: int


class StageOut(Schema):
    stage: str
    stage_label: str
    started_at: datetime
    due_at: datetime
    finished_at: datetime | None
    limit: str
    limit_seconds: float
    elapsed_seconds: float
    elapsed: str
    suspended_seconds: float
    on_time: bool | None
    light: str
    light_label: str


class TimelineOut(Schema):
    number: str
    events: list[EventOut]
    stages: list[StageOut]


class Choice(Schema):
    value: str
    label: str


class UserChoice(Schema):
    id: int
    name: str
    division: str


class InputOut(Schema):
    name: str
    label: str
    kind: str
    required: bool
    choices: list[Choice] = []
    suggestion: Ref | None = None
    departments: list[Ref] = []
    users: list[UserChoice] = []


class TransitionOut(Schema):
    name: str
    label: str
    inputs: list[InputOut]


class DuplicateOut(Schema):
    number: str
    title: str
    type_code: str
    state: str
    state_label: str
    reported_at: datetime
    distance_m: float = Field(description="与本案卷的距离（米，大圆距离）")
    lon: float
    lat: float


class DuplicatesOut(Schema):
    number: str
    radius_m: int = Field(description="该类型的查重半径（米）")
    window_days: int = Field(description="该类型的查重时间窗（天，上报时间前后）")
    mergeable: bool = Field(description="本案卷当前状态可否合并（待受理、待派发核实、待立案）")
    candidates: list[DuplicateOut]


class WorklistOut(Schema):
    key: str
    label: str
    count: int
