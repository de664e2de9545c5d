"""Orders and their approvals in the console: a rep orders from the price list and submits, the department head
decides in the inbox, the order shows the outcome (issue 17's done-when scenario among them), a return against
what was shipped.

Set up through HTTP only what people did before: HQ's products and price list, the rep's customer, and for the
rejection and the return an order the rep had submitted (and the ERP had shipped).
"""

from __future__ import annotations

import re
import time
import uuid

from playwright.sync_api import Page, expect

from tests.e2e.conftest import terminal

from .conftest import Console


def _price_list(console: Console) -> tuple[str, str]:
    """Two products with prices for terminals: one by level B, one by the type's default."""
    admin, finance = console.world.as_user("admin"), console.world.as_user("finance.wu")
    skus = []
    for name, spec, prices in (
        ("阿莫西林胶囊", "0.25g*24粒", [{"customer_type": "terminal", "level": "B", "unit_price": "12.35"},
                                      {"customer_type": "terminal", "level": None, "unit_price": "13.00"}]),
        ("布洛芬缓释胶囊", "0.3g*20粒", [{"customer_type": "terminal", "level": None, "unit_price": "18.40"}]),
    ):  # fmt: skip
        sku = f"P{uuid.uuid4().hex[:6].upper()}"
        body = {"sku": sku, "name": name, "spec": spec, "base_unit": "盒", "case_size": 40}
        assert admin.post("/products", json=body).status_code == 201
        r = finance.request("PUT", f"/products/{sku}/prices", json={"items": prices}, headers={"If-Match": '"0"'})
        assert r.status_code == 200, r.text
        skus.append(sku)
    return skus[0], skus[1]


def _customer(console: Console, name: str) -> dict:
    r = console.world.as_user("rep.zhang").post("/customers", json=terminal(name, level="B"))
    assert r.status_code == 201, r.text
    return r.json()


def _pick(page: Page, label: str, typed: str, option: str | re.Pattern[str]) -> None:
    """Types into the searchable select labelled `label` and picks the option the search found."""
    select = page.get_by_label(label, exact=True)
    select.click()
    page.keyboard.type(typed)
    # This select's own list (an earlier select's list may still be in the page, closing or closed).
    listbox = select.get_attribute("aria-controls")
    found = page.locator(f".ant-select-dropdown:has([id='{listbox}'])").get_by_title(option).first
    found.wait_for()
    found.click()
    expect(select.locator("xpath=ancestor::*[contains(@class,'ant-select ')][1]")).to_contain_text(option)


def _order_through_the_page(console: Console, page: Page, customer: str, amoxicillin: str) -> str:
    """The rep's new order: the customer, one product at its list price, saved and submitted. Its id."""
    console.open(page, "/orders")
    page.get_by_role("button", name="新建订单").click()
    page.wait_for_url(re.compile(r"/console/orders/new$"))
    _pick(page, "客户", customer[:6], customer)
    expect(page.get_by_text("客户等级")).to_be_visible()
    _pick(page, "产品 1", "阿莫西林", re.compile(amoxicillin))
    expect(page.get_by_test_id("list-price-1")).to_have_text("¥12.35")  # the level B price, not the type's 13.00
    page.get_by_label("数量 1", exact=True).fill("3")
    expect(page.get_by_test_id("amount-1")).to_have_text("¥37.05")
    expect(page.get_by_test_id("form-total")).to_contain_text("¥37.05")
    console.shot(page, "new-order")
    page.get_by_role("button", name="保存并提交审批").click()
    page.wait_for_url(re.compile(r"/console/orders/[0-9A-Z]{26}$"))
    return page.url.rsplit("/", 1)[1]


def _open_in_inbox(console: Console, page: Page, subject: str) -> None:
    """The approver's inbox, refreshed until the approval's step has opened (the run opens it a moment later)."""
    deadline = time.monotonic() + 20
    link = page.get_by_role("link", name=re.compile(re.escape(subject)))
    while True:
        console.open(page, "/approvals")
        expect(page.get_by_role("heading", name="待我审批")).to_be_visible()
        if link.count() or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    console.shot(page, "inbox")
    link.first.click()
    page.wait_for_url(re.compile(r"/console/approvals/[0-9A-Z]{26}$"))


