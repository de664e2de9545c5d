"""Moving an org unit: a job record and a state machine that calls `move_step` until nothing is left.

Everything that carries an org path under the unit is re-scoped, kind by kind (phases, in this order):

1. units     — the unit's own path and parent, and the paths of its whole subtree;
2. settling  — a wait of directory.CACHE_SECONDS: a warm container may use a unit it read for that long, so a
               customer, order or visit written meanwhile can still get the old path. Re-scoping records only
               after the wait means none written with a stale path is missed, with no read of the tree per request;
3. customers — every customer under the old path (voided ones too);
4. orders    — open orders with their return requests (closed and void orders stay where they were made:
               history, like the hand-over);
5. visits    — planned visits of the reps in the subtree (visits made stay where they were made);
6. plans     — order plans of the subtree from this month on (past months' plans stay with their month's orders).

Each record moves in a transaction with its audit entry, conditional on the version read (a concurrent edit is
re-read and retried, never overwritten). Every step is safe to repeat: a record already re-scoped is no longer
under the old path and is skipped; the job itself is saved conditional on its version, so two runners of one
job cannot both advance it. A failure is recorded on the job and frees the tree for other changes.
"""

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from crm import audit, clock, events
from crm.audit import diff
from crm.auth import Principal, require
from crm.aws import client
from crm.customers import repository as customers
from crm.db import keys
from crm.db.models import CustomerItem, OrderItem, OrgMoveItem, OrgMoveLockItem, OrgUnitItem, PlanItem, VisitItem
from crm.db.paging import Page, query_page
from crm.db.transaction import Transaction
from crm.errors import Conflict, NotFound, RetryableError
from crm.ids import new_id
from crm.orders import repository as orders
from crm.org import directory
from crm.org.tree import check_parent, copy_unit, is_cycle, moved_path, stage_unit, unit_or_404
from crm.org.tree_model import MoveRequest, OrgMove
from crm.plans import repository as plans

BATCH_SIZE = 25  # records per step (one Lambda call, one transaction each)
PLAN_MONTHS_AHEAD = 24  # plans re-scoped: this month and the next 24
_MOVE_ATTEMPTS = 3
MAX_RETURNS_MOVED = 49  # an order's return requests, two writes each with the order's two, in one transaction's 100
ACTION = "org_move"


@dataclass(frozen=True)
class Phase:
    sources: Callable[[OrgMoveItem], list[str]]  # the partitions to walk (reps, months), [""] for one index
    page: Callable[[OrgMoveItem, str, str | None, int], Page[Any]]
    move: Callable[[OrgMoveItem, Any], bool]  # True: moved now; False: not (any more) under the old path


def _reason(job: OrgMoveItem) -> str:
    why = f" — {job.reason}" if job.reason else ""
    return f"{job.unit_id} moved from {job.from_parent_id} to {job.to_parent_id} (move {job.id}){why}"


def _new_path(job: OrgMoveItem, path: str) -> str:
    return moved_path(path, job.old_path, job.new_path)


def _one(job: OrgMoveItem) -> list[str]:
    return [""]


# ----------------------------------------------------------------------------- units


def _unit_page(job: OrgMoveItem, _: str, cursor: str | None, limit: int) -> Page[OrgUnitItem]:
    return query_page(
        OrgUnitItem,
        "pk",
        keys.org_pk(job.tenant_id),
        limit=limit,
        cursor=cursor,
        range_condition=OrgUnitItem.sk.startswith("UNIT#"),
        filter_condition=OrgUnitItem.path.startswith(job.old_path),
    )


def _move_unit(job: OrgMoveItem, item: OrgUnitItem) -> bool:
    for _ in range(_MOVE_ATTEMPTS):
        if not item.path.startswith(job.old_path):
            return False
        is_moved_unit = item.sk == f"UNIT#{job.unit_id}"
        after = copy_unit(
            item, path=_new_path(job, item.path), parent_id=job.to_parent_id if is_moved_unit else item.parent_id
        )
        tx = Transaction()
        stage_unit(tx, job.tenant_id, item, after, action=ACTION, actor_id=job.requested_by, reason=_reason(job))
        if _committed(tx):
            return True
        item = OrgUnitItem.get(item.pk, item.sk, consistent_read=True)  # renamed meanwhile: move what is there now
    raise RetryableError(f"Org unit {item.sk} kept changing; the move will retry it.")


