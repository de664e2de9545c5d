"""Channel inventory by batch, through the real path in a tenant of its own: an opening typed in by batch,
shipments, flow and a stock report that name batches, an adjustment of one batch; the month is reckoned
per batch where every figure names one, per product where any does not; closing carries each batch into
the next month. Also: a branch head who names no distributor sees every distributor in the branch.

The sample files (tests/e2e/test_inventory.py) name no batch in their openings, so they never reach this."""

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import requests
from localcloud.tokens import mint_token

from tests.e2e.conftest import World, new_tenant
from tests.e2e.test_approvals import decide_every_step, eventually
from tests.e2e.test_inventory import upload

PRODUCTS = [
    {"sku": "P1001", "name": "阿莫西林胶囊", "spec": "0.25g*24粒", "base_unit": "盒", "case_size": 60},
    {"sku": "P1002", "name": "布洛芬缓释胶囊", "spec": "0.3g*20粒", "base_unit": "盒", "case_size": 50},
]
FLOW = (
    "销售日期,商品编码,商品名称,规格,批号,数量,单位,客户名称,客户地址\n"
    "2026-10-05,P1001,阿莫西林胶囊,0.25g*24粒,B1,20,盒,杭州长青药店,\n"
    "2026-10-06,P1001,阿莫西林胶囊,0.25g*24粒,b1 ,5,盒,杭州长青药店,\n"  # the same batch, typed loosely
    "2026-10-07,P1001,阿莫西林胶囊,0.25g*24粒,B2,6,盒,杭州康宁药店,\n"
    "2026-10-08,P1002,布洛芬缓释胶囊,0.3g*20粒,C7,3,盒,杭州康宁药店,\n"
)
SHIPMENTS = "date,distributor,sku,batch,qty\n2026-10-02,DB1,P1001,B1,20\n2026-10-03,DB1,P1002,,5\n"
STOCK = "商品编码,批号,结存数量,单位\nP1001,B1,5,盒\nP1002,C7,2,盒\n"


@pytest.fixture(scope="module")
def world(cloud: Any) -> World:
    return World(new_tenant(cloud), cloud.api_url, mint_token)


@pytest.fixture(scope="module")
def month(world: World) -> dict[str, str]:
    """DB1 in the East branch with every file of October; DB2 at head office. Returns code → id."""
    admin, finance = world.as_user("admin"), world.as_user("finance.wu")
    for product in PRODUCTS:
        assert admin.post("/products", product).status_code == 201
    ids = {}
    for code, user in (("DB1", "east.head"), ("DB2", "admin")):
        r = world.as_user(user).post(
            "/customers",
            {
                "name": f"经销商{code}医药有限公司",
                "code": code,
                "status": "active",
                "profile": {"type": "distributor", "tier": "tier1"},
            },
        )
        assert r.status_code == 201, r.text
        ids[code] = r.json()["id"]
    opening = finance.put(
        f"/inventory/openings/2026-10/{ids['DB1']}",
        {
            "lines": [
                {"sku": "P1001", "batch": "B1", "quantity": 10},
                {"sku": "P1001", "batch": "B2", "quantity": 4},
                {"sku": "P1002", "quantity": 7},
            ]
        },
    )
    assert opening.status_code == 200, opening.text
    assert (
        finance.put(
            f"/inventory/openings/2026-10/{ids['DB2']}", {"lines": [{"sku": "P1001", "quantity": 1}]}
        ).status_code
        == 200
    )
    for kind, name, text, distributor in (
        ("flow", "流向_DB1.csv", FLOW, ids["DB1"]),
        ("inventory", "库存_DB1.csv", STOCK, ids["DB1"]),
        ("shipments", "shipments.csv", SHIPMENTS, None),
    ):
        load = upload(finance, kind, Path(name), distributor, data=text.encode("utf-8"))
        assert load["status"] == "accepted", load
    body = {
        "period": "2026-10",
        "distributor_id": ids["DB1"],
        "sku": "P1001",
        "batch": " b2",
        "quantity": 1,
        "reason": "盘点: one box of B2 found",
    }
    asked = finance.post("/inventory/adjustments", body)
    assert asked.status_code == 201 and asked.json()["batch"] == "B2", asked.text
    decide_every_step(world, asked.json()["id"])
    assert eventually(
        lambda: (
            [
                a["status"]
                for a in finance.get(  # the run's end reaches it a moment later
                    "/inventory/adjustments", params={"period": "2026-10"}
                ).json()["items"]
            ]
            == ["approved"]
        )
    )
    return ids