def test_a_rep_orders_from_the_price_list_with_an_override_and_submits(console: Console) -> None:
    amoxicillin, ibuprofen = _price_list(console)
    customer = _customer(console, "杭州市上城区惠民大药房")
    page = console.page_as("rep.zhang")
    console.open(page, "/orders/new")
    _pick(page, "客户", "惠民大药房", "杭州市上城区惠民大药房")
    _pick(page, "产品 1", "阿莫西林", re.compile(amoxicillin))
    page.get_by_label("数量 1", exact=True).fill("3")
    page.get_by_role("button", name="添加产品").click()
    _pick(page, "产品 2", "布洛芬", re.compile(ibuprofen))
    expect(page.get_by_test_id("list-price-2")).to_have_text("¥18.40")
    page.get_by_label("数量 2", exact=True).fill("7")
    page.get_by_label("改价 2", exact=True).fill("17.999")
    expect(page.get_by_test_id("amount-2")).to_have_text("¥125.99")  # 125.993, half up to the cent
    expect(page.get_by_test_id("form-total")).to_contain_text("¥163.04")
    page.get_by_role("button", name="保存并提交审批").click()
    expect(page.get_by_text("改价时必须填写原因")).to_be_visible()  # nothing is sent without the reason
    console.shot(page, "override-needs-a-reason")
    assert "/orders/new" in page.url

    page.get_by_label("改价原因 2", exact=True).fill("季度促销")
    page.get_by_role("button", name="保存并提交审批").click()
    page.wait_for_url(re.compile(r"/console/orders/[0-9A-Z]{26}$"))
    expect(page.get_by_test_id("order-state")).to_have_text("审批中")
    expect(page.get_by_text("此订单正在等待审批")).to_be_visible()
    expect(page.get_by_test_id("order-total")).to_have_text("¥163.04")
    expect(page.get_by_text("季度促销")).to_be_visible()
    expect(page.get_by_role("link", name="杭州市上城区惠民大药房")).to_have_attribute(
        "href", f"/console/customers/{customer['id']}"
    )
    expect(page.get_by_role("button", name=re.compile("撤\\s*回"))).to_be_visible()
    console.shot(page, "order-submitted")

    # The list, filtered by state in the URL, shows it; another state does not.
    console.open(page, "/orders?state=submitted")
    expect(page.get_by_role("link", name="杭州市上城区惠民大药房")).to_be_visible()
    console.shot(page, "list-submitted")
    console.open(page, "/orders?state=approved")
    expect(page.get_by_role("link", name="杭州市上城区惠民大药房")).to_have_count(0)


def test_the_department_head_approves_the_reps_order_in_the_inbox_and_the_order_shows_approved(
    console: Console,
) -> None:
    amoxicillin, _ = _price_list(console)
    _customer(console, "杭州市拱墅区仁和药店")
    rep = console.page_as("rep.zhang")
    order_id = _order_through_the_page(console, rep, "杭州市拱墅区仁和药店", amoxicillin)
    expect(rep.get_by_test_id("order-state")).to_have_text("审批中")
    console.shot(rep, "rep-sees-submitted")

    head = console.page_as("eastrx.head")
    _open_in_inbox(console, head, "杭州市拱墅区仁和药店")
    subject = head.get_by_test_id("subject")
    expect(subject.get_by_role("link", name="杭州市拱墅区仁和药店")).to_be_visible()
    expect(subject.get_by_role("cell", name="阿莫西林胶囊")).to_be_visible()
    expect(subject.get_by_role("cell", name="3 盒")).to_be_visible()
    expect(subject.get_by_test_id("order-total")).to_have_text("¥37.05")
    expect(head.get_by_test_id("approval-status")).to_have_text("审批中")
    console.shot(head, "approval")

    head.get_by_label("审批意见").fill("同意，按月初计划发货")
    head.get_by_role("button", name=re.compile("同\\s*意")).click()
    expect(head.get_by_test_id("approval-status")).to_have_text("已同意")
    expect(head.get_by_role("cell", name="同意，按月初计划发货")).to_be_visible()
    expect(head.get_by_test_id("decision")).to_have_count(0)  # nothing left to decide
    expect(subject.get_by_test_id("subject-state")).to_have_text("已批准", timeout=20_000)
    console.shot(head, "approved")

    console.open(rep, f"/orders/{order_id}")
    expect(rep.get_by_test_id("order-state")).to_have_text("已批准")
    rep.get_by_role("tab", name="审批与变更记录").click()
    expect(rep.get_by_role("cell", name="审批通过")).to_be_visible()
    expect(rep.get_by_role("cell", name="同意，按月初计划发货")).to_be_visible()
    console.shot(rep, "order-approved")


