"""The JSON API root: authentication, error shape and the routers of every app."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, django_auth

from yiwang.core.errors import ActionError, TooManyRequests
from yiwang.org.actions import user_for_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="yiwang 一网统管 API",
    version="1",
    description="城市运行管理服务平台接口。认证：会话（浏览器）或 `Authorization: Bearer <令牌>`，"
    "令牌由 `POST /api/auth/token` 签发。错误响应统一为 `{code, message, field}`。",
    auth=[BearerToken(), django_auth],
    docs_url="/docs",
    urls_namespace="api",
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
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "path", "payload")]
    field = loc[-1] if loc else None
    message = f"参数 {field} 不合法：{first.get('msg', '')}" if field else "请求参数不合法。"
    return _error(
        request, 400, {"code": "invalid", "message": message, "field": field, "details": exc.errors}
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
    from yiwang.geo.api import router as geo_router
    from yiwang.org.api import router as org_router

    api.add_router("/auth", org_router)
    api.add_router("/geo", geo_router)
    api.add_router("/catalog", catalog_router)
    api.add_router("/cases", cases_router)


_register_routers()
