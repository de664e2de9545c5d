"""Data-layer tests run twice: against moto and against DynamoDB Local.

moto accepts some requests that AWS rejects; DynamoDB Local rejects them like AWS does, so a
test that passes on both can be believed. Both backends are HTTP endpoints that botocore
reaches through AWS_ENDPOINT_URL, so the code under test runs unchanged.
Nothing here uses fixtures from tests/conftest.py, and nothing leaks out of a test: the
environment, the bound table name and the cached connections are restored afterwards.
"""

import logging
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import boto3
import botocore.client
import pytest

# The DynamoDB Local launcher and the table builder live in bench/ because `python -m bench` needs them
# without pytest. Importing them from there keeps one copy; bench/ never imports tests/.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from crm.auth import Principal, Role  # noqa: E402
from crm.customers.model import Customer, CustomerCreate  # noqa: E402
from crm.customers.service import CustomerService  # noqa: E402
from crm.db import base  # noqa: E402
from crm.org import directory  # noqa: E402

from bench import ddblocal  # noqa: E402

REGION = "us-east-1"
DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


@dataclass(frozen=True)
class Backend:
    name: str
    endpoint: str
    table: str

    def client(self) -> Any:
        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


# ------------------------------------------------------------------------------------- backends


@contextmanager
def _moto() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)  # port 0: no clash under xdist
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _dynamodb_local() -> AbstractContextManager[str]:
    reason = ddblocal.unavailable_reason()
    if reason and os.environ.get("CI"):
        pytest.fail(f"DynamoDB Local must run in CI, but cannot: {reason}", pytrace=False)
    if reason:
        pytest.skip(f"DynamoDB Local not available: {reason}")
    return ddblocal.running()


@pytest.fixture(scope="session", params=["moto", "dynamodb-local"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """One emulator per backend and session (tables come per test, see `db`)."""
    start = _moto if request.param == "moto" else _dynamodb_local
    with start() as endpoint:
        yield Backend(request.param, endpoint, table="")


def _point_models_at(table: str | None) -> None:
    # pynamodb caches a connection per model class (and crm caches one for transactions); each reads
    # AWS_ENDPOINT_URL only when it is created, so switching backends must drop them all.
    base.reset_connections()
    base.Item.Meta.table_name = None
    if table:
        base.bind_table(table)
    directory.forget_cached()  # keyed by tenant only, not by table or endpoint


@pytest.fixture(autouse=True)
def db(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    """A fresh table from the template for one test; botocore and every model point at it, then back.

    A table per test, deleted afterwards, keeps moto fast: it deep-copies the table for every transaction item.
    """
    table = replace(backend, table=f"crm-data-{uuid.uuid4().hex[:12]}")
    client = table.client()
    ddblocal.create_table(client, table.table)
    for key, value in DUMMY_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", backend.endpoint)
    previous = base.Item.Meta.table_name
    _point_models_at(table.table)
    yield table
    _point_models_at(previous)
    client.delete_table(TableName=table.table)


@pytest.fixture(autouse=True)
def dynamodb_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every DynamoDB operation a test makes, by name. No test may Scan: a Scan reads every tenant."""
    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name == "dynamodb":
            calls.append(operation_name)
        return original(client, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    yield calls
    assert "Scan" not in calls, f"a Scan was issued: {calls}"


# ------------------------------------------------------------------------------------- a tenant

ORG_UNITS = [
    ("HQ", "总部", "hq", None),
    ("EAST", "华东", "branch", "HQ"),
    ("EAST-RX", "华东处方", "department", "EAST"),
    ("WEST", "华西", "branch", "HQ"),
]
USERS = {
    "admin": ("HQ", Role.HQ_ADMIN),
    "east-head": ("EAST", Role.BRANCH_HEAD),
    "rep": ("EAST-RX", Role.REP),
    "west-rep": ("WEST", Role.REP),
}


@dataclass(frozen=True)
class World:
    """A fresh tenant with a small org tree and one principal per role."""

    tenant: str
    admin: Principal
    east_head: Principal
    rep: Principal
    west_rep: Principal

    @staticmethod
    def service(principal: Principal) -> CustomerService:
        return CustomerService(principal)

    def create(self, principal: Principal | None = None, name: str = "康宁大药房", **fields: Any) -> Customer:
        body = {"name": name, "profile": {"type": "terminal", "kind": "pharmacy"}, **fields}
        return CustomerService(principal or self.rep).create(CustomerCreate.model_validate(body))


def seed_tenant() -> World:
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    for unit_id, name, kind, parent in ORG_UNITS:
        directory.save_unit(tenant, unit_id, name, kind, parent)
    for user_id, (unit, role) in USERS.items():
        directory.save_user(tenant, user_id, name=user_id, username=user_id, org_unit_id=unit, roles=[role.value])
    admin, east_head, rep, west_rep = (
        Principal(tenant, uid, unit, frozenset({role})) for uid, (unit, role) in USERS.items()
    )
    return World(tenant, admin, east_head, rep, west_rep)


@pytest.fixture
def world(db: Backend) -> World:
    return seed_tenant()


@pytest.fixture
def new_world(db: Backend) -> Callable[[], World]:
    """Another tenant in the same table, for isolation tests."""
    return seed_tenant
