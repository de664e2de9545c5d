"""The distributor portal (issue 18): a distributor's user uploads its monthly file through the page and follows
it to the end, downloads the error report, maps the columns of a file in its own layout, and sees only its own."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Client
from tests.e2e.test_visits import today
from tests.fixtures import FLOW_SAMPLES

from .conftest import Console
from .test_orders_approvals import _pick

FLOW_HEADER = "销售日期,商品编码,商品名称,规格,批号,数量,单位,客户名称,客户地址\n"
# the upload page's default month, where the users are
LAST_MONTH = (date.fromisoformat(today()).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
PHONE = {"width": 390, "height": 844}


def _setup(console: Console) -> tuple[Client, str, str]:
    admin = console.world.as_user("admin")
    product = {"sku": "P1001", "name": "阿莫西林胶囊", "spec": "0.25g*24粒", "base_unit": "盒", "case_size": 60}
    assert admin.post("/products", json=product).status_code == 201
    ids = []
    for name, code in (("苏州同仁医药有限公司", "D001"), ("无锡惠民医药有限公司", "D002")):
        body = {"name": name, "code": code, "status": "active", "profile": {"type": "distributor", "tier": "tier1"}}
        r = admin.post("/customers", json=body)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    terminal = {"name": "苏州市姑苏区仁和药店", "profile": {"type": "terminal", "kind": "pharmacy"}}
    assert admin.post("/customers", json=terminal).status_code == 201
    console.add_distributor_user("d001", ids[0])
    return admin, ids[0], ids[1]


def _send(console: Console, page: Page, file: Path, kind: str = "流向（销售明细）") -> None:
    console.open(page, "/portal/upload")
    page.get_by_text(kind, exact=True).click()
    page.locator("input[type=file]").set_input_files(str(file))
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing sticks out sideways on a phone
    console.shot(page, "upload")
    page.get_by_role("button", name=re.compile("^上\\s*传$")).click()
    page.wait_for_url(re.compile(r"/console/flow/loads/[0-9A-Z]{26}$"))


def test_a_distributor_uploads_its_sample_file_sees_it_accepted_with_errors_and_downloads_the_report(
    console: Console,
) -> None:
    admin = console.world.as_user("admin")
    with (FLOW_SAMPLES / "master" / "products.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            assert admin.post("/products", json={**row, "case_size": int(row["case_size"])}).status_code == 201
    body = {"name": "苏州同仁医药有限公司", "code": "D001", "status": "active",
            "profile": {"type": "distributor", "tier": "tier1"}}  # fmt: skip
    console.add_distributor_user("d001", admin.post("/customers", json=body).json()["id"])
    sample = FLOW_SAMPLES / "flow" / "D001" / "2026-10" / "流向_D001_2026-10.csv"
    truth = json.loads((FLOW_SAMPLES / "truth.json").read_text())["flow/D001/2026-10/流向_D001_2026-10.csv"]

    page = console.page_as("d001")
    expect(page).to_have_url(re.compile(r"/console/portal/upload$"))  # a distributor's home is its upload page
    expect(page.get_by_role("menuitem", name="客户档案")).to_have_count(0)
    month = page.get_by_label("所属月份")
    month.click()
    month.fill("2026-10")
    month.press("Enter")
    console.shot(page, "upload")
    page.locator("input[type=file]").set_input_files(str(sample))
    page.get_by_role("button", name=re.compile("^上\\s*传$")).click()
    page.wait_for_url(re.compile(r"/console/flow/loads/[0-9A-Z]{26}$"))
    expect(page.get_by_test_id("load-status")).to_have_text("部分导入（有错误行）", timeout=60_000)
    expect(page.get_by_role("row").filter(has_text="行数")).to_contain_text(str(truth["data_rows"]))
    console.shot(page, "accepted-with-errors")

    with page.expect_download() as download:
        page.get_by_role("button", name="下载错误报告（CSV）").click()
    report = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(report) - 1 == len(truth["rejected"]), report[:3]  # a line per bad row, under its header


def test_a_distributor_cannot_reach_another_distributors_loads(console: Console, tmp_path: Path) -> None:
    admin, mine, other = _setup(console)
    from tests.e2e.uploads import upload_flow

    row = "2026-10-03,P1001,阿莫西林胶囊,,B1,1,盒,某药店,\n"
    own = upload_flow(admin, mine, "2026-10", (FLOW_HEADER + row).encode(), file_name="同仁流向.csv")
    theirs = upload_flow(
        admin, other, "2026-10", (FLOW_HEADER + "2026-10-03,P1001,阿莫西林胶囊,,B1,1,盒,某药店,\n").encode()
    )
    page = console.page_as("d001")
    console.open(page, f"/flow/loads/{theirs['id']}")
    expect(page.get_by_text("文件不存在", exact=False)).to_be_visible()
    console.shot(page, "other-distributors-load")
    console.open(page, "/flow/loads")
    expect(page.get_by_role("link", name=own["file_name"], exact=True)).to_be_visible()  # its own is listed
    expect(page.get_by_role("link", name=theirs["file_name"], exact=True)).to_have_count(0)  # the other's is not
    console.shot(page, "own-history")


def test_a_file_in_its_own_layout_is_mapped_saved_and_imported_again_on_a_phone(
    console: Console, tmp_path: Path
) -> None:
    _setup(console)
    file = tmp_path / "发货明细.txt"
    compact = LAST_MONTH.replace("-", "")
    file.write_text(
        f"出货日期\t物料号\t物料名称\t件数\t计量\t收货方\n{compact}03\tP1001\t阿莫西林胶囊\t2\t盒\t苏州市姑苏区仁和药店\n",
        encoding="utf-8",
    )
    page = console.page_as("d001", viewport=PHONE)
    _send(console, page, file)
    expect(page.get_by_test_id("load-status")).to_have_text("已拒收", timeout=60_000)
    expect(page.get_by_test_id("rejection-reason")).to_have_text("文件缺少必需的列")  # said in its words, not code
    expect(page.get_by_test_id("missing-columns")).to_contain_text("销售日期")
    step = page.get_by_test_id("mapping-step")
    expect(step).to_be_visible()
    console.shot(page, "rejected-mapping-step")
    for column, header in (("销售日期", "出货日期"), ("产品编码", "物料号"), ("数量", "件数"), ("单位", "计量"),
                           ("客户名称", "收货方")):  # fmt: skip
        console.choose(page, column, header)
    console.choose(page, "日期格式", "YYYYMMDD")
    expect(step.get_by_role("cell", name=f"{compact}03")).to_be_visible()  # the preview reads the file as mapped
    console.shot(page, "mapped")
    step.get_by_role("button", name="保存模板并重新导入").click()
    page.wait_for_function("() => !document.querySelector('[data-testid=mapping-step]')")
    expect(page.get_by_test_id("load-status")).to_have_text("已导入", timeout=60_000)
    console.shot(page, "imported-again")
    stored = console.world.as_user("admin").get("/flow-loads").json()["items"]
    assert [load["status"] for load in stored if load["file_name"] == "发货明细.txt"] == ["accepted", "rejected"]


def test_a_distributor_orders_for_itself_and_follows_the_order(console: Console) -> None:
    _, mine, _ = _setup(console)
    finance = console.world.as_user("finance.wu")
    prices = {"items": [{"customer_type": "distributor", "level": None, "unit_price": "9.80"}]}
    assert finance.request("PUT", "/products/P1001/prices", json=prices, headers={"If-Match": '"0"'}).status_code == 200
    page = console.page_as("d001")
    console.open(page, "/orders/new")
    _pick(page, "客户", "苏州同仁", "苏州同仁医药有限公司")
    _pick(page, "产品 1", "阿莫西林", re.compile("阿莫西林"))
    expect(page.get_by_test_id("list-price-1")).to_have_text("¥9.80")
    page.get_by_label("数量 1", exact=True).fill("100")
    console.shot(page, "distributor-order")
    page.get_by_role("button", name="保存并提交审批").click()
    page.wait_for_url(re.compile(r"/console/orders/[0-9A-Z]{26}$"))
    expect(page.get_by_test_id("order-state")).to_have_text("审批中")
    expect(page.get_by_test_id("order-total")).to_have_text("¥980.00")
    console.shot(page, "distributor-order-submitted")
    order_id = page.url.rsplit("/", 1)[1]
    mine_listed = console.world.as_user("admin").get("/orders", params={"customer_id": mine}).json()["items"]
    assert [o["id"] for o in mine_listed] == [order_id]


def test_a_distributor_sees_its_own_channel_stock_month_and_names_waiting(console: Console) -> None:
    admin, mine, _ = _setup(console)
    from tests.e2e.uploads import upload_flow

    rows = f"{LAST_MONTH}-03,P1001,阿莫西林胶囊,,B1,2,盒,苏州新开诊所,\n"
    assert upload_flow(admin, mine, LAST_MONTH, (FLOW_HEADER + rows).encode())["status"] == "accepted"
    page = console.page_as("d001")
    console.open(page, "/channel/inventory")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("结\\s*账"))).to_have_count(0)  # closing a month is HQ's
    expect(page.get_by_label("经销商")).to_have_count(0)  # only its own: nothing to choose
    expect(page.get_by_text("阿莫西林胶囊").first).to_be_visible()
    console.shot(page, "own-stock-month")
    page.get_by_role("tab", name="调整单").click()
    expect(page.get_by_role("tabpanel").get_by_role("table")).to_be_visible()
    expect(page.get_by_role("button", name="新建调整单")).to_have_count(0)  # the office asks for adjustments
    console.shot(page, "own-adjustments")
    console.open(page, "/flow/reviews")
    expect(page.get_by_role("cell", name="苏州新开诊所")).to_be_visible()  # its unmatched buyer, read only
    expect(page.get_by_role("button", name="确认为此客户")).to_have_count(0)
    console.shot(page, "names-waiting")


def _approved(console: Console, order_id: str) -> None:
    """The order's approval decided by whichever office manager it reached."""
    deadline = time.monotonic() + 20
    managers = [console.world.as_user(u) for u in ("admin", "east.head", "eastrx.head")]
    while True:
        for manager in managers:
            entries = [i for i in manager.get("/approvals/inbox").json()["items"] if i["subject_id"] == order_id]
            if entries:
                decided = manager.post(f"/approvals/{entries[0]['approval_id']}/decision", json={"decision": "approve"})
                assert decided.status_code == 200, decided.text
                return
        assert time.monotonic() < deadline, "the approval never reached an inbox"
        time.sleep(0.2)


