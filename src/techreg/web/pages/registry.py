"""Log-in, the registrar's filing list, the filing form and the filing page."""

import datetime as dt
import json
import re
from urllib.parse import urlencode
from typing import Annotated, get_args

import asyncpg
import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Response, Stream, Template

from ..params import OptionalDbId
from ...config import Settings
from ...detection.access import evidence_point
from ...detection.detectors import load_settings as detector_settings
from ...detection.risk import risk_for_filing
from ...detection import store as flag_store
from ...detection.store import flags_for_filing, is_scored
from ...errors import Conflict, DomainError, InvalidInput
from ...audit import orders
from ...registry import access, certificate, deadlines, income, listing, review, revocation, rulebook, service, users
from ...registry.approval import approval_errors
from ...registry.credit import checks as credit_checks
from ... import labels
from ...labels import SUBKIND, pair
from ...registry.fieldcheck import decode_checked
from ...registry.rules import FilingRejected, decode_correction, decode_filing, field_label
from ...registry.schema import (DecisionBody, Domain, FieldError, IncomeCheckIn, Kind, RefusalReason, RegisterBody,
                                RevocationBody, Status)
from ...registry.listing import FilingFilter
from ...registry.verification import grouped, verification_code
from ..auth import SESSION_COOKIE, client_address, requires
from ..files import pdf_response, public_base_url
from ..replica import READ_DB
from .common import EXPORT_FORMATS, LANG_COOKIE, Column, back, choice, date_param, export, export_stream, lang, page, people
from .forms import FormError, Inputs, Sent, field_errors, inputs, merged, problems, required, sent
from .trail import TRAIL

FORM = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
FILING_FIELDS = ["ref", "contract_no", "title", "kind", "subkind", "domain", "seller_name", "seller_credit_code",
                 "seller_region", "buyer_name", "buyer_credit_code", "buyer_region", "amount", "tech_amount",
                 "signed_on", "performance_start", "performance_end", "filed_on", "description"]
# input name -> field path of format v1 (seller_credit_code -> seller.credit_code)
FIELD_PATHS = {n: n.replace("_", ".", 1) if n.startswith(("seller_", "buyer_")) else n for n in FILING_FIELDS}
REQUIRED = {"ref", "contract_no", "title", "kind", "domain", "seller_name", "seller_credit_code", "buyer_name",
            "buyer_credit_code", "amount", "tech_amount", "signed_on", "performance_start", "performance_end",
            "filed_on"}
LIST_COLUMNS = [Column("ref"), Column("reg_no"), Column("title"), Column("kind", "kind"),
                Column("subkind", "subkind"), Column("software"), Column("domain", "domain"),
                Column("seller_name", header="seller"), Column("seller_credit_code", header="seller.credit_code"),
                Column("buyer_name", header="buyer"), Column("buyer_credit_code", header="buyer.credit_code"),
                Column("amount"), Column("tech_amount"), Column("approved_amount"), Column("signed_on"), Column("filed_on"),
                Column("status", "status"), Column("point_code", header="point"),
                Column("registered_on", header="registered_on"), Column("updated_at", "time")]


def _values(data: dict) -> dict:
    values = {k: (data.get(k) or "").strip() for k in FILING_FIELDS}
    values["software"] = "on" if data.get("software") else ""
    return values


def _body(values: dict, point: str | None) -> str:
    """The form as a filing of format v1 (JSON), blank fields left out: the same decoder as the API and the
    importer then names every missing or bad field at once."""
    v = {k: value for k, value in values.items() if value}
    party = {side: {name: v[f"{side}_{name}"].upper() if name == "credit_code" else v[f"{side}_{name}"]
                    for name in ("name", "credit_code", "region") if f"{side}_{name}" in v}
             for side in ("seller", "buyer")}
    body = {k: v[k] for k in ("ref", "contract_no", "title", "kind", "subkind", "domain", "amount", "tech_amount",
                              "signed_on", "performance_start", "performance_end", "filed_on", "description")
            if k in v}
    for k in ("amount", "tech_amount"):      # typed as the pages print amounts (1,250,000.00): the separators go
        if k in body:
            body[k] = re.sub(r"[,，\s]", "", body[k])
    return json.dumps({**body, "software": bool(v.get("software")), **party, "point": point or ""},
                      ensure_ascii=False)


