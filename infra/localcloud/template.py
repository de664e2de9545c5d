"""Reads a SAM template.yaml into plain data that the local runtime and the tests build from.

Intrinsics are resolved the way CloudFormation would resolve them for a stack called `stack_name`
in us-east-1. Resource types the local runtime does not emulate (Cognito, alarms, dashboards,
subscriptions, ...) are listed in `Stack.skipped` rather than rejected.

Every physical name is known before anything exists, as the resolver needs it. So a KMS key, whose
id AWS picks at random, gets a stable UUID of its own here (resources.py gives the moto key that id).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samtranslator.yaml_helper import yaml_parse

from . import iam

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
# Every Cognito user pool in the template stands for the one local token issuer (tokens.py).
USER_POOL_ID = f"{REGION}_localpool"
LOCAL_CLIENT_ID = "localcloud-client"
IMPLICIT_API = "ServerlessRestApi"
_NO_VALUE = object()  # AWS::NoValue: the enclosing key or list item disappears


@dataclass
class ApiRoute:
    path: str  # as in the template: /customers/{customer_id}
    method: str  # upper case; ANY matches every method
    function: str  # logical id
    api: str  # logical id of the Api
    authorizer: str | None  # Cognito authorizer name, None when the route is open


@dataclass
class S3Trigger:
    bucket: str  # logical id
    events: list[str]
    filter_rules: list[dict[str, str]]  # [{"Name": "prefix" | "suffix", "Value": ...}]


@dataclass
class SqsTrigger:
    queue_arn: str
    batch_size: int


@dataclass
class EventRule:
    """An EventBridgeRule event: a rule on a bus, with the function as its one target."""

    name: str
    bus: str  # the event bus's name; "default" unless EventBusName says otherwise
    pattern: dict[str, Any]
    target: dict[str, Any]  # as in AWS::Events::Rule Targets: Id, Arn, and Input, InputPath or InputTransformer
    enabled: bool


@dataclass
class Schedule:
    """A Schedule event (an EventBridge rule with a schedule) or a ScheduleV2 one (EventBridge Scheduler)."""

    event_name: str  # the key under the function's Events
    kind: str  # "Schedule" | "ScheduleV2"
    name: str  # the rule's or the schedule's name
    arn: str
    expression: str  # rate(...), cron(...) or at(...)
    timezone: str  # ScheduleV2's ScheduleExpressionTimezone; a rule's schedule is always UTC
    input: str | None  # JSON text sent instead of the scheduled event
    enabled: bool
    group: str = "default"  # ScheduleV2's schedule group


@dataclass
class Function:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str  # module.function
    runtime: str
    timeout: int
    memory_size: int
    environment: dict[str, str]
    layer_dirs: list[Path] = field(default_factory=list)  # the template's own layers, in order
    routes: list[ApiRoute] = field(default_factory=list)
    s3_triggers: list[S3Trigger] = field(default_factory=list)
    sqs_triggers: list[SqsTrigger] = field(default_factory=list)
    event_rules: list[EventRule] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    policies: list[Any] = field(default_factory=list)  # its role's Policies, resolved (guard.py reads them)
    # An asynchronous invocation that fails is tried again (EventInvokeConfig.MaximumRetryAttempts, 2 by default),
    # then its event goes to the DeadLetterQueue and/or the OnFailure destination (SQS queue ARNs).
    async_retries: int = 2
    dead_letter_arn: str | None = None
    on_failure_arn: str | None = None


@dataclass
class KmsKey:
    logical_id: str
    key_id: str  # stable per stack and logical id, the Ref of the key
    arn: str
    properties: dict[str, Any]  # resolved CloudFormation properties

    def create_key_kwargs(self) -> dict[str, Any]:
        """The boto3 CreateKey arguments for these CloudFormation properties."""
        p = self.properties
        kwargs = {"KeyUsage": p.get("KeyUsage", "ENCRYPT_DECRYPT"), "KeySpec": p.get("KeySpec", "SYMMETRIC_DEFAULT")}
        if "Description" in p:
            kwargs["Description"] = p["Description"]
        if "KeyPolicy" in p:
            kwargs["Policy"] = _cfn_string(p["KeyPolicy"])
        return kwargs


@dataclass
class Table:
    logical_id: str
    name: str
    properties: dict[str, Any]  # resolved CloudFormation properties

    def create_table_kwargs(self) -> dict[str, Any]:
        """The boto3 CreateTable arguments for these CloudFormation properties."""
        p = self.properties
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "AttributeDefinitions": p["AttributeDefinitions"],
            "KeySchema": p["KeySchema"],
            "BillingMode": p.get("BillingMode", "PROVISIONED"),
        }
        index_keys = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if kind in p:
                kwargs[kind] = [{k: v for k, v in index.items() if k in index_keys} for index in p[kind]]
        if "ProvisionedThroughput" in p:
            kwargs["ProvisionedThroughput"] = p["ProvisionedThroughput"]
        if stream := p.get("StreamSpecification"):
            kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
        if sse := p.get("SSESpecification"):
            kwargs["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled"))}
        return kwargs

    @property
    def ttl_attribute(self) -> str | None:
        ttl = self.properties.get("TimeToLiveSpecification") or {}
        return ttl.get("AttributeName") if ttl.get("Enabled") else None


@dataclass
class Queue:
    logical_id: str
    name: str
    url: str
    arn: str
    attributes: dict[str, str]


@dataclass
class StateMachine:
    logical_id: str
    name: str
    arn: str
    definition: dict[str, Any]
    type: str  # STANDARD | EXPRESS


@dataclass
class Api:
    logical_id: str
    id: str
    stage: str
    authorizers: dict[str, list[str]]  # authorizer name -> user pool ids it accepts
    default_authorizer: str | None
    gateway_responses: dict[str, Any]
    variables: dict[str, str] = field(default_factory=dict)  # the stage's variables, as strings


@dataclass
class Stack:
    name: str
    names: dict[str, str] = field(default_factory=dict)  # physical name of every resource
    functions: dict[str, Function] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)  # logical id -> bucket name
    versioned_buckets: set[str] = field(default_factory=set)  # bucket names with VersioningConfiguration Enabled
    locked_buckets: set[str] = field(default_factory=set)  # bucket names with ObjectLockEnabled
    queues: dict[str, Queue] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)  # logical id -> topic name
    event_buses: dict[str, str] = field(default_factory=dict)  # logical id -> bus name
    kms_keys: dict[str, KmsKey] = field(default_factory=dict)
    kms_aliases: dict[str, tuple[str, str]] = field(default_factory=dict)  # logical id -> (alias name, key id)
    email_identities: dict[str, str] = field(default_factory=dict)  # logical id -> SES domain or address
    user_pools: dict[str, str] = field(default_factory=dict)  # logical id -> name; each is the pool USER_POOL_ID
    state_machines: dict[str, StateMachine] = field(default_factory=dict)
    apis: dict[str, Api] = field(default_factory=dict)
    alarms: dict[str, dict[str, Any]] = field(default_factory=dict)  # alarm name -> resolved metric alarm properties
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)  # role ARN -> resolved AWS::IAM::Role properties
    managed_policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # policy ARN -> its PolicyDocument
    skipped: dict[str, str] = field(default_factory=dict)  # logical id -> why it is not created

    @property
    def routes(self) -> list[ApiRoute]:
        return [route for fn in self.functions.values() for route in fn.routes]

    @property
    def schedules(self) -> list[tuple[Function, Schedule]]:
        return [(fn, schedule) for fn in self.functions.values() for schedule in fn.schedules]

    def function_statements(self, logical_id: str) -> list[dict[str, Any]]:
        """The IAM statements a function's role holds as the template writes them: inline `Statement` policies and
        the template's managed policies (SAM policy templates and AWS-managed policies are not expanded)."""
        statements: list[dict[str, Any]] = []
        for policy in self.functions[logical_id].policies:
            document = self.managed_policies.get(policy) if isinstance(policy, str) else policy
            if isinstance(document, dict) and "Statement" in document:
                statements.extend(iam.statements_of(document))
        return statements

    def role_statements(self, role_arn: str) -> list[dict[str, Any]] | None:
        """A template role's statements (inline and managed policies); None for a role not in the template."""
        role = self.roles.get(role_arn)
        if role is None:
            return None
        documents = [p["PolicyDocument"] for p in role.get("Policies", [])]
        documents += [
            self.managed_policies[arn] for arn in role.get("ManagedPolicyArns", []) if arn in self.managed_policies
        ]
        return [statement for document in documents for statement in iam.statements_of(document)]

    def hash_key(self, table_name: str, index: str | None = None) -> str | None:
        """The partition key attribute of a table or of one of its indexes."""
        for table in self.tables.values():
            if table.name == table_name:
                p = table.properties
                schemas = (
                    [p["KeySchema"]]
                    if index is None
                    else [
                        i["KeySchema"]
                        for i in p.get("GlobalSecondaryIndexes", []) + p.get("LocalSecondaryIndexes", [])
                        if i["IndexName"] == index
                    ]
                )
                return next((k["AttributeName"] for schema in schemas for k in schema if k["KeyType"] == "HASH"), None)
        return None


