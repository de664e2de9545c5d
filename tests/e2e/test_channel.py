"""Channel analysis through the real path: sell-out, shipments and flow files uploaded with presigned PUTs,
imported by the S3-triggered function, read back by the channel function over HTTP.

The demo tenant (its distributors D001-D003 with territories, its terminals), months 2025-03..2025-06,
which no other test uses. One ERP shipment is written as the orders code writes it (ShipmentItem).
"""

import time
import uuid

import pytest
import requests
from crm.channel.diversion import NO_TERRITORY
from crm.db import keys
from crm.db.base import bind_table
from crm.db.models import ShipmentItem
from crm.ids import stable_id
from localcloud import demo
from localcloud.tokens import token_for_demo_user

from tests.e2e.uploads import send

PERIOD = "2025-06"
ROWS = {row["id"]: row for row in demo.customer_rows()}


def cid(code: str) -> str:
    return stable_id(demo.TENANT, code)


def name(code: str) -> str:
    return ROWS[code]["name"]


def api(cloud, username, method, path, **kw):
    headers = {"Authorization": f"Bearer {token_for_demo_user(username)}"}
    return requests.request(method, cloud.api_url + path, headers=headers, timeout=60, **kw)


def upload(cloud, username: str, kind: str, period: str, lines: list[str], distributor_id: str | None = None) -> dict:
    body = {"kind": kind, "period": period, "file_name": f"{kind}-{uuid.uuid4().hex[:6]}.csv"}
    if distributor_id:
        body["distributor_id"] = distributor_id
    ticket = api(cloud, username, "POST", "/flow-uploads", json=body)
    assert ticket.status_code == 201, ticket.text
    put = send(ticket.json(), "\n".join(lines).encode("utf-8"))
    assert put.status_code == 204, put.text
    load_id, end = ticket.json()["load_id"], time.monotonic() + 60
    while time.monotonic() < end:
        r = api(cloud, username, "GET", f"/flow-loads/{load_id}")
        if r.status_code == 200 and r.json()["status"] not in ("received", "processing"):
            assert r.json()["status"] == "accepted", r.json()
            return r.json()
        time.sleep(0.3)
    raise AssertionError(f"load {load_id} did not finish")


SHIPMENTS = "发货日期,经销商编码,商品编码,批号,数量"
FLOW = "销售日期,商品编码,批号,数量,客户名称"
SELLOUT = "销售日期,商品编码,数量,门店名称"
UNKNOWN_STORE = "某某不存在的门店"


