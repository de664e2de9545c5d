"""The reps' phone app (issue 18): an installable web app at /console/m/ on a phone, with the phone's position,
checking in inside the customer's fence and refused 2 km away, recording a visit with no network and syncing it
once, and opening again with no network at all."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Client
from tests.e2e.test_visits import today

from .conftest import TIMEZONE, Console

SHOP = {"lat": 31.2990, "lng": 120.5853}  # 苏州市姑苏区
TWO_KM_AWAY = {"latitude": 31.2990 + 0.018, "longitude": 120.5853}  # 0.018° of latitude is about 2 km
AT_THE_SHOP = {"latitude": SHOP["lat"] + 0.0002, "longitude": SHOP["lng"]}  # about 20 m


def _plan(console: Console, names: list[str]) -> tuple[Client, list[dict[str, Any]]]:
    admin = console.world.as_user("admin")
    current = admin.get("/visit-policy")
    policy = {**current.json(), "geofence_radius_m": 300, "outside_geofence": "refuse"}
    assert admin.put("/visit-policy", json=policy, headers={"If-Match": current.headers["ETag"]}).status_code == 200
    zhang = console.world.as_user("rep.zhang")
    customers = []
    for name in names:
        body = {"name": name, "profile": {"type": "terminal", "kind": "pharmacy"}, "location": SHOP,
                "address": "苏州市姑苏区人民路 100 号", "level": "A"}  # fmt: skip
        r = zhang.post("/customers", json=body)
        assert r.status_code == 201, r.text
        customers.append(r.json())
    items = [{"customer_id": c["id"], "planned_on": today(), "sequence": i + 1} for i, c in enumerate(customers)]
    planned = zhang.post("/visit-plans", json={"items": items})
    assert planned.status_code in (200, 201), planned.text
    return zhang, planned.json()["items"]


def _open_app(console: Console, geolocation: dict[str, float]) -> Page:
    context = console.browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN",
        timezone_id=TIMEZONE, geolocation=geolocation, permissions=["geolocation"],
    )  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(console.url("/m/"))
    page.locator(f'button[value="{console.username("rep.zhang")}"]').click()
    page.wait_for_url(re.compile(r"/console/m/$"))
    expect(page.get_by_role("heading", name=re.compile("今日拜访"))).to_be_visible()
    return page


def test_a_rep_checks_in_inside_the_fence_and_is_refused_two_km_away(console: Console) -> None:
    _, visits = _plan(console, ["苏州市姑苏区仁和药店", "苏州市姑苏区康宁药店"])
    page = _open_app(console, AT_THE_SHOP)
    console.shot(page, "today")
    page.get_by_text("苏州市姑苏区仁和药店").click()
    page.get_by_role("button", name=re.compile("签\\s*到")).click()
    expect(page.get_by_test_id("outcome")).to_contain_text("已签到，距离客户")
    expect(page.get_by_test_id("visit-state")).to_have_text("已签到")
    console.shot(page, "checked-in")

    page.context.set_geolocation(TWO_KM_AWAY)
    page.get_by_role("button", name="返 回").or_(page.get_by_role("button", name="返回")).click()
    page.get_by_text("苏州市姑苏区康宁药店").click()
    page.get_by_role("button", name=re.compile("签\\s*到")).click()
    expect(page.get_by_test_id("outcome")).to_contain_text(re.compile(r"未能签到：距离客户 (19|20|21)\d\d 米"))
    expect(page.get_by_test_id("visit-state")).to_have_text("计划中")
    console.shot(page, "refused-2km")
    assert console.world.as_user("rep.zhang").get(f"/visits/{visits[1]['id']}").json()["state"] == "planned"


def test_a_visit_recorded_offline_syncs_once_when_back_online(console: Console) -> None:
    zhang, visits = _plan(console, ["苏州市姑苏区百姓药房"])
    page = _open_app(console, AT_THE_SHOP)
    page.get_by_text("苏州市姑苏区百姓药房").click()
    expect(page.get_by_text("苏州市姑苏区人民路 100 号")).to_be_visible()

    page.context.set_offline(True)
    expect(page.get_by_test_id("network")).to_have_text("离线")
    page.get_by_role("button", name=re.compile("签\\s*到")).click()
    expect(page.get_by_test_id("outcome")).to_contain_text("已保存在手机上")
    page.get_by_label("拜访记录").fill("店长同意下月进货阿莫西林")
    page.get_by_role("button", name="添加记录").click()
    page.get_by_label("跟进事项").fill("送宣传资料")
    page.get_by_role("button", name="添加待办").click()
    page.get_by_role("button", name=re.compile("签\\s*退")).click()
    expect(page.get_by_test_id("waiting")).to_have_text("4 条待同步")
    expect(page.get_by_test_id("sign-out")).to_be_disabled()  # the visit goes before the rep may sign out
    console.shot(page, "offline-queue")
    queued = page.evaluate("""() => new Promise((resolve) => { const open = indexedDB.open("crm-rep");
        open.onsuccess = () => { const all = open.result.transaction("queue").objectStore("queue").getAll();
        all.onsuccess = () => resolve(all.result.map((item) => item.action)); }; })""")
    assert sorted(a["type"] for a in queued) == ["check_in", "check_out", "note", "task"]
    assert zhang.get(f"/visits/{visits[0]['id']}").json()["state"] == "planned"  # nothing reached the server

    page.context.set_offline(False)
    expect(page.get_by_test_id("sync-results")).to_contain_text("已同步：4 条生效", timeout=30_000)
    expect(page.get_by_test_id("waiting")).to_have_count(0)
    console.shot(page, "synced")
    page.reload()
    page.get_by_text("苏州市姑苏区百姓药房").click()
    expect(page.get_by_role("listitem").filter(has_text="店长同意下月进货阿莫西林")).to_have_count(1)
    expect(page.get_by_role("listitem").filter(has_text="送宣传资料")).to_have_count(1)  # once, in the tasks
    expect(page.get_by_test_id("visit-state")).to_have_text("已签退")
    console.shot(page, "after-reload")

    again = zhang.post("/visits/sync", json={"actions": queued}).json()  # the same queue sent a second time
    assert {r["status"] for r in again["results"]} == {"already_applied"}, again
    visit = zhang.get(f"/visits/{visits[0]['id']}").json()
    assert visit["state"] == "checked_out"
    assert [n["text"] for n in visit["notes"]] == ["店长同意下月进货阿莫西林"]
    assert [t["title"] for t in visit["tasks"]] == ["送宣传资料"]


def test_the_app_opens_with_no_network_after_its_first_visit(console: Console) -> None:
    _plan(console, ["苏州市姑苏区益民药店"])
    page = _open_app(console, AT_THE_SHOP)
    expect(page.get_by_text("苏州市姑苏区益民药店")).to_be_visible()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null || navigator.serviceWorker.ready")
    page.reload()  # the service worker controls the page from here on
    expect(page.get_by_text("苏州市姑苏区益民药店")).to_be_visible()
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name=re.compile("今日拜访"))).to_be_visible()
    expect(page.get_by_text("苏州市姑苏区益民药店")).to_be_visible()  # today's visits from the last answer
    expect(page.get_by_test_id("network")).to_have_text("离线")
    console.shot(page, "offline-start")


def test_signing_out_leaves_none_of_the_reps_answers_on_the_phone(console: Console) -> None:
    _plan(console, ["苏州市姑苏区仁济药房"])
    page = _open_app(console, AT_THE_SHOP)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null || navigator.serviceWorker.ready")
    page.reload()  # the service worker keeps the answers from here on
    expect(page.get_by_text("苏州市姑苏区仁济药房")).to_be_visible()
    kept = "async () => (await caches.has('crm-rep-api')) && (await (await caches.open('crm-rep-api')).keys()).length"
    assert page.evaluate(kept) > 0  # today's visits, for a day without network
    console.shot(page, "before-sign-out")

    page.get_by_test_id("sign-out").click()
    page.wait_for_url(re.compile(r"/_local/oauth2/authorize"))  # back to the app, which asks who signs in
    page.wait_for_load_state()
    expect(page.locator(f'button[value="{console.username("rep.zhang")}"]')).to_be_visible()
    assert page.evaluate(kept) == 0
    page.context.set_offline(True)  # the next person opens the app with no network: the shell, no customer
    page.goto(console.url("/m/"))
    expect(page.get_by_test_id("signed-out")).to_contain_text("未登录：手机联网后即可登录")
    expect(page.get_by_text("苏州市姑苏区仁济药房")).to_have_count(0)
    console.shot(page, "next-person-offline")
    page.context.set_offline(False)  # and once online, the app asks who signs in
    page.wait_for_url(re.compile(r"/_local/oauth2/authorize"))


def test_a_photo_taken_offline_is_shrunk_and_uploads_when_back_online(console: Console, tmp_path) -> None:
    zhang, visits = _plan(console, ["苏州市姑苏区光明药店"])
    page = _open_app(console, AT_THE_SHOP)
    page.get_by_text("苏州市姑苏区光明药店").click()
    page.get_by_role("button", name=re.compile("签\\s*到")).click()
    expect(page.get_by_test_id("visit-state")).to_have_text("已签到")
    # A camera-sized picture (4000 x 3000), made in the browser so the test ships no image.
    photo = tmp_path / "shelf.png"
    data = page.evaluate("""async () => { const c = new OffscreenCanvas(4000, 3000); const g = c.getContext("2d");
        g.fillStyle = "#c00"; g.fillRect(0, 0, 4000, 3000); const b = await c.convertToBlob({ type: "image/png" });
        return Array.from(new Uint8Array(await b.arrayBuffer())); }""")
    photo.write_bytes(bytes(data))

    page.context.set_offline(True)
    page.get_by_label("拍照").set_input_files(str(photo))
    expect(page.get_by_test_id("outcome")).to_contain_text("照片已保存，联网后上传")
    expect(page.get_by_test_id("waiting")).to_have_text("1 条待同步")
    page.context.set_offline(False)
    expect(page.get_by_test_id("sync-results")).to_contain_text("已同步：1 条生效", timeout=30_000)
    console.shot(page, "photo-synced")
    for _ in range(40):  # the upload and its link follow the sync's answer
        photos = zhang.get(f"/visits/{visits[0]['id']}").json().get("photos") or []
        if photos and all(p["status"] == "linked" for p in photos):
            break
        page.wait_for_timeout(250)
    assert [p["status"] for p in photos] == ["linked"], photos
    assert photos[0]["content_type"] == "image/jpeg" and 0 < photos[0]["size"] < 500_000  # shrunk on the phone


def test_a_customer_asks_for_goods_on_the_visit_and_a_draft_order_is_saved(console: Console) -> None:
    admin = console.world.as_user("admin")
    product = {"sku": "P1001", "name": "阿莫西林胶囊", "spec": "0.25g*24粒", "base_unit": "盒", "case_size": 60}
    assert admin.post("/products", json=product).status_code == 201
    prices = {"items": [{"customer_type": "terminal", "level": None, "unit_price": "12.50"}]}
    finance = console.world.as_user("finance.wu")
    assert finance.request("PUT", "/products/P1001/prices", json=prices, headers={"If-Match": '"0"'}).status_code == 200
    zhang, visits = _plan(console, ["苏州市姑苏区惠康药店"])
    page = _open_app(console, AT_THE_SHOP)
    page.get_by_text("苏州市姑苏区惠康药店").click()
    page.get_by_role("button", name=re.compile("签\\s*到")).click()
    expect(page.get_by_test_id("visit-state")).to_have_text("已签到")
    console.choose(page, "产品", re.compile("阿莫西林胶囊"))
    page.get_by_label("数量").fill("4")
    page.get_by_role("button", name="提交要货").click()
    expect(page.get_by_test_id("order-answer")).to_have_text("已生成待提交的订单：¥50.00")
    console.shot(page, "order-request")
    orders = zhang.get("/orders", params={"customer_id": visits[0]["customer_id"]}).json()["items"]
    assert [(o["state"], o["total"]) for o in orders] == [("saved", "50.00")]
