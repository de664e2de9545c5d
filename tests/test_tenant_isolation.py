"""Tenant isolation held by IAM: the template's statements, evaluated as AWS evaluates them (localcloud.iam).

A function reaches tenant data only through TenantDataRole, assumed with the session tag tenant=<id>; these tests
read that role and every function's role from template.yaml, so removing the LeadingKeys condition, widening an
S3 prefix or giving a function table access of its own fails them.
"""

import copy
from pathlib import Path
from typing import Any

import pytest
from localcloud.iam import Request, allowed
from localcloud.template import ACCOUNT_ID, REGION, load_template

STACK = load_template(Path(__file__).resolve().parents[1] / "template.yaml")
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{STACK.names['Table']}"
UPLOADS = f"arn:aws:s3:::{STACK.names['UploadsBucket']}"
ANALYTICS = f"arn:aws:s3:::{STACK.names['AnalyticsBucket']}"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/{STACK.names['TenantDataRole']}"
TENANT_ROLE = STACK.role_statements(ROLE_ARN) or []


def as_tenant(tenant: str, action: str, resource: str, statements: list[Any] = TENANT_ROLE, **context: Any) -> bool:
    context = {"aws:PrincipalTag/tenant": tenant, **{k.replace("__", ":"): v for k, v in context.items()}}
    return allowed(statements, Request(action, resource, context))


def item(action: str, *partition_keys: str, resource: str = TABLE) -> dict[str, Any]:
    return {"action": f"dynamodb:{action}", "resource": resource, "dynamodb__LeadingKeys": list(partition_keys)}


def test_a_tenant_session_reads_and_writes_its_own_items():
    for action in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "ConditionCheckItem"):
        assert as_tenant("acme", **item(action, "T#acme#CUST#01J"))
    assert as_tenant("acme", **item("Query", "T#acme#CUST", resource=f"{TABLE}/index/gsi1"))
    assert as_tenant("acme", **item("BatchWriteItem", "T#acme#CUST#1", "T#acme#NAME#x"))


def test_a_tenant_session_is_refused_another_tenants_items():
    assert not as_tenant("acme", **item("GetItem", "T#rival#CUST#01J"))
    assert not as_tenant("acme", **item("Query", "T#rival#CUST", resource=f"{TABLE}/index/gsi1"))
    # One foreign key in a batch or transaction refuses the whole call.
    assert not as_tenant("acme", **item("BatchGetItem", "T#acme#CUST#1", "T#rival#CUST#2"))
    # A tenant id that is a prefix of another's does not reach it: the key's tenant part ends with '#'.
    assert not as_tenant("acme", **item("GetItem", "T#acme-east#CUST#01J"))
    # Keys outside every tenant (the sweeps' index partitions) are not the tenant's either.
    assert not as_tenant("acme", **item("Query", "APPROVALRUNS#OPEN", resource=f"{TABLE}/index/gsi4"))


def test_a_call_that_names_no_partition_key_is_refused():
    # ForAllValues holds vacuously for a request without keys: a Scan must not get through on that.
    assert not as_tenant("acme", "dynamodb:Scan", TABLE)
    assert not as_tenant("acme", "dynamodb:GetItem", TABLE)
    assert not as_tenant("acme", "dynamodb:DeleteTable", TABLE)


def test_without_the_leading_keys_condition_the_cross_tenant_read_would_pass():
    """The condition is what refuses it: the same role without it lets tenant acme read tenant rival's item."""
    loosened = copy.deepcopy(TENANT_ROLE)
    for statement in loosened:
        statement.get("Condition", {}).pop("ForAllValues:StringLike", None)
    assert as_tenant("acme", **item("GetItem", "T#rival#CUST#01J"), statements=loosened)


