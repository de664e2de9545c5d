"""The office areas of the console: the org tree and users, order plans, products and prices, visits."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import openpyxl
from playwright.sync_api import Page, expect

from tests.e2e.conftest import terminal
from tests.e2e.test_visits import today

from .conftest import Console

OK = re.compile(r"^确\s?定$")
CREATE = re.compile(r"^创\s?建$")


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _product(console: Console, name: str) -> dict[str, Any]:
    sku = f"T{uuid.uuid4().hex[:6].upper()}"
    body = {"sku": sku, "name": name, "spec": "10mg*30片", "base_unit": "盒", "case_size": 50, "category": "药品"}
    return _ok(console.world.as_user("admin").post("/products", json=body), 201)


def _pick_tree_node(page: Page, label: str, title: str) -> None:
    """Chooses `title` in the antd TreeSelect labelled `label` (searching for it first)."""
    field = page.get_by_label(label, exact=True)
    field.click()
    field.fill(title)
    page.locator(".ant-select-dropdown:visible").get_by_title(title, exact=True).first.click()
    # The list closes once the choice is made; on a busy machine that takes a moment, and until then it lies
    # over the dialog's buttons.
    expect(page.locator(".ant-select-dropdown:visible")).to_have_count(0)


def test_an_hq_admin_opens_a_department_under_a_branch_and_a_rep_in_it(console: Console) -> None:
    page = console.page_as("admin")
    console.open(page, "/org")
    tree = page.locator(".ant-tree")
    tree.get_by_text("华东分公司", exact=True).click()
    expect(page.get_by_text("/HQ/EAST/", exact=True)).to_be_visible()
    console.shot(page, "org-tree-east")

    page.get_by_role("button", name="新建下级单位").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("编码", exact=True).fill("EAST-NEW")
    dialog.get_by_label("名称", exact=True).fill("华东新零售部")
    console.shot(page, "new-department")
    dialog.get_by_role("button", name=OK).click()
    expect(dialog).to_be_hidden()
    department = tree.get_by_text("华东新零售部", exact=True)
    expect(department).to_be_visible()
    department.click()
    expect(page.get_by_text("/HQ/EAST/EAST-NEW/", exact=True)).to_be_visible()
    console.shot(page, "department-created")

    # Closing the branch is refused while units and people hang under it: the page says what is left.
    tree.get_by_text("华东分公司", exact=True).click()
    page.get_by_role("button", name="关闭单位").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("原因", exact=True).fill("测试")
    dialog.get_by_role("button", name=OK).click()
    refusal = dialog.get_by_test_id("close-refused")
    expect(refusal).to_contain_text("EAST-NEW")
    expect(refusal).to_contain_text("仍有在职用户")
    console.shot(page, "close-refused")
    dialog.get_by_role("button", name=re.compile(r"^取\s?消$")).click()

    console.open(page, "/users")
    page.get_by_role("button", name="新建用户").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("登录名", exact=True).fill("rep.new")
    dialog.get_by_label("名称", exact=True).fill("赵新")
    dialog.get_by_label("邮箱", exact=True).fill("rep.new@example.com")
    dialog.get_by_label("手机", exact=True).fill("+8613800009999")
    _pick_tree_node(page, "所属单位", "华东新零售部")
    console.shot(page, "new-user")
    dialog.get_by_role("button", name=CREATE).click()
    expect(dialog).to_be_hidden()
    row = page.get_by_role("row").filter(has_text="rep.new")
    expect(row).to_contain_text("赵新")
    expect(row).to_contain_text("华东新零售部")
    expect(row).to_contain_text("业务代表")
    expect(row).to_contain_text("在用")
    console.shot(page, "user-created")

    users = _ok(console.world.as_user("admin").get("/users", params={"limit": 200}))["items"]
    created = next(u for u in users if u["username"] == "rep.new")
    assert (created["org_unit_id"], created["roles"]) == ("EAST-NEW", ["rep"])

    row.get_by_role("button", name=re.compile(r"^停\s?用$")).click()
    confirm = page.get_by_role("dialog").filter(has_text="停用 赵新？")
    console.shot(page, "disable-confirm")
    confirm.get_by_role("button", name=re.compile(r"^停\s?用$")).click()
    expect(row).to_contain_text("已停用")
    console.shot(page, "user-disabled")
    assert _ok(console.world.as_user("admin").get(f"/users/{created['id']}"))["status"] == "disabled"


def test_a_manager_sets_a_plan_quantity_and_the_plan_vs_actual_report_shows_it(console: Console) -> None:
    product = _product(console, "计划测试片")
    page = console.page_as("eastrx.head")
    console.open(page, "/plans")
    expect(page.get_by_text(re.compile(r"华东处方药部 · \d{4}-\d{2} 订货计划"))).to_be_visible()
    console.shot(page, "empty-plan")

    page.get_by_role("button", name="添加一行").click()
    picker = page.get_by_label("产品", exact=True)
    picker.click()
    picker.fill(product["sku"])
    page.locator(".ant-select-dropdown:visible .ant-select-item-option").filter(has_text=product["sku"]).first.click()
    page.get_by_label("计划数量（基本单位）", exact=True).fill("120")
    page.get_by_role("button", name="保存计划").click()
    expect(page.get_by_text("计划已保存")).to_be_visible()
    expect(page.get_by_test_id("plan-total")).to_have_text("120")
    month_plans = page.locator(".ant-card").filter(has_text="本月各单位计划")
    expect(month_plans.get_by_role("row").filter(has_text="华东处方药部")).to_contain_text("120")
    console.shot(page, "plan-saved")

    page.get_by_role("button", name="计划达成").click()
    row = page.get_by_role("row").filter(has_text=product["name"])
    expect(row).to_contain_text("120")
    expect(row).to_contain_text("¥0.00")  # nothing ordered yet
    console.shot(page, "plan-vs-actual")

    month = today()[:7]  # this month where the users are
    plan = _ok(console.world.as_user("eastrx.head").get(f"/plans/EAST-RX/{month}"))
    assert [(line["sku"], line["quantity"]) for line in plan["lines"]] == [(product["sku"], 120)]


def test_a_plan_saved_meanwhile_by_someone_else_is_shown_and_can_be_taken(console: Console) -> None:
    product = _product(console, "冲突测试片")
    month = today()[:7]  # this month where the users are
    page = console.page_as("eastrx.head")
    console.open(page, "/plans")
    page.get_by_role("button", name="添加一行").click()
    picker = page.get_by_label("产品", exact=True)
    picker.click()
    picker.fill(product["sku"])
    page.locator(".ant-select-dropdown:visible .ant-select-item-option").filter(has_text=product["sku"]).first.click()
    page.get_by_label("计划数量（基本单位）", exact=True).fill("10")

    # Meanwhile the branch head saves the department's plan.
    body = {"lines": [{"sku": product["sku"], "quantity": 50}]}
    _ok(console.world.as_user("east.head").put(f"/plans/EAST-RX/{month}", json=body, headers={"If-Match": '"0"'}))

    page.get_by_role("button", name="保存计划").click()
    conflict = page.get_by_test_id("conflict")
    expect(conflict).to_contain_text("该计划已被他人修改")
    expect(conflict.get_by_role("row").filter(has_text=product["name"])).to_contain_text("50")
    expect(page.get_by_test_id("plan-total")).to_have_text("10")  # my change is still in the grid
    console.shot(page, "plan-conflict")
    conflict.get_by_role("button", name="放弃我的修改，载入最新计划").click()
    expect(page.get_by_test_id("plan-total")).to_have_text("50")
    expect(page.get_by_test_id("conflict")).to_have_count(0)
    console.shot(page, "fresh-plan-taken")


def _plan_file(path: Path, rows: list[tuple[str, str | None, int]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["商品编码/SKU", "客户编码(optional)", "数量"])
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def test_a_manager_imports_a_plan_file_a_bad_row_is_reported_and_a_good_file_replaces_the_plan(
    console: Console, tmp_path: Path
) -> None:
    product = _product(console, "导入测试片")
    page = console.page_as("eastrx.head")
    console.open(page, "/plans")

    page.get_by_role("button", name="导入 Excel").click()
    dialog = page.get_by_role("dialog")
    bad = _plan_file(tmp_path / "计划-有错.xlsx", [(product["sku"], None, 80), ("NO-SUCH-SKU", None, 5)])
    dialog.locator("input[type=file]").set_input_files(bad)
    dialog.get_by_role("button", name="上传并导入").click()
    expect(dialog.get_by_test_id("import-result")).to_contain_text("文件未导入：1 行有错误", timeout=60_000)
    expect(dialog.get_by_role("row").filter(has_text="NO-SUCH-SKU")).to_be_visible()  # the bad row, from the report
    console.shot(page, "import-rejected")

    good = _plan_file(tmp_path / "计划.xlsx", [(product["sku"], None, 80)])
    dialog.locator("input[type=file]").set_input_files(good)
    dialog.get_by_role("button", name="上传并导入").click()
    expect(dialog.get_by_test_id("import-result")).to_contain_text("导入完成：1 行", timeout=60_000)
    console.shot(page, "import-done")
    dialog.locator(".ant-modal-footer").get_by_role("button", name=re.compile(r"^关\s?闭$")).click()
    expect(page.get_by_test_id("plan-total")).to_have_text("80")
    expect(page.get_by_role("row").filter(has_text=product["sku"]).first).to_be_visible()
    console.shot(page, "imported-plan")


def test_a_rep_reads_the_plan_but_cannot_change_it(console: Console) -> None:
    product = _product(console, "只读测试片")
    month = today()[:7]  # this month where the users are
    head = console.world.as_user("eastrx.head")
    _ok(
        head.put(
            f"/plans/EAST-RX/{month}",
            json={"lines": [{"sku": product["sku"], "quantity": 30}]},
            headers={"If-Match": '"0"'},
        )
    )

    page = console.page_as("rep.zhang")
    console.open(page, "/plans")
    expect(page.get_by_text("制定和修改计划需部门经理及以上角色")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=product["name"]).first).to_contain_text("30")
    expect(page.get_by_role("button", name="保存计划")).to_have_count(0)
    console.shot(page, "plan-read-only")


def test_the_hq_admin_creates_a_product_and_sets_its_price(console: Console) -> None:
    sku = f"N{uuid.uuid4().hex[:6].upper()}"
    page = console.page_as("admin")
    console.open(page, "/products/new")
    page.get_by_label("商品编码", exact=True).fill(sku)
    page.get_by_label("品名", exact=True).fill("新康泰克胶囊")
    page.get_by_label("规格", exact=True).fill("10粒")
    page.get_by_label("基本单位", exact=True).fill("盒")
    page.get_by_label("件装量", exact=True).fill("40")
    console.shot(page, "new-product")
    page.get_by_role("button", name=CREATE).click()
    page.wait_for_url(re.compile(rf"/console/products/{sku}$"))
    expect(page.get_by_role("heading", name="新康泰克胶囊")).to_be_visible()
    expect(page.get_by_text("1 件 = 40 盒")).to_be_visible()
    console.shot(page, "product-created")

    page.get_by_role("tab", name="价格").click()
    expect(page.get_by_text("尚未设定价格")).to_be_visible()
    page.get_by_role("button", name="编辑价格").click()
    page.get_by_role("button", name="添加价格").click()
    page.get_by_label("单价（每基本单位）", exact=True).fill("18.5")
    console.shot(page, "editing-prices")
    page.get_by_role("button", name="保存价格").click()
    expect(page.get_by_text("价格已保存")).to_be_visible()
    prices = page.get_by_role("tabpanel")
    expect(prices.get_by_role("row").filter(has_text="终端")).to_contain_text("¥18.50")
    console.shot(page, "price-set")

    page.reload()
    page.get_by_role("tab", name="价格").click()
    expect(page.get_by_role("tabpanel").get_by_role("row").filter(has_text="终端")).to_contain_text("¥18.50")
    page.get_by_role("tab", name="变更记录").click()
    expect(page.get_by_role("tabpanel").get_by_role("row")).not_to_have_count(1)  # the creation is in the history
    console.shot(page, "product-history")
    quote = _ok(console.world.as_user("admin").get(f"/products/{sku}/price", params={"customer_type": "terminal"}))
    assert quote["unit_price"] in ("18.5", "18.50")


def test_a_rep_plans_a_visit_and_the_list_and_coverage_show_it(console: Console) -> None:
    admin = console.page_as("admin")
    console.open(admin, "/visits/policy")
    frequency_a = admin.get_by_label("A 级客户每月拜访次数", exact=True)
    frequency_a.fill("3")
    admin.get_by_role("button", name="保存规则").click()
    expect(admin.get_by_text("规则已保存")).to_be_visible()
    console.shot(admin, "visit-policy")

    zhang = console.world.as_user("rep.zhang")
    customer = _ok(zhang.post("/customers", json=terminal("苏州仁心大药房", level="A")), 201)
    assert customer["level"] == "A"
    day = today()

    page = console.page_as("rep.zhang")
    console.open(page, "/visits/plan")
    date = page.get_by_label("日期", exact=True)
    date.click()
    date.fill(day)
    date.press("Enter")
    who = page.get_by_label("客户", exact=True)
    who.click()
    who.fill("仁心")
    page.locator(".ant-select-dropdown:visible").get_by_title("苏州仁心大药房", exact=True).click()
    page.get_by_label("拜访目的", exact=True).fill("新品推介")
    console.shot(page, "planning")
    page.get_by_role("button", name="提交计划").click()
    page.wait_for_url(re.compile(rf"/console/visits\?on={day}$"))
    row = page.get_by_role("row").filter(has_text="苏州仁心大药房")
    expect(row).to_contain_text("计划中")
    expect(row).to_contain_text("张伟")
    console.shot(page, "visits-of-the-day")

    row.get_by_role("link", name="苏州仁心大药房").click()
    expect(page.get_by_role("heading", name="拜访 · 苏州仁心大药房")).to_be_visible()
    expect(page.get_by_text("新品推介")).to_be_visible()
    console.shot(page, "visit-page")

    console.open(page, f"/visits/coverage?month={day[:7]}")
    row = page.get_by_role("row").filter(has_text="苏州仁心大药房")
    expect(row.get_by_role("cell")).to_have_text(["张伟", "苏州仁心大药房", "A", "3", "1", "0", "未覆盖"])
    expect(page.get_by_test_id("coverage-total")).to_contain_text("A: 3")
    console.shot(page, "coverage")

    head = console.page_as("eastrx.head")
    console.open(head, f"/visits?month={day[:7]}")
    expect(head.get_by_role("row").filter(has_text="苏州仁心大药房")).to_contain_text("张伟")
    console.shot(head, "head-sees-the-visit")