# ----------------------------------------------------------------------------- customers


def _customer_page(job: OrgMoveItem, _: str, cursor: str | None, limit: int) -> Page[CustomerItem]:
    return query_page(
        CustomerItem,
        "gsi1pk",
        keys.customers_scope_pk(job.tenant_id),
        limit=limit,
        cursor=cursor,
        range_condition=CustomerItem.gsi1sk.startswith(job.old_path),
        index_name="gsi1",
    )


def _move_customer(job: OrgMoveItem, item: CustomerItem) -> bool:
    customer = customers.get(job.tenant_id, item.id)  # from the table: the index may lag behind
    for _ in range(_MOVE_ATTEMPTS):
        if customer is None or not customer.org_path.startswith(job.old_path):
            return False
        after = customer.model_copy(update={"org_path": _new_path(job, customer.org_path)})
        tx = Transaction()
        customers.stage_customer(tx, after)
        customers.stage_audit(tx, after, ACTION, job.requested_by, {"org_path": _change(customer, after)}, _reason(job))
        if _committed(tx):
            return True
        customer = customers.get(job.tenant_id, item.id)
    raise RetryableError(f"Customer {item.id} kept changing; the move will retry it.")


# ----------------------------------------------------------------------------- open orders


def _order_page(job: OrgMoveItem, _: str, cursor: str | None, limit: int) -> Page[OrderItem]:
    return query_page(
        OrderItem,
        "gsi1pk",
        keys.orders_scope_pk(job.tenant_id),
        limit=limit,
        cursor=cursor,
        range_condition=OrderItem.gsi1sk.startswith(job.old_path),
        filter_condition=OrderItem.state.is_in(*orders.OPEN_STATES),
        index_name="gsi1",
    )


def _move_order(job: OrgMoveItem, item: OrderItem) -> bool:
    """An open order, and its return requests with it (they carry the order's path for their scope)."""
    order = orders.get(job.tenant_id, item.id)
    for _ in range(_MOVE_ATTEMPTS):
        if order is None or order.state not in orders.OPEN_STATES or not order.org_path.startswith(job.old_path):
            return False
        after = order.model_copy(update={"org_path": _new_path(job, order.org_path)})
        tx = Transaction()
        orders.stage_order(tx, after)
        pk = keys.order_pk(job.tenant_id, order.id)
        audit.stage(tx, pk, job.tenant_id, ACTION, job.requested_by, {"org_path": _change(order, after)}, _reason(job))
        returns = orders.list_returns(job.tenant_id, order.id, MAX_RETURNS_MOVED, None).items
        for ret in (r for r in returns if r.org_path.startswith(job.old_path)):
            moved = ret.model_copy(update={"org_path": _new_path(job, ret.org_path)})
            orders.stage_return(tx, moved)
            changes = {"org_path": _change(ret, moved)}
            audit.stage(tx, keys.return_pk(job.tenant_id, ret.id), job.tenant_id, ACTION, job.requested_by, changes)
        if _committed(tx):
            return True
        order = orders.get(job.tenant_id, item.id)
    raise RetryableError(f"Order {item.id} kept changing; the move will retry it.")


# ----------------------------------------------------------------------------- planned visits


def _reps(job: OrgMoveItem) -> list[str]:
    """Users (reps or not, active or not) of the units now under the new path: visits carry their rep's path."""
    units = OrgUnitItem.query(
        keys.org_pk(job.tenant_id),
        OrgUnitItem.sk.startswith("UNIT#"),
        filter_condition=OrgUnitItem.path.startswith(job.new_path),
        consistent_read=True,
    )
    unit_ids = {u.sk.removeprefix("UNIT#") for u in units}
    return sorted(u.id for u in directory.users(job.tenant_id) if u.org_unit_id in unit_ids)


def _visit_page(job: OrgMoveItem, rep_id: str, cursor: str | None, limit: int) -> Page[VisitItem]:
    return query_page(
        VisitItem,
        "gsi2pk",
        keys.rep_visits_pk(job.tenant_id, rep_id),
        limit=limit,
        cursor=cursor,
        filter_condition=(VisitItem.state == "planned") & VisitItem.org_path.startswith(job.old_path),
        index_name="gsi2",
    )


