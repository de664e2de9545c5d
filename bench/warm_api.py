"""Warm customers API against DynamoDB Local: latency and DynamoDB capacity per request.

The real handler (functions/customers/app.py:lambda_handler) is called in-process with API Gateway
REST proxy events, after a warm-up, so this is the warm path: routing, validation, auth, service,
pynamodb and the DynamoDB round trips. Each route is compared with a bare boto3 call of the same
kind on the same item or partition, measured in the same run against the same DynamoDB Local.
"""

import contextlib
import importlib.util
import io
import json
import os
import statistics
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench import ddblocal
from bench.cold_import import api_functions

N_CUSTOMERS = 200
CALLS = 200
WARMUP = 20
TARGET_GET_RCU = 1.0
TENANT = "t-bench"
HEAD_CLAIMS = {
    "sub": "east-head",
    "custom:tenant_id": TENANT,
    "custom:org_unit_id": "EAST",
    "custom:roles": "branch_head",
    "aud": "bench-client",
}
READ_OPS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}


# ------------------------------------------------------------------------------------- capacity


class Capacity:
    """Asks every DynamoDB call for ReturnConsumedCapacity=TOTAL and adds up what comes back.

    pynamodb builds its own botocore session per connection, so the hooks go on every client
    created from here on (Session.create_client is wrapped), not on one session.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, float | None]] = []

    def install(self) -> None:
        import botocore.session

        original = botocore.session.Session.create_client

        def create_client(session: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
            client = original(session, service_name, *args, **kwargs)
            if service_name == "dynamodb":
                client.meta.events.register("before-parameter-build.dynamodb.*", self._ask)
                client.meta.events.register("after-call.dynamodb.*", self._record)
            return client

        botocore.session.Session.create_client = create_client

    @staticmethod
    def _ask(params: dict[str, Any], model: Any, **_: Any) -> None:
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def _record(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        consumed = parsed.get("ConsumedCapacity")
        if consumed is None:
            self.calls.append((model.name, None))
            return
        entries = consumed if isinstance(consumed, list) else [consumed]
        self.calls.append((model.name, sum(float(e.get("CapacityUnits", 0)) for e in entries)))

    def take(self) -> tuple[float | None, float | None, int]:
        """(RCU, WCU, calls) since the last take; units None when the backend reported none."""
        calls, self.calls = self.calls, []
        if any(units is None for _, units in calls):
            return None, None, len(calls)
        rcu = sum(u or 0 for op, u in calls if op in READ_OPS)
        wcu = sum(u or 0 for op, u in calls if op not in READ_OPS)
        return rcu, wcu, len(calls)


# ------------------------------------------------------------------------------------- the handler


@dataclass
class Context:
    """The attributes of a Lambda context that Powertools reads."""

    function_name: str = "CustomersFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:CustomersFunction"
    aws_request_id: str = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 20_000


def rest_event(
    method: str,
    resource: str,
    path: str,
    *,
    path_params: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    body: Any = None,
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event as the Cognito authorizer passes it on."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": path_params,
        "stageVariables": {"USER_POOL_CLIENT_IDS": "bench-client"},  # the app client the API takes (template)
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/v1{path}",
            "stage": "v1",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"claims": HEAD_CLAIMS},
        },
        "body": json.dumps(body, ensure_ascii=False) if body is not None else None,
        "isBase64Encoded": False,
    }


def load_handler(table: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    from crm import tenancy

    fn = next(f for f in api_functions() if f.name == "CustomersFunction")
    # Module-level Powertools objects read the environment at import, so it is set first. No tenant role: DynamoDB
    # Local has no STS (in AWS the tenant's session is assumed once per container, not per request).
    env = {k: v for k, v in fn.env.items() if k != tenancy.ROLE_ENV}
    os.environ.update({**env, "TABLE_NAME": table, "POWERTOOLS_TRACE_DISABLED": "true"})  # no X-Ray daemon here
    spec = importlib.util.spec_from_file_location("customers_app", fn.code_dir / f"{fn.module}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


# ------------------------------------------------------------------------------------- the world


def seed(table: str) -> list[str]:
    """The org tree, its users, and N customers of the EAST-RX rep (through the service, as the API would)."""
    from crm.auth import Principal, Role
    from crm.customers.model import CustomerCreate
    from crm.customers.service import CustomerService
    from crm.db.base import bind_table
    from crm.org import directory

    bind_table(table)
    for unit, name, kind, parent in (
        ("HQ", "总部", "hq", None),
        ("EAST", "华东", "branch", "HQ"),
        ("EAST-RX", "华东处方", "department", "EAST"),
    ):
        directory.save_unit(TENANT, unit, name, kind, parent)
    for user, unit, role in (("east-head", "EAST", "branch_head"), ("rep", "EAST-RX", "rep")):
        directory.save_user(TENANT, user, name=user, username=user, org_unit_id=unit, roles=[role])
    rep = CustomerService(Principal(TENANT, "rep", "EAST-RX", frozenset({Role.REP})))
    return [rep.create(CustomerCreate.model_validate(new_customer(f"客户{i:04d}"))).id for i in range(N_CUSTOMERS)]


def new_customer(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "profile": {"type": "terminal", "kind": "pharmacy"},
        "region": {"city": "杭州"},
        "aliases": [f"{name}药店"],
        "phone": "0571-8888 6666",
    }


# ------------------------------------------------------------------------------------- measuring


@dataclass
class Result:
    name: str
    p50_ms: float
    p99_ms: float
    rcu: float | None
    wcu: float | None
    calls: float
    errors: int = 0


def measure(name: str, call: Callable[[int], int | None], capacity: Capacity, expect: int | None = None) -> Result:
    """Runs call(i) WARMUP times, then CALLS timed times; call returns the HTTP status (None for bare boto3)."""
    for i in range(WARMUP):
        call(-1 - i)
    capacity.take()
    times, rcus, wcus, counts, errors = [], [], [], [], 0
    for i in range(CALLS):
        start = time.perf_counter()
        status = call(i)
        times.append((time.perf_counter() - start) * 1000)
        rcu, wcu, n = capacity.take()
        rcus.append(rcu)
        wcus.append(wcu)
        counts.append(n)
        errors += status is not None and status != expect
    known = None not in rcus
    return Result(
        name,
        statistics.median(times),
        statistics.quantiles(times, n=100)[98],
        statistics.mean(rcus) if known else None,
        statistics.mean(wcus) if known else None,
        statistics.mean(counts),
        errors,
    )


def run() -> list[Result] | None:
    reason = ddblocal.unavailable_reason()
    if reason:
        print(f"Warm API: skipped ({reason})")
        return None
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    capacity = Capacity()
    capacity.install()  # before any client exists, so every client gets the hooks
    with ddblocal.serving() as endpoint:
        results = _run_against(endpoint, capacity)
    report(results)
    return results


def _run_against(endpoint: str, capacity: Capacity) -> list[Result]:
    import boto3

    table = f"crm-bench-{uuid.uuid4().hex[:8]}"
    client = boto3.client("dynamodb", endpoint_url=endpoint)
    ddblocal.create_table(client, table)
    handler = load_handler(table)
    ids = seed(table)
    ctx = Context()
    sink = io.StringIO()  # Powertools Metrics prints one EMF line per request; keep the cost, not the noise
    warnings.filterwarnings("ignore", message="No application metrics to publish")

    def api(event: dict[str, Any]) -> int:
        with contextlib.redirect_stdout(sink):
            status = handler(event, ctx)["statusCode"]
        sink.seek(0)
        sink.truncate()
        return status

    def get(i: int) -> int:
        cid = ids[i % len(ids)]
        return api(rest_event("GET", "/customers/{customer_id}", f"/customers/{cid}", path_params={"customer_id": cid}))

    def list_(i: int) -> int:
        return api(rest_event("GET", "/customers", "/customers", query={"limit": "50"}))

    def post(i: int) -> int:
        return api(rest_event("POST", "/customers", "/customers", body=new_customer(f"压测客户{i + 100:05d}")))

    tenant_pk = f"T#{TENANT}#CUST"
    item = client.get_item(TableName=table, Key=_key(TENANT, ids[0]))["Item"]

    def bare_get(i: int) -> None:
        client.get_item(TableName=table, Key=_key(TENANT, ids[i % len(ids)]))

    def bare_query(i: int) -> None:
        client.query(
            TableName=table,
            IndexName="gsi1",
            Limit=50,
            KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues={":p": {"S": tenant_pk}},
        )

    def bare_put(i: int) -> None:
        client.put_item(TableName=table, Item={**item, "pk": {"S": f"{tenant_pk}#bench{i}"}})

    return [
        measure("GET /customers/{id}", get, capacity, 200),
        measure("  boto3 GetItem", bare_get, capacity),
        measure("GET /customers?limit=50", list_, capacity, 200),
        measure("  boto3 Query 50", bare_query, capacity),
        measure("POST /customers", post, capacity, 201),
        measure("  boto3 PutItem", bare_put, capacity),
    ]


def _key(tenant: str, customer_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"T#{tenant}#CUST#{customer_id}"}, "sk": {"S": "META"}}


def _units(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def report(results: list[Result]) -> None:
    print(
        f"Warm customers API on DynamoDB Local ({N_CUSTOMERS} customers; {CALLS} calls each after {WARMUP} warm-up;"
        " ratio = p50 / p50 of the bare boto3 call below it)"
    )
    print(
        f"{'route':<26}{'p50 ms':>8}{'p99 ms':>8}{'ratio':>8}{'RCU/req':>9}{'WCU/req':>9}{'DDB calls':>10}{'errors':>8}"
    )
    for api, bare in zip(results[::2], results[1::2], strict=True):
        for r in (api, bare):
            ratio = f"{api.p50_ms / bare.p50_ms:.1f}x" if r is api else ""
            print(
                f"{r.name:<26}{r.p50_ms:>8.1f}{r.p99_ms:>8.1f}{ratio:>8}{_units(r.rcu):>9}{_units(r.wcu):>9}"
                f"{r.calls:>10.1f}{r.errors if r is api else '':>8}"
            )
    get = results[0]
    verdict = (
        "UNKNOWN (no ConsumedCapacity returned)"
        if get.rcu is None
        else ("PASS" if get.rcu <= TARGET_GET_RCU else "FAIL")
    )
    print(f"Target: GET by id <= {TARGET_GET_RCU:g} RCU per request: {_units(get.rcu)} RCU -> {verdict}")
