"""The approval engine on its own: a fake subject and a fake Step Functions (the `runs` port), the real data
layer (moto and DynamoDB Local). Every path a run can take: decide, remind, escalate, the top, expire, withdraw,
a run that never started or stopped. The wiring with the real state machine is in tests/e2e/test_approvals*.py.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from crm import clock
from crm import events as crm_events
from crm.approvals import runs
from crm.approvals import service as engine
from crm.approvals.model import ApprovalRequest, Decision, Kind, Policy, PolicyStep, Status
from crm.approvals.subjects import Outcome, Registry, Subject
from crm.auth import Principal, Role
from crm.db.transaction import Transaction
from crm.errors import Conflict, Forbidden, NotFound
from crm.org import directory
from crm.org.delegations import DelegationIn, DelegationService

from tests.data.conftest import World


class FakeSubject(Subject):
    def __init__(self) -> None:
        self.calls: list[tuple[str, Outcome]] = []

    def approved(self, outcome: Outcome) -> None:
        self.calls.append(("approved", outcome))

    def rejected(self, outcome: Outcome) -> None:
        self.calls.append(("rejected", outcome))

    def expired(self, outcome: Outcome) -> None:
        self.calls.append(("expired", outcome))

    def withdrawn(self, outcome: Outcome) -> None:
        self.calls.append(("withdrawn", outcome))


@dataclass
class FakeRuns:
    """Step Functions as the engine sees it: executions started, tokens resumed, which still run."""

    started: list[tuple[str, int]] = field(default_factory=list)
    resumed: list[tuple[str, str]] = field(default_factory=list)
    running: set[str] = field(default_factory=set)
    stopped: set[str] = field(default_factory=set)
    refuse_start: bool = False

    def execution_arn(self, tenant_id: str, approval_id: str, attempt: int) -> str:
        return f"arn:exec:{tenant_id}:{approval_id}:{attempt}"

    def start(self, tenant_id: str, approval_id: str, attempt: int, timings: dict[str, int]) -> None:
        if self.refuse_start:
            raise RuntimeError("Step Functions is unavailable")
        self.started.append((approval_id, attempt))
        self.running.add(self.execution_arn(tenant_id, approval_id, attempt))

    def resume(self, token: str, outcome: str) -> str:
        if not any(token.startswith(arn) for arn in self.running):
            return runs.LOST
        self.resumed.append((token, outcome))
        return "resumed"

    def status(self, execution_arn: str | None) -> str:
        if execution_arn in self.running:
            return "RUNNING"
        return "ABORTED" if execution_arn in self.stopped else "NONE"

    def stop(self, execution_arn: str) -> None:
        self.running.discard(execution_arn)
        self.stopped.add(execution_arn)


@dataclass
class Engine:
    world: World
    sfn: FakeRuns
    subject: FakeSubject
    published: list[tuple[str, dict[str, Any]]]
    now: list[datetime]
    head: Principal  # the department head of EAST-RX
    finance: Principal

    @property
    def registry(self) -> Registry:
        return Registry(dict.fromkeys(Kind, self.subject))

    def request(self, label: str = "康宁药店 · 转正式") -> str:
        req = ApprovalRequest(
            kind=Kind.CUSTOMER_ACTIVATION, subject_id=f"c-{label}", subject_label=label, org_unit_id="EAST-RX"
        )
        return engine.request(self.world.rep, req).id

    def token(self, approval_id: str, n: int = 1) -> str:
        """A task token of the run's current execution (the fake resumes only tokens of running ones)."""
        run = engine.repo.get(self.world.tenant, approval_id)
        return f"{run.execution_arn}#token{n}"

    def open(self, approval_id: str, n: int = 1) -> str:
        token = self.token(approval_id, n)
        engine.open_step(self.world.tenant, approval_id, token)
        return token

    def inbox(self, principal: Principal) -> list[str]:
        return [i.approval_id for i in engine.ApprovalService(principal).inbox(50, None).items]

    def status(self, approval_id: str) -> Status:
        return engine.ApprovalService(self.world.admin).get(approval_id).status

    def set_policy(self, **fields: Any) -> None:
        policy = Policy(steps=[PolicyStep(role="dept_head")], **fields)
        engine.ApprovalService(self.world.admin).put_policy(Kind.CUSTOMER_ACTIVATION, policy, 0)

    def events(self, detail_type: str) -> list[dict[str, Any]]:
        return [d for t, d in self.published if t == detail_type]


