"""Our shipments to a distributor as the ERP reports them: the "in" of its channel inventory.

Written in the same transaction as the order's shipment (crm.orders.service.ship), one item per delivery,
under the month it was reported in. History from before the ERP interface comes as a shipments file.
"""

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from crm.db import keys
from crm.db.models import ShipmentItem
from crm.db.transaction import Transaction


def stage(tx: Transaction, tenant_id: str, distributor_id: str, order_id: str, shipment: Any) -> None:
    day = shipment.reported_at.date().isoformat()
    tx.put(
        ShipmentItem(
            keys.shipped_pk(tenant_id, day[:7]),
            f"{distributor_id}#{order_id}#{shipment.delivery_no}",
            distributor_id=distributor_id,
            order_id=order_id,
            shipped_on=day,
            lines=[{"sku": line.sku, "batch": line.batch, "quantity": line.quantity} for line in shipment.lines],
        )
    )


def of_period(tenant_id: str, period: str, distributor_id: str | None = None) -> list[ShipmentItem]:
    condition = ShipmentItem.sk.startswith(f"{distributor_id}#") if distributor_id else None
    return list(ShipmentItem.query(keys.shipped_pk(tenant_id, period), condition))


class Delivered(NamedTuple):
    """One line of a delivery the ERP reported, in base units."""

    distributor_id: str
    order_id: str
    sku: str
    batch: str | None
    quantity: float


def delivered(items: Iterable[ShipmentItem]) -> Iterator[Delivered]:
    """Every line of these deliveries (the channel inventory's "in", diversion's "shipped to", sell-in)."""
    for item in items:
        for line in item.lines:
            line = line.as_dict() if hasattr(line, "as_dict") else line
            batch = line.get("batch")
            yield Delivered(
                item.distributor_id,
                item.order_id,
                str(line["sku"]),
                str(batch) if batch else None,
                float(line["quantity"]),
            )
