"""Approval runs: start one for a subject, the approver's inbox and decision, and the worker actions the
state machine (infra/statemachines/approval.asl.json) calls while it waits with task tokens.

The state machine owns the waiting (reminder, escalation); DynamoDB owns the truth (who decided what).
A decision is written first, conditional on the version read (two approvers at once: one wins, the other
gets 409), and only then handed to the waiting execution with SendTaskSuccess.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import boto3

from crm import clock
from crm.approvals import subjects
from crm.approvals.model import Approval, ApprovalRequest, Decision, InboxEntry, InboxPage, Kind, Policy, Step
from crm.approvals.policy import NEXT_LEVEL, approver, plan_steps, stored_policy
from crm.auth import Principal, Role, require
from crm.config import get_settings
from crm.db import keys
from crm.db.models import ApprovalItem, ApprovalPolicyItem, AuditItem, InboxItem
from crm.db.paging import query_page
from crm.db.transaction import Transaction
from crm.errors import Conflict, Forbidden, NotFound, PreconditionFailed
from crm.ids import new_id


def _sfn():  # type: ignore[no-untyped-def]
    return boto3.client("stepfunctions")


def _events():  # type: ignore[no-untyped-def]
    return boto3.client("events")


# ----------------------------------------------------------------------------- starting and withdrawing


@dataclass(frozen=True)
class Planned:
    """An approval run decided but not started: who approves, by the tenant's policy."""

    request: ApprovalRequest
    policy: Policy
    steps: list[Step]


def plan(principal: Principal, req: ApprovalRequest) -> Planned:
    """The steps of the run; 422 when nobody can approve it. A caller that changes its subject first (an
    order to 'submitted') plans before that change, so a request nobody can approve leaves it as it was."""
    policy, steps = plan_steps(principal.tenant_id, req.kind, req.org_unit_id, req.amount, req.over_credit,
                               principal.user_id)
    return Planned(req, policy, steps)


def request(principal: Principal, req: ApprovalRequest) -> Approval:
    """Plans the run and starts it (a subject with nothing to change first)."""
    return start(principal, plan(principal, req))


def start(principal: Principal, planned: Planned) -> Approval:
    """Records the run and starts the state machine; this never changes the subject itself."""
    req, policy, steps = planned.request, planned.policy, planned.steps
    now = clock.now().isoformat()
    approval_id = new_id()
    item = ApprovalItem(
        keys.approval_pk(principal.tenant_id, approval_id), "META",
        gsi2pk=keys.approvals_of_subject(principal.tenant_id, req.kind.value, req.subject_id),
        gsi2sk=f"{now}#{approval_id}", tenant_id=principal.tenant_id, kind=req.kind.value,
        subject_id=req.subject_id, subject_label=req.subject_label, org_unit_id=req.org_unit_id,
        payload=None if req.payload is None else json.dumps(req.payload, ensure_ascii=False),
        amount=None if req.amount is None else str(req.amount), status="pending", submitted_by=principal.user_id,
        created_at=now, current=0, steps=_dump(steps), reminder_seconds=policy.reminder_after_seconds,
        escalation_seconds=policy.escalate_after_seconds - policy.reminder_after_seconds,
    )
    tx = Transaction()
    tx.put(item)
    _stage_audit(tx, item, "approval.requested", principal.user_id, None)
    tx.commit()
    arn = get_settings().approval_state_machine_arn
    if arn:  # started after the record exists, so the first worker call finds it
        execution = _sfn().start_execution(
            stateMachineArn=arn, name=f"{principal.tenant_id}-{approval_id}",
            input=json.dumps({"tenant_id": principal.tenant_id, "approval_id": approval_id,
                              "reminder_seconds": int(item.reminder_seconds),
                              "escalation_seconds": int(item.escalation_seconds)}))
        item.update(actions=[ApprovalItem.execution_arn.set(execution["executionArn"])])
    return to_model(item)