def test_a_distributor_starts_an_order_from_its_list_and_returns_part_of_a_shipment(console: Console) -> None:
    admin, mine, _ = _setup(console)
    finance = console.world.as_user("finance.wu")
    prices = {"items": [{"customer_type": "distributor", "level": None, "unit_price": "9.80"}]}
    assert finance.request("PUT", "/products/P1001/prices", json=prices, headers={"If-Match": '"0"'}).status_code == 200
    itself = console.world.as_new_user("u-d001-api", "EAST", ["distributor"], mine, username="d001")  # through HTTP
    order = itself.post("/orders", json={"customer_id": mine, "lines": [{"sku": "P1001", "quantity": 10}]})
    assert order.status_code == 201, order.text
    oid = order.json()["id"]
    submitted = itself.post(f"/orders/{oid}/submit", json={})
    assert submitted.status_code == 200, submitted.text
    _approved(console, oid)
    erp = console.world.as_user("erp")
    deadline = time.monotonic() + 20
    while admin.get(f"/orders/{oid}").json()["state"] != "approved":
        assert time.monotonic() < deadline, "the order was never approved"
        time.sleep(0.2)
    assert erp.post(f"/integration/orders/{oid}/processed", json={"erp_order_no": "SO-88"}).status_code == 200
    shipment = {
        "delivery_no": "DN-88",
        "outbound_no": "OB-88",
        "lines": [{"sku": "P1001", "batch": "B88", "quantity": 6}],
    }
    assert erp.post(f"/integration/orders/{oid}/shipments", json=shipment).status_code == 200

    page = console.page_as("d001")
    console.open(page, "/orders")
    expect(page.get_by_role("cell", name="苏州同仁医药有限公司")).to_be_visible()
    console.shot(page, "its-orders")
    page.get_by_role("button", name="新建订单").click()
    expect(page).to_have_url(re.compile(r"/console/orders/new$"))
    console.shot(page, "new-order-from-the-list")

    console.open(page, f"/orders/{oid}")
    expect(page.get_by_test_id("order-state")).to_have_text("已发货")
    page.get_by_role("tab", name="退货").click()
    page.get_by_role("button", name="新建退货").click()
    dialog = page.get_by_role("dialog")
    quantity = dialog.get_by_label("退货数量 P1001 B88")
    expect(quantity).to_have_attribute("placeholder", "≤ 6")  # what was shipped to it, not what it ordered
    quantity.fill("2")
    dialog.get_by_label("退货原因").fill("近效期")
    console.shot(page, "its-return")
    dialog.get_by_role("button", name="新建退货").click()
    page.wait_for_url(re.compile(r"/console/returns/[0-9A-Z]{26}$"))
    expect(page.get_by_test_id("return-state")).to_have_text("审批中")
    expect(page.get_by_role("tabpanel").get_by_role("cell", name="¥19.60")).to_be_visible()  # 2 at its 9.80
    console.shot(page, "its-return-waiting")
