"""Exports of a list through HTTP on the local runtime: the job runs in ExportWorkerFunction, the file lands in the
analytics bucket, and the test downloads it through the presigned link and opens it (openpyxl, csv)."""

import csv
import io
import time
import uuid
from typing import Any

import openpyxl
import requests
from crm import audit
from crm.db import keys
from crm.db.models import UserItem

from tests.e2e.conftest import Client, World, terminal
from tests.e2e.test_orders import order_body, setup
from tests.e2e.test_visits import today


def finished(client: Client, export_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/exports/{export_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"export {export_id} did not finish: {job}")


def export(client: Client, list_name: str, filters: dict[str, Any] | None = None, fmt: str = "xlsx") -> dict[str, Any]:
    r = client.post("/exports", {"list": list_name, "filters": filters or {}, "format": fmt})
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == f"/exports/{r.json()['id']}"
    assert r.json()["status"] == "queued"
    job = finished(client, r.json()["id"])
    assert job["status"] == "done", job
    return job


def sheet_rows(job: dict[str, Any]) -> list[list[Any]]:
    download = requests.get(job["download_url"], timeout=30)
    assert download.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(download.content), read_only=True)
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def csv_rows(job: dict[str, Any]) -> list[list[str]]:
    raw = requests.get(job["download_url"], timeout=30).content
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads the Chinese as UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def listed(client: Client, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every item the list route gives, following next_cursor."""
    items, cursor = [], None
    while True:
        page = client.get(path, params={**(params or {}), "limit": 200, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        if not (cursor := page.json()["next_cursor"]):
            return items


def customers(client: Client, count: int, **fields: Any) -> list[dict[str, Any]]:
    made = []
    for _ in range(count):
        r = client.post("/customers", terminal(f"导出药店{uuid.uuid4().hex[:6]}", **fields))
        assert r.status_code == 201, r.text
        made.append(r.json())
    return made


def problem(r: requests.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    return r.json()


def test_hq_admin_exports_filtered_customers_to_xlsx_as_the_list_shows_them(world: World):
    zhang, liu, admin = (world.as_user(u) for u in ("rep.zhang", "rep.liu", "admin"))
    customers(zhang, 3, region={"province": "浙江", "city": "杭州"}, level="A")
    customers(liu, 2, region={"province": "浙江", "city": "杭州"}, level="B")
    customers(liu, 2, region={"province": "江苏", "city": "苏州"}, level="A")
    formula = customers(zhang, 1, region={"city": "杭州"}, level="A", remarks="x", address="=HYPERLINK(1)")[0]

    job = export(admin, "customers", {"city": "杭州", "level": "A"})
    rows = sheet_rows(job)
    expected = listed(admin, "/customers", {"city": "杭州", "level": "A"})
    assert len(expected) == 4 and job["rows"] == 4
    header, body = rows[0], rows[1:]
    assert header[:5] == ["客户编号", "客户名称", "类型", "状态", "等级"]
    assert [r[0] for r in body] == [c["id"] for c in expected]  # the same rows, in the list's order
    assert [r[1] for r in body] == [c["name"] for c in expected]
    assert {r[4] for r in body} == {"A"} and {r[header.index("市")] for r in body} == {"杭州"}
    address = next(r[header.index("地址")] for r in body if r[0] == formula["id"])
    assert address == "'=HYPERLINK(1)"  # inert text, not a formula
    created = body[0][header.index("创建时间")]
    assert isinstance(created, str) and created.startswith("20") and "T" in created  # ISO text
    assert job["file_name"].startswith("客户_") and job["file_name"].endswith(".xlsx")
    assert job["filters"] == {"city": "杭州", "level": "A"} and job["expires_in"] > 0
    trail = {e.action: e for e in audit.history(keys.exports_pk(world.tenant_id, "u-admin"), 10, None).items}
    assert trail["export.requested"].actor_id == "u-admin"  # who exported what, when, how many rows
    assert trail["export.requested"].changes["filters"]["after"] == {"city": "杭州", "level": "A"}
    assert trail["export.completed"].changes["rows"]["after"] == 4


def test_a_reps_csv_holds_only_their_own_customers(world: World):
    zhang, liu = world.as_user("rep.zhang"), world.as_user("rep.liu")
    own = customers(zhang, 3, region={"city": "杭州"})
    others = customers(liu, 2, region={"city": "杭州"})

    job = export(zhang, "customers", {}, "csv")
    rows = csv_rows(job)
    assert rows[0][:2] == ["客户编号", "客户名称"]
    ids = [r[0] for r in rows[1:]]
    assert sorted(ids) == sorted(c["id"] for c in own) == sorted(c["id"] for c in listed(zhang, "/customers"))
    assert not set(ids) & {c["id"] for c in others}
    assert {r[1] for r in rows[1:]} == {c["name"] for c in own}  # Chinese read back intact
    assert job["file_name"].endswith(".csv")


def test_bad_filters_are_422_naming_the_filter(world: World):
    admin = world.as_user("admin")
    p = problem(admin.post("/exports", {"list": "customers", "filters": {"level": "Z"}}), 422)
    assert p["errors"][0]["field"] == "filters.level"
    p = problem(admin.post("/exports", {"list": "customers", "filters": {"colour": "red"}}), 422)
    assert p["errors"][0]["field"] == "filters.colour"
    p = problem(admin.post("/exports", {"list": "orders", "filters": {"month": "2026-13"}}), 422)
    assert p["errors"][0]["field"] == "filters.month"
    p = problem(admin.post("/exports", {"list": "customers", "filters": {"org_unit_id": "NOPE"}}), 422)
    assert p["errors"][0]["field"] == "filters.org_unit_id"  # what the list route refuses, refused up front
    p = problem(admin.post("/exports", {"list": "customers", "filters": {"limit": 5}}), 422)
    assert p["errors"][0]["field"] == "filters.limit"  # an export takes every page
    p = problem(admin.post("/exports", {"list": "visits", "filters": {"on": "2026-02-30"}}), 422)
    assert p["errors"][0]["field"] == "filters.on"
    problem(admin.post("/exports", {"list": "contacts"}), 422)
    problem(admin.post("/exports", {"list": "customers", "filters": ["city"]}), 422)
    problem(admin.post("/exports", {"list": "customers", "format": "pdf"}), 422)
    assert listed(admin, "/exports") == []  # nothing was queued


def test_someone_elses_export_is_404_and_lists_are_ones_own(world: World):
    zhang, liu = world.as_user("rep.zhang"), world.as_user("rep.liu")
    customers(zhang, 1)
    job = export(zhang, "customers")
    problem(liu.get(f"/exports/{job['id']}"), 404)
    problem(world.as_user("admin").get(f"/exports/{job['id']}"), 404)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = zhang.post("/exports", {"list": "customers", "format": "csv"}, headers=key)
    again = zhang.post("/exports", {"list": "customers", "format": "csv"}, headers=key)
    assert first.status_code == again.status_code == 202 and first.json()["id"] == again.json()["id"]
    assert finished(zhang, first.json()["id"])["status"] == "done"
    assert [j["id"] for j in listed(zhang, "/exports")] == [first.json()["id"], job["id"]]  # newest first
    assert listed(liu, "/exports") == []


def test_a_distributor_is_refused_lists_it_may_not_read_and_scoped_in_the_rest(world: World):
    zhang = world.as_user("rep.zhang")
    r = zhang.post(
        "/customers", {"name": f"一级商{uuid.uuid4().hex[:6]}", "profile": {"type": "distributor", "tier": "tier1"}}
    )
    assert r.status_code == 201, r.text
    dist = r.json()
    customers(zhang, 2)
    d = world.as_new_user("u-dist-x", "EAST", ["distributor"], distributor_id=dist["id"])
    problem(d.post("/exports", {"list": "visits"}), 403)  # a distributor reads no visit list
    rows = sheet_rows(export(d, "customers"))
    assert [r[0] for r in rows[1:]] == [dist["id"]] == [c["id"] for c in listed(d, "/customers")]


def test_a_deactivated_user_exports_nothing(world: World):
    zhang = world.as_user("rep.zhang")
    customers(zhang, 1)
    user = UserItem.get(keys.org_pk(world.tenant_id), "USER#u-rep-zhang")
    user.update(actions=[UserItem.active.set(False)])  # the token still carries the rep's roles
    problem(zhang.post("/exports", {"list": "customers", "format": "csv"}), 401)  # refused before any job exists


def test_a_role_taken_away_in_the_directory_no_longer_exports(world: World):
    head = world.as_user("eastrx.head")
    customers(world.as_user("rep.zhang"), 1)
    user = UserItem.get(keys.org_pk(world.tenant_id), "USER#u-eastrx-head")
    user.update(actions=[UserItem.roles.set({"finance"})])  # the token still says dept_head
    r = head.post("/exports", {"list": "visits"})
    assert r.status_code == 202, r.text
    job = finished(head, r.json()["id"])
    assert job["status"] == "failed" and "may not" in job["error"], job


def test_every_other_list_exports_what_its_route_lists(world: World):
    zhang, c, a, b = setup(world)
    order = zhang.post("/orders", order_body(c, a, b))
    assert order.status_code == 201, order.text
    rows = sheet_rows(export(zhang, "orders", {"customer_id": c["id"]}))
    assert [r[0] for r in rows[1:]] == [o["id"] for o in listed(zhang, "/orders", {"customer_id": c["id"]})]
    assert rows[1][rows[0].index("金额")] == order.json()["total"]  # a decimal as text, not a rounded float

    visit = zhang.post("/visits", {"customer_id": c["id"], "planned_on": today()})
    assert visit.status_code == 201, visit.text
    rows = sheet_rows(export(zhang, "visits", {"rep_id": "u-rep-zhang", "on": visit.json()["day"]}))
    assert [r[0] for r in rows[1:]] == [visit.json()["id"]]

    asked = zhang.post(
        f"/customers/{c['id']}/level-requests", {"level": "A", "reason": "量翻倍", "effective_from": "2026-11-01"}
    )
    assert asked.status_code == 202, asked.text
    head = world.as_user("eastrx.head")
    deadline = time.monotonic() + 30
    while not listed(head, "/approvals/inbox") and time.monotonic() < deadline:
        time.sleep(0.2)
    rows = csv_rows(export(head, "approvals", {}, "csv"))
    assert [r[0] for r in rows[1:]] == [i["approval_id"] for i in listed(head, "/approvals/inbox")]
    assert len(rows) == 2

    admin = world.as_user("admin")
    rows = sheet_rows(export(admin, "flow-loads", {"kind": "flow"}))
    assert rows[0][0] == "导入编号"
    assert [r[0] for r in rows[1:]] == [x["id"] for x in listed(admin, "/flow-loads", {"kind": "flow"})]