def withdraw(principal: Principal, kind: Kind, subject_id: str) -> None:
    """The submitter takes the request back: the pending approval ends as withdrawn."""
    item = pending_for(principal.tenant_id, kind, subject_id)
    if item is None:
        return
    token = item.task_token
    item.status, item.finished_at, item.task_token = "withdrawn", clock.now().isoformat(), None
    tx = Transaction()
    tx.put(item)
    _stage_inbox_clear(tx, item)
    _stage_audit(tx, item, "approval.withdrawn", principal.user_id, None)
    tx.commit()
    if token:
        _resume(token, "withdrawn")


def pending_for(tenant_id: str, kind: Kind, subject_id: str) -> ApprovalItem | None:
    found = ApprovalItem.by_subject.query(keys.approvals_of_subject(tenant_id, kind.value, subject_id),
                                          scan_index_forward=False, limit=1)
    latest = next(iter(found), None)
    return latest if latest is not None and latest.status == "pending" else None


# ----------------------------------------------------------------------------- the approver's side


class ApprovalService:
    def __init__(self, principal: Principal) -> None:
        self.p = principal

    def inbox(self, limit: int, cursor: str | None) -> InboxPage:
        require(self.p, "approval:read")
        page = query_page(InboxItem, "pk", keys.inbox_pk(self.p.tenant_id, self.p.user_id), limit=limit,
                          cursor=cursor)
        return InboxPage(items=[_inbox_entry(i) for i in page.items], next_cursor=page.cursor)

    def get(self, approval_id: str) -> Approval:
        require(self.p, "approval:read")
        item = _load(self.p.tenant_id, approval_id)
        steps = _load_steps(item)
        involved = {item.submitted_by} | {a for s in steps for a in s.approvers}
        if self.p.user_id not in involved and not self.p.has(Role.HQ_ADMIN):
            raise NotFound("No such approval.")
        return to_model(item)

    def decide(self, approval_id: str, decision: Decision) -> Approval:
        require(self.p, "approval:decide")  # before any read
        item = _load(self.p.tenant_id, approval_id)
        steps = _load_steps(item)
        step = steps[int(item.current)] if item.current < len(steps) else None
        involved = {a for s in steps for a in s.approvers} | {item.submitted_by}
        if self.p.user_id not in involved:
            raise NotFound("No such approval.")
        if item.status != "pending" or step is None:
            raise Conflict(f"This approval is already {item.status}.")
        if self.p.user_id not in step.approvers:
            raise Forbidden(f"Step {int(item.current) + 1} ({step.role}) is not yours to decide.")
        token = item.task_token
        if not token or item.awaiting_step != item.current:
            raise Conflict("This step is still being opened; try again in a moment.")
        now = clock.now()
        step.status = "approved" if decision.decision == "approve" else "rejected"
        step.decided_by, step.decided_at, step.comment = self.p.user_id, now, decision.comment
        last = int(item.current) + 1 >= len(steps)
        outcome = "rejected" if step.status == "rejected" else ("approved" if last else "next")
        before_current = int(item.current)
        if outcome == "next":
            item.current = before_current + 1
        else:
            item.status, item.finished_at = outcome, now.isoformat()
        item.steps, item.task_token = _dump(steps), None
        tx = Transaction()
        tx.put(item)  # conditional on the version read: a second approver acting at once gets 409
        _stage_inbox_clear(tx, item, steps[before_current])
        _stage_audit(tx, item, f"approval.{step.status}", self.p.user_id, decision.comment,
                     {"step": {"before": before_current + 1, "after": int(item.current) + 1}})
        tx.commit()
        _resume(token, outcome)
        return to_model(item)

    def get_policy(self, kind: Kind) -> tuple[Policy, int]:
        """The policy and its version (0: the default, never stored)."""
        require(self.p, "approval:read")
        return stored_policy(self.p.tenant_id, kind)

    def put_policy(self, kind: Kind, policy: Policy, if_match: int) -> tuple[Policy, int]:
        """Replaces the policy if it is still at `if_match` ("0" stores the first one over the default)."""
        if not self.p.has(Role.HQ_ADMIN):
            raise Forbidden("Only HQ sets approval policies.")
        try:
            item = ApprovalPolicyItem.get(keys.approval_policy_pk(self.p.tenant_id), kind.value)
            before = json.loads(item.policy)
        except ApprovalPolicyItem.DoesNotExist:
            item, before = ApprovalPolicyItem(keys.approval_policy_pk(self.p.tenant_id), kind.value), None
        version = item.version or 0
        if version != if_match:
            raise PreconditionFailed(f"The {kind.value} policy is at version {version}, not {if_match}: read it again.")
        item.policy = policy.model_dump_json()
        item.updated_by, item.updated_at = self.p.user_id, clock.now().isoformat()
        tx = Transaction()
        tx.put(item)
        tx.put(AuditItem(item.pk, f"AUDIT#{new_id()}", tenant_id=self.p.tenant_id, action="approval_policy.set",
                         actor_id=self.p.user_id, at=item.updated_at,
                         changes={kind.value: {"before": before, "after": policy.model_dump(mode="json")}}))
        tx.commit()  # conditional on the version read: a lost race is a 409
        return policy, version + 1


