"""Users through HTTP on the local runtime, from the tenant set-up on: the set-up command's endpoint makes the
tenant and its first HQ admin, who creates users of every role; each created user gets a token from the local
user pool (as Cognito would sign them in) and acts with it; a disabled user's next request is refused even
with a token issued before, and works again once enabled."""

import uuid
from typing import Any

import pytest
import requests
from localcloud import tokens
from localcloud.template import USER_POOL_ID

from tests.e2e.conftest import Client
from tests.e2e.uploads import upload_flow
from tests.localcloud.test_local_signin import authorize

ROLES = ["rep", "dept_head", "branch_head", "hq_admin", "finance", "erp", "distributor"]
FLOW = (
    "销售日期,商品编码,商品名称,规格,批号,数量,单位,客户名称,客户地址\n"
    "2026-10-05,P1001,阿莫西林胶囊,0.25g*24粒,B1,5,盒,某药店,\n"
)


def problem(r: requests.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json"), r.headers
    return dict(r.json())


def as_created(cloud: Any, username: str) -> Client:
    """A client with a token for a user created through the API (the local pool's sign-in)."""
    return Client(cloud.api_url, tokens.token_for(username))


@pytest.fixture(scope="module")
def tenant(cloud: Any) -> dict[str, Any]:
    """A tenant made by the set-up command's path (POST /_local/tenants), with a branch and a distributor."""
    suffix = uuid.uuid4().hex[:8]
    tenant_id = f"t-{suffix}"
    r = requests.post(
        f"{cloud.api_url}/_local/tenants",
        json={
            "tenant_id": tenant_id,
            "hq_name": "Acme 医药",
            "admin_username": f"boss-{suffix}",
            "admin_name": "老板",
            "admin_email": f"boss-{suffix}@acme.example",
            "admin_mobile": "+8613800000000",
        },
        timeout=30,
    )
    assert r.status_code == 201, r.text
    admin = as_created(cloud, f"boss-{suffix}")
    for unit in ({"id": "EAST", "name": "华东", "kind": "branch", "parent_id": "HQ"},
                 {"id": "EAST-RX", "name": "华东处方", "kind": "department", "parent_id": "EAST"},
                 {"id": "SOUTH", "name": "华南", "kind": "branch", "parent_id": "HQ"}):  # fmt: skip
        assert admin.post("/org-units", unit).status_code == 201
    assert admin.post("/products", {"sku": "P1001", "name": "阿莫西林胶囊", "spec": "0.25g*24粒",
                                    "base_unit": "盒", "case_size": 60}).status_code == 201  # fmt: skip
    dist = admin.post(
        "/customers",
        {"name": f"经销商{suffix}", "code": f"D-{suffix}", "status": "active",
         "profile": {"type": "distributor", "tier": "tier1"}},
    )  # fmt: skip
    assert dist.status_code == 201, dist.text
    return {"id": tenant_id, "suffix": suffix, "admin": admin, "distributor": dist.json()}


def new_user(tenant: dict[str, Any], role: str, n: int, **extra: Any) -> dict[str, Any]:
    name = f"{role.replace('_', '-')}-{n}-{tenant['suffix']}"
    body = {"username": name, "name": f"用户 {n}", "email": f"{name}@acme.example", "roles": [role], **extra}
    if role in ("hq_admin", "finance"):  # they sign in with a code sent to their mobile
        body.setdefault("phone", f"+86138{n:08d}")
    if role == "distributor":
        body.setdefault("distributor_code", tenant["distributor"]["code"])
    else:
        body.setdefault(
            "org_unit_id", "EAST-RX" if role in ("rep", "dept_head") else "EAST" if role == "branch_head" else "HQ"
        )
    return body


def test_an_hq_admin_creates_users_of_every_role_and_each_gets_a_token(cloud: Any, tenant: dict[str, Any]) -> None:
    admin = tenant["admin"]
    created = []
    for n in range(21):
        role = ROLES[n % len(ROLES)]
        r = admin.post("/users", new_user(tenant, role, n))
        assert r.status_code == 201, r.text
        assert r.headers["ETag"] == '"1"' and r.headers["Location"] == f"/users/{r.json()['id']}"
        created.append(r.json())
    assert {u["roles"][0] for u in created} == set(ROLES)
    dist_user = next(u for u in created if u["roles"] == ["distributor"])
    assert dist_user["distributor_id"] == tenant["distributor"]["id"]
    assert dist_user["org_unit_id"] == tenant["distributor"]["org_unit_id"]  # its customer's unit

    listed = admin.get("/users", params={"limit": 200}).json()["items"]
    assert {u["id"] for u in created} <= {u["id"] for u in listed}
    for user in created:  # a token for each, and the API knows who they are
        me = as_created(cloud, user["username"]).get(f"/users/{user['id']}")
        assert me.status_code in (200, 403), me.text  # only managers read users; every token is accepted
        claims = tokens.pool_claims(tokens._pool().users[user["username"]])
        assert claims["sub"] == user["id"] and claims["custom:tenant_id"] == tenant["id"]
    r = admin.post("/users", new_user(tenant, "rep", 0))
    assert problem(r, 409)["detail"].startswith("The username")


def test_a_distributor_user_uploads_a_flow_file_with_its_token(cloud: Any, tenant: dict[str, Any]) -> None:
    r = tenant["admin"].post("/users", new_user(tenant, "distributor", 100))
    assert r.status_code == 201, r.text
    uploader = as_created(cloud, r.json()["username"])
    load = upload_flow(uploader, tenant["distributor"]["id"], "2026-10", FLOW.encode())
    assert load["distributor_id"] == tenant["distributor"]["id"] and load["status"] != "rejected", load


def test_bad_input_and_distributors_that_do_not_exist(tenant: dict[str, Any]) -> None:
    admin = tenant["admin"]
    assert (
        problem(admin.post("/users", new_user(tenant, "distributor", 200, distributor_code="NOPE")), 422)["errors"][0][
            "field"
        ]
        == "distributor_code"
    )
    assert problem(admin.post("/users", {**new_user(tenant, "rep", 201), "username": "Bad Name"}), 422)
    assert problem(admin.post("/users", new_user(tenant, "rep", 202, org_unit_id="NOWHERE")), 422)
    assert problem(admin.post("/users", new_user(tenant, "rep", 203, distributor_code="x")), 422)
    assert problem(admin.post("/users", {**new_user(tenant, "rep", 204), "roles": []}), 422)


def test_a_branch_head_manages_the_reps_of_their_branch_only(cloud: Any, tenant: dict[str, Any]) -> None:
    admin = tenant["admin"]
    head = admin.post("/users", new_user(tenant, "branch_head", 300)).json()
    south_rep = admin.post("/users", new_user(tenant, "rep", 301, org_unit_id="SOUTH")).json()
    as_head = as_created(cloud, head["username"])

    rep = as_head.post("/users", new_user(tenant, "rep", 302))
    assert rep.status_code == 201, rep.text
    problem(as_head.post("/users", new_user(tenant, "dept_head", 303)), 403)  # a role they may not give
    problem(as_head.post("/users", new_user(tenant, "hq_admin", 304)), 403)
    problem(as_head.post("/users", new_user(tenant, "rep", 305, org_unit_id="SOUTH")), 403)  # not their branch
    problem(as_head.get(f"/users/{south_rep['id']}"), 404)  # outside their subtree: not revealed
    assert south_rep["id"] not in {u["id"] for u in as_head.get("/users").json()["items"]}
    problem(as_head.patch(f"/users/{rep.json()['id']}", {"roles": ["branch_head"]}, headers={"If-Match": '"1"'}), 403)
    problem(as_head.post(f"/users/{head['id']}/disable"), 403)  # not themself
    problem(as_created(cloud, rep.json()["username"]).get("/users"), 403)  # a rep reads no users

    moved = as_head.patch(f"/users/{rep.json()['id']}", {"org_unit_id": "EAST"}, headers={"If-Match": '"1"'})
    assert moved.status_code == 200 and moved.json()["org_unit_id"] == "EAST" and moved.headers["ETag"] == '"2"'
    problem(as_head.patch(f"/users/{rep.json()['id']}", {"org_unit_id": "EAST"}, headers={"If-Match": '"1"'}), 412)


def test_a_disabled_users_next_request_is_refused_even_with_an_earlier_token(
    cloud: Any, tenant: dict[str, Any]
) -> None:
    admin = tenant["admin"]
    user = admin.post("/users", new_user(tenant, "dept_head", 400)).json()
    before = as_created(cloud, user["username"])
    assert before.get("/customers").status_code == 200

    r = admin.post(f"/users/{user['id']}/disable")
    assert r.status_code == 200 and r.json()["status"] == "disabled"
    assert "disabled" in problem(before.get("/customers"), 401)["detail"]
    with pytest.raises(tokens.NoToken):
        tokens.token_for(user["username"])  # the pool signs a disabled user in no more
    assert (
        requests.get(f"{cloud.api_url}/_local/tokens", params={"username": user["username"]}, timeout=10).status_code
        == 403
    )

    assert admin.post(f"/users/{user['id']}/enable").json()["status"] == "active"
    assert before.get("/customers").status_code == 200
    assert as_created(cloud, user["username"]).get("/customers").status_code == 200


def test_a_role_change_reaches_the_next_token(cloud: Any, tenant: dict[str, Any]) -> None:
    admin = tenant["admin"]
    user = admin.post("/users", new_user(tenant, "rep", 500)).json()
    problem(as_created(cloud, user["username"]).get("/users"), 403)
    r = admin.patch(f"/users/{user['id']}", {"roles": ["dept_head"]}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["roles"] == ["dept_head"]
    assert as_created(cloud, user["username"]).get("/users").status_code == 200


def test_the_set_up_refuses_an_existing_tenant(cloud: Any, tenant: dict[str, Any]) -> None:
    body = {"tenant_id": tenant["id"], "hq_name": "x", "admin_username": f"other-{tenant['suffix']}",
            "admin_name": "x", "admin_email": "x@acme.example", "admin_mobile": "+8613800000000"}  # fmt: skip
    r = requests.post(f"{cloud.api_url}/_local/tenants", json=body, timeout=30)
    assert r.status_code == 409, r.text
    with pytest.raises(tokens.NoToken):
        tokens.token_for(f"other-{tenant['suffix']}")  # no admin was made for it


def second_factor(cloud: Any, username: str) -> list[str]:
    user = cloud.client("cognito-idp").admin_get_user(UserPoolId=USER_POOL_ID, Username=username)
    return user.get("UserMFASettingList") or []


def test_hq_admins_and_finance_must_sign_in_with_a_code_sent_to_their_mobile(
    cloud: Any, tenant: dict[str, Any]
) -> None:
    admin = tenant["admin"]
    assert second_factor(cloud, f"boss-{tenant['suffix']}") == ["SMS_MFA"]  # the first admin, made by the set-up
    no_mobile = problem(admin.post("/users", {**new_user(tenant, "finance", 600), "phone": None}), 422)
    assert no_mobile["errors"][0]["field"] == "phone" and "mobile" in no_mobile["detail"]
    cfo = admin.post("/users", new_user(tenant, "finance", 601)).json()
    assert second_factor(cloud, cfo["username"]) == ["SMS_MFA"]

    rep = admin.post("/users", new_user(tenant, "rep", 602)).json()  # no mobile
    assert second_factor(cloud, rep["username"]) == []
    # Signing in (the local hosted UI, as Cognito's): the code is asked of the finance user, not of the rep.
    asks = authorize(cloud, cfo["username"])
    assert asks.status_code == 200 and 'name="sms_code"' in asks.text and "短信验证码" in asks.text
    assert authorize(cloud, rep["username"]).status_code == 302
    refused = problem(admin.patch(f"/users/{rep['id']}", {"roles": ["hq_admin"]}, headers={"If-Match": '"1"'}), 422)
    assert refused["errors"][0]["field"] == "phone"
    head = admin.post("/users", new_user(tenant, "dept_head", 603, phone="+8613800000603")).json()
    promoted = admin.patch(f"/users/{head['id']}", {"roles": ["hq_admin"]}, headers={"If-Match": '"1"'})
    assert promoted.status_code == 200 and second_factor(cloud, head["username"]) == ["SMS_MFA"]
    admin.patch(f"/users/{head['id']}", {"roles": ["dept_head"]}, headers={"If-Match": '"2"'})
    assert second_factor(cloud, head["username"]) == []
