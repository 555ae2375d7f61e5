"""The records a person reads — a filing's event trail, an audit item's record — in words, Chinese and English:
never a stored code or a dictionary as the database holds it. The words are the catalogue's (techreg.labels)."""

import re
from urllib.parse import quote

from markupsafe import Markup, escape

from ...audit.schema import HistoryOut
from ...config import load_settings
from ...labels import is_known, label, pair, person, recorded
from ...registry.rulebook import describe
from ...registry.approval import deductions_text
from ...registry.messages import field_label
from ...registry.schema import EventOut

def system_reason(text: str | None) -> tuple[str, str]:
    """A reason the system recorded (a code, or the same words stored in both languages), in both languages;
    anything else is a person's own text, shown as written."""
    return recorded(text)


def _who(username: str | None, names: dict[str, str] | None) -> tuple[str, str]:
    """Who acted, by their display name (Chinese, English: the scheduler or an import in words)."""
    return person(username, names or {}, "zh"), person(username, names or {}, "en")


def _reason_pair(code: str) -> tuple[str, str]:
    return pair("reason", code) if is_known("reason", code) else (code, code)


def event_text(e: EventOut, names: dict[str, str] | None = None) -> tuple[str, str]:
    """What a filing event did and why, beyond its action and status change; the people it names by their
    display names (`names`: login name -> display name)."""
    d = e.detail or {}
    zh, en = [], []
    if d.get("reg_no"):
        zh.append(f"登记号 {d['reg_no']}")
        en.append(f"registration no. {d['reg_no']}")
    if d.get("approved_amount") and e.action in ("register", "propose"):
        zh.append(f"核定技术交易额 {d['approved_amount']} 元（申报 {d.get('declared_tech_amount', '')} 元）")
        en.append(f"approved technology amount {d['approved_amount']} yuan (declared {d.get('declared_tech_amount', '')})")
        if d.get("deductions"):
            items_zh, items_en = deductions_text(d["deductions"])
            zh.append(f"核减：{items_zh}")
            en.append(f"deducted: {items_en}")
    if e.action == "income_check" and d.get("received_amount"):
        verdict = d.get("verdict", "")
        zh.append(f"截至 {d.get('as_of', '')} 实际技术性收入 {d['received_amount']} 元，核定额 {d.get('approved_amount', '')} 元，"
                  f"差额 {d.get('difference', '')} 元：{label('income_verdict', verdict)}")
        en.append(f"received {d['received_amount']} yuan up to {d.get('as_of', '')} against {d.get('approved_amount', '')} "
                  f"approved, difference {d.get('difference', '')}: {label('income_verdict', verdict, 'en')}")
    review_zh, review_en = review_text(e, names)
    zh += review_zh
    en += review_en
    if e.action.startswith("order_"):
        order_zh, order_en = order_detail_text(d)
        zh.append(order_zh)
        en.append(order_en)
    if is_known("via", d.get("via")):
        via_zh, via_en = pair("via", d["via"])
        zh.append(via_zh)
        en.append(via_en)
    if d.get("ground"):                      # a revocation: its ground and basis (registry/revocation.py)
        ground_zh, ground_en = pair("revocation_ground", d["ground"], default=(d["ground"], d["ground"]))
        zh.append(f"撤销理由：{ground_zh}")
        en.append(f"ground: {ground_en}")
    basis = d.get("basis") or {}
    if basis:
        basis_zh, basis_en = pair("revocation_basis", basis.get("kind"), default=("其他依据", "another basis"))
        zh.append(f"依据：{basis_zh} {basis.get('reference', '')}")
        en.append(f"basis: {basis_en} {basis.get('reference', '')}")
    reasons = [] if d.get("ground") else [_reason_pair(r) for r in d.get("reasons") or []]
    if reasons:
        zh.append("理由：" + "、".join(r[0] for r in reasons))
        en.append("reasons: " + "; ".join(r[1] for r in reasons))
    if d.get("note"):
        zh.append(f"说明：{d['note']}")
        en.append(f"note: {d['note']}")
    if d.get("source"):
        zh.append(f"来源：{d['source']}")
        en.append(f"source: {d['source']}")
    if d.get("rules"):                       # the rules the decision was taken under (registry/rulebook.py)
        rules_zh, rules_en = describe(load_settings(), d["rules"])
        zh.append(f"适用规则：{rules_zh}")
        en.append(f"rules applied: {rules_en}")
    changes = d.get("changes") or {}
    if changes:
        zh.append("更改了" + "、".join(field_label(k) for k in changes))
        en.append("changed " + ", ".join(field_label(k, "en") for k in changes))
    return "；".join(zh), "; ".join(en)


