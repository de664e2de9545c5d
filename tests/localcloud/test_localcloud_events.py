"""EventBridge rules and schedules: the events their functions receive, and when schedules fire."""

import dataclasses
import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from localcloud import LocalCloud
from localcloud.eventbridge import target_input
from localcloud.schedules import Scheduler, timetable

ENVELOPE_KEYS = ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def put(cloud: LocalCloud, source: str, detail_type: str, detail: dict[str, Any], bus: str | None = None) -> str:
    entry = {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}
    response = cloud.client("events").put_events(Entries=[{**entry, "EventBusName": bus or cloud.physical_name("Bus")}])
    assert response["FailedEntryCount"] == 0
    return response["Entries"][0]["EventId"]


def recorded(cloud: LocalCloud, tag: str) -> list[Any]:
    """What the events fixture function recorded under this tag, one item per invocation."""
    s3, bucket = cloud.client("s3"), cloud.physical_name("Uploads")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"events/{tag}/").get("Contents", [])
    return [json.loads(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()) for o in listed]


def test_a_matching_event_invokes_the_function_with_the_eventbridge_envelope(small_cloud: LocalCloud) -> None:
    tag = uuid.uuid4().hex
    event_id = put(small_cloud, "lc.orders", "OrderPlaced", {"tag": tag, "order": {"id": 7}})
    small_cloud.wait_idle(10)

    (event,) = recorded(small_cloud, tag)
    assert list(event) == ENVELOPE_KEYS
    assert (event["version"], event["id"], event["detail-type"], event["source"]) == (
        "0", event_id, "OrderPlaced", "lc.orders",
    )  # fmt: skip
    assert (event["account"], event["region"], event["resources"]) == ("123456789012", "us-east-1", [])
    assert event["detail"] == {"tag": tag, "order": {"id": 7}}
    assert ISO_TIME.fullmatch(event["time"])


def test_only_matching_events_on_the_rules_bus_are_delivered(small_cloud: LocalCloud) -> None:
    tag = uuid.uuid4().hex
    put(small_cloud, "lc.other", "OrderPlaced", {"tag": tag})  # another source
    put(small_cloud, "lc.orders", "OrderCancelled", {"tag": tag})  # another detail-type
    put(small_cloud, "lc.orders", "OrderPlaced", {"tag": tag}, bus="default")  # another bus
    put(small_cloud, "lc.off", "Anything", {"tag": tag})  # a disabled rule
    small_cloud.wait_idle(10)
    assert recorded(small_cloud, tag) == []


def test_input_path_and_content_filters(small_cloud: LocalCloud) -> None:
    tag = uuid.uuid4().hex
    put(small_cloud, "lc.orders", "OrderShipped", {"tag": tag, "carrier": "SF Express"})
    put(small_cloud, "lc.orders", "OrderShipped", {"tag": tag, "carrier": "EMS"})  # not prefix SF
    small_cloud.wait_idle(10)
    assert recorded(small_cloud, tag) == [{"tag": tag, "carrier": "SF Express"}]  # InputPath: $.detail


def test_a_constant_input_replaces_the_event(small_cloud: LocalCloud) -> None:
    before = len(recorded(small_cloud, "constant-input"))
    put(small_cloud, "lc.default", "Ping", {"tag": "ignored"}, bus="default")
    small_cloud.wait_idle(10)
    assert recorded(small_cloud, "constant-input")[before:] == [{"tag": "constant-input"}]


def test_an_event_put_by_a_handler_reaches_its_rule_and_wait_idle_waits_for_both(small_cloud: LocalCloud) -> None:
    tag = uuid.uuid4().hex
    put(small_cloud, "lc.orders", "OrderPlaced", {"tag": tag, "relay": True})
    small_cloud.wait_idle(10)
    assert recorded(small_cloud, tag)[0]["detail"]["relay"] is True
    (relayed,) = recorded(small_cloud, f"{tag}-relayed")
    assert relayed["detail"] == {"tag": f"{tag}-relayed"} and relayed["source"] == "lc.orders"


def test_target_inputs_shape_the_event_as_eventbridge_does() -> None:
    moto_event = {
        "version": "0", "id": "e-1", "detail-type": "OrderPlaced", "source": "lc.orders", "account": "123456789012",
        "time": 1795651200.5, "region": "us-east-1", "resources": [], "detail": {"order": {"id": 7}},
        "ingestion-time": 1795651200.6,
    }  # fmt: skip
    envelope = target_input({}, moto_event)
    assert list(envelope) == ENVELOPE_KEYS and envelope["time"] == "2026-11-26T00:00:00Z"
    assert target_input({"Input": '{"a": 1}'}, moto_event) == {"a": 1}
    assert target_input({"InputPath": "$.detail.order"}, moto_event) == {"id": 7}
    assert target_input({"InputPath": "$.detail.missing"}, moto_event) is None
    transformer = {"InputPathsMap": {"order": "$.detail.order.id"}, "InputTemplate": '{"order": <order>, "k": "v"}'}
    assert target_input({"InputTransformer": transformer}, moto_event) == {"order": 7, "k": "v"}


