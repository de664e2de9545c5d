"""Agreements, rebate accruals and diversion cases through the real path, in a tenant of its own: an agreement
with a three-tier rule on verified flow approved through the approval state machine; the month's flow file
uploaded and imported by the S3-triggered function; the preview checked against a figure worked out here from
the uploaded rows; a diversion signal (from the agreement's territory) made a case, confirmed with a penalty
that lowers the accrual; the month closed (the voucher frozen by the accrual state machine, then approved),
exported, reopened (the voucher reversed); and a distributor's user seeing its own and nobody else's."""

import io
import time
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import openpyxl
import pytest
import requests
from crm.db import keys
from crm.db.base import bind_table
from crm.db.models import ShipmentItem
from localcloud import tokens
from localcloud.tokens import mint_token

from tests.e2e.conftest import Client, World, new_tenant
from tests.e2e.test_approvals import decide_every_step
from tests.e2e.uploads import finished_load, sent, upload_flow

PERIOD = "2026-11"
PRICES = {"P1001": Decimal("10"), "P1002": Decimal("20"), "P1003": Decimal("5")}
GROUP = {"P1001": "抗生素", "P1002": "抗生素", "P1003": "其他"}
TIERS = [(Decimal(0), Decimal("1")), (Decimal(100), Decimal("2")), (Decimal(200), Decimal("3"))]  # qty → %
TERMINALS = {"苏州康宁大药房": "苏州", "苏州仁和药店": "苏州", "南京益民药房": "南京"}
UNKNOWN = "某某不存在的门店"
# What the distributor's file says it sold in November: (buyer, sku, quantity)
ROWS = [
    ("苏州康宁大药房", "P1001", 120),
    ("苏州仁和药店", "P1002", 60),
    ("南京益民药房", "P1001", 30),  # outside 苏州: a diversion signal
    (UNKNOWN, "P1001", 40),  # matched to nobody: not verified, not counted
    ("苏州康宁大药房", "P1003", 10),  # another product group
]
PENALTY = Decimal("50.00")


