"""The records a person reads — a filing's event trail, an audit item's record — in words, Chinese and English:
never a stored code or a dictionary as the database holds it."""

import datetime as dt
import re
from urllib.parse import quote
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from ...audit.schema import OUTCOME_EN, OUTCOME_ZH, HistoryOut
from ...registry.schema import EventOut
from ...registry.service import ACTION_ZH, STATUS_ZH

ACTION_EN = {"register": "registered", "refuse": "refused", "return": "returned for correction",
             "resubmit": "resubmitted", "revoke": "revoked", "cancel": "cancelled", "create": "submitted",
             "correct": "corrected", "import": "imported"}
STATUS_EN = {"submitted": "awaiting review", "returned": "returned for correction", "registered": "registered",
             "refused": "refused", "revoked": "revoked", "cancelled": "cancelled"}
REFUSAL_ZH = {"void_or_not_effective": "合同无效或尚未生效", "not_technology_contract": "不属于技术合同",
              "unclear_terms": "当事人、标的或价款不明确", "approval_missing": "缺少须经批准的批准文件",
              "title_mismatch": "合同名称与权利义务不符且未更正", "restrictive_clauses": "含有限制性条款",
              "proofs_missing": "缺少证明文件", "seal_mismatch": "未盖章或印章与当事人不符", "other": "其他"}
REVOCATION_ZH = {"fraudulent": "弄虚作假、骗取登记", "voided_not_deregistered": "合同被确认无效而未注销",
                 "duplicate_registration": "重复登记", "inspection_finding": "检查结论",
                 "court_or_review_decision": "法院判决或复议决定", "other": "其他"}
FIELD_ZH = {"contract_no": "合同编号", "title": "合同名称", "kind": "类别", "subkind": "子类", "software": "软件类",
            "domain": "技术领域", "seller": "卖方", "buyer": "买方", "amount": "成交额", "tech_amount": "技术交易额",
            "signed_on": "签订日期", "performance_start": "履行开始", "performance_end": "履行结束",
            "filed_on": "申请日期", "description": "说明"}
VIA_ZH = {"finding": ("依检查结论", "by an inspection finding")}


def local_time(value: dt.datetime | None, timezone: str) -> str:
    """A moment as people here read it: in the office's time zone, with the zone's offset named."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(timezone))
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} UTC{offset[:3]}:{offset[3:]}"


def _words(code: str) -> str:
    return code.replace("_", " ")


def _reason_pair(code: str) -> tuple[str, str]:
    zh = REFUSAL_ZH.get(code) or REVOCATION_ZH.get(code)
    return (zh, _words(code)) if zh else (code, code)


def _halves(text: str) -> tuple[str, str]:
    """A stored "中文 / English" message split in two (one language only: the same text twice)."""
    zh, sep, en = str(text).partition(" / ")
    return (zh, en) if sep else (zh, zh)


def event_text(e: EventOut) -> tuple[str, str]:
    """What a filing event did and why, beyond its action and status change."""
    d = e.detail or {}
    zh, en = [], []
    if d.get("reg_no"):
        zh.append(f"登记号 {d['reg_no']}")
        en.append(f"registration no. {d['reg_no']}")
    if d.get("via") in VIA_ZH:
        zh.append(VIA_ZH[d["via"]][0])
        en.append(VIA_ZH[d["via"]][1])
    reasons = [_reason_pair(r) for r in d.get("reasons") or []]
    if reasons:
        zh.append("理由：" + "、".join(r[0] for r in reasons))
        en.append("reasons: " + ", ".join(r[1] for r in reasons))
    if d.get("note"):
        zh.append(f"说明：{d['note']}")
        en.append(f"note: {d['note']}")
    if d.get("source"):
        zh.append(f"来源：{d['source']}")
        en.append(f"source: {d['source']}")
    changes = d.get("changes") or {}
    if changes:
        zh.append("更改了" + "、".join(FIELD_ZH.get(k, k) for k in changes))
        en.append("changed " + ", ".join(_words(k) for k in changes))
    return "；".join(zh), "; ".join(en)


def event_action(e: EventOut) -> tuple[str, str]:
    return ACTION_ZH.get(e.action, "其他操作"), ACTION_EN.get(e.action, "other action")


def status_pair(status: str | None) -> tuple[str, str]:
    if not status:
        return "", ""
    return STATUS_ZH.get(status, "其他状态"), STATUS_EN.get(status, "other status")


def size_text(n: int | None) -> str:
    n = int(n or 0)
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} B"


def history_text(h: HistoryOut) -> tuple[str, str]:
    """One entry of an audit item's record, in words."""
    d = h.detail or {}
    who = h.inspector or "—"
    if h.action == "assigned":
        return f"分配给检查员 {who}", f"assigned to inspector {who}"
    if h.action == "unassigned":
        zh, en = _halves(d.get("reason") or "没有符合回避规则的检查员 / no eligible inspector")
        return f"未能分配：{zh}", f"not assigned: {en}"
    if h.action == "conflict_declared":
        return f"申请回避：{d.get('reason', '')}", f"declared a conflict: {d.get('reason', '')}"
    if h.action == "reassigned":
        return (f"因回避改派给检查员 {who}（原检查员 {d.get('from', '—')}）",
                f"reassigned to inspector {who} (was {d.get('from', '—')})")
    if h.action == "finding":
        outcome = d.get("outcome", "")
        reasons = [str(r) for r in d.get("reasons") or []]
        files = len(d.get("evidence") or [])
        return (f"记录检查结论「{OUTCOME_ZH.get(outcome, '其他')}」：{'；'.join(reasons)}"
                + (f"（依据证据文件 {files} 份）" if files else ""),
                f"recorded the finding '{OUTCOME_EN.get(outcome, 'other')}': {'; '.join(reasons)}"
                + (f" (resting on {files} evidence file{'s' if files != 1 else ''})" if files else ""))
    if h.action == "evidence_added":
        sha = str(d.get("sha256", ""))[:16]
        return (f"上传证据文件 {d.get('file_name', '')}（{size_text(d.get('size_bytes'))}，SHA-256 {sha}…）",
                f"uploaded evidence file {d.get('file_name', '')} ({size_text(d.get('size_bytes'))}, SHA-256 {sha}…)")
    if h.action == "evidence_withdrawn":
        return (f"撤回证据文件 {d.get('file_name', '')}：{d.get('reason', '')}",
                f"withdrew evidence file {d.get('file_name', '')}: {d.get('reason', '')}")
    return "其他记录", "other entry"


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
         "history_text": history_text, "size_text": size_text, "with_links": with_links, "ref_link": ref_link}
