"""Channel inventory through the real path, in a tenant of its own: the inventory and flow sample files
uploaded with links from the API into the local bucket, imported by the S3-triggered function, then the
month's calculation read back over HTTP and compared with inventory truth.json for every distributor ×
product; a re-uploaded closing replaces the earlier one; closing October carries into November."""

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from localcloud.tokens import mint_token

from tests.e2e.conftest import Client, World, new_tenant
from tests.e2e.uploads import is_sigv4, send
from tests.fixtures import FLOW_SAMPLES, INVENTORY_SAMPLES

INVENTORY, FLOW = INVENTORY_SAMPLES, FLOW_SAMPLES
TRUTH: dict[str, dict[str, dict[str, float]]] = json.loads((INVENTORY / "truth.json").read_text())
FLOW_FILES = {
    "D001": "flow/D001/2026-10/流向_D001_2026-10.csv",
    "D002": "flow/D002/2026-10/流向_D002_2026-10.csv",
    "D003": "flow/D003/2026-10/流向_D003_2026-10.xlsx",
}
CLOSING = {
    "D001": "closing/库存_D001_2026-10.csv",
    "D002": "closing/库存_D002_2026-10.xlsx",
    "D003": "closing/库存_D003_2026-10.csv",
}


def upload(
    client: Client,
    kind: str,
    path: Path,
    distributor_id: str | None,
    period: str = "2026-10",
    data: bytes | None = None,
) -> dict[str, Any]:
    body = {"kind": kind, "period": period, "file_name": path.name}
    if distributor_id:
        body["distributor_id"] = distributor_id
    ticket = client.post("/flow-uploads", body)
    assert ticket.status_code == 201, ticket.text
    put = send(ticket.json(), data if data is not None else path.read_bytes())
    assert put.status_code == 204, put.text
    end = time.monotonic() + 60
    while time.monotonic() < end:
        load = client.get(f"/flow-loads/{ticket.json()['load_id']}").json()
        if load["status"] not in ("received", "processing", 404):  # 404: the S3 event has not made it yet
            return load
        time.sleep(0.3)
    raise AssertionError("the load did not finish")


@pytest.fixture(scope="module")
def world(cloud: Any) -> World:
    return World(new_tenant(cloud), cloud.api_url, mint_token)