def review_text(e: EventOut, names: dict[str, str] | None = None) -> tuple[list[str], list[str]]:
    """What a review (复核) step adds to its event: why four eyes, who proposed, who asked, the outcome."""
    d = e.detail or {}
    zh: list[str] = []
    en: list[str] = []
    if "review" in d:
        zh.append(f"复核 #{d['review']}")
        en.append(f"review #{d['review']}")
    triggers = d.get("triggers") or {}
    if triggers.get("large"):
        zh.append(f"技术交易额达到大额线 {triggers.get('large_line', '')} 元")
        en.append(f"technology amount at or above the large line of {triggers.get('large_line', '')} yuan")
    for g in triggers.get("flags") or []:
        zh.append(f"异常标记：{label('flag', g.get('kind'))} {g.get('score')}")
        en.append(f"flag: {label('flag', g.get('kind'), 'en')} {g.get('score')}")
    if d.get("proposed_by"):
        by_zh, by_en = _who(d["proposed_by"], names)
        zh.append(f"提请人 {by_zh}")
        en.append(f"proposed by {by_en}")
    if d.get("requested_on"):
        who_zh, who_en = pair("field", d.get("requested_by") or "", default=("当事人", "the party"))
        zh.append(f"{who_zh}于 {d['requested_on']} 申请复核")
        en.append(f"{who_en} asked on {d['requested_on']}")
    if d.get("outcome") and is_known("review_outcome", d["outcome"]):
        out_zh, out_en = pair("review_outcome", d["outcome"])
        zh.append(f"结论：{out_zh}")
        en.append(f"outcome: {out_en}")
    if e.action == "review_recusal" and d.get("party"):
        zh.append(f"申报与当事人 {d['party']} 存在关联")
        en.append(f"declared a tie to the party {d['party']}")
    return zh, en


def order_detail_text(d: dict) -> tuple[str, str]:
    """What an order's step on the trail records: which order, its deadline, the document, the cancellation."""
    zh, en = [f"责令事项 #{d.get('order', '')}"], [f"order #{d.get('order', '')}"]
    if d.get("order_kind"):
        kind_zh, kind_en = pair("order_kind", d["order_kind"], default=("其他", "other"))
        zh.append(f"{kind_zh}（检查事项 #{d.get('item', '')}）")
        en.append(f"{kind_en} (audit item #{d.get('item', '')})")
    if d.get("working_days"):
        zh.append(f"期限 {d.get('due_on', '')}（{d['working_days']} 个工作日）")
        en.append(f"due {d.get('due_on', '')} ({d['working_days']} working days)")
    elif d.get("due_on"):
        zh.append(f"期限 {d['due_on']}")
        en.append(f"due {d['due_on']}")
    if d.get("escalated_on"):
        zh.append(f"于 {d['escalated_on']} 逾期上报监督员")
        en.append(f"escalated to the supervisors on {d['escalated_on']}")
    if d.get("file_name"):
        sha = str(d.get("sha256", ""))[:16]
        zh.append(f"答复文件 {d['file_name']}（{size_text(d.get('size_bytes'))}，SHA-256 {sha}…）"
                  + ("，逾期答复" if d.get("late") else ""))
        en.append(f"document {d['file_name']} ({size_text(d.get('size_bytes'))}, SHA-256 {sha}…)"
                  + (", answered late" if d.get("late") else ""))
    if d.get("cancel_seq"):
        zh.append(f"以第 {d['cancel_seq']} 号事件（注销）履行")
        en.append(f"fulfilled by event {d['cancel_seq']} (the cancellation)")
    return "，".join(zh), ", ".join(en)


