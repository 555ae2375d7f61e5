import asyncpg
from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.response import Response

from ...config import Settings
from ...registry import users
from ...registry.users import CurrentUser, LoginIn, LoginOut
from ..auth import SESSION_COOKIE, client_address


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth 登录"]

    @post("/login", summary="登录 / log in", status_code=200)
    async def login(self, request: Request, data: LoginIn, settings: Settings) -> Response[LoginOut]:
        # no request-wide connection: the service takes one for each short step, never two at once
        result = await users.login(request.app.state.pool, data, source=client_address(request),
                                   session_hours=settings.session_hours,
                                   attempts_per_minute=settings.login_attempts_per_minute,
                                   acquire_timeout=settings.acquire_timeout)
        cookie = Cookie(key=SESSION_COOKIE, value=result.token, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=settings.session_hours * 3600, path="/")
        return Response(result, cookies=[cookie])

    @post("/logout", summary="退出 / log out", status_code=204)
    async def logout(self, request: Request, db: asyncpg.Connection) -> None:
        await users.logout(db, request.auth)
        request.app.state.session_cache.forget(token=request.auth)

    @get("/me", summary="当前用户 / who am I")
    async def me(self, request: Request) -> CurrentUser:
        return request.user
