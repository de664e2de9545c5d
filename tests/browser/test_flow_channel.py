"""Distributor files and the channel in the console, as office staff use them (issue 17's done-when scenarios
for the review queue and the inventory export among them).

The files go through the real path for the fixture's fresh tenant: an upload form from POST /flow-uploads, the
file posted into the local bucket, the S3-triggered import; then everything else happens in the browser.
"""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path
from typing import Any

import openpyxl
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Client
from tests.e2e.uploads import finished_load, sent, upload_flow
from tests.fixtures import FLOW_SAMPLES, INVENTORY_SAMPLES

from .conftest import Console

FLOW_HEADER = "销售日期,商品编码,商品名称,规格,批号,数量,单位,客户名称,客户地址\n"


def _distributor(admin: Client, name: str, code: str) -> str:
    r = admin.post(
        "/customers",
        json={"name": name, "code": code, "status": "active", "profile": {"type": "distributor", "tier": "tier1"}},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _terminal(admin: Client, name: str, province: str, city: str) -> str:
    r = admin.post(
        "/customers",
        json={
            "name": name,
            "profile": {"type": "terminal", "kind": "pharmacy"},
            "region": {"province": province, "city": city},
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _shown_rate(console: Console, page: Page, load_id: str) -> float:
    """The match rate the load page shows, as a number (e.g. 33.3 for "33.3%")."""
    console.open(page, f"/flow/loads/{load_id}")
    text = page.get_by_test_id("match-rate").inner_text()
    assert text.endswith("%"), text
    return float(text.rstrip("%"))


def test_an_office_user_confirms_a_review_name_and_the_loads_match_rate_goes_up(console: Console) -> None:
    admin = console.world.as_user("admin")
    r = admin.post(
        "/products",
        json={"sku": "P1001", "name": "阿莫西林胶囊", "spec": "0.25g*24粒", "base_unit": "盒", "case_size": 60},
    )
    assert r.status_code == 201, r.text
    distributor = _distributor(admin, "南京康宁医药有限公司", "KN")
    _terminal(admin, "鼓楼同济药店", "江苏", "南京")
    _terminal(admin, "仁和大药房一店", "江苏", "南京")
    _terminal(admin, "仁和大药房二店", "浙江", "杭州")
    # One buyer known by its name, one a look-alike of two shops (a person must say which), one nobody knows.
    rows = [
        "2026-10-03,P1001,阿莫西林胶囊,0.25g*24粒,B1,2,盒,鼓楼同济药店,",
        "2026-10-05,P1001,阿莫西林胶囊,0.25g*24粒,B1,3,盒,南京仁和大药房三店,南京市鼓楼区中山路1号",
        "2026-10-07,P1001,阿莫西林胶囊,0.25g*24粒,B1,1,盒,城西新开诊所,",
    ]
    load = upload_flow(
        admin, distributor, "2026-10", (FLOW_HEADER + "\n".join(rows) + "\n").encode(), file_name="流向_KN_2026-10.csv"
    )
    assert load["status"] == "accepted", load

    page = console.page_as("admin")
    console.open(page, "/flow/loads")
    expect(page.get_by_role("link", name="流向_KN_2026-10.csv")).to_be_visible()
    console.shot(page, "loads")

    page.get_by_role("link", name="流向_KN_2026-10.csv").click()
    page.wait_for_url(re.compile(rf"/console/flow/loads/{load['id']}$"))
    expect(page.get_by_test_id("match-rate")).to_have_text("33.3%")
    before = float(page.get_by_test_id("match-rate").inner_text().rstrip("%"))
    console.shot(page, "load-before")

    page.get_by_role("button", name="查看待确认名称").click()
    review = page.get_by_test_id("review").filter(has_text="南京仁和大药房三店")
    expect(review).to_be_visible()
    candidate = review.get_by_role("row").filter(has_text="仁和大药房一店")
    expect(candidate).to_contain_text("同城")  # the Nanjing shop is marked as being in the buyer's city
    console.shot(page, "review-queue")
    candidate.get_by_role("button", name=re.compile("确认为此客户")).click()
    expect(page.get_by_text("已确认：仁和大药房一店")).to_be_visible()
    expect(review).to_have_count(0)  # the decided name left the queue
    expect(page.get_by_test_id("review").filter(has_text="城西新开诊所")).to_be_visible()
    console.shot(page, "review-decided")

    # The rows are re-attributed in the background; the load page shows the higher rate once that is done.
    end = time.monotonic() + 60
    while (after := _shown_rate(console, page, load["id"])) <= before:
        assert time.monotonic() < end, "the load page never showed a higher match rate"
        time.sleep(0.5)
    assert after > before and page.get_by_test_id("match-rate").inner_text() == "66.7%"
    console.shot(page, "load-after")


def _upload(client: Client, kind: str, path: Path, distributor_id: str | None) -> dict[str, Any]:
    """A sample file of October through its upload form (our shipments name no distributor); the finished load."""
    body = {"kind": kind, "period": "2026-10", "file_name": path.name}
    if distributor_id:
        body["distributor_id"] = distributor_id
    r = client.post("/flow-uploads", json=body)
    assert r.status_code == 201, r.text
    sent(r.json(), path.read_bytes())
    return finished_load(client, r.json()["load_id"])


def test_the_inventory_month_shows_a_variance_and_its_export_downloads(console: Console) -> None:
    admin = console.world.as_user("admin")
    with (FLOW_SAMPLES / "master" / "products.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            r = admin.post("/products", json={**row, "case_size": int(row["case_size"])})
            assert r.status_code == 201, r.text
    ids = {code: _distributor(admin, f"经销商{code}医药有限公司", code) for code in ("D001", "D002", "D003")}
    # D001's month through the upload path: its flow, opening and closing stock, and our shipments.
    d001 = ids["D001"]
    assert _upload(admin, "flow", FLOW_SAMPLES / "flow/D001/2026-10/流向_D001_2026-10.csv", d001)["status"].startswith(
        "accepted"
    )
    assert _upload(admin, "opening", INVENTORY_SAMPLES / "opening/库存_D001_2026-09.csv", d001)["status"] == "accepted"
    assert (
        _upload(admin, "inventory", INVENTORY_SAMPLES / "closing/库存_D001_2026-10.csv", d001)["status"] == "accepted"
    )
    shipments = _upload(console.world.as_user("finance.wu"), "shipments", INVENTORY_SAMPLES / "shipments.csv", None)
    assert shipments["status"] == "accepted", shipments

    page = console.page_as("finance.wu")
    console.open(page, f"/channel/inventory?period=2026-10&distributor_id={d001}")
    # D001 reported 184 of P1009 where 187 + 600 in − 549 out = 238 were expected: a variance of −54.
    line = page.get_by_role("row").filter(has_text="P1009")
    expect(line).to_contain_text("238")
    expect(line).to_contain_text("184")
    expect(line).to_contain_text("-54")
    expect(line).to_contain_text("差异超阈值")
    console.shot(page, "inventory")

    page.get_by_role("switch", name="只看差异").click()
    expect(page.get_by_role("row").filter(has_text="P1009")).to_contain_text("-54")
    expect(page.get_by_role("row").filter(has_text="P1001")).to_have_count(0)  # no flag on P1001: not listed
    console.shot(page, "variances-only")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="导出 Excel").click()
    download = download_info.value
    assert download.suggested_filename == "inventory-2026-10.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows[1]
    exported = {r[1]: dict(zip(header, r, strict=True)) for r in rows[2:] if r[0] == d001}
    assert exported["P1009"]["差异 variance"] == -54 and exported["P1009"]["上报期末 reported closing"] == 184
    console.shot(page, "exported")

    # Finance raises the threshold past P1009's 22.7 % and keeps distributors' files 7 years (the channel policy).
    page.get_by_role("button", name="渠道政策").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("经销商文件保存年限")).to_have_value("5")
    dialog.get_by_label("差异预警阈值").fill("25")
    dialog.get_by_label("经销商文件保存年限").fill("7")
    console.shot(page, "channel-policy")
    dialog.get_by_role("button", name=re.compile("确\\s*定|OK")).click()
    expect(page.get_by_text("渠道政策已保存")).to_be_visible()
    stored = console.world.as_user("finance.wu").get("/inventory/policy").json()
    assert (stored["variance_threshold_pct"], stored["raw_files_kept_years"], stored["version"]) == (25, 7, 1)
    console.open(page, f"/channel/inventory?period=2026-10&distributor_id={d001}")
    line = page.get_by_role("row").filter(has_text="P1009")
    expect(line).to_contain_text("-54")
    expect(line).not_to_contain_text("差异超阈值")


def test_a_confirmed_spelling_becomes_the_customers_alias_unless_another_customer_holds_it(console: Console) -> None:
    admin = console.world.as_user("admin")
    r = admin.post(
        "/products",
        json={"sku": "P1001", "name": "阿莫西林胶囊", "spec": "0.25g*24粒", "base_unit": "盒", "case_size": 60},
    )
    assert r.status_code == 201, r.text
    distributor = _distributor(admin, "南京康宁医药有限公司", "KN")
    nanjing = _terminal(admin, "仁和大药房一店", "江苏", "南京")
    _terminal(admin, "仁和大药房二店", "浙江", "杭州")
    rows = [
        "2026-10-05,P1001,阿莫西林胶囊,0.25g*24粒,B1,3,盒,南京仁和大药房三店,南京市鼓楼区中山路1号",
        "2026-10-06,P1001,阿莫西林胶囊,0.25g*24粒,B1,2,盒,杭州仁和大药房五店,杭州市西湖区文三路8号",
    ]
    load = upload_flow(admin, distributor, "2026-10", (FLOW_HEADER + "\n".join(rows) + "\n").encode())
    assert load["summary"]["review_names"] == 2, load
    # Meanwhile a colleague gives the second spelling to another customer as its alias.
    other = admin.post(
        "/customers", json={**_terminal_body("西湖区文三路药店", "浙江", "杭州"), "aliases": ["杭州仁和大药房五店"]}
    )
    assert other.status_code == 201, other.text

    page = console.page_as("admin")
    console.open(page, f"/flow/reviews?distributor_id={distributor}")
    first = page.get_by_test_id("review").filter(has_text="南京仁和大药房三店")
    first.get_by_role("checkbox", name="同时将此写法加为该客户的别名（对所有经销商生效）").check()
    first.get_by_role("row").filter(has_text="仁和大药房一店").get_by_role(
        "button", name=re.compile("确认为此客户")
    ).click()
    expect(page.get_by_text("已加为客户别名：仁和大药房一店")).to_be_visible()
    expect(first).to_have_count(0)
    assert "南京仁和大药房三店" in admin.get(f"/customers/{nanjing}").json()["aliases"]
    console.shot(page, "alias-added")

    second = page.get_by_test_id("review").filter(has_text="杭州仁和大药房五店")
    second.get_by_role("checkbox", name="同时将此写法加为该客户的别名（对所有经销商生效）").check()
    second.get_by_role("row").filter(has_text="仁和大药房二店").get_by_role(
        "button", name=re.compile("确认为此客户")
    ).click()
    warning = page.get_by_test_id("alias-error")
    expect(warning).to_contain_text("客户别名未添加")
    expect(warning).to_contain_text("already belongs to another customer")  # the API's 409, in its words
    expect(second).to_have_count(0)  # the decision itself stands: the name is this distributor's alias
    console.shot(page, "alias-conflict")


def _terminal_body(name: str, province: str, city: str) -> dict[str, Any]:
    return {
        "name": name,
        "profile": {"type": "terminal", "kind": "pharmacy"},
        "region": {"province": province, "city": city},
    }
