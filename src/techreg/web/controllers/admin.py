import asyncpg
from litestar import Controller, Request, get, post, put

from ...registry import points, users
from ...registry.points import PointIn, PointOut
from ...registry.users import AccountEventOut, ActiveIn, QualificationIn, UserIn, UserOut
from ..auth import requires


class AdminController(Controller):
    path = "/api"
    tags = ["admin 管理"]

    @get("/points", summary="登记点列表 / registration points")
    async def list_points(self, db: asyncpg.Connection) -> list[PointOut]:
        return await points.list_points(db)

    @post("/points", summary="新建登记点 / add a point", guards=[requires("admin")])
    async def add_point(self, data: PointIn, db: asyncpg.Connection) -> PointOut:
        return await points.create_point(db, data)

    @get("/users", summary="用户列表 / users", guards=[requires("admin", "supervisor")])
    async def list_users(self, db: asyncpg.Connection) -> list[UserOut]:
        return await users.list_users(db)

    @post("/users", summary="新建用户 / add a user", guards=[requires("admin")])
    async def add_user(self, request: Request, data: UserIn, db: asyncpg.Connection) -> UserOut:
        return await users.create_user(db, data, actor=request.user.username)

    @put("/users/{username:str}/qualification", summary="登记员资格有效期 / set qualification expiry",
         guards=[requires("admin", "supervisor")])
    async def set_qualification(self, request: Request, username: str, data: QualificationIn,
                                db: asyncpg.Connection) -> UserOut:
        updated = await users.set_qualification(db, username, data.qualification_expires,
                                                actor=request.user.username)
        request.app.state.session_cache.forget(username=username)
        return updated

    @put("/users/{username:str}/active", summary="启用或停用用户 / activate or deactivate a user",
         guards=[requires("admin")])
    async def set_active(self, request: Request, username: str, data: ActiveIn, db: asyncpg.Connection) -> UserOut:
        updated = await users.set_active(db, username, data.active, actor=request.user.username)
        request.app.state.session_cache.forget(username=username)     # and this replica's cache, at once
        return updated

    @get("/users/{username:str}/events", summary="账户变更记录 / the account's changes (who, when)",
         guards=[requires("admin", "supervisor")])
    async def account_events(self, username: str, db: asyncpg.Connection) -> list[AccountEventOut]:
        return await users.account_events(db, username)