def _filing_input(path: str) -> tuple[str, tuple[str, str]] | None:
    """The filing form's input of a field path (seller.credit_code -> seller_credit_code)."""
    name = path.replace(".", "_", 1)
    return (name, (field_label(path), field_label(path, "en"))) if name in FIELD_PATHS else None


def _choice_words(e: FieldError, values: dict) -> tuple[str, str]:
    """A refused choice as the form says it: the words of the allowed values, never their codes (the form's
    own select offers them)."""
    if e.field == "subkind":
        kind = values.get("kind") or ""
        allowed_zh, allowed_en = labels.subkind_choices(kind), labels.subkind_choices(kind, "en")
        kind_zh, kind_en = labels.pair("kind", kind)
        if not allowed_zh:
            return f"{kind_zh}合同没有细分类别，请选择“不细分”", f"a {kind_en} contract has no subkinds: choose none"
        return (f"不适用于{kind_zh}合同；{kind_zh}合同可选：{'、'.join(allowed_zh.values())}",
                f"not one of a {kind_en} contract's subkinds: {'; '.join(allowed_en.values())}")
    group = e.field if labels.is_known("field", e.field) and e.field in ("kind", "domain") else None
    if group is None:
        return e.message, e.message_en
    return (f"请从列表中选择：{'、'.join(labels.choices(group).values())}",
            f"choose one of: {'; '.join(labels.choices(group, 'en').values())}")


# the filing form's inputs by the field path each shows (seller.credit_code -> seller_credit_code)
FILING_INPUTS = inputs({path: name for name, path in FIELD_PATHS.items()})


def _form_errors(errors: list[FieldError], values: dict, *, blank_required: bool) -> list[FormError]:
    """Errors by input in the form's order, each named in Chinese and English; a required input left blank says so;
    a refused choice names the allowed values in words."""
    worded = [msgspec.structs.replace(e, **dict(zip(("message", "message_en"), _choice_words(e, values))))
              if e.allowed is not msgspec.UNSET else e for e in errors]
    found = field_errors(worded, FILING_INPUTS)
    shown = {e.name: e for e in found if e.name}
    if blank_required:
        for name in REQUIRED:
            if not values[name]:
                shown[name] = FormError(name, field_label(FIELD_PATHS[name]), field_label(FIELD_PATHS[name], "en"),
                                        "必填", "required")
    return [shown[n] for n in FILING_FIELDS if n in shown] + [e for e in found if not e.name]


REGISTER_FORM = "register-form"
DEDUCTION_ROWS = 3            # the register form's rows of deductions
REGISTER_INPUTS = ("approved_amount", *(f"d_{name}-{row}" for row in range(DEDUCTION_ROWS)
                                        for name in ("item", "category", "amount")), "deductions", "note", "confirm_flags")
# what an approved amount left blank says: the registrar approves one, the declared one only by choice
APPROVED_BLANK = ("必填：请核定技术交易额；按申报额核定的，点“按申报额填入”",
                  "required: approve an amount; to approve the declared amount, click “Fill in the declared amount”")


def _register_raw(form) -> tuple[dict, list[int]]:
    """The register form as a RegisterBody's JSON: the approved amount and the deduction rows a registrar filled
    in (a row left blank is no row), and for each deduction the form's row it came from."""
    items, categories, amounts = (form.getall(name, []) for name in ("d_item", "d_category", "d_amount"))
    rows, kept = [], []
    for k, (i, c, a) in enumerate(zip(items, categories, amounts)):
        if (i or "").strip() or (a or "").strip():
            rows.append({"item": (i or "").strip(), "category": c or "other",
                         "amount": (a or "").strip().replace(",", "")})
            kept.append(k)
    raw = {"deductions": rows, "note": form.get("note", "") or ""}
    if (approved := (form.get("approved_amount") or "").strip().replace(",", "")):
        raw["approved_amount"] = approved
    return raw, kept


