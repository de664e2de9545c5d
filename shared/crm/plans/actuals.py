"""What was actually ordered in a month, for the plan vs actual report. Read-only over the orders' records.

Actual = orders in state approved or later (approved, processed, shipped, closed), counted in the
month they were created: the order record carries no approval date and no index is keyed by one (see
docs/access-patterns.md). Returns are not subtracted.

How: one Query of the orders' gsi1 (T#t#ORDERS, begins_with the org path), FilterExpression on the
state and `created_month`. It reads every order of the subtree, of every month, so its cost grows with
history; an index keyed by month (e.g. T#t#ORDERMONTH#<yyyy-mm> / <org path>#<id>, written on approval)
would make it one month's orders.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from crm.db import keys
from crm.db.models import OrderItem

ACTUAL_STATES = ("approved", "processed", "shipped", "closed")
BASIS = "orders approved, processed, shipped or closed, by the month they were created; returns not subtracted"


@dataclass(frozen=True)
class ActualLine:
    order_id: str
    sku: str
    product_name: str
    customer_id: str
    customer_name: str
    owner_id: str | None
    org_unit_id: str
    quantity: int
    amount: Decimal


def order_lines(tenant_id: str, month: str, org_path: str | None) -> Iterator[ActualLine]:
    """Every line of the month's actual orders under `org_path` (None: the whole tenant)."""
    where = OrderItem.state.is_in(*ACTUAL_STATES) & (OrderItem.created_month == month)
    for item in OrderItem.by_scope.query(
        keys.orders_scope_pk(tenant_id), OrderItem.gsi1sk.startswith(org_path or "/"), filter_condition=where
    ):
        doc = item.doc.as_dict()
        for line in doc.get("lines") or []:
            yield ActualLine(
                order_id=item.id,
                sku=line["sku"],
                product_name=line.get("name") or line["sku"],
                customer_id=item.customer_id,
                customer_name=doc.get("customer_name") or item.customer_id,
                owner_id=item.owner_id,
                org_unit_id=doc.get("org_unit_id") or "",
                quantity=int(line["quantity"]),
                amount=Decimal(str(line["amount"])),
            )
