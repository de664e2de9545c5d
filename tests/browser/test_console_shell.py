"""The console around the pages: each role's home, the menu on a tablet, signing out, and the customer actions
(void and restore, a level-change request, a leaving rep's hand-over) done through the page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import terminal

from .conftest import Console

TABLET = {"width": 820, "height": 1180}


def test_each_role_lands_on_its_own_home(console: Console) -> None:
    zhang = console.world.as_user("rep.zhang")
    assert zhang.post("/customers", json=terminal("嘉兴市南湖区济民药房", level="A")).status_code == 201

    rep = console.page_as("rep.zhang")
    expect(rep.get_by_role("heading", name="张伟，您好")).to_be_visible()
    expect(rep.get_by_text("我的客户")).to_be_visible()
    expect(rep.get_by_role("link", name="嘉兴市南湖区济民药房")).to_be_visible()
    expect(rep.get_by_text("待我审批")).to_have_count(0)  # a rep approves nothing
    expect(rep.get_by_role("menuitem", name="离职交接")).to_have_count(0)
    console.shot(rep, "rep-home")

    head = console.page_as("eastrx.head")
    expect(head.get_by_text("待我审批")).to_be_visible()
    expect(head.get_by_role("menuitem", name="离职交接")).to_be_visible()
    console.shot(head, "dept-head-home")


def test_the_console_stays_usable_on_a_tablet(console: Console) -> None:
    console.world.as_user("admin").post("/customers", json=terminal("湖州市吴兴区康复药店"))
    page = console.page_as("admin", viewport=TABLET)
    console.open(page, "/customers")
    expect(page.get_by_role("link", name="湖州市吴兴区康复药店")).to_be_visible()
    expect(page.get_by_role("menuitem", name="客户档案")).not_to_be_visible()  # the menu folds away
    console.shot(page, "tablet-list")
    page.get_by_role("button", name="菜单").click()
    home = page.get_by_role("menuitem", name="首页")
    expect(home).to_be_visible()
    page.wait_for_timeout(400)  # the menu slides in; a click while it moves may land beside the item
    home.click()
    expect(page).to_have_url(re.compile(r"/console/?$"))
    console.shot(page, "tablet-home")


def test_signing_out_ends_the_session_and_leaves_nothing_typed_behind(console: Console) -> None:
    page = console.page_as("admin")
    console.open(page, "/customers/new")
    page.get_by_label("名称", exact=True).fill("嘉兴市南湖区未存诊所")  # a draft, kept for a 401 mid-edit
    page.get_by_test_id("user-menu").hover()
    page.get_by_text("退出登录").click()
    page.wait_for_url(re.compile(r"/_local/oauth2/authorize"))
    console.shot(page, "signed-out")
    console.open(page, "/customers")
    expect(page).to_have_url(re.compile(r"/_local/oauth2/authorize"))  # no way back in without signing in

    page.locator(f'button[value="{console.username("rep.zhang")}"]').click()  # the next person at this PC
    page.wait_for_url(re.compile(r"/console/customers$"))
    console.open(page, "/customers/new")
    expect(page.get_by_label("名称", exact=True)).to_have_value("")


def test_a_manager_voids_and_restores_a_customer_with_reasons(console: Console) -> None:
    customer = console.world.as_user("rep.zhang").post("/customers", json=terminal("绍兴市越城区同心诊所")).json()
    page = console.page_as("eastrx.head")
    console.open(page, f"/customers/{customer['id']}")
    page.get_by_role("button", name="作 废").or_(page.get_by_role("button", name="作废")).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("作废原因").fill("重复建档")
    dialog.get_by_role("button", name=re.compile("确\\s*定|OK")).click()
    expect(page.get_by_text("已作废", exact=True)).to_be_visible()
    expect(page.get_by_text("作废原因: 重复建档")).to_be_visible()
    # the dialog is one for void and restore: reopened while it still closes (a loaded machine), antd drops its form
    expect(dialog).to_have_count(0)
    console.shot(page, "voided")

    page.get_by_role("button", name=re.compile("恢\\s*复")).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("原因").fill("误操作")
    dialog.get_by_role("button", name=re.compile("确\\s*定|OK")).click()
    expect(page.get_by_text("客户已恢复")).to_be_visible()
    expect(page.get_by_text("已作废", exact=True)).to_have_count(0)
    console.shot(page, "restored")
    history = console.world.as_user("eastrx.head").get(f"/customers/{customer['id']}/history").json()["items"]
    assert {"void", "restore"} <= {entry["action"] for entry in history}


def test_a_rep_asks_for_a_level_change_and_it_waits_in_the_managers_inbox(console: Console) -> None:
    customer = console.world.as_user("rep.zhang").post("/customers", json=terminal("舟山市定海区海岛药房")).json()
    page = console.page_as("rep.zhang")
    console.open(page, f"/customers/{customer['id']}")
    page.get_by_role("button", name="申请调整等级").click()
    dialog = page.get_by_role("dialog")
    console.choose(page, "等级", "A")
    dialog.get_by_label("原因").fill("月销量已达 A 类标准")
    dialog.get_by_role("button", name=re.compile("确\\s*定|OK")).click()
    expect(page.get_by_text("等级调整已提交")).to_be_visible()
    console.shot(page, "level-requested")
    head = console.world.as_user("eastrx.head")
    expect(page.get_by_text("等级调整已提交")).to_be_visible()
    for _ in range(40):  # the approval's run puts it in the inbox as its first step starts
        inbox = head.get("/approvals/inbox").json()["items"]
        if inbox:
            break
        page.wait_for_timeout(500)
    assert [(e["kind"], e["subject_id"]) for e in inbox] == [("level_change", customer["id"])]


def test_a_manager_hands_a_leaving_reps_customers_over(console: Console) -> None:
    zhang = console.world.as_user("rep.zhang")
    for name in ("宁波市海曙区仁心药店", "宁波市江北区惠康诊所"):
        assert zhang.post("/customers", json=terminal(name)).status_code == 201
    page = console.page_as("eastrx.head")
    console.open(page, "/handovers")
    console.choose(page, "离职人员", re.compile("张伟"))
    console.choose(page, "接手人员", re.compile("刘洋"))
    page.get_by_label("原因").fill("张伟离职")
    page.get_by_role("button", name="开始交接").click()
    expect(page.get_by_text("交接完成：转移 2 个客户")).to_be_visible(timeout=60_000)
    console.shot(page, "handover-done")
    liu = console.world.as_user("rep.liu").get("/customers").json()["items"]
    assert {c["name"] for c in liu} >= {"宁波市海曙区仁心药店", "宁波市江北区惠康诊所"}
