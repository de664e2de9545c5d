"""Orders and return requests in DynamoDB: the records, their transition history and audit entries.

Maps explicitly between the stored shapes (crm.db.models) and the service models (crm.orders.model).
Nothing here decides a rule; a failed version condition becomes a Conflict in crm.db.transaction.
"""

from typing import Any

from pynamodb.expressions.condition import Condition

from crm.db import keys
from crm.db.models import OrderItem, ReturnItem, TransitionItem
from crm.db.paging import Page, all_of, query_page
from crm.db.transaction import Transaction
from crm.orders.model import Order, OrderFilters, OrderState, ReturnRequest, Transition

_ORDER_TOP = ("id", "tenant_id", "state", "customer_id", "owner_id", "org_path")
OPEN_STATES = tuple(s.value for s in OrderState if s not in (OrderState.CLOSED, OrderState.VOID))
_RETURN_TOP = ("id", "tenant_id", "order_id", "state")


def month_of(order: Order) -> str:
    return order.created_at.strftime("%Y-%m")


# ----------------------------------------------------------------------------- orders


def to_item(order: Order) -> OrderItem:
    data = order.model_dump(mode="json")
    t, oid, month = order.tenant_id, order.id, month_of(order)
    item = OrderItem(
        keys.order_pk(t, oid),
        keys.META,
        gsi1pk=keys.orders_scope_pk(t),
        gsi1sk=f"{order.org_path}#{oid}",
        gsi2pk=keys.order_owner_pk(t, order.owner_id) if order.owner_id else None,
        gsi2sk=f"{month}#{oid}" if order.owner_id else None,
        gsi4pk=keys.customer_orders_pk(t, order.customer_id),
        gsi4sk=f"{month}#{oid}",
        created_month=month,
        doc={k: v for k, v in data.items() if k not in _ORDER_TOP and k != "version"},
        **{k: data[k] for k in _ORDER_TOP},
    )
    if order.version:
        item.version = order.version  # the version read; the write is conditional on it
    return item


def from_item(item: OrderItem) -> Order:
    data: dict[str, Any] = dict(item.doc.as_dict())
    data.update({k: getattr(item, k) for k in _ORDER_TOP})
    data["version"] = item.version or 0
    return Order.model_validate(data)


def get(tenant_id: str, order_id: str) -> Order | None:
    try:
        return from_item(OrderItem.get(keys.order_pk(tenant_id, order_id), keys.META))
    except OrderItem.DoesNotExist:
        return None


def stage_order(tx: Transaction, order: Order) -> None:
    """Create (version 0: must not exist) or replace (must still be at the version read)."""
    tx.put(to_item(order))


def _order_filter(f: OrderFilters, by_month: bool) -> Condition | None:
    return all_of(
        OrderItem.state == f.state if f.state else None,
        OrderItem.created_month == f.month if f.month and by_month else None,
    )


def list_by_org_path(tenant_id: str, org_path: str, f: OrderFilters, limit: int, cursor: str | None) -> Page[Order]:
    page = query_page(
        OrderItem,
        "gsi1pk",
        keys.orders_scope_pk(tenant_id),
        limit=limit,
        cursor=cursor,
        range_condition=OrderItem.gsi1sk.startswith(org_path),
        filter_condition=_order_filter(f, True),
        index_name="gsi1",
        forward=False,
    )
    return Page([from_item(i) for i in page.items], page.cursor)


def list_by_owner(tenant_id: str, owner_id: str, f: OrderFilters, limit: int, cursor: str | None) -> Page[Order]:
    page = query_page(
        OrderItem,
        "gsi2pk",
        keys.order_owner_pk(tenant_id, owner_id),
        limit=limit,
        cursor=cursor,
        range_condition=OrderItem.gsi2sk.startswith(f"{f.month}#") if f.month else None,
        filter_condition=_order_filter(f, False),
        index_name="gsi2",
        forward=False,
    )
    return Page([from_item(i) for i in page.items], page.cursor)


def list_by_customer(tenant_id: str, customer_id: str, f: OrderFilters, limit: int, cursor: str | None) -> Page[Order]:
    page = query_page(
        OrderItem,
        "gsi4pk",
        keys.customer_orders_pk(tenant_id, customer_id),
        limit=limit,
        cursor=cursor,
        range_condition=OrderItem.gsi4sk.startswith(f"{f.month}#") if f.month else None,
        filter_condition=_order_filter(f, False),
        index_name="gsi4",
        forward=False,
    )
    return Page([from_item(i) for i in page.items], page.cursor)


def open_orders(tenant_id: str, customer_id: str) -> list[Order]:
    """A customer's orders not yet closed or void (a hand-over moves them with the customer)."""
    found = OrderItem.by_customer.query(
        keys.customer_orders_pk(tenant_id, customer_id), filter_condition=OrderItem.state.is_in(*OPEN_STATES)
    )
    return [from_item(i) for i in found]


# ----------------------------------------------------------------------------- history and audit


def stage_transition(tx: Transaction, pk: str, entry: Transition) -> None:
    tx.put(
        TransitionItem(
            pk,
            f"HIST#{entry.id}",
            action=entry.action,
            from_state=entry.from_state,
            to_state=entry.to_state,
            by=entry.by,
            at=entry.at.isoformat(),
            comment=entry.comment,
        ),
        condition=TransitionItem.sk.does_not_exist(),
    )


def list_transitions(pk: str, limit: int, cursor: str | None) -> Page[Transition]:
    """Oldest first: a history reads like the story of the record."""
    page = query_page(
        TransitionItem, "pk", pk, limit=limit, cursor=cursor, range_condition=TransitionItem.sk.startswith("HIST#")
    )
    return Page(
        [
            Transition(
                id=i.sk.removeprefix("HIST#"),
                action=i.action,
                from_state=i.from_state,
                to_state=i.to_state,
                by=i.by,
                at=i.at,
                comment=i.comment,
            )
            for i in page.items
        ],
        page.cursor,
    )


# ----------------------------------------------------------------------------- returns


def to_return_item(ret: ReturnRequest) -> ReturnItem:
    data = ret.model_dump(mode="json")
    item = ReturnItem(
        keys.return_pk(ret.tenant_id, ret.id),
        keys.META,
        gsi1pk=keys.order_returns_pk(ret.tenant_id, ret.order_id),
        gsi1sk=ret.id,
        doc={k: v for k, v in data.items() if k not in _RETURN_TOP and k != "version"},
        **{k: data[k] for k in _RETURN_TOP},
    )
    if ret.version:
        item.version = ret.version
    return item


def from_return_item(item: ReturnItem) -> ReturnRequest:
    data: dict[str, Any] = dict(item.doc.as_dict())
    data.update({k: getattr(item, k) for k in _RETURN_TOP})
    data["version"] = item.version or 0
    return ReturnRequest.model_validate(data)


def get_return(tenant_id: str, return_id: str) -> ReturnRequest | None:
    try:
        return from_return_item(ReturnItem.get(keys.return_pk(tenant_id, return_id), keys.META))
    except ReturnItem.DoesNotExist:
        return None


def stage_return(tx: Transaction, ret: ReturnRequest) -> None:
    tx.put(to_return_item(ret))


def list_returns(tenant_id: str, order_id: str, limit: int, cursor: str | None) -> Page[ReturnRequest]:
    page = query_page(
        ReturnItem,
        "gsi1pk",
        keys.order_returns_pk(tenant_id, order_id),
        limit=limit,
        cursor=cursor,
        index_name="gsi1",
        forward=False,
    )
    return Page([from_return_item(i) for i in page.items], page.cursor)