def test_a_rejection_sends_the_order_back_with_the_comment_in_its_history(console: Console) -> None:
    amoxicillin, _ = _price_list(console)
    customer = _customer(console, "杭州市滨江区康泰药房")
    zhang = console.world.as_user("rep.zhang")
    r = zhang.post("/orders", json={"customer_id": customer["id"], "lines": [{"sku": amoxicillin, "quantity": 40}]})
    assert r.status_code == 201, r.text
    order = r.json()
    assert zhang.post(f"/orders/{order['id']}/submit", json={}).status_code == 200

    head = console.page_as("eastrx.head")
    _open_in_inbox(console, head, "杭州市滨江区康泰药房")
    head.get_by_role("button", name=re.compile("驳\\s*回")).click()
    expect(head.get_by_text("驳回时必须填写审批意见")).to_be_visible()  # a rejection needs a comment
    expect(head.get_by_test_id("approval-status")).to_have_text("审批中")
    head.get_by_label("审批意见").fill("价格需与客户重新确认")
    head.get_by_role("button", name=re.compile("驳\\s*回")).click()
    expect(head.get_by_test_id("approval-status")).to_have_text("已驳回")
    expect(head.get_by_test_id("subject").get_by_test_id("subject-state")).to_have_text("已保存", timeout=20_000)
    console.shot(head, "rejected")

    rep = console.page_as("rep.zhang")
    console.open(rep, f"/orders/{order['id']}")
    expect(rep.get_by_test_id("order-state")).to_have_text("已保存")
    expect(rep.get_by_test_id("last-rejection")).to_contain_text("价格需与客户重新确认")
    expect(rep.get_by_role("button", name="修改明细")).to_be_visible()  # back with the rep, to change and submit
    rep.get_by_role("tab", name="审批与变更记录").click()
    row = rep.get_by_role("row").filter(has_text="审批驳回")
    expect(row).to_contain_text("价格需与客户重新确认")
    expect(row).to_contain_text("审批中")
    console.shot(rep, "history-with-the-rejection")


def test_a_return_takes_only_what_was_shipped(console: Console) -> None:
    amoxicillin, _ = _price_list(console)
    customer = _customer(console, "杭州市西湖区安康药店")
    zhang, head, erp = (console.world.as_user(u) for u in ("rep.zhang", "eastrx.head", "erp"))
    order = zhang.post("/orders", json={"customer_id": customer["id"], "lines": [{"sku": amoxicillin, "quantity": 10}]})
    assert order.status_code == 201, order.text
    oid = order.json()["id"]
    assert zhang.post(f"/orders/{oid}/submit", json={}).status_code == 200
    deadline = time.monotonic() + 20
    while not (entries := [i for i in head.get("/approvals/inbox").json()["items"] if i["subject_id"] == oid]):
        assert time.monotonic() < deadline, "the approval never reached the inbox"
        time.sleep(0.2)
    decided = head.post(f"/approvals/{entries[0]['approval_id']}/decision", json={"decision": "approve"})
    assert decided.status_code == 200, decided.text
    while zhang.get(f"/orders/{oid}").json()["state"] != "approved":
        assert time.monotonic() < deadline, "the order was never approved"
        time.sleep(0.2)
    assert erp.post(f"/integration/orders/{oid}/processed", json={"erp_order_no": "SO-77"}).status_code == 200
    shipment = {
        "delivery_no": "DN-77",
        "outbound_no": "OB-77",
        "lines": [{"sku": amoxicillin, "batch": "B2411", "quantity": 6}],
    }
    assert erp.post(f"/integration/orders/{oid}/shipments", json=shipment).status_code == 200

    page = console.page_as("rep.zhang")
    console.open(page, f"/orders/{oid}")
    expect(page.get_by_test_id("order-state")).to_have_text("已发货")
    page.get_by_role("tab", name="退货").click()
    page.get_by_role("button", name="新建退货").click()
    dialog = page.get_by_role("dialog")
    quantity = dialog.get_by_label(f"退货数量 {amoxicillin} B2411")
    expect(quantity).to_have_attribute("placeholder", "≤ 6")  # shipped 6 of the 10 ordered
    quantity.fill("9")
    quantity.blur()
    expect(quantity).to_have_value("6")  # no more than was shipped
    quantity.fill("2")
    dialog.get_by_label("退货原因").fill("包装破损")
    console.shot(page, "new-return")
    dialog.get_by_role("button", name="新建退货").click()
    page.wait_for_url(re.compile(r"/console/returns/[0-9A-Z]{26}$"))
    expect(page.get_by_test_id("return-state")).to_have_text("审批中")
    expect(page.get_by_role("cell", name="B2411")).to_be_visible()
    expect(page.get_by_role("tabpanel").get_by_role("cell", name="¥24.70")).to_be_visible()  # 2 at the order's 12.35
    console.shot(page, "return")

    console.open(page, f"/orders/{oid}")
    page.get_by_role("tab", name="退货").click()
    expect(page.get_by_role("cell", name="包装破损")).to_be_visible()
    page.get_by_role("button", name="新建退货").click()
    expect(page.get_by_role("dialog").get_by_label(f"退货数量 {amoxicillin} B2411")).to_have_attribute(
        "placeholder", "≤ 4"
    )  # the pending return holds its 2
    console.shot(page, "second-return-dialog")


