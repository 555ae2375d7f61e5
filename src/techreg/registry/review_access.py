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
"""

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
    expires = user.qualification_expires
    if expires is None:
        return ("未登记登记员资格（有效期），不能复核确认登记",
                "no registrar qualification on record: may not confirm a registration")
    if expires < today(settings):
        return (f"登记员资格已于 {expires} 过期（未通过年审），不能复核确认登记",
                f"registrar qualification expired on {expires}: may not confirm a registration")
    if blocked := await conn.fetchval(BLOCKED, user.id):
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
