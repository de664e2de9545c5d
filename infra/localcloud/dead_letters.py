"""Where a failed asynchronous invocation goes, as Lambda sends it, and the alarm that watches there.

Lambda retries an asynchronous invocation (S3 and EventBridge triggers, `Event` invokes) MaximumRetryAttempts
times, then sends the event to the function's DeadLetterQueue (the message body is the event) and to its
EventInvokeConfig OnFailure destination (the body is an invocation record: the request, the function, the
condition, the error). CloudWatch then sees the queue's ApproximateNumberOfMessagesVisible rise; here that
datapoint is published when the message is sent, and the template's alarms on it are evaluated at once (moto keeps
alarms but does not evaluate them), so a test sees the alarm that an operator would be paged by.
"""

from __future__ import annotations

import json
import logging
import operator
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3

from .template import ACCOUNT_ID, REGION, Function

log = logging.getLogger("localcloud.lambda")

_COMPARE = {
    "GreaterThanOrEqualToThreshold": operator.ge,
    "GreaterThanThreshold": operator.gt,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}
QUEUE_DEPTH = "ApproximateNumberOfMessagesVisible"


class DeadLetters:
    """Sends the events of failed asynchronous invocations where their function says, with credentials of the
    runtime (Lambda's service, not the function's role)."""

    def __init__(self, endpoint_url: str) -> None:
        options = {"endpoint_url": endpoint_url, "region_name": REGION}
        self.sqs = boto3.client("sqs", **options)
        self.cloudwatch = boto3.client("cloudwatch", **options)

    def keep(self, fn: Function, event: Any, error: dict[str, Any], attempts: int) -> None:
        if fn.dead_letter_arn:
            self._send(fn.dead_letter_arn, json.dumps(event), _error_attributes(error))
        if fn.on_failure_arn:
            self._send(fn.on_failure_arn, json.dumps(_invocation_record(fn, event, error, attempts)), {})
        if not (fn.dead_letter_arn or fn.on_failure_arn):
            log.error(
                "%s: an asynchronous invocation failed %d times and its event is dropped", fn.logical_id, attempts
            )

    def _send(self, queue_arn: str, body: str, attributes: dict[str, Any]) -> None:
        queue_name = queue_arn.rsplit(":", 1)[-1]
        url = self.sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        self.sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attributes)
        depth = int(self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
            "Attributes"]["ApproximateNumberOfMessages"])  # fmt: skip
        self._observe("AWS/SQS", QUEUE_DEPTH, {"QueueName": queue_name}, depth)

    def _observe(self, namespace: str, metric: str, dimensions: dict[str, str], value: float) -> None:
        """Publishes the datapoint and moves the alarms that watch it, as CloudWatch would within a period."""
        dims = [{"Name": k, "Value": v} for k, v in dimensions.items()]
        self.cloudwatch.put_metric_data(
            Namespace=namespace, MetricData=[{"MetricName": metric, "Dimensions": dims, "Value": value}]
        )
        alarms = self.cloudwatch.describe_alarms(AlarmTypes=["MetricAlarm"])["MetricAlarms"]
        for alarm in alarms:
            watched = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
            if (alarm.get("Namespace"), alarm.get("MetricName"), watched) != (namespace, metric, dimensions):
                continue
            breaching = _COMPARE[alarm["ComparisonOperator"]](value, alarm["Threshold"])
            state = "ALARM" if breaching else "OK"
            if alarm["StateValue"] != state:
                reason = f"{metric} was {value:g} ({alarm['ComparisonOperator']} {alarm['Threshold']:g})"
                self.cloudwatch.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue=state, StateReason=reason)
                log.warning("alarm %s is %s: %s", alarm["AlarmName"], state, reason)


def _error_attributes(error: dict[str, Any]) -> dict[str, Any]:
    """The message attributes Lambda puts on a dead letter."""
    return {
        "RequestID": {"DataType": "String", "StringValue": str(error.get("requestId", ""))},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": str(error.get("errorMessage", ""))[:1024]},
    }


def _invocation_record(fn: Function, event: Any, error: dict[str, Any], attempts: int) -> dict[str, Any]:
    """The record Lambda sends to an OnFailure destination."""
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": error.get("requestId") or str(uuid.uuid4()),
            "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{fn.name}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {k: error[k] for k in ("errorMessage", "errorType", "stackTrace") if k in error},
    }
