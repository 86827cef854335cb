"""The 12345 work-order format (version 1): what a hotline system sends us, and what we
export of a street's daily problem list for other systems. Documented with examples in
docs/intake.md ("12345 热线转办"); a published version never changes in place.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from yiwang.core.schemas import Latitude, Longitude
from yiwang.core.textinput import SafeText
from yiwang.geo.schemas import CrsName

FORMAT_VERSION: Literal["1"] = "1"
ORDER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$"
PHONE_PATTERN = r"^[0-9+][0-9-]{0,19}$"
MAX_ATTACHMENTS = 9
# The times an order may carry (as Open311's date filters: 1970–2999).
MIN_YEAR, MAX_YEAR = 1970, 2999


def _web_url(value: str) -> str:
    if not value.lower().startswith(("http://", "https://")):
        raise PydanticCustomError("bad_url", _("附件地址应以 http:// 或 https:// 开头。"))
    return value


class Attachment(Schema):
    """An attachment kept by the hotline: we store the reference, never fetch it."""

    model_config = ConfigDict(extra="ignore")

    name: SafeText(200) = ""  # type: ignore[valid-type]
    url: Annotated[SafeText(1000, not_blank=True), AfterValidator(_web_url)]  # type: ignore[valid-type]


class HotlineOrderIn(Schema):
    """One 12345 work order (热线工单), format version 1.

    Fields not listed are ignored (so an exported record, which adds its `case`, can be
    imported elsewhere); they are neither stored nor part of the content hash.
    """

    model_config = ConfigDict(extra="ignore")

    version: Literal["1"] = Field(FORMAT_VERSION, description="格式版本，目前为 1")
    order_id: str = Field(
        ..., pattern=ORDER_ID_PATTERN, description="热线工单编号（在本热线系统内唯一）"
    )
    received_at: AwareDatetime = Field(..., description="热线受理时间（ISO 8601，须带时区）")
    category: SafeText(64, not_blank=True) = Field(  # type: ignore[valid-type]
        ..., description="热线诉求分类编码（按“热线分类对照”表转为事项类型）"
    )
    category_name: SafeText(100) = ""  # type: ignore[valid-type]
    title: SafeText(200, not_blank=True)  # type: ignore[valid-type]
    content: SafeText(5000, multiline=True) = ""  # type: ignore[valid-type]
    address: SafeText(300, not_blank=True) = Field(  # type: ignore[valid-type]
        ..., description="诉求地址（自由文本，解析到省、市、区县）"
    )
    lon: Longitude | None = None
    lat: Latitude | None = Field(None, validate_default=True)
    crs: CrsName = Field("wgs84", description="坐标系：wgs84、cgcs2000、gcj02、bd09")
    caller_name: SafeText(50) = ""  # type: ignore[valid-type]
    caller_phone: str = Field(
        "", pattern=r"^$|" + PHONE_PATTERN, description="来电号码（仅受理人员可见）"
    )
    urgency: Literal["normal", "urgent"] = "normal"
    deadline: AwareDatetime | None = Field(None, description="热线要求的办结时限")
    attachments: list[Attachment] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)

    @field_validator("received_at", "deadline", mode="after")
    @classmethod
    def _plausible_time(cls, value: datetime | None) -> datetime | None:
        # Year 1 at +14:00 is valid ISO 8601 but has no UTC time a database column holds.
        if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
            message = _("应在 %(low)d 年至 %(high)d 年之间。") % {"low": MIN_YEAR, "high": MAX_YEAR}
            raise PydanticCustomError("out_of_range", message)
        return value

    @field_validator("lat", mode="after")
    @classmethod
    def _both_coordinates(cls, lat: float | None, info: ValidationInfo) -> float | None:
        # Checked on the second of the pair, so the error names a field (lat).
        if "lon" in info.data and (info.data["lon"] is None) != (lat is None):
            raise PydanticCustomError("required", _("经度和纬度须同时提供或同时留空。"))
        return lat

    def canonical(self) -> dict[str, Any]:
        """The order as stored and hashed: every field, datetimes in ISO form."""
        return self.model_dump(mode="json")


def content_hash(order: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of an order: equal orders hash equal however sent."""
    text = json.dumps(order, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class OrderResultOut(Schema):
    order_id: str
    # created | updated | unchanged
    outcome: str
    # awaiting_location (待定位) | filed (已转案卷) | returned (已退单)
    status: str
    case_number: str | None = None
    tracking_code: str | None = None


class BatchResultOut(Schema):
    total: int
    created: int
    updated: int
    unchanged: int
    awaiting_location: int
    orders: list[OrderResultOut]


class ExportCase(Schema):
    """What an exported record adds to the order format: the case it is on this platform."""

    number: str
    state: str
    state_label: str
    source: str
    street_code: str
    street_name: str
    community_name: str
    grid_code: str


class ExportOrderOut(Schema):
    """One record of a street's daily problem list, in the work-order format."""

    version: Literal["1"] = FORMAT_VERSION
    order_id: str
    received_at: datetime
    category: str
    category_name: str
    title: str
    content: str
    address: str
    lon: float
    lat: float
    crs: str = "wgs84"
    urgency: str
    deadline: datetime | None = None
    attachments: list[Attachment] = []
    case: ExportCase
