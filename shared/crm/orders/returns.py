"""Return requests (退货申请) against a shipped order, approved like orders.

A request reserves its quantities on the order (`order.returned`, per sku and batch) in the same
transaction that creates it, so two requests racing for the same goods cannot both pass: the second
fails on the order's version. A rejection gives the quantities back, again in one transaction.
"""

from decimal import Decimal
from typing import Any

from crm import audit, clock
from crm.approvals import service as approvals
from crm.approvals.model import ApprovalRequest, Kind
from crm.audit import BOOKKEEPING, diff
from crm.auth import Principal, require
from crm.db import keys
from crm.db.paging import Page
from crm.db.transaction import Transaction
from crm.errors import DomainError, NotFound
from crm.ids import new_id
from crm.orders import repository as repo
from crm.orders.model import (
    ORDER_TRANSITIONS,
    RETURN_TRANSITIONS,
    Order,
    OrderAction,
    ReturnAction,
    ReturnCreate,
    ReturnLine,
    ReturnPage,
    ReturnRequest,
    ReturnState,
    SkuBatchQuantity,
    Transition,
    TransitionPage,
    money,
    next_state,
)
from crm.orders.service import OrderService, _totals, as_lines
from crm.orders.service import transition as order_transition


class ReturnExceedsShipped(DomainError):
    status = 422
    title = "Unprocessable content"

    def __init__(self, errors: list[dict[str, str]], remaining: list[SkuBatchQuantity]) -> None:
        super().__init__(
            "A return may not exceed what was shipped minus what is already returned or requested.",
            errors=errors,
            remaining=[r.model_dump() for r in remaining],
        )


def plan_approval(principal: Principal, ret: ReturnRequest, order: Order) -> approvals.Planned:
    """The approval run of a return request, planned before it is stored (422 when nobody can approve it)."""
    return approvals.plan(
        principal,
        ApprovalRequest(
            kind=Kind.RETURN,
            subject_id=ret.id,
            subject_label=f"{order.customer_name} · return {ret.total}",
            org_unit_id=order.org_unit_id,
            amount=ret.total,
        ),
    )


def _change(
    before: ReturnRequest | None,
    after: ReturnRequest,
    action: ReturnAction,
    by: str,
    comment: str | None,
    tx: Transaction,
) -> None:
    """Stages a return's write with its history and audit entry; the caller commits."""
    now = after.updated_at
    pk = keys.return_pk(after.tenant_id, after.id)
    repo.stage_return(tx, after)
    repo.stage_transition(
        tx,
        pk,
        Transition(
            id=new_id(),
            action=action.value,
            from_state=before.state.value if before else None,
            to_state=after.state.value,
            by=by,
            at=now,
            comment=comment,
        ),
    )
    changes = diff(before.model_dump(mode="json") if before else None, after.model_dump(mode="json"), BOOKKEEPING)
    audit.stage(tx, pk, after.tenant_id, action.value, by, changes, comment, now.isoformat())


def _transition(
    before: ReturnRequest,
    action: ReturnAction,
    by: str,
    comment: str | None,
    order_change: tuple[Order, OrderAction, dict[str, Any]] | None = None,
) -> ReturnRequest:
    to = next_state(RETURN_TRANSITIONS, "return request", before.state, action)
    after = before.model_copy(update={"state": to, "updated_at": clock.now(), "updated_by": by})
    tx = Transaction()
    _change(before, after, action, by, comment, tx)
    if order_change is None:
        tx.commit()
    else:
        order, order_action, update = order_change
        order_transition(order, order_action, by, f"return {before.id}: {comment or action.value}", update, tx)
    return after.model_copy(update={"version": before.version + 1})


def _stored(tenant_id: str, return_id: str) -> ReturnRequest:
    ret = repo.get_return(tenant_id, return_id)
    if ret is None:
        raise NotFound(f"No return request {return_id}.")
    return ret


