"""Order use cases (订货单). Each authorizes first (role → 403), then reads, then checks scope (→ 404).

Every state change goes through `transition(...)`: the model's ORDER_TRANSITIONS decides whether the
action is allowed (409 otherwise), and the order, its history entry and an audit entry are written in
one TransactWriteItems, conditional on the version read.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from crm import audit, clock, versions
from crm.approvals import service as approvals
from crm.approvals.model import ApprovalRequest, Kind
from crm.audit import BOOKKEEPING, diff
from crm.auth import Principal, Scope, require, scope_for
from crm.customers import repository as customers_repo
from crm.customers.model import Customer, CustomerType
from crm.customers.service import CustomerService
from crm.db import keys
from crm.db.paging import Page
from crm.db.transaction import Transaction
from crm.errors import Conflict, Forbidden, InvalidInput, NotFound
from crm.ids import new_id
from crm.inventory import shipments as inventory_shipments
from crm.orders import events, pricing
from crm.orders import repository as repo
from crm.orders.model import (
    ORDER_TRANSITIONS,
    Order,
    OrderAction,
    OrderCreate,
    OrderFilters,
    OrderPatch,
    OrderState,
    ProcessedReport,
    Shipment,
    ShipmentReport,
    SkuBatchQuantity,
    Transition,
    TransitionPage,
    money,
    next_state,
)
from crm.org import directory

Publisher = Callable[[Order, str], None]


def plan_approval(principal: Principal, order: Order) -> approvals.Planned:
    """The approval run an order gets when submitted: the tenant's policy picks the steps from the total and
    from the customer's credit (422 when nobody can approve it: the order is not submitted then)."""
    return approvals.plan(
        principal,
        ApprovalRequest(
            kind=Kind.ORDER,
            subject_id=order.id,
            subject_label=f"{order.customer_name} · {order.total}",
            org_unit_id=order.org_unit_id,
            amount=order.total,
            over_credit=over_credit(order),
        ),
    )


OUTSTANDING = frozenset({OrderState.APPROVED, OrderState.PROCESSED, OrderState.SHIPPED})


def over_credit(order: Order) -> bool:
    """Would this order take the customer past its credit limit (orders approved but not yet closed)?"""
    customer = customers_repo.get(order.tenant_id, order.customer_id)
    limit = getattr(customer.profile, "credit_limit", None) if customer else None
    if limit is None:
        return False
    outstanding, cursor = Decimal("0"), None
    while True:
        page = repo.list_by_customer(order.tenant_id, order.customer_id, OrderFilters(), 100, cursor)
        outstanding += sum((o.total for o in page.items if o.state in OUTSTANDING), Decimal("0"))
        if not (cursor := page.cursor):
            break
    return outstanding + order.total > limit


def transition(
    before: Order,
    action: OrderAction,
    by: str,
    comment: str | None = None,
    update: dict[str, Any] | None = None,
    tx: Transaction | None = None,
) -> Order:
    """The one way an order changes: table check, then order + history + audit in one transaction.

    Pass `tx` to add the writes of another record (a return request) to the same transaction.
    """
    to = next_state(ORDER_TRANSITIONS, "order", before.state, action)
    now = clock.now()
    after = before.model_copy(update={**(update or {}), "state": to, "updated_at": now, "updated_by": by})
    pk = keys.order_pk(before.tenant_id, before.id)
    tx = tx or Transaction()
    repo.stage_order(tx, after)
    repo.stage_transition(
        tx,
        pk,
        Transition(
            id=new_id(),
            action=action.value,
            from_state=before.state.value,
            to_state=to.value,
            by=by,
            at=now,
            comment=comment,
        ),
    )
    changes = diff(before.model_dump(mode="json"), after.model_dump(mode="json"), BOOKKEEPING)
    audit.stage(tx, pk, before.tenant_id, action.value, by, changes, comment, now.isoformat())
    tx.commit()
    return after.model_copy(update={"version": before.version + 1})