def test_rules_and_schedules_exist_in_moto(small_cloud: LocalCloud) -> None:
    events = small_cloud.client("events")
    bus = small_cloud.physical_name("Bus")
    rules = {r["Name"]: r for r in events.list_rules(EventBusName=bus)["Rules"]}
    assert rules["lc-test-shipped"]["State"] == "ENABLED"
    assert rules["lc-test-EventsFunctionSwitched"]["State"] == "DISABLED"
    (target,) = events.list_targets_by_rule(Rule="lc-test-shipped", EventBusName=bus)["Targets"]
    assert (target["Arn"], target["InputPath"]) == (small_cloud.stack.functions["EventsFunction"].arn, "$.detail")
    hourly = events.describe_rule(Name="lc-test-TickFunctionHourly")
    assert hourly["ScheduleExpression"] == "rate(1 hour)"

    scheduler = small_cloud.client("scheduler")
    nightly = scheduler.get_schedule(Name="lc-test-TickFunctionNightly")
    assert (nightly["ScheduleExpression"], nightly["ScheduleExpressionTimezone"]) == (
        "cron(0 2 * * ? *)", "Asia/Shanghai",
    )  # fmt: skip
    reconcile = scheduler.get_schedule(Name="lc-test-TickFunctionReconcile", GroupName="lc-chores")
    assert (reconcile["State"], json.loads(reconcile["Target"]["Input"])["action"]) == ("DISABLED", "reconcile")


def test_run_schedule_sends_what_each_kind_of_schedule_sends(small_cloud: LocalCloud) -> None:
    rule = small_cloud.run_schedule("TickFunction", "Hourly")
    assert list(rule) == ENVELOPE_KEYS
    assert (rule["detail-type"], rule["source"], rule["detail"]) == ("Scheduled Event", "aws.events", {})
    assert rule["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/lc-test-TickFunctionHourly"]
    assert ISO_TIME.fullmatch(rule["time"])

    scheduler = small_cloud.run_schedule("TickFunction", "Nightly")
    assert (scheduler["source"], scheduler["detail"]) == ("aws.scheduler", "{}")  # a string, as Scheduler sends it
    assert scheduler["resources"] == [
        "arn:aws:scheduler:us-east-1:123456789012:schedule/default/lc-test-TickFunctionNightly"
    ]
    # the Input when there is one, and a disabled schedule still runs when asked to
    assert small_cloud.run_schedule("TickFunction", "Reconcile") == {"tag": "reconcile", "action": "reconcile"}
    with pytest.raises(KeyError, match=r"\['Hourly', 'Nightly', 'Reconcile'\]"):
        small_cloud.run_schedule("TickFunction")
    with pytest.raises(KeyError, match="EchoFunction has no schedule"):
        small_cloud.run_schedule("EchoFunction")


def test_schedules_do_not_fire_in_tests_and_a_started_scheduler_fires_and_stops(small_cloud: LocalCloud) -> None:
    assert not small_cloud.scheduler.running
    fn = small_cloud.stack.functions["TickFunction"]
    tag = uuid.uuid4().hex
    soon = datetime.now(UTC) + timedelta(seconds=2)
    once = dataclasses.replace(fn.schedules[1], expression=f"at({soon:%Y-%m-%dT%H:%M:%S})", timezone="UTC",
                               input=json.dumps({"tag": tag}))  # fmt: skip
    hourly = fn.schedules[0]
    scheduler = Scheduler([(fn, once), (fn, hourly)], small_cloud.lambdas)
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while not recorded(small_cloud, tag) and time.monotonic() < deadline:
            time.sleep(0.2)
            small_cloud.wait_idle(10)
        assert recorded(small_cloud, tag) == [{"tag": tag}]
        assert scheduler.running  # the hourly one is still ahead
    finally:
        started = time.monotonic()
        scheduler.stop()
    assert not scheduler.running and time.monotonic() - started < 2


NOW = datetime(2026, 11, 20, 0, 0, 30, tzinfo=UTC)  # a Friday; 08:00:30 in Shanghai


@pytest.mark.parametrize(
    ("expression", "timezone", "expected"),
    [
        ("rate(1 minute)", "UTC", "2026-11-20T00:01:30+00:00"),
        ("rate(2 hours)", "UTC", "2026-11-20T01:59:30+00:00"),  # two hours after since
        ("cron(0 2 * * ? *)", "Asia/Shanghai", "2026-11-21T02:00:00+08:00"),
        ("cron(0 2 * * ? *)", "UTC", "2026-11-20T02:00:00+00:00"),
        ("cron(0/15 9-17 ? * MON-FRI *)", "Asia/Shanghai", "2026-11-20T09:00:00+08:00"),
        ("cron(30 8 ? * SAT,SUN *)", "UTC", "2026-11-21T08:30:00+00:00"),
        ("cron(0 10 ? * 6#3 *)", "UTC", "2026-11-20T10:00:00+00:00"),  # third Friday
        ("cron(0 10 ? * 2#1 *)", "UTC", "2026-12-07T10:00:00+00:00"),  # first Monday
        ("cron(0 10 ? * 6L *)", "UTC", "2026-11-27T10:00:00+00:00"),  # last Friday
        ("cron(0 12 L * ? *)", "UTC", "2026-11-30T12:00:00+00:00"),  # last day of the month
        ("cron(0 0 1 JAN ? 2028)", "UTC", "2028-01-01T00:00:00+00:00"),
        ("cron(0 0 1 JAN ? 2025)", "UTC", None),  # never again
        ("at(2026-11-20T09:00:00)", "Asia/Shanghai", "2026-11-20T09:00:00+08:00"),
        ("at(2026-11-19T09:00:00)", "UTC", None),
    ],
)
def test_timetables(expression: str, timezone: str, expected: str | None) -> None:
    since = NOW - timedelta(minutes=1)
    found = timetable(expression, timezone).next_after(NOW, since)
    assert (found.isoformat() if found else None) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",  # AWS: singular for 1
        "rate(5 minute)",  # and plural otherwise
        "rate(0 minutes)",
        "rate(5 seconds)",
        "cron(0 12 * * *)",  # five fields
        "cron(0 12 * * MON *)",  # neither day field is ?
        "cron(61 12 * * ? *)",
        "every day",
    ],
)
def test_expressions_aws_rejects_are_rejected(expression: str) -> None:
    with pytest.raises(ValueError):
        timetable(expression)
