"""The JSON API root: authentication, error shape and the routers of every app."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from yiwang.apiedge import BoundedParser, YiwangAPI, validation_error_body
from yiwang.core.errors import ActionError, TooManyRequests
from yiwang.org.actions import user_for_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


api = YiwangAPI(
    title="yiwang 一网统管 API",
    version="1",
    description="城市运行管理服务平台接口。认证：会话（浏览器）或 `Authorization: Bearer <令牌>`，"
    "令牌由 `POST /api/auth/token` 签发。错误响应统一为 `{code, message, field}`。",
    auth=[BearerToken(), django_auth],
    docs_url="/docs",
    urls_namespace="api",
    parser=BoundedParser(),
)


def _error(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    return api.create_response(request, body, status=status)


@api.exception_handler(ActionError)
def on_action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    response = _error(request, exc.status, exc.as_dict())
    if isinstance(exc, TooManyRequests):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, 400, validation_error_body(list(exc.errors)))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Ninja's own refusals (an unparsable body, a failed CSRF check) in our shape."""
    if isinstance(exc.__cause__, ActionError):
        return on_action_error(request, exc.__cause__)
    if exc.status_code == 403:
        body = {
            "code": "csrf_failed",
            "message": "CSRF 校验失败：会话请求须带 X-CSRFToken 头；接口调用请用令牌认证。",
            "field": None,
        }
    elif exc.status_code == 400:
        body = {"code": "malformed_body", "message": "无法解析请求体。", "field": "body"}
    else:
        body = {"code": f"http_{exc.status_code}", "message": str(exc.message), "field": None}
    return _error(request, exc.status_code, body)


@api.exception_handler(MultiPartParserError)
def on_bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    return _error(
        request,
        400,
        {"code": "malformed_body", "message": "无法解析 multipart 请求体。", "field": "body"},
    )


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(
        request, 413, {"code": "too_large", "message": "请求体超过上传上限。", "field": "body"}
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request,
        401,
        {"code": "unauthenticated", "message": "请先登录或提供有效的接口令牌。", "field": None},
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, {"code": "not_found", "message": "未找到该资源。", "field": None})


def _register_routers() -> None:
    from yiwang.cases.api import router as cases_router
    from yiwang.catalog.api import router as catalog_router
    from yiwang.evaluation.api import router as evaluation_router
    from yiwang.geo.api import router as geo_router
    from yiwang.intake.api.hotline import router as hotline_router
    from yiwang.intake.api.inspector import router as inspector_router
    from yiwang.intake.api.video import router as alarms_router
    from yiwang.org.api import router as org_router
    from yiwang.reports.api import router as reports_router

    api.add_router("/auth", org_router)
    api.add_router("/geo", geo_router)
    api.add_router("/catalog", catalog_router)
    api.add_router("/cases", cases_router)
    api.add_router("/intake/inspector", inspector_router)
    api.add_router("/intake/hotline", hotline_router)
    api.add_router("/intake", alarms_router)
    api.add_router("/evaluation", evaluation_router)
    api.add_router("/reports", reports_router)


_register_routers()