def _on_failure_queue(config: dict[str, Any]) -> str | None:
    on_failure = config.get("DestinationConfig", {}).get("OnFailure", {})
    return on_failure.get("Destination") if on_failure.get("Type", "SQS") == "SQS" else None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def load_template(path: str | Path, stack_name: str = "crm-local", parameters: dict[str, str] | None = None) -> Stack:
    path = Path(path).resolve()
    return _Loader(yaml_parse(path.read_text()), path.parent, stack_name, parameters or {}).load()


_NAME_PROPERTY = {
    "AWS::Serverless::Function": "FunctionName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Events::EventBus": "Name",
    "AWS::Serverless::StateMachine": "Name",
    "AWS::Serverless::LayerVersion": "LayerName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::SES::EmailIdentity": "EmailIdentity",
}


class _Resolver:
    """Evaluates intrinsic functions against parameters, conditions and resource identities."""

    def __init__(self, template: dict[str, Any], stack_name: str, overrides: dict[str, str]) -> None:
        self.stack_name = stack_name
        self.resources: dict[str, Any] = template.get("Resources", {})
        self.values: dict[str, Any] = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": stack_name,
            "AWS::StackId": _arn("cloudformation", f"stack/{stack_name}/local"),
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": _NO_VALUE,
        }
        for name, spec in template.get("Parameters", {}).items():
            self.values[name] = overrides.get(name, spec.get("Default", ""))
        self.condition_specs: dict[str, Any] = template.get("Conditions", {})

    def resolve(self, node: Any) -> Any:
        if isinstance(node, dict):
            if len(node) == 1:
                ((key, arg),) = node.items()
                if key == "Ref" or key.startswith("Fn::"):
                    return self._intrinsic(key, arg)
            resolved = {k: self.resolve(v) for k, v in node.items()}
            return {k: v for k, v in resolved.items() if v is not _NO_VALUE}
        if isinstance(node, list):
            return [v for v in map(self.resolve, node) if v is not _NO_VALUE]
        return node

    def condition(self, name: str) -> bool:
        return bool(self._truth(self.condition_specs[name]))

    def _truth(self, node: Any) -> Any:
        if isinstance(node, dict) and set(node) == {"Condition"}:
            return self.condition(node["Condition"])
        return self.resolve(node)

    def _intrinsic(self, key: str, arg: Any) -> Any:
        match key:
            case "Ref":
                return self._ref(arg)
            case "Fn::GetAtt":
                logical_id, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
                return self._get_att(logical_id, attribute)
            case "Fn::Sub":
                return self._sub(*arg) if isinstance(arg, list) else self._sub(arg)
            case "Fn::Join":
                delimiter, items = arg
                return delimiter.join(str(item) for item in self.resolve(items))
            case "Fn::Select":
                index, items = self.resolve(arg)
                return items[int(index)]
            case "Fn::If":
                name, if_true, if_false = arg
                return self.resolve(if_true if self.condition(name) else if_false)
            case "Fn::Equals":
                left, right = self.resolve(arg)
                return str(left) == str(right)
            case "Fn::Not":
                return not self._truth(arg[0])
            case "Fn::And":
                return all(self._truth(item) for item in arg)
            case "Fn::Or":
                return any(self._truth(item) for item in arg)
        raise ValueError(f"{key} is not supported by the local runtime")

    def _ref(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        return self.identity(name)[0]

    def _get_att(self, logical_id: str, attribute: str) -> str:
        attributes = self.identity(logical_id)[1]
        if attribute not in attributes:
            raise ValueError(f"Fn::GetAtt {logical_id}.{attribute} is not supported by the local runtime")
        return attributes[attribute]

    def _sub(self, text: str, variables: dict[str, Any] | None = None) -> str:
        local = {k: self.resolve(v) for k, v in (variables or {}).items()}

        def replace(match: str) -> str:
            if match.startswith("!"):  # ${!Literal} stays ${Literal}
                return "${" + match[1:] + "}"
            if match in local:
                return str(local[match])
            if "." in match and match not in self.values:
                return str(self._get_att(*match.split(".", 1)))
            return str(self._ref(match))

        out, rest = [], text
        while (start := rest.find("${")) >= 0:
            end = rest.index("}", start)
            out += [rest[:start], replace(rest[start + 2 : end])]
            rest = rest[end + 1 :]
        return "".join([*out, rest])

    def physical_name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        explicit = resource.get("Properties", {}).get(_NAME_PROPERTY.get(resource["Type"], ""))
        if explicit is not None:
            return str(self.resolve(explicit))
        if resource["Type"] == "AWS::KMS::Key":  # AWS picks a random UUID; ours is stable
            return str(uuid.uuid5(uuid.NAMESPACE_URL, f"localcloud:{self.stack_name}/{logical_id}"))
        name = f"{self.stack_name}-{logical_id}"
        return name.lower() if resource["Type"] == "AWS::S3::Bucket" else name

    def identity(self, logical_id: str) -> tuple[str, dict[str, str]]:
        """What Ref returns for a resource, and its GetAtt attributes."""
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id)
        match kind:
            case "AWS::Serverless::Function" | "AWS::Lambda::Function":
                return name, {"Arn": _arn("lambda", f"function:{name}")}
            case "AWS::DynamoDB::Table":
                return name, {"Arn": _arn("dynamodb", f"table/{name}")}
            case "AWS::S3::Bucket":
                return name, {
                    "Arn": f"arn:aws:s3:::{name}",
                    "DomainName": f"{name}.s3.amazonaws.com",
                    "RegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com",
                }
            case "AWS::SQS::Queue":
                url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"
                return url, {"Arn": _arn("sqs", name), "QueueName": name, "QueueUrl": url}
            case "AWS::SNS::Topic":
                arn = _arn("sns", name)
                return arn, {"TopicArn": arn, "TopicName": name}
            case "AWS::Events::EventBus":
                return name, {"Arn": _arn("events", f"event-bus/{name}"), "Name": name}
            case "AWS::Serverless::StateMachine" | "AWS::StepFunctions::StateMachine":
                arn = _arn("states", f"stateMachine:{name}")
                return arn, {"Arn": arn, "Name": name}
            case "AWS::Serverless::LayerVersion" | "AWS::Lambda::LayerVersion":
                return _arn("lambda", f"layer:{name}:1"), {}
            case "AWS::Serverless::Api":
                return _short_id(self.stack_name, logical_id), {"RootResourceId": "root"}
            case "AWS::Cognito::UserPool":
                return USER_POOL_ID, {
                    "Arn": _arn("cognito-idp", f"userpool/{USER_POOL_ID}"),
                    "ProviderName": f"cognito-idp.{REGION}.amazonaws.com/{USER_POOL_ID}",
                    "ProviderURL": f"https://cognito-idp.{REGION}.amazonaws.com/{USER_POOL_ID}",
                }
            case "AWS::Cognito::UserPoolClient":  # one local app client, like the one pool (tokens.py mints for it)
                return LOCAL_CLIENT_ID, {}
            case "AWS::KMS::Key":
                return name, {"Arn": _arn("kms", f"key/{name}"), "KeyId": name}
            case "AWS::KMS::Alias" | "AWS::SES::EmailIdentity":
                return name, {}
            case "AWS::IAM::Role":
                return name, {
                    "Arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",
                    "RoleId": _short_id(self.stack_name, logical_id),
                }
            case "AWS::IAM::ManagedPolicy":
                return f"arn:aws:iam::{ACCOUNT_ID}:policy/{name}", {
                    "PolicyArn": f"arn:aws:iam::{ACCOUNT_ID}:policy/{name}"
                }
        return name, {"Arn": _arn(kind.split("::")[1].lower(), name)}


