"""The template loader: Globals, intrinsics, conditions, and what each resource becomes."""

from localcloud.template import load_template

from .conftest import FIXTURE_TEMPLATE

ARN_PREFIX = "arn:aws:{}:us-east-1:123456789012:"


def test_globals_merge_and_intrinsics_resolve() -> None:
    stack = load_template(FIXTURE_TEMPLATE, stack_name="lc")
    echo, other = stack.functions["EchoFunction"], stack.functions["OtherFunction"]

    assert echo.environment == {
        "TABLE_NAME": "lc-Table",
        "SHARED": "from-globals",
        "ROLE": "echo",  # the function's value wins over Globals
        "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/lc-Jobs",
        "TOPIC_ARN": ARN_PREFIX.format("sns") + "lc-Alerts",
        "BUCKET": "lc-uploads",
        "MACHINE_ARN": ARN_PREFIX.format("states") + "stateMachine:lc-Machine",
        "TABLE_ARN": ARN_PREFIX.format("dynamodb") + "table/lc-Table",
        "SUBBED": f"lc/lc-Table/{ARN_PREFIX.format('dynamodb')}table/lc-Table/test/${{Literal}}",
        "SUB_VARS": "us-east-1-y",
        "JOINED": "a,123456789012",
        "FLAVOUR": "plain",  # ONLY_WHEN_FANCY is AWS::NoValue, so absent
    }
    assert (echo.timeout, echo.memory_size, other.timeout) == (7, 256, 5)
    assert echo.name == "lc-EchoFunction" and echo.arn == ARN_PREFIX.format("lambda") + "function:lc-EchoFunction"
    assert echo.code_dir == FIXTURE_TEMPLATE.parent / "fixture_functions" / "echo"
    assert other.environment["ROLE"] == "other"
    assert echo.layer_dirs == [FIXTURE_TEMPLATE.parent / "fixture_layer" / "python"]


def test_parameters_and_conditions() -> None:
    plain = load_template(FIXTURE_TEMPLATE)
    fancy = load_template(FIXTURE_TEMPLATE, parameters={"Flavour": "fancy", "StageName": "prod"})

    assert "FancyTopic" not in plain.topics and "condition IsFancy is false" in plain.skipped["FancyTopic"]
    assert fancy.topics["FancyTopic"] == "crm-local-FancyTopic"
    assert fancy.functions["EchoFunction"].environment["ONLY_WHEN_FANCY"] == "present"
    assert fancy.apis["Api"].stage == "prod"


def test_routes_triggers_and_unemulated_resources() -> None:
    stack = load_template(FIXTURE_TEMPLATE)
    routes = {(r.method, r.path): r for r in stack.routes}

    assert routes["GET", "/items/{item_id}"].authorizer == "Cognito"
    assert routes["POST", "/open"].authorizer is None
    assert routes["ANY", "/files/{proxy+}"].function == "EchoFunction"
    assert stack.apis["Api"].authorizers == {"Cognito": ["us-east-1_localpool"]}
    assert set(stack.apis["Api"].gateway_responses) == {"DEFAULT_4XX", "UNAUTHORIZED"}
    (trigger,) = stack.functions["ConsumerFunction"].s3_triggers
    assert (trigger.bucket, trigger.events) == ("Uploads", ["s3:ObjectCreated:*"])
    assert trigger.filter_rules == [{"Name": "prefix", "Value": "in/"}]
    (job,) = stack.functions["ConsumerFunction"].sqs_triggers
    assert (job.queue_arn, job.batch_size) == (stack.queues["Jobs"].arn, 1)
    assert {"Alarm", "FancyTopic"} <= set(stack.skipped)
    assert "UserPool" in stack.user_pools  # created in moto as the one local pool (resources.py)