def ok(r: requests.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def by_hand() -> Decimal:
    """The rule worked out from ROWS: verified rows (buyer known) of the 抗生素 group; the highest tier the
    month's quantity reaches; its percent of quantity × agreed price."""
    counted = [(sku, q) for buyer, sku, q in ROWS if buyer in TERMINALS and GROUP[sku] == "抗生素"]
    quantity = sum(q for _, q in counted)
    amount = sum(PRICES[sku] * q for sku, q in counted)
    percent = [p for threshold, p in TIERS if quantity >= threshold][-1]
    return (amount * percent / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)


def terms(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "valid_from": "2026-01",
        "valid_to": "2026-12",
        "territory": {"provinces": ["江苏"], "cities": ["苏州"]},
        "products": [{"sku": s, "group": GROUP[s], "price": str(p)} for s, p in PRICES.items()],
        "targets": [{"group": "抗生素", "period": "2026-Q4", "quantity": "600"}],
        "rules": [
            {
                "name": "流向阶梯返利",
                "group": "抗生素",
                "basis": "flow",
                "measure": "quantity",
                "tiers": [{"threshold": str(t), "percent": str(p)} for t, p in TIERS],
            },
            {"name": "进货返利", "group": "其他", "basis": "sell_in", "tiers": [{"threshold": "0", "per_unit": "0.5"}]},
        ],
    }


def eventually(check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while (value := check()) is None or value is False:
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.3)
    return value


@pytest.fixture(scope="module")
def world(cloud: Any) -> World:
    return World(new_tenant(cloud), cloud.api_url, mint_token)


@pytest.fixture(scope="module")
def scene(world: World, cloud: Any) -> dict[str, Any]:
    """Products, two distributors (east and south) each with an approved agreement, the terminals, and the
    east distributor's own user."""
    admin = world.as_user("admin")
    for sku in PRICES:
        ok(
            admin.post(
                "/products", {"sku": sku, "name": f"产品{sku}", "spec": "10片", "base_unit": "盒", "case_size": 10}
            ),
            201,
        )
    s = uuid.uuid4().hex[:6]
    ids: dict[str, str] = {}
    for key, unit in (("east", "EAST"), ("south", "SOUTH")):
        ids[key] = ok(
            admin.post(
                "/customers",
                {
                    "name": f"{key}医药商业{s}",
                    "code": f"D-{key}-{s}",
                    "status": "active",
                    "org_unit_id": unit,
                    "profile": {"type": "distributor", "tier": "tier1"},
                },
            ),
            201,
        )["id"]
    for name, city in TERMINALS.items():
        body = {
            "name": name,
            "status": "active",
            "org_unit_id": "EAST",
            "profile": {"type": "terminal", "kind": "pharmacy"},
        }
        ids[name] = ok(admin.post("/customers", {**body, "region": {"province": "江苏", "city": city}}), 201)["id"]
    agreements = {}
    for key in ("east", "south"):
        created = ok(admin.post("/agreements", {"customer_id": ids[key], **terms(f"2026年{key}经销协议")}), 201)
        assert created["current_version"] is None and created["versions"][0]["status"] == "pending"
        decide_every_step(world, created["id"])
        agreements[key] = eventually(
            lambda a=created["id"]: (r := admin.get(f"/agreements/{a}").json())["current_version"] == 1 and r
        )
    user = {"username": f"dist-{s}", "name": "东区经销商", "email": f"dist-{s}@example.com", "roles": ["distributor"]}
    ok(admin.post("/users", {**user, "distributor_code": f"D-east-{s}"}), 201)
    distributor = Client(cloud.api_url, tokens.token_for(f"dist-{s}"))
    return {"ids": ids, "agreements": agreements, "distributor": distributor, "code": f"D-east-{s}"}


@pytest.fixture(scope="module")
def month(world: World, scene: dict[str, Any]) -> dict[str, Any]:
    lines = ["销售日期,商品编码,数量,单位,客户名称", *(f"{PERIOD}-10,{sku},{q},盒,{b}" for b, sku, q in ROWS)]
    load = upload_flow(world.as_user("admin"), scene["ids"]["east"], PERIOD, "\n".join(lines).encode())
    assert load["status"] == "accepted", load
    return load


def preview(client: Client, customer_id: str) -> dict[str, Any]:
    page = ok(client.get("/accruals/preview", params={"period": PERIOD, "customer_id": customer_id}))
    assert len(page["items"]) == 1, page
    return page["items"][0]


def test_sell_in_counts_the_shipments_files_and_the_erps_reports_once(world: World, scene, cloud: Any) -> None:
    """October: the ERP reported order O-1 (30 of P1003); the shipments file has it too, and another 20."""
    east = scene["ids"]["east"]
    bind_table(cloud.physical_name("Table"))  # what the ERP reported through the orders code
    ShipmentItem(
        keys.shipped_pk(world.tenant_id, "2026-10"),
        f"{east}#O-1#dn-1",
        distributor_id=east,
        order_id="O-1",
        shipped_on="2026-10-05",
        lines=[{"sku": "P1003", "batch": None, "quantity": 30}],
    ).save()
    finance = world.as_user("finance.wu")
    file = ["发货日期,经销商编码,商品编码,数量,单据编号", f"2026-10-05,{scene['code']},P1003,30,O-1"]
    file.append(f"2026-10-06,{scene['code']},P1003,20,SO-9")
    ticket = ok(finance.post("/flow-uploads", {"kind": "shipments", "period": "2026-10", "file_name": "发货.csv"}), 201)
    sent(ticket, "\n".join(file).encode())
    load = finished_load(finance, ticket["load_id"])
    assert load["status"] == "accepted", load
    page = ok(finance.get("/accruals/preview", params={"period": "2026-10", "customer_id": east}))
    sell_in = page["items"][0]["rules"][1]
    assert (sell_in["rule"], sell_in["quantity"], sell_in["accrued"]) == ("进货返利", 50.0, "25.00")
    assert sell_in["counted"]["loads"] == sorted([load["id"], "erp:O-1"])


def test_an_approved_agreement_is_in_force_with_its_versions(scene: dict[str, Any]) -> None:
    east = scene["agreements"]["east"]
    assert east["versions"][0]["status"] == "approved" and east["terms"]["rules"][0]["tiers"][2]["percent"] == "3"


def test_a_new_version_waits_for_approval_and_the_one_in_force_stays(world: World, scene: dict[str, Any]) -> None:
    admin, south = world.as_user("admin"), scene["agreements"]["south"]
    r = admin.get(f"/agreements/{south['id']}")
    changed = terms("2026年south经销协议（修订）")
    stale = admin.post(f"/agreements/{south['id']}/versions", changed, headers={"If-Match": '"999"'})
    assert stale.status_code == 412
    v2 = ok(admin.post(f"/agreements/{south['id']}/versions", changed, headers={"If-Match": r.headers["ETag"]}), 201)
    assert [v["status"] for v in v2["versions"]] == ["approved", "pending"] and v2["current_version"] == 1
    again = admin.post(f"/agreements/{south['id']}/versions", changed, headers={"If-Match": f'"{v2["version"]}"'})
    assert again.status_code == 409
    decide_every_step(world, south["id"], "reject", "价格不对")
    after = eventually(
        lambda: (a := admin.get(f"/agreements/{south['id']}").json())["versions"][1]["status"] != "pending" and a
    )
    assert [v["status"] for v in after["versions"]] == ["approved", "rejected"] and after["current_version"] == 1


def test_an_overlapping_agreement_or_an_unknown_product_is_refused(world: World, scene: dict[str, Any]) -> None:
    admin, east = world.as_user("admin"), scene["ids"]["east"]
    assert admin.post("/agreements", {"customer_id": east, **terms("重复")}).status_code == 409
    unknown = terms("未知产品") | {"valid_from": "2027-01", "valid_to": "2027-12"}
    unknown["products"].append({"sku": "P9999", "group": "其他", "price": "1"})
    r = admin.post("/agreements", {"customer_id": east, **unknown})
    assert r.status_code == 422 and "P9999" in r.json()["detail"]
    assert world.as_user("rep.zhang").post("/agreements", {"customer_id": east, **terms("x")}).status_code == 403


def test_the_preview_equals_the_figure_worked_out_from_the_uploaded_rows(world: World, scene, month) -> None:
    voucher = preview(world.as_user("finance.wu"), scene["ids"]["east"])
    rule = voucher["rules"][0]
    assert Decimal(voucher["net"]) == by_hand() == Decimal("81.00")
    assert (rule["quantity"], rule["tier"], rule["rate"]) == (210.0, 3, "3%")
    assert Decimal(rule["target"]) == Decimal("200.00") and rule["attainment_pct"] == 105.0  # a third of Q4's 600
    assert rule["counted"] == {
        "loads": [month["id"]],
        "rows": 3,
        "unverified_rows": 1,
        "quantity_by_sku": {"P1001": 150.0, "P1002": 60.0},
    }
    assert voucher["status"] == "preview" and voucher["id"] is None


@pytest.fixture(scope="module")
def case(world: World, scene: dict[str, Any], month: dict[str, Any]) -> dict[str, Any]:
    """The out-of-territory signal made a case, noted, confirmed with a penalty, the confirmation approved."""
    finance, head, east = world.as_user("finance.wu"), world.as_user("east.head"), scene["ids"]["east"]
    signals = ok(head.get("/diversion-signals", params={"period": PERIOD, "distributor_id": east}))
    [signal] = signals["out_of_territory"]  # the territory is the agreement's: the profile names none
    assert signal["customer_id"] == scene["ids"]["南京益民药房"] and signal["quantity"] == 30.0
    body = {
        "period": PERIOD,
        "signal": "out_of_territory",
        "distributor_id": east,
        "customer_id": signal["customer_id"],
    }
    opened = ok(head.post("/diversion-cases", body), 201)
    assert opened["status"] == "open" and opened["out_of_territory"]["evidence"][0]["buyer_name"] == "南京益民药房"
    assert head.post("/diversion-cases", body).status_code == 409  # one case per signal
    note = {"text": "电话核实：确有跨区销售"}
    noted = ok(head.post(f"/diversion-cases/{opened['id']}/notes", note, headers={"If-Match": '"1"'}))
    decision = {"decision": "confirmed", "comment": "跨区销售属实", "penalty": {"amount": str(PENALTY)}}
    etag = {"If-Match": f'"{noted["version"]}"'}
    pending = ok(head.post(f"/diversion-cases/{opened['id']}/decision", decision, headers=etag))
    assert pending["status"] == "pending" and pending["notes"][0]["text"] == note["text"]
    while_pending = preview(finance, east)
    decide_every_step(world, opened["id"])
    eventually(lambda: head.get(f"/diversion-cases/{opened['id']}").json()["status"] == "confirmed")
    return {"id": opened["id"], "while_pending": while_pending}


def test_a_confirmed_diversion_case_lowers_the_accrual_by_its_penalty(world: World, scene, case) -> None:
    assert Decimal(case["while_pending"]["net"]) == by_hand()  # not while its confirmation waits for approval
    voucher = preview(world.as_user("finance.wu"), scene["ids"]["east"])
    assert Decimal(voucher["gross"]) == by_hand()
    assert Decimal(voucher["net"]) == by_hand() - PENALTY
    assert voucher["penalties"] == [{"case_id": case["id"], "amount": "50.00", "forfeit": False}]
    confirmed = ok(world.as_user("east.head").get(f"/diversion-cases/{case['id']}"))
    assert (confirmed["decision"], confirmed["penalty"]) == ("confirmed", {"amount": "50.00", "forfeit_rebate": False})


def test_closing_freezes_the_voucher_it_is_approved_exported_and_reopening_reverses_it(
    world: World, scene, case
) -> None:
    finance, admin, east = world.as_user("finance.wu"), world.as_user("admin"), scene["ids"]["east"]
    expected = by_hand() - PENALTY
    ok(finance.post(f"/inventory/periods/{PERIOD}/close"))
    run = eventually(
        lambda: (
            (r := finance.get(f"/accrual-runs/{PERIOD}")).status_code == 200
            and r.json()["status"] != "running"
            and r.json()
        )
    )
    assert (run["status"], run["round"], run["vouchers"], run["reversal"]) == ("done", 1, 2, None), run
    page = ok(finance.get("/accrual-vouchers", params={"period": PERIOD, "customer_id": east}))
    [voucher] = page["items"]
    assert (voucher["status"], Decimal(voucher["net"]), voucher["round"]) == ("pending", expected, 1)
    # the month's files are frozen with it
    late = admin.post(
        "/flow-uploads", {"kind": "flow", "period": PERIOD, "file_name": "补.csv", "distributor_id": east}
    )
    assert late.status_code == 409
    decide_every_step(world, voucher["id"])
    eventually(lambda: finance.get(f"/accrual-vouchers/{voucher['id']}").json()["status"] == "approved")
    by_group = ok(finance.get("/accrual-vouchers", params={"period": PERIOD, "group": "抗生素"}))
    assert {v["customer_id"] for v in by_group["items"]} == {east, scene["ids"]["south"]}
    assert ok(finance.get("/accrual-vouchers", params={"period": PERIOD, "group": "不存在"}))["items"] == []
    me, [south_voucher] = scene["distributor"], [v for v in by_group["items"] if v["customer_id"] != east]
    assert [v["id"] for v in ok(me.get("/accrual-vouchers", params={"period": PERIOD}))["items"]] == [voucher["id"]]
    assert ok(me.get(f"/accrual-vouchers/{voucher['id']}"))["net"] == str(expected)
    assert me.get(f"/accrual-vouchers/{south_voucher['id']}").status_code == 404

    link = ok(finance.get("/accrual-vouchers/export", params={"period": PERIOD}))
    book = openpyxl.load_workbook(io.BytesIO(requests.get(link["url"], timeout=30).content))
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert (voucher["id"], "approved", float(expected)) in {(r[0], r[1], r[5]) for r in rows}
    assert {r[5] for r in book.worksheets[1].iter_rows(min_row=2, values_only=True)} >= {"流向阶梯返利"}

    ok(admin.post(f"/inventory/periods/{PERIOD}/reopen", {"reason": "经销商补报流向"}))
    eventually(lambda: finance.get(f"/accrual-vouchers/{voucher['id']}").json()["status"] == "reversed")
    after = ok(finance.get("/accrual-vouchers", params={"period": PERIOD, "customer_id": east}))
    assert sorted((v["status"], v["net"]) for v in after["items"]) == [
        ("reversal", f"-{expected}"),
        ("reversed", str(expected)),
    ]
    assert Decimal(after["total_net"]) == 0
    run = eventually(lambda: (r := finance.get(f"/accrual-runs/{PERIOD}").json())["reversal"] == "done" and r)
    assert (run["round"], run["reversed"]) == (1, 2)


def test_a_distributor_sees_its_own_agreements_and_vouchers_and_nobody_elses(world: World, scene, month) -> None:
    me, east, south = scene["distributor"], scene["ids"]["east"], scene["ids"]["south"]
    assert [a["customer_id"] for a in ok(me.get("/agreements"))["items"]] == [east]
    assert me.get(f"/agreements/{scene['agreements']['south']['id']}").status_code == 404
    assert me.get("/agreements", params={"customer_id": south}).status_code == 404
    assert [v["customer_id"] for v in ok(me.get("/accruals/preview", params={"period": PERIOD}))["items"]] == [east]
    assert me.get("/accruals/preview", params={"period": PERIOD, "customer_id": south}).status_code == 404
    assert me.get("/accrual-vouchers", params={"customer_id": south}).status_code == 404
    assert me.get("/diversion-cases", params={"period": PERIOD}).status_code == 403
    assert me.post("/agreements", {"customer_id": east, **terms("自己定")}).status_code == 403


def test_a_month_reopened_at_once_and_closed_again_reverses_one_round_and_accrues_the_next(world: World, scene) -> None:
    """The reversal waits for its round's accrual (which, finding the month open again, may write nothing); the
    next closing is a round of its own, left alone. No voucher of the reopened round stays live."""
    finance, admin, month = world.as_user("finance.wu"), world.as_user("admin"), "2026-08"
    ok(finance.post(f"/inventory/periods/{month}/close"))
    ok(admin.post(f"/inventory/periods/{month}/reopen", {"reason": "关错了"}))  # while its accrual may still run
    first = eventually(lambda: (r := finance.get(f"/accrual-runs/{month}").json())["reversal"] == "done" and r)
    assert (first["round"], first["status"]) == (1, "done") and first["reversed"] in (0, 2)
    ok(finance.post(f"/inventory/periods/{month}/close"))
    second = eventually(lambda: (r := finance.get(f"/accrual-runs/{month}").json())["status"] == "done" and r)
    assert (second["round"], second["vouchers"], second["reversal"]) == (2, 2, None)
    page = ok(finance.get("/accrual-vouchers", params={"period": month}))
    reversed_ = [(1, "reversal"), (1, "reversal"), (1, "reversed"), (1, "reversed")] if first["reversed"] else []
    assert sorted((v["round"], v["status"]) for v in page["items"]) == [*reversed_, (2, "pending"), (2, "pending")]
    assert Decimal(page["total_net"]) == 0  # nothing sold in August: every voucher is 0.00
