"""The texts people read, rendered from the events the publishers send."""

from typing import Any

import pytest
from crm.notify.events import NotAHappening, parse
from crm.notify.model import EventName
from crm.notify.render import email_text, render

NAMES = {"u-zhang": "张伟", "u-li": "李主管", "u-wang": "王经理", "u-admin": "周总"}


def event(source: str, detail_type: str, **detail: Any) -> dict[str, Any]:
    base = {"tenant_id": "t1", "event_id": "e1", "recipients": ["u-li"]}
    return {"id": "envelope-1", "source": source, "detail-type": detail_type, "detail": base | detail}


def approval(detail_type: str, **detail: Any) -> dict[str, Any]:
    common = {
        "approval_id": "01JAPPROVAL0000000000000000",
        "kind": "order",
        "subject_id": "o1",
        "subject_label": "康宁大药房 #1024",
        "amount": "12800.5",
        "step": 1,
        "role": "dept_head",
        "submitted_by": "u-zhang",
    }
    return event("crm.approvals", detail_type, **(common | detail))


def rendered(raw: dict[str, Any]) -> tuple[str, str]:
    message = render(parse(raw), lambda u: NAMES.get(u, u))
    return message.title, message.body


def test_waiting_names_the_submitter_the_subject_the_amount_and_the_step() -> None:
    title, body = rendered(approval("ApprovalWaiting"))
    assert title == "待审批：订货单「康宁大药房 #1024」"
    assert body == "张伟提交的订货单「康宁大药房 #1024」（金额 ¥12,800.50）等待您审批（第 1 步，部门主管审批）。"


def test_an_approval_without_amount_says_none() -> None:
    _, body = rendered(approval("ApprovalReminder", amount=None, kind="customer_activation"))
    assert "金额" not in body and body.startswith("客户启用申请「康宁大药房 #1024」仍在等待您审批")


def test_escalation_names_who_was_added() -> None:
    _, body = rendered(approval("ApprovalEscalated", escalated_to=["u-wang"]))
    assert "已升级给王经理" in body


def test_decisions_say_approved_or_rejected_with_the_comment() -> None:
    assert rendered(approval("ApprovalDecided", outcome="approved", decided_by="u-li", comment=None)) == (
        "审批通过：订货单「康宁大药房 #1024」",
        "您提交的订货单「康宁大药房 #1024」（金额 ¥12,800.50）已由李主管审批通过。",
    )
    title, body = rendered(approval("ApprovalDecided", outcome="rejected", decided_by="u-li", comment="价格过低"))
    assert title.startswith("审批驳回") and body.endswith("被李主管驳回：价格过低")


def test_expiry_gives_the_reason() -> None:
    _, body = rendered(approval("ApprovalExpired", reason="48 小时内无人审批"))
    assert body.endswith("已过期并退回。原因：48 小时内无人审批")


def test_a_finished_load_and_a_rejected_load_are_two_events() -> None:
    common = {
        "load_id": "L1",
        "distributor_id": "d1",
        "distributor_name": "苏州同仁医药",
        "period": "2026-10",
        "kind": "flow",
        "file_name": "流向.csv",
    }
    done = parse(
        event(
            "crm.flow",
            "FlowLoadFinished",
            status="accepted_with_errors",
            rows=120,
            rejected=3,
            match_rate=0.9512,
            **common,
        )
    )
    assert done.name == EventName.FLOW_LOAD_FINISHED
    body = render(done, str).body
    assert body == (
        "苏州同仁医药 2026-10 的流向文件「流向.csv」已导入，部分行有误（见错误报告）："
        "共 120 行，有误 3 行，客户匹配率 95.1%。"
    )
    rejected = parse(
        event(
            "crm.flow",
            "FlowLoadFinished",
            status="rejected",
            rejection_code="formulas not allowed",
            rejection_message="Formulas found",
            **common,
        )
    )
    assert rejected.name == EventName.FLOW_LOAD_REJECTED
    message = render(rejected, str)
    assert message.title == "流向文件被拒绝：苏州同仁医药 2026-10"
    assert "文件含公式" in message.body and message.ref is not None and message.ref.id == "L1"


def test_handover_finished_names_both_reps_and_the_count() -> None:
    title, body = rendered(
        event(
            "crm.handover",
            "HandoverFinished",
            handover_id="H1",
            from_user_id="u-zhang",
            to_user_id="u-wang",
            moved=37,
            skipped=0,
        )
    )
    assert title == "工作转移完成：张伟 → 王经理"
    assert body.startswith("张伟 的 37 个客户")


def test_email_text_adds_the_footer() -> None:
    message = render(parse(approval("ApprovalWaiting")), str)
    assert email_text(message).startswith(message.body) and "通知偏好" in email_text(message)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ({"source": "crm.orders", "detail-type": "OrderApproved", "detail": {}}, "no notification"),
        (event("crm.handover", "HandoverFinished", event_id=""), "event_id"),
        (event("crm.handover", "HandoverFinished", tenant_id=None), "tenant_id"),
        (event("crm.handover", "HandoverFinished", recipients="u-li"), "recipients"),
    ],
)
def test_events_the_notifier_cannot_use_are_refused_by_name(raw: dict[str, Any], why: str) -> None:
    with pytest.raises(NotAHappening, match=why):
        parse(raw)


def test_recipients_are_deduplicated_in_order() -> None:
    assert parse(event("crm.handover", "HandoverFinished", recipients=["a", "b", "a"])).recipients == ("a", "b")
