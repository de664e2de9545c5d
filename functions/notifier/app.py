"""Notifier: the EventBridge rules' target (one happening → inbox, e-mail, robots, each once), the scheduled run
that sends what quiet hours held back or a failed send left, and the dead-letter redrive."""

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.config import get_settings
from crm.db.base import bind_table
from crm.notify.events import NotAHappening
from crm.notify.notifier import Counts, Notifier
from crm.notify.secrets import Cipher, cipher

logger = Logger()
metrics = Metrics()

METRICS = {
    "inbox": "NotificationsInbox",
    "sent": "NotificationsSent",
    "deferred": "NotificationsDeferred",
    "duplicate": "NotificationDuplicates",
    "failed": "NotificationsFailed",
    "retry": "NotificationsRetried",
    "dropped": "NotificationsDropped",
}


@cache
def _cipher() -> Cipher:
    return cipher(get_settings().notify_key_id)


def _record(counts: Counts) -> dict[str, int]:
    for key, name in METRICS.items():
        if counts.get(key):
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=counts[key])
    return dict(counts)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    bind_table(settings.table_name)
    notifier = Notifier(_cipher, settings.notify_default_sender)
    action = event.get("action")
    if action == "deliver_deferred":  # the schedule's input
        return _record(notifier.deliver_outbox())
    if action == "redrive":  # by hand (docs/notifications.md): the dead-letter queue's events, handled again
        return _record(notifier.redrive(settings.notifier_dlq_url))
    logger.append_keys(event_id=(event.get("detail") or {}).get("event_id"), detail_type=event.get("detail-type"))
    try:
        return _record(notifier.handle(event))
    except NotAHappening as exc:  # not ours to deliver; retrying would fail the same way
        logger.warning("event ignored", extra={"reason": str(exc), "source": event.get("source")})
        return {"ignored": 1}