@pytest.fixture
def eng(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    directory.save_user(
        world.tenant, "rx-head", name="李主管", username="rx-head", org_unit_id="EAST-RX", roles=["dept_head"]
    )
    directory.save_user(world.tenant, "finance", name="钱会计", username="finance", org_unit_id="HQ", roles=["finance"])
    directory.forget_cached()
    sfn, subject, published = FakeRuns(), FakeSubject(), []
    now = [datetime(2026, 12, 4, 9, 0, tzinfo=UTC)]
    for name in ("execution_arn", "start", "resume", "status"):
        monkeypatch.setattr(runs, name, getattr(sfn, name))
    monkeypatch.setattr(crm_events, "publish", lambda source, kind, detail: published.append((kind, detail)))
    monkeypatch.setattr(clock, "now", lambda: now[0])
    head = Principal(world.tenant, "rx-head", "EAST-RX", frozenset({Role.DEPT_HEAD}))
    finance = Principal(world.tenant, "finance", "HQ", frozenset({Role.FINANCE}))
    yield Engine(world, sfn, subject, published, now, head, finance)


def test_a_decision_resumes_the_run_and_its_end_is_applied_once(eng: Engine):
    approval_id = eng.request()
    assert eng.sfn.started == [(approval_id, 1)]
    token = eng.open(approval_id)
    assert eng.inbox(eng.head) == [approval_id]
    assert eng.events("ApprovalWaiting")[0]["recipients"] == ["rx-head"]

    decided = engine.ApprovalService(eng.head).decide(approval_id, Decision(decision="approve", comment="好"))
    assert decided.status == Status.APPROVED and decided.steps[0].decided_by == "rx-head"
    assert eng.sfn.resumed == [(token, "approved")]
    assert eng.inbox(eng.head) == []

    engine.finish(eng.world.tenant, approval_id, eng.registry)
    engine.finish(eng.world.tenant, approval_id, eng.registry)  # a retried Finish
    assert [(end, o.by, o.comment) for end, o in eng.subject.calls] == [("approved", "rx-head", "好")]
    assert [e["recipients"] for e in eng.events("ApprovalDecided")] == [["rep"], ["rep"]]  # one event id: told once
    assert len({e["event_id"] for e in eng.events("ApprovalDecided")}) == 1
    assert list(engine.repo.open_runs()) == []  # nothing left for the reconciler


def test_a_decision_after_the_end_is_a_conflict_naming_the_real_status(eng: Engine):
    approval_id = eng.request()
    eng.open(approval_id)
    engine.ApprovalService(eng.head).decide(approval_id, Decision(decision="reject", comment="资料不全"))
    with pytest.raises(Conflict) as err:
        engine.ApprovalService(eng.head).decide(approval_id, Decision(decision="approve"))
    assert err.value.extra["approval_status"] == "rejected"
    engine.finish(eng.world.tenant, approval_id, eng.registry)
    assert [end for end, _ in eng.subject.calls] == ["rejected"]


def test_only_the_steps_approver_decides(eng: Engine):
    approval_id = eng.request()
    eng.open(approval_id)
    with pytest.raises(NotFound):  # not involved at all: the approval's existence is not revealed
        engine.ApprovalService(eng.finance).decide(approval_id, Decision(decision="approve"))
    with pytest.raises(Forbidden):  # a rep may not decide
        engine.ApprovalService(eng.world.rep).decide(approval_id, Decision(decision="approve"))


def test_reminders_then_escalation_up_to_the_top_where_it_stays_and_keeps_reminding(eng: Engine):
    approval_id = eng.request()
    eng.open(approval_id)
    engine.remind(eng.world.tenant, approval_id, eng.token(approval_id, 2))
    assert [e["recipients"] for e in eng.events("ApprovalReminder")] == [["rx-head"]]

    assert engine.escalate(eng.world.tenant, approval_id) == {"escalated": True}  # the branch head
    eng.open(approval_id, 3)
    assert eng.inbox(eng.world.east_head) == [approval_id]
    assert engine.escalate(eng.world.tenant, approval_id) == {"escalated": True}  # HQ
    assert engine.escalate(eng.world.tenant, approval_id) == {"escalated": False}  # the top: nobody added
    eng.open(approval_id, 4)
    engine.remind(eng.world.tenant, approval_id, eng.token(approval_id, 5))
    approval = engine.ApprovalService(eng.world.admin).get(approval_id)
    assert approval.status == Status.PENDING
    assert approval.steps[0].approvers == ["rx-head", "east-head", "admin"]
    assert [e["escalated_to"] for e in eng.events("ApprovalEscalated")] == [["east-head"], ["admin"]]
    assert len(eng.events("ApprovalReminder")) == 2  # reminded again at the top
    decided = engine.ApprovalService(eng.world.admin).decide(approval_id, Decision(decision="approve"))
    assert decided.status == Status.APPROVED  # any of them may still decide


def test_a_run_past_its_expiry_ends_expired_and_the_subject_goes_back(eng: Engine):
    eng.set_policy(reminder_after_seconds=1, escalate_after_seconds=2, expire_after_seconds=5)
    approval_id = eng.request()
    eng.open(approval_id)
    eng.now[0] += timedelta(seconds=3)
    engine.remind(eng.world.tenant, approval_id, eng.token(approval_id, 2))
    assert eng.status(approval_id) == Status.PENDING  # not yet
    eng.now[0] += timedelta(seconds=3)
    token = eng.token(approval_id, 3)
    assert engine.remind(eng.world.tenant, approval_id, token) == {"waiting": False}
    assert eng.status(approval_id) == Status.EXPIRED
    assert (token, "expired") in eng.sfn.resumed
    assert eng.inbox(eng.head) == []
    engine.finish(eng.world.tenant, approval_id, eng.registry)
    ((end, outcome),) = eng.subject.calls
    assert end == "expired" and outcome.by == "system" and "5 seconds" in (outcome.comment or "")
    assert eng.events("ApprovalExpired")[0]["recipients"] == ["rep"]


def test_withdrawing_ends_the_run_in_the_subjects_transaction(eng: Engine):
    approval_id = eng.request()
    token = eng.open(approval_id)
    tx = Transaction()
    run = engine.stage_withdraw(tx, eng.world.rep, Kind.CUSTOMER_ACTIVATION, f"c-{'康宁药店 · 转正式'}")
    tx.commit()
    engine.after_withdraw(run)
    assert eng.status(approval_id) == Status.WITHDRAWN
    assert eng.sfn.resumed == [(token, "withdrawn")]
    assert eng.inbox(eng.head) == []
    engine.finish(eng.world.tenant, approval_id, eng.registry)
    assert [end for end, _ in eng.subject.calls] == ["withdrawn"]


def test_a_decision_on_a_stopped_run_is_a_conflict_and_restarts_the_run(eng: Engine):
    approval_id = eng.request()
    eng.open(approval_id)
    eng.sfn.stop(eng.sfn.execution_arn(eng.world.tenant, approval_id, 1))
    with pytest.raises(Conflict) as err:
        engine.ApprovalService(eng.head).decide(approval_id, Decision(decision="approve"))
    assert err.value.extra["run"] == "ABORTED"
    assert eng.sfn.started[-1] == (approval_id, 2)  # started again, at once
    eng.open(approval_id, 2)  # the new execution opens the same step
    decided = engine.ApprovalService(eng.head).decide(approval_id, Decision(decision="approve"))
    assert decided.status == Status.APPROVED


def test_a_run_that_never_started_is_started_by_the_reconciler_once(eng: Engine):
    eng.sfn.refuse_start = True
    approval_id = eng.request()  # the request stands: the run's record is there, its execution is not
    assert eng.status(approval_id) == Status.PENDING and eng.sfn.started == []
    eng.sfn.refuse_start = False
    assert engine.reconcile(grace_seconds=60)["repaired"] == 0  # too young: its start may be under way
    eng.now[0] += timedelta(seconds=61)
    assert engine.reconcile(grace_seconds=60) == {"checked": 1, "repaired": 1, "stuck": 0}
    assert engine.reconcile(grace_seconds=60) == {"checked": 1, "repaired": 0, "stuck": 0}  # running now
    assert eng.sfn.started == [(approval_id, 2)]


def test_an_ended_run_whose_end_was_never_applied_is_finished_by_a_new_execution(eng: Engine):
    approval_id = eng.request()
    eng.open(approval_id)
    engine.ApprovalService(eng.head).decide(approval_id, Decision(decision="approve"))
    eng.sfn.stop(eng.sfn.execution_arn(eng.world.tenant, approval_id, 1))  # stopped before its Finish ran
    assert engine.reconcile()["repaired"] == 1  # stopped: no grace to wait for
    token = eng.token(approval_id, 2)
    assert engine.open_step(eng.world.tenant, approval_id, token) == {"waiting": False}
    assert (token, "approved") in eng.sfn.resumed  # straight on to Finish
    engine.finish(eng.world.tenant, approval_id, eng.registry)
    assert [end for end, _ in eng.subject.calls] == ["approved"]


def test_a_deputy_decides_while_the_approver_is_away_and_not_after(eng: Engine):
    today = clock.today()
    DelegationService(eng.head).create(
        DelegationIn(deputy_id="east-head", starts_on=today, ends_on=today + timedelta(days=2), reason="出差")
    )
    approval_id = eng.request()
    eng.open(approval_id)
    assert eng.inbox(eng.world.east_head) == [approval_id]
    assert eng.events("ApprovalWaiting")[0]["recipients"] == ["east-head", "rx-head"]
    decided = engine.ApprovalService(eng.world.east_head).decide(approval_id, Decision(decision="approve"))
    assert decided.steps[0].decided_by == "east-head" and decided.steps[0].on_behalf_of == "rx-head"
    assert eng.inbox(eng.head) == [] and eng.inbox(eng.world.east_head) == []

    later = eng.request("惠民诊所 · 转正式")
    eng.open(later)
    eng.now[0] += timedelta(days=3)  # the delegation ended by itself
    with pytest.raises(NotFound):
        engine.ApprovalService(eng.world.east_head).decide(later, Decision(decision="approve"))


def test_a_registry_must_wire_every_kind():
    with pytest.raises(LookupError, match="inventory_adjustment"):
        Registry({k: FakeSubject() for k in Kind if k is not Kind.INVENTORY_ADJUSTMENT})


def test_a_decision_made_while_a_reminder_is_written_goes_through(eng: Engine, monkeypatch: pytest.MonkeyPatch):
    approval_id = eng.request()
    eng.open(approval_id)
    reminded, real = [], engine._decided

    def reminder_meanwhile(*args: Any, **kwargs: Any) -> Any:
        if not reminded:  # the worker writes the run (a new token) between the decision's read and its write
            reminded.append(eng.token(approval_id, 2))
            engine.remind(eng.world.tenant, approval_id, reminded[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "_decided", reminder_meanwhile)
    decided = engine.ApprovalService(eng.head).decide(approval_id, Decision(decision="approve", comment="好"))
    assert decided.status == Status.APPROVED
    assert eng.sfn.resumed == [(reminded[0], "approved")]  # the task waiting now, not the one read first


def test_a_step_decided_by_someone_else_meanwhile_is_a_conflict(eng: Engine, monkeypatch: pytest.MonkeyPatch):
    approval_id = eng.request()
    eng.open(approval_id)
    engine.escalate(eng.world.tenant, approval_id)  # the branch head may decide step 1 too
    eng.open(approval_id, 2)
    real, raced = engine._decided, []

    def other_decides_first(*args: Any, **kwargs: Any) -> Any:
        if not raced:
            raced.append(1)
            engine.ApprovalService(eng.world.east_head).decide(approval_id, Decision(decision="approve"))
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "_decided", other_decides_first)
    with pytest.raises(Conflict) as err:
        engine.ApprovalService(eng.head).decide(approval_id, Decision(decision="reject", comment="不行"))
    assert err.value.extra["approval_status"] == "approved"


def two_steps(eng: Engine) -> str:
    steps = [PolicyStep(role="dept_head"), PolicyStep(role="finance")]
    engine.ApprovalService(eng.world.admin).put_policy(Kind.CUSTOMER_ACTIVATION, Policy(steps=steps), 0)
    return eng.request()


def test_a_reminder_written_while_the_step_is_decided_opens_the_next_step(eng: Engine, monkeypatch: pytest.MonkeyPatch):
    approval_id = two_steps(eng)
    eng.open(approval_id)
    real, raced = engine._save_with_inboxes, []

    def decided_meanwhile(*args: Any, **kwargs: Any) -> None:
        if not raced:  # the approver decides between the worker's read of the run and its write
            raced.append(1)
            engine.ApprovalService(eng.head).decide(approval_id, Decision(decision="approve"))
        real(*args, **kwargs)

    monkeypatch.setattr(engine, "_save_with_inboxes", decided_meanwhile)
    assert engine.remind(eng.world.tenant, approval_id, eng.token(approval_id, 2)) == {"waiting": True}  # no failure
    assert eng.inbox(eng.finance) == [approval_id] and eng.inbox(eng.head) == []
    assert eng.events("ApprovalReminder") == []  # nobody is reminded of a step already decided
    assert eng.events("ApprovalWaiting")[-1]["recipients"] == ["finance"]


def test_a_step_decided_after_its_reminder_timed_out_is_not_escalated_on_the_next_step(eng: Engine):
    approval_id = two_steps(eng)
    eng.open(approval_id)
    engine.remind(eng.world.tenant, approval_id, eng.token(approval_id, 2))
    engine.ApprovalService(eng.head).decide(approval_id, Decision(decision="approve"))  # as the reminder times out
    assert engine.escalate(eng.world.tenant, approval_id) == {"escalated": False}
    eng.open(approval_id, 3)
    approval = engine.ApprovalService(eng.world.admin).get(approval_id)
    assert approval.current == 1 and approval.steps[1].approvers == ["finance"] and not approval.steps[1].escalated_at
    assert eng.inbox(eng.finance) == [approval_id] and eng.events("ApprovalEscalated") == []