class _Loader:
    def __init__(self, template: dict[str, Any], base_dir: Path, stack_name: str, params: dict[str, str]):
        self.base_dir = base_dir
        self.r = _Resolver(template, stack_name, params)
        self.stack = Stack(name=stack_name)
        self.globals = template.get("Globals", {})
        self.layer_dirs: dict[str, Path] = {}  # layer version ARN -> its code directory

    def load(self) -> Stack:
        builders = {
            "AWS::Serverless::Api": self._api,
            "AWS::Serverless::Function": self._function,
            "AWS::DynamoDB::Table": self._table,
            "AWS::SQS::Queue": self._queue,
            "AWS::Serverless::StateMachine": self._state_machine,
            "AWS::Serverless::LayerVersion": self._layer,
            "AWS::KMS::Key": self._kms_key,
            "AWS::KMS::Alias": self._kms_alias,
            "AWS::IAM::Role": self._role,
            "AWS::IAM::ManagedPolicy": self._managed_policy,
            "AWS::CloudWatch::Alarm": self._alarm,
        }
        named = {  # resources that are just a name to create
            "AWS::S3::Bucket": self.stack.buckets,
            "AWS::SNS::Topic": self.stack.topics,
            "AWS::Events::EventBus": self.stack.event_buses,
            "AWS::SES::EmailIdentity": self.stack.email_identities,
            "AWS::Cognito::UserPool": self.stack.user_pools,
        }
        # Functions come last: they look up their Api's default authorizer and their layers' code.
        first = ("AWS::Serverless::Api", "AWS::Serverless::LayerVersion")
        ordered = sorted(self.r.resources.items(), key=lambda item: item[1]["Type"] not in first)
        for logical_id, resource in ordered:
            kind = resource["Type"]
            self.stack.names[logical_id] = self.r.physical_name(logical_id)
            if "Condition" in resource and not self.r.condition(resource["Condition"]):
                self.stack.skipped[logical_id] = f"{kind} (condition {resource['Condition']} is false)"
            elif kind in builders:
                builders[kind](logical_id, resource.get("Properties", {}))
            elif kind in named:
                named[kind][logical_id] = self.stack.names[logical_id]
                if resource.get("Properties", {}).get("VersioningConfiguration", {}).get("Status") == "Enabled":
                    self.stack.versioned_buckets.add(self.stack.names[logical_id])
                if resource.get("Properties", {}).get("ObjectLockEnabled") is True:
                    self.stack.locked_buckets.add(self.stack.names[logical_id])
            else:
                self.stack.skipped[logical_id] = f"{kind} (not emulated)"
        return self.stack

    def _api(self, logical_id: str, raw: dict[str, Any]) -> None:
        props = self.r.resolve(_merge(self.globals.get("Api", {}), raw))
        auth = props.get("Auth", {})
        authorizers = {}
        for name, spec in auth.get("Authorizers", {}).items():
            if "UserPoolArn" not in spec:
                raise ValueError(f"{logical_id}: authorizer {name} is not Cognito; only Cognito is emulated")
            arns = spec["UserPoolArn"] if isinstance(spec["UserPoolArn"], list) else [spec["UserPoolArn"]]
            authorizers[name] = [arn.rsplit("/", 1)[-1] for arn in arns]
        self.stack.apis[logical_id] = Api(
            logical_id=logical_id,
            id=_short_id(self.stack.name, logical_id),
            stage=str(props.get("StageName", "Prod")),
            authorizers=authorizers,
            default_authorizer=auth.get("DefaultAuthorizer"),
            gateway_responses=props.get("GatewayResponses", {}),
            variables={k: _cfn_string(v) for k, v in props.get("Variables", {}).items()},
        )

    def _role(self, logical_id: str, raw: dict[str, Any]) -> None:
        """Not created in moto (which does not evaluate conditions): guard.py checks calls against it."""
        self.stack.roles[self.r.identity(logical_id)[1]["Arn"]] = self.r.resolve(raw)

    def _alarm(self, logical_id: str, raw: dict[str, Any]) -> None:
        props = self.r.resolve(raw)
        if "MetricName" in props:
            self.stack.alarms[props.get("AlarmName") or self.stack.names[logical_id]] = props
        else:
            self.stack.skipped[logical_id] = "AWS::CloudWatch::Alarm (only alarms on one metric are emulated)"

    def _managed_policy(self, logical_id: str, raw: dict[str, Any]) -> None:
        self.stack.managed_policies[self.r.identity(logical_id)[0]] = self.r.resolve(raw["PolicyDocument"])

    def _function(self, logical_id: str, raw: dict[str, Any]) -> None:
        # AutoPublishAlias and SnapStart have no local meaning: every invocation runs the code as it is now, and an
        # invocation of the alias (a qualified ARN) finds the function (lambdas.py).
        merged = _merge(self.globals.get("Function", {}), raw)
        events = merged.pop("Events", {})
        props = self.r.resolve(merged)
        if not isinstance(props.get("CodeUri"), str):
            raise ValueError(f"{logical_id}: only a local CodeUri directory is supported")
        name, attributes = self.r.identity(logical_id)
        fn = Function(
            logical_id=logical_id,
            name=name,
            arn=attributes["Arn"],
            code_dir=(self.base_dir / props["CodeUri"]).resolve(),
            handler=props["Handler"],
            runtime=props.get("Runtime", "python3.12"),
            timeout=int(props.get("Timeout", 3)),
            memory_size=int(props.get("MemorySize", 128)),
            environment={k: _cfn_string(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()},
            # Layers from outside the template (AWS-managed ones) have no local code.
            layer_dirs=[self.layer_dirs[arn] for arn in props.get("Layers", []) if arn in self.layer_dirs],
            policies=_listed(props.get("Policies", [])),
            async_retries=int(props.get("EventInvokeConfig", {}).get("MaximumRetryAttempts", 2)),
            dead_letter_arn=props.get("DeadLetterQueue", {}).get("TargetArn"),
            on_failure_arn=_on_failure_queue(props.get("EventInvokeConfig", {})),
        )
        for event_name, event in events.items():
            self._add_event(fn, event_name, event["Type"], event.get("Properties", {}))
        self.stack.functions[logical_id] = fn

    def _add_event(self, fn: Function, event_name: str, kind: str, raw: dict[str, Any]) -> None:
        if kind == "Api":
            api = _ref_target(raw.get("RestApiId")) or self._implicit_api()
            authorizer = raw.get("Auth", {}).get("Authorizer") or self.stack.apis[api].default_authorizer
            fn.routes.append(
                ApiRoute(
                    path=raw["Path"],
                    method=raw["Method"].upper(),
                    function=fn.logical_id,
                    api=api,
                    authorizer=None if authorizer in (None, "NONE") else authorizer,
                )
            )
        elif kind == "S3":
            props = self.r.resolve({k: v for k, v in raw.items() if k != "Bucket"})
            events = props["Events"] if isinstance(props["Events"], list) else [props["Events"]]
            rules = props.get("Filter", {}).get("S3Key", {}).get("Rules", [])
            fn.s3_triggers.append(S3Trigger(bucket=_ref_target(raw["Bucket"]), events=events, filter_rules=rules))
        elif kind == "SQS":
            props = self.r.resolve(raw)
            fn.sqs_triggers.append(SqsTrigger(queue_arn=props["Queue"], batch_size=int(props.get("BatchSize", 10))))
        elif kind in ("EventBridgeRule", "CloudWatchEvent"):
            fn.event_rules.append(self._event_rule(fn, event_name, self.r.resolve(raw)))
        elif kind in ("Schedule", "ScheduleV2"):
            fn.schedules.append(self._schedule(fn, event_name, kind, self.r.resolve(raw)))
        else:
            self.stack.skipped[f"{fn.logical_id}.{event_name}"] = f"{kind} event (not emulated)"

    def _event_rule(self, fn: Function, event_name: str, props: dict[str, Any]) -> EventRule:
        """What SAM makes of the event: an AWS::Events::Rule whose target is the function.

        DeadLetterConfig and RetryPolicy are ignored: a local delivery does not fail or retry.
        """
        target = {"Id": props.get("Target", {}).get("Id", f"{fn.logical_id}{event_name}LambdaTarget"), "Arn": fn.arn}
        for key in ("Input", "InputPath"):
            if key in props:
                target[key] = _cfn_string(props[key])
        if "InputTransformer" in props:
            target["InputTransformer"] = props["InputTransformer"]
        return EventRule(
            name=props.get("RuleName") or self._generated_name(fn, event_name),
            bus=str(props.get("EventBusName", "default")).rsplit("/", 1)[-1],  # a name, or an event-bus ARN
            pattern=props.get("Pattern", {}),
            target=target,
            enabled=_enabled(props),
        )

    def _schedule(self, fn: Function, event_name: str, kind: str, props: dict[str, Any]) -> Schedule:
        name = props.get("Name") or self._generated_name(fn, event_name)
        group = props.get("GroupName", "default")
        v2 = kind == "ScheduleV2"
        return Schedule(
            event_name=event_name,
            kind=kind,
            name=name,
            arn=_arn("scheduler", f"schedule/{group}/{name}") if v2 else _arn("events", f"rule/{name}"),
            expression=props["ScheduleExpression" if v2 else "Schedule"],
            timezone=props.get("ScheduleExpressionTimezone", "UTC") if v2 else "UTC",
            input=_cfn_string(props["Input"]) if "Input" in props else None,
            enabled=_enabled(props),
            group=group,
        )

    def _generated_name(self, fn: Function, event_name: str) -> str:
        """SAM's logical id for the rule or schedule, behind the stack name (so stacks can coexist)."""
        return f"{self.stack.name}-{fn.logical_id}{event_name}"[:64]

    def _kms_key(self, logical_id: str, raw: dict[str, Any]) -> None:
        key_id, attributes = self.r.identity(logical_id)
        self.stack.kms_keys[logical_id] = KmsKey(logical_id, key_id, attributes["Arn"], self.r.resolve(raw))

    def _kms_alias(self, logical_id: str, raw: dict[str, Any]) -> None:
        props = self.r.resolve(raw)
        if not str(props["AliasName"]).startswith("alias/"):
            raise ValueError(f"{logical_id}: AliasName must begin with alias/ (CloudFormation rejects it otherwise)")
        key_id = str(props["TargetKeyId"]).rsplit("/", 1)[-1]  # a key id, or a key ARN
        self.stack.kms_aliases[logical_id] = (props["AliasName"], key_id)

    def _layer(self, logical_id: str, raw: dict[str, Any]) -> None:
        content = (self.base_dir / self.r.resolve(raw["ContentUri"])).resolve()
        # Built layers (Metadata.BuildMethod) hold the package itself; prebuilt ones hold python/.
        self.layer_dirs[self.r.identity(logical_id)[0]] = (
            content / "python" if (content / "python").is_dir() else content
        )

    def _implicit_api(self) -> str:
        if IMPLICIT_API not in self.stack.apis:
            self._api(IMPLICIT_API, {})
        return IMPLICIT_API

    def _table(self, logical_id: str, raw: dict[str, Any]) -> None:
        self.stack.tables[logical_id] = Table(logical_id, self.stack.names[logical_id], self.r.resolve(raw))

    def _queue(self, logical_id: str, raw: dict[str, Any]) -> None:
        props = self.r.resolve(raw)
        url, attributes = self.r.identity(logical_id)
        self.stack.queues[logical_id] = Queue(
            logical_id=logical_id,
            name=self.stack.names[logical_id],
            url=url,
            arn=attributes["Arn"],
            attributes={k: _cfn_string(v) for k, v in props.items() if k not in ("QueueName", "Tags")},
        )

    def _state_machine(self, logical_id: str, raw: dict[str, Any]) -> None:
        props = self.r.resolve(raw)
        uri = props.get("DefinitionUri")
        text = (self.base_dir / uri).read_text() if uri else json.dumps(props["Definition"])
        # SAM hands DefinitionSubstitutions to CloudFormation, which replaces ${Name} in the text.
        for key, value in props.get("DefinitionSubstitutions", {}).items():
            text = text.replace("${" + key + "}", _cfn_string(value))
        definition = yaml_parse(text) if uri and not uri.endswith(".json") else json.loads(text)
        arn = self.r.identity(logical_id)[0]
        self.stack.state_machines[logical_id] = StateMachine(
            logical_id, self.stack.names[logical_id], arn, definition, props.get("Type", "STANDARD")
        )


def _merge(base: Any, override: Any) -> Any:
    """SAM Globals semantics: maps merge (the resource wins), lists concatenate, scalars are replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        return {**base, **{k: _merge(base[k], v) if k in base else v for k, v in override.items()}}
    if isinstance(base, list) and isinstance(override, list):
        return base + override
    return override


def _enabled(props: dict[str, Any]) -> bool:
    """SAM's State ("ENABLED" | "DISABLED") or Enabled (a boolean); a rule or schedule is on by default."""
    if "State" in props:
        return str(props["State"]).upper() == "ENABLED"
    return props.get("Enabled", True) not in (False, "false", "False")


def _ref_target(node: Any) -> str | None:
    """The logical id behind `!Ref X` (SAM event sources name resources of the same template)."""
    return node.get("Ref") if isinstance(node, dict) else node


def _cfn_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{resource}"


def _short_id(stack_name: str, logical_id: str, length: int = 10) -> str:
    """A stable lower-case id, shaped like the ids AWS generates for APIs and app clients."""
    return hashlib.sha256(f"{stack_name}/{logical_id}".encode()).hexdigest()[:length]