def test_editing_a_saved_order_over_a_colleagues_change_shows_the_fresh_order(console: Console) -> None:
    amoxicillin, ibuprofen = _price_list(console)
    customer = _customer(console, "杭州市余杭区益丰药房")
    zhang = console.world.as_user("rep.zhang")
    r = zhang.post("/orders", json={"customer_id": customer["id"], "lines": [{"sku": amoxicillin, "quantity": 5}]})
    assert r.status_code == 201, r.text
    order = r.json()

    page = console.page_as("rep.zhang")
    console.open(page, f"/orders/{order['id']}")
    page.get_by_role("button", name="修改明细").click()
    page.wait_for_url(re.compile(rf"/console/orders/{order['id']}/edit$"))
    expect(page.get_by_test_id("list-price-1")).to_have_text("¥12.35")
    page.get_by_label("数量 1", exact=True).fill("8")
    console.shot(page, "editing")

    # Meanwhile the department head adds a line.
    head = console.world.as_user("eastrx.head")
    lines = [{"sku": amoxicillin, "quantity": 5}, {"sku": ibuprofen, "quantity": 2}]
    changed = head.patch(f"/orders/{order['id']}", json={"lines": lines}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text

    page.get_by_role("button", name=re.compile("保\\s*存$")).click()
    conflict = page.get_by_test_id("conflict")
    expect(conflict).to_contain_text("该订单已被他人修改")
    expect(conflict.get_by_role("cell", name="布洛芬缓释胶囊")).to_be_visible()  # the fresh order, with the new line
    console.shot(page, "conflict")
    assert page.get_by_label("数量 1", exact=True).input_value() == "8"  # nothing typed is lost

    conflict.get_by_role("button", name="以最新订单为准，重新应用我的修改").click()
    page.get_by_role("button", name=re.compile("保\\s*存$")).click()
    page.wait_for_url(re.compile(rf"/console/orders/{order['id']}$"))
    expect(page.get_by_test_id("order-total")).to_have_text("¥98.80")  # 8 x 12.35: the rep's lines won
    console.shot(page, "saved")


def test_a_product_without_a_price_for_the_customer_is_refused_at_its_line(console: Console) -> None:
    admin, finance = console.world.as_user("admin"), console.world.as_user("finance.wu")
    sku = f"P{uuid.uuid4().hex[:6].upper()}"
    body = {"sku": sku, "name": "维生素C片", "spec": "100片", "base_unit": "瓶", "case_size": 50}
    assert admin.post("/products", json=body).status_code == 201
    distributors_only = {"items": [{"customer_type": "distributor", "level": None, "unit_price": "3.20"}]}
    r = finance.request("PUT", f"/products/{sku}/prices", json=distributors_only, headers={"If-Match": '"0"'})
    assert r.status_code == 200, r.text
    _customer(console, "杭州市临平区百姓药房")

    page = console.page_as("rep.zhang")
    console.open(page, "/orders/new")
    _pick(page, "客户", "百姓药房", "杭州市临平区百姓药房")
    _pick(page, "产品 1", "维生素", re.compile(sku))
    expect(page.get_by_test_id("list-price-1")).to_have_text("该客户类型/等级没有目录价")
    page.get_by_role("button", name=re.compile("保\\s*存$")).click()
    expect(page.get_by_role("alert").first).to_contain_text("Some order lines cannot be accepted")
    expect(page.get_by_test_id("line-1")).to_contain_text("no list price")  # the API's reason, at the line
    assert "/orders/new" in page.url
    console.shot(page, "no-price")


def _submitted_order(console: Console, customer_name: str) -> dict:
    amoxicillin, _ = _price_list(console)
    customer = _customer(console, customer_name)
    zhang = console.world.as_user("rep.zhang")
    r = zhang.post("/orders", json={"customer_id": customer["id"], "lines": [{"sku": amoxicillin, "quantity": 2}]})
    assert r.status_code == 201, r.text
    assert zhang.post(f"/orders/{r.json()['id']}/submit", json={}).status_code == 200
    return r.json()


def test_a_decision_made_meanwhile_elsewhere_is_shown_with_its_outcome(console: Console) -> None:
    _submitted_order(console, "杭州市萧山区和平药店")
    page = console.page_as("eastrx.head")
    _open_in_inbox(console, page, "杭州市萧山区和平药店")
    approval_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_test_id("decision")).to_be_visible()
    # The same approval decided in another tab (or by a deputy) while this page is open.
    other = console.world.as_user("eastrx.head").post(
        f"/approvals/{approval_id}/decision", json={"decision": "approve"}
    )
    assert other.status_code == 200, other.text

    page.get_by_label("审批意见").fill("数量不对")
    page.get_by_role("button", name=re.compile("驳\\s*回")).click()
    expect(page.get_by_test_id("approval-status")).to_have_text("已同意")  # how it stands now
    expect(page.get_by_role("alert").filter(has_text="approved")).to_be_visible()  # the 409's message
    expect(page.get_by_test_id("decision")).to_have_count(0)
    expect(page.get_by_test_id("subject-state")).to_have_text("已批准", timeout=20_000)
    console.shot(page, "decided-meanwhile")


