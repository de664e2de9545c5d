"""What the notifier reads off the bus: an EventBridge event → the happening a person is told about.

The contract (docs/notifications.md): every detail carries tenant_id, event_id (the happening's stable id: the
same happening delivered twice has the same one, whatever EventBridge's envelope id) and recipients (user ids,
worked out by the publisher). Anything else is ignored with a log line, never retried: it would fail again.
"""

from dataclasses import dataclass
from typing import Any

from crm.notify.model import EventName

MAX_EVENT_ID = 300  # it becomes part of a key
MAX_RECIPIENTS = 200

ROUTES: dict[tuple[str, str], EventName] = {
    ("crm.approvals", "ApprovalWaiting"): EventName.APPROVAL_WAITING,
    ("crm.approvals", "ApprovalReminder"): EventName.APPROVAL_REMINDER,
    ("crm.approvals", "ApprovalEscalated"): EventName.APPROVAL_ESCALATED,
    ("crm.approvals", "ApprovalDecided"): EventName.APPROVAL_DECIDED,
    ("crm.approvals", "ApprovalExpired"): EventName.APPROVAL_EXPIRED,
    ("crm.flow", "FlowLoadFinished"): EventName.FLOW_LOAD_FINISHED,  # FLOW_LOAD_REJECTED when status is rejected
    ("crm.handover", "HandoverFinished"): EventName.HANDOVER_FINISHED,
}


class NotAHappening(ValueError):
    """An event the notifier cannot use (unknown type, no tenant, no event id, bad recipients)."""


@dataclass(frozen=True)
class Happening:
    name: EventName
    tenant_id: str
    event_id: str
    recipients: tuple[str, ...]
    detail: dict[str, Any]


def parse(event: dict[str, Any]) -> Happening:
    route = (str(event.get("source")), str(event.get("detail-type")))
    name = ROUTES.get(route)
    if name is None:
        raise NotAHappening(f"no notification for {route[0]} / {route[1]}")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise NotAHappening("the event has no detail object")
    tenant_id, event_id = detail.get("tenant_id"), detail.get("event_id")
    if not (isinstance(tenant_id, str) and tenant_id and "#" not in tenant_id):
        raise NotAHappening("detail.tenant_id is missing or not a tenant id")
    if not (isinstance(event_id, str) and 0 < len(event_id) <= MAX_EVENT_ID):
        raise NotAHappening("detail.event_id is missing or too long")
    if name == EventName.FLOW_LOAD_FINISHED and detail.get("status") == "rejected":
        name = EventName.FLOW_LOAD_REJECTED
    return Happening(name, tenant_id, event_id, _recipients(detail.get("recipients")), detail)


def _recipients(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise NotAHappening("detail.recipients must be a list of user ids")
    unique = tuple(dict.fromkeys(value))
    if len(unique) > MAX_RECIPIENTS:
        raise NotAHappening(f"more than {MAX_RECIPIENTS} recipients")
    return unique