def _move_visit(job: OrgMoveItem, item: VisitItem) -> bool:
    from crm.visits import repository as visits  # the worker's alone

    visit = visits.get(job.tenant_id, item.id)
    for _ in range(_MOVE_ATTEMPTS):
        if visit is None or visit.state != "planned" or not visit.org_path.startswith(job.old_path):
            return False
        after = visit.model_copy(update={"org_path": _new_path(job, visit.org_path)})
        tx = Transaction()
        visits.stage_visit(tx, after)
        changes = {"org_path": _change(visit, after)}
        visits.stage_audit(tx, after, ACTION, job.requested_by, clock.now_iso(), changes, _reason(job))
        if _committed(tx):
            return True
        visit = visits.get(job.tenant_id, item.id)
    raise RetryableError(f"Visit {item.id} kept changing; the move will retry it.")


# ----------------------------------------------------------------------------- plans


def _months(job: OrgMoveItem) -> list[str]:
    start = clock.today().replace(day=1)
    months = []
    for n in range(PLAN_MONTHS_AHEAD + 1):
        year, month = divmod(start.month - 1 + n, 12)
        months.append(f"{start.year + year}-{month + 1:02d}")
    return months


def _plan_page(job: OrgMoveItem, month: str, cursor: str | None, limit: int) -> Page[PlanItem]:
    return query_page(
        PlanItem,
        "pk",
        keys.plans_pk(job.tenant_id, month),
        limit=limit,
        cursor=cursor,
        range_condition=PlanItem.sk.startswith("UNIT#"),
        filter_condition=PlanItem.org_path.startswith(job.old_path),
    )


def _move_plan(job: OrgMoveItem, item: PlanItem) -> bool:
    plan = plans.get(job.tenant_id, item.month, item.org_unit_id)
    for _ in range(_MOVE_ATTEMPTS):
        if plan is None or not plan.org_path.startswith(job.old_path):
            return False
        after = replace(plan, org_path=_new_path(job, plan.org_path))
        tx = Transaction()
        plans.stage_plan(tx, after)
        changes = {"org_path": {"before": plan.org_path, "after": after.org_path}}
        plans.stage_audit(
            tx, job.tenant_id, plan.month, plan.org_unit_id, ACTION, job.requested_by, changes, _reason(job)
        )
        if _committed(tx):
            return True
        plan = plans.get(job.tenant_id, item.month, item.org_unit_id)
    raise RetryableError(f"Plan {item.month}/{item.org_unit_id} kept changing; the move will retry it.")


# ----------------------------------------------------------------------------- starting and reading a move


