"""Field visits end to end: HTTP into the local runtime, the real visits function, emulated DynamoDB and S3.

Positions are real: the test customer stands at 苏州观前街 (31.3100, 120.6200); 0.018° of latitude is 2 km.
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from crm.ids import new_id

from tests.e2e.conftest import Client, World, terminal
from tests.e2e.uploads import is_sigv4, send, sent

HOME = {"lat": 31.3100, "lng": 120.6200}
NEAR = {"lat": 31.3104, "lng": 120.6200}  # ~45 m north
FAR = {"lat": 31.3280, "lng": 120.6200}  # ~2 km north


def problem(r: requests.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    return r.json()


def ok(r: requests.Response, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()


def today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def ago(minutes: float, now: datetime | None = None) -> str:
    return ((now or datetime.now(UTC)) - timedelta(minutes=minutes)).isoformat()


def customer(client: Client, level: str | None = "B", location: dict | None = HOME) -> dict[str, Any]:
    extra: dict[str, Any] = {"level": level} if level else {}
    if location:
        extra["location"] = location
    return ok(client.post("/customers", terminal(f"拜访药店{uuid.uuid4().hex[:6]}", **extra)), 201)


def plan(client: Client, c: dict, **extra: Any) -> dict[str, Any]:
    return ok(client.post("/visits", {"customer_id": c["id"], "planned_on": today(), **extra}), 201)


def check_in(client: Client, visit_id: str, where: dict, **extra: Any) -> requests.Response:
    return client.post(f"/visits/{visit_id}/check-in", {**where, **extra})


def set_policy(world: World, **fields: Any) -> dict[str, Any]:
    admin = world.as_user("admin")
    current = admin.get("/visit-policy")
    body = {**current.json(), **fields}
    return ok(admin.put("/visit-policy", body, headers={"If-Match": current.headers["ETag"]}))


# ------------------------------------------------------------------ geofence


def test_check_in_2_km_away_is_refused_by_default(world: World):
    zhang = world.as_user("rep.zhang")
    c = customer(zhang)
    visit = plan(zhang, c)
    assert visit["state"] == "planned" and visit["rep_id"] == "u-rep-zhang"

    p = problem(check_in(zhang, visit["id"], FAR), 422)
    assert p["title"] == "Outside the geofence" and p["radius_m"] == 300
    assert 1990 < p["distance_m"] < 2010
    assert ok(zhang.get(f"/visits/{visit['id']}"))["state"] == "planned"  # nothing changed

    r = check_in(zhang, visit["id"], NEAR, accuracy_m=12)
    got = ok(r)
    assert got["state"] == "checked_in" and got["flagged"] is False and r.headers["ETag"] == '"2"'
    assert 40 < got["check_in"]["distance_m"] < 50 and got["check_in"]["accuracy_m"] == 12
    problem(check_in(zhang, visit["id"], NEAR), 409)  # checked in once


def test_under_the_flag_policy_a_far_check_in_is_accepted_and_flagged(world: World):
    admin, zhang = world.as_user("admin"), world.as_user("rep.zhang")
    got = admin.get("/visit-policy")
    assert got.headers["ETag"] == '"0"' and got.json() == {
        "geofence_radius_m": 300,
        "outside_geofence": "refuse",
        "frequency": {"A": 4, "B": 2, "C": 1, "D": 0},
    }
    body = {**got.json(), "outside_geofence": "flag", "geofence_radius_m": 500}
    problem(admin.put("/visit-policy", body), 428)
    problem(zhang.put("/visit-policy", body, headers={"If-Match": '"0"'}), 403)
    problem(admin.put("/visit-policy", {**body, "outside_geofence": "ignore"}, headers={"If-Match": '"0"'}), 422)
    r = admin.put("/visit-policy", body, headers={"If-Match": '"0"'})
    assert ok(r)["outside_geofence"] == "flag" and r.headers["ETag"] == '"1"'
    problem(admin.put("/visit-policy", body, headers={"If-Match": '"0"'}), 412)

    c = customer(zhang)
    visit_id = new_id()  # unplanned: the phone makes the id
    r = check_in(zhang, visit_id, FAR, customer_id=c["id"])
    visit = ok(r, 201)
    assert (visit["id"], visit["state"], visit["planned_on"]) == (visit_id, "checked_in", None)
    assert visit["flagged"] is True and visit["flag_reason"] == "outside_geofence"
    assert 1990 < visit["check_in"]["distance_m"] < 2010
    head = world.as_user("eastrx.head")
    assert [v["id"] for v in ok(head.get("/visits", params={"flagged": "true"}))["items"]] == [visit_id]
    assert ok(head.get("/visits", params={"flagged": "false"}))["items"] == []


def test_a_customer_without_coordinates_is_checked_in_and_flagged_for_review(world: World):
    zhang = world.as_user("rep.zhang")
    c = customer(zhang, location=None)
    visit = ok(check_in(zhang, new_id(), FAR, customer_id=c["id"]), 201)
    assert visit["flagged"] is True and visit["flag_reason"] == "customer_has_no_location"
    assert visit["check_in"]["distance_m"] is None


# ------------------------------------------------------------------ scope and roles


def test_a_rep_cannot_check_in_at_a_customer_outside_their_scope(world: World):
    zhang, liu = world.as_user("rep.zhang"), world.as_user("rep.liu")
    theirs = customer(liu)
    visit_id = new_id()
    problem(check_in(zhang, visit_id, HOME, customer_id=theirs["id"]), 404)  # same unit, not their customer
    problem(check_in(world.as_user("rep.lin"), visit_id, HOME, customer_id=theirs["id"]), 404)  # other branch
    problem(check_in(world.as_user("finance.wu"), visit_id, HOME, customer_id=theirs["id"]), 403)
    problem(liu.get(f"/visits/{visit_id}"), 404)  # nothing was created
    problem(zhang.post("/visits", {"customer_id": theirs["id"], "planned_on": today()}), 404)

    # liu's own visit: another rep cannot touch it, their head sees it but may not record it for them
    visit = plan(liu, theirs)
    problem(check_in(zhang, visit["id"], HOME), 404)
    problem(zhang.get(f"/visits/{visit['id']}"), 404)
    head = world.as_user("eastrx.head")
    assert ok(head.get(f"/visits/{visit['id']}"))["id"] == visit["id"]
    problem(check_in(head, visit["id"], HOME), 403)
    problem(world.as_user("south.head").get(f"/visits/{visit['id']}"), 404)

    # in a batch, the out-of-scope check-in is refused alone
    reply = ok(
        zhang.post(
            "/visits/sync",
            {
                "actions": [
                    {
                        "id": f"a-{uuid.uuid4().hex}",
                        "type": "check_in",
                        "visit_id": new_id(),
                        "customer_id": theirs["id"],
                        "at": ago(5),
                        **HOME,
                    }
                ]
            },
        )
    )
    assert reply["results"][0]["status"] == "refused" and reply["results"][0]["code"] == "not_found"
    problem(world.as_user("finance.wu").post("/visits/sync", {"actions": [{"id": "whatever-1", "type": "note"}]}), 403)


# ------------------------------------------------------------------ validation


def test_bad_coordinates_and_times_are_problems(world: World):
    zhang = world.as_user("rep.zhang")
    visit = plan(zhang, customer(zhang))
    p = problem(check_in(zhang, visit["id"], {"lat": 95.0, "lng": 120.6}), 422)
    assert [e["field"] for e in p["errors"]] == ["lat"]
    p = problem(check_in(zhang, visit["id"], {"lat": 31.3, "lng": "east"}), 422)
    assert [e["field"] for e in p["errors"]] == ["lng"]
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    assert problem(check_in(zhang, visit["id"], NEAR, at=future), 422)["errors"][0]["field"] == "at"
    assert problem(check_in(zhang, visit["id"], NEAR, at="2026-01-05T10:00:00"), 422)["errors"][0]["field"] == "at"
    old = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    assert problem(check_in(zhang, visit["id"], NEAR, at=old), 422)["errors"][0]["field"] == "at"
    r = zhang.request(
        "POST", f"/visits/{visit['id']}/check-in", data="{lat: 1", headers={"Content-Type": "application/json"}
    )
    problem(r, 400)
    problem(zhang.post("/visits/sync", {"actions": []}), 422)
    problem(zhang.post("/visits", {"customer_id": visit["customer_id"], "planned_on": "2020-01-01"}), 422)

    ok(check_in(zhang, visit["id"], NEAR, at=ago(30)))
    p = problem(zhang.post(f"/visits/{visit['id']}/check-out", {"at": ago(40)}), 422)  # before the check-in
    assert p["errors"][0]["field"] == "at"
    assert ok(zhang.post(f"/visits/{visit['id']}/check-out", {"at": ago(0)}))["duration_seconds"] >= 1790


# ------------------------------------------------------------------ photos


def test_the_photo_goes_to_the_bucket_and_is_linked_to_the_visit(world: World, cloud: Any):
    zhang = world.as_user("rep.zhang")
    visit = plan(zhang, customer(zhang))
    problem(zhang.post(f"/visits/{visit['id']}/photos", {"taken_at": ago(1), **NEAR}), 409)  # not checked in yet
    ok(check_in(zhang, visit["id"], NEAR))

    ticket = ok(zhang.post(f"/visits/{visit['id']}/photos", {"taken_at": ago(1), **NEAR}), 201)
    assert ticket["key"] == f"visits/{world.tenant_id}/{visit['id']}/{ticket['photo_id']}.jpg"
    link = f"/visits/{visit['id']}/photos/{ticket['photo_id']}/link"
    problem(zhang.post(link), 409)  # nothing uploaded yet
    problem(world.as_user("rep.liu").post(link), 404)

    image = b"\xff\xd8\xff\xe0" + uuid.uuid4().bytes * 64 + b"\xff\xd9"
    # the form binds the type and the size: S3 refuses another type, or more than a phone photo's 15 MB
    assert (ticket["content_type"], ticket["max_bytes"]) == ("image/jpeg", 15 * 1024 * 1024)
    assert send(ticket, image, {"Content-Type": "text/html"}).status_code == 403
    assert send(ticket, b"\xff" * (ticket["max_bytes"] + 1)).status_code == 400
    problem(zhang.post(link), 409)  # still nothing there
    sent(ticket, image)
    linked = ok(zhang.post(link))
    [photo] = linked["photos"]
    assert (photo["id"], photo["status"], photo["size"]) == (ticket["photo_id"], "linked", len(image))
    assert photo["lat"] == NEAR["lat"] and 40 < photo["distance_m"] < 50 and photo["taken_at"]
    assert ok(zhang.post(link))["version"] == linked["version"]  # linking again changes nothing

    stored = cloud.client("s3").get_object(Bucket=cloud.physical_name("UploadsBucket"), Key=ticket["key"])
    assert stored["Body"].read() == image
    assert ok(world.as_user("eastrx.head").get(f"/visits/{visit['id']}"))["photos"] == [photo]
    view = ok(world.as_user("eastrx.head").get(f"/visits/{visit['id']}/photos/{ticket['photo_id']}"))
    assert is_sigv4(view["url"]) and requests.get(view["url"], timeout=30).content == image
    assert stored["ContentType"] == "image/jpeg"


# ------------------------------------------------------------------ the whole visit, online


def product(world: World) -> str:
    sku = f"V-{uuid.uuid4().hex[:8].upper()}"
    body = {"sku": sku, "name": "拜访片", "spec": "5mg*28", "base_unit": "盒", "case_size": 20}
    assert world.as_user("admin").post("/products", body).status_code == 201
    r = world.as_user("finance.wu").put(
        f"/products/{sku}/prices",
        {"items": [{"customer_type": "terminal", "level": None, "unit_price": "9.90"}]},
        headers={"If-Match": '"0"'},
    )
    assert r.status_code == 200, r.text
    return sku


def test_notes_tasks_order_request_and_check_out_belong_to_the_visit(world: World):
    zhang = world.as_user("rep.zhang")
    c = customer(zhang)
    sku = product(world)
    visit = plan(zhang, c, purpose="新品介绍")
    ok(zhang.post(f"/visits/{visit['id']}/notes", {"text": "带样品和价目表"}))  # preparing the visit
    problem(zhang.post(f"/visits/{visit['id']}/tasks", {"title": "回访", "due_on": today()}), 409)
    ok(check_in(zhang, visit["id"], NEAR, at=ago(25)))
    ok(zhang.post(f"/visits/{visit['id']}/notes", {"text": "店长对新品有兴趣", "at": ago(20)}))
    due = (datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=7)).isoformat()
    with_task = ok(zhang.post(f"/visits/{visit['id']}/tasks", {"title": "送样品", "due_on": due}))
    task = with_task["tasks"][0]
    assert (task["title"], task["due_on"], task["done"]) == ("送样品", due, False)
    p = problem(zhang.post(f"/visits/{visit['id']}/tasks", {"title": "x", "due_on": "2020-01-01"}), 422)
    assert p["errors"][0]["field"] == "due_on"

    r = zhang.post(
        f"/visits/{visit['id']}/order-requests", {"lines": [{"sku": sku, "quantity": 12}], "remarks": "下周到货"}
    )
    made = ok(r, 201)
    assert made["order_state"] == "saved" and made["order_total"] == "118.80"
    assert made["visit"]["order_ids"] == [made["order_id"]] and r.headers["Location"] == f"/orders/{made['order_id']}"
    order = ok(zhang.get(f"/orders/{made['order_id']}"))
    assert order["customer_id"] == c["id"] and visit["id"] in order["remarks"] and order["state"] == "saved"
    submitted = zhang.post(f"/orders/{made['order_id']}/submit", {})  # the rep submits the draft for approval
    assert ok(submitted)["state"] == "submitted"

    done = ok(zhang.post(f"/visits/{visit['id']}/tasks/{task['id']}/done"))
    assert done["tasks"][0]["done"] is True
    out = ok(zhang.post(f"/visits/{visit['id']}/check-out", {**NEAR}))
    assert out["state"] == "checked_out" and 1490 <= out["duration_seconds"] <= 1520
    assert [n["text"] for n in out["notes"]] == ["带样品和价目表", "店长对新品有兴趣"]
    problem(zhang.post(f"/visits/{visit['id']}/check-out", {}), 409)
    history = ok(world.as_user("eastrx.head").get(f"/visits/{visit['id']}/history"))["items"]
    assert [h["action"] for h in history] == [
        "plan",
        "note",
        "check_in",
        "note",
        "task",
        "order_request",
        "task_done",
        "check_out",
    ]
    assert {h["actor_id"] for h in history} == {"u-rep-zhang"} and history[2]["changes"]["state"] == {
        "before": "planned",
        "after": "checked_in",
    }
    problem(world.as_user("rep.liu").get(f"/visits/{visit['id']}/history"), 404)

    # the customer's page shows it, to whoever sees the customer
    page = ok(world.as_user("eastrx.head").get(f"/customers/{c['id']}/visits"))
    assert [(v["id"], v["state"]) for v in page["items"]] == [(visit["id"], "checked_out")]
    problem(world.as_user("south.head").get(f"/customers/{c['id']}/visits"), 404)
    problem(world.as_user("rep.liu").get(f"/customers/{c['id']}/visits"), 404)


def test_plans_a_week_and_the_route_of_a_day(world: World):
    zhang = world.as_user("rep.zhang")
    a, b, c = customer(zhang), customer(zhang), customer(zhang)
    start = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    tomorrow = (start + timedelta(days=1)).isoformat()
    items = [
        {"customer_id": b["id"], "planned_on": tomorrow, "sequence": 2},
        {"customer_id": a["id"], "planned_on": tomorrow, "sequence": 1},
        {"customer_id": c["id"], "planned_on": (start + timedelta(days=3)).isoformat()},
    ]
    planned = ok(zhang.post("/visit-plans", {"items": items}), 201)["items"]
    assert len(planned) == 3 and {v["state"] for v in planned} == {"planned"}

    route = ok(zhang.get("/visits", params={"on": tomorrow}))["items"]
    assert [v["customer_id"] for v in route] == [a["id"], b["id"]]
    head = world.as_user("eastrx.head")
    assert len(ok(head.get("/visits", params={"rep_id": "u-rep-zhang"}))["items"]) == 3
    assert [v["customer_id"] for v in ok(head.get("/visits", params={"on": tomorrow}))["items"]] == [a["id"], b["id"]]
    problem(world.as_user("south.head").get("/visits", params={"rep_id": "u-rep-zhang"}), 404)
    assert ok(world.as_user("south.head").get("/visits", params={"on": tomorrow}))["items"] == []
    problem(world.as_user("rep.liu").get("/visits", params={"rep_id": "u-rep-zhang"}), 404)

    # all or nothing: one customer out of scope plans none
    theirs = customer(world.as_user("rep.liu"))
    problem(
        zhang.post(
            "/visit-plans",
            {
                "items": [
                    {"customer_id": a["id"], "planned_on": tomorrow},
                    {"customer_id": theirs["id"], "planned_on": tomorrow},
                ]
            },
        ),
        404,
    )
    p = problem(zhang.post("/visit-plans", {"items": [{"customer_id": a["id"], "planned_on": tomorrow}] * 2}), 422)
    assert p["errors"][0]["field"] == "items.1"
    assert len(ok(zhang.get("/visits", params={"on": tomorrow}))["items"]) == 2

    cancelled = ok(zhang.post(f"/visits/{route[1]['id']}/cancel", {"reason": "客户停业装修"}))
    assert cancelled["state"] == "cancelled" and cancelled["cancel_reason"] == "客户停业装修"
    problem(check_in(zhang, route[1]["id"], NEAR), 409)


# ------------------------------------------------------------------ offline sync


def test_a_batch_sent_twice_applies_once_in_dependency_order(world: World):
    zhang = world.as_user("rep.zhang")
    c, d = customer(zhang), customer(zhang)
    sku = product(world)
    planned = plan(zhang, c)
    unplanned = new_id()
    tag, now = uuid.uuid4().hex[:8], datetime.now(UTC)

    def act(n: int, kind: str, visit_id: str, minutes_ago: float, **fields: Any) -> dict[str, Any]:
        return {"id": f"{tag}-{n}", "type": kind, "visit_id": visit_id, "at": ago(minutes_ago, now), **fields}

    actions = [
        act(1, "check_out", planned["id"], 60, **NEAR),  # queued out of order: before its check-in
        act(2, "note", unplanned, 30, text="新客户, 店面在装修"),  # for a visit checked in later in the batch
        act(3, "check_in", planned["id"], 90, **NEAR),
        act(4, "check_in", unplanned, 40, customer_id=d["id"], **NEAR),
        act(5, "task", unplanned, 29, title="下周带合同", due_on=today()),
        act(6, "order_request", planned["id"], 70, lines=[{"sku": sku, "quantity": 3}]),
        act(7, "check_in", new_id(), 10, customer_id=c["id"], lat=120.0, lng=31.0),  # lat out of range
        act(8, "check_out", new_id(), 5),  # a visit the server never heard of
        act(9, "photo", unplanned, 35, **NEAR),
    ]
    first = ok(zhang.post("/visits/sync", {"actions": actions}))
    by_id = {r["id"]: r for r in first["results"]}
    assert [r["index"] for r in first["results"]] == list(range(9))  # answered in the order sent
    assert {k: by_id[f"{tag}-{k}"]["status"] for k in range(1, 10)} == {
        1: "applied",
        2: "applied",
        3: "applied",
        4: "applied",
        5: "applied",
        6: "applied",
        7: "refused",
        8: "refused",
        9: "applied",
    }
    assert (first["applied"], first["already_applied"], first["refused"]) == (7, 0, 2)
    assert by_id[f"{tag}-1"]["result"] == {"state": "checked_out", "duration_seconds": 1800}
    assert by_id[f"{tag}-7"]["code"] == "invalid" and by_id[f"{tag}-7"]["errors"][0]["field"] == "lat"
    assert by_id[f"{tag}-8"]["code"] == "not_found"
    order_id = by_id[f"{tag}-6"]["result"]["order_id"]
    upload_url = by_id[f"{tag}-9"]["result"]["upload_url"]
    assert upload_url.startswith("http") and by_id[f"{tag}-9"]["result"]["upload_fields"]["policy"]

    second = ok(zhang.post("/visits/sync", {"actions": actions}))
    assert (second["applied"], second["already_applied"], second["refused"]) == (0, 7, 2)
    again = {r["id"]: r for r in second["results"]}
    assert again[f"{tag}-1"]["status"] == "already_applied"
    assert again[f"{tag}-1"]["result"] == by_id[f"{tag}-1"]["result"]
    assert again[f"{tag}-6"]["result"]["order_id"] == order_id
    fresh = again[f"{tag}-9"]["result"]  # a fresh form while the photo waits, which the phone can send
    assert (
        send(
            {"url": fresh["upload_url"], "fields": fresh["upload_fields"], "content_type": "image/jpeg"},
            b"\xff\xd8\xff\xd9",
        ).status_code
        == 204
    )

    got = ok(zhang.get(f"/visits/{planned['id']}"))
    assert got["state"] == "checked_out" and got["duration_seconds"] == 1800 and got["order_ids"] == [order_id]
    new = ok(zhang.get(f"/visits/{unplanned}"))
    assert new["state"] == "checked_in" and new["customer_id"] == d["id"] and new["planned_on"] is None
    assert [n["text"] for n in new["notes"]] == ["新客户, 店面在装修"] and len(new["tasks"]) == 1
    assert len(new["photos"]) == 1
    assert [o["id"] for o in ok(zhang.get("/orders", params={"customer_id": c["id"]}))["items"]] == [order_id]

    # the same action id with other content is not applied under that id
    changed = dict(actions[1], text="改过的内容")
    r = ok(zhang.post("/visits/sync", {"actions": [changed]}))["results"][0]
    assert (r["status"], r["code"]) == ("refused", "conflict")
    assert len(ok(zhang.get(f"/visits/{unplanned}"))["notes"]) == 1


def test_a_check_out_whose_check_in_comes_in_a_later_batch_waits_for_it(world: World):
    zhang = world.as_user("rep.zhang")
    visit = plan(zhang, customer(zhang))
    tag, now = uuid.uuid4().hex[:8], datetime.now(UTC)
    out = {"id": f"{tag}-out", "type": "check_out", "visit_id": visit["id"], "at": ago(5, now)}
    r = ok(zhang.post("/visits/sync", {"actions": [out]}))["results"][0]
    assert (r["status"], r["code"]) == ("refused", "not_ready")
    came = {"id": f"{tag}-in", "type": "check_in", "visit_id": visit["id"], "at": ago(20, now), **NEAR}
    assert ok(zhang.post("/visits/sync", {"actions": [came]}))["applied"] == 1
    r = ok(zhang.post("/visits/sync", {"actions": [out]}))["results"][0]
    assert r["status"] == "applied" and r["result"]["duration_seconds"] == 900


def test_a_far_check_in_in_a_batch_is_refused_with_its_distance(world: World):
    zhang = world.as_user("rep.zhang")
    visit = plan(zhang, customer(zhang))
    action = {"id": f"far-{uuid.uuid4().hex}", "type": "check_in", "visit_id": visit["id"], "at": ago(3), **FAR}
    reply = ok(zhang.post("/visits/sync", {"actions": [action]}))
    r = reply["results"][0]
    assert (r["status"], r["code"]) == ("refused", "outside_geofence") and "m from the customer" in r["detail"]
    assert ok(zhang.get(f"/visits/{visit['id']}"))["state"] == "planned"


# ------------------------------------------------------------------ coverage


@pytest.fixture
def month() -> str:
    return today()[:7]


def test_the_coverage_report_for_a_month_matches_the_visits_made(world: World, month: str):
    set_policy(world, frequency={"A": 2, "B": 1, "C": 0})
    zhang, liu = world.as_user("rep.zhang"), world.as_user("rep.liu")
    a, b, c = customer(zhang, "A"), customer(zhang, "B"), customer(zhang, "C")
    theirs = customer(liu, "A")
    first, second = plan(zhang, a), plan(zhang, a)
    ok(check_in(zhang, first["id"], NEAR))
    ok(check_in(zhang, new_id(), NEAR, customer_id=b["id"]), 201)  # unplanned
    ok(check_in(zhang, new_id(), NEAR, customer_id=c["id"]), 201)  # level C needs none, still counted as done
    cancelled = plan(zhang, b)
    ok(zhang.post(f"/visits/{cancelled['id']}/cancel", {"reason": "改期"}))
    del second

    report = ok(world.as_user("eastrx.head").get("/visits/coverage", params={"month": month}))
    assert report["frequency"] == {"A": 2, "B": 1, "C": 0}
    rows = {
        (r["rep_id"], r["customer_id"]): (r["level"], r["required"], r["planned"], r["done"], r["covered"])
        for r in report["rows"]
    }
    assert rows == {
        ("u-rep-zhang", a["id"]): ("A", 2, 2, 1, False),
        ("u-rep-zhang", b["id"]): ("B", 1, 0, 1, True),
        ("u-rep-zhang", c["id"]): ("C", 0, 0, 1, True),
        ("u-rep-liu", theirs["id"]): ("A", 2, 0, 0, False),
    }
    by_rep = {
        t["key"]: (t["required"], t["planned"], t["done"], t["covered_customers"], t["coverage_percent"])
        for t in report["by_rep"]
    }
    assert by_rep == {"u-rep-zhang": (3, 2, 3, 1, "50.0"), "u-rep-liu": (2, 0, 0, 0, "0.0")}
    by_level = {t["key"]: (t["customers"], t["required"], t["planned"], t["done"]) for t in report["by_level"]}
    assert by_level == {"A": (2, 4, 2, 1), "B": (1, 1, 0, 1), "C": (1, 0, 0, 1)}
    assert (report["total"]["planned"], report["total"]["done"]) == (2, 3)
    assert {r["rep_name"] for r in report["rows"]} == {"张伟", "刘洋"}

    mine = ok(zhang.get("/visits/coverage", params={"month": month}))
    assert {r["rep_id"] for r in mine["rows"]} == {"u-rep-zhang"}
    only_liu = ok(world.as_user("eastrx.head").get("/visits/coverage", params={"month": month, "rep_id": "u-rep-liu"}))
    assert [(r["customer_id"], r["done"]) for r in only_liu["rows"]] == [(theirs["id"], 0)]
    assert ok(world.as_user("south.head").get("/visits/coverage", params={"month": month}))["rows"] == []
    problem(world.as_user("south.head").get("/visits/coverage", params={"month": month, "rep_id": "u-rep-zhang"}), 404)
    problem(world.as_user("south.head").get("/visits/coverage", params={"month": month, "org_unit_id": "EAST"}), 404)
    earlier = ok(world.as_user("admin").get("/visits/coverage", params={"month": "2020-01"}))
    assert earlier["total"]["planned"] == 0 and earlier["total"]["done"] == 0
    problem(world.as_user("admin").get("/visits/coverage", params={"month": "2026-13"}), 422)


# ------------------------------------------------------------------ the demo


def test_demo_terminals_have_coordinates_to_check_in_against(cloud: Any):
    from localcloud import demo
    from localcloud.tokens import token_for_demo_user

    demo.seed(cloud)
    row = next(r for r in demo.customer_rows() if r["city"] == "苏州" and r["type"] != "distributor" and r["lat"])
    zhang = Client(cloud.api_url, token_for_demo_user("rep.zhang"))
    got = ok(zhang.get(f"/customers/{demo.stable_id(demo.TENANT, row['id'])}"))
    assert got["location"] == {"lat": float(row["lat"]), "lng": float(row["lng"])}
    visit = ok(
        check_in(zhang, new_id(), {"lat": float(row["lat"]) + 0.0005, "lng": float(row["lng"])}, customer_id=got["id"]),
        201,
    )
    assert visit["flagged"] is False and 50 < visit["check_in"]["distance_m"] < 60


def test_a_hand_over_gives_the_new_rep_the_visits_the_leaving_rep_planned(world: World):
    from tests.e2e.test_customers import wait_for_handover

    zhang = world.as_user("rep.zhang")
    kept, made = customer(zhang), customer(zhang)
    tomorrow = (datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)).isoformat()
    planned = ok(zhang.post("/visits", {"customer_id": kept["id"], "planned_on": tomorrow}), 201)
    done = plan(zhang, made)
    ok(check_in(zhang, done["id"], NEAR))  # made already: history, it stays zhang's
    head = world.as_user("eastrx.head")
    job = head.post("/handovers", {"from_user_id": "u-rep-zhang", "to_user_id": "u-rep-liu", "reason": "张伟离职"})
    assert wait_for_handover(head, job.json()["id"])["status"] == "completed"

    liu = world.as_user("rep.liu")
    route = ok(liu.get("/visits", params={"on": tomorrow}))["items"]
    assert [(v["id"], v["rep_id"], v["state"]) for v in route] == [(planned["id"], "u-rep-liu", "planned")]
    assert ok(check_in(liu, planned["id"], NEAR))["state"] == "checked_in"  # the new rep makes the visit
    left = ok(head.get("/visits", params={"rep_id": "u-rep-zhang"}))["items"]
    assert [(v["id"], v["state"]) for v in left] == [(done["id"], "checked_in")]
    history = ok(liu.get(f"/visits/{planned['id']}/history"))["items"]
    assert any(h["action"] == "handover" and h["changes"]["rep_id"]["after"] == "u-rep-liu" for h in history)
