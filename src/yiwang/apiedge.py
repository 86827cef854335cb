"""The API's edge: how a request body is read, how every refusal is worded, and which
refusals the OpenAPI document promises for every operation.

Every error the API gives is ``{code, message, field}`` (plus ``details`` where a list
helps): pydantic's refusals get a stable code and a Chinese message here, ninja's own
(unparsable body, CSRF) too, and the document declares the error statuses of every
operation, so an endpoint added later is documented the same way without repeating it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser

from yiwang.core import jsoninput
from yiwang.core.schemas import ErrorOut

# Pydantic error types → our stable codes; anything else is "invalid".
_CODES = {
    "string_too_long": "too_long",
    "too_long": "too_long",
    "control_character": "control_character",
    "invalid_unicode": "invalid_unicode",
    "required": "required",
    "unknown_crs": "unknown_crs",
    "bbox_format": "bad_bbox",
    "greater_than": "out_of_range",
    "greater_than_equal": "out_of_range",
    "less_than": "out_of_range",
    "less_than_equal": "out_of_range",
    "out_of_range": "out_of_range",
}


# Error types raised by our own validators, whose message is already Chinese.
_OWN_TYPES = (
    "control_character",
    "invalid_unicode",
    "required",
    "not_a_number",
    "unknown_crs",
    "bbox_format",
    "out_of_range",
)


def _describe(error: dict[str, Any], field: str | None) -> str:
    """A Chinese sentence for one pydantic error (pydantic's own messages are English)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    name = field or _("请求体")
    if kind == "missing":
        return _("缺少必填参数 %(field)s。") % {"field": name}
    if kind in ("string_too_long", "too_long"):
        return _("%(field)s 不能超过 %(max)s 个字符。") % {
            "field": name,
            "max": ctx.get("max_length", "?"),
        }
    if kind == "string_too_short":
        return _("%(field)s 不能为空。") % {"field": name}
    if kind in _OWN_TYPES:
        return f"{name} {error.get('msg', '')}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        limit = next(iter(ctx.values()), "?")
        words = {
            "greater_than": _("应大于"),
            "greater_than_equal": _("不能小于"),
            "less_than": _("应小于"),
            "less_than_equal": _("不能大于"),
        }
        return f"{name} {words[kind]} {limit}。"
    if kind.startswith("int_") or kind == "strict_int":
        return _("%(field)s 应为整数。") % {"field": name}
    if kind.startswith("float_") or kind == "finite_number":
        return _("%(field)s 应为有限的数字。") % {"field": name}
    if kind.startswith("bool_"):
        return _("%(field)s 应为 true 或 false。") % {"field": name}
    if kind in ("literal_error", "enum"):
        return _("%(field)s 应为：%(expected)s。") % {
            "field": name,
            "expected": ctx.get("expected", ""),
        }
    if kind.startswith("date") or kind == "iso_date":
        return _("%(field)s 应为 年-月-日 格式的日期，如 2026-01-31。") % {"field": name}
    if kind == "string_pattern_mismatch":
        return _("%(field)s 的格式不正确。") % {"field": name}
    return _("%(field)s 不合法。") % {"field": name}


def _is_union_tag(part: str) -> bool:
    # Tags are lower case ("constrained-float"); a header's name ("Idempotency-Key") is not.
    return (
        "[" in part
        or ("-" in part and part.islower())
        or part in ("str", "int", "float", "bool", "decimal")
    )


_LOCATIONS = ("body", "query", "path", "form", "file", "header", "cookie")


def validation_error_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    first = errors[0] if errors else {}
    # ninja's loc is (where, [argument name,] field …); the field is the last part.
    loc = [str(p) for p in first.get("loc", [])]
    if loc and loc[0] in _LOCATIONS:
        loc = loc[1:]
    # Members of a union are named by their type ("str-enum[State]", "constrained-float"):
    # not fields.
    union = any(_is_union_tag(p) for p in loc)
    loc = [p for p in loc if p not in ("body", "payload") and not _is_union_tag(p)]
    field = loc[-1] if loc else None
    details = [
        {"type": e.get("type"), "loc": list(e.get("loc", [])), "msg": e.get("msg")} for e in errors
    ]
    return {
        "code": _CODES.get(first.get("type", ""), "invalid"),
        "message": _("%(field)s 的取值不合法。") % {"field": field}
        if union and field
        else _describe(first, field),
        "field": field,
        "details": details,
    }


class BoundedParser(Parser):
    """JSON bodies through `core.jsoninput`: strict UTF-8, bounded nesting, no lone
    surrogates. A refusal is raised as `InvalidInput`, which ninja wraps in an HttpError
    whose cause the API's handler answers with."""

    def parse_body(self, request: HttpRequest) -> Any:
        return jsoninput.loads(request.body, field="body")


# Statuses every operation may answer besides its own: a malformed request (400), a
# forbidden one (403: role, scope, CSRF), a missing object (404); writes also a conflict
# (409) and a body over the size limit (413); operations behind a login also 401.
_ALWAYS = (400, 403, 404)
_WRITES = (409, 413)
_STATUS_TEXT = {
    400: "请求不合法",
    401: "未登录或令牌无效",
    403: "无权执行",
    404: "不存在或不在管辖范围内",
    409: "与当前数据冲突",
    413: "请求体过大",
}


def document_errors(schema: OpenAPISchema) -> OpenAPISchema:
    """Declare the error statuses of every operation with the one error schema."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    ref = {"$ref": "#/components/schemas/ErrorOut"}
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            statuses = list(_ALWAYS)
            if method in ("post", "put", "patch", "delete"):
                statuses += _WRITES
            if operation.get("security"):
                statuses.append(401)
            # ninja keys the declared statuses by int; one key per status, as strings, or the
            # JSON document would carry "404" twice (Swagger UI refuses such a document).
            responses = {str(k): v for k, v in operation.get("responses", {}).items()}
            operation["responses"] = responses
            for status in statuses:
                responses.setdefault(
                    str(status),
                    {
                        "description": _STATUS_TEXT[status],
                        "content": {"application/json": {"schema": ref}},
                    },
                )
    return schema


class YiwangAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return document_errors(schema)
