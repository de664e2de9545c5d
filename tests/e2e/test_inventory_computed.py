"""An open month is reckoned once for as long as its inputs stay the same, in a tenant of its own: every page
reads the stored result back; a new file, opening or adjustment gives figures reckoned afresh."""

from pathlib import Path
from typing import Any

import pytest
from localcloud.tokens import mint_token

from tests.e2e.conftest import World, new_tenant
from tests.e2e.test_inventory import upload
from tests.e2e.test_inventory_batches import FLOW, PRODUCTS, STOCK


@pytest.fixture(scope="module")
def world(cloud: Any) -> World:
    return World(new_tenant(cloud), cloud.api_url, mint_token)


def computed_results(cloud: Any, world: World) -> list[str]:
    """The month's stored results: one folder per set of inputs the month was reckoned from."""
    listed = cloud.client("s3").list_objects_v2(
        Bucket=cloud.physical_name("AnalyticsBucket"),
        Prefix=f"inventory-computed/tenant={world.tenant_id}/period=2026-10/",
    )
    return sorted({o["Key"].rsplit("/", 2)[-2] for o in listed.get("Contents", [])})


def lines(world: World) -> dict[tuple[str, str], dict[str, Any]]:
    found, cursor = {}, None
    while True:  # a page at a time, as a console would
        page = (
            world.as_user("admin")
            .get("/inventory", params={"period": "2026-10", "limit": 1, **({"cursor": cursor} if cursor else {})})
            .json()
        )
        found.update({(x["distributor_id"], x["sku"]): x for x in page["items"]})
        if not (cursor := page["next_cursor"]):
            return found


def test_the_month_is_reckoned_once_per_set_of_inputs(cloud: Any, world: World) -> None:
    admin = world.as_user("admin")
    for product in PRODUCTS:
        assert admin.post("/products", product).status_code == 201
    db1 = admin.post(
        "/customers",
        {
            "name": "经销商DB1医药有限公司",
            "code": "DB1",
            "status": "active",
            "profile": {"type": "distributor", "tier": "tier1"},
        },
    ).json()["id"]
    assert upload(admin, "flow", Path("流向_DB1.csv"), db1, data=FLOW.encode())["status"] == "accepted"

    first = lines(world)  # two products: two pages, one reckoning
    assert {sku for _, sku in first} == {"P1001", "P1002"} and first[(db1, "P1001")]["outbound"] == 31
    assert first[(db1, "P1001")]["reported_closing"] is None
    assert len(computed_results(cloud, world)) == 1
    assert lines(world) == first and len(computed_results(cloud, world)) == 1  # read back, not reckoned again

    assert upload(admin, "inventory", Path("库存_DB1.csv"), db1, data=STOCK.encode())["status"] == "accepted"
    after = lines(world)  # a new file: new inputs, a new reckoning
    assert after[(db1, "P1001")]["reported_closing"] == 5 and len(computed_results(cloud, world)) == 2
    r = admin.put(f"/inventory/openings/2026-10/{db1}", {"lines": [{"sku": "P1002", "quantity": 7}]})
    assert r.status_code == 200, r.text
    assert lines(world)[(db1, "P1002")]["opening"] == 7 and len(computed_results(cloud, world)) == 3
