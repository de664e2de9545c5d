"""Events for the ERP: an approved order is published on the EventBridge bus (detail-type OrderApproved).

The client is the container's cached one (crm.aws), the bus name from settings. Without a bus
configured (data-layer tests) nothing is sent.
"""

import json
from typing import Any

from aws_lambda_powertools import Logger

from crm.aws import client
from crm.config import get_settings
from crm.errors import RetryableError
from crm.orders.model import Order

SOURCE = "crm.orders"
ORDER_APPROVED = "OrderApproved"
logger = Logger(child=True)


def approved_detail(order: Order, approved_by: str) -> dict[str, Any]:
    """What the ERP needs to take the order over: who buys, what, at which price, the totals."""
    data = order.model_dump(mode="json")
    return {
        "tenant_id": order.tenant_id,
        "order_id": order.id,
        "version": order.version,
        "customer_id": order.customer_id,
        "customer_name": order.customer_name,
        "org_unit_id": order.org_unit_id,
        "owner_id": order.owner_id,
        "lines": [
            {k: line[k] for k in ("line_no", "sku", "name", "base_unit", "quantity", "unit_price", "amount")}
            for line in data["lines"]
        ],
        "total": data["total"],
        "approved_by": approved_by,
        "approved_at": data["updated_at"],
    }


def publish_approved(order: Order, approved_by: str) -> None:
    bus = get_settings().event_bus_name
    if not bus:
        logger.warning("no EVENT_BUS_NAME: OrderApproved not published", extra={"order_id": order.id})
        return
    entry = {
        "Source": SOURCE,
        "DetailType": ORDER_APPROVED,
        "EventBusName": bus,
        "Detail": json.dumps(approved_detail(order, approved_by), ensure_ascii=False),
    }
    result = client("events").put_events(Entries=[entry])
    if result.get("FailedEntryCount"):
        raise RetryableError(f"EventBridge refused OrderApproved for {order.id}: {result.get('Entries')}")
