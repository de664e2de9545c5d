"""template.yaml itself: everything it declares exists locally, and the CLI's tokens work."""

import re

import jwt
import pytest
import requests
from crm.ids import stable_id
from localcloud import LocalCloud, tokens
from localcloud.__main__ import main


def test_every_function_table_and_state_machine_is_created(cloud: LocalCloud) -> None:
    stack = cloud.stack
    functions = {f["FunctionName"] for f in cloud.client("lambda").list_functions()["Functions"]}
    assert {fn.name for fn in stack.functions.values()} <= functions
    dynamodb = cloud.client("dynamodb")
    for table in stack.tables.values():
        created = dynamodb.describe_table(TableName=table.name)["Table"]
        expected = {i["IndexName"] for i in table.properties.get("GlobalSecondaryIndexes", [])}
        assert {i["IndexName"] for i in created.get("GlobalSecondaryIndexes", [])} == expected
    machines = {m["name"] for m in cloud.client("stepfunctions").list_state_machines()["stateMachines"]}
    assert {m.name for m in stack.state_machines.values()} <= machines
    assert stack.routes and stack.state_machines


def test_every_route_is_served_behind_its_authorizer(cloud: LocalCloud) -> None:
    for route in cloud.stack.routes:
        path = re.sub(r"\{[^}]+\}", "x", route.path)
        method = "GET" if route.method == "ANY" else route.method
        response = requests.request(method, cloud.api_url + path, timeout=10)
        if route.authorizer:  # without a token: 401 before the handler runs
            assert response.status_code == 401, route
        else:
            assert response.headers.get("x-amzn-ErrorType") != "MissingAuthenticationTokenException", route


def test_docs_serve_swagger_ui_over_the_checked_in_spec(cloud: LocalCloud) -> None:
    page = requests.get(cloud.api_url + "/docs", timeout=10)
    if "not installed" in page.text:
        pytest.skip("node_modules/swagger-ui-dist is not installed")
    assert "swagger-ui-bundle.js" in page.text
    assert requests.get(cloud.api_url + "/docs/swagger-ui-bundle.js", timeout=10).status_code == 200
    spec = requests.get(cloud.api_url + "/docs/openapi.json", timeout=10).json()
    assert spec["servers"][0]["url"] == cloud.api_url and spec["components"]["securitySchemes"]


def test_cli_tokens_carry_the_demo_users_claims(cloud: LocalCloud, capsys: pytest.CaptureFixture[str]) -> None:
    api = ["--api", cloud.api_url]  # the commands ask the running system's user pool
    tokens.seed_demo_users()  # as the demo seed puts them there under make dev
    assert main(["token", "d001", *api]) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), options={"verify_signature": False})
    assert claims["custom:tenant_id"] == "demo" and claims["custom:roles"] == "distributor"
    assert claims["custom:distributor_id"] == stable_id("demo", "D001")
    assert claims["token_use"] == "id" and claims["exp"] - claims["iat"] == 12 * 3600

    assert main(["users", *api]) == 0
    assert "rep.zhang" in capsys.readouterr().out
    assert main(["token", "nobody", *api]) == 1


def test_rules_and_schedules_are_created_and_schedules_do_not_fire_in_tests(cloud: LocalCloud) -> None:
    assert not cloud.scheduler.running
    events, scheduler = cloud.client("events"), cloud.client("scheduler")
    for fn, schedule in cloud.stack.schedules:
        if schedule.kind == "ScheduleV2":
            created = scheduler.get_schedule(Name=schedule.name, GroupName=schedule.group)
            assert (created["ScheduleExpression"], created["Target"]["Arn"]) == (schedule.expression, fn.arn)
        else:
            assert events.describe_rule(Name=schedule.name)["ScheduleExpression"] == schedule.expression
    for fn in cloud.stack.functions.values():
        for rule in fn.event_rules:
            (target,) = events.list_targets_by_rule(Rule=rule.name, EventBusName=rule.bus)["Targets"]
            assert target["Arn"] == fn.arn
