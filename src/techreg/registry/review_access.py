"""Who may act on a review (复核): the policy of registry/review.py.

- Reading the queue: registrars (their own point's), supervisors and administrators; inspectors work
  through their audit queue instead.
- Recording a party's request, stepping aside: a registrar of the filing's point or a supervisor.
- Opening and deciding a supervisory review: supervisors.
- Deciding any review: never the person whose decision is reviewed (the proposer, the registrar who
  refused or returned, the filing's registrar), never someone with a declared tie to either party (a
  standing tie the audit package's 回避 keeps for every user, read through registry.access) or who stepped
  aside from this review.
- Confirming a proposed registration performs a registration: a second *qualified* person, the registrar
  qualification (登记员资格, kept by PUT /api/users/{username}/qualification and renewed by annual review)
  valid today and not blocked, whatever their role: a registrar of the point, or a supervisor who holds one.
  A registrar deciding a party's request acts as registrar, so is qualified as well.

Whoever may not decide a review is told why, who may (`deciders`: the same policy asked of everyone who might),
and, when nobody may, who grants the qualification and how (`how_to_qualify`).
"""

import datetime as dt

import asyncpg
import msgspec

from ..config import Settings
from ..errors import Forbidden
from ..labels import pair
from . import access as registry_access
from .service import today
from .users import CurrentUser

# The user's standing ties to parties, the reviews they stepped aside from, whether they are blocked.
RECUSALS = "SELECT review_id FROM review_recusals WHERE user_id = $1 AND review_id = any($2::bigint[])"
BLOCKED = "SELECT blocked_reason FROM users WHERE id = $1"
# Everyone who might decide open reviews at these points: the active registrars of the points and every active
# supervisor, with their qualification and block; `refusal` decides which of them may.
CANDIDATES = """
    SELECT id, username, display_name, role, point_code, qualification_expires, blocked_reason
    FROM users WHERE active AND (role = 'supervisor' OR (role = 'registrar' AND point_code = any($1::text[])))
    ORDER BY role, username
"""
# Who stepped aside from which of these reviews.
RECUSED_FROM = "SELECT review_id, user_id FROM review_recusals WHERE review_id = any($1::bigint[])"
# how many of those who may decide a review its answer names (the count says how many there are)
DECIDERS_SHOWN = 10
# how the qualification is granted, for whoever reads that nobody may decide
GRANT_ZH = ("管理员或监督员可为某位登记员或监督员登记资格有效期：命令行 techreg user qualify 用户名 --until YYYY-MM-DD"
            "（techreg user list 列出用户及其资格），或接口 PUT /api/users/用户名/qualification")
GRANT_EN = ("An administrator or supervisor records a registrar's or supervisor's qualification: on the command line "
            "techreg user qualify USERNAME --until DATE (techreg user list lists users and their qualification), or "
            "PUT /api/users/USERNAME/qualification")


class Standing(msgspec.Struct, frozen=True):
    """What decides whether a user may decide reviews: their ties, recusals, qualification."""
    ties: frozenset[str]
    recused: frozenset[int]
    qualification: tuple[str, str] | None      # why they are not qualified (None: qualified)


def require_reader(user: CurrentUser) -> None:
    if user.role not in ("registrar", "supervisor", "admin"):
        raise Forbidden("检查员请通过检查队列办理", "inspectors work through their audit queue")


def require_point_staff(user: CurrentUser, point: str) -> None:
    """A registrar of the filing's point or a supervisor (record a party's request, confirm, step aside)."""
    if not (user.role == "supervisor" or (user.role == "registrar" and user.point_code == point)):
        raise Forbidden("只有本登记点的登记员或监督员可以办理复核",
                        "only a registrar of this point or a supervisor handles this review")


def require_supervisor(user: CurrentUser) -> None:
    if user.role != "supervisor":
        raise Forbidden("只有监督员可以启动或决定监督复核", "only a supervisor opens or decides a supervisory review")


async def standing(conn: asyncpg.Connection, settings: Settings, user: CurrentUser,
                   review_ids: list[int]) -> Standing:
    ties = await registry_access.ties_of(conn, user.id)
    recused = frozenset(r["review_id"] for r in await conn.fetch(RECUSALS, user.id, review_ids))
    return Standing(ties, recused, await _qualification_problem(conn, settings, user))


async def _qualification_problem(conn: asyncpg.Connection, settings: Settings,
                                 user: CurrentUser) -> tuple[str, str] | None:
    blocked = await conn.fetchval(BLOCKED, user.id)
    return qualification_problem(user.qualification_expires, blocked, today(settings))


def qualification_problem(expires: dt.date | None, blocked: str | None, on: dt.date) -> tuple[str, str] | None:
    """Why someone with this qualification expiry and block does not hold a valid registrar qualification on `on`."""
    if expires is None:
        return ("未持有登记员资格（没有登记资格有效期），不能复核确认登记",
                "no registrar qualification on record: may not confirm a registration")
    if expires < on:
        return (f"登记员资格已于 {expires} 过期（未通过年审），不能复核确认登记",
                f"registrar qualification expired on {expires}: may not confirm a registration")
    if blocked:
        return f"已被停止办理登记：{blocked}", f"blocked from registering: {blocked}"
    return None


