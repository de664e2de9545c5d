"""The Chinese texts people read: one title and body per happening, the same in the inbox, the e-mail and the
robot post (robots add their @mentions)."""

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from crm.notify.events import Happening
from crm.notify.model import EventName, Message, Ref

NameOf = Callable[[str], str]  # user id → the name people know them by

KIND = {
    "order": "订货单",
    "return": "退货申请",
    "customer_activation": "客户启用申请",
    "level_change": "客户等级变更申请",
    "inventory_adjustment": "库存调整单",
    "agreement": "经销协议",
    "accrual": "返利计提单",
    "diversion_penalty": "窜货处罚",
}
ROLE = {"dept_head": "部门主管", "branch_head": "分公司经理", "hq_admin": "总部管理员", "finance": "财务"}
FILE_KIND = {"flow": "流向", "sellout": "终端销货", "inventory": "库存", "opening": "期初库存", "shipments": "发货记录"}
LOAD_STATUS = {
    "accepted": "已导入",
    "accepted_with_errors": "已导入，部分行有误（见错误报告）",
    "held": "未导入：与当前已导入的文件内容相同",
    "rejected": "被拒绝",
}
REJECTION = {
    "empty file": "文件为空",
    "file too large": "文件过大",
    "too many rows": "行数过多",
    "unsupported file type": "不支持的文件类型",
    "binary file": "不是文本或 Excel 文件",
    "unknown or wrong text encoding": "无法识别文件编码",
    "malformed text file": "文本格式有误",
    "invalid xlsx": "Excel 文件已损坏",
    "xlsx uncompressed size over limit": "Excel 文件解压后过大",
    "formulas not allowed": "文件含公式，请粘贴为数值后再上传",
    "missing columns": "缺少必需的列",
    "sheet not found": "找不到指定的工作表",
    "no data rows": "没有数据行",
    "unreadable file": "文件无法读取",
    "no valid rows": "没有一行可用",
    "period closed": "该期间已关账",
    "internal": "系统处理出错，请稍后重新上传",
}
EMAIL_FOOTER = "此邮件由渠道 CRM 自动发送，请勿直接回复。在 CRM 的“通知偏好”中可以更改接收方式。"


def render(h: Happening, name_of: NameOf) -> Message:
    title, body = _TEXTS[h.name](h.detail, name_of)
    return Message(title=title, body=body, ref=_ref(h))


def email_text(message: Message) -> str:
    return f"{message.body}\n\n——\n{EMAIL_FOOTER}"


# ------------------------------------------------------------------------------------------- approvals


def _subject(d: dict[str, Any]) -> str:
    kind = KIND.get(str(d.get("kind")), "审批")
    label = d.get("subject_label") or d.get("subject_id") or ""
    return f"{kind}「{label}」"


def _amount(d: dict[str, Any]) -> str:
    try:
        amount = Decimal(str(d["amount"])) if d.get("amount") is not None else None
    except InvalidOperation:
        amount = None
    return f"（金额 ¥{amount:,.2f}）" if amount is not None else ""


def _step(d: dict[str, Any]) -> str:
    if not d.get("step"):
        return ""
    role = ROLE.get(str(d.get("role")), "")
    return f"（第 {d['step']} 步" + (f"，{role}审批）" if role else "）")


def _waiting(d: dict[str, Any], name_of: NameOf) -> tuple[str, str]:
    who = name_of(str(d.get("submitted_by", "")))
    return (f"待审批：{_subject(d)}", f"{who}提交的{_subject(d)}{_amount(d)}等待您审批{_step(d)}。")


def _reminder(d: dict[str, Any], name_of: NameOf) -> tuple[str, str]:
    return (f"审批提醒：{_subject(d)}", f"{_subject(d)}{_amount(d)}仍在等待您审批{_step(d)}，请尽快处理。")


def _escalated(d: dict[str, Any], name_of: NameOf) -> tuple[str, str]:
    up = "、".join(name_of(u) for u in d.get("escalated_to") or []) or "上级"
    return (
        f"审批已升级：{_subject(d)}",
        f"{_subject(d)}{_amount(d)}超时未审批{_step(d)}，已升级给{up}；原审批人仍可审批。",
    )