class ReturnService:
    def __init__(self, principal: Principal) -> None:
        self.p = principal
        self.tenant = principal.tenant_id
        self.orders = OrderService(principal)

    def create(self, order_id: str, body: ReturnCreate) -> ReturnRequest:
        require(self.p, "order:create")
        order = self.orders.visible(order_id)
        next_state(ORDER_TRANSITIONS, "order", order.state, OrderAction.RETURN)  # 409 unless shipped or closed
        next_state(RETURN_TRANSITIONS, "return request", None, ReturnAction.SUBMIT)
        returned = _check_quantities(order, body)
        prices = {line.sku: line.unit_price for line in order.lines}
        lines = [
            ReturnLine(
                sku=line.sku,
                batch=line.batch,
                quantity=line.quantity,
                unit_price=prices[line.sku],
                amount=money(prices[line.sku] * line.quantity),
            )
            for line in body.lines
        ]
        now = clock.now()
        ret = ReturnRequest(
            id=new_id(),
            tenant_id=self.tenant,
            order_id=order.id,
            customer_id=order.customer_id,
            owner_id=order.owner_id,
            org_path=order.org_path,
            state=ReturnState.SUBMITTED,
            lines=lines,
            total=money(sum((line.amount for line in lines), Decimal("0"))),
            reason=body.reason,
            created_at=now,
            created_by=self.p.user_id,
            updated_at=now,
            updated_by=self.p.user_id,
        )
        planned = plan_approval(self.p, ret, order)
        tx = Transaction()
        _change(None, ret, ReturnAction.SUBMIT, self.p.user_id, body.reason, tx)
        run = approvals.stage(tx, self.p, planned)  # the return, the order's reservation and the run: one commit
        order_transition(
            order, OrderAction.RETURN, self.p.user_id, f"return {ret.id}: {body.reason}", {"returned": returned}, tx
        )
        ret = ret.model_copy(update={"version": 1})
        approvals.launch(run)
        return ret

    def get(self, return_id: str) -> ReturnRequest:
        require(self.p, "order:read")
        return self._visible(return_id)

    def _visible(self, return_id: str) -> ReturnRequest:
        ret = repo.get_return(self.tenant, return_id)
        if ret is None:
            raise NotFound(f"No return request {return_id}.")
        try:
            self.orders.visible(ret.order_id)
        except NotFound:
            raise NotFound(f"No return request {return_id}.") from None
        return ret

    def of_order(self, order_id: str, limit: int, cursor: str | None) -> ReturnPage:
        require(self.p, "order:read")
        self.orders.visible(order_id)
        page: Page[ReturnRequest] = repo.list_returns(self.tenant, order_id, limit, cursor)
        return ReturnPage(items=page.items, next_cursor=page.cursor)

    def history(self, return_id: str, limit: int, cursor: str | None) -> TransitionPage:
        require(self.p, "order:read")
        self._visible(return_id)
        page = repo.list_transitions(keys.return_pk(self.tenant, return_id), limit, cursor)
        return TransitionPage(items=page.items, next_cursor=page.cursor)

    def close(self, return_id: str, comment: str | None) -> ReturnRequest:
        """approved → closed, once the goods are back."""
        require(self.p, "order:create")
        return _transition(self._visible(return_id), ReturnAction.CLOSE, self.p.user_id, comment)

    # ------------------------------------------------------------------ approval (crm.orders.approval)

    @staticmethod
    def mark_approved(tenant_id: str, return_id: str, by: str, comment: str | None = None) -> ReturnRequest:
        """submitted → approved; the reserved quantities stay reserved."""
        return _transition(_stored(tenant_id, return_id), ReturnAction.APPROVE, by, comment)

    @staticmethod
    def mark_rejected(tenant_id: str, return_id: str, by: str, comment: str | None = None) -> ReturnRequest:
        """submitted → rejected, and its quantities go back to the order in the same transaction."""
        return _release(_stored(tenant_id, return_id), ReturnAction.REJECT, by, comment)

    @staticmethod
    def mark_expired(tenant_id: str, return_id: str, reason: str | None) -> ReturnRequest:
        """submitted → expired, nobody having decided in time: like a rejection, its quantities go back."""
        return _release(_stored(tenant_id, return_id), ReturnAction.EXPIRE, "system", reason)


def _release(ret: ReturnRequest, action: ReturnAction, by: str, comment: str | None) -> ReturnRequest:
    """The return ends unapproved (rejected, expired) and its reserved quantities go back to the order."""
    next_state(RETURN_TRANSITIONS, "return request", ret.state, action)
    order = repo.get(ret.tenant_id, ret.order_id)
    if order is None:
        raise NotFound(f"No order {ret.order_id}.")
    totals = _totals(order.returned)
    for line in ret.lines:
        totals[(line.sku, line.batch)] = totals.get((line.sku, line.batch), 0) - line.quantity
    release = (order, OrderAction.RETURN_RELEASED, {"returned": as_lines(totals)})
    return _transition(ret, action, by, comment, release)


def _check_quantities(order: Order, body: ReturnCreate) -> list[SkuBatchQuantity]:
    """Per sku and batch: asked ≤ shipped − returned (pending requests included). The new returned totals."""
    shipped, returned = _totals(order.shipped), _totals(order.returned)
    errors = []
    for n, line in enumerate(body.lines):
        key = (line.sku, line.batch)
        left = shipped.get(key, 0) - returned.get(key, 0)
        if line.quantity > left:
            errors.append(
                {
                    "field": f"lines.{n}.quantity",
                    "message": f"{line.sku} batch {line.batch}: {left} may still be returned "
                    f"(shipped {shipped.get(key, 0)}, returned or requested {returned.get(key, 0)})",
                }
            )
        returned[key] = returned.get(key, 0) + line.quantity
    if errors:
        remaining = [
            SkuBatchQuantity(sku=s, batch=b, quantity=q - _totals(order.returned).get((s, b), 0))
            for (s, b), q in sorted(shipped.items())
        ]
        raise ReturnExceedsShipped(errors, remaining)
    return as_lines(returned)