@pytest.fixture(scope="module")
def channel(cloud):
    """Every file of the scenario, uploaded once; returns the loads and the extra distributor's id."""
    demo.seed(cloud)
    loads = {}
    # Our shipments: the period, the two months before (the window), and one month outside it.
    upload(cloud, "admin", "shipments", "2025-03", [SHIPMENTS, "2025-03-10,D003,P1003,Z1,10"])
    upload(cloud, "finance.wu", "shipments", "2025-04", [SHIPMENTS, "2025-04-10,D001,P1001,X1,100"])
    upload(
        cloud, "admin", "shipments", PERIOD, [SHIPMENTS, "2025-06-01,D002,P1002,Y1,50", "2025-06-02,D001,P1002,Y1,30"]
    )
    bind_table(cloud.physical_name("Table"))  # what the ERP reported through the orders code
    ShipmentItem(
        keys.shipped_pk(demo.TENANT, "2025-05"),
        f"{cid('D003')}#o-1#dn-1",
        distributor_id=cid("D003"),
        order_id="o-1",
        shipped_on="2025-05-20",
        lines=[{"sku": "P1004", "batch": "W1", "quantity": 10}],
    ).save()
    loads["d002"] = upload(
        cloud,
        "rep.chen",
        "flow",
        PERIOD,
        [
            FLOW,
            f"2025-06-03,P1001,X1,12,{name('T00009')}",  # X1 went to D001 only: crossing
            f"2025-06-05,P1001,X1,8,{name('T00011')}",  # crossing
            f"2025-06-06,P1002,Y1,5,{name('T00009')}",  # Y1 went to D002 too
            f"2025-06-07,P1003,Z1,4,{name('T00009')}",  # Z1 shipped only in March, outside the window
            f"2025-06-08,P1002,Y2,3,{name('T00001')}",  # a 杭州 buyer: outside 六安/合肥
        ],
        cid("D002"),
    )
    loads["d001"] = upload(
        cloud,
        "d001",
        "flow",
        PERIOD,
        [
            FLOW,
            f"2025-06-10,P1004,W1,6,{name('T00022')}",  # W1: the ERP shipped it to D003
            f"2025-06-11,P1001,X1,7,{name('T00042')}",  # its own batch, its own city
            f"2025-06-12,P1001,X1,2,{UNKNOWN_STORE}",  # matched to nobody: not judged
            f"2025-06-13,P1001,X1,1,{name('T00004')}",  # a 南京 buyer: outside 苏州
        ],
    )
    created = api(
        cloud,
        "admin",
        "POST",
        "/customers",
        json={"name": "测试无区域医药有限公司", "profile": {"type": "distributor", "tier": "tier2"}},
    )
    assert created.status_code == 201, created.text
    loads["none"] = upload(
        cloud, "admin", "flow", PERIOD, [FLOW, f"2025-06-14,P1001,,9,{name('T00001')}"], created.json()["id"]
    )
    # Sell-out: D001's own file, one D002 sent for its terminals, and D001's file of May.
    upload(
        cloud,
        "d001",
        "sellout",
        PERIOD,
        [
            SELLOUT,
            f"2025-06-02,P1001,10,{name('T00022')}",
            f"2025-06-03,P1001,5,{name('T00022')}",
            f"2025-06-03,P1002,4,{name('T00042')}",
            f"2025-06-04,P1001,3,{name('T00004')}",
            f"2025-06-05,P1003,7,{UNKNOWN_STORE}",
        ],
    )
    upload(
        cloud,
        "admin",
        "sellout",
        PERIOD,
        [SELLOUT, f"2025-06-06,P1001,9,{name('T00022')}", f"2025-06-07,P1004,2,{name('T00009')}"],
        cid("D002"),
    )
    upload(cloud, "d001", "sellout", "2025-05", [SELLOUT, f"2025-05-20,P1002,6,{name('T00022')}"])
    return {"loads": loads, "no_territory": created.json()["id"]}


def sellout(cloud, user, **params):
    r = api(cloud, user, "GET", "/sellout", params={"period": PERIOD, **params})
    assert r.status_code == 200, r.text
    return r.json()


def rows(reply, *fields):
    return sorted(tuple(item.get(f) for f in fields) for item in reply["items"])


# ----------------------------------------------------------------------------- sell-out


def test_hq_sees_every_terminal_and_product_with_unmatched_store_names(cloud, channel):
    got = sellout(cloud, "admin")
    assert got["group_by"] == "terminal_product"
    assert sorted(
        (i["terminal_id"] or i["store_name"], i["sku"], i["base_quantity"], i["rows"], tuple(i["reported_by"]))
        for i in got["items"]
    ) == sorted(
        [
            (cid("T00022"), "P1001", 24.0, 3, tuple(sorted([cid("D001"), cid("D002")]))),
            (cid("T00042"), "P1002", 4.0, 1, (cid("D001"),)),
            (cid("T00004"), "P1001", 3.0, 1, (cid("D001"),)),
            (cid("T00009"), "P1004", 2.0, 1, (cid("D002"),)),
            (UNKNOWN_STORE, "P1003", 7.0, 1, (cid("D001"),)),
        ]
    )
    first = got["items"][0]
    assert first["terminal_id"] == cid("T00022") and first["store_name"] == name("T00022")
    assert first["base_unit"] == "盒" and first["product_name"] is None  # the file wrote no product name
    assert [i["terminal_id"] for i in got["items"] if i["store_name"] == UNKNOWN_STORE] == [None]