# ----------------------------------------------------------------------------- worker actions (state machine)


def open_step(tenant_id: str, approval_id: str, token: str) -> dict[str, Any]:
    """A step waits: keep the token and put the approval in its approvers' inboxes. If the approval ended
    while no task was waiting (withdrawn at the wrong moment), resume at once with that outcome."""
    item = _load(tenant_id, approval_id)
    if item.status != "pending":
        _resume(token, item.status)
        return {"waiting": False}
    steps = _load_steps(item)
    step = steps[int(item.current)]
    step.status = "pending"
    item.task_token, item.awaiting_step, item.steps = token, item.current, _dump(steps)
    tx = Transaction()
    tx.put(item)
    for user in step.approvers:
        tx.put(_inbox_item(item, user, step))
    tx.commit()
    return {"waiting": True}


def remind(tenant_id: str, approval_id: str, token: str) -> dict[str, Any]:
    """No decision within the reminder time: tell the approvers again, keep waiting with the new token."""
    item = _load(tenant_id, approval_id)
    if item.status != "pending":
        _resume(token, item.status)
        return {"waiting": False}
    steps = _load_steps(item)
    steps[int(item.current)].reminded_at = clock.now()
    item.task_token, item.awaiting_step, item.steps = token, item.current, _dump(steps)
    item.save()
    _publish("ApprovalReminder", item, {"approvers": steps[int(item.current)].approvers})
    return {"waiting": True}


def escalate(tenant_id: str, approval_id: str) -> dict[str, Any]:
    """No decision within the escalation time: the next level up may decide this step too."""
    item = _load(tenant_id, approval_id)
    if item.status != "pending":
        return {"escalated": False}
    steps = _load_steps(item)
    step = steps[int(item.current)]
    up = NEXT_LEVEL[step.role]
    if up is not None:
        _, user = approver(tenant_id, up, item.org_unit_id, exclude={item.submitted_by, *step.approvers})
        step.approvers.append(user)
    step.escalated_at = clock.now()
    item.steps, item.task_token = _dump(steps), None
    tx = Transaction()
    tx.put(item)
    _stage_audit(tx, item, "approval.escalated", "system", None,
                 {"approvers": {"before": step.approvers[:-1], "after": step.approvers}})
    tx.commit()
    _publish("ApprovalEscalated", item, {"approvers": step.approvers})
    return {"escalated": True}


def finish(tenant_id: str, approval_id: str, outcome: str) -> dict[str, Any]:
    """The run ended: apply the outcome to the subject (safe to repeat: subjects ignore a repeat)."""
    item = _load(tenant_id, approval_id)
    steps = _load_steps(item)
    last = next((s for s in reversed(steps) if s.decided_by), None)
    by, comment = (last.decided_by, last.comment) if last else ("system", None)
    payload = json.loads(item.payload) if item.payload else None
    if outcome == "approved":
        subjects.approved(Kind(item.kind), tenant_id, item.subject_id, by or "system", comment, payload)
    elif outcome == "rejected":
        subjects.rejected(Kind(item.kind), tenant_id, item.subject_id, by or "system", comment, payload)
    _publish("ApprovalFinished", item, {"outcome": outcome})
    return {"outcome": outcome}


