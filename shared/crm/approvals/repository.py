"""The only code of the approval engine that knows DynamoDB: runs, inboxes, policies; item ↔ model mapping."""

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from crm import audit, versions
from crm.approvals.model import Approval, InboxEntry, InboxPage, Kind, Policy, Status, Step
from crm.clock import now_iso
from crm.db import keys
from crm.db.models import ApprovalItem, ApprovalPolicyItem, InboxItem
from crm.db.paging import query_page
from crm.db.transaction import Transaction
from crm.errors import NotFound


class Run(BaseModel):
    """An approval as the engine keeps it: the public record plus the state of its Step Functions run."""

    approval: Approval
    tenant_id: str
    task_token: str | None = None
    awaiting_step: int | None = None
    execution_arn: str | None = None
    attempt: int = 0
    attempt_at: str | None = None  # when the record named this attempt's execution (its start follows)
    reminder_seconds: int
    escalation_seconds: int
    expire_after_seconds: int | None = None
    applied_at: str | None = None

    @property
    def id(self) -> str:
        return self.approval.id

    @property
    def pk(self) -> str:
        return keys.approval_pk(self.tenant_id, self.approval.id)

    @property
    def step(self) -> Step | None:
        """The step waiting for a decision (None once all are decided)."""
        a = self.approval
        return a.steps[a.current] if a.current < len(a.steps) else None


# ----------------------------------------------------------------------------- runs


def get(tenant_id: str, approval_id: str) -> Run:
    try:
        return _to_run(ApprovalItem.get(keys.approval_pk(tenant_id, approval_id), keys.META))
    except ApprovalItem.DoesNotExist:
        raise NotFound("No such approval.") from None


def latest_of_subject(tenant_id: str, kind: Kind, subject_id: str) -> Run | None:
    found = ApprovalItem.by_subject.query(
        keys.approvals_of_subject(tenant_id, kind.value, subject_id), scan_index_forward=False, limit=1
    )
    item = next(iter(found), None)
    return _to_run(item) if item is not None else None


def stage(tx: Transaction, run: Run) -> None:
    """The run's record in the caller's transaction; conditional on the version read (a new one: on none)."""
    tx.put(_to_item(run))


def save(run: Run) -> Run:
    """Writes the run alone (conditional on its version); the run at its new version."""
    tx = Transaction()
    stage(tx, run)
    tx.commit()
    return bumped(run)


def bumped(run: Run) -> Run:
    """The run as stored after a committed write of it."""
    approval = run.approval.model_copy(update={"version": run.approval.version + 1})
    return run.model_copy(update={"approval": approval})


def open_runs() -> Iterator[tuple[str, str]]:
    """(tenant, approval id) of every run, in every tenant, whose end is not yet applied, oldest first."""
    for item in ApprovalItem.open_runs.query(keys.OPEN_APPROVAL_RUNS):
        yield item.tenant_id, item.pk.rsplit("#", 1)[-1]


def stage_audit(
    tx: Transaction, run: Run, action: str, actor: str, reason: str | None = None, changes: dict[str, Any] | None = None
) -> None:
    audit.stage(tx, run.pk, run.tenant_id, action, actor, changes, reason)


# ----------------------------------------------------------------------------- inboxes


def stage_inbox(tx: Transaction, run: Run, user_id: str, on_behalf_of: str | None = None) -> None:
    a, step = run.approval, run.step
    assert step is not None
    tx.put(
        InboxItem(
            keys.inbox_pk(run.tenant_id, user_id),
            _inbox_sk(run),
            approval_id=a.id,
            kind=a.kind.value,
            subject_id=a.subject_id,
            subject_label=a.subject_label,
            amount=None if a.amount is None else str(a.amount),
            submitted_by=a.submitted_by,
            created_at=a.created_at.isoformat(),
            step=a.current,
            role=step.role,
            on_behalf_of=on_behalf_of,
        )
    )


def stage_inbox_clear(tx: Transaction, run: Run, users: set[str]) -> None:
    for user in users:
        tx.delete(InboxItem(keys.inbox_pk(run.tenant_id, user), _inbox_sk(run)))


def inbox(tenant_id: str, user_id: str, limit: int, cursor: str | None) -> InboxPage:
    page = query_page(InboxItem, "pk", keys.inbox_pk(tenant_id, user_id), limit=limit, cursor=cursor)
    return InboxPage(items=[_inbox_entry(i) for i in page.items], next_cursor=page.cursor)


def _inbox_sk(run: Run) -> str:
    return f"{run.approval.created_at.isoformat()}#{run.id}"


