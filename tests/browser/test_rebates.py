"""Agreements, rebate accruals and diversion cases in the console: an HQ admin writes an agreement with a
three-tier rule in the form; once approved, its page and the customer's Agreements tab show it. Finance
previews the month's rebate; a branch head opens a case from a diversion signal, notes it and confirms it with
a penalty, and the preview goes down by it; the distributor's own user sees its agreement and nobody else's.

Data a person would not type in the console (products, customers, the month's flow file, the other approvers'
decisions) goes through the API, as tests/e2e/test_rebates.py does."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Client
from tests.e2e.test_approvals import decide_every_step
from tests.e2e.test_rebates import terms
from tests.e2e.uploads import upload_flow

from .conftest import Console

PERIOD = "2026-11"


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def _products(admin: Client) -> None:
    for sku in ("P1001", "P1002", "P1003"):
        body = {"sku": sku, "name": f"产品{sku}", "spec": "10片", "base_unit": "盒", "case_size": 10}
        ok(admin.post("/products", body), 201)


def _customer(admin: Client, name: str, profile: dict[str, Any], **extra: Any) -> str:
    body = {"name": name, "status": "active", "org_unit_id": "EAST", "profile": profile, **extra}
    return str(ok(admin.post("/customers", body), 201)["id"])


def _fill(page: Page, label: str, text: str) -> None:
    page.get_by_label(label, exact=True).fill(text)


def test_an_agreement_written_in_the_form_is_approved_and_shown_on_its_page_and_the_customer(console: Console) -> None:
    admin = console.world.as_user("admin")
    _products(admin)
    distributor = _customer(admin, "苏州协议医药有限公司", {"type": "distributor", "tier": "tier1"}, code="SZXY")

    page = console.page_as("admin")
    console.open(page, "/rebates/agreements/new")
    page.get_by_label("客户", exact=True).fill("苏州协议")
    page.locator(".ant-select-dropdown").get_by_title("苏州协议医药有限公司（SZXY）").click()
    _fill(page, "协议名称", "2026年度经销协议")
    page.get_by_label("协议区域 · 省份", exact=True).fill("江苏")
    page.keyboard.press("Enter")
    page.get_by_label("城市", exact=True).fill("苏州")
    page.keyboard.press("Enter")
    console.choose(page, "产品", "产品P1001（P1001）")
    page.get_by_role("textbox", name="产品组").fill("抗生素")
    _fill(page, "协议价（基本单位）", "10")
    rule = page.get_by_test_id("rule")
    rule.get_by_label("规则", exact=True).fill("流向阶梯返利")
    for n, (threshold, percent) in enumerate([("0", "1"), ("100", "2"), ("200", "3")], 1):
        if n > 1:
            rule.get_by_role("button", name="添加阶梯").click()
        rule.get_by_label(f"门槛 {n}", exact=True).fill(threshold)
        rule.get_by_label(f"比例 {n}", exact=True).fill(percent)
    console.shot(page, "agreement-form")
    page.get_by_role("button", name="提交审批").click()
    expect(page.get_by_text("待审批版本：v1")).to_be_visible()

    agreement_id = page.url.rstrip("/").split("/")[-1]
    stored = ok(admin.get(f"/agreements/{agreement_id}"))
    assert stored["customer_id"] == distributor
    rules = stored["versions"][0]["terms"]["rules"]
    assert [(t["threshold"], t["percent"]) for t in rules[0]["tiers"]] == [("0", "1"), ("100", "2"), ("200", "3")]
    assert stored["versions"][0]["terms"]["territory"] == {"provinces": ["江苏"], "cities": ["苏州"]}

    decide_every_step(console.world, agreement_id)  # the branch head, then finance
    page.reload()
    expect(page.get_by_text("生效版本：v1")).to_be_visible()
    expect(page.get_by_test_id("terms").first).to_contain_text("≥ 200 → 3%")
    expect(page.get_by_test_id("terms").first).to_contain_text("江苏、苏州")
    console.shot(page, "agreement-in-force")

    console.open(page, f"/customers/{distributor}")
    page.get_by_role("tab", name="协议").click()
    expect(page.get_by_role("link", name="2026年度经销协议")).to_be_visible()
    expect(page.get_by_text("v1 生效")).to_be_visible()
    console.shot(page, "customer-agreements-tab")


def test_a_case_opened_from_a_signal_and_confirmed_lowers_the_previewed_rebate(console: Console) -> None:
    world, admin = console.world, console.world.as_user("admin")
    _products(admin)
    east = _customer(admin, "东区医药商业公司", {"type": "distributor", "tier": "tier1"}, code="DQ")
    south = _customer(admin, "南区医药商业公司", {"type": "distributor", "tier": "tier1"}, code="NQ")
    for name, city in (("苏州康宁大药房", "苏州"), ("苏州仁和药店", "苏州"), ("南京益民药房", "南京")):
        _customer(admin, name, {"type": "terminal", "kind": "pharmacy"}, region={"province": "江苏", "city": city})
    for customer in (east, south):
        created = ok(admin.post("/agreements", {"customer_id": customer, **terms("2026年度协议")}), 201)
        decide_every_step(world, created["id"])
    rows = [("苏州康宁大药房", "P1001", 120), ("苏州仁和药店", "P1002", 60), ("南京益民药房", "P1001", 30)]
    flow = ["销售日期,商品编码,数量,单位,客户名称", *(f"{PERIOD}-10,{s},{q},盒,{b}" for b, s, q in rows)]
    assert upload_flow(admin, east, PERIOD, "\n".join(flow).encode())["status"] == "accepted"

    finance = console.page_as("finance.wu")
    console.open(finance, f"/rebates/accruals?period={PERIOD}&view=preview")
    east_row = finance.get_by_role("row").filter(has_text="东区医药商业公司")
    expect(east_row).to_contain_text("¥81.00")  # 210 units: the 3% tier of 2,700.00
    east_row.get_by_role("button", name="展开行").click()
    expect(finance.get_by_role("cell", name="3（3%）", exact=True)).to_be_visible()
    console.shot(finance, "accrual-preview")

    head = console.page_as("east.head")
    console.open(head, f"/channel/diversion?period={PERIOD}&distributor_id={east}")
    outside = head.get_by_role("row").filter(has_text="南京益民药房")
    outside.get_by_role("button", name=re.compile(r"^立\s?案$")).click()  # antd spaces out two-character labels
    expect(head.get_by_test_id("case-status")).to_have_text("调查中")
    head.get_by_label("添加记录").fill("电话核实：确有跨区销售")
    head.get_by_role("button", name="添加记录").click()
    # the note as the server now holds it (the page read the case again, with its new version)
    expect(head.locator(".ant-list-item").filter(has_text="电话核实：确有跨区销售")).to_be_visible()
    expect(head.get_by_label("添加记录")).to_have_value("")
    head.get_by_label("罚款金额").fill("50")
    head.get_by_label("说明").fill("跨区销售属实")
    with head.expect_response(lambda r: "/decision" in r.url) as answer:
        head.get_by_role("button", name=re.compile(r"^处\s?理$")).click()
    assert answer.value.status == 200, answer.value.text()
    expect(head.get_by_test_id("case-status")).to_have_text("确认审批中")
    console.shot(head, "case-confirmation-pending")

    case_id = head.url.rstrip("/").split("/")[-1]
    decide_every_step(world, case_id)
    head.reload()
    expect(head.get_by_test_id("case-status")).to_have_text("已确认")
    finance.reload()
    expect(finance.get_by_role("row").filter(has_text="东区医药商业公司")).to_contain_text("¥31.00")
    console.shot(finance, "accrual-preview-after-penalty")
    console.open(head, f"/rebates/cases?period={PERIOD}")
    expect(head.get_by_role("row").filter(has_text="南京益民药房")).to_contain_text("已确认")
    console.shot(head, "cases-of-the-month")

    # the month closes: its vouchers are frozen, listed, opened, and their approval shows what it is for
    ok(world.as_user("finance.wu").post(f"/inventory/periods/{PERIOD}/close"))
    console.open(finance, f"/rebates/accruals?period={PERIOD}")
    expect(finance.get_by_test_id("run")).to_contain_text("已完成", timeout=60_000)  # the page follows the run
    east_voucher = finance.get_by_role("row").filter(has_text="东区医药商业公司")
    expect(east_voucher).to_contain_text("待审批")
    expect(finance.get_by_test_id("total-net")).to_have_text("¥31.00")
    console.shot(finance, "accrual-vouchers-frozen")
    with finance.expect_response(lambda r: "/accrual-vouchers/export" in r.url) as link:
        finance.get_by_role("button", name="导出 Excel").click()
    assert link.value.status == 200 and link.value.json()["file_name"] == f"accruals-{PERIOD}.xlsx"
    console.open(finance, f"/rebates/accruals?period={PERIOD}")
    finance.get_by_role("link", name="东区医药商业公司").click()
    expect(finance.get_by_role("main")).to_contain_text("¥81.00")  # gross, then the penalty, then the net
    finance.get_by_role("link", name="审批").click()
    expect(finance.get_by_test_id("subject")).to_contain_text("返利计提")
    console.shot(finance, "voucher-approval")

    console.add_distributor_user("dist.east", east)
    mine = console.page_as("dist.east")
    console.open(mine, "/rebates/agreements")
    expect(mine.get_by_role("link", name="东区医药商业公司")).to_be_visible()
    expect(mine.get_by_text("南区医药商业公司")).to_have_count(0)
    console.shot(mine, "distributor-agreements")
