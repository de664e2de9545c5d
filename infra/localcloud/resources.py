"""Creates a loaded stack's resources through ordinary boto3 clients (moto server or mock_aws).

Lambda functions are created with a placeholder zip: moto needs them to exist so that S3, SQS and
Step Functions can invoke them, and lambdas.py routes those invocations to the real code.
State machines are created as written; start executions with an explicit `name` (moto names an
unnamed execution "None", so the second unnamed start fails with ExecutionAlreadyExists).
EventBridgeRule and Schedule events become rules with the function as target, ScheduleV2 events
become EventBridge Scheduler schedules: moto keeps them, lambdas.py delivers the rules' events and
schedules.py does the firing. SES identities are verified at once (no DNS to wait for).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

from moto.cognitoidp.models import cognitoidp_backends
from moto.kms.models import kms_backends

from .template import ACCOUNT_ID, REGION, USER_POOL_ID, KmsKey, Stack

ClientFactory = Callable[[str], Any]


def create_resources(stack: Stack, client: ClientFactory) -> None:
    iam = client("iam")
    lambda_role = _role(iam, f"{stack.name}-lambda", "lambda.amazonaws.com")
    states_role = _role(iam, f"{stack.name}-states", "states.amazonaws.com")
    _create_tables(stack, client("dynamodb"))
    s3 = client("s3")
    for bucket in stack.buckets.values():
        s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=bucket in stack.locked_buckets)
        if bucket in stack.versioned_buckets:
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    sqs = client("sqs")
    for queue in stack.queues.values():
        sqs.create_queue(QueueName=queue.name, Attributes=queue.attributes)
    for topic in stack.topics.values():
        client("sns").create_topic(Name=topic)
    for bus in stack.event_buses.values():
        client("events").create_event_bus(Name=bus)
    _create_keys(stack, client("kms"))
    if stack.user_pools:
        _create_user_pool(client("cognito-idp"))
    for identity in stack.email_identities.values():
        client("sesv2").create_email_identity(EmailIdentity=identity)
    _create_functions(stack, client("lambda"), lambda_role)
    _create_bucket_notifications(stack, s3)
    _create_rules(stack, client("events"))
    if stack.schedules:
        _create_schedules(stack, client, _role(iam, f"{stack.name}-scheduler", "scheduler.amazonaws.com"))
    sfn = client("stepfunctions")
    for machine in stack.state_machines.values():
        sfn.create_state_machine(
            name=machine.name, definition=json.dumps(machine.definition), roleArn=states_role, type=machine.type
        )
    _create_alarms(stack, client("cloudwatch"))


_ALARM_FIELDS = (
    "AlarmDescription", "Namespace", "MetricName", "Dimensions", "Statistic", "Period", "EvaluationPeriods",
    "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData", "AlarmActions", "OKActions", "Unit",
)  # fmt: skip


def _create_alarms(stack: Stack, cloudwatch: Any) -> None:
    """The template's metric alarms, so the local system has them (dead_letters.py moves those on queue depth)."""
    for name, props in stack.alarms.items():
        fields = {k: props[k] for k in _ALARM_FIELDS if k in props}
        cloudwatch.put_metric_alarm(AlarmName=name, **{**fields, "Threshold": float(fields["Threshold"])})


def _create_tables(stack: Stack, dynamodb: Any) -> None:
    existing = set(dynamodb.list_tables()["TableNames"])  # a kept state (DynamoDB Local on disk) has them
    for table in stack.tables.values():
        if table.name in existing:
            continue
        dynamodb.create_table(**table.create_table_kwargs())
        if table.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=table.name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )


def _create_functions(stack: Stack, lam: Any, role_arn: str) -> None:
    placeholder = io.BytesIO()
    with zipfile.ZipFile(placeholder, "w") as archive:
        archive.writestr("README", "Runs locally through localcloud.lambdas.\n")
    for fn in stack.functions.values():
        lam.create_function(
            FunctionName=fn.name,
            Runtime=fn.runtime,
            Role=role_arn,
            Handler=fn.handler,
            Code={"ZipFile": placeholder.getvalue()},
            Timeout=fn.timeout,
            MemorySize=fn.memory_size,
            Environment={"Variables": fn.environment},
        )
        for trigger in fn.sqs_triggers:
            lam.create_event_source_mapping(
                EventSourceArn=trigger.queue_arn, FunctionName=fn.name, BatchSize=trigger.batch_size
            )


