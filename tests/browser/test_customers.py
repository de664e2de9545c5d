"""The customer archive in the console, as HQ staff and reps use it (issue 17's done-when scenarios among them)."""

from __future__ import annotations

import contextlib
import json
import re
import time

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.e2e.conftest import terminal

from .conftest import Console


def _create_in_form(console: Console, page, name: str, city: str) -> None:
    console.open(page, "/customers/new")
    page.get_by_label("名称", exact=True).fill(name)
    page.get_by_label("城市", exact=True).fill(city)
    page.get_by_role("button", name="创 建").or_(page.get_by_role("button", name="创建")).click()


def test_an_hq_admin_creates_a_customer_and_a_second_with_the_same_name_shows_the_candidate(console: Console) -> None:
    page = console.page_as("admin")
    console.shot(page, "home")
    _create_in_form(console, page, "杭州市西湖区同仁药店", "杭州市")
    page.wait_for_url(re.compile(r"/console/customers/[0-9A-Z]{26}$"))
    first_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_role("heading", name="杭州市西湖区同仁药店")).to_be_visible()
    expect(page.get_by_text("杭州市", exact=True)).to_be_visible()
    console.shot(page, "customer-created")

    _create_in_form(console, page, "杭州市西湖区同仁药店", "杭州市")
    duplicates = page.get_by_test_id("duplicates")
    expect(duplicates).to_contain_text("可能重复的客户")
    expect(duplicates.get_by_role("link", name="杭州市西湖区同仁药店")).to_have_attribute(
        "href", f"/console/customers/{first_id}"
    )
    expect(duplicates.get_by_role("button", name="确认不是重复，仍然创建")).to_be_visible()  # an HQ admin may
    console.shot(page, "duplicate-candidates")
    assert "/customers/new" in page.url  # nothing was created, the form is still there
    assert page.get_by_label("名称", exact=True).input_value() == "杭州市西湖区同仁药店"


def test_a_rep_saving_over_a_colleagues_change_sees_the_fresh_record_and_keeps_both(console: Console) -> None:
    zhang = console.world.as_user("rep.zhang")
    created = zhang.post("/customers", json=terminal("苏州平安大药房", phone="0512-6000001"))
    assert created.status_code == 201, created.text
    customer = created.json()

    page = console.page_as("rep.zhang")
    console.open(page, f"/customers/{customer['id']}/edit")
    page.get_by_label("地址", exact=True).fill("苏州市姑苏区人民路 100 号")
    console.shot(page, "editing")

    # Meanwhile the department head changes the phone number.
    head = console.world.as_user("eastrx.head")
    current = head.get(f"/customers/{customer['id']}")
    changed = head.patch(
        f"/customers/{customer['id']}", json={"phone": "0512-6999999"}, headers={"If-Match": current.headers["ETag"]}
    )
    assert changed.status_code == 200, changed.text

    page.get_by_role("button", name=re.compile("保\\s*存")).click()
    conflict = page.get_by_test_id("conflict")
    expect(conflict).to_contain_text("该客户已被他人修改")
    expect(conflict).to_contain_text("0512-6999999")  # the fresh record, with the colleague's change
    console.shot(page, "conflict")
    assert page.get_by_label("地址", exact=True).input_value() == "苏州市姑苏区人民路 100 号"  # nothing typed is lost

    conflict.get_by_role("button", name="以最新记录为准，重新应用我的修改").click()
    page.get_by_role("button", name=re.compile("保\\s*存")).click()
    page.wait_for_url(re.compile(rf"/console/customers/{customer['id']}$"))
    expect(page.get_by_text("苏州市姑苏区人民路 100 号")).to_be_visible()
    expect(page.get_by_text("0512-6999999")).to_be_visible()  # the colleague's change is kept too
    console.shot(page, "saved-over-fresh")


