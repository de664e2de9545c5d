"""Hand-over: a job record, a state machine that loops `move_batch` until nothing is left.

Safe to repeat at every level: a batch re-run finds the moved customers already gone from the
leaving rep's index; a customer moves in a transaction with its audit entry, conditional on the
version read, so a concurrent edit is retried instead of overwritten.
"""

import json
from typing import Any

from crm import audit, clock, events
from crm.audit import diff
from crm.auth import Principal, require, scope_for
from crm.aws import client
from crm.customers import repository as customers
from crm.customers.model import Customer
from crm.db import keys
from crm.db.models import CustomerItem, HandoverItem
from crm.db.paging import query_page
from crm.db.transaction import Transaction
from crm.errors import Conflict, InvalidInput, NotFound
from crm.handover.model import Handover, HandoverRequest
from crm.ids import new_id
from crm.orders import repository as orders
from crm.org import directory

BATCH_SIZE = 50
MAX_WORK_MOVED = 49  # open orders, then planned visits: two writes each, with the customer's two, within one
# transaction's 100 (past that, the oldest stay with the leaving rep and show in their lists)
MAX_SKIPPED_LISTED = 200
_MOVE_ATTEMPTS = 3


def _sfn() -> Any:
    return client("stepfunctions")


class HandoverService:
    def __init__(self, principal: Principal, state_machine_arn: str | None) -> None:
        self.p = principal
        self.tenant = principal.tenant_id
        self.state_machine_arn = state_machine_arn

    def start(self, request: HandoverRequest) -> Handover:
        require(self.p, "handover:start")
        if self.state_machine_arn is None:
            raise RuntimeError("HANDOVER_STATE_MACHINE_ARN is not configured")
        if request.from_user_id == request.to_user_id:
            raise InvalidInput("Hand over to someone else.", [{"field": "to_user_id", "message": "same as from"}])
        scope = scope_for(self.p, directory.caller_unit(self.tenant, self.p.org_unit_id).path)
        for field in ("from_user_id", "to_user_id"):
            user_id = getattr(request, field)
            user = directory.find_user(self.tenant, user_id)
            unit = directory.find_unit(self.tenant, user.org_unit_id) if user else None
            if unit is None or not scope.covers_unit(unit.path):
                raise InvalidInput("No such user in your scope.", [{"field": field, "message": f"{user_id!r}"}])
        to_user = directory.require_user(self.tenant, request.to_user_id, "to_user_id")
        job = HandoverItem(
            keys.handover_pk(self.tenant, (job_id := new_id())),
            keys.META,
            tenant_id=self.tenant,
            id=job_id,
            from_user_id=request.from_user_id,
            to_user_id=request.to_user_id,
            to_org_unit_id=to_user.org_unit_id,
            scope_path=scope.org_path,
            reason=request.reason,
            status="running",
            moved=0,
            skipped=[],
            requested_by=self.p.user_id,
            requested_at=clock.now_iso(),
        )
        job.save()
        # The execution name is the job id: starting it twice is a no-op in Step Functions.
        _sfn().start_execution(
            stateMachineArn=self.state_machine_arn,
            name=job_id,
            input=json.dumps({"tenant_id": self.tenant, "handover_id": job_id}),
        )
        return _to_model(job)

    def get(self, handover_id: str) -> Handover:
        require(self.p, "handover:read")
        scope = scope_for(self.p, directory.caller_unit(self.tenant, self.p.org_unit_id).path)
        job = _load(self.tenant, handover_id)
        if job is None or not scope.covers_unit(job.scope_path or "/"):  # started over a slice the caller covers
            raise NotFound(f"No hand-over {handover_id}.")
        return _to_model(job)


def move_batch(tenant_id: str, handover_id: str) -> dict[str, Any]:
    """One step of the state machine: move up to BATCH_SIZE customers, remember where we got to."""
    job = _load(tenant_id, handover_id)
    if job is None:
        raise NotFound(f"No hand-over {handover_id}.")
    if job.status != "running":
        if job.status == "completed":  # a batch run again after its end: the announcement may not have gone out
            _announce(job)
        return {"tenant_id": tenant_id, "handover_id": handover_id, "done": True, "moved": 0}
    page = query_page(
        CustomerItem,
        "gsi2pk",
        keys.owner_pk(tenant_id, job.from_user_id),
        limit=BATCH_SIZE,
        cursor=job.cursor,
        index_name="gsi2",
    )
    unit = directory.require_unit(tenant_id, job.to_org_unit_id, "to_org_unit_id")
    moved = 0
    for item in page.items:
        customer = customers.from_item(item)
        if job.scope_path and not customer.org_path.startswith(job.scope_path):
            if len(job.skipped) < MAX_SKIPPED_LISTED and customer.id not in job.skipped:
                job.skipped.append(customer.id)
            continue
        if _move(customer, job, unit):
            moved += 1
    job.moved += moved
    job.cursor = page.cursor
    if page.cursor is None:
        job.status, job.finished_at = "completed", clock.now_iso()
    job.save()  # conditional on its version: two runners of the same job cannot both advance it
    if job.status == "completed":
        _announce(job)
    return {"tenant_id": tenant_id, "handover_id": handover_id, "done": page.cursor is None, "moved": moved}