def db1_lines(world: World, ids: dict[str, str], user: str = "admin") -> dict[str, dict[str, Any]]:
    report = world.as_user(user).get("/inventory", params={"period": "2026-10", "distributor_id": ids["DB1"]})
    assert report.status_code == 200, report.text
    return {line["sku"]: line for line in report.json()["items"]}


def test_a_product_whose_figures_all_name_batches_is_reckoned_per_batch(world: World, month) -> None:
    p1001 = db1_lines(world, month)["P1001"]
    assert (
        p1001["opening"],
        p1001["inbound"],
        p1001["outbound"],
        p1001["adjustments"],
        p1001["expected_closing"],
        p1001["reported_closing"],
    ) == (14, 20, 31, 1, 4, 5)
    batches = {b["batch"]: b for b in p1001["batches"]}
    assert set(batches) == {"B1", "B2"}
    b1, b2 = batches["B1"], batches["B2"]
    assert (
        b1["opening"],
        b1["inbound"],
        b1["outbound"],
        b1["expected_closing"],
        b1["reported_closing"],
        b1["variance"],
    ) == (10, 20, 25, 5, 5, 0)
    # B2: 4 opened + 1 adjusted − 6 sold = −1, and the report (which names batches) holds none of it
    assert (b2["expected_closing"], b2["reported_closing"], b2["variance"]) == (-1, 0, 1)
    assert "negative_expected" in b2["flags"] and "negative_expected" not in p1001["flags"]


def test_a_product_with_any_figure_without_batch_is_reckoned_whole(world: World, month) -> None:
    p1002 = db1_lines(world, month)["P1002"]  # opening typed in and shipment reported without a batch
    assert (
        p1002["opening"],
        p1002["inbound"],
        p1002["outbound"],
        p1002["expected_closing"],
        p1002["reported_closing"],
    ) == (7, 5, 3, 9, 2)
    assert p1002["batches"] == []


def test_the_export_has_a_sheet_of_batches(world: World, month) -> None:
    link = world.as_user("admin").get("/inventory/export", params={"period": "2026-10", "distributor_id": month["DB1"]})
    assert link.status_code == 200, link.text
    book = openpyxl.load_workbook(io.BytesIO(requests.get(link.json()["url"], timeout=30).content))
    rows = list(book.worksheets[1].iter_rows(values_only=True))
    assert [(row[1], row[2], row[7]) for row in rows[1:]] == [("P1001", "B1", 5), ("P1001", "B2", -1)]


def test_a_branch_head_naming_no_distributor_sees_every_one_in_the_branch(world: World, month) -> None:
    head = world.as_user("east.head").get("/inventory", params={"period": "2026-10"})
    assert head.status_code == 200, head.text
    assert {line["distributor_id"] for line in head.json()["items"]} == {month["DB1"]}
    everyone = world.as_user("admin").get("/inventory", params={"period": "2026-10"}).json()
    assert {line["distributor_id"] for line in everyone["items"]} == {month["DB1"], month["DB2"]}
    db2 = [line for line in everyone["items"] if line["distributor_id"] == month["DB2"]]
    assert [(line["sku"], line["reported_closing"], line["flags"]) for line in db2] == [
        ("P1001", None, ["no_stock_report"])
    ]  # DB2 sent no stock report for the month
    rep = world.as_user("rep.chen").get("/inventory", params={"period": "2026-10"})  # owns no distributor
    assert rep.status_code == 200 and rep.json()["items"] == []
    outside = world.as_user("east.head").get("/inventory", params={"period": "2026-10", "distributor_id": month["DB2"]})
    assert outside.status_code == 404