def _stored(tenant_id: str, order_id: str) -> Order:
    order = repo.get(tenant_id, order_id)
    if order is None:
        raise NotFound(f"No order {order_id}.")
    return order


def _check_version(order: Order, if_match: int | None) -> None:
    versions.check("order", order.version, if_match)


class OrderService:
    def __init__(self, principal: Principal) -> None:
        self.p = principal
        self.tenant = principal.tenant_id

    @property
    def scope(self) -> Scope:
        return scope_for(self.p, directory.caller_unit(self.tenant, self.p.org_unit_id).path)

    # ------------------------------------------------------------------ reads

    def get(self, order_id: str) -> Order:
        require(self.p, "order:read")
        return self.visible(order_id)

    def visible(self, order_id: str) -> Order:
        """The order, if its customer is in the caller's scope now (after a hand-over, the new owner's)."""
        scope = self.scope
        order = repo.get(self.tenant, order_id)
        if order is None or not (scope.whole_tenant or self._covers(scope, order.customer_id)):
            raise NotFound(f"No order {order_id}.")
        return order

    def _covers(self, scope: Scope, customer_id: str) -> bool:
        customer = customers_repo.get(self.tenant, customer_id)
        return customer is not None and scope.covers(customer)

    def list(self, filters: OrderFilters, limit: int, cursor: str | None) -> Page[Order]:
        require(self.p, "order:read")
        scope = self.scope
        if filters.customer_id:
            CustomerService(self.p).get(filters.customer_id)  # 404 outside scope
            return repo.list_by_customer(self.tenant, filters.customer_id, filters, limit, cursor)
        if scope.customer_id is not None:
            return repo.list_by_customer(self.tenant, scope.customer_id, filters, limit, cursor)
        if scope.owner_id is not None:
            return repo.list_by_owner(self.tenant, scope.owner_id, filters, limit, cursor)
        return repo.list_by_org_path(self.tenant, scope.org_path or "/", filters, limit, cursor)

    def history(self, order_id: str, limit: int, cursor: str | None) -> TransitionPage:
        require(self.p, "order:read")
        self.visible(order_id)
        page = repo.list_transitions(keys.order_pk(self.tenant, order_id), limit, cursor)
        return TransitionPage(items=page.items, next_cursor=page.cursor)

    # ------------------------------------------------------------------ the rep's or distributor's actions

    def create(self, body: OrderCreate) -> Order:
        require(self.p, "order:create")
        customer = self._customer(body.customer_id)
        now = clock.now()
        lines = pricing.priced_lines(self.p, customer, body.lines)
        order = Order(
            id=new_id(),
            tenant_id=self.tenant,
            customer_id=customer.id,
            customer_name=customer.name,
            customer_type=customer.type.value,
            customer_level=customer.level.value if customer.level else None,
            owner_id=customer.owner_id,
            org_unit_id=customer.org_unit_id,
            org_path=customer.org_path,
            state=OrderState.SAVED,
            lines=lines,
            total=_total(lines),
            remarks=body.remarks,
            created_at=now,
            created_by=self.p.user_id,
            updated_at=now,
            updated_by=self.p.user_id,
        )
        pk = keys.order_pk(self.tenant, order.id)
        tx = Transaction()
        repo.stage_order(tx, order)
        repo.stage_transition(
            tx,
            pk,
            Transition(
                id=new_id(), action="create", from_state=None, to_state=order.state.value, by=self.p.user_id, at=now
            ),
        )
        audit.stage(
            tx,
            pk,
            self.tenant,
            "create",
            self.p.user_id,
            diff(None, order.model_dump(mode="json"), BOOKKEEPING),
            at=now.isoformat(),
        )
        tx.commit()
        return order.model_copy(update={"version": 1})

    def update(self, order_id: str, if_match: int, patch: OrderPatch) -> Order:
        require(self.p, "order:create")
        before = self.visible(order_id)
        _check_version(before, if_match)
        next_state(ORDER_TRANSITIONS, "order", before.state, OrderAction.EDIT)  # 409 before any pricing
        changes: dict[str, Any] = {}
        fields = patch.model_fields_set
        if "lines" in fields and patch.lines is not None:
            lines = pricing.priced_lines(self.p, self._customer(before.customer_id), patch.lines)
            changes.update(lines=lines, total=_total(lines))
        if "remarks" in fields:
            changes["remarks"] = patch.remarks
        return transition(before, OrderAction.EDIT, self.p.user_id, update=changes)

    def submit(self, order_id: str, comment: str | None, if_match: int | None = None) -> Order:
        require(self.p, "order:create")
        before = self.visible(order_id)
        _check_version(before, if_match)
        next_state(ORDER_TRANSITIONS, "order", before.state, OrderAction.SUBMIT)  # 409 before anything is read
        planned = plan_approval(self.p, before)
        tx = Transaction()
        run = approvals.stage(tx, self.p, planned)  # the order and its approval run: both or neither
        submitted = transition(
            before,
            OrderAction.SUBMIT,
            self.p.user_id,
            comment,
            {"submitted_by": self.p.user_id, "submitted_at": clock.now()},
            tx,
        )
        approvals.launch(run)
        return submitted

    def withdraw(self, order_id: str, comment: str | None, if_match: int | None = None) -> Order:
        require(self.p, "order:create")
        before = self.visible(order_id)
        _check_version(before, if_match)
        if before.state == OrderState.SUBMITTED and before.submitted_by != self.p.user_id:
            raise Forbidden("Only the person who submitted the order may withdraw it.")
        tx = Transaction()
        run = approvals.stage_withdraw(tx, self.p, Kind.ORDER, order_id)  # the waiting run ends with it
        withdrawn = transition(before, OrderAction.WITHDRAW, self.p.user_id, comment, tx=tx)
        approvals.after_withdraw(run)
        return withdrawn

    def void(self, order_id: str, reason: str, if_match: int | None = None) -> Order:
        require(self.p, "order:void")
        before = self.visible(order_id)
        _check_version(before, if_match)
        return transition(before, OrderAction.VOID, self.p.user_id, reason)

    def close(self, order_id: str, comment: str | None, if_match: int | None = None) -> Order:
        require(self.p, "order:create")
        before = self.visible(order_id)
        _check_version(before, if_match)
        return transition(before, OrderAction.CLOSE, self.p.user_id, comment)

    # ------------------------------------------------------------------ approval (crm.orders.approval)

    @staticmethod
    def mark_approved(
        tenant_id: str, order_id: str, by: str, comment: str | None = None, publish: Publisher = events.publish_approved
    ) -> Order:
        """submitted → approved, then OrderApproved on the event bus for the ERP.

        Safe to retry: an order already approved is not changed again, its event is published again
        (the ERP keys on order_id). A lost race with another change is a Conflict (409).
        """
        before = _stored(tenant_id, order_id)
        if before.state == OrderState.APPROVED:
            publish(before, before.updated_by)
            return before
        approved = transition(before, OrderAction.APPROVE, by, comment)
        publish(approved, by)
        return approved

    @staticmethod
    def mark_rejected(tenant_id: str, order_id: str, by: str, comment: str | None = None) -> Order:
        """submitted → saved: the submitter may change the order and submit it again."""
        return transition(_stored(tenant_id, order_id), OrderAction.REJECT, by, comment)

    @staticmethod
    def mark_expired(tenant_id: str, order_id: str, reason: str | None) -> Order:
        """submitted → saved, nobody having decided in time; the reason is in the order's history."""
        return transition(_stored(tenant_id, order_id), OrderAction.EXPIRE, "system", reason)

    # ------------------------------------------------------------------ the ERP's reports

    def processed(self, order_id: str, report: ProcessedReport) -> Order:
        """approved → processed; the same report again answers the order as it is."""
        require(self.p, "order:erp")
        before = self.visible(order_id)
        if before.erp_order_no is not None:
            if before.erp_order_no == report.erp_order_no:
                return before
            raise Conflict(
                f"The order was already processed as ERP order {before.erp_order_no}.",
                state=before.state.value,
                action=OrderAction.PROCESS.value,
            )
        return transition(
            before,
            OrderAction.PROCESS,
            self.p.user_id,
            f"ERP order {report.erp_order_no}",
            {"erp_order_no": report.erp_order_no},
        )

    def ship(self, order_id: str, report: ShipmentReport) -> Order:
        """processed → shipped on the first delivery, shipped → shipped on the next; a known delivery_no is a no-op."""
        require(self.p, "order:erp")
        before = self.visible(order_id)
        lines = [SkuBatchQuantity(sku=line.sku, batch=line.batch, quantity=line.quantity) for line in report.lines]
        for known in before.shipments:
            if known.delivery_no == report.delivery_no:
                if _totals(known.lines) != _totals(lines) or known.outbound_no != report.outbound_no:
                    raise Conflict(
                        f"Delivery {report.delivery_no} was already reported with other contents.", field="delivery_no"
                    )
                return before
        shipped = _check_shipment(before, lines)
        shipment = Shipment(
            delivery_no=report.delivery_no,
            outbound_no=report.outbound_no,
            lines=lines,
            reported_at=clock.now(),
            reported_by=self.p.user_id,
        )
        tx = Transaction()
        if before.customer_type == CustomerType.DISTRIBUTOR:  # the "in" of its channel inventory, same commit
            inventory_shipments.stage(tx, before.tenant_id, before.customer_id, before.id, shipment)
        return transition(
            before,
            OrderAction.SHIP,
            self.p.user_id,
            f"delivery {report.delivery_no}, outbound {report.outbound_no}",
            {"shipments": [*before.shipments, shipment], "shipped": shipped},
            tx,
        )

    # ------------------------------------------------------------------ helpers

    def _customer(self, customer_id: str | None) -> Customer:
        """The customer the order is for: in the caller's scope (404 otherwise), not voided."""
        if customer_id is None:
            if not self.p.distributor_id:
                raise InvalidInput(
                    "Say which customer the order is for.", [{"field": "customer_id", "message": "required"}]
                )
            customer_id = self.p.distributor_id
        customer = CustomerService(self.p).get(customer_id)
        if customer.voided:
            raise Conflict("The customer is voided; restore it before ordering for it.", field="customer_id")
        return customer


