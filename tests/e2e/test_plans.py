"""Order plans (订货计划) end to end: HTTP into the local runtime, real handlers, emulated DynamoDB and S3.

Plans are set and read over HTTP; template imports go the whole real path (presigned PUT, S3 event,
import function, error report through its link); the plan vs actual report counts orders made over
HTTP and approved in the approvers' inboxes (a real approval run).
"""

import csv
import io
import time
import uuid
from datetime import UTC, datetime

import openpyxl
import requests
from crm.db import keys
from crm.db.models import AuditItem, CustomerItem, ProductItem

from tests.e2e.conftest import Client, World, terminal
from tests.e2e.test_approvals import decide_every_step
from tests.e2e.uploads import SIGV4, is_sigv4, sent

MONTH = "2026-03"


def problem(r: requests.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    return r.json()


def product(world: World, price: str = "2.50") -> str:
    sku = f"P-{uuid.uuid4().hex[:8].upper()}"
    body = {"sku": sku, "name": f"计划品{sku[-4:]}", "spec": "10mg*24", "base_unit": "盒", "case_size": 40}
    assert world.as_user("admin").post("/products", body).status_code == 201
    r = world.as_user("finance.wu").put(
        f"/products/{sku}/prices",
        {"items": [{"customer_type": "terminal", "level": None, "unit_price": price}]},
        headers={"If-Match": '"0"'},
    )
    assert r.status_code == 200, r.text
    return sku


def customer(client: Client) -> dict:
    r = client.post("/customers", terminal(f"计划药店{uuid.uuid4().hex[:6]}"))
    assert r.status_code == 201, r.text
    return r.json()


def put_plan(client: Client, unit: str, lines: list[dict], version: str = '"0"', month: str = MONTH):
    return client.put(f"/plans/{unit}/{month}", {"lines": lines}, headers={"If-Match": version})


# ------------------------------------------------------------------ plans over the API


def test_dept_head_sets_the_plan_of_their_department_with_etags_and_audit(world: World):
    head = world.as_user("eastrx.head")
    a, b = product(world), product(world)
    c = customer(world.as_user("rep.zhang"))

    empty = head.get(f"/plans/EAST-RX/{MONTH}")
    assert empty.status_code == 200 and empty.headers["ETag"] == '"0"' and empty.json()["lines"] == []
    problem(head.put(f"/plans/EAST-RX/{MONTH}", {"lines": []}), 428)

    r = put_plan(head, "EAST-RX", [{"sku": a, "quantity": 100}, {"sku": b, "customer_id": c["id"], "quantity": 40}])
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"1"' and r.json()["total_quantity"] == 140
    plan = head.get(f"/plans/EAST-RX/{MONTH}").json()
    assert {(x["sku"], x["customer_id"], x["quantity"]) for x in plan["lines"]} == {(a, None, 100), (b, c["id"], 40)}
    assert plan["org_unit_name"] == "华东处方药部" and plan["updated_by"] == "u-eastrx-head"

    problem(put_plan(head, "EAST-RX", [{"sku": a, "quantity": 1}], '"0"'), 412)  # someone else's stale copy
    r = put_plan(head, "EAST-RX", [{"sku": a, "quantity": 120}], '"1"')
    assert r.status_code == 200 and r.headers["ETag"] == '"2"'

    audit = list(AuditItem.query(keys.plan_history_pk(world.tenant_id, MONTH, "EAST-RX")))
    assert [x.action for x in audit] == ["replace", "replace"] and audit[-1].actor_id == "u-eastrx-head"
    assert audit[-1].changes.as_dict()[f"{a}/-"] == {"before": 100, "after": 120}

    # the branch head sees it in the month's list; the other branch does not
    listed = world.as_user("east.head").get("/plans", params={"month": MONTH}).json()["items"]
    assert [(p["org_unit_id"], p["total_quantity"], p["version"]) for p in listed] == [("EAST-RX", 120, 2)]
    assert world.as_user("south.head").get("/plans", params={"month": MONTH}).json()["items"] == []


def test_scope_roles_and_bad_lines(world: World):
    head, zhang = world.as_user("eastrx.head"), world.as_user("rep.zhang")
    a = product(world)
    inactive = product(world)
    world.as_user("admin").patch(f"/products/{inactive}", {"status": "inactive"}, headers={"If-Match": '"1"'})
    otc_customer = customer(world.as_user("rep.chen"))

    # a rep reads their own unit's plan but may not write it (403 before anything is read)
    assert zhang.get(f"/plans/EAST-RX/{MONTH}").status_code == 200
    problem(put_plan(zhang, "EAST-RX", [{"sku": a, "quantity": 1}]), 403)
    problem(zhang.get(f"/plans/EAST-OTC/{MONTH}"), 404)
    problem(world.as_user("d001").get(f"/plans/EAST/{MONTH}"), 403)
    # another branch's unit, or a unit above yours, does not exist for you
    problem(put_plan(head, "SOUTH-RX", [{"sku": a, "quantity": 1}]), 404)
    problem(head.get(f"/plans/EAST/{MONTH}"), 404)
    problem(world.as_user("south.head").get(f"/plans/EAST-RX/{MONTH}"), 404)
    problem(put_plan(head, "NOWHERE", [{"sku": a, "quantity": 1}]), 404)

    body = problem(
        put_plan(
            head,
            "EAST-RX",
            [
                {"sku": a, "quantity": 5},
                {"sku": "NO-SUCH-SKU", "quantity": 1},
                {"sku": inactive, "quantity": 1},
                {"sku": a, "customer_id": otc_customer["id"], "quantity": 2},
                {"sku": a, "quantity": 7},
            ],
        ),
        422,
    )
    assert {(e["field"], e["message"].split()[0]) for e in body["errors"]} == {
        ("lines.1.sku", "no"),
        ("lines.2.sku", "no"),
        ("lines.3.customer_id", "no"),
        ("lines.4", "sku"),
    }
    body = problem(put_plan(head, "EAST-RX", [{"sku": a, "quantity": -1}, {"sku": a, "quantity": 1.5}]), 422)
    assert {e["field"] for e in body["errors"]} == {"lines.0.quantity", "lines.1.quantity"}
    problem(head.put("/plans/EAST-RX/2026-13", {"lines": []}, headers={"If-Match": '"0"'}), 422)
    assert head.get(f"/plans/EAST-RX/{MONTH}").headers["ETag"] == '"0"'  # nothing was written


# ------------------------------------------------------------------ template imports


def upload(client: Client, unit: str, data: bytes, file_name: str = "plan.xlsx") -> dict:
    ticket = client.post("/plan-imports", {"org_unit_id": unit, "month": MONTH, "file_name": file_name})
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["key"].startswith("imports/plans/") and ticket.json()["fields"]["x-amz-algorithm"] == SIGV4
    sent(ticket.json(), data)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        r = client.get(f"/plan-imports/{ticket.json()['import_id']}")
        if r.status_code == 200 and r.json()["status"] not in ("awaiting_upload", "processing"):
            return r.json()
        time.sleep(0.2)
    raise AssertionError("plan import did not finish")


def filled_template(client: Client, rows: list[list]) -> bytes:
    """The template as the API hands it out, filled in the way a planner would, with openpyxl."""
    r = client.get("/plans/template.xlsx")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ["商品编码/SKU", "客户编码(optional)", "数量"]
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_template_import_replaces_the_lines_and_a_bad_row_changes_nothing(world: World):
    head = world.as_user("eastrx.head")
    a, b = product(world), product(world)
    c = customer(world.as_user("rep.zhang"))
    assert put_plan(head, "EAST-RX", [{"sku": a, "quantity": 1}]).status_code == 200

    done = upload(head, "EAST-RX", filled_template(head, [[a, None, 300], [b, c["id"], 25.0], [b, None, 0]]))
    assert done["status"] == "completed", done
    assert (done["rows"], done["rejected"], done["plan_version"], done["error_report"]) == (3, 0, 2, None)
    plan = head.get(f"/plans/EAST-RX/{MONTH}")
    assert plan.headers["ETag"] == '"2"'
    assert {(x["sku"], x["customer_id"], x["quantity"]) for x in plan.json()["lines"]} == {
        (a, None, 300),
        (b, c["id"], 25),
        (b, None, 0),
    }
    audit = list(AuditItem.query(keys.plan_history_pk(world.tenant_id, MONTH, "EAST-RX")))
    assert audit[-1].action == "import" and audit[-1].reason == f"plan import {done['id']}"

    bad = upload(
        head,
        "EAST-RX",
        filled_template(
            head, [[a, None, 10], ["NO-SUCH", None, 5], [b, None, 1.5], [a, None, 3], ["@SUM(A1)", None, 1]]
        ),
    )
    assert bad["status"] == "rejected" and bad["rejection"]["code"] == "bad rows"
    assert (bad["rows"], bad["rejected"]) == (5, 4) and is_sigv4(bad["error_report"]["csv"])
    rows = list(
        csv.reader(io.StringIO(requests.get(bad["error_report"]["csv"], timeout=30).content.decode("utf-8-sig")))
    )
    found = {(r[1], r[2]) for r in rows[1:]}
    assert {("3", "商品编码/SKU"), ("4", "数量"), ("5", "商品编码/SKU"), ("6", "商品编码/SKU")} == found
    assert any("repeats file line 2" in r[4] for r in rows[1:])
    assert any(r[3] == "'@SUM(A1)" for r in rows[1:])  # formula-looking text neutralised in the report
    xlsx = openpyxl.load_workbook(io.BytesIO(requests.get(bad["error_report"]["xlsx"], timeout=30).content))
    assert xlsx.worksheets[0].max_row == 5
    # the plan is exactly as before
    after = head.get(f"/plans/EAST-RX/{MONTH}")
    assert after.headers["ETag"] == '"2"' and after.json()["total_quantity"] == 325

    # who may import where: a rep may not; another branch's unit does not exist for this head
    problem(
        world.as_user("rep.zhang").post(
            "/plan-imports", {"org_unit_id": "EAST-RX", "month": MONTH, "file_name": "p.xlsx"}
        ),
        403,
    )
    problem(head.post("/plan-imports", {"org_unit_id": "SOUTH-RX", "month": MONTH, "file_name": "p.xlsx"}), 404)
    problem(world.as_user("south.head").get(f"/plan-imports/{done['id']}"), 404)


def test_a_file_without_the_template_header_is_rejected(world: World):
    head = world.as_user("eastrx.head")
    done = upload(head, "EAST-RX", "名称,金额\n阿莫西林,12\n".encode(), "plan.csv")
    assert done["status"] == "rejected" and done["rejection"]["code"] == "missing columns"
    assert head.get(f"/plans/EAST-RX/{MONTH}").headers["ETag"] == '"0"'


# ------------------------------------------------------------------ plan vs actual


def order(client: Client, customer_id: str, lines: list[tuple[str, int]]) -> str:
    r = client.post("/orders", {"customer_id": customer_id, "lines": [{"sku": s, "quantity": q} for s, q in lines]})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def approved(world: World, client: Client, order_id: str) -> None:
    assert client.post(f"/orders/{order_id}/submit", {}).status_code == 200
    decide_every_step(world, order_id)
    deadline = time.monotonic() + 15
    while client.get(f"/orders/{order_id}").json()["state"] != "approved":
        assert time.monotonic() < deadline, "the order was not approved"
        time.sleep(0.1)


def test_plan_vs_actual_by_product_customer_and_org_unit_with_xlsx_export(world: World):
    month = datetime.now(UTC).strftime("%Y-%m")  # orders count in the month they were created
    zhang, chen = world.as_user("rep.zhang"), world.as_user("rep.chen")
    a, b = product(world, "2.50"), product(world, "10.00")
    c1, c2 = customer(zhang), customer(chen)
    assert (
        put_plan(
            world.as_user("eastrx.head"),
            "EAST-RX",
            [{"sku": a, "customer_id": c1["id"], "quantity": 100}, {"sku": b, "quantity": 40}],
            month=month,
        ).status_code
        == 200
    )
    assert (
        put_plan(world.as_user("east.head"), "EAST-OTC", [{"sku": a, "quantity": 10}], month=month).status_code == 200
    )

    approved(world, zhang, order(zhang, c1["id"], [(a, 30), (b, 10)]))  # 75.00 + 100.00
    o2 = order(chen, c2["id"], [(a, 20)])  # 50.00, approved then processed by the ERP: still actual
    approved(world, chen, o2)
    assert (
        world.as_user("erp").post(f"/integration/orders/{o2}/processed", {"erp_order_no": "ERP-1"}).status_code == 200
    )
    order(zhang, c1["id"], [(a, 999)])  # saved, never submitted: not actual
    submitted = order(zhang, c1["id"], [(b, 999)])
    assert zhang.post(f"/orders/{submitted}/submit", {}).status_code == 200  # submitted only: not actual

    east = world.as_user("east.head")
    r = east.get("/plans/report", params={"month": month, "group_by": "product"})
    assert r.status_code == 200, r.text
    rows = {x["key"]: x for x in r.json()["rows"]}
    assert (
        rows[a]["plan_quantity"],
        rows[a]["actual_quantity"],
        rows[a]["actual_amount"],
        rows[a]["attainment_percent"],
    ) == (110, 50, "125.00", "45.5")
    assert (
        rows[b]["plan_quantity"],
        rows[b]["actual_quantity"],
        rows[b]["actual_amount"],
        rows[b]["attainment_percent"],
    ) == (40, 10, "100.00", "25.0")
    assert rows[a]["label"].startswith("计划品")
    total = r.json()["total"]
    assert (total["plan_quantity"], total["actual_quantity"], total["actual_amount"]) == (150, 60, "225.00")

    units = {
        x["key"]: x for x in east.get("/plans/report", params={"month": month, "group_by": "org_unit"}).json()["rows"]
    }
    assert (units["EAST-RX"]["plan_quantity"], units["EAST-RX"]["actual_quantity"]) == (140, 40)
    assert (units["EAST-OTC"]["attainment_percent"], units["EAST-OTC"]["label"]) == ("200.0", "华东OTC部")

    by_customer = {
        x["key"]: x for x in east.get("/plans/report", params={"month": month, "group_by": "customer"}).json()["rows"]
    }
    assert (by_customer[c1["id"]]["plan_quantity"], by_customer[c1["id"]]["actual_quantity"]) == (100, 40)
    assert by_customer[c2["id"]]["plan_quantity"] == 0 and by_customer[c2["id"]]["attainment_percent"] is None
    assert by_customer[None]["plan_quantity"] == 50 and by_customer[None]["actual_quantity"] == 0

    # scope: a department head sees their department, a rep their own customers, the other branch nothing
    rx = world.as_user("eastrx.head").get("/plans/report", params={"month": month, "group_by": "org_unit"}).json()
    assert [x["key"] for x in rx["rows"]] == ["EAST-RX"]
    mine = zhang.get("/plans/report", params={"month": month, "group_by": "customer"}).json()["rows"]
    assert [x["key"] for x in mine] == [c1["id"], None]
    south = world.as_user("south.head").get("/plans/report", params={"month": month, "group_by": "product"}).json()
    assert south["rows"] == [] and south["total"]["actual_amount"] == "0.00"
    problem(
        world.as_user("south.head").get(
            "/plans/report", params={"month": month, "group_by": "product", "org_unit_id": "EAST"}
        ),
        404,
    )
    problem(east.get("/plans/report", params={"month": month, "group_by": "brand"}), 422)

    # the same numbers as an XLSX download
    x = east.get(
        "/plans/report.xlsx",
        params={"month": month, "group_by": "product"},
        headers={"Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )
    assert x.status_code == 200 and x.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in x.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(x.content)).worksheets[0]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    header = cells.index(
        [
            "商品编码 sku",
            "商品名称 product",
            "计划数量 plan qty",
            "实际数量 actual qty",
            "实际金额 actual amount",
            "达成率% attainment",
        ]
    )
    data = {row[0]: row[2:] for row in cells[header + 1 :]}
    assert data[a] == [110, 50, 125, 45.5] and data[b] == [40, 10, 100, 25]
    assert data[None] == [150, 60, 225, 40]  # the total row (an empty key cell reads back as None)


def test_control_characters_are_refused_and_text_stored_before_never_breaks_the_xlsx_report(world: World):
    """A customer named with a control character was stored (201); once on a plan, /plans/report.xlsx was a 500 for
    every manager (openpyxl refuses such characters). The API refuses them now; what is stored already is exported
    with U+FFFD in their place, and the record stays readable."""
    zhang = world.as_user("rep.zhang")
    refused = problem(zhang.post("/customers", terminal("计划\x07药店")), 422)
    assert [e["field"] for e in refused["errors"]] == ["name"]
    sku, c = product(world), customer(zhang)
    old_name, old_product = "旧\x07药店\x00(西湖店)", "旧\x1b[31m品"  # as stored before the rule
    CustomerItem.get(keys.customer_pk(world.tenant_id, c["id"]), keys.META).update(
        actions=[CustomerItem.name.set(old_name)]
    )
    ProductItem.get(keys.products_pk(world.tenant_id), keys.product_sk(sku)).update(
        actions=[ProductItem.name.set(old_product)]
    )
    got = zhang.get(f"/customers/{c['id']}")
    assert got.status_code == 200 and got.json()["name"] == old_name
    edited = zhang.patch(
        f"/customers/{c['id']}", {"remarks": "其他字段仍可改"}, headers={"If-Match": got.headers["ETag"]}
    )
    assert edited.status_code == 200, edited.text
    assert (
        put_plan(
            world.as_user("eastrx.head"), "EAST-RX", [{"sku": sku, "customer_id": c["id"], "quantity": 5}]
        ).status_code
        == 200
    )

    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    for group_by, key, label in (
        ("customer", c["id"], "旧\ufffd药店\ufffd(西湖店)"),
        ("product", sku, "旧\ufffd[31m品"),
    ):
        x = world.as_user("east.head").get(
            "/plans/report.xlsx", params={"month": MONTH, "group_by": group_by}, headers={"Accept": xlsx}
        )
        assert x.status_code == 200, x.text
        sheet = openpyxl.load_workbook(io.BytesIO(x.content)).worksheets[0]
        assert {row[0].value: row[1].value for row in sheet.iter_rows()}[key] == label
