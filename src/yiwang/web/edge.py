"""The edge of every request: bytes that are not UTF-8 are refused before any view reads
them, and every error under /api/ leaves in the API's shape.

Django decodes query strings, form posts and the text parts of multipart posts with
replacement characters, so invalid UTF-8 would otherwise reach a form or a filter as "�"
and be stored silently. Errors
that happen outside the API's views — an unknown /api/ path (404), a method the path
does not take (405), a body over the size limit, a server error — are Django's HTML
pages; API clients get ``{code, message, field}`` instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

API_PREFIX = "/api/"
FORM_TYPE = "application/x-www-form-urlencoded"
MULTIPART_TYPE = "multipart/form-data"
# Interfaces with an error format of their own (Open311 GeoReport v2: a list of
# {code, description}) make these checks themselves, with `bad_encoding`.
OWN_ERROR_FORMAT_PREFIXES = ("/open311/",)


def _is_utf8(raw: bytes | str) -> bool:
    data = raw.encode("latin-1") if isinstance(raw, str) else raw
    try:
        unquote_to_bytes(data.replace(b"+", b" ")).decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return False
    return True


def bad_encoding(request: HttpRequest) -> str | None:
    """The part of the request that is not UTF-8 ("query", "body" or a multipart field), if any."""
    query = request.META.get("QUERY_STRING", "")
    if not _is_utf8(query):
        return "query"
    if request.content_type == FORM_TYPE:
        try:
            body = request.body
        except RequestDataTooBig:
            return None  # refused with 413/400 where the form is read
        if not _is_utf8(body):
            return "body"
    elif request.content_type == MULTIPART_TYPE:
        return _bad_multipart_text(request)
    return None


def _bad_multipart_text(request: HttpRequest) -> str | None:
    """The name of a text part (not a file) of a multipart post that is not UTF-8."""
    boundary = (request.content_params or {}).get("boundary", "")
    if not boundary:
        return None  # refused as malformed where the post is read
    try:
        body = request.body
    except RequestDataTooBig:
        return None  # refused with 413/400 where the post is read
    for part in body.split(b"--" + boundary.encode("latin-1")):
        head, sep, value = part.partition(b"\r\n\r\n")
        if not sep or b"filename=" in head:
            continue  # the preamble, the closing "--", or an uploaded file
        try:
            value.removesuffix(b"\r\n").decode("utf-8")
        except UnicodeDecodeError:
            name = head.split(b'name="', 1)[-1].split(b'"', 1)[0]
            return name.decode("utf-8", "replace") or "body"
    return None


_API_ERRORS = {
    400: ("bad_request", "请求不合法。"),
    403: ("forbidden", "无权执行该操作。"),
    404: ("not_found", "接口不存在。"),
    405: ("method_not_allowed", "该接口不支持此请求方法。"),
    413: ("too_large", "请求体超过上传上限。"),
}


def api_error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message, "field": field},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def _as_api_error(response: HttpResponse) -> HttpResponse:
    code, message = _API_ERRORS.get(
        response.status_code,
        ("server_error", "服务器内部错误，请稍后重试。")
        if response.status_code >= 500
        else ("error", "请求未能完成。"),
    )
    converted = api_error(response.status_code, code, _(message))
    if response.has_header("Allow"):
        converted["Allow"] = response["Allow"]
    return converted


def _is_json(response: HttpResponse) -> bool:
    kind = response.get("Content-Type", "").split(";")[0].strip()
    if kind != "application/json":
        return False
    try:
        body = json.loads(response.content)
    except (ValueError, AttributeError):
        return False
    return isinstance(body, dict) and "code" in body


def _refuse(
    request: HttpRequest, is_api: bool, code: str, message: str, field: str | None
) -> HttpResponse:
    if is_api:
        return api_error(400, code, message, field)
    context = {"title": _("请求无法处理"), "message": message}
    return render(request, "web/refused.html", context, status=400)


class EdgeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        is_api = request.path_info.startswith(API_PREFIX)
        if request.path_info.startswith(OWN_ERROR_FORMAT_PREFIXES):
            return self.get_response(request)
        where = bad_encoding(request)
        if where is not None:
            message = (
                _("查询参数不是有效的 UTF-8 编码。")
                if where == "query"
                else _("表单内容不是有效的 UTF-8 编码。")
            )
            return _refuse(request, is_api, "invalid_unicode", message, where)
        if "\x00" in request.path_info or "%00" in request.META.get("QUERY_STRING", ""):
            # A NUL names nothing, and PostgreSQL refuses it in any text it is given.
            message = _("地址中不能含有 NUL 字符。")
            return _refuse(request, is_api, "control_character", message, None)
        response = self.get_response(request)
        if (
            is_api
            and response.status_code >= 400
            and not getattr(response, "streaming", False)
            and not _is_json(response)
        ):
            return _as_api_error(response)
        return response
