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
        """A demo user of this tenant (or of another tenant seeded by new_tenant). The demo's distributor users are
        put in the directory on first use, without their distributor (none exists yet): enough for a refusal."""
        user = USERS[username]
        if "distributor_code" in user:
            return self.as_new_user(user["id"], user["org_unit_id"], user["roles"], username=username)
        claims = {
            "sub": user["id"],
            "cognito:username": username,
            "custom:tenant_id": tenant_id or self.tenant_id,
            "custom:org_unit_id": user["org_unit_id"],
            "custom:roles": ",".join(user["roles"]),
        }
        return Client(self.base_url, self.mint(claims))

    def another_tenant(self) -> "World":
        """A second company on the same system, seeded like this one."""
        return World(_seeded_tenant(), self.base_url, self.mint)

    def add_user(
        self, user_id: str, org_unit_id: str, roles: list[str], distributor_id: str | None = None, username: str = ""
    ) -> None:
        """A user made for the test, put in the tenant's directory (the API serves only users it knows)."""
        user = {"id": user_id, "username": username or user_id, "name": username or user_id}
        user |= {"org_unit_id": org_unit_id, "roles": roles, "distributor_id": distributor_id}
        import_org(self.tenant_id, [], [user])

    def as_new_user(
        self,
        user_id: str,
        org_unit_id: str,
        roles: list[str],
        distributor_id: str | None = None,
        username: str = "",
    ) -> Client:
        """add_user, then signed in as that user. Users of the portal name their distributor."""
        self.add_user(user_id, org_unit_id, roles, distributor_id, username)
        claims = {
            "sub": user_id,
            "cognito:username": username or user_id,
            "custom:tenant_id": self.tenant_id,
            "custom:org_unit_id": org_unit_id,
            "custom:roles": ",".join(roles),
        }
        if distributor_id:
            claims["custom:distributor_id"] = distributor_id
        return Client(self.base_url, self.mint(claims))


def new_tenant(cloud: Any) -> str:
    bind_table(cloud.physical_name("Table"))
    return _seeded_tenant()


def _seeded_tenant() -> str:
    """A new company with the demo's org tree and office users in its directory."""
    tenant_id = f"t-{uuid.uuid4().hex[:12]}"
    import_org(tenant_id, ORG["org_units"], [u for u in ORG["users"] if "distributor_code" not in u])
    return tenant_id


@pytest.fixture
def world(cloud: Any, mint_token: Any) -> World:
    return World(new_tenant(cloud), cloud.api_url, mint_token)


def terminal(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "profile": {"type": "terminal", "kind": "pharmacy"}, **extra}