def _announce(job: HandoverItem) -> None:
    """HandoverFinished to the manager who started it, the leaving rep and the receiving rep. Raises when the bus
    refuses it, so the state machine retries the batch, which finds the job completed and announces it again
    (the same event id: nobody is told twice)."""
    recipients = list(dict.fromkeys([job.requested_by, job.from_user_id, job.to_user_id]))
    events.publish(
        "crm.handover",
        "HandoverFinished",
        {
            "tenant_id": job.tenant_id,
            "event_id": f"handover:{job.id}:completed",
            "handover_id": job.id,
            "from_user_id": job.from_user_id,
            "to_user_id": job.to_user_id,
            "moved": int(job.moved),
            "skipped": len(job.skipped or []),
            "requested_by": job.requested_by,
            "recipients": recipients,
        },
    )


def record_failure(tenant_id: str, handover_id: str, error: str) -> None:
    job = _load(tenant_id, handover_id)
    if job is not None and job.status == "running":
        job.status, job.finished_at, job.error = "failed", clock.now_iso(), error[:1000]
        job.save()


def _move(customer: Customer, job: HandoverItem, unit: directory.OrgUnit) -> bool:
    """Moves one customer, and its open work with it: open orders and the visits the leaving rep planned (the
    new owner follows them up, and sees them in their own list and route), in one transaction; re-reads and
    retries when someone edited any of them meanwhile."""
    from crm.visits import repository as visits  # the worker's alone: the customers API starts jobs, cold

    for _ in range(_MOVE_ATTEMPTS):
        if customer.owner_id != job.from_user_id:
            return False  # already moved (a repeated batch) or reassigned by someone else
        after = customer.model_copy(
            update={
                "owner_id": job.to_user_id,
                "org_unit_id": unit.id,
                "org_path": unit.path,
                "updated_at": clock.now(),
                "updated_by": job.requested_by,
            }
        )
        changes = diff(
            customer.model_dump(mode="json"),
            after.model_dump(mode="json"),
            frozenset({"updated_at", "updated_by", "version"}),
        )
        reason = f"{job.reason} (hand-over {job.id})"
        tx = Transaction()
        customers.stage_customer(tx, after)
        customers.stage_audit(tx, after, "handover", job.requested_by, changes, reason)
        open_orders = orders.open_orders(customer.tenant_id, customer.id)[:MAX_WORK_MOVED]
        for order in open_orders:
            moved = order.model_copy(update={"owner_id": job.to_user_id, "org_unit_id": unit.id, "org_path": unit.path})
            orders.stage_order(tx, moved)
            audit.stage(
                tx,
                keys.order_pk(order.tenant_id, order.id),
                order.tenant_id,
                "handover",
                job.requested_by,
                diff(order.model_dump(mode="json"), moved.model_dump(mode="json")),
                reason,
            )
        planned = visits.planned_for(customer.tenant_id, customer.id, job.from_user_id)
        for visit in planned[: MAX_WORK_MOVED - len(open_orders)]:
            moved_visit = visit.model_copy(
                update={"rep_id": job.to_user_id, "org_unit_id": unit.id, "org_path": unit.path}
            )
            visits.stage_visit(tx, moved_visit)
            visits.stage_audit(
                tx,
                moved_visit,
                "handover",
                job.requested_by,
                clock.now_iso(),
                diff(visit.model_dump(mode="json"), moved_visit.model_dump(mode="json")),
                reason,
            )
        try:
            tx.commit()
            return True
        except Conflict:
            fresh = customers.get(customer.tenant_id, customer.id)
            if fresh is None:
                return False
            customer = fresh
    raise Conflict(f"Customer {customer.id} kept changing; the hand-over will retry it.")


def _load(tenant_id: str, handover_id: str) -> HandoverItem | None:
    try:
        return HandoverItem.get(keys.handover_pk(tenant_id, handover_id), keys.META)
    except HandoverItem.DoesNotExist:
        return None


def _to_model(job: HandoverItem) -> Handover:
    return Handover(
        id=job.id,
        from_user_id=job.from_user_id,
        to_user_id=job.to_user_id,
        to_org_unit_id=job.to_org_unit_id,
        reason=job.reason,
        status=job.status,
        moved=int(job.moved),
        skipped=list(job.skipped or []),
        requested_by=job.requested_by,
        requested_at=job.requested_at,
        finished_at=job.finished_at,
        error=job.error,
        version=job.version or 0,
    )
