"""API shapes of the catalogue and the component inventory."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema

from yiwang.catalog.models import Component, ObjectType
from yiwang.core.textinput import SafeText, model_max_length

TYPE_CODE_PATTERN = r"^[0-9]{5}$"
MAJOR_CODE_PATTERN = r"^[0-9]{2}$"
TypeName = SafeText(model_max_length(ObjectType, "name"), not_blank=True)
MajorName = SafeText(model_max_length(ObjectType, "major_name"))


class TypeOut(Schema):
    kind: str
    code: str
    major_code: str
    major_name: str
    name: str
    is_local: bool
    self_handle: bool
    is_active: bool


class LocalTypeIn(Schema):
    kind: Literal["component", "matter"]
    code: str = Field(pattern=TYPE_CODE_PATTERN, description="5 位，以大类代码开头")
    major_code: str = Field(pattern=MAJOR_CODE_PATTERN)
    name: TypeName  # type: ignore[valid-type]
    major_name: MajorName = ""  # type: ignore[valid-type]
    self_handle: bool = False


class TypePatch(Schema):
    name: TypeName | None = None  # type: ignore[valid-type]
    self_handle: bool | None = None
    is_active: bool | None = None


class ComponentOut(Schema):
    ident: str
    name: str
    type_code: str
    type_name: str
    state: str
    state_label: str
    lon: float
    lat: float
    grid_code: str
    street_code: str
    street_name: str
    community_code: str
    community_name: str

    @staticmethod
    def resolve_type_code(obj: Component) -> str:
        return obj.type.code

    @staticmethod
    def resolve_type_name(obj: Component) -> str:
        return obj.type.name

    @staticmethod
    def resolve_state_label(obj: Component) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_grid_code(obj: Component) -> str:
        return obj.grid.code

    @staticmethod
    def resolve_street_code(obj: Component) -> str:
        return obj.street.code

    @staticmethod
    def resolve_street_name(obj: Component) -> str:
        return obj.street.name

    @staticmethod
    def resolve_community_code(obj: Component) -> str:
        return obj.community.code

    @staticmethod
    def resolve_community_name(obj: Component) -> str:
        return obj.community.name


class ComponentDetailOut(ComponentOut):
    type_major_code: str
    type_major_name: str
    district_code: str
    grid_name: str
    authority_code: str
    authority_name: str
    owner: str
    maintainer: str
    initial_date: date | None
    change_date: date | None
    data_source: str
    note: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_type_major_code(obj: Component) -> str:
        return obj.type.major_code

    @staticmethod
    def resolve_type_major_name(obj: Component) -> str:
        return obj.type.major_name

    @staticmethod
    def resolve_district_code(obj: Component) -> str:
        return obj.ident[:6]

    @staticmethod
    def resolve_grid_name(obj: Component) -> str:
        return obj.grid.name


class PointGeometry(Schema):
    type: Literal["Point"] = "Point"
    coordinates: list[float]


class ComponentFeature(Schema):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: PointGeometry
    properties: dict[str, Any]


class ComponentFeatureCollection(Schema):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[ComponentFeature]
    count: int
    truncated: bool


class ImportOut(Schema):
    created: int
    total: int
