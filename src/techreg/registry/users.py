"""Users, roles, sessions and log-in (passwords hashed with Argon2id, memory-hard)."""

import asyncio
import datetime as dt
import functools
import hashlib
import os
import secrets
from typing import Annotated, Literal

import asyncpg
import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from msgspec import Meta

from ..db.pool import unit_of_work
from ..errors import Conflict, InvalidInput, NotAuthenticated, NotFound, TooManyRequests

Role = Literal["registrar", "inspector", "supervisor", "admin"]
# Argon2id, 64 MiB, 3 passes (argon2-cffi's RFC 9106 low-memory profile). The test suite alone sets
# TECHREG_PASSWORD_HASHING=test for a cheap profile: a stored hash names its own parameters, so either
# profile verifies the other's hashes; tests check that the default is the strong one.
HASH_PROFILES = {"strong": {}, "test": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}}
_hasher = PasswordHasher(**HASH_PROFILES[os.environ.get("TECHREG_PASSWORD_HASHING", "strong")])


@functools.cache
def dummy_hash() -> str:
    """Verified against when the user does not exist, so timing does not reveal names. Made once, when first
    needed: the strong profile's hash costs a fifth of a second of CPU, which a command-line run that never checks a
    password should not pay; the service makes it as it starts (web/app.py), before its first log-in."""
    return _hasher.hash("techreg-no-such-user")


# the role of the system actor alone: no user holds it and no one logs in with it
SystemRole = Literal["system"]


class CurrentUser(msgspec.Struct, frozen=True):
    id: int
    username: str
    display_name: str
    role: Role | SystemRole
    point_code: str | None
    qualification_expires: dt.date | None


# Who acts when no person does: the scheduled jobs (the monthly draft campaign, the deadline notices). Not a
# row of users; each area's policy (<area>/access.py) names what it may do, and the records name it "scheduler".
SYSTEM = CurrentUser(id=0, username="scheduler", display_name="定时任务", role="system", point_code=None,
                     qualification_expires=None)


class UserIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    username: Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
    display_name: Annotated[str, Meta(min_length=1, max_length=100)]
    role: Role
    point_code: Annotated[str, Meta(min_length=1, max_length=32)] | None = None
    password: Annotated[str, Meta(min_length=8, max_length=200)] | None = None
    qualification_expires: dt.date | None = None


class UserOut(msgspec.Struct):
    id: int
    username: str
    display_name: str
    role: Role
    point_code: str | None
    qualification_expires: dt.date | None
    active: bool


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, Meta(min_length=1, max_length=64)]
    password: Annotated[str, Meta(min_length=1, max_length=200)]


class LoginOut(msgspec.Struct):
    token: str
    expires_at: dt.datetime
    user: CurrentUser


class QualificationIn(msgspec.Struct, forbid_unknown_fields=True):
    qualification_expires: dt.date | None


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


# the most common passwords of leaked lists: refused whatever their length
COMMON_PASSWORDS = frozenset("""
123456 123456789 12345678 1234567890 12345 1234567 password password1 password123 qwerty qwerty123 qwertyuiop
abc123 abcd1234 111111 000000 123123 666666 888888 iloveyou admin admin123 administrator welcome welcome1
letmein monkey dragon sunshine princess football baseball 1q2w3e4r 1qaz2wsx zaq12wsx passw0rd p@ssw0rd
a123456 aa123456 woaini1314 5201314 1314520 qq123456 asdfghjkl asdf1234 987654321 changeme
""".split())
MIN_PASSWORD_LENGTH = 10


def password_problem(password: str, username: str = "") -> tuple[str, str] | None:
    """Why a password may not be used (Chinese, English), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少 {MIN_PASSWORD_LENGTH} 个字符", f"a password has at least {MIN_PASSWORD_LENGTH} characters"
    if password.lower() in COMMON_PASSWORDS or len(set(password)) <= 2:
        return "密码过于常见或简单", "the password is too common or too simple"
    if len(username) >= 3 and username.lower() in password.lower():
        return "密码不能包含用户名", "the password must not contain the username"
    return None


def _check_password(password: str, username: str) -> None:
    if problem := password_problem(password, username):
        raise InvalidInput(problem[0], problem[1], errors=[{"field": "password", "message": problem[0],
                                                            "message_en": problem[1]}])


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def _verify(stored: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(stored or dummy_hash(), password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False
    return await asyncio.to_thread(check)


# Every change to an account appends an account_events row in the same statement (a data-modifying CTE), so
# the change and its record commit together and cost one round trip. `actor` is a login name, cli:<os user>,
# "demo" or "system" (labels.person reads them).
_USER_COLUMNS = "id, username, display_name, role, point_code, qualification_expires, active"
CREATE_USER = f"""
    WITH created AS (
        INSERT INTO users (username, display_name, role, point_code, password_hash, qualification_expires)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (username) DO NOTHING
        RETURNING {_USER_COLUMNS}
    ), recorded AS (
        INSERT INTO account_events (username, action, detail, actor)
        SELECT username, 'created', jsonb_strip_nulls(jsonb_build_object(
                   'role', role, 'point', point_code, 'qualification_until', qualification_expires, 'active', active)),
               $7
        FROM created
    )
    SELECT {_USER_COLUMNS} FROM created