def _create_bucket_notifications(stack: Stack, s3: Any) -> None:
    configurations: dict[str, list[dict[str, Any]]] = {}
    for fn in stack.functions.values():
        for n, trigger in enumerate(fn.s3_triggers):
            config: dict[str, Any] = {
                "Id": f"{fn.logical_id}-{n}",
                "LambdaFunctionArn": fn.arn,
                "Events": trigger.events,
            }
            if trigger.filter_rules:
                config["Filter"] = {"Key": {"FilterRules": trigger.filter_rules}}
            configurations.setdefault(stack.buckets[trigger.bucket], []).append(config)
    for bucket, lambda_configs in configurations.items():
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": lambda_configs}
        )


def _create_keys(stack: Stack, kms: Any) -> None:
    for key in stack.kms_keys.values():
        _move_key(kms.create_key(**key.create_key_kwargs())["KeyMetadata"]["KeyId"], key)
    for alias_name, key_id in stack.kms_aliases.values():
        kms.create_alias(AliasName=alias_name, TargetKeyId=key_id)


def _move_key(random_id: str, key: KmsKey) -> None:
    """Gives the new key the id the template was resolved with (CreateKey cannot be told one).

    moto's server runs in this process, or mock_aws does, so its backend is at hand; the key has no
    alias, grant or ciphertext yet, so nothing else holds the old id.
    """
    backend = kms_backends[ACCOUNT_ID][REGION]
    moto_key = backend.keys.pop(random_id)
    moto_key.id, moto_key.arn = key.key_id, key.arn
    backend.keys[key.key_id] = moto_key


# The custom attributes the API reads from a user's ID token (as the template's UserPool Schema declares them).
USER_POOL_SCHEMA = [
    {"Name": name, "AttributeDataType": "String", "Mutable": name != "tenant_id"}
    for name in ("tenant_id", "org_unit_id", "roles", "distributor_id")
]


def _create_user_pool(cognito: Any) -> None:
    """The one local user pool (USER_POOL_ID, the issuer of localcloud.tokens), made like the template's: usernames,
    e-mail as an alias. moto's backend is global to the process, so a second stack in it shares the pool (kept)."""
    backend = cognitoidp_backends[ACCOUNT_ID][REGION]
    if USER_POOL_ID in backend.user_pools:
        return
    created = cognito.create_user_pool(
        PoolName="localpool",
        AliasAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        AutoVerifiedAttributes=["email"],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        Schema=USER_POOL_SCHEMA,
    )["UserPool"]
    pool = backend.user_pools.pop(created["Id"])  # CreateUserPool cannot be told an id; no user holds the old one
    pool.id, pool.arn = USER_POOL_ID, f"arn:aws:cognito-idp:{REGION}:{ACCOUNT_ID}:userpool/{USER_POOL_ID}"
    backend.user_pools[USER_POOL_ID] = pool


def _create_rules(stack: Stack, events: Any) -> None:
    for fn in stack.functions.values():
        for rule in fn.event_rules:
            events.put_rule(
                Name=rule.name,
                EventBusName=rule.bus,
                EventPattern=json.dumps(rule.pattern),
                State="ENABLED" if rule.enabled else "DISABLED",
            )
            events.put_targets(Rule=rule.name, EventBusName=rule.bus, Targets=[rule.target])


def _create_schedules(stack: Stack, client: ClientFactory, role_arn: str) -> None:
    """Rules (Schedule) and schedules (ScheduleV2) as AWS would list them; schedules.py fires them."""
    events, scheduler = client("events"), client("scheduler")
    existing = {group["Name"] for group in scheduler.list_schedule_groups()["ScheduleGroups"]}
    for group in {schedule.group for _, schedule in stack.schedules} - existing:
        scheduler.create_schedule_group(Name=group)  # AWS::Scheduler::ScheduleGroup is not emulated
    for fn, schedule in stack.schedules:
        state = "ENABLED" if schedule.enabled else "DISABLED"
        target: dict[str, Any] = {"Arn": fn.arn} | ({"Input": schedule.input} if schedule.input is not None else {})
        if schedule.kind == "Schedule":
            events.put_rule(Name=schedule.name, ScheduleExpression=schedule.expression, State=state)
            events.put_targets(Rule=schedule.name, Targets=[{"Id": f"{fn.logical_id}{schedule.event_name}", **target}])
        else:
            scheduler.create_schedule(
                Name=schedule.name,
                GroupName=schedule.group,
                ScheduleExpression=schedule.expression,
                ScheduleExpressionTimezone=schedule.timezone,
                FlexibleTimeWindow={"Mode": "OFF"},
                Target={**target, "RoleArn": role_arn},
                State=state,
            )


def _role(iam: Any, name: str, service: str) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
