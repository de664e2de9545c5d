"""Tenant isolation in IAM, through the local runtime: the API works on tenant credentials, and credentials of
one tenant (or a function's own) are refused another tenant's items and objects, as AWS would refuse them."""

import uuid

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from crm.db import keys
from localcloud import LocalCloud
from localcloud.tokens import mint_token

from tests.conftest import TEMPLATE
from tests.e2e.conftest import USERS, World, new_tenant, terminal


def new_tenant_id():
    return f"t-{uuid.uuid4().hex[:12]}"


def credentials_of(cloud, logical_id, tenant=None):
    """A function's own credentials, or (with a tenant) the session it gets from the tenant role."""
    own = {"aws_access_key_id": cloud.guard.function_key(logical_id), "aws_secret_access_key": "testing"}
    if tenant is None:
        return own
    sts = boto3.client("sts", endpoint_url=cloud.endpoint_url, region_name="us-east-1", **own)
    answer = sts.assume_role(
        RoleArn=cloud.function_env(logical_id)["TENANT_ROLE_ARN"],
        RoleSessionName=f"tenant-{tenant}",
        Tags=[{"Key": "tenant", "Value": tenant}],
    )["Credentials"]
    return {
        "aws_access_key_id": answer["AccessKeyId"],
        "aws_secret_access_key": answer["SecretAccessKey"],
        "aws_session_token": answer["SessionToken"],
    }


def client(cloud, service, credentials):
    return boto3.client(service, endpoint_url=cloud.service_url(service), region_name="us-east-1", **credentials)


def refused(call):
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


@pytest.fixture
def customer(world):
    created = world.as_user("rep.zhang").post("/customers", json=terminal("租户隔离药房"))
    assert created.status_code == 201, created.text
    return created.json()["id"]


def test_the_api_reads_and_writes_as_the_callers_tenant(cloud, world, customer):
    assert world.as_user("rep.zhang").get(f"/customers/{customer}").status_code == 200
    assert world.tenant_id in cloud.guard.tenants_with_sessions()


def test_another_tenants_credentials_are_refused_the_item(cloud, world, customer):
    refuses_another_tenant_the_item(cloud, world, customer)


@pytest.fixture
def tables_in_dynamodb_local():
    """The template on its own ports with its table in DynamoDB Local, as `make dev` keeps it (stopped after the
    test: while it runs, this process's AWS endpoints are its own)."""
    local = LocalCloud(TEMPLATE, api_port=0, stack_name="crm-guarded", dynamodb_local=True, schedules=False)
    with local.start():
        yield local


def test_the_same_policies_hold_when_dynamodb_local_keeps_the_tables(tables_in_dynamodb_local):
    local = tables_in_dynamodb_local
    world = World(new_tenant(local), local.api_url, mint_token)
    created = world.as_user("rep.zhang").post("/customers", json=terminal("本地表隔离药房"))
    assert created.status_code == 201, created.text
    refuses_another_tenant_the_item(local, world, created.json()["id"])


def refuses_another_tenant_the_item(cloud, world, customer):
    table, key = (
        cloud.physical_name("Table"),
        {"pk": {"S": keys.customer_pk(world.tenant_id, customer)}, "sk": {"S": keys.META}},
    )
    own_tenant = client(cloud, "dynamodb", credentials_of(cloud, "CustomersFunction", world.tenant_id))
    assert own_tenant.get_item(TableName=table, Key=key)["Item"]["pk"] == key["pk"]

    rival = client(cloud, "dynamodb", credentials_of(cloud, "CustomersFunction", new_tenant(cloud)))
    assert refused(lambda: rival.get_item(TableName=table, Key=key)) == "AccessDeniedException"
    assert refused(lambda: rival.delete_item(TableName=table, Key=key)) == "AccessDeniedException"
    assert refused(lambda: rival.scan(TableName=table)) == "AccessDeniedException"
    # The function's own role holds no tenant data at all.
    own_role = client(cloud, "dynamodb", credentials_of(cloud, "CustomersFunction"))
    assert refused(lambda: own_role.get_item(TableName=table, Key=key)) == "AccessDeniedException"
    # Nothing was lost on the way: the record is there for its own tenant.
    assert world.as_user("rep.zhang").get(f"/customers/{customer}").status_code == 200


