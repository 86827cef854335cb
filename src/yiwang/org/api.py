from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from yiwang.org import actions
from yiwang.org.schemas import DivisionRef, Me, TokenRequest, TokenResponse

router = Router(tags=["认证"])


@router.post("/token", auth=None, response=TokenResponse, summary="用用户名和密码换取接口令牌")
def token(request: HttpRequest, body: TokenRequest) -> TokenResponse:
    key, api_token = actions.issue_token(username=body.username, password=body.password)
    return TokenResponse(token=key, expires_at=api_token.expires_at)


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
