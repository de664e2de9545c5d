"""The approval engine (审批): generic over what it approves. A subject's package asks for a run (plan, then
stage it in the subject's own transaction, then launch it); the state machine
(infra/statemachines/approval.asl.json) waits with task tokens and calls the worker actions below; the end is
applied through the `Subject` the composition root registered for the kind (crm.approvals.subjects).

DynamoDB holds the truth (who decided what), Step Functions the waiting. A decision is written first,
conditional on the version read (two approvers at once: one wins, the other gets 409), then handed to the
waiting execution. Every run ends approved, rejected, withdrawn or expired (APPROVAL_TRANSITIONS); a run whose
execution stopped is started again by `repair` (the reconciler's pass, or a decision that finds it stopped).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aws_lambda_powertools import Logger

from crm import clock, events, tenancy
from crm.approvals import repository as repo
from crm.approvals import runs
from crm.approvals.model import (
    ENDED,
    Action,
    Approval,
    ApprovalRequest,
    Decision,
    InboxPage,
    Kind,
    Policy,
    Status,
    Step,
    next_status,
)
from crm.approvals.policy import escalation_approver, plan_steps, stored_policy
from crm.approvals.repository import Run
from crm.approvals.subjects import Outcome, Registry
from crm.auth import Principal, Role, require
from crm.db.transaction import Transaction
from crm.errors import Conflict, Forbidden, NotFound, RetryableError, Stale
from crm.ids import new_id
from crm.org import delegations

logger = Logger(child=True)
SOURCE = "crm.approvals"
MAX_ATTEMPTS = 5  # executions per run; past that a person looks (ApprovalRunsStuck alarm)
DECISION_ATTEMPTS = 3  # a decision (or a worker step) read again after losing a write race on the same run
SYSTEM = "system"


# ----------------------------------------------------------------------------- starting and withdrawing


@dataclass(frozen=True)
class Planned:
    """An approval run decided but not stored: who approves, by the tenant's policy."""

    request: ApprovalRequest
    policy: Policy
    steps: list[Step]


def plan(principal: Principal, req: ApprovalRequest) -> Planned:
    """The steps of the run; 422 when nobody can approve it, before the subject changes anything."""
    policy, steps = plan_steps(
        principal.tenant_id, req.kind, req.org_unit_id, req.amount, req.over_credit, principal.user_id
    )
    return Planned(req, policy, steps)


def stage(tx: Transaction, principal: Principal, planned: Planned) -> Run:
    """The run's record, added to the subject's own transaction: it is the outbox item that `launch` starts
    after the commit, and that the reconciler starts if `launch` never could. Never a subject without a run."""
    req, policy = planned.request, planned.policy
    approval_id = new_id()
    approval = Approval(
        id=approval_id,
        kind=req.kind,
        subject_id=req.subject_id,
        subject_label=req.subject_label,
        org_unit_id=req.org_unit_id,
        amount=req.amount,
        payload=req.payload,
        status=Status.PENDING,
        submitted_by=principal.user_id,
        created_at=clock.now(),
        finished_at=None,
        current=0,
        steps=planned.steps,
        version=0,
    )
    run = Run(
        approval=approval,
        tenant_id=principal.tenant_id,
        attempt=1,
        attempt_at=clock.now().isoformat(),
        execution_arn=runs.execution_arn(principal.tenant_id, approval_id, 1),
        reminder_seconds=policy.reminder_after_seconds,
        escalation_seconds=policy.escalate_after_seconds - policy.reminder_after_seconds,
        expire_after_seconds=policy.expire_after_seconds,
    )
    repo.stage(tx, run)
    repo.stage_audit(tx, run, "approval.requested", principal.user_id)
    return repo.bumped(run)


def launch(run: Run) -> Approval:
    """Starts the staged run's execution once its transaction committed. A failure here loses nothing: the
    record names the execution it expects, and the reconciler starts it."""
    try:
        runs.start(run.tenant_id, run.id, run.attempt, _timings(run))
    except Exception:  # any failure: the submit stands, the reconciler is the safety net
        logger.exception("approval run not started; the reconciler will", extra={"approval_id": run.id})
    return run.approval