# ----------------------------------------------------------------------------- helpers


def _resume(token: str, outcome: str) -> None:
    try:
        _sfn().send_task_success(taskToken=token, output=json.dumps({"outcome": outcome}))
    except _sfn().exceptions.TaskTimedOut:
        pass  # the step timed out meanwhile; the worker that opens the next wait sees the recorded outcome
    except _sfn().exceptions.InvalidToken:
        pass


def _publish(detail_type: str, item: ApprovalItem, extra: dict[str, Any]) -> None:
    bus = get_settings().event_bus_name
    if not bus:
        return
    detail = {"tenant_id": item.tenant_id, "approval_id": _id(item),
              "kind": item.kind, "subject_id": item.subject_id, **extra}
    _events().put_events(Entries=[{"Source": "crm.approvals", "DetailType": detail_type,
                                   "Detail": json.dumps(detail), "EventBusName": bus}])


def _id(item: ApprovalItem) -> str:
    return item.pk.rsplit("#", 1)[-1]  # pk T#<tenant>#APPROVAL#<id>


def _load(tenant_id: str, approval_id: str) -> ApprovalItem:
    try:
        return ApprovalItem.get(keys.approval_pk(tenant_id, approval_id), "META")
    except ApprovalItem.DoesNotExist:
        raise NotFound("No such approval.") from None


def _load_steps(item: ApprovalItem) -> list[Step]:
    return [Step.model_validate(s) for s in json.loads(item.steps)]


def _dump(steps: list[Step]) -> str:
    return json.dumps([s.model_dump(mode="json") for s in steps])


def _inbox_item(item: ApprovalItem, user: str, step: Step) -> InboxItem:
    approval_id = _id(item)
    return InboxItem(keys.inbox_pk(item.tenant_id, user), f"{item.created_at}#{approval_id}",
                     approval_id=approval_id, kind=item.kind, subject_id=item.subject_id,
                     subject_label=item.subject_label, amount=item.amount, submitted_by=item.submitted_by,
                     created_at=item.created_at, step=int(item.current), role=step.role)


def _stage_inbox_clear(tx: Transaction, item: ApprovalItem, step: Step | None = None) -> None:
    steps = [step] if step is not None else _load_steps(item)
    approval_id = _id(item)
    for user in {a for s in steps for a in s.approvers}:
        tx.delete(InboxItem(keys.inbox_pk(item.tenant_id, user), f"{item.created_at}#{approval_id}"))


def _stage_audit(tx: Transaction, item: ApprovalItem, action: str, actor: str, reason: str | None,
                 changes: dict[str, Any] | None = None) -> None:
    tx.put(AuditItem(item.pk, f"AUDIT#{new_id()}", tenant_id=item.tenant_id, action=action, actor_id=actor,
                     at=clock.now().isoformat(), reason=reason, changes=changes or {}))


def _inbox_entry(i: InboxItem) -> InboxEntry:
    return InboxEntry(approval_id=i.approval_id, kind=Kind(i.kind), subject_id=i.subject_id,
                      subject_label=i.subject_label, amount=None if i.amount is None else Decimal(i.amount),
                      submitted_by=i.submitted_by, created_at=datetime.fromisoformat(i.created_at),
                      step=int(i.step), role=i.role)


def to_model(item: ApprovalItem) -> Approval:
    return Approval(
        id=_id(item), kind=Kind(item.kind), subject_id=item.subject_id,
        subject_label=item.subject_label, org_unit_id=item.org_unit_id,
        payload=json.loads(item.payload) if item.payload else None,
        amount=None if item.amount is None else Decimal(item.amount), status=item.status,
        submitted_by=item.submitted_by, created_at=datetime.fromisoformat(item.created_at),
        finished_at=datetime.fromisoformat(item.finished_at) if item.finished_at else None,
        current=int(item.current), steps=_load_steps(item), version=int(item.version or 0),
    )