def _register_inputs(kept: list[int]) -> Inputs:
    """The register form's input of an error's path: deductions[1].amount is the amount of the row it came from."""
    def find(path: str) -> tuple[str, tuple[str, str]] | None:
        if path in ("approved_amount", "deductions", "note"):
            return path, (field_label(path), field_label(path, "en"))
        m = re.fullmatch(r"deductions\[(\d+)\]\.(item|category|amount)", path)
        if m is None or int(m[1]) >= len(kept):
            return None
        row = kept[int(m[1])]
        return f"d_{m[2]}-{row}", (f"{field_label(path)}（第 {row + 1} 行）", f"{field_label(path, 'en')} (row {row + 1})")
    return find


# the filing page's decision forms other than registering: the form's id and its name
DECISION_FORMS = {"refuse": ("refuse-form", ("不予登记", "Refuse")),
                  "return": ("return-form", ("退回补正", "Return for correction"))}


async def _approval(db: asyncpg.Connection, filing) -> dict | None:
    """The approval as the register event recorded it (the items deducted), for the filing page."""
    if filing.reg_no is None:
        return None
    return await certificate.approval_of(db, filing.id)


async def filing_page(request: Request, db: asyncpg.Connection, settings: Settings, ref: str,
                      sent: Sent | None = None) -> Template:
    """The filing page; `sent`: one of its forms as it came back refused (the register form, a review step …),
    shown again with what was typed and every error."""
    filing = await service.get_filing(db, request.user, ref)
    scored = await is_scored(db, filing.id)
    # how long after signing it was applied for: a fact of its own, never a back-dating flag by itself
    lag_days = (filing.filed_on - filing.signed_on).days
    late_days = detector_settings()["backdated"].late_filing_days
    flags = await flags_for_filing(db, filing.id, evidence_point(request.user))
    readable = await access.readable_refs(db, request.user, [r for g in flags for r in g.related])
    # the rules it was accepted under (stored, or for history its application day's) and, for the
    # revocation form, today's
    accepted_under = rulebook.rules_by_id(settings, filing.rules_version, filing.filed_on)
    names = await people(db)
    return page(request, "filing.html", sent=sent, people=names, f=filing, flags=flags, readable=readable, **TRAIL,
                rules=accepted_under, rule_versions=[rulebook.version(settings, v) for v in accepted_under.versions],
                revocation=await revocation.revocation_of(db, filing.id) if filing.status == "revoked" else None,
                rules_now=revocation.rules_now(settings),
                scored=scored, scoring_promptly=_scores_promptly(request), active_flags=sum(g.active for g in flags),
                lag_days=lag_days, late=lag_days > late_days,
                risk=await risk_for_filing(db, filing.id, ref, settings), events=await service.filing_events(db, request.user, ref),
                refusal_reasons=[r for r in get_args(RefusalReason) if r in accepted_under.refusal_reasons],
                approval=await _approval(db, filing), deduction_rows=DEDUCTION_ROWS,
                income_checks=await income.income_checks(db, request.user, ref) if filing.reg_no else [],
                deadline=await deadlines.deadline_of(db, settings, filing.id),
                credit=await credit_checks.filing_credit(db, filing, service.today(settings)),
                reviews=await review.filing_reviews(db, settings, request.user, ref, names))


# who may file (the service checks the point as well), correct (the point's registrar: registry.access), list
MAY_FILE = requires("registrar", "admin")
MAY_CORRECT = requires("registrar")
MAY_LIST = requires("registrar", "supervisor", "admin")
MAY_SEE_DEADLINES = MAY_LIST
MAY_DECIDE = requires("registrar", "supervisor")      # which action on which filing: registry.access.require_actor
DEADLINE_COLUMNS = [Column("ref"), Column("title"), Column("point"), Column("seller_name", header="seller"),
                    Column("filed_on"), Column("clock_from"), Column("restarted"), Column("large"),
                    Column("working_days"), Column("due_on", header="decision_due_on"),
                    Column("working_days_left"), Column("state", "deadline_state"), Column("provisional")]


