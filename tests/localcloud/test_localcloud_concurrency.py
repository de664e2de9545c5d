"""Invocations run side by side as in Lambda, each function in execution environments of its own.

Concurrency is shown by meeting, not by timing: two invocations that each wait for the other to
arrive (the probe's `meet`) both meet only if they ran at the same time, however loaded the machine.
"""

import json
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from localcloud import FunctionError, LocalCloud, lambdas
from localcloud.lambdas import LocalLambdas


def meeting(a: dict[str, Any], b: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two events with a `meet` of each other added."""
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    return {**a, "meet": {"me": first, "other": second}}, {**b, "meet": {"me": second, "other": first}}


def at_once(*calls: Any) -> list[Any]:
    with ThreadPoolExecutor(len(calls)) as pool:
        return [future.result(timeout=60) for future in [pool.submit(call) for call in calls]]


def test_two_functions_run_at_the_same_time_each_with_its_own_environment(small_cloud: LocalCloud) -> None:
    a, b = meeting({"set": {"MARKER": "a"}}, {"set": {"MARKER": "b"}})
    probe, other = at_once(
        lambda: small_cloud.invoke("ProbeFunction", a), lambda: small_cloud.invoke("OtherProbeFunction", b)
    )
    assert probe["met"] and other["met"]
    assert probe["started"] < other["ended"] and other["started"] < probe["ended"]
    # each set MARKER before meeting and read it after: neither saw the other's, nor the template's of the other
    assert (probe["role"], probe["marker"]) == ("probe", "a")
    assert (other["role"], other["marker"]) == ("other-probe", "b")
    assert probe["pid"] != other["pid"] != os.getpid()
    assert "MARKER" not in os.environ and "ROLE" not in os.environ and "AWS_LAMBDA_FUNCTION_NAME" not in os.environ


def test_invocations_of_one_function_at_once_get_environments_of_their_own_and_stay_warm(
    small_cloud: LocalCloud,
) -> None:
    fn = small_cloud.stack.functions["OtherProbeFunction"]
    a, b = meeting({}, {})
    first, second = at_once(
        lambda: small_cloud.invoke("OtherProbeFunction", a), lambda: small_cloud.invoke("OtherProbeFunction", b)
    )
    assert first["met"] and second["met"] and first["pid"] != second["pid"]
    assert small_cloud.lambdas.environments(fn) >= 2

    again = small_cloud.invoke("OtherProbeFunction", {})  # a warm one, with its module state
    assert again["pid"] in (first["pid"], second["pid"]) and again["invocations"] > 1
    assert 25_000 < again["remaining_ms"] <= 30_000


def test_idle_environments_beyond_the_latest_are_stopped(
    small_cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    fn = small_cloud.stack.functions["OtherProbeFunction"]
    a, b = meeting({}, {})
    at_once(lambda: small_cloud.invoke("OtherProbeFunction", a), lambda: small_cloud.invoke("OtherProbeFunction", b))
    assert small_cloud.lambdas.environments(fn) >= 2
    monkeypatch.setattr(lambdas, "IDLE_SECONDS", 0.0)
    time.sleep(1.1)  # idle ones are looked for at most once a second, after an invocation
    small_cloud.invoke("ProbeFunction", {})
    assert small_cloud.lambdas.environments(fn) == 1


def test_an_event_invocation_returns_at_once_and_wait_idle_waits_for_it(small_cloud: LocalCloud) -> None:
    tag = uuid.uuid4().hex
    response = small_cloud.client("lambda").invoke(
        FunctionName=small_cloud.physical_name("ProbeFunction"),
        InvocationType="Event",
        Payload=json.dumps({"meet": {"me": tag, "other": tag}, "sleep": 0.5}).encode(),
    )
    assert response["StatusCode"] == 202
    small_cloud.wait_idle(30)
    s3, bucket = small_cloud.client("s3"), small_cloud.physical_name("Uploads")
    assert s3.head_object(Bucket=bucket, Key=f"meet/{tag}")


def test_beyond_its_concurrency_an_invocation_waits_for_a_free_environment(small_cloud: LocalCloud) -> None:
    small_cloud.wait_idle(30)
    fn = small_cloud.stack.functions["OtherProbeFunction"]
    one_at_a_time = LocalLambdas([fn], concurrency=1)
    one_at_a_time.install(small_cloud.lambdas._environment or {})
    try:
        first, second = at_once(lambda: one_at_a_time.invoke(fn, {"sleep": 0.3}),
                                lambda: one_at_a_time.invoke(fn, {"sleep": 0.3}))  # fmt: skip
        assert first["pid"] == second["pid"] and one_at_a_time.environments(fn) == 1
        earlier, later = sorted((first, second), key=lambda report: report["started"])
        assert earlier["ended"] <= later["started"]
    finally:
        one_at_a_time.uninstall()
    assert one_at_a_time.environments(fn) == 0


def test_a_handler_may_invoke_a_function_synchronously_even_its_own(small_cloud: LocalCloud) -> None:
    other = small_cloud.physical_name("OtherProbeFunction")
    event = {"set": {"MARKER": "outer"}, "invoke": other, "payload": {"set": {"MARKER": "inner"}}}
    outer = small_cloud.invoke("ProbeFunction", event)
    assert (outer["role"], outer["marker"]) == ("probe", "outer")
    assert (outer["invoked"]["role"], outer["invoked"]["marker"]) == ("other-probe", "inner")

    itself = small_cloud.physical_name("ProbeFunction")
    outer = small_cloud.invoke("ProbeFunction", {"invoke": itself, "payload": {}})  # waited on itself before
    assert outer["invoked"]["role"] == "probe" and outer["invoked"]["pid"] != outer["pid"]


def test_requests_through_the_gateway_are_served_at_the_same_time(small_cloud: LocalCloud) -> None:
    a, b = meeting({}, {})
    answers = at_once(
        lambda: requests.post(small_cloud.api_url + "/probe", json=a, timeout=60),
        lambda: requests.post(small_cloud.api_url + "/probe", json=b, timeout=60),
    )
    assert [r.status_code for r in answers] == [200, 200]
    assert [r.json()["met"] for r in answers] == [True, True]


def test_a_handler_past_its_timeout_is_stopped_and_its_environment_replaced(small_cloud: LocalCloud) -> None:
    fn = small_cloud.stack.functions["ShortProbeFunction"]
    before = small_cloud.invoke("ShortProbeFunction", {})["pid"]
    with pytest.raises(FunctionError) as caught:
        small_cloud.invoke("ShortProbeFunction", {"sleep": 30})
    payload = caught.value.payload
    assert payload["errorType"] == "Sandbox.Timedout"
    assert payload["errorMessage"] == f"RequestId: {payload['requestId']} Error: Task timed out after 1.00 seconds"
    after = small_cloud.invoke("ShortProbeFunction", {})
    assert after["pid"] != before and after["invocations"] == 1 and small_cloud.lambdas.environments(fn) == 1

    response = small_cloud.client("lambda").invoke(
        FunctionName=fn.name, Payload=json.dumps({"sleep": 30}).encode()
    )  # as a caller through the Lambda API sees it
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "Sandbox.Timedout"


def test_a_process_that_exits_fails_the_invocation_and_the_next_gets_a_new_one(small_cloud: LocalCloud) -> None:
    before = small_cloud.invoke("OtherProbeFunction", {})["pid"]
    with pytest.raises(FunctionError) as caught:
        small_cloud.invoke("OtherProbeFunction", {"exit": 3})
    assert caught.value.payload["errorType"] == "Runtime.ExitError"
    assert caught.value.payload["errorMessage"].endswith("Runtime exited with error: exit status 3")
    assert small_cloud.invoke("OtherProbeFunction", {})["pid"] != before


def test_a_handler_that_cannot_be_imported_fails_each_invocation(small_cloud: LocalCloud) -> None:
    for _ in range(2):  # a failed init is not kept: each invocation tries again
        with pytest.raises(FunctionError) as caught:
            small_cloud.invoke("BrokenFunction", {})
        assert caught.value.payload["errorType"] == "Runtime.ImportModuleError"
        assert caught.value.payload["errorMessage"].startswith("Unable to import module 'nowhere'")
    assert small_cloud.lambdas.environments(small_cloud.stack.functions["BrokenFunction"]) == 0


def test_what_a_handler_prints_reaches_this_process_stdout(
    small_cloud: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    line = f"log line {uuid.uuid4().hex}"
    small_cloud.invoke("ProbeFunction", {"print": line})
    deadline, out = time.monotonic() + 10, ""
    while line not in out and time.monotonic() < deadline:  # relayed by a thread of its own
        time.sleep(0.05)
        out += capsys.readouterr().out
    assert line in out