"""
# granting (or renewing) a qualification also lifts a block for a lapsed one; clearing it withdraws it
SET_QUALIFICATION = f"""
    WITH changed AS (
        UPDATE users SET qualification_expires = $2, blocked_reason = NULL WHERE username = $1
        RETURNING {_USER_COLUMNS}
    ), recorded AS (
        INSERT INTO account_events (username, action, detail, actor)
        SELECT username, CASE WHEN qualification_expires IS NULL THEN 'qualification_cleared' ELSE 'qualified' END,
               jsonb_strip_nulls(jsonb_build_object('qualification_until', qualification_expires)), $3
        FROM changed
    )
    SELECT {_USER_COLUMNS} FROM changed
"""
SET_ACTIVE = f"""
    WITH changed AS (
        UPDATE users SET active = $2 WHERE username = $1
        RETURNING {_USER_COLUMNS}
    ), recorded AS (
        INSERT INTO account_events (username, action, detail, actor)
        SELECT username, CASE WHEN active THEN 'activated' ELSE 'deactivated' END,
               jsonb_build_object('active', active), $3
        FROM changed
    )
    SELECT {_USER_COLUMNS} FROM changed
"""
# an account's changes, oldest first (several in one transaction share `at`; the id keeps their order)
ACCOUNT_EVENTS = """
    SELECT id, username, action, detail, actor, at FROM account_events WHERE username = $1 ORDER BY id
"""
USER_EXISTS = "SELECT 1 FROM users WHERE username = $1"

AccountAction = Literal["created", "qualified", "qualification_cleared", "activated", "deactivated"]


class AccountEventOut(msgspec.Struct):
    id: int
    username: str
    action: AccountAction
    # what the change set: role, point, qualification_until (ISO date), active
    detail: dict[str, str | bool]
    actor: str
    at: dt.datetime


async def create_user(conn: asyncpg.Connection, body: UserIn, *, actor: str) -> UserOut:
    if body.role == "registrar" and not body.point_code:
        raise InvalidInput("登记员必须属于一个登记点", "a registrar must belong to a registration point",
                           errors=[{"field": "point_code", "message": "登记员必须属于一个登记点",
                                    "message_en": "required for registrars"}])
    if body.point_code and not await conn.fetchval("SELECT 1 FROM points WHERE code = $1", body.point_code):
        raise InvalidInput(f"登记点 {body.point_code} 不存在", f"point {body.point_code} does not exist")
    if body.password:
        _check_password(body.password, body.username)
    password_hash = await hash_password(body.password) if body.password else None
    row = await conn.fetchrow(CREATE_USER, body.username, body.display_name, body.role, body.point_code,
                              password_hash, body.qualification_expires, actor)
    if row is None:
        raise Conflict(f"用户名 {body.username} 已存在", f"username {body.username} already exists")
    return msgspec.convert(dict(row), UserOut)


async def list_users(conn: asyncpg.Connection) -> list[UserOut]:
    rows = await conn.fetch(
        "SELECT id, username, display_name, role, point_code, qualification_expires, active FROM users ORDER BY id")
    return [msgspec.convert(dict(r), UserOut) for r in rows]


# Every account's name as people know it: records keep the login name of who acted, pages show this name.
DISPLAY_NAMES = "SELECT username, display_name FROM users"


async def display_names(conn: asyncpg.Connection) -> dict[str, str]:
    """login name -> display name, for pages that name who did what (an office has tens of accounts)."""
    return {r["username"]: r["display_name"] for r in await conn.fetch(DISPLAY_NAMES)}


async def set_qualification(conn: asyncpg.Connection, username: str, expires: dt.date | None, *,
                            actor: str) -> UserOut:
    row = await conn.fetchrow(SET_QUALIFICATION, username, expires, actor)
    if row is None:
        raise NotFound(f"用户 {username} 不存在", f"user {username} not found")
    return msgspec.convert(dict(row), UserOut)


async def account_events(conn: asyncpg.Connection, username: str) -> list[AccountEventOut]:
    """Who created, qualified, activated or deactivated the account, and when; oldest first."""
    rows = await conn.fetch(ACCOUNT_EVENTS, username)
    if not rows and not await conn.fetchval(USER_EXISTS, username):
        raise NotFound(f"用户 {username} 不存在", f"user {username} not found")
    return [msgspec.convert(dict(r), AccountEventOut) for r in rows]


# -- log-in --------------------------------------------------------------------------------------------

# One attempt at a time per account and per source address: the count and the new attempt's row are
# written under these locks (always taken in this order), so concurrent guesses cannot slip past the limit.
LOGIN_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('techreg-login:' || $1, 0))"
# Failed attempts in the last minute: this account from this source, from this source, this account.
RECENT_FAILURES = """
    SELECT count(*) FILTER (WHERE username = $1 AND source = $2) AS pair,
           count(*) FILTER (WHERE source = $2) AS source,
           count(*) FILTER (WHERE username = $1) AS account
    FROM login_attempts
    WHERE NOT succeeded AND at > now() - interval '1 minute' AND (username = $1 OR source = $2)
