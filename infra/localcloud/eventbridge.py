"""What EventBridge and EventBridge Scheduler hand a Lambda function, built the way AWS builds it.

A rule's target gets the event envelope, or what its Input, InputPath or InputTransformer makes of
it. A Schedule event (an EventBridge rule) sends the "Scheduled Event" envelope from aws.events, a
ScheduleV2 event (EventBridge Scheduler) the same shape from aws.scheduler, whose `detail` is the
string "{}", not an object; either sends its Input instead when the template gives one.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from moto.events.utils import EventTemplateParser

from .template import ACCOUNT_ID, REGION, Schedule

# The envelope's keys, in the order AWS sends them; moto's event also carries "ingestion-time".
_ENVELOPE = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")


def rule_event(moto_event: dict[str, Any]) -> dict[str, Any]:
    """The envelope a Lambda target receives, from the event moto matched against a rule.

    moto keeps `time` as epoch seconds (PutEvents' Time, or when it arrived); AWS sends ISO 8601.
    """
    event = {key: moto_event[key] for key in _ENVELOPE if key in moto_event}
    if isinstance(event.get("time"), int | float):
        event["time"] = iso_time(datetime.fromtimestamp(event["time"], UTC))
    return event


def target_input(target: dict[str, Any], moto_event: dict[str, Any]) -> Any:
    """What a rule's target is invoked with: its Input, InputPath or InputTransformer, else the envelope."""
    event = rule_event(moto_event)
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        return _json_path(event, target["InputPath"])
    if transformer := target.get("InputTransformer"):
        ingested = {**event, "ingestion-time": moto_event.get("ingestion-time", 0)}
        return EventTemplateParser.parse(
            transformer.get("InputTemplate"),
            transformer.get("InputPathsMap", {}),
            ingested,  # type: ignore[arg-type]
        )
    return event


def scheduled_event(schedule: Schedule, when: datetime) -> Any:
    """The event a schedule's function receives when it fires at `when`."""
    if schedule.input is not None:
        return json.loads(schedule.input)
    v2 = schedule.kind == "ScheduleV2"
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler" if v2 else "aws.events",
        "account": ACCOUNT_ID,
        "time": iso_time(when),
        "region": REGION,
        "resources": [schedule.arn],
        "detail": "{}" if v2 else {},
    }


def iso_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_path(document: Any, path: str) -> Any:
    """InputPath's JSONPath in the dotted form rules use ($, $.detail, $.detail.order.id); None if absent."""
    if path != "$" and not path.startswith("$."):
        raise ValueError(f"InputPath {path!r}: only $ and $.dotted.keys are supported locally")
    for key in path.split(".")[1:]:
        document = document.get(key) if isinstance(document, dict) else None
    return document
