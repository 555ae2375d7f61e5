"""The review queue (复核队列) and the review forms of the filing page."""

import json

import asyncpg
from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from ... import labels
from ...config import Settings
from ...errors import Conflict, Forbidden, InvalidInput
from ...registry import review, service
from ...registry.fieldcheck import decode_checked
from ...registry.review_schema import (ConfirmIn, RecusalIn, RequestDecisionIn, ReviewRequestIn, SendBackIn,
                                       SupervisionDecisionIn, SupervisionIn)
from ...registry.rules import FilingRejected
from ..auth import requires
from ..replica import READ_DB
from .common import back, choice, page, people
from .forms import inputs, problems, sent
from .registry import filing_page

MAY_SEE_QUEUE = requires("registrar", "supervisor", "admin")
KINDS = ("registration", "party_request", "supervision")


# each step's form on the filing page: its id, its name, the inputs of its fields
CHANGED = ("title", "contract_no", "amount", "tech_amount", "approved_amount")
STEP_FORMS = {
    "confirm": ("confirm-form", ("复核确认", "Confirm"), inputs(["note"])),
    "send_back": ("send-back-form", ("退回登记员", "Send back"), inputs(["reasons"])),
    "request": ("request-form", ("记录当事人的复核申请", "Record a party's request"),
                inputs(["requested_on", "requested_by", "grounds"])),
    "request_decision": ("request-decision-form", ("复核决定", "Review decision"), inputs(["outcome", "reasons"])),
    "open": ("open-form", ("启动监督复核", "Open a supervisory review"), inputs(["grounds"])),
    "supervision_decision": ("supervision-decision-form", ("监督复核结论", "Supervisory review"), inputs({
        "outcome": "outcome", "reasons": "reasons", "ground": "ground", "basis.kind": "basis_kind",
        "basis.reference": "basis_reference", "basis": "basis_kind",
        **{f"changes.{name}": name for name in CHANGED}})),
    "recusal": ("recusal-form", ("回避", "Step aside"), inputs(["reason", "party"])),
}


def _text(form, name: str) -> str:
    return (form.get(name) or "").strip()


def _supervision_body(form) -> SupervisionDecisionIn:
    """The supervisory decision form: the outcome, the reasons, the fields corrected (blank: unchanged), the
    revocation's ground and basis (blank: this review's decision); decoded by the API's own checks, every bad field named."""
    raw: dict = {"outcome": _text(form, "outcome"), "reasons": _text(form, "reasons")}
    changes = {name: _text(form, name).replace(",", "") if name.endswith("amount") else _text(form, name)
               for name in CHANGED}
    changes = {k: v for k, v in changes.items() if v}
    if changes:
        raw["changes"] = changes
    if _text(form, "ground"):
        raw["ground"] = _text(form, "ground")
    if _text(form, "basis_kind") or _text(form, "basis_reference"):
        raw["basis"] = {"kind": _text(form, "basis_kind"), "reference": _text(form, "basis_reference")}
    return decode_checked(json.dumps(raw, ensure_ascii=False), SupervisionDecisionIn)


class ReviewPages(Controller):
    include_in_schema = False

    @get("/reviews", guards=[MAY_SEE_QUEUE], dependencies=READ_DB)
    async def queue(self, request: Request, db: asyncpg.Connection, settings: Settings, kind: str | None = None,
                    due: str | None = None, point: str | None = None) -> Template:
        kind = choice("kind", "复核类型", kind, KINDS)
        state = choice("due", "期限状态", due, labels.codes("deadline_state"))
        names = await people(db)
        found = await review.review_queue(db, settings, request.user, kind=kind, point=point or None, state=state,
                                          names=names)
        return page(request, "reviews.html", people=names, found=found, kind=kind or "", state=state or "", point=point or "",
                    kinds=KINDS, states=labels.codes("deadline_state"))

    @post("/filings/{ref:str}/review")
    async def act(self, request: Request, ref: str, db: asyncpg.Connection, audit_key: bytes,
                  settings: Settings) -> Template | Redirect:
        """Every review step of the filing page: `step` names it; the service decides who may take it."""
        await service.get_filing(db, request.user, ref)          # another point's filing is not found
        if request.user.role not in ("registrar", "supervisor"):
            raise Forbidden("只有登记员或监督员办理复核", "only registrars and supervisors handle reviews")
        form = await request.form()
        step = form.get("step", "")
        user = request.user
        try:
            async with db.transaction():
                if step == "confirm":
                    await review.confirm(db, audit_key, settings, user, ref, ConfirmIn(note=_text(form, "note")))
                    done = ("已复核确认并登记", "confirmed and registered")
                elif step == "send_back":
                    body = decode_checked(json.dumps({"reasons": _text(form, "reasons")}), SendBackIn)
                    await review.send_back(db, audit_key, settings, user, ref, body)
                    done = ("已退回登记员重新审查", "sent back to the registrar")
                elif step == "request":
                    body = decode_checked(json.dumps({"requested_on": _text(form, "requested_on"),
                                                      "requested_by": _text(form, "requested_by"),
                                                      "grounds": _text(form, "grounds")}), ReviewRequestIn)
                    await review.request_review(db, audit_key, settings, user, ref, body)
                    done = ("已记录当事人的复核申请", "the party's request for review is recorded")
                elif step == "request_decision":
                    body = decode_checked(json.dumps({"outcome": _text(form, "outcome"),
                                                      "reasons": _text(form, "reasons")}), RequestDecisionIn)
                    decided = await review.decide_request(db, audit_key, settings, user, ref, body)
                    done = (f"复核决定：{labels.label('review_outcome', decided.outcome)}",
                            f"review decided: {labels.label('review_outcome', decided.outcome, 'en')}")
                elif step == "open":
                    body = decode_checked(json.dumps({"grounds": _text(form, "grounds")}), SupervisionIn)
                    await review.open_supervision(db, audit_key, settings, user, ref, body)
                    done = ("已启动监督复核", "supervisory review opened")
                elif step == "supervision_decision":
                    decided = await review.decide_supervision(db, audit_key, settings, user, ref,
                                                              _supervision_body(form))
                    done = (f"监督复核结论：{labels.label('review_outcome', decided.outcome)}",
                            f"supervisory review decided: {labels.label('review_outcome', decided.outcome, 'en')}")
                elif step == "recusal":
                    body = decode_checked(json.dumps({"reason": _text(form, "reason"),
                                                      **({"party": _text(form, "party")} if _text(form, "party")
                                                         else {})}), RecusalIn)
                    await review.recuse(db, audit_key, settings, user, ref, body)
                    done = ("已回避", "you stepped aside")
                else:
                    raise InvalidInput("未知的复核操作", "unknown review step")
        except (Conflict, InvalidInput, FilingRejected) as exc:   # refusals (403/404) propagate as error pages
            form_id, title, find = STEP_FORMS.get(step, ("review-form", None, inputs([])))
            return await filing_page(request, db, settings, ref, sent(form_id, form, problems(exc, find),
                                                                      title=title))
        return back(f"/filings/{ref}", msg=done)