def _total(lines: list[Any]) -> Decimal:
    return money(sum((line.amount for line in lines), Decimal("0")))


def _totals(lines: list[SkuBatchQuantity]) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for line in lines:
        found[(line.sku, line.batch)] = found.get((line.sku, line.batch), 0) + line.quantity
    return found


def as_lines(totals: dict[tuple[str, str], int]) -> list[SkuBatchQuantity]:
    return [SkuBatchQuantity(sku=s, batch=b, quantity=q) for (s, b), q in sorted(totals.items()) if q > 0]


def _check_shipment(order: Order, lines: list[SkuBatchQuantity]) -> list[SkuBatchQuantity]:
    """Per sku, never more shipped than ordered; the new per sku+batch totals."""
    ordered = {line.sku: line.quantity for line in order.lines}
    totals = _totals([*order.shipped, *lines])
    per_sku: dict[str, int] = {}
    for (sku, _), qty in totals.items():
        per_sku[sku] = per_sku.get(sku, 0) + qty
    errors = []
    for n, line in enumerate(lines):
        if line.sku not in ordered:
            errors.append({"field": f"lines.{n}.sku", "message": f"{line.sku} is not on this order"})
        elif per_sku[line.sku] > ordered[line.sku]:
            errors.append(
                {
                    "field": f"lines.{n}.quantity",
                    "message": f"{line.sku}: {per_sku[line.sku]} shipped in all, {ordered[line.sku]} ordered",
                }
            )
    if errors:
        raise InvalidInput("The shipment does not match the order.", errors)
    return as_lines(totals)