def test_closing_carries_each_batch_into_the_next_month(world: World, month) -> None:
    finance = world.as_user("finance.wu")
    closed = finance.post("/inventory/periods/2026-10/close")
    assert closed.status_code == 200, closed.text
    frozen = db1_lines(world, month)
    assert [b["batch"] for b in frozen["P1001"]["batches"]] == ["B1", "B2"]  # the frozen month keeps its batches
    openings = finance.get("/inventory/openings", params={"period": "2026-11", "distributor_id": month["DB1"]})
    assert openings.status_code == 200, openings.text
    carried = {(o["sku"], o["batch"]): (o["quantity"], o["source"]) for o in openings.json()["items"]}
    # the reported closing per batch (B2: none reported, so no line), P1002 as a whole
    assert carried == {("P1001", "B1"): (5, "carried"), ("P1002", None): (2, "carried")}


def test_a_hand_entered_opening_may_hold_a_whole_product_range(world: World, month) -> None:
    finance = world.as_user("finance.wu")
    lines = [{"sku": "P1001", "batch": f"B{n:03d}", "quantity": n} for n in range(1, 151)]
    r = finance.put(f"/inventory/openings/2026-12/{month['DB2']}", {"lines": lines})
    assert r.status_code == 200, r.text
    listed = finance.get("/inventory/openings", params={"period": "2026-12", "distributor_id": month["DB2"]})
    assert [(o["batch"], o["quantity"], o["source"]) for o in listed.json()["items"]] == [
        (f"B{n:03d}", n, "manual") for n in range(1, 151)
    ]
    unknown = finance.put(f"/inventory/openings/2026-12/{month['DB2']}", {"lines": [{"sku": "P9999", "quantity": 1}]})
    assert unknown.status_code == 422 and "P9999" in unknown.json()["detail"]
    assert (
        len(
            finance.get("/inventory/openings", params={"period": "2026-12", "distributor_id": month["DB2"]}).json()[
                "items"
            ]
        )
        == 150
    )


def test_a_branch_head_lists_the_files_of_every_distributor_in_the_branch(world: World, month) -> None:
    head = world.as_user("east.head").get("/flow-loads")
    assert head.status_code == 200, head.text
    assert sorted((load["kind"], load["distributor_id"]) for load in head.json()["items"]) == [
        ("flow", month["DB1"]),
        ("inventory", month["DB1"]),
    ]
    for hq in ("admin", "finance.wu"):
        everything = world.as_user(hq).get("/flow-loads").json()["items"]
        assert {load["kind"] for load in everything} == {"flow", "inventory", "shipments"}, hq
    assert world.as_user("rep.chen").get("/flow-loads").json()["items"] == []  # owns no distributor


def test_an_adjustment_of_an_unknown_product_or_that_nobody_can_approve_is_refused(world: World, month) -> None:
    admin = world.as_user("admin")
    body = {"period": "2026-12", "distributor_id": month["DB2"], "sku": "P1001", "quantity": 2, "reason": "盘点差异"}
    unknown = admin.post("/inventory/adjustments", {**body, "sku": "P9999"})
    assert unknown.status_code == 422 and "P9999" in unknown.json()["detail"]
    # only HQ admins approve adjustments here, and the one HQ admin never approves their own request
    assert (
        admin.put(
            "/approval-policies/inventory_adjustment",
            json={"steps": [{"role": "hq_admin"}]},
            headers={"If-Match": '"0"'},
        ).status_code
        == 200
    )
    nobody = admin.post("/inventory/adjustments", body)
    assert nobody.status_code == 422 and "Nobody can approve" in nobody.json()["detail"]
    assert admin.get("/inventory/adjustments", params={"period": "2026-12"}).json()["items"] == []
