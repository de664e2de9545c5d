"""A fresh tenant per test, seeded with the demo org tree, and an HTTP client per demo user.

Everything goes through the local runtime: HTTP into the API Gateway stand-in, the real
handlers, moto's DynamoDB. Only the org tree is written directly (it is not a customer API).
"""

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from crm.db.base import bind_table
from crm.org.directory import import_org

ORG = json.loads((Path(__file__).resolve().parents[2] / "infra" / "demo" / "org.json").read_text())
USERS = {u["username"]: u for u in ORG["users"]}


class Client:
    """One user's view of the API: a bearer token and a base URL."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base_url + path, timeout=30, **kwargs)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> requests.Response:
        return self.request("POST", path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> requests.Response:
        return self.request("PUT", path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> requests.Response:
        return self.request("PATCH", path, json=json, **kw)


@dataclass
class World:
    tenant_id: str
    base_url: str
    mint: Any

    def as_user(self, username: str, tenant_id: str | None = None) -> Client:
        user = USERS[username]
        claims = {
            "sub": user["id"],
            "cognito:username": username,
            "custom:tenant_id": tenant_id or self.tenant_id,
            "custom:org_unit_id": user["org_unit_id"],
            "custom:roles": ",".join(user["roles"]),
        }
        return Client(self.base_url, self.mint(claims))


def new_tenant(cloud: Any) -> str:
    tenant_id = f"t-{uuid.uuid4().hex[:12]}"
    bind_table(cloud.physical_name("Table"))
    import_org(tenant_id, ORG["org_units"], [u for u in ORG["users"] if "distributor_code" not in u])
    return tenant_id


@pytest.fixture
def world(cloud: Any, mint_token: Any) -> World:
    return World(new_tenant(cloud), cloud.api_url, mint_token)


def terminal(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "profile": {"type": "terminal", "kind": "pharmacy"}, **extra}