@pytest.fixture(scope="module")
def ids(world: World) -> dict[str, str]:
    """The sample's products and distributors (by their ERP codes) in a fresh tenant; returns code → id."""
    admin = world.as_user("admin")
    with (FLOW / "master" / "products.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            r = admin.post("/products", {**row, "case_size": int(row["case_size"])})
            assert r.status_code == 201, r.text
    found = {}
    for code in TRUTH:
        r = admin.post(
            "/customers",
            {
                "name": f"经销商{code}医药有限公司",
                "code": code,
                "status": "active",
                "profile": {"type": "distributor", "tier": "tier1"},
            },
        )
        assert r.status_code == 201, r.text
        found[code] = r.json()["id"]
    return found


@pytest.fixture(scope="module")
def october(world: World, ids: dict[str, str]) -> dict[str, Any]:
    """Every file of the month through the upload path: flow, opening balances, our shipments, closing stock."""
    admin = world.as_user("admin")
    loads = {}
    for code, distributor_id in ids.items():
        loads[f"flow {code}"] = upload(admin, "flow", FLOW / FLOW_FILES[code], distributor_id)
        loads[f"opening {code}"] = upload(
            admin, "opening", INVENTORY / "opening" / f"库存_{code}_2026-09.csv", distributor_id
        )
        loads[f"closing {code}"] = upload(admin, "inventory", INVENTORY / CLOSING[code], distributor_id)
    loads["shipments"] = upload(world.as_user("finance.wu"), "shipments", INVENTORY / "shipments.csv", None)
    return loads


def lines_by_code(report: dict[str, Any], ids: dict[str, str]) -> dict[tuple[str, str], dict[str, Any]]:
    code_of = {v: k for k, v in ids.items()}
    return {(code_of[line["distributor_id"]], line["sku"]): line for line in report["items"]}


def test_every_file_is_accepted(october: dict[str, Any]) -> None:
    statuses = {name: load["status"] for name, load in october.items()}
    flow_with_errors = {n for n in statuses if n.startswith("flow")}  # the flow samples hold bad rows on purpose
    assert all(statuses[n] == "accepted_with_errors" for n in flow_with_errors), statuses
    assert all(s == "accepted" for n, s in statuses.items() if n not in flow_with_errors), statuses
    assert october["closing D002"]["kind"] == "inventory" and october["shipments"]["kind"] == "shipments"


def test_the_month_reproduces_truth_for_every_distributor_and_product(world: World, ids, october) -> None:
    r = world.as_user("admin").get("/inventory", params={"period": "2026-10"})
    assert r.status_code == 200, r.text
    got = lines_by_code(r.json(), ids)
    assert set(got) == {(d, sku) for d, skus in TRUTH.items() for sku in skus}
    for (code, sku), line in got.items():
        want = TRUTH[code][sku]
        assert (
            line["opening"],
            line["inbound"],
            line["outbound"],
            line["expected_closing"],
            line["reported_closing"],
            line["variance"],
        ) == (
            want["opening"],
            want["in"],
            want["out"],
            want["expected_closing"],
            want["reported_closing"],
            want["variance"],
        ), (code, sku)
        assert ("negative_expected" in line["flags"]) == (want["expected_closing"] < 0), (code, sku)


def test_variances_list_only_flagged_lines_and_a_distributor_sees_its_own(world: World, ids, october) -> None:
    variances = world.as_user("finance.wu").get("/inventory/variances", params={"period": "2026-10"}).json()
    flagged = lines_by_code(variances, ids)
    negative = {(d, s) for d, skus in TRUTH.items() for s, w in skus.items() if w["expected_closing"] < 0}
    assert negative <= set(flagged) and all(line["flags"] for line in variances["items"])
    # a rep sees the distributors in their scope (none here); one outside it is not found
    rep = world.as_user("rep.zhang").get("/inventory", params={"period": "2026-10"})
    assert rep.status_code == 200 and rep.json()["items"] == []
    outside = world.as_user("rep.zhang").get("/inventory", params={"period": "2026-10", "distributor_id": ids["D001"]})
    assert outside.status_code == 404  # the distributors here belong to HQ, not to the rep's department
    page = world.as_user("admin").get(f"/customers/{ids['D002']}/inventory", params={"period": "2026-10"}).json()
    assert {line["distributor_id"] for line in page["items"]} == {ids["D002"]}
    p1002 = next(line for line in page["items"] if line["sku"] == "P1002")
    assert p1002["sell_through_pct"] == round(678 / (124 + 600) * 100, 1)


def test_the_variance_threshold_is_tenant_policy(world: World, ids, october) -> None:
    admin, rep = world.as_user("admin"), world.as_user("rep.zhang")

    def p1009() -> dict[str, Any]:  # reported 184 against 238 expected: 22.7 % under
        return lines_by_code(admin.get("/inventory", params={"period": "2026-10"}).json(), ids)[("D001", "P1009")]

    assert "over_threshold" in p1009()["flags"] and p1009()["variance_pct"] == -22.7  # the default: 5 %
    policy = {"variance_threshold_pct": 25, "carry_forward": "reported"}
    assert rep.put("/inventory/policy", json=policy, headers={"If-Match": '"0"'}).status_code == 403
    assert admin.put("/inventory/policy", json=policy).status_code == 428
    stored = admin.put("/inventory/policy", json=policy, headers={"If-Match": '"0"'})
    assert stored.status_code == 200, stored.text
    assert admin.put("/inventory/policy", json=policy, headers={"If-Match": '"0"'}).status_code == 412
    assert admin.get("/inventory/policy").json() == {**policy, "raw_files_kept_years": 5, "version": 1}  # its default
    assert "over_threshold" not in p1009()["flags"]


def test_export_is_a_link_to_an_xlsx_with_every_line(world: World, ids, october) -> None:
    import openpyxl

    link = world.as_user("admin").get("/inventory/export", params={"period": "2026-10"})
    assert link.status_code == 200, link.text
    lines = sum(len(skus) for skus in TRUTH.values())
    assert link.json()["file_name"] == "inventory-2026-10.xlsx" and link.json()["lines"] == lines
    assert is_sigv4(link.json()["url"])
    download = requests.get(link.json()["url"], timeout=30)
    assert download.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(download.content)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2 + lines
    assert {(row[0], row[1]) for row in rows[2:]} == {(ids[d], sku) for d, skus in TRUTH.items() for sku in skus}


def test_the_month_comes_in_pages(world: World, ids, october) -> None:
    admin = world.as_user("admin")
    seen, cursor, pages = [], None, 0
    while True:
        r = admin.get("/inventory", params={"period": "2026-10", "limit": 7, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        assert len(r.json()["items"]) <= 7
        seen += [(line["distributor_id"], line["sku"]) for line in r.json()["items"]]
        pages, cursor = pages + 1, r.json()["next_cursor"]
        if cursor is None:
            break
    assert pages == 5 and seen == sorted(seen) and len(set(seen)) == 30
    first = admin.get("/inventory", params={"period": "2026-10", "limit": 7}).json()["next_cursor"]
    other = admin.get("/inventory/variances", params={"period": "2026-10", "cursor": first})
    assert other.status_code == 400  # a cursor works only for the list that gave it out
    forged = admin.get("/inventory", params={"period": "2026-10", "cursor": "not-a-cursor"})
    assert forged.status_code == 400 and forged.headers["Content-Type"].startswith("application/problem+json")


def test_a_bad_closing_file_is_reported_and_the_earlier_one_kept(world: World, ids, october) -> None:
    admin = world.as_user("admin")
    bad = "商品编码,结存数量,单位\nP1001,-5,盒\nP9999,3,盒\n".encode()
    load = upload(admin, "inventory", Path("库存_D001_bad.csv"), ids["D001"], data=bad)
    assert load["status"] == "rejected" or load["summary"]["rejected"] == 2, load
    report = admin.get(f"/flow-loads/{load['id']}/errors", params={"format": "csv"}).json()
    text = requests.get(report["url"], timeout=30).content.decode("utf-8-sig")
    assert "negative stock" in text and "unknown product" in text
    garbage = upload(admin, "inventory", Path("库存_D001.xlsx"), ids["D001"], data=b"PK\x03\x04 not really a zip")
    assert garbage["status"] == "rejected"
    line = lines_by_code(admin.get("/inventory", params={"period": "2026-10"}).json(), ids)[("D001", "P1001")]
    assert line["reported_closing"] == TRUTH["D001"]["P1001"]["reported_closing"]


def test_an_adjustment_counts_once_approved(world: World, ids, october) -> None:
    from tests.e2e.test_approvals import decide_every_step, eventually

    finance, admin = world.as_user("finance.wu"), world.as_user("admin")
    body = {
        "period": "2026-10",
        "distributor_id": ids["D002"],
        "sku": "P1005",
        "quantity": 8,
        "reason": "盘点差异: 8 盒 found in a second warehouse",
    }
    assert finance.post("/inventory/adjustments", {**body, "reason": ""}).status_code == 422  # a reason is required
    asked = finance.post("/inventory/adjustments", body)
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "pending" and asked.json()["approval_id"]

    def p1005() -> dict[str, Any]:
        return lines_by_code(admin.get("/inventory", params={"period": "2026-10"}).json(), ids)[("D002", "P1005")]

    assert p1005()["adjustments"] == 0  # pending does not count
    decide_every_step(world, asked.json()["id"])

    def listed() -> list[tuple[str, str]]:  # the run's end reaches the adjustment a moment after the last decision
        return [
            (a["id"], a["status"])
            for a in admin.get("/inventory/adjustments", params={"period": "2026-10"}).json()["items"]
        ]

    assert eventually(lambda: listed() == [(asked.json()["id"], "approved")]), listed()
    line = p1005()
    want = TRUTH["D002"]["P1005"]
    assert (line["adjustments"], line["expected_closing"], line["variance"]) == (
        8,
        want["expected_closing"] + 8,
        want["variance"] - 8,
    )


def test_re_uploaded_closing_replaces_the_earlier_and_october_carries_into_november(world: World, ids, october) -> None:
    admin = world.as_user("admin")
    restated = (INVENTORY / CLOSING["D003"]).read_text(encoding="utf-8-sig").replace(",140,盒", ",150,盒")
    load = upload(admin, "inventory", INVENTORY / CLOSING["D003"], ids["D003"], data=restated.encode("utf-8"))
    assert load["status"] == "accepted"
    assert october["closing D003"]["id"] != load["id"]
    earlier = admin.get(f"/flow-loads/{october['closing D003']['id']}").json()
    assert earlier["status"] == "superseded" and earlier["superseded_by"] == load["id"]
    line = lines_by_code(admin.get("/inventory", params={"period": "2026-10"}).json(), ids)[("D003", "P1001")]
    assert (line["reported_closing"], line["variance"]) == (150, 150 - TRUTH["D003"]["P1001"]["expected_closing"])

    closed = world.as_user("finance.wu").post("/inventory/periods/2026-10/close")
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["carried"] == "reported"
    november = admin.get("/inventory", params={"period": "2026-11"}).json()
    carried = lines_by_code(november, ids)
    for code, skus in TRUTH.items():
        for sku, want in skus.items():
            reported = 150 if (code, sku) == ("D003", "P1001") else want["reported_closing"]
            # a product it holds none of carries no line (none is 0)
            assert carried.get((code, sku), {"opening": 0})["opening"] == reported, (code, sku)
    assert any(want["reported_closing"] == 0 for skus in TRUTH.values() for want in skus.values())
    # October is frozen: new files and adjustments are refused, its figures stay
    refused = admin.post(
        "/flow-uploads", {"kind": "inventory", "period": "2026-10", "file_name": "x.csv", "distributor_id": ids["D001"]}
    )
    assert refused.status_code == 409 and "closed" in refused.json()["detail"]
    frozen = admin.get("/inventory", params={"period": "2026-10"}).json()
    assert frozen["source"] == "frozen" and len(frozen["items"]) == 30
    # reopening is for HQ admin only, and audited with its reason
    assert (
        world.as_user("finance.wu").post("/inventory/periods/2026-10/reopen", {"reason": "late file"}).status_code
        == 403
    )
    reopened = admin.post("/inventory/periods/2026-10/reopen", {"reason": "late file from D001"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"
    periods = admin.get("/inventory/periods")  # the reopening's audit entry is no period
    assert periods.status_code == 200, periods.text
    assert [(p["period"], p["status"]) for p in periods.json()["items"]] == [("2026-10", "open")]