def test_tables_queues_and_state_machines() -> None:
    stack = load_template(FIXTURE_TEMPLATE)
    table = stack.tables["Table"]
    kwargs = table.create_table_kwargs()

    assert [i["IndexName"] for i in kwargs["GlobalSecondaryIndexes"]] == ["gsi1", "gsi2"]
    assert kwargs["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert table.ttl_attribute == "expires_at"
    assert stack.queues["Jobs"].attributes == {"VisibilityTimeout": "45"}
    machine = stack.state_machines["Machine"]
    worker_arn = stack.functions["WorkerFunction"].arn
    assert machine.definition["States"]["Invoke"]["Parameters"]["FunctionName"] == worker_arn
    assert machine.definition["States"]["Bare"]["Resource"] == worker_arn


def test_event_rules_and_schedules() -> None:
    stack = load_template(FIXTURE_TEMPLATE, stack_name="lc")
    events, tick = stack.functions["EventsFunction"], stack.functions["TickFunction"]
    rules = {rule.name: rule for rule in events.event_rules}

    placed = rules["lc-EventsFunctionPlaced"]
    assert (placed.bus, placed.pattern, placed.enabled) == (
        "lc-Bus", {"source": ["lc.orders"], "detail-type": ["OrderPlaced"]}, True,
    )  # fmt: skip
    assert placed.target == {"Id": "EventsFunctionPlacedLambdaTarget", "Arn": events.arn}
    shipped = rules["lc-shipped"]  # RuleName; the bus named by its ARN; DLQ and retries left out
    assert shipped.bus == "lc-Bus"
    assert shipped.target == {"Id": "EventsFunctionShippedLambdaTarget", "Arn": events.arn, "InputPath": "$.detail"}
    default = rules["lc-EventsFunctionOnDefaultBus"]
    assert (default.bus, default.target["Id"]) == ("default", "constant")  # no EventBusName; Target.Id
    assert default.target["Input"] == '{"tag": "constant-input"}'
    assert rules["lc-EventsFunctionSwitched"].enabled is False

    hourly, nightly, reconcile = tick.schedules
    assert (hourly.kind, hourly.expression, hourly.timezone, hourly.input) == ("Schedule", "rate(1 hour)", "UTC", None)
    assert hourly.arn == ARN_PREFIX.format("events") + "rule/lc-TickFunctionHourly"
    assert (nightly.kind, nightly.timezone, nightly.enabled) == ("ScheduleV2", "Asia/Shanghai", True)
    assert nightly.arn == ARN_PREFIX.format("scheduler") + "schedule/default/lc-TickFunctionNightly"
    assert (reconcile.enabled, reconcile.group, reconcile.input) == (
        False, "lc-chores", '{"tag": "reconcile", "action": "reconcile"}',
    )  # fmt: skip
    assert stack.schedules == [(tick, hourly), (tick, nightly), (tick, reconcile)]


def test_kms_keys_aliases_and_mail_identities() -> None:
    stack = load_template(FIXTURE_TEMPLATE, stack_name="lc")
    key = stack.kms_keys["Key"]
    env = stack.functions["EventsFunction"].environment
    assert env["KEY_ID"] == key.key_id == stack.names["Key"]
    assert env["KEY_ARN"] == key.arn == ARN_PREFIX.format("kms") + f"key/{key.key_id}"
    assert load_template(FIXTURE_TEMPLATE, stack_name="lc").kms_keys["Key"].key_id == key.key_id  # stable
    assert load_template(FIXTURE_TEMPLATE, stack_name="other").kms_keys["Key"].key_id != key.key_id
    assert key.create_key_kwargs()["Policy"].startswith('{"Version": "2012-10-17"')
    assert env["KEY_ALIAS"] == "alias/lc/secrets" and stack.kms_aliases["KeyAlias"] == ("alias/lc/secrets", key.key_id)
    assert env["MAIL_DOMAIN"] == "mail.example.com"
    assert stack.email_identities == {"MailDomain": "mail.example.com", "MailSender": "robot@example.org"}
