"""用户管理: the accounts of the office, for its administrator — add one, grant or withdraw the registrar
qualification, deactivate or reactivate — as the API's /api/users and `techreg user` do (the same service
functions, each change on the account's record with who made it). Supervisors read the list and may set a
qualification, as the API lets them."""

import asyncpg
from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from ..auth import requires
from ...errors import Conflict, InvalidInput
from ...labels import label
from ...registry import points, users
from ...registry.messages import FilingRejected
from ...registry.users import QualificationIn, UserIn
from .common import back, page
from .forms import Sent, decode_form, inputs, problems, sent

ADMIN = requires("admin")
READERS = requires("admin", "supervisor")
USER_FIELDS = ("username", "display_name", "role", "point_code", "password", "qualification_expires")
USER_WORDS = {"username": ("登录名", "login name"), "display_name": ("姓名", "name"), "role": ("角色", "role"),
              "point_code": ("登记点", "point"), "password": ("初始密码", "initial password"),
              "qualification_expires": ("登记员资格有效期至", "qualified until")}


async def users_page(request: Request, db: asyncpg.Connection, sent_form: Sent | None = None) -> Template:
    return page(request, "users.html", sent=sent_form, accounts=await users.list_users(db),
                points=await points.list_points(db), roles=("registrar", "inspector", "supervisor", "admin"))


class UserPages(Controller):
    include_in_schema = False

    @get("/users", guards=[READERS])
    async def list_page(self, request: Request, db: asyncpg.Connection) -> Template:
        return await users_page(request, db)

    @post("/users", guards=[ADMIN])
    async def add(self, request: Request, db: asyncpg.Connection) -> Template | Redirect:
        form = await request.form()
        raw = {name: (form.get(name) or "").strip() for name in USER_FIELDS}
        raw["password"] = form.get("password") or ""            # as typed: spaces are characters of a password
        find = inputs(USER_FIELDS, USER_WORDS)
        try:
            body = decode_form(UserIn, raw)
            async with db.transaction():
                added = await users.create_user(db, body, actor=request.user.username)
        except (FilingRejected, Conflict, InvalidInput) as exc:
            errors = problems(exc, find)
        else:
            role_zh, role_en = label("role", added.role), label("role", added.role, "en")
            return back("/users", msg=(f"已新建用户 {added.display_name}（{added.username}，{role_zh}）",
                                       f"added {added.display_name} ({added.username}, {role_en})"))
        values = {k: v for k, v in raw.items() if k != "password"}          # a password is never sent back
        return await users_page(request, db, sent("user-form", values, errors, order=USER_FIELDS,
                                                  title=("新建用户", "New user")))

    @post("/users/{username:str}/qualification", guards=[READERS])
    async def qualify(self, request: Request, username: str, db: asyncpg.Connection) -> Template | Redirect:
        form = await request.form()
        typed = (form.get("qualification_expires") or "").strip()
        try:           # a blank date withdraws the qualification
            body = decode_form(QualificationIn, {"qualification_expires": typed}) if typed else QualificationIn(None)
            async with db.transaction():
                done = await users.set_qualification(db, username, body.qualification_expires,
                                                     actor=request.user.username)
        except FilingRejected as exc:
            errors = problems(exc, inputs(["qualification_expires"], USER_WORDS))
            return await users_page(request, db, sent(f"qualify-{username}", form, errors,
                                                      title=("登记员资格", "Qualification")))
        request.app.state.session_cache.forget(username=username)
        if done.qualification_expires is None:
            return back("/users", msg=(f"已撤销 {done.display_name} 的登记员资格",
                                       f"withdrew {done.display_name}'s qualification"))
        return back("/users", msg=(f"{done.display_name} 的登记员资格有效期至 {done.qualification_expires}",
                                   f"{done.display_name} is qualified until {done.qualification_expires}"))

    @post("/users/{username:str}/active", guards=[ADMIN])
    async def activate(self, request: Request, username: str, db: asyncpg.Connection) -> Redirect:
        form = await request.form()
        active = form.get("active") == "yes"
        try:
            async with db.transaction():
                done = await users.set_active(db, username, active, actor=request.user.username)
        except Conflict as exc:                       # one's own account
            return back("/users", err=exc)
        request.app.state.session_cache.forget(username=username)
        return back("/users", msg=(f"已{'启用' if active else '停用'} {done.display_name}",
                                   f"{'activated' if active else 'deactivated'} {done.display_name}"))
