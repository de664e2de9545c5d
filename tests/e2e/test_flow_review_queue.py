"""The review queue through the real path, in a tenant of its own: a file uploaded with its form, imported by the
S3-triggered function, the queue read and decided over HTTP.

Candidates in the buyer's city come first: the import knows each customer's city from the archive (a unit test
that hands the matcher a city cannot show that). A decision re-attributes the load's rows and its summary says so.
"""

import time
from typing import Any

import pytest
from localcloud.tokens import mint_token

from tests.e2e.conftest import Client, World, new_tenant
from tests.e2e.uploads import upload_flow

HEADER = "销售日期,商品编码,商品名称,规格,批号,数量,单位,客户名称,客户地址\n"
TERMINALS = {  # name -> city: two look-alikes in different cities, and one a file names as registered
    "仁和大药房一店": "南京",
    "仁和大药房二店": "杭州",
    "鼓楼同济药店": "南京",
}


@pytest.fixture(scope="module")
def world(cloud: Any) -> World:
    return World(new_tenant(cloud), cloud.api_url, mint_token)


@pytest.fixture(scope="module")
def ids(world: World) -> dict[str, str]:
    admin = world.as_user("admin")
    assert (
        admin.post(
            "/products",
            {"sku": "P1001", "name": "阿莫西林胶囊", "spec": "0.25g*24粒", "base_unit": "盒", "case_size": 60},
        ).status_code
        == 201
    )
    found = {}
    r = admin.post(
        "/customers",
        {
            "name": "经销商DR医药有限公司",
            "code": "DR",
            "status": "active",
            "profile": {"type": "distributor", "tier": "tier1"},
        },
    )
    assert r.status_code == 201, r.text
    found["DR"] = r.json()["id"]
    for name, city in TERMINALS.items():
        r = admin.post(
            "/customers",
            {
                "name": name,
                "profile": {"type": "terminal", "kind": "pharmacy"},
                "region": {"province": "江苏" if city == "南京" else "浙江", "city": city},
            },
        )
        assert r.status_code == 201, r.text
        found[name] = r.json()["id"]
    return found


def flow(period: str, *buyers: tuple[str, str]) -> bytes:
    rows = [
        f"{period}-0{n + 1},P1001,阿莫西林胶囊,0.25g*24粒,B1,2,盒,{name},{address}"
        for n, (name, address) in enumerate(buyers)
    ]
    return (HEADER + "\n".join(rows) + "\n").encode()


def review_of(client: Client, distributor_id: str, buyer: str) -> dict[str, Any]:
    items = client.get("/flow-reviews", params={"distributor_id": distributor_id}).json()["items"]
    return next(i for i in items if i["buyer_name"] == buyer)


def test_a_candidate_in_the_buyers_city_is_marked_and_comes_first(world: World, ids) -> None:
    admin = world.as_user("admin")
    # Given a file from Nanjing naming a shop nobody registered, like two registered ones of two cities
    load = upload_flow(admin, ids["DR"], "2026-10", flow("2026-10", ("南京仁和大药房三店", "南京市鼓楼区中山路1号")))
    assert load["status"] == "accepted" and load["summary"]["review_names"] == 1

    # When a reviewer opens the queue
    item = review_of(admin, ids["DR"], "南京仁和大药房三店")

    # Then both look-alikes are candidates, the one in Nanjing marked same_city and put first
    by_id = {c["customer_id"]: c for c in item["candidates"]}
    nanjing, hangzhou = ids["仁和大药房一店"], ids["仁和大药房二店"]
    assert by_id[nanjing]["same_city"] is True and by_id[hangzhou]["same_city"] is False
    assert item["candidates"][0]["customer_id"] == nanjing
    assert by_id[nanjing]["score"] > by_id[hangzhou]["score"]


def test_a_decision_updates_matched_match_rate_and_review_names(world: World, ids, cloud: Any) -> None:
    admin = world.as_user("admin")
    # Given a load with one buyer matched and two waiting for a person
    load = upload_flow(
        admin, ids["DR"], "2026-11", flow("2026-11", ("鼓楼同济药店", ""), ("城东新开药房", ""), ("城西新开诊所", ""))
    )
    before = load["summary"]
    assert (before["matched"], before["match_rate"], before["review_names"]) == (1, round(1 / 3, 4), 2)

    # When one of the names is decided
    item = review_of(admin, ids["DR"], "城东新开药房")
    r = admin.post(f"/flow-reviews/{item['id']}/decision", {"customer_id": ids["仁和大药房一店"]})
    assert r.status_code == 200, r.text

    # Then, once its rows are re-attributed, the load's summary counts one name fewer waiting
    cloud.wait_idle(30)
    end = time.monotonic() + 30
    while (summary := admin.get(f"/flow-loads/{load['id']}").json()["summary"])["matched"] == 1:
        assert time.monotonic() < end, "the load was not re-attributed"
        time.sleep(0.3)
    assert (summary["matched"], summary["match_rate"], summary["review_names"]) == (2, round(2 / 3, 4), 1)
    assert [
        i["buyer_name"]
        for i in admin.get("/flow-reviews", params={"distributor_id": ids["DR"]}).json()["items"]
        if i["load_ids"][-1] == load["id"]
    ] == ["城西新开诊所"]