"""
RECORD_ATTEMPT = "INSERT INTO login_attempts (username, source, succeeded) VALUES ($1, $2, false) RETURNING id"
MARK_SUCCEEDED = "UPDATE login_attempts SET succeeded = true WHERE id = $1"
USER_FOR_LOGIN = ("SELECT id, username, display_name, role, point_code, qualification_expires, password_hash, active"
                  " FROM users WHERE username = $1")
CREATE_SESSION = ("INSERT INTO sessions (token_hash, user_id, expires_at)"
                  " VALUES ($1, $2, now() + make_interval(hours => $3)) RETURNING expires_at")
# a source trying many accounts, and an account tried from many sources, get more room than one
# account from one source, so a stranger cannot lock the owner out from elsewhere
SOURCE_FACTOR, ACCOUNT_FACTOR = 3, 10


async def login(pool: asyncpg.Pool, body: LoginIn, *, source: str, session_hours: int, attempts_per_minute: int,
                acquire_timeout: float) -> LoginOut:
    """Check a password, rate-limited per account and source address, without holding a connection while
    the (deliberately slow) password hash is verified: the attempt is recorded as failed first, in its own
    short transaction, and marked succeeded with the new session in a second one."""
    async with unit_of_work(pool, acquire_timeout) as conn:
        await conn.execute(LOGIN_LOCK, "user:" + body.username)
        await conn.execute(LOGIN_LOCK, "source:" + source)
        recent = await conn.fetchrow(RECENT_FAILURES, body.username, source)
        if (recent["pair"] >= attempts_per_minute or recent["source"] >= SOURCE_FACTOR * attempts_per_minute
                or recent["account"] >= ACCOUNT_FACTOR * attempts_per_minute):
            raise TooManyRequests("登录失败次数过多，请一分钟后再试", "too many failed log-ins, try again in a minute")
        attempt = await conn.fetchval(RECORD_ATTEMPT, body.username, source)
        row = await conn.fetchrow(USER_FOR_LOGIN, body.username)
    ok = await _verify(row["password_hash"] if row else None, body.password)
    if not (ok and row is not None and row["active"]):
        raise NotAuthenticated("用户名或密码错误", "wrong username or password")
    async with unit_of_work(pool, acquire_timeout) as conn:
        await conn.execute(MARK_SUCCEEDED, attempt)
        token, expires = await open_session(conn, row["id"], session_hours)
    user = CurrentUser(row["id"], row["username"], row["display_name"], row["role"], row["point_code"],
                       row["qualification_expires"])
    return LoginOut(token, expires, user)


async def open_session(conn: asyncpg.Connection, user_id: int, session_hours: int) -> tuple[str, dt.datetime]:
    """A new session of the user, `session_hours` long on the database's clock: its token (only the token's hash
    is stored) and its end. Log-in opens one once the password is checked; the test suite's set-up too."""
    token = secrets.token_urlsafe(32)
    expires = await conn.fetchval(CREATE_SESSION, _token_hash(token), user_id, session_hours)
    return token, expires


async def set_active(conn: asyncpg.Connection, username: str, active: bool, *, actor: str) -> UserOut:
    """Deactivating a user ends their sessions at once (every replica reads sessions from here). Nobody deactivates
    their own account (the office's last administrator would lock everyone out)."""
    if actor == username and not active:
        raise Conflict("不能停用自己的账户", "you cannot deactivate your own account")
    row = await conn.fetchrow(SET_ACTIVE, username, active, actor)
    if row is None:
        raise NotFound(f"用户 {username} 不存在", f"user {username} not found")
    if not active:
        await conn.execute("DELETE FROM sessions WHERE user_id = $1", row["id"])
    return msgspec.convert(dict(row), UserOut)


class ActiveIn(msgspec.Struct, forbid_unknown_fields=True):
    active: bool


async def logout(conn: asyncpg.Connection, token: str) -> None:
    await conn.execute("DELETE FROM sessions WHERE token_hash = $1", _token_hash(token))


async def user_named(conn: asyncpg.Connection, username: str) -> CurrentUser | None:
    """An active user acting without a session: the command line, benchmarks, test set-up."""
    row = await conn.fetchrow("SELECT id, username, display_name, role, point_code, qualification_expires"
                              " FROM users WHERE username = $1 AND active", username)
    return msgspec.convert(dict(row), CurrentUser) if row else None


async def user_for_token(conn: asyncpg.Connection, token: str) -> CurrentUser | None:
    row = await conn.fetchrow(
        """
        SELECT u.id, u.username, u.display_name, u.role, u.point_code, u.qualification_expires
        FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.expires_at > now() AND u.active
        """,
        _token_hash(token))
    return msgspec.convert(dict(row), CurrentUser) if row else None
