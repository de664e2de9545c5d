"""Domain events on the stack's EventBridge bus (EVENT_BUS_NAME): the one publisher every package uses.

Every detail carries `tenant_id` and `event_id`. The event id names the happening itself (an approval's
step opening, a load ending), not the delivery: the same happening published twice, or delivered twice by
EventBridge, has the same id, and the notifier tells people once. Events that tell people something carry
`recipients` (user ids), worked out by the publisher, which knows who is concerned (an approver's deputy
included). docs/notifications.md lists the events.
"""

import json
from typing import Any

from aws_lambda_powertools import Logger

from crm.aws import client
from crm.config import get_settings
from crm.errors import RetryableError

logger = Logger(child=True)


def publish(source: str, detail_type: str, detail: dict[str, Any]) -> None:
    """Puts one event on the bus; raises RetryableError when EventBridge refuses it. Without a bus
    configured (data-layer tests) nothing is sent."""
    if "tenant_id" not in detail or "event_id" not in detail:
        raise ValueError(f"{detail_type}: an event needs tenant_id and event_id")
    bus = get_settings().event_bus_name
    if not bus:
        logger.debug("no EVENT_BUS_NAME: event not published", extra={"detail_type": detail_type})
        return
    entry = {
        "Source": source,
        "DetailType": detail_type,
        "EventBusName": bus,
        "Detail": json.dumps(detail, ensure_ascii=False, default=str),
    }
    result = client("events").put_events(Entries=[entry])
    if result.get("FailedEntryCount"):
        raise RetryableError(f"EventBridge refused {detail_type}: {result.get('Entries')}")