def test_another_tenants_credentials_are_refused_the_objects(cloud, world):
    bucket = cloud.physical_name("UploadsBucket")
    key = f"flow/{world.tenant_id}/D1/2026-11/01JTEST/sales.csv"
    own = client(cloud, "s3", credentials_of(cloud, "FlowImportFunction", world.tenant_id))
    own.put_object(Bucket=bucket, Key=key, Body=b"a,b\n")
    assert own.get_object(Bucket=bucket, Key=key)["Body"].read() == b"a,b\n"

    rival = client(cloud, "s3", credentials_of(cloud, "FlowImportFunction", new_tenant(cloud)))
    assert refused(lambda: rival.get_object(Bucket=bucket, Key=key)) == "AccessDenied"
    assert refused(lambda: rival.put_object(Bucket=bucket, Key=key, Body=b"x")) == "AccessDenied"
    assert refused(lambda: rival.list_objects_v2(Bucket=bucket, Prefix=f"flow/{world.tenant_id}/")) == "AccessDenied"
    assert own.get_object(Bucket=bucket, Key=key)["Body"].read() == b"a,b\n"


def test_a_token_issued_to_another_app_client_is_refused(world, mint_token):
    """API Gateway's Cognito authorizer takes any ID token of the pool; the API takes only its own client's."""
    rep = world.as_user("rep.zhang")
    assert rep.get("/customers").status_code == 200
    zhang = USERS["rep.zhang"]
    claims = {
        "sub": zhang["id"],
        "custom:tenant_id": world.tenant_id,
        "custom:org_unit_id": zhang["org_unit_id"],
        "custom:roles": ",".join(zhang["roles"]),
    }
    other_app = requests.get(
        f"{world.base_url}/customers",
        headers={"Authorization": f"Bearer {mint_token({**claims, 'aud': 'another-app-client'})}"},
        timeout=30,
    )
    assert other_app.status_code == 401
    assert other_app.headers["Content-Type"].startswith("application/problem+json")
    assert "another app" in other_app.json()["detail"]


def test_a_valid_token_for_a_user_the_tenants_directory_does_not_know_is_refused(world, mint_token):
    """The pool signs the token; the tenant's directory says who acts for it: a user made in the pool outside the
    CRM, or a real user's token naming another tenant, reads nothing and writes nothing."""
    zhang = USERS["rep.zhang"]
    claims = {"custom:tenant_id": world.tenant_id, "custom:org_unit_id": "EAST-RX", "custom:roles": "hq_admin"}
    stranger = {"Authorization": f"Bearer {mint_token({**claims, 'sub': 'u-made-outside-the-crm'})}"}
    elsewhere = {
        "Authorization": f"Bearer {mint_token({**claims, 'sub': zhang['id'], 'custom:tenant_id': new_tenant_id()})}"
    }
    for headers in (stranger, elsewhere):
        listed = requests.get(f"{world.base_url}/customers", headers=headers, timeout=30)
        assert listed.status_code == 401, listed.text
        assert listed.headers["Content-Type"].startswith("application/problem+json")
        assert "not in this company's directory" in listed.json()["detail"]
        made = requests.post(f"{world.base_url}/customers", json=terminal("目录外药店"), headers=headers, timeout=30)
        assert made.status_code == 401, made.text
    names = [c["name"] for c in world.as_user("admin").get("/customers", params={"q": "目录外"}).json()["items"]]
    assert names == []


def test_only_a_function_that_holds_tenant_access_gets_a_session_and_only_naming_a_tenant(cloud):
    role = cloud.function_env("CustomersFunction")["TENANT_ROLE_ARN"]

    def assume(logical_id, **extra):
        sts = client(cloud, "sts", credentials_of(cloud, logical_id))
        return lambda: sts.assume_role(RoleArn=role, RoleSessionName="probe", **extra)

    assert refused(assume("CustomersFunction")) == "AccessDenied"  # no tenant named
    tagged = {"Tags": [{"Key": "tenant", "Value": "acme"}]}
    assert refused(assume("ConsoleDeployFunction", **tagged)) == "AccessDenied"  # holds no TenantDataAccess
    assert assume("CustomersFunction", **tagged)()["Credentials"]["AccessKeyId"]