class OrgMoveService:
    def __init__(self, principal: Principal, state_machine_arn: str | None) -> None:
        self.p = principal
        self.tenant = principal.tenant_id
        self.move_state_machine_arn = state_machine_arn

    def get(self, move_id: str) -> OrgMove:
        require(self.p, "org:read")
        job = load_move(self.tenant, move_id)
        if job is None:
            raise NotFound(f"No move {move_id}.")
        return move_view(job)

    def start(self, unit_id: str, body: MoveRequest) -> OrgMove:
        require(self.p, "org:write")
        if self.move_state_machine_arn is None:
            raise RuntimeError("ORG_MOVE_STATE_MACHINE_ARN is not configured")
        unit = unit_or_404(self.tenant, unit_id)
        if unit.parent_id is None:
            raise Conflict("The head office is the root of the tree; it cannot move.")
        if unit.closed_at:
            raise Conflict(f"The org unit {unit_id} is closed.")
        if body.parent_id == unit.parent_id:
            raise Conflict(f"The org unit {unit_id} is under {body.parent_id} already.", field="parent_id")
        parent = check_parent(self.tenant, body.parent_id, unit.kind)
        if is_cycle(unit.path, parent.path):
            raise Conflict(
                f"{body.parent_id} is {unit_id} itself or below it: the move would make the tree a cycle.",
                field="parent_id",
            )
        job = OrgMoveItem(
            keys.org_move_pk(self.tenant, (move_id := new_id())),
            keys.META,
            tenant_id=self.tenant,
            id=move_id,
            unit_id=unit_id,
            from_parent_id=unit.parent_id,
            to_parent_id=body.parent_id,
            old_path=unit.path,
            new_path=f"{parent.path}{unit_id}/",
            reason=body.reason,
            status="running",
            phase="units",
            sources=[""],
            source_index=0,
            moved={},
            requested_by=self.p.user_id,
            requested_at=clock.now_iso(),
        )
        self._run(job, execution_name=move_id)  # a second start of one name is a no-op in Step Functions
        return move_view(load_move(self.tenant, move_id) or job)

    def retry(self, move_id: str) -> OrgMove:
        """Runs a failed move again from where it got to (its phase and cursor): what it moved stays moved."""
        require(self.p, "org:write")
        if self.move_state_machine_arn is None:
            raise RuntimeError("ORG_MOVE_STATE_MACHINE_ARN is not configured")
        job = load_move(self.tenant, move_id)
        if job is None:
            raise NotFound(f"No move {move_id}.")
        if job.status != "failed":
            raise Conflict(f"Only a failed move is run again; this one is {job.status}.", move_status=job.status)
        job.status, job.finished_at, job.error = "running", None, None
        self._run(job, execution_name=f"{move_id}-{new_id()}")
        return move_view(load_move(self.tenant, move_id) or job)

    def _run(self, job: OrgMoveItem, execution_name: str) -> None:
        """Saves the job running with the tree's lock taken (both or neither), then starts its execution."""
        tx = Transaction()
        tx.put(job)  # new, or conditional on the version read: two retries of one move cannot both run it
        tx.put(
            OrgMoveLockItem(keys.org_pk(self.tenant), keys.ORG_MOVE_LOCK, move_id=job.id),
            condition=OrgMoveLockItem.pk.does_not_exist(),
            on_fail=lambda: Conflict("Another move of an org unit is running; try again once it has finished."),
        )
        tx.commit()
        try:
            client("stepfunctions").start_execution(
                stateMachineArn=self.move_state_machine_arn,
                name=execution_name,
                input=json.dumps({"tenant_id": self.tenant, "move_id": job.id}),
            )
        except Exception as exc:  # the job would hold the lock with nothing running it
            record_failure(self.tenant, job.id, f"could not start: {exc}")
            raise


# ----------------------------------------------------------------------------- the job

PHASES: dict[str, Phase] = {
    "units": Phase(_one, _unit_page, _move_unit),
    "customers": Phase(_one, _customer_page, _move_customer),
    "orders": Phase(_one, _order_page, _move_order),
    "visits": Phase(_reps, _visit_page, _move_visit),
    "plans": Phase(_months, _plan_page, _move_plan),
}
ORDER = ["units", "settling", "customers", "orders", "visits", "plans", "done"]


def _change(before: Any, after: Any) -> dict[str, Any]:
    return diff({"org_path": before.org_path}, {"org_path": after.org_path})["org_path"]


def _committed(tx: Transaction) -> bool:
    """False when the record changed since it was read (re-read and try again): each of these transactions holds
    one versioned record and its audit entry, so a refused condition is always that record's version."""
    try:
        tx.commit()
        return True
    except Conflict:
        return False


def settle_seconds(job: OrgMoveItem) -> int:
    """How long to wait still before re-scoping records, from the moment the tree was rewritten."""
    if not job.units_moved_at:
        return 0
    elapsed = (clock.now() - datetime.fromisoformat(job.units_moved_at)).total_seconds()
    return max(0, math.ceil(directory.CACHE_SECONDS + 1 - elapsed))


def _advance(job: OrgMoveItem) -> None:
    """On to the next phase, with its partitions listed once (a repeated step walks the same ones)."""
    job.phase = ORDER[ORDER.index(job.phase) + 1]
    job.source_index, job.cursor = 0, None
    phase = PHASES.get(job.phase)
    job.sources = phase.sources(job) if phase else []
    if job.phase == "settling":
        job.units_moved_at = clock.now_iso()
    if phase and not job.sources:
        _advance(job)  # no reps in the subtree: nothing to walk