def test_by_product_and_by_terminal(cloud, channel):
    assert rows(sellout(cloud, "finance.wu", group_by="product"), "sku", "base_quantity", "rows") == [
        ("P1001", 27.0, 4),
        ("P1002", 4.0, 1),
        ("P1003", 7.0, 1),
        ("P1004", 2.0, 1),
    ]
    by_terminal = sellout(cloud, "admin", group_by="terminal", sku="P1001")
    assert rows(by_terminal, "terminal_id", "base_quantity", "rows") == sorted(
        [(cid("T00022"), 24.0, 3), (cid("T00004"), 3.0, 1)]
    )
    assert by_terminal["items"][0]["base_qty_by_sku"] == {"P1001": 24.0}


def test_office_users_see_only_terminals_in_their_scope(cloud, channel):
    assert rows(sellout(cloud, "rep.zhang"), "terminal_id", "sku", "base_quantity") == sorted(
        [(cid("T00022"), "P1001", 24.0), (cid("T00042"), "P1002", 4.0)]
    )
    assert rows(sellout(cloud, "rep.liu"), "terminal_id", "sku", "base_quantity") == [(cid("T00004"), "P1001", 3.0)]
    assert rows(sellout(cloud, "rep.lin"), "terminal_id") == []  # 华南: none of these terminals
    assert rows(sellout(cloud, "eastrx.head", group_by="product"), "sku", "base_quantity") == [
        ("P1001", 27.0),
        ("P1002", 4.0),
    ]  # zhang's and liu's terminals; no unmatched names
    outside = api(cloud, "rep.zhang", "GET", "/sellout", params={"period": PERIOD, "terminal_id": cid("T00004")})
    assert outside.status_code == 404


def test_a_distributor_user_sees_only_its_own_files(cloud, channel):
    got = sellout(cloud, "d001")
    assert rows(got, "terminal_id", "sku", "base_quantity", "rows") == sorted(
        [(cid("T00022"), "P1001", 15.0, 2), (cid("T00042"), "P1002", 4.0, 1), (cid("T00004"), "P1001", 3.0, 1)]
    )
    assert {tuple(i["reported_by"]) for i in got["items"]} == {(cid("D001"),)}