def request(principal: Principal, req: ApprovalRequest) -> Approval:
    """Plans, stores and starts a run for a subject with nothing of its own to change."""
    planned = plan(principal, req)
    tx = Transaction()
    run = stage(tx, principal, planned)
    tx.commit()
    return launch(run)


def stage_withdraw(tx: Transaction, principal: Principal, kind: Kind, subject_id: str) -> Run | None:
    """The submitter takes the request back, in the subject's transaction: the pending run ends as withdrawn.
    Pass what this returns to `after_withdraw` once the transaction committed."""
    run = pending_for(principal.tenant_id, kind, subject_id)
    if run is None:
        return None
    ended = _ended(run, Action.WITHDRAW, None)
    repo.stage(tx, ended)
    repo.stage_inbox_clear(tx, run, _inboxed(run))
    repo.stage_audit(tx, ended, "approval.withdrawn", principal.user_id)
    return run


def after_withdraw(run: Run | None) -> None:
    if run is not None and run.task_token:
        _hand_over(run, run.task_token, Status.WITHDRAWN.value)


def pending_for(tenant_id: str, kind: Kind, subject_id: str) -> Run | None:
    latest = repo.latest_of_subject(tenant_id, kind, subject_id)
    return latest if latest is not None and latest.approval.status == Status.PENDING else None


# ----------------------------------------------------------------------------- the approver's side


class ApprovalService:
    def __init__(self, principal: Principal) -> None:
        self.p = principal

    def inbox(self, limit: int, cursor: str | None) -> InboxPage:
        require(self.p, "approval:read")
        return repo.inbox(self.p.tenant_id, self.p.user_id, limit, cursor)

    def get(self, approval_id: str) -> Approval:
        require(self.p, "approval:read")
        run = repo.get(self.p.tenant_id, approval_id)
        if not self._involved(run) and not self.p.has(Role.HQ_ADMIN):
            raise NotFound("No such approval.")
        return run.approval

    def decide(self, approval_id: str, decision: Decision) -> Approval:
        """Decides the step the caller read. A reminder or escalation written meanwhile (the worker keeps the run's
        token and approvers in the same record) is no reason to fail: the decision is made again on the run as it
        is now, as long as it still waits on that same step; a step decided by someone else meanwhile is a 409."""
        require(self.p, "approval:decide")  # before any read
        step_read: int | None = None
        for _ in range(DECISION_ATTEMPTS):
            run = repo.get(self.p.tenant_id, approval_id)
            if step_read is not None and (run.approval.current != step_read or run.approval.status != Status.PENDING):
                raise Conflict("Someone else decided this step meanwhile.", approval_status=run.approval.status.value)
            step_read = run.approval.current
            try:
                return self._decide(run, decision)
            except Stale:
                continue
        raise Conflict("The approval kept changing while this decision was made; try again.")

    def _decide(self, run: Run, decision: Decision) -> Approval:
        if not self._involved(run):
            raise NotFound("No such approval.")
        step = run.step
        action = _decision_action(run, decision)
        next_status(run.approval.status, action)  # 409 with the real status once the run has ended
        assert step is not None
        on_behalf_of = self._deciding_for(step)
        token = self._waiting_token(run)
        decided = _decided(run, action, step, self.p.user_id, on_behalf_of, decision.comment)
        tx = Transaction()
        repo.stage(tx, decided)  # conditional on the version read (Stale: read again, see decide)
        repo.stage_inbox_clear(tx, run, _inboxed(run))
        repo.stage_audit(
            tx,
            decided,
            f"approval.{_verb(action)}",
            self.p.user_id,
            decision.comment,
            {
                "step": {"before": run.approval.current + 1, "after": decided.approval.current + 1},
                **({"on_behalf_of": {"before": None, "after": on_behalf_of}} if on_behalf_of else {}),
            },
        )
        tx.commit()
        decided = repo.bumped(decided)
        outcome = "next" if action is Action.APPROVE_STEP else decided.approval.status.value
        _hand_over(decided, token, outcome)
        return decided.approval

    def _involved(self, run: Run) -> bool:
        people = {run.approval.submitted_by} | {a for s in run.approval.steps for a in s.approvers}
        return self.p.user_id in people or bool(delegations.acting_for(self.p.tenant_id, self.p.user_id) & people)

    def _deciding_for(self, step: Step) -> str | None:
        """None when the caller is the step's approver; whom they stand in for when a deputy; 403 otherwise."""
        if self.p.user_id in step.approvers:
            return None
        absent = sorted(delegations.acting_for(self.p.tenant_id, self.p.user_id) & set(step.approvers))
        if not absent:
            raise Forbidden(f"This step ({step.role}) is not yours to decide.")
        return absent[0]

    def _waiting_token(self, run: Run) -> str:
        """The token of the execution waiting for this step. When none waits, 409: either the step is being
        opened (a moment), or the run stopped, and is started again now."""
        state = runs.status(run.execution_arn)
        if state == "RUNNING":
            if run.task_token and run.awaiting_step == run.approval.current:
                return run.task_token
            raise Conflict(
                "This step is still being opened; try again in a moment.", approval_status=run.approval.status.value
            )
        repair(run, f"a decision found its run {state}")
        raise Conflict(
            f"This approval's run had stopped ({state}); it has been started again: decide again in a moment.",
            approval_status=run.approval.status.value,
            run=state,
        )

    def get_policy(self, kind: Kind) -> tuple[Policy, int]:
        """The policy and its version (0: the default, never stored)."""
        require(self.p, "approval:read")
        return stored_policy(self.p.tenant_id, kind)

    def put_policy(self, kind: Kind, policy: Policy, if_match: int) -> tuple[Policy, int]:
        """Replaces the policy if it is still at `if_match` ("0" stores the first one over the default)."""
        if not self.p.has(Role.HQ_ADMIN):
            raise Forbidden("Only HQ sets approval policies.")
        return policy, repo.replace_policy(self.p.tenant_id, kind, policy, self.p.user_id, if_match)