def move_step(tenant_id: str, move_id: str, batch_size: int = BATCH_SIZE) -> dict[str, Any]:
    """One step of the state machine: a batch of one phase, or the end of the settling wait."""
    job = load_move(tenant_id, move_id)
    if job is None:
        raise NotFound(f"No move {move_id}.")
    moved = 0
    if job.status != "running":
        if job.status == "completed":  # a step run again after the end: the announcement may not have gone out
            _announce(job)
        return _result(job, "done", moved)
    if job.phase == "settling":
        if (wait := settle_seconds(job)) > 0:
            return _result(job, "settle", moved, wait)
        _advance(job)
    else:
        phase = PHASES[job.phase]
        page = phase.page(job, job.sources[int(job.source_index)], job.cursor, batch_size)
        moved = sum(1 for record in page.items if phase.move(job, record))
        counts = _counts(job)
        counts[job.phase] = counts.get(job.phase, 0) + moved
        job.moved = counts
        job.cursor = page.cursor
        if page.cursor is None:
            job.source_index = int(job.source_index) + 1
            if job.source_index >= len(job.sources):
                _advance(job)
    if job.phase == "done":
        _finish(job, "completed")
        _announce(job)
        return _result(job, "done", moved)
    _save(job)
    return _result(job, "settle" if job.phase == "settling" else "batch", moved, settle_seconds(job))


def _result(job: OrgMoveItem, next_step: str, moved: int, wait: int = 0) -> dict[str, Any]:
    return {
        "tenant_id": job.tenant_id,
        "move_id": job.id,
        "next": next_step,
        "settle_seconds": max(1, wait),
        "moved": moved,
    }


def _save(job: OrgMoveItem) -> None:
    tx = Transaction()
    tx.put(job)  # conditional on its version: two runners of the same job cannot both advance it
    try:
        tx.commit()
    except Conflict as exc:
        raise RetryableError("Another runner advanced this move; the step runs again from where it got to.") from exc


def _finish(job: OrgMoveItem, status: str, error: str | None = None) -> None:
    """Ends the job and frees the tree for other changes, both or neither."""
    job.status, job.finished_at, job.error = status, clock.now_iso(), error
    tx = Transaction()
    tx.put(job)
    tx.delete(
        OrgMoveLockItem(keys.org_pk(job.tenant_id), keys.ORG_MOVE_LOCK),
        condition=OrgMoveLockItem.pk.does_not_exist() | (OrgMoveLockItem.move_id == job.id),
    )
    try:
        tx.commit()
    except Conflict as exc:
        raise RetryableError("Another runner changed this move meanwhile; the step runs again.") from exc


def _announce(job: OrgMoveItem) -> None:
    """OrgUnitMoved, once the job completes (the same event id if a repeated step publishes it again)."""
    events.publish(
        "crm.org",
        "OrgUnitMoved",
        {
            "tenant_id": job.tenant_id,
            "event_id": f"org-move:{job.id}:completed",
            "move_id": job.id,
            "unit_id": job.unit_id,
            "from_parent_id": job.from_parent_id,
            "to_parent_id": job.to_parent_id,
            "old_path": job.old_path,
            "new_path": job.new_path,
            "moved": _counts(job),
            "requested_by": job.requested_by,
            "recipients": [job.requested_by],
        },
    )


def record_failure(tenant_id: str, move_id: str, error: str) -> None:
    job = load_move(tenant_id, move_id)
    if job is not None and job.status == "running":
        _finish(job, "failed", error[:1000])


def load_move(tenant_id: str, move_id: str) -> OrgMoveItem | None:
    try:
        return OrgMoveItem.get(keys.org_move_pk(tenant_id, move_id), keys.META, consistent_read=True)
    except OrgMoveItem.DoesNotExist:
        return None


def _counts(job: OrgMoveItem) -> dict[str, int]:
    raw = job.moved.as_dict() if hasattr(job.moved, "as_dict") else dict(job.moved or {})
    return {k: int(v) for k, v in raw.items()}


def move_view(job: OrgMoveItem) -> OrgMove:
    return OrgMove(
        id=job.id,
        unit_id=job.unit_id,
        from_parent_id=job.from_parent_id,
        to_parent_id=job.to_parent_id,
        old_path=job.old_path,
        new_path=job.new_path,
        reason=job.reason,
        status=job.status,
        phase=job.phase,
        moved=_counts(job),
        requested_by=job.requested_by,
        requested_at=job.requested_at,
        finished_at=job.finished_at,
        error=job.error,
        version=job.version or 0,
    )