def order_step_text(step) -> tuple[str, str]:
    """One step of an order (audit.orders.OrderStep) in words, with its note."""
    d = step.detail or {}
    zh, en = order_detail_text(d)
    if d.get("note"):
        zh += f"；说明：{d['note']}"
        en += f"; note: {d['note']}"
    return zh, en


def event_action(e: EventOut) -> tuple[str, str]:
    return pair("event", e.action, default=("其他操作", "other action"))


def status_pair(status: str | None) -> tuple[str, str]:
    if not status:
        return "", ""
    return pair("status", status, default=("其他状态", "other status"))


def size_text(n: int | None) -> str:
    n = int(n or 0)
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} B"


def history_text(h: HistoryOut, names: dict[str, str] | None = None) -> tuple[str, str]:
    """One entry of an audit item's record, in words; inspectors by their display names."""
    d = h.detail or {}
    who = _who(h.inspector, names)[0]
    was = _who(d.get("from"), names)[0]
    if h.action == "assigned":
        return f"分配给检查员 {who}", f"assigned to inspector {who}"
    if h.action == "unassigned":
        zh, en = system_reason(d.get("reason") or "no_eligible_inspector")
        return f"未能分配：{zh}", f"not assigned: {en}"
    if h.action == "conflict_declared":
        return f"申请回避：{d.get('reason', '')}", f"declared a conflict: {d.get('reason', '')}"
    if h.action == "reassigned":
        return (f"因回避改派给检查员 {who}（原检查员 {was}）",
                f"reassigned to inspector {who} (was {was})")
    if h.action == "finding":
        outcome_zh, outcome_en = pair("outcome", d.get("outcome", ""), default=("其他", "other"))
        reasons = [str(r) for r in d.get("reasons") or []]
        files = len(d.get("evidence") or [])
        return (f"记录检查结论「{outcome_zh}」：{'；'.join(reasons)}"
                + (f"（依据证据文件 {files} 份）" if files else ""),
                f"recorded the finding '{outcome_en}': {'; '.join(reasons)}"
                + (f" (resting on {files} evidence file{'s' if files != 1 else ''})" if files else ""))
    if h.action == "evidence_added":
        sha = str(d.get("sha256", ""))[:16]
        return (f"上传证据文件 {d.get('file_name', '')}（{size_text(d.get('size_bytes'))}，SHA-256 {sha}…）",
                f"uploaded evidence file {d.get('file_name', '')} ({size_text(d.get('size_bytes'))}, SHA-256 {sha}…)")
    if h.action == "evidence_withdrawn":
        return (f"撤回证据文件 {d.get('file_name', '')}：{d.get('reason', '')}",
                f"withdrew evidence file {d.get('file_name', '')}: {d.get('reason', '')}")
    return pair("item_action", h.action, default=("其他记录", "other entry"))


def detector_version(detector: str) -> str:
    """The version part of a flag's detector (`split/2.0` -> 2.0; the outlier model's own version)."""
    return detector.partition("/")[2] or detector


# a ref stands alone in a reason's text: not part of a longer ref (REF_PATTERN's characters around it)
REF_EDGE_BEFORE, REF_EDGE_AFTER = r"(?<![A-Za-z0-9._:-])", r"(?![A-Za-z0-9_:-]|\.[A-Za-z0-9])"


def with_links(text: str, readable: set[str] | frozenset[str]) -> Markup:
    """Evidence text with each filing the viewer may open (and only those) made a link to its page."""
    if not readable:
        return escape(text)
    pattern = re.compile(REF_EDGE_BEFORE + "(?:" + "|".join(re.escape(r) for r in sorted(readable, key=len, reverse=True))
                         + ")" + REF_EDGE_AFTER)
    parts, last = [], 0
    for m in pattern.finditer(text):
        parts += [escape(text[last:m.start()]), ref_link(m.group())]
        last = m.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def ref_link(ref: str) -> Markup:
    return Markup('<a href="/filings/{}">{}</a>').format(quote(ref, safe=""), ref)


# what the filing and item pages use to write their records in words
TRAIL = {"event_text": event_text, "event_action": event_action, "status_pair": status_pair,
         "history_text": history_text, "size_text": size_text, "with_links": with_links, "ref_link": ref_link,
         "detector_version": detector_version}