def test_a_rep_cannot_see_another_reps_customer(console: Console) -> None:
    zhang = console.world.as_user("rep.zhang")
    customer = zhang.post("/customers", json=terminal("常州张氏药店")).json()

    page = console.page_as("rep.liu")
    console.open(page, f"/customers/{customer['id']}")
    expect(page.get_by_text("客户不存在，或不在您的权限范围内")).to_be_visible()
    expect(page.get_by_text("常州张氏药店")).to_have_count(0)
    console.shot(page, "not-found")

    console.open(page, "/customers?q=常州张氏")
    expect(page.get_by_text("暂无数据")).to_be_visible()
    console.shot(page, "list-without-it")


def test_what_was_typed_survives_an_expired_session(console: Console) -> None:
    page = console.page_as("rep.zhang")
    console.open(page, "/customers/new")
    page.get_by_label("名称", exact=True).fill("无锡市惠山区康宁诊所")
    # The session dies (a token the API refuses, as after a revoked sign-in): the next call answers 401.
    page.evaluate(
        """() => { const t = JSON.parse(localStorage.getItem("crm.tokens"));
                   t.idToken = t.idToken.slice(0, -4) + "AAAA";
                   localStorage.setItem("crm.tokens", JSON.stringify(t)); }"""
    )
    # The next call answers 401 and sends the user to sign in: the click's, unless a background call (the unread
    # count) meets the dead session first and the page is already on its way there.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.get_by_role("button", name=re.compile("创\\s*建")).click(timeout=5_000)
    page.wait_for_url(re.compile(r"/_local/oauth2/authorize"))
    console.shot(page, "sign-in-again")
    page.locator(f'button[value="{console.username("rep.zhang")}"]').click()
    page.wait_for_url(re.compile(r"/console/customers/new$"))
    expect(page.get_by_label("名称", exact=True)).to_have_value("无锡市惠山区康宁诊所")
    console.shot(page, "draft-restored")


def test_a_token_about_to_expire_is_refreshed_before_the_call(console: Console) -> None:
    page = console.page_as("admin")
    page.evaluate("""() => { const t = JSON.parse(localStorage.getItem("crm.tokens"));
        t.expiresAt = Date.now() + 60000; localStorage.setItem("crm.tokens", JSON.stringify(t)); }""")
    with page.expect_request(lambda r: r.url.endswith("/oauth2/token") and "refresh_token" in (r.post_data or "")):
        console.open(page, "/customers")
    expect(page.get_by_role("heading", name="客户档案")).to_be_visible()
    after = json.loads(page.evaluate('() => localStorage.getItem("crm.tokens")'))
    assert after["expiresAt"] > (time.time() + 50 * 60) * 1000  # a fresh token lives an hour
    assert page.url.endswith("/console/customers")  # no trip to the sign-in page


def test_the_console_speaks_english_when_asked(console: Console) -> None:
    console.world.as_user("admin").post("/customers", json=terminal("合肥市蜀山区益民药房"))
    page = console.page_as("admin")
    console.open(page, "/customers")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Status")).to_be_visible()
    console.shot(page, "customers-english")
    page.reload()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()  # the choice is kept


def test_every_tab_of_the_customer_page_opens_without_an_error(console: Console) -> None:
    admin = console.world.as_user("admin")
    distributor = admin.post(
        "/customers",
        json={"name": "苏州同仁医药有限公司", "profile": {"type": "distributor", "tier": "tier1"}, "code": "D001"},
    ).json()
    pharmacy = admin.post("/customers", json=terminal("苏州市姑苏区仁和药店", upstream_id=distributor["id"])).json()
    page = console.page_as("admin")
    console.open(page, f"/customers/{distributor['id']}")
    tabs = [tab.inner_text() for tab in page.get_by_role("tab").all()]
    assert tabs == [
        "基本信息",
        "联系人",
        "等级",
        "别名",
        "上下游",
        "拜访",
        "订单",
        "流向",
        "终端销售",
        "渠道库存",
        "协议",
        "变更记录",
    ]
    for index, tab in enumerate(tabs):
        page.get_by_role("tab", name=tab).click()
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("alert")).to_have_count(0)
        console.shot(page, f"tab-{index:02d}")
    page.get_by_role("tab", name="上下游").click()
    expect(page.get_by_role("link", name="苏州市姑苏区仁和药店")).to_have_attribute(
        "href", f"/console/customers/{pharmacy['id']}"
    )