def test_hq_sets_the_order_policy_and_others_only_read_it(console: Console) -> None:
    page = console.page_as("admin")
    console.open(page, "/approval-policies")
    expect(page.get_by_text("尚未设置，当前为系统默认策略")).to_be_visible()
    page.get_by_role("button", name="添加步骤").click()
    page.locator("#steps_3_min_amount").fill("200000")
    page.get_by_role("button", name=re.compile("保\\s*存")).click()
    expect(page.get_by_text("审批策略已保存")).to_be_visible()
    console.shot(page, "policy-saved")
    assert [
        s["min_amount"] for s in console.world.as_user("admin").get("/approval-policies/order").json()["steps"]
    ] == [
        None,
        "10000",
        "50000",
        "200000",
    ]

    head = console.page_as("eastrx.head")
    expect(head.get_by_role("menuitem", name="审批策略")).to_have_count(0)  # HQ's menu only
    console.open(head, "/approval-policies")
    expect(head.get_by_text("只有总部管理员可以修改审批策略")).to_be_visible()
    expect(head.locator("#steps_3_min_amount")).to_have_value("200000")
    expect(head.get_by_role("button", name=re.compile("保\\s*存"))).to_have_count(0)
    console.shot(head, "policy-read-only")


def test_a_department_head_names_a_deputy_for_a_week_and_ends_it_early(console: Console) -> None:
    page = console.page_as("eastrx.head")
    console.open(page, "/delegations")
    page.get_by_role("button", name="新建代理").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("代理人").fill("u-east-head")
    dialog.get_by_label("原因").fill("年假")
    console.shot(page, "new-delegation")
    dialog.get_by_role("button", name="新建代理").click()
    row = page.get_by_role("row").filter(has_text="年假")
    expect(row).to_contain_text("生效中")
    expect(row).to_contain_text("u-east-head")
    console.shot(page, "delegation-active")
    assert [d["deputy_id"] for d in console.world.as_user("east.head").get("/delegations").json()["items"]] == [
        "u-east-head"
    ]  # the deputy sees it too

    row.get_by_role("button", name="取消代理").click()
    page.get_by_role("button", name=re.compile("确\\s*定|OK")).click()
    expect(row).to_contain_text("已取消")
    expect(row.get_by_role("button", name="取消代理")).to_have_count(0)
    console.shot(page, "delegation-cancelled")
