"""API shapes of the case loop (version 1 of `/api/cases`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from yiwang.core.schemas import ErrorOut as ErrorOut  # re-exported for the case API


class CaseIn(Schema):
    """A new case. Omitted optional fields take the action's defaults."""

    kind: str
    type_code: str
    title: str
    lon: float
    lat: float
    urgency: str | None = None
    source: str | None = None
    description: str | None = None
    address: str | None = None
    crs: str | None = None
    component_ident: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None


class CaseQuery(Schema):
    number: str = ""
    type: str = Field("", description="类型代码（5 位）")
    kind: str = ""
    state: str = ""
    grid: str = Field("", description="单元网格代码")
    street: str = Field("", description="街道区划代码")
    department: int | None = None
    source: str = ""
    date_from: date | None = Field(None, description="上报日期起（北京时间，含）")
    date_to: date | None = Field(None, description="上报日期止（北京时间，含）")
    overdue: bool = False
    q: str = Field("", description="标题或地址包含")
    sort: str | None = Field(None, description="reported | -reported | due | -due | number")
    worklist: str = Field("", description="工作清单键，见 /api/cases/worklists")
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


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


class WorklistOut(Schema):
    key: str
    label: str
    count: int