MAY_REVOKE = requires("supervisor")
MAY_SEE_REVOCATIONS = requires("supervisor", "admin")
# the tax office's list (registry/revocation.py, README): who could have claimed what, over which days, and why
TAX_NOTICE_COLUMNS = [Column("reg_no"), Column("contract_no"), Column("title"), Column("kind", "kind"),
                      Column("seller_name"), Column("seller_code"), Column("buyer_name"), Column("buyer_code"),
                      Column("amount"), Column("approved_amount"), Column("income_received"),
                      Column("income_as_of"), Column("registered_on"), Column("revoked_on"),
                      Column("days_in_force"), Column("ground", "revocation_ground"),
                      Column("basis_kind", "revocation_basis"), Column("basis_reference"),
                      Column("revocation_rules"), Column("point"), Column("point_name"), Column("ref")]


def _scores_promptly(request: Request) -> bool:
    """Whether this service scores a filing within seconds of its writing (TECHREG_SCORE_ON_SUBMIT, and its
    listener alive): only then may a page say a filing is being scored."""
    scanner = request.app.state.get("prompt_scanner")
    return scanner is not None and scanner.running


# a yes/no select's value as the filter's boolean (empty: either)
YES_NO = {"yes": True, "no": False}


def home_for(role: str) -> str:
    return {"registrar": "/filings", "inspector": "/queue"}.get(role, "/dashboard")