def _decided(d: dict[str, Any], name_of: NameOf) -> tuple[str, str]:
    who = name_of(str(d.get("decided_by") or "")) if d.get("decided_by") else "审批人"
    if d.get("outcome") == "approved":
        return f"审批通过：{_subject(d)}", f"您提交的{_subject(d)}{_amount(d)}已由{who}审批通过。"
    comment = f"：{d['comment']}" if d.get("comment") else "。"
    return f"审批驳回：{_subject(d)}", f"您提交的{_subject(d)}{_amount(d)}被{who}驳回{comment}"


def _expired(d: dict[str, Any], name_of: NameOf) -> tuple[str, str]:
    reason = f"原因：{d['reason']}" if d.get("reason") else "在期限内无人审批。"
    return f"审批已过期：{_subject(d)}", f"您提交的{_subject(d)}{_amount(d)}已过期并退回。{reason}"


# ------------------------------------------------------------------------------------------- files, hand-over


def _file(d: dict[str, Any]) -> tuple[str, str]:
    kind = FILE_KIND.get(str(d.get("kind")), "文件")
    who = d.get("distributor_name") or d.get("distributor_id") or ""
    return kind, f"{who} {d.get('period', '')}".strip()


def _figures(d: dict[str, Any]) -> str:
    parts = []
    if d.get("rows") is not None:
        parts.append(f"共 {d['rows']} 行")
    if d.get("rejected") is not None:
        parts.append(f"有误 {d['rejected']} 行")
    if isinstance(d.get("match_rate"), int | float):
        parts.append(f"客户匹配率 {d['match_rate']:.1%}")
    return "，".join(parts)


def _load_finished(d: dict[str, Any], name_of: NameOf) -> tuple[str, str]:
    kind, whose = _file(d)
    status = LOAD_STATUS.get(str(d.get("status")), str(d.get("status")))
    figures = _figures(d)
    return (
        f"{kind}文件已处理：{whose}",
        f"{whose} 的{kind}文件「{d.get('file_name', '')}」{status}" + (f"：{figures}。" if figures else "。"),
    )


def _load_rejected(d: dict[str, Any], name_of: NameOf) -> tuple[str, str]:
    kind, whose = _file(d)
    why = REJECTION.get(str(d.get("rejection_code"))) or d.get("rejection_message") or "见错误报告"
    return (
        f"{kind}文件被拒绝：{whose}",
        f"{whose} 的{kind}文件「{d.get('file_name', '')}」被拒绝：{why}。该期间原已导入的文件保持不变。",
    )


def _handover(d: dict[str, Any], name_of: NameOf) -> tuple[str, str]:
    leaving, receiving = name_of(str(d.get("from_user_id", ""))), name_of(str(d.get("to_user_id", "")))
    skipped = f"另有 {d['skipped']} 个客户不在发起人的范围内，未转移。" if d.get("skipped") else ""
    return (
        f"工作转移完成：{leaving} → {receiving}",
        f"{leaving} 的 {d.get('moved', 0)} 个客户（及其未完成的订单和计划拜访）已转给 {receiving}。{skipped}",
    )


_TEXTS: dict[EventName, Callable[[dict[str, Any], NameOf], tuple[str, str]]] = {
    EventName.APPROVAL_WAITING: _waiting,
    EventName.APPROVAL_REMINDER: _reminder,
    EventName.APPROVAL_ESCALATED: _escalated,
    EventName.APPROVAL_DECIDED: _decided,
    EventName.APPROVAL_EXPIRED: _expired,
    EventName.FLOW_LOAD_FINISHED: _load_finished,
    EventName.FLOW_LOAD_REJECTED: _load_rejected,
    EventName.HANDOVER_FINISHED: _handover,
}


def _ref(h: Happening) -> Ref | None:
    for field, kind in (("approval_id", "approval"), ("load_id", "flow_load"), ("handover_id", "handover")):
        if isinstance(h.detail.get(field), str):
            return Ref(type=kind, id=h.detail[field])
    return None
