from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status

from yiwang.core.schemas import ErrorOut
from yiwang.org import actions, queries
from yiwang.org.models import User
from yiwang.org.schemas import DivisionRef, Me, TokenOut, TokenRequest, TokenResponse

router = Router(tags=["认证"])

TOKEN_ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 429: ErrorOut}
OWN_ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut}


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@router.post(
    "/token",
    auth=None,
    response={200: TokenResponse, **TOKEN_ERRORS},
    summary="用用户名和密码换取接口令牌",
    description=(
        "密码错误返回 403 `bad_credentials`。同一用户名或同一客户端地址在冷却时间内连续失败"
        "达到上限后被暂时锁定：返回 429 `locked_out`，`message` 写明何时可以重试，"
        "`Retry-After` 头给出秒数；系统管理员可以提前解锁。签发过于频繁（按地址、按用户名"
        "分别限速）返回 429 `rate_limited`。"
    ),
)
def token(request: HttpRequest, body: TokenRequest) -> TokenResponse:
    key, api_token = actions.issue_token(request, username=body.username, password=body.password)
    return TokenResponse(token=key, expires_at=api_token.expires_at)


@router.get(
    "/tokens", response={200: list[TokenOut], **OWN_ERRORS}, summary="我的接口令牌（不含令牌本身）"
)
def tokens(request: HttpRequest) -> list[TokenOut]:
    return [TokenOut.from_orm(t) for t in queries.own_tokens(_user(request))]


@router.delete(
    "/tokens/{token_id}",
    response={204: None, **OWN_ERRORS},
    summary="吊销我的一个接口令牌",
    description="只能吊销本人的令牌；他人的或不存在的令牌一律返回 404 `token_not_found`。",
)
def revoke_token(request: HttpRequest, token_id: int) -> Status:
    actions.revoke_own_token(_user(request), token_id)
    return Status(204, None)


@router.get("/me", response=Me, summary="当前登录人员")
def me(request: HttpRequest) -> Me:
    user = request.user
    division = user.division  # type: ignore[union-attr]
    return Me(
        username=user.username,  # type: ignore[union-attr]
        display_name=user.display_name,  # type: ignore[union-attr]
        role=user.role,  # type: ignore[union-attr]
        role_label=user.role_label,  # type: ignore[union-attr]
        division=DivisionRef(code=division.code, name=division.name, level=division.level)
        if division
        else None,
        department=user.department.name if user.department else None,  # type: ignore[union-attr]
    )