def test_paging_follows_the_cursor(cloud, channel):
    first = sellout(cloud, "admin", limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = sellout(cloud, "admin", limit=2, cursor=first["next_cursor"])
    last = sellout(cloud, "admin", limit=2, cursor=rest["next_cursor"])
    assert len(rest["items"]) == 2 and len(last["items"]) == 1 and last["next_cursor"] is None
    assert [i["base_quantity"] for i in first["items"] + rest["items"] + last["items"]] == [24.0, 7.0, 4.0, 3.0, 2.0]
    bad = api(
        cloud,
        "admin",
        "GET",
        "/sellout",
        params={"period": PERIOD, "group_by": "product", "cursor": first["next_cursor"]},
    )
    assert bad.status_code == 400


def test_a_terminals_sell_out_by_month(cloud, channel):
    path = f"/customers/{cid('T00022')}/sellout"
    got = api(cloud, "rep.zhang", "GET", path, params={"from": "2025-04", "to": PERIOD})
    assert got.status_code == 200, got.text
    assert [(i["period"], i["sku"], i["base_quantity"], i["rows"]) for i in got.json()["items"]] == [
        ("2025-05", "P1002", 6.0, 1),
        ("2025-06", "P1001", 24.0, 3),
    ]
    own = api(cloud, "d001", "GET", path, params={"from": "2025-05", "to": PERIOD}).json()
    assert [(i["period"], i["sku"], i["base_quantity"]) for i in own["items"]] == [
        ("2025-05", "P1002", 6.0),
        ("2025-06", "P1001", 15.0),
    ]
    assert api(cloud, "rep.liu", "GET", path, params={"from": "2025-05", "to": PERIOD}).status_code == 404
    wide = api(cloud, "admin", "GET", path, params={"from": "2024-01", "to": PERIOD})
    assert wide.status_code == 422 and wide.headers["Content-Type"] == "application/problem+json"
    assert api(cloud, "admin", "GET", path, params={"from": "2025-6", "to": PERIOD}).status_code == 422


def test_a_distributor_asking_for_a_terminal_its_files_do_not_name_gets_a_404(cloud, channel):
    """Its scope is itself and the terminals of its own files: anything else is a 404, as for everyone else (was a
    200 with no items, even for an id that is not there)."""
    months = {"from": "2025-05", "to": PERIOD}
    for customer_id in ("01ARZ3NDEKTSV4RRFFQ69G5FAV", cid("D002"), cid("T00009")):  # T00009: D002's files only
        assert api(cloud, "admin", "GET", f"/customers/{customer_id}/sellout", params=months).status_code in (
            200,
            404,
        )  # the admin sees the real ones
        r = api(cloud, "d001", "GET", f"/customers/{customer_id}/sellout", params=months)
        assert r.status_code == 404, (customer_id, r.text)
        assert r.headers["Content-Type"] == "application/problem+json"
    before = api(
        cloud, "d001", "GET", f"/customers/{cid('T00022')}/sellout", params={"from": "2025-01", "to": "2025-02"}
    )
    assert before.status_code == 404  # none of its files of those months names it
    itself = api(cloud, "d001", "GET", f"/customers/{cid('D001')}/sellout", params=months)
    assert itself.status_code == 200 and itself.json()["items"] == []


# ----------------------------------------------------------------------------- diversion


def test_batch_crossings_and_out_of_territory_with_evidence(cloud, channel):
    r = api(cloud, "admin", "GET", "/diversion-signals", params={"period": PERIOD})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["shipment_window"] == ["2025-04", "2025-05", PERIOD]
    assert [
        (
            s["sku"],
            s["batch"],
            s["found_in"],
            s["shipped_to"],
            s["shipped_quantity"],
            s["quantity"],
            s["rows"],
            s["evidence_total"],
        )
        for s in got["batch_crossings"]
    ] == [
        ("P1001", "X1", cid("D002"), [cid("D001")], 100.0, 20.0, 2, 2),
        ("P1004", "W1", cid("D001"), [cid("D003")], 10.0, 6.0, 1, 1),
    ]
    load = channel["loads"]["d002"]["id"]
    assert [
        (
            e["load_id"],
            e["source_row"],
            e["source_line"],
            e["sale_date"],
            e["buyer_name"],
            e["customer_id"],
            e["base_quantity"],
        )
        for e in got["batch_crossings"][0]["evidence"]
    ] == [
        (load, 1, 2, "2025-06-03", name("T00009"), cid("T00009"), 12.0),
        (load, 2, 3, "2025-06-05", name("T00011"), cid("T00011"), 8.0),
    ]
    territory = sorted(got["out_of_territory"], key=lambda s: s["distributor_id"] == cid("D002"))
    assert [
        (
            s["distributor_id"],
            s["customer_id"],
            s["customer_name"],
            s["region"]["city"],
            s["quantity"],
            s["base_qty_by_sku"],
            s["rows"],
        )
        for s in territory
    ] == [
        (cid("D001"), cid("T00004"), name("T00004"), "南京", 1.0, {"P1001": 1.0}, 1),
        (cid("D002"), cid("T00001"), name("T00001"), "杭州", 3.0, {"P1002": 3.0}, 1),
    ]
    assert territory[0]["territory"] == {"provinces": ["江苏"], "cities": ["苏州"]}
    evidence = territory[1]["evidence"]
    assert [(e["load_id"], e["source_row"], e["batch"], e["base_quantity"]) for e in evidence] == [(load, 5, "Y2", 3.0)]
    assert got["skipped"] == [{"distributor_id": channel["no_territory"], "reason": NO_TERRITORY}]
    assert got["unjudged"] == [{"distributor_id": cid("D001"), "unmatched_rows": 1, "unknown_region_rows": 0}]


def test_signals_of_one_distributor_and_a_heads_scope(cloud, channel):
    one = api(
        cloud, "finance.wu", "GET", "/diversion-signals", params={"period": PERIOD, "distributor_id": cid("D002")}
    ).json()
    assert [(s["batch"], s["found_in"]) for s in one["batch_crossings"]] == [("X1", cid("D002"))]
    assert [s["customer_id"] for s in one["out_of_territory"]] == [cid("T00001")]
    assert one["skipped"] == [] and one["unjudged"] == []
    shipper = api(
        cloud, "admin", "GET", "/diversion-signals", params={"period": PERIOD, "distributor_id": cid("D003")}
    ).json()
    assert [(s["batch"], s["shipped_to"]) for s in shipper["batch_crossings"]] == [("W1", [cid("D003")])]
    east = api(cloud, "east.head", "GET", "/diversion-signals", params={"period": PERIOD}).json()
    assert len(east["batch_crossings"]) == 2 and len(east["out_of_territory"]) == 2
    assert east["skipped"] == []  # the extra distributor belongs to HQ, outside 华东
    south = api(cloud, "south.head", "GET", "/diversion-signals", params={"period": PERIOD}).json()
    assert south["batch_crossings"] == south["out_of_territory"] == south["skipped"] == []
    assert (
        api(
            cloud, "south.head", "GET", "/diversion-signals", params={"period": PERIOD, "distributor_id": cid("D001")}
        ).status_code
        == 404
    )


@pytest.mark.parametrize("user", ["rep.zhang", "d001", "erp"])
def test_who_may_not_read_diversion_signals(cloud, channel, user):
    r = api(cloud, user, "GET", "/diversion-signals", params={"period": PERIOD})
    assert r.status_code == 403
    assert r.headers["Content-Type"] == "application/problem+json" and r.json()["status"] == 403


def test_a_month_without_files_has_no_signals(cloud, channel):
    got = api(cloud, "admin", "GET", "/diversion-signals", params={"period": "2025-01"}).json()
    assert got["batch_crossings"] == got["out_of_territory"] == got["skipped"] == got["unjudged"] == []
    assert sellout(cloud, "admin", period="2025-01")["items"] == []


# ----------------------------------------------------------------------------- territory on the profile


def test_demo_distributors_carry_their_territory(cloud, channel):
    d002 = api(cloud, "rep.chen", "GET", f"/customers/{cid('D002')}").json()
    assert d002["profile"]["territory"] == {"provinces": ["安徽"], "cities": ["六安", "合肥"]}


def test_a_territory_is_validated_and_audited(world):
    admin = world.as_user("admin")
    created = admin.post(
        "/customers",
        json={
            "name": "区域测试医药有限公司",
            "profile": {"type": "distributor", "tier": "tier1", "territory": {"cities": ["苏州", "苏州", " 无锡 "]}},
        },
    )
    assert created.status_code == 201, created.text
    customer = created.json()
    assert customer["profile"]["territory"] == {"provinces": [], "cities": ["苏州", "无锡"]}
    bad = admin.patch(
        f"/customers/{customer['id']}",
        headers={"If-Match": '"1"'},
        json={"profile": {"type": "distributor", "tier": "tier1", "territory": {"cities": []}}},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("profile")
    changed = admin.patch(
        f"/customers/{customer['id']}",
        headers={"If-Match": '"1"'},
        json={
            "profile": {
                "type": "distributor",
                "tier": "tier1",
                "territory": {"provinces": ["江苏"], "cities": ["苏州"]},
            }
        },
    )
    assert changed.status_code == 200, changed.text
    history = admin.get(f"/customers/{customer['id']}/history").json()["items"]
    change = history[0]["changes"]["profile"]
    assert change["before"]["territory"] == {"provinces": [], "cities": ["苏州", "无锡"]}
    assert change["after"]["territory"] == {"provinces": ["江苏"], "cities": ["苏州"]}
