from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from yiwang.org import actions
from yiwang.org.schemas import TokenRequest, TokenResponse

router = Router(tags=["认证"])


@router.post("/token", auth=None, response=TokenResponse, summary="用用户名和密码换取接口令牌")
def token(request: HttpRequest, body: TokenRequest) -> TokenResponse:
    key, api_token = actions.issue_token(username=body.username, password=body.password)
    return TokenResponse(token=key, expires_at=api_token.expires_at)