@pytest.mark.parametrize(
    "bucket,own,foreign",
    [
        (UPLOADS, "flow/acme/D1/2026-11/01J/sales.xlsx", "flow/rival/D1/2026-11/01J/sales.xlsx"),
        (UPLOADS, "imports/customers/acme/01J/c.xlsx", "imports/customers/rival/01J/c.xlsx"),
        (UPLOADS, "reports/flow/acme/D1/2026-11/01J/errors.csv", "reports/flow/rival/D1/2026-11/01J/errors.csv"),
        (UPLOADS, "visits/acme/01J/01K.jpg", "visits/rival/01J/01K.jpg"),
        (ANALYTICS, "flow-lines/tenant=acme/period=2026-11/distributor=D1/01J.parquet", "flow-lines/tenant=rival/x"),
        (ANALYTICS, "exports/lists/acme/01J/customers.xlsx", "exports/lists/rival/01J/customers.xlsx"),
    ],
)
def test_a_tenant_session_reaches_its_own_objects_only(bucket, own, foreign):
    assert as_tenant("acme", "s3:GetObject", f"{bucket}/{own}")
    assert as_tenant("acme", "s3:PutObject", f"{bucket}/{own}")
    assert not as_tenant("acme", "s3:GetObject", f"{bucket}/{foreign}")
    assert not as_tenant("acme", "s3:PutObject", f"{bucket}/{foreign}")


def test_a_tenant_session_lists_under_its_own_prefixes_only():
    own, foreign = "flow-lines/tenant=acme/period=2026-11/", "flow-lines/tenant=rival/period=2026-11/"
    assert as_tenant("acme", "s3:ListBucket", ANALYTICS, s3__prefix=own)
    assert not as_tenant("acme", "s3:ListBucket", ANALYTICS, s3__prefix=foreign)
    assert not as_tenant("acme", "s3:ListBucket", ANALYTICS, s3__prefix="")
    assert not as_tenant("acme", "s3:ListBucket", ANALYTICS)


def test_no_function_role_reaches_tenant_data_itself():
    for logical_id in STACK.functions:
        statements = STACK.function_statements(logical_id)
        for action in ("GetItem", "PutItem", "Query", "Scan"):
            request = Request(f"dynamodb:{action}", TABLE, {"dynamodb:LeadingKeys": ["T#acme#CUST#1"]})
            assert not allowed(statements, request), (logical_id, action)
        assert not allowed(statements, Request("s3:GetObject", f"{UPLOADS}/flow/acme/D1/2026-11/01J/f.csv"))
        assert not allowed(statements, Request("s3:GetObject", f"{ANALYTICS}/flow-lines/tenant=acme/x.parquet"))


def test_the_sweeps_read_their_index_partition_and_nothing_else():
    sweep = Request("dynamodb:Query", f"{TABLE}/index/gsi4", {"dynamodb:LeadingKeys": ["APPROVALRUNS#OPEN"]})
    assert allowed(STACK.function_statements("ApprovalWorkerFunction"), sweep)
    assert not allowed(STACK.function_statements("CustomersFunction"), sweep)
    other = Request("dynamodb:Query", f"{TABLE}/index/gsi4", {"dynamodb:LeadingKeys": ["T#acme#ORDERS"]})
    assert not allowed(STACK.function_statements("ApprovalWorkerFunction"), other)


def test_only_this_stacks_functions_may_assume_the_tenant_role_and_only_naming_a_tenant():
    trust = STACK.roles[ROLE_ARN]["AssumeRolePolicyDocument"]["Statement"]
    function_role = f"arn:aws:iam::{ACCOUNT_ID}:role/{STACK.name}-CustomersFunctionRole-ABC"

    def assume(principal: str, **tags: str) -> bool:
        context = {"aws:PrincipalArn": principal, **{f"aws:RequestTag/{k}": v for k, v in tags.items()}}
        return allowed(trust, Request("sts:AssumeRole", ROLE_ARN, context))

    assert assume(function_role, tenant="acme")
    assert not assume(function_role)  # no tenant named: no session
    assert not assume(f"arn:aws:iam::{ACCOUNT_ID}:role/other-stack-Fn", tenant="acme")