class RegistryPages(Controller):
    include_in_schema = False

    @get("/login")
    async def login_page(self, request: Request) -> Template:
        return page(request, "login.html", next=request.query_params.get("next", ""))

    @post("/login")
    async def login(self, request: Request, data: FORM, settings: Settings) -> Response:
        try:
            result = await users.login(request.app.state.pool,
                                       msgspec.convert({"username": data.get("username", ""),
                                                        "password": data.get("password", "")}, users.LoginIn),
                                       source=client_address(request), session_hours=settings.session_hours,
                                       attempts_per_minute=settings.login_attempts_per_minute,
                                       acquire_timeout=settings.acquire_timeout)
        except (DomainError, msgspec.ValidationError) as exc:  # a wrong password is a message on the form
            message = ((exc.message, exc.message_en) if isinstance(exc, DomainError)
                       else ("用户名或密码格式不正确", "the user name or password is not in a valid form"))
            return page(request, "login.html", next=data.get("next", ""), login_error=message,
                        username=data.get("username", ""))
        target = data.get("next") or home_for(result.user.role)
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        return Redirect(target, status_code=303, cookies=[Cookie(
            key=SESSION_COOKIE, value=result.token, httponly=True, samesite="lax", secure=request.url.scheme == "https",
            max_age=settings.session_hours * 3600, path="/")])

    @post("/logout")
    async def logout(self, request: Request, db: asyncpg.Connection) -> Redirect:
        await users.logout(db, request.auth)
        request.app.state.session_cache.forget(token=request.auth)
        return Redirect("/login", status_code=303, cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/")])

    @get("/lang/{code:str}")
    async def switch_language(self, request: Request, code: str) -> Redirect:
        from urllib.parse import urlsplit
        referer = urlsplit(request.headers.get("referer") or "/")
        path = "/" + (referer.path or "/").lstrip("/")                  # back to this site only, never //host
        target = path + (f"?{referer.query}" if referer.query else "")
        return Redirect(target, status_code=303, cookies=[Cookie(key=LANG_COOKIE, value="en" if code == "en" else "zh",
                                                                 max_age=365 * 86400, path="/")])

    @get("/")
    async def home(self, request: Request) -> Redirect:
        return Redirect(home_for(request.user.role), status_code=303)

    @get("/filings", guards=[MAY_LIST], dependencies=READ_DB)
    async def filings(self, request: Request, db: asyncpg.Connection, q: str | None = None,
                      status: str | None = None, kind: str | None = None, software: str | None = None,
                      point: str | None = None, signed_from: str | None = None, signed_to: str | None = None,
                      flagged: str | None = None, cursor: OptionalDbId = None, before: OptionalDbId = None,
                      format: str | None = None) -> Template | Stream:
        status = choice("status", "状态", status, get_args(Status))
        kind = choice("kind", "类别", kind, get_args(Kind))
        software = choice("software", "软件类", software, ("yes", "no"))
        flagged = choice("flagged", "异常标记", flagged, ("yes", "no"))
        format = choice("format", "导出格式", format, EXPORT_FORMATS)
        dates = {name: date_param(name, word, value) for name, word, value in
                 (("signed_from", ("签订日期起", "signed from"), signed_from),
                  ("signed_to", ("签订日期止", "signed until"), signed_to))}
        flt = FilingFilter(q=q or None, status=status, kind=kind, point=(point or "").strip() or None,
                           software=YES_NO.get(software or ""), **dates, flagged=YES_NO.get(flagged or ""), limit=50,
                           cursor=cursor, before=before)
        # the filters as the page's links carry them on (pages, exports)
        query = urlencode({k: v for k, v in (("q", q), ("status", status), ("kind", kind), ("software", software),
                                             ("flagged", flagged),
                                             ("point", flt.point), ("signed_from", signed_from),
                                             ("signed_to", signed_to)) if v})
        if format:               # everything the filter matches, not one page of it, streamed
            listing.require_reader(request.user)
            user = request.user

            async def rows(conn):
                async for f in listing.filing_rows(conn, user, flt):
                    yield {**msgspec.structs.asdict(f), "subkind": (f.kind, f.subkind), "seller_name": f.seller.name,
                           "seller_credit_code": f.seller.credit_code, "buyer_name": f.buyer.name,
                           "buyer_credit_code": f.buyer.credit_code, "point_code": f.point}
            return export_stream(request, rows, LIST_COLUMNS, format, "filings")
        result = await listing.list_filings(db, request.user, flt)
        flags_of = await flag_store.kinds_of(db, [f.id for f in result.items])     # the page's rows only
        return page(request, "filings.html", page_=result, flags_of=flags_of, flagged=flagged or "", q=q or "",
                    status=status or "", kind=kind or "",
                    software=software or "", point=flt.point or "", signed_from=signed_from or "",
                    signed_to=signed_to or "", query=query, statuses=get_args(Status), kinds=get_args(Kind))

    @get("/deadlines", guards=[MAY_SEE_DEADLINES], dependencies=READ_DB)
    async def deadlines_page(self, request: Request, db: asyncpg.Connection, settings: Settings,
                             due: str | None = None, point: str | None = None,
                             format: str | None = None) -> Template | Response:
        state = choice("due", "期限状态", due, labels.codes("deadline_state"))
        format = choice("format", "导出格式", format, EXPORT_FORMATS)
        found = await deadlines.deadlines(db, settings, request.user, point=point or None, state=state)
        if format:
            rows = [msgspec.structs.asdict(d) for d in found.items]
            return export(request, rows, DEADLINE_COLUMNS, format, "deadlines")
        return page(request, "deadlines.html", found=found, state=state or "", point=point or "",
                    states=labels.codes("deadline_state"))

    @get("/filings/new", guards=[MAY_FILE])
    async def new_filing(self, request: Request) -> Template:
        return self._form(request, {"filed_on": "", "kind": "development", "domain": "electronic_information"}, [])

    def _form(self, request: Request, values: dict, errors: list[FormError], correcting: str | None = None
              ) -> Template:
        """The filing form with these values (the filing's own when correcting) and every error of the last try."""
        filled = Sent(form="filing-form", ids="f", values=values, errors=errors, was_sent=True,
                      heading=("申请内容有 %d 处错误，请按提示修改：", "The filing has %d error(s); please correct:"))
        return page(request, "filing_form.html", sent=filled, kinds=get_args(Kind), subkinds=SUBKIND,
                    domains=get_args(Domain), correcting=correcting)

    @post("/filings/new", guards=[MAY_FILE])
    async def create_filing(self, request: Request, data: FORM, db: asyncpg.Connection,
                            audit_key: bytes) -> Template | Redirect:
        values = _values(data)
        try:                                     # one submit names every bad field, never only the first
            filing = decode_filing(_body(values, request.user.point_code))
            async with db.transaction():                                     # nothing half-written
                created = await service.create_filing(db, audit_key, request.user, filing,
                                                      request.app.state.settings)
            return back(f"/filings/{created.ref}", msg=("已提交登记申请", "filing submitted"))
        except FilingRejected as exc:
            errors = _form_errors(exc.errors, values, blank_required=True)
        except (Conflict, InvalidInput) as exc:   # refusals (403/404) propagate as error pages
            errors = problems(exc, _filing_input)
        return self._form(request, values, errors)

    @get("/filings/{ref:str}/correct", guards=[MAY_CORRECT])
    async def correct_form(self, request: Request, ref: str, db: asyncpg.Connection, settings: Settings) -> Template:
        """补正: the filing's own values in the filing form, to change and send back."""
        await service.require_actor(db, settings, request.user, ref, "correct")
        f = await service.get_filing(db, request.user, ref)
        values = {"ref": f.ref, "contract_no": f.contract_no, "title": f.title, "kind": f.kind,
                  "subkind": f.subkind or "", "domain": f.domain, "software": "on" if f.software else "",
                  "amount": str(f.amount), "tech_amount": str(f.tech_amount), "signed_on": str(f.signed_on),
                  "performance_start": str(f.performance_start), "performance_end": str(f.performance_end),
                  "filed_on": str(f.filed_on), "description": f.description or ""}
        for side in ("seller", "buyer"):
            party = getattr(f, side)
            values.update({f"{side}_name": party.name, f"{side}_credit_code": party.credit_code,
                           f"{side}_region": party.region or ""})
        return self._form(request, values, [], correcting=ref)

    @post("/filings/{ref:str}/correct", guards=[MAY_CORRECT])
    async def correct(self, request: Request, ref: str, data: FORM, db: asyncpg.Connection,
                      audit_key: bytes, settings: Settings) -> Template | Redirect:
        await service.require_actor(db, settings, request.user, ref, "correct")   # the form's errors: only then
        values = _values(data)
        values["ref"] = ref
        try:                                     # every bad field at once, as for a new filing
            full = json.loads(_body(values, request.user.point_code))
            correction = decode_correction(json.dumps({k: v for k, v in full.items()
                                                       if k not in ("ref", "point")}, ensure_ascii=False))
            async with db.transaction():         # corrected and, when it was returned, back in the queue
                filing = await service.correct_filing(db, audit_key, request.user, ref, correction, settings)
                if filing.status == "returned":
                    await service.transition(db, audit_key, settings, request.user, ref, "resubmit",
                                             DecisionBody(reasons=[], note=""))
            return back(f"/filings/{ref}", msg=("已补正并重新提交", "corrected and resubmitted")
                        if filing.status == "returned" else ("已补正", "corrected"))
        except FilingRejected as exc:
            errors = _form_errors(exc.errors, values, blank_required=True)
        except (Conflict, InvalidInput) as exc:
            errors = problems(exc, _filing_input)
        return self._form(request, values, errors, correcting=ref)

    @post("/filings/new/check", guards=[MAY_FILE])
    async def check_filing(self, request: Request, data: FORM) -> Template:
        """htmx, as the registrar types: the API's own rules on the fields filled so far."""
        values = _values(data)
        errors: list[FormError] = []
        try:
            decode_filing(_body(values, request.user.point_code))
        except FilingRejected as exc:
            errors = [e for e in _form_errors(exc.errors, values, blank_required=False) if e.name and values[e.name]]
        return page(request, "filing_check.html", errors=errors)

    @get("/filings/{ref:str}/certificate")
    async def certificate_page(self, request: Request, ref: str, db: asyncpg.Connection, audit_key: bytes) -> Template:
        c = await certificate.certificate(db, request.user, ref)
        code = grouped(verification_code(audit_key, c.reg_no)) if c.valid else None
        return page(request, "certificate.html", c=c, code=code)

    @get("/filings/{ref:str}/certificate.pdf")
    async def certificate_pdf(self, request: Request, ref: str, db: asyncpg.Connection, audit_key: bytes,
                              settings: Settings) -> Response[bytes]:
        return pdf_response(await certificate.certificate_pdf(db, audit_key, settings, request.user, ref,
                                                              public_base_url(request, settings)))

    @post("/filings/{ref:str}/income-check", guards=[MAY_DECIDE])
    async def income_check(self, request: Request, ref: str, db: asyncpg.Connection, audit_key: bytes,
                           settings: Settings) -> Template | Redirect:
        form = await request.form()
        raw = {"received_amount": (form.get("received_amount") or "").strip().replace(",", ""),
               "as_of": (form.get("as_of") or "").strip(), "note": form.get("note") or ""}
        find = inputs(["received_amount", "as_of", "note"])
        blank = [required(name, (field_label(name), field_label(name, "en"))) for name in ("received_amount", "as_of")
                 if not raw[name]]
        try:
            try:
                body = decode_checked(json.dumps({k: v for k, v in raw.items() if v or k == "note"}), IncomeCheckIn)
            except FilingRejected:                  # the form's errors only for someone who may record
                await income.require_recorder(db, settings, request.user, ref)
                raise
            async with db.transaction():
                await income.record_income_check(db, audit_key, settings, request.user, ref, body)
        except (Conflict, InvalidInput, FilingRejected) as exc:
            return await filing_page(request, db, settings, ref, sent(
                "income-check-form", form, merged(blank, problems(exc, find)), title=("技术性收入核定", "Income check")))
        return back(f"/filings/{ref}", msg=("已记录技术性收入核定", "income check recorded"))

    @get("/filings/{ref:str}", dependencies=READ_DB)
    async def filing(self, request: Request, ref: str, db: asyncpg.Connection, settings: Settings
                     ) -> Template | Response:
        if request.headers.get("hx-request") == "true":
            filing = await service.get_filing(db, request.user, ref)
            if await is_scored(db, filing.id):
                # the page was polling while the filing was scored: reload it whole (flags, and the decision
                # form whose confirmation depends on them)
                return Response(content="", headers={"HX-Refresh": "true"})
        return await filing_page(request, db, settings, ref)

    @post("/filings/{ref:str}/revoke", guards=[MAY_REVOKE])
    async def revoke(self, request: Request, ref: str, db: asyncpg.Connection, audit_key: bytes,
                     settings: Settings) -> Template | Redirect:
        """撤销登记 from the filing page: a ground and its basis, decoded by the API's own checks."""
        form = await request.form()
        raw = {"ground": (form.get("ground") or "").strip(), "note": form.get("note") or "",
               "basis": {"kind": (form.get("basis_kind") or "").strip(),
                         "reference": (form.get("basis_reference") or "").strip()}}
        blank = [required(name, (field_label(name), field_label(name, "en")))
                 for name, value in (("ground", raw["ground"]), ("basis_kind", raw["basis"]["kind"]),
                                     ("basis_reference", raw["basis"]["reference"])) if not value]
        try:
            try:
                body = decode_checked(json.dumps(raw, ensure_ascii=False), RevocationBody)
            except FilingRejected:           # the form's errors only for someone who may revoke
                await service.require_actor(db, settings, request.user, ref, "revoke")
                raise
            async with db.transaction():
                await revocation.revoke(db, audit_key, settings, request.user, ref, body)
        except (Conflict, InvalidInput, FilingRejected) as exc:
            find = inputs({"ground": "ground", "basis.kind": "basis_kind", "basis.reference": "basis_reference",
                           "basis": "basis_kind", "note": "note"})
            return await filing_page(request, db, settings, ref, sent(
                "revoke-form", form, merged(blank, problems(exc, find)), title=("撤销登记", "Revoke")))
        return back(f"/filings/{ref}", msg=("已撤销登记", "registration revoked"))

    @get("/revocations", guards=[MAY_SEE_REVOCATIONS], dependencies=READ_DB)
    async def revocations(self, request: Request, db: asyncpg.Connection, settings: Settings,
                          revoked_from: str | None = None, revoked_to: str | None = None,
                          format: str | None = None) -> Template | Response:
        """Revoked registrations whose benefits may have been claimed: the tax office's list, CSV/Excel."""
        format = choice("format", "导出格式", format, EXPORT_FORMATS)
        period = {name: date_param(name, labels.pair("field", name), value) for name, value in (("revoked_from", revoked_from),
                                                                      ("revoked_to", revoked_to))}
        notice = await revocation.tax_notice(db, settings, **period)
        if format:                 # the rules in words, as the page's language has them
            words = 0 if lang(request) == "zh" else 1
            rows = [{**msgspec.structs.asdict(r), "revocation_rules": rulebook.describe(settings, r.revocation_rules)[words]}
                    for r in notice.items]
            return export(request, rows, TAX_NOTICE_COLUMNS, format, "revocations-tax-notice")
        return page(request, "revocations.html", notice=notice, revoked_from=revoked_from or "",
                    revoked_to=revoked_to or "")

    @post("/filings/{ref:str}/act", guards=[MAY_DECIDE])
    async def act(self, request: Request, ref: str, db: asyncpg.Connection, audit_key: bytes, settings: Settings,
                  ) -> Template | Redirect:
        form = await request.form()
        action = form.get("action", "")
        if action == "register":
            return await self._register(request, ref, form, db, audit_key, settings)
        form_id, title = DECISION_FORMS.get(action, ("decision-form", None))
        reasons = form.getall("reasons", [])
        body = DecisionBody(reasons=list(reasons) if isinstance(reasons, list) else [reasons],
                            note=form.get("note", "") or "")
        try:
            async with db.transaction():
                done = await service.transition(db, audit_key, settings, request.user, ref, action, body)
                if action == "cancel":      # fulfils a de-registration order on the contract
                    await orders.fulfil_by_cancellation(db, audit_key, request.user.username, done.id)
        except (Conflict, InvalidInput) as exc:   # refusals (403/404) propagate as error pages
            return await filing_page(request, db, settings, ref, sent(form_id, form, problems(
                exc, inputs(["reasons", "note"])), title=title))
        return _decided(ref, action, done)

    async def _register(self, request: Request, ref: str, form, db: asyncpg.Connection, audit_key: bytes,
                        settings: Settings) -> Template | Redirect:
        """登记 from the register form: every error at once (the amount, each deduction row, the flags not
        confirmed), the form shown again as it was filled in."""
        raw, kept = _register_raw(form)
        find = _register_inputs(kept)
        errors: list[FormError] = []
        if "approved_amount" not in raw:
            errors.append(required("approved_amount", (field_label("approved_amount"),
                                                       field_label("approved_amount", "en")), APPROVED_BLANK))
        filing = await service.get_filing(db, request.user, ref)
        if request.user.role == "registrar" and not form.get("confirm_flags"):
            # a filing with flags, or not yet scored, is registered only once the registrar says they saw that
            flagged = sum(g.active for g in await flags_for_filing(db, filing.id, evidence_point(request.user)))
            if flagged or not await is_scored(db, filing.id):
                why_zh = f"该申请有 {flagged} 个异常标记" if flagged else "该申请尚未完成异常评分"
                why_en = f"the filing carries {flagged} flag(s)" if flagged else "the filing has not been scored yet"
                errors.append(FormError("confirm_flags", "异常标记确认", "flags reviewed",
                                        f"{why_zh}，请勾选确认后再登记", f"{why_en}: tick the confirmation to register it"))
        approval = None
        try:
            approval = decode_checked(json.dumps(raw, ensure_ascii=False), RegisterBody)
        except FilingRejected as exc:
            errors = merged(errors, problems(exc, find))
        else:                                   # the deductions against the declared amount, said with the rest
            errors = merged(errors, field_errors(approval_errors(filing.tech_amount, approval), find))
        if not errors:
            try:
                async with db.transaction():
                    done = await service.register(db, audit_key, settings, request.user, ref, approval)
                return _decided(ref, "register", done)
            except (Conflict, InvalidInput, FilingRejected) as exc:   # refusals (403/404) propagate as error pages
                errors = problems(exc, find)
        else:                                   # the form's errors only for someone who may register
            await service.require_actor(db, settings, request.user, ref, "register")
        return await filing_page(request, db, settings, ref, sent(REGISTER_FORM, form, errors, order=REGISTER_INPUTS,
                                                                  title=("登记", "Register")))


def _decided(ref: str, action: str, done) -> Redirect:
    """Back to the filing page, saying what became of it."""
    if done.status == "proposed":       # four eyes (复核): a second person registers it
        return back(f"/filings/{ref}", msg=("已提请复核：大额或高风险标记的登记须由第二人复核确认后生效",
                                            "proposed: a large or highly flagged registration takes effect "
                                            "once a second person confirms it"))
    action_zh = pair("action", action)[0]
    status_zh, status_en = pair("status", done.status)
    return back(f"/filings/{ref}", msg=(f"{action_zh}完成，当前状态：{status_zh}", f"done: the filing is {status_en}"))