def _inbox_entry(i: InboxItem) -> InboxEntry:
    return InboxEntry(
        approval_id=i.approval_id,
        kind=Kind(i.kind),
        subject_id=i.subject_id,
        subject_label=i.subject_label,
        amount=None if i.amount is None else Decimal(i.amount),
        submitted_by=i.submitted_by,
        created_at=datetime.fromisoformat(i.created_at),
        step=int(i.step),
        role=i.role,
        on_behalf_of=i.on_behalf_of,
    )


# ----------------------------------------------------------------------------- policies


def policy_item(tenant_id: str, kind: Kind) -> ApprovalPolicyItem | None:
    try:
        return ApprovalPolicyItem.get(keys.approval_policy_pk(tenant_id), kind.value)
    except ApprovalPolicyItem.DoesNotExist:
        return None


def replace_policy(tenant_id: str, kind: Kind, policy: Policy, by: str, if_match: int) -> int:
    """Stores the kind's policy if the stored one is still at `if_match` (0: none stored), audited; the new version."""
    item = policy_item(tenant_id, kind)
    before = None if item is None else json.loads(item.policy)
    item = item or ApprovalPolicyItem(keys.approval_policy_pk(tenant_id), kind.value)
    version = item.version or 0
    versions.check(f"{kind.value} policy", version, if_match)
    item.policy, item.updated_by, item.updated_at = policy.model_dump_json(), by, now_iso()
    tx = Transaction()
    tx.put(item)  # conditional on the version read: a lost race is Stale (412 to the If-Match that named it)
    audit.stage(
        tx,
        item.pk,
        tenant_id,
        "approval_policy.set",
        by,
        {kind.value: {"before": before, "after": policy.model_dump(mode="json")}},
    )
    tx.commit()
    return version + 1


# ----------------------------------------------------------------------------- mapping


def _to_item(run: Run) -> ApprovalItem:
    a = run.approval
    created = a.created_at.isoformat()
    still_open = run.applied_at is None
    item = ApprovalItem(
        run.pk,
        keys.META,
        gsi2pk=keys.approvals_of_subject(run.tenant_id, a.kind.value, a.subject_id),
        gsi2sk=f"{created}#{a.id}",
        gsi4pk=keys.OPEN_APPROVAL_RUNS if still_open else None,
        gsi4sk=f"{created}#{run.tenant_id}#{a.id}" if still_open else None,
        tenant_id=run.tenant_id,
        kind=a.kind.value,
        subject_id=a.subject_id,
        subject_label=a.subject_label,
        org_unit_id=a.org_unit_id,
        payload=None if a.payload is None else json.dumps(a.payload, ensure_ascii=False),
        amount=None if a.amount is None else str(a.amount),
        status=a.status.value,
        reason=a.reason,
        submitted_by=a.submitted_by,
        created_at=created,
        finished_at=a.finished_at.isoformat() if a.finished_at else None,
        applied_at=run.applied_at,
        current=a.current,
        steps=json.dumps([s.model_dump(mode="json") for s in a.steps]),
        task_token=run.task_token,
        awaiting_step=run.awaiting_step,
        execution_arn=run.execution_arn,
        attempt=run.attempt,
        attempt_at=run.attempt_at,
        reminder_seconds=run.reminder_seconds,
        escalation_seconds=run.escalation_seconds,
        expire_after_seconds=run.expire_after_seconds,
    )
    if a.version:  # the version read: the write is conditional on it (a new run: on there being none)
        item.version = a.version
    return item


def _to_run(item: ApprovalItem) -> Run:
    approval = Approval(
        id=item.pk.rsplit("#", 1)[-1],
        kind=Kind(item.kind),
        subject_id=item.subject_id,
        subject_label=item.subject_label,
        org_unit_id=item.org_unit_id,
        payload=json.loads(item.payload) if item.payload else None,
        amount=None if item.amount is None else Decimal(item.amount),
        status=Status(item.status),
        reason=item.reason,
        submitted_by=item.submitted_by,
        created_at=datetime.fromisoformat(item.created_at),
        finished_at=datetime.fromisoformat(item.finished_at) if item.finished_at else None,
        current=int(item.current),
        steps=[Step.model_validate(s) for s in json.loads(item.steps)],
        version=int(item.version or 0),
    )
    return Run(
        approval=approval,
        tenant_id=item.tenant_id,
        task_token=item.task_token,
        awaiting_step=None if item.awaiting_step is None else int(item.awaiting_step),
        execution_arn=item.execution_arn,
        attempt=int(item.attempt or 0),
        attempt_at=item.attempt_at,
        reminder_seconds=int(item.reminder_seconds),
        escalation_seconds=int(item.escalation_seconds),
        expire_after_seconds=None if item.expire_after_seconds is None else int(item.expire_after_seconds),
        applied_at=item.applied_at,
    )
