"""Mapping templates over HTTP, in a tenant of its own: the built-in headers a distributor can check a file
against before uploading, and the template's version, which the server assigns and never silently replaces."""

from typing import Any

import pytest
from crm.text import normalize_name
from localcloud.tokens import mint_token

from tests.e2e.conftest import World, new_tenant
from tests.fixtures import FLOW_SAMPLES

TEMPLATE = {
    "headers": {
        "date": ["出货日期"],
        "product_code": ["物料号"],
        "quantity": ["件数"],
        "unit": ["计量"],
        "buyer_name": ["收货方"],
    },
    "date_formats": ["%Y%m%d"],
}


@pytest.fixture(scope="module")
def world(cloud: Any) -> World:
    return World(new_tenant(cloud), cloud.api_url, mint_token)


@pytest.fixture(scope="module")
def distributor(world: World) -> str:
    r = world.as_user("admin").post(
        "/customers",
        {
            "name": "经销商DM医药有限公司",
            "code": "DM",
            "status": "active",
            "profile": {"type": "distributor", "tier": "tier1"},
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def known_headers(builtin: dict[str, Any]) -> dict[str, str]:
    return {normalize_name(h): c["column"] for c in builtin["columns"] for h in c["headers"]}


def test_the_builtin_headers_tell_a_distributor_whether_its_file_needs_a_template(world: World) -> None:
    rep = world.as_user("rep.zhang")
    r = rep.get("/flow-mappings/builtin")
    assert r.status_code == 200, r.text
    flow = r.json()
    columns = {c["column"]: c for c in flow["columns"]}
    assert flow["kind"] == "flow" and flow["product_key"] == ["product_code", "product_name"]
    assert {c for c, v in columns.items() if v["required"]} == {"date", "quantity", "buyer_name"}
    assert "销售日期" in columns["date"]["headers"] and "distributor" not in columns
    assert flow["defaults"]["units"] == {"件": "case", "箱": "case"}

    # a sample file's header row maps with these alone; the new layout's date column does not
    sample = (FLOW_SAMPLES / "flow/D001/2026-10/流向_D001_2026-10.csv").read_text(encoding="utf-8-sig")
    known = known_headers(flow)
    assert all(normalize_name(h) in known for h in sample.splitlines()[0].split(","))
    assert normalize_name("出货日期") not in known  # that file needs a template

    # each kind has its own: a stock file's quantity is its 库存数量, and its date is optional
    stock = {c["column"]: c for c in rep.get("/flow-mappings/builtin", params={"kind": "inventory"}).json()["columns"]}
    assert stock["quantity"]["headers"][0] == "库存数量" and not stock["date"]["required"]
    shipments = rep.get("/flow-mappings/builtin", params={"kind": "shipments"}).json()
    assert {"column": "distributor", "required": True}.items() <= next(
        c for c in shipments["columns"] if c["column"] == "distributor"
    ).items()
    assert rep.get("/flow-mappings/builtin", params={"kind": "orders"}).status_code == 422


def test_the_version_a_client_sends_is_checked_never_replaced(world: World, distributor: str) -> None:
    admin = world.as_user("admin")
    # A create that names a version is refused: there is no revision to build on
    r = admin.post("/flow-mappings", {"distributor_id": distributor, "template": {**TEMPLATE, "version": "mine-7"}})
    assert r.status_code == 409 and "template.version" in r.json()["detail"], r.text
    assert admin.get(f"/flow-mappings/{distributor}").status_code == 404  # nothing was stored

    # Without one, the server stamps it
    created = admin.post("/flow-mappings", {"distributor_id": distributor, "template": TEMPLATE})
    assert created.status_code == 201, created.text
    v1 = created.json()["template"]["version"]
    assert v1.endswith("-v1") and created.headers["ETag"] == '"1"'

    # Sent back as read (GET, edit, PUT), the version is the stored one: accepted, and the next one stamped
    read = admin.get(f"/flow-mappings/{distributor}").json()["template"]
    edited = {**read, "units": {"件": "case", "提": 10}}
    r = admin.put(f"/flow-mappings/{distributor}", edited, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["template"]["version"].endswith("-v2"), r.text

    # A body still naming the old revision is stale, like an old If-Match: 412, and nothing changes
    r = admin.put(f"/flow-mappings/{distributor}", edited, headers={"If-Match": '"2"'})
    assert r.status_code == 412 and v1 in r.json()["detail"], r.text
    assert admin.get(f"/flow-mappings/{distributor}").json()["version"] == 2

    # Omitted, the server stamps the next one
    r = admin.put(f"/flow-mappings/{distributor}", TEMPLATE, headers={"If-Match": '"2"'})
    assert r.status_code == 200 and r.json()["template"]["version"].endswith("-v3"), r.text


def _distributor_user(world: World, distributor_id: str) -> Any:
    """A user of that distributor (the portal's), as the e2e World has none."""
    return world.as_new_user(f"u-portal-{distributor_id[-6:]}", "EAST", ["distributor"], distributor_id=distributor_id)


def test_a_distributor_user_writes_its_own_template_and_no_one_elses(world: World, distributor: str) -> None:
    other = world.as_user("admin").post(
        "/customers",
        {"name": "经销商DN医药有限公司", "code": "DN", "profile": {"type": "distributor", "tier": "tier1"}},
    )
    assert other.status_code == 201, other.text
    portal = _distributor_user(world, other.json()["id"])

    created = portal.post("/flow-mappings", {"distributor_id": other.json()["id"], "template": TEMPLATE})
    assert created.status_code == 201, created.text
    assert created.json()["updated_by"] == f"u-portal-{other.json()['id'][-6:]}"
    office = world.as_user("admin").get(f"/flow-mappings/{other.json()['id']}")
    assert office.status_code == 200 and office.json()["template"]["headers"]["buyer_name"] == ["收货方"]

    refused = portal.post("/flow-mappings", {"distributor_id": distributor, "template": TEMPLATE})
    assert refused.status_code == 404, refused.text  # another distributor's: not found, as everywhere else
    assert portal.put(f"/flow-mappings/{distributor}", TEMPLATE, headers={"If-Match": '"1"'}).status_code == 404


def test_a_distributor_user_reads_its_own_names_waiting_for_review_but_decides_none(world: World) -> None:
    mine = world.as_user("admin").post(
        "/customers",
        {"name": "经销商DR医药有限公司", "code": "DR", "profile": {"type": "distributor", "tier": "tier1"}},
    )
    portal = _distributor_user(world, mine.json()["id"])
    listed = portal.get("/flow-reviews")
    assert listed.status_code == 200 and listed.json()["items"] == [], listed.text
    other = world.as_user("admin").get("/customers", params={"q": "经销商DM"}).json()["items"][0]["id"]
    assert portal.get("/flow-reviews", params={"distributor_id": other}).status_code == 404
    decided = portal.post("/flow-reviews/01ARZ3NDEKTSV4RRFFQ69G5FAV/decision", {"customer_id": mine.json()["id"]})
    assert decided.status_code == 403, decided.text