def refusal(user: CurrentUser, s: Standing, review) -> tuple[str, str] | None:
    """Why `user` may not decide this open review (Chinese, English), or None. `review` is a queue row: kind,
    id, point_code, subject_actor, registrar, seller_code, buyer_code."""
    kind = review["kind"]
    if kind == "supervision":
        if user.role != "supervisor":
            return "只有监督员可以决定监督复核", "only a supervisor decides a supervisory review"
    elif not (user.role == "supervisor" or (user.role == "registrar" and user.point_code == review["point_code"])):
        return ("只有本登记点的登记员或监督员可以复核", "only a registrar of this point or a supervisor reviews this")
    if (kind == "registration" or user.role == "registrar") and s.qualification:
        return s.qualification
    if user.username == review["subject_actor"] or (kind == "supervision" and user.username == review["registrar"]):
        action_zh, action_en = pair("event", review["subject_action"])
        return (f"复核须由他人进行：本人作出了被复核的决定（{action_zh}）",
                f"someone else must review: you took the decision under review ({action_en})")
    tied = sorted({review["seller_code"], review["buyer_code"]} & s.ties)
    if tied:
        return (f"已申报与当事人（{'、'.join(tied)}）存在关联，应当回避",
                f"you declared a tie to a party ({', '.join(tied)}): step aside")
    if review["id"] in s.recused:
        return "已申请回避，不能决定本复核", "you stepped aside from this review"
    return None


async def require_may_decide(conn: asyncpg.Connection, settings: Settings, user: CurrentUser, review) -> None:
    why = refusal(user, await standing(conn, settings, user, [review["id"]]), review)
    if why:
        raise Forbidden(*why, review=review["id"])


async def deciders(conn: asyncpg.Connection, settings: Settings, reviews: list) -> dict[int, list[CurrentUser]]:
    """Who may decide each open review of `reviews` (queue rows) now: the same `refusal` asked of everyone who
    might, registrars of the point first. Three queries, whatever the number of reviews."""
    open_ = [r for r in reviews if r["status"] == "open"]
    if not open_:
        return {}
    rows = await conn.fetch(CANDIDATES, sorted({r["point_code"] for r in open_}))
    ties = await registry_access.ties_of_users(conn, [r["id"] for r in rows])
    recused: dict[int, set[int]] = {}
    for r in await conn.fetch(RECUSED_FROM, [r["id"] for r in open_]):
        recused.setdefault(r["user_id"], set()).add(r["review_id"])
    on = today(settings)
    people = [(CurrentUser(id=r["id"], username=r["username"], display_name=r["display_name"], role=r["role"],
                           point_code=r["point_code"], qualification_expires=r["qualification_expires"]),
               Standing(ties.get(r["id"], frozenset()), frozenset(recused.get(r["id"], ())),
                        qualification_problem(r["qualification_expires"], r["blocked_reason"], on)))
              for r in rows]
    return {review["id"]: [user for user, s in people if refusal(user, s, review) is None] for review in open_}


def who_decides(review) -> tuple[str, str]:
    """Who may decide a review of this kind, in words: the role, the qualification, who is left out."""
    kind, point, actor = review["kind"], review["point_code"], review["subject_actor"]
    if kind == "registration":
        return (f"复核确认须由提请人（{actor}）以外的第二人办理：须持有效登记员资格（有效期未过、未被停止办理登记），"
                f"是本登记点（{point}）的登记员或监督员，且未申报与当事人有关联、未申请回避",
                f"a second person other than the proposer ({actor}) confirms it: someone holding a valid registrar "
                f"qualification (not expired, not blocked), a registrar of point {point} or a supervisor, with no "
                f"declared tie to a party and not stepped aside")
    if kind == "party_request":
        return (f"当事人的复核申请由原决定人（{actor}）以外的人决定：本登记点（{point}）持有效登记员资格的登记员，或监督员，"
                f"且未申报与当事人有关联、未申请回避",
                f"someone other than the one who decided ({actor}) decides the party's request: a registrar of point "
                f"{point} holding a valid qualification, or a supervisor, with no declared tie to a party and not "
                f"stepped aside")
    return (f"监督复核由监督员决定，不能是该合同的登记员（{review['registrar'] or actor}），且未申报与当事人有关联、未申请回避",
            f"a supervisor decides a supervisory review, not the contract's registrar ({review['registrar'] or actor}),"
            f" with no declared tie to a party and not stepped aside")


def how_to_qualify(review) -> tuple[str, str]:
    """When nobody may decide a review: who can change that, and how."""
    if review["kind"] == "supervision":
        return ("目前没有可以决定的监督员。管理员可新建监督员：techreg user add 用户名 --role supervisor",
                "No supervisor may decide it yet. An administrator adds one: techreg user add USERNAME --role supervisor")
    return f"目前没有人可以办理。{GRANT_ZH}", f"Nobody may decide it yet. {GRANT_EN}"