# ----------------------------------------------------------------------------- worker actions (state machine)


def _on_a_fresh_read(step: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Runs a worker step, reading the run again when its write lost to one made meanwhile (an approver deciding
    the step the worker was reminding about, a withdrawal): the step then does what the run needs now (open the
    next step, go to the end). A step that keeps losing is left to Step Functions' retry."""
    for _ in range(DECISION_ATTEMPTS):
        try:
            return step()
        except Stale:
            continue
    raise RetryableError("The approval kept changing while the worker wrote it; the state runs again.")


def open_step(tenant_id: str, approval_id: str, token: str) -> dict[str, Any]:
    """A step waits: keep the token, put the approval in its approvers' (and deputies') inboxes, tell them.
    A run that ended meanwhile (withdrawn, decided while no execution waited) or is past its expiry goes on
    to its end at once."""
    return _on_a_fresh_read(lambda: _open(tenant_id, approval_id, token))


def _open(tenant_id: str, approval_id: str, token: str) -> dict[str, Any]:
    run = repo.get(tenant_id, approval_id)
    if (ended := _end_if_due(run, token)) is not None:
        return ended
    step = run.step
    assert step is not None
    opened = _with_step(
        run, step.model_copy(update={"status": "pending"}), task_token=token, awaiting_step=run.approval.current
    )
    _save_with_inboxes(opened, run)
    _publish(opened, "ApprovalWaiting", "waiting")
    return {"waiting": True}


def remind(tenant_id: str, approval_id: str, token: str) -> dict[str, Any]:
    """No decision within the reminder time: tell the approvers again, keep waiting with the new token."""
    return _on_a_fresh_read(lambda: _remind(tenant_id, approval_id, token))


def _remind(tenant_id: str, approval_id: str, token: str) -> dict[str, Any]:
    run = repo.get(tenant_id, approval_id)
    if run.awaiting_step != run.approval.current:  # decided meanwhile, the next step never opened: open it
        return _open(tenant_id, approval_id, token)
    if (ended := _end_if_due(run, token)) is not None:
        return ended
    step = run.step
    assert step is not None
    next_status(run.approval.status, Action.REMIND)
    reminded = _with_step(
        run,
        step.model_copy(update={"reminded_at": clock.now(), "reminders": step.reminders + 1}),
        task_token=token,
        awaiting_step=run.approval.current,
    )
    _save_with_inboxes(reminded, run)
    _publish(reminded, "ApprovalReminder", f"reminder:{step.reminders + 1}")
    return {"waiting": True}


def escalate(tenant_id: str, approval_id: str) -> dict[str, Any]:
    """No decision within the escalation time: the next level up may decide this step too. At the top
    nobody is added: the step stays with its approvers, who are reminded again."""
    return _on_a_fresh_read(lambda: _escalate(tenant_id, approval_id))


def _escalate(tenant_id: str, approval_id: str) -> dict[str, Any]:
    run = repo.get(tenant_id, approval_id)
    step = run.step
    # Nothing to escalate once the run has ended, or when the step that timed out was decided meanwhile (the next
    # one opens after this state).
    if run.approval.status != Status.PENDING or step is None or run.awaiting_step != run.approval.current:
        return {"escalated": False}
    next_status(run.approval.status, Action.ESCALATE)
    up = escalation_approver(
        tenant_id, step.role, run.approval.org_unit_id, exclude={run.approval.submitted_by, *step.approvers}
    )
    approvers = [*step.approvers, up] if up else step.approvers
    escalated = _with_step(
        run,
        step.model_copy(
            update={"approvers": approvers, "escalated_at": clock.now(), "escalations": step.escalations + 1}
        ),
        task_token=None,
    )
    tx = Transaction()
    repo.stage(tx, escalated)
    repo.stage_audit(
        tx,
        escalated,
        "approval.escalated",
        SYSTEM,
        None if up else "no one above: stays at the top",
        {"approvers": {"before": step.approvers, "after": approvers}},
    )
    tx.commit()
    if up:
        _publish(escalated, "ApprovalEscalated", f"escalated:{step.escalations + 1}", escalated_to=[up])
    return {"escalated": bool(up)}


def finish(tenant_id: str, approval_id: str, subjects: Registry) -> dict[str, Any]:
    """The run ended: apply its end to the subject once (subjects ignore a repeat), tell the submitter."""
    run = repo.get(tenant_id, approval_id)
    a = run.approval
    if a.status not in ENDED:
        raise RuntimeError(f"approval {approval_id} is {a.status.value}; only an ended run finishes")
    if run.applied_at is None:
        last = next((s for s in reversed(a.steps) if s.decided_by), None)
        by = last.decided_by if last and last.decided_by and a.status != Status.EXPIRED else SYSTEM
        comment = a.reason if a.status == Status.EXPIRED else (last.comment if last else None)
        subjects.apply(a.kind, a.status.value, Outcome(tenant_id, a.id, a.subject_id, by, comment, a.payload))
        repo.save(run.model_copy(update={"applied_at": clock.now_iso(), "task_token": None}))
    if a.status in (Status.APPROVED, Status.REJECTED):
        last = next((s for s in reversed(a.steps) if s.decided_by), None)
        _publish(
            run,
            "ApprovalDecided",
            "decided",
            outcome=a.status.value,
            decided_by=last.decided_by if last else None,
            comment=last.comment if last else None,
        )
    elif a.status == Status.EXPIRED:
        _publish(run, "ApprovalExpired", "expired", reason=a.reason)
    return {"outcome": a.status.value}


def record_failure(tenant_id: str, approval_id: str, error: dict[str, Any]) -> dict[str, Any]:
    """A state kept failing after its retries: note it on the run (audited) before the execution fails; the
    failed-executions alarm tells ops, and the reconciler starts the run again."""
    run = repo.get(tenant_id, approval_id)
    tx = Transaction()
    repo.stage(tx, run.model_copy(update={"task_token": None}))
    repo.stage_audit(tx, run, "approval.run_failed", SYSTEM, str(error.get("Cause") or error.get("Error"))[:500])
    tx.commit()
    return {"recorded": True}


# ----------------------------------------------------------------------------- repair (the reconciler)


def reconcile(grace_seconds: int = 60) -> dict[str, int]:
    """One pass over every tenant's open runs: any whose execution is not running is started again (stopped by
    hand, failed, or never started: an execution not there `grace_seconds` after it was named). Safe to run twice
    at once: each attempt's execution has its own name, and the record's version admits one repair."""
    counts = {"checked": 0, "repaired": 0, "stuck": 0}
    named_before = (clock.now() - timedelta(seconds=grace_seconds)).isoformat()
    for tenant_id, approval_id in repo.open_runs():  # the sweep's index, read with the function's own role
        counts["checked"] += 1
        with tenancy.acting_for(tenant_id):
            outcome = _reconcile_run(tenant_id, approval_id, named_before)
        if outcome:
            counts[outcome] += 1
    return counts


def _reconcile_run(tenant_id: str, approval_id: str, named_before: str) -> str | None:
    """'repaired' or 'stuck' for a run whose execution is not running, None for one that is (or may be starting)."""
    run = repo.get(tenant_id, approval_id)
    state = runs.status(run.execution_arn)
    if run.applied_at is not None or state == "RUNNING":
        return None
    if state == "NONE" and (run.attempt_at or "") > named_before:
        return None  # its start may be under way
    if run.attempt >= MAX_ATTEMPTS:
        logger.error(
            "approval run stuck after %d attempts",
            run.attempt,
            extra={"tenant_id": tenant_id, "approval_id": approval_id},
        )
        return "stuck"
    repair(run, f"the reconciler found its run {state}")
    return "repaired"


def repair(run: Run, why: str) -> None:
    """Starts the run's next execution, which carries on from what the record says: it opens the current step
    again, or goes straight to the end (applying it) when the run ended while nothing waited."""
    attempt = run.attempt + 1
    restarted = run.model_copy(
        update={
            "attempt": attempt,
            "attempt_at": clock.now().isoformat(),
            "task_token": None,
            "execution_arn": runs.execution_arn(run.tenant_id, run.id, attempt),
        }
    )
    tx = Transaction()
    repo.stage(tx, restarted)  # conditional: of two repairs at once, one starts the run
    repo.stage_audit(
        tx, restarted, "approval.run_restarted", SYSTEM, why, {"attempt": {"before": run.attempt, "after": attempt}}
    )
    tx.commit()
    runs.start(run.tenant_id, run.id, attempt, _timings(run))


# ----------------------------------------------------------------------------- helpers


def _timings(run: Run) -> dict[str, int]:
    return {"reminder_seconds": run.reminder_seconds, "escalation_seconds": run.escalation_seconds}


def _end_if_due(run: Run, token: str) -> dict[str, Any] | None:
    """A run that has ended, or has been pending longer than its policy allows, goes to its end now."""
    if run.approval.status == Status.PENDING and _past_expiry(run):
        reason = f"No decision within {run.expire_after_seconds} seconds of submission (policy): expired."
        expired = _ended(run, Action.EXPIRE, reason)
        tx = Transaction()
        repo.stage(tx, expired)
        repo.stage_inbox_clear(tx, run, _inboxed(run))
        repo.stage_audit(tx, expired, "approval.expired", SYSTEM, reason)
        tx.commit()
        run = repo.bumped(expired)
    if run.approval.status == Status.PENDING:
        return None
    _hand_over(run, token, run.approval.status.value)
    return {"waiting": False}


def _past_expiry(run: Run) -> bool:
    if run.expire_after_seconds is None:
        return False
    return clock.now() >= run.approval.created_at + timedelta(seconds=run.expire_after_seconds)


def _hand_over(run: Run, token: str, outcome: str) -> None:
    """Resumes the waiting execution; if none waits any more (stopped), the run is repaired instead."""
    if runs.resume(token, outcome) == runs.LOST and runs.status(run.execution_arn) != "RUNNING":
        repair(repo.get(run.tenant_id, run.id), "its execution had stopped when the outcome was handed over")


def _decision_action(run: Run, decision: Decision) -> Action:
    if decision.decision == "reject":
        return Action.REJECT
    return Action.APPROVE if run.approval.current + 1 >= len(run.approval.steps) else Action.APPROVE_STEP


def _verb(action: Action) -> str:
    return "rejected" if action is Action.REJECT else "approved"


def _decided(run: Run, action: Action, step: Step, by: str, on_behalf_of: str | None, comment: str | None) -> Run:
    now = clock.now()
    decided_step = step.model_copy(
        update={
            "status": _verb(action),
            "decided_by": by,
            "on_behalf_of": on_behalf_of,
            "decided_at": now,
            "comment": comment,
        }
    )
    steps = [*run.approval.steps]
    steps[run.approval.current] = decided_step
    status = next_status(run.approval.status, action)
    update: dict[str, Any] = {"steps": steps, "status": status}
    if action is Action.APPROVE_STEP:
        update["current"] = run.approval.current + 1
    else:
        update["finished_at"] = now
    return run.model_copy(update={"approval": run.approval.model_copy(update=update), "task_token": None})


def _ended(run: Run, action: Action, reason: str | None) -> Run:
    approval = run.approval.model_copy(
        update={"status": next_status(run.approval.status, action), "finished_at": clock.now(), "reason": reason}
    )
    return run.model_copy(update={"approval": approval, "task_token": None})


def _with_step(run: Run, step: Step, **fields: Any) -> Run:
    steps = [*run.approval.steps]
    steps[run.approval.current] = step
    return run.model_copy(update={"approval": run.approval.model_copy(update={"steps": steps}), **fields})


def _recipients(run: Run) -> dict[str, str | None]:
    """Who sees the current step in their inbox: its approvers, and whoever stands in for one of them today."""
    step = run.step
    if step is None:
        return {}
    found: dict[str, str | None] = dict.fromkeys(step.approvers)
    found.update(delegations.deputies_of(run.tenant_id, set(step.approvers)))
    return found


def _inboxed(run: Run) -> set[str]:
    """Everyone whose inbox may hold this run: every step's approvers and the deputies it was given to."""
    return {a for s in run.approval.steps for a in (*s.approvers, *s.deputies)}


def _save_with_inboxes(run: Run, before: Run) -> None:
    """The run and its inbox entries: today's approvers and deputies in, deputies whose delegation ended out."""
    recipients = _recipients(run)
    step = run.step
    assert step is not None
    deputies = sorted(u for u, for_whom in recipients.items() if for_whom is not None)
    run = _with_step(run, step.model_copy(update={"deputies": deputies}))
    tx = Transaction()
    repo.stage(tx, run)
    for user, on_behalf_of in recipients.items():
        repo.stage_inbox(tx, run, user, on_behalf_of)
    repo.stage_inbox_clear(tx, run, _inboxed(before) - _inboxed(run))
    tx.commit()


def _publish(run: Run, detail_type: str, happening: str, **extra: Any) -> None:
    a = run.approval
    step = run.step or (a.steps[-1] if a.steps else None)
    to_submitter = detail_type in ("ApprovalDecided", "ApprovalExpired")
    recipients = [a.submitted_by] if to_submitter else sorted(_recipients(run))
    events.publish(
        SOURCE,
        detail_type,
        {
            "tenant_id": run.tenant_id,
            "event_id": f"approval:{a.id}:step{a.current + 1}:{happening}",
            "approval_id": a.id,
            "kind": a.kind.value,
            "subject_id": a.subject_id,
            "subject_label": a.subject_label,
            "amount": None if a.amount is None else str(a.amount),
            "step": a.current + 1,
            "role": step.role if step else None,
            "submitted_by": a.submitted_by,
            "recipients": recipients,
            **extra,
        },
    )
