"""The customer archive end to end: HTTP into the local runtime, real handlers, emulated DynamoDB."""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.e2e.conftest import World, terminal


def created(client, body, **kw):
    r = client.post("/customers", body, **kw)
    assert r.status_code == 201, r.text
    return r.json()


def unique(name: str) -> str:
    return f"{name}{uuid.uuid4().hex[:6]}"


# ------------------------------------------------------------------ the record itself


def test_create_read_update_void_restore(world: World):
    zhang = world.as_user("rep.zhang")
    body = {
        "name": unique("苏州安康药店"),
        "profile": {"type": "terminal", "kind": "pharmacy", "chain_name": "安康连锁"},
        "region": {"province": "江苏", "city": "苏州", "county": "姑苏区"},
        "address": "人民路 1 号",
        "location": {"lat": 31.3, "lng": 120.6},
        "phone": "0512-66001122",
        "trade": "indirect",
        "contacts": [{"name": "王店长", "role": "店长", "phones": ["13800000000"], "birthday": "1980-05-01"}],
        "aliases": ["安康药店（苏州）"],
        "level": "B",
    }
    customer = created(zhang, body)
    assert customer["owner_id"] == "u-rep-zhang" and customer["org_unit_id"] == "EAST-RX"
    assert customer["status"] == "prospect" and customer["level"] == "B" and customer["type"] == "terminal"

    r = zhang.get(f"/customers/{customer['id']}")
    assert r.status_code == 200 and r.headers["ETag"] == '"1"'
    assert r.json()["contacts"][0]["birthday"] == "1980-05-01"

    r = zhang.patch(
        f"/customers/{customer['id']}",
        {"status": "opportunity", "phone": None},
        headers={"If-Match": r.headers["ETag"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "opportunity" and r.json()["phone"] is None and r.headers["ETag"] == '"2"'

    head = world.as_user("eastrx.head")
    r = head.post(f"/customers/{customer['id']}/void", {"reason": "closed down"}, headers={"If-Match": '"2"'})
    assert r.status_code == 200 and r.json()["voided"] is True
    assert zhang.patch(f"/customers/{customer['id']}", {"remarks": "x"}, headers={"If-Match": '"3"'}).status_code == 409
    listed = zhang.get("/customers").json()["items"]
    assert customer["id"] not in [c["id"] for c in listed]
    assert customer["id"] in [c["id"] for c in zhang.get("/customers?include_voided=true").json()["items"]]

    r = head.post(f"/customers/{customer['id']}/restore", {"reason": "reopened"}, headers={"If-Match": '"3"'})
    assert r.status_code == 200 and r.json()["voided"] is False


def test_type_specific_fields_are_validated_per_type(world: World):
    zhang = world.as_user("rep.zhang")
    r = zhang.post(
        "/customers",
        {
            "name": unique("一级商"),
            "profile": {
                "type": "distributor",
                "tier": "tier1",
                "annual_sales": "12500000.50",
                "hospital_sales_share": "35.5",
                "is_pharmaceutical": True,
            },
        },
    )
    assert r.status_code == 201 and r.json()["profile"]["annual_sales"] == "12500000.50"
    # a pharmacy has no tier; a person needs a kind
    r = zhang.post(
        "/customers", {"name": unique("药店"), "profile": {"type": "terminal", "kind": "pharmacy", "tier": "tier1"}}
    )
    assert r.status_code == 422 and any("tier" in e["field"] for e in r.json()["errors"])
    r = zhang.post("/customers", {"name": unique("李医生"), "profile": {"type": "person"}})
    assert r.status_code == 422 and any(e["field"].endswith("kind") for e in r.json()["errors"])
    # and the type cannot change later
    c = created(zhang, terminal(unique("诊所")))
    r = zhang.patch(
        f"/customers/{c['id']}", {"profile": {"type": "person", "kind": "member"}}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 422


def test_history_shows_who_changed_what(world: World):
    zhang = world.as_user("rep.zhang")
    c = created(zhang, terminal(unique("历史药店")))
    zhang.patch(f"/customers/{c['id']}", {"address": "新地址"}, headers={"If-Match": '"1"'})
    items = zhang.get(f"/customers/{c['id']}/history").json()["items"]
    assert [i["action"] for i in items] == ["update", "create"]
    assert items[0]["actor_id"] == "u-rep-zhang"
    assert items[0]["changes"] == {"address": {"before": None, "after": "新地址"}}


# ------------------------------------------------------------------ concurrency and idempotency


def test_if_match_missing_is_428_and_stale_is_412(world: World):
    zhang = world.as_user("rep.zhang")
    c = created(zhang, terminal(unique("并发药店")))
    r = zhang.patch(f"/customers/{c['id']}", {"remarks": "a"})
    assert r.status_code == 428 and r.headers["Content-Type"] == "application/problem+json"
    assert zhang.patch(f"/customers/{c['id']}", {"remarks": "a"}, headers={"If-Match": '"1"'}).status_code == 200
    r = zhang.patch(f"/customers/{c['id']}", {"remarks": "b"}, headers={"If-Match": '"1"'})
    assert r.status_code == 412
    assert zhang.get(f"/customers/{c['id']}").json()["remarks"] == "a"  # the stale write changed nothing


def test_idempotency_key_replays_and_refuses_reuse_with_another_body(world: World):
    zhang = world.as_user("rep.zhang")
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = terminal(unique("幂等药店"))
    first = zhang.post("/customers", body, headers=key)
    again = zhang.post("/customers", body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.headers["ETag"] == first.headers["ETag"]
    assert len(zhang.get("/customers", params={"q": body["name"]}).json()["items"]) == 1
    other = zhang.post("/customers", terminal(unique("别的药店")), headers=key)
    assert other.status_code == 422 and other.headers["Content-Type"] == "application/problem+json"


def all_at_once(world: World, username: str, send, n: int = 10) -> list:
    """send(client, i) on n threads released together, each with its own connection."""
    clients = [world.as_user(username) for _ in range(n)]
    start = threading.Barrier(n)

    def run(i: int):
        start.wait()
        return send(clients[i], i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_concurrent_patches_naming_one_version_make_one_change_and_412s(world: World):
    c = created(world.as_user("rep.zhang"), terminal(unique("并发改动药店")))
    replies = all_at_once(
        world,
        "rep.zhang",
        lambda client, i: client.patch(
            f"/customers/{c['id']}", {"remarks": f"writer {i}"}, headers={"If-Match": '"1"'}
        ),
    )
    assert sorted(r.status_code for r in replies) == [200] + [412] * 9, [r.text for r in replies]
    assert all(r.headers["Content-Type"] == "application/problem+json" for r in replies if r.status_code == 412)
    [won] = [r.json() for r in replies if r.status_code == 200]
    stored = world.as_user("rep.zhang").get(f"/customers/{c['id']}")
    assert (stored.headers["ETag"], stored.json()["remarks"]) == ('"2"', won["remarks"])


def test_concurrent_creates_of_one_new_name_make_one_customer(world: World):
    name = unique("同名并发药店")
    replies = all_at_once(world, "rep.zhang", lambda client, i: client.post("/customers", terminal(name)))
    assert sorted(r.status_code for r in replies) == [201] + [409] * 9, [r.text for r in replies]
    [first] = [r.json() for r in replies if r.status_code == 201]
    for lost in (r.json() for r in replies if r.status_code == 409):
        assert lost["candidates"] == [{"customer_id": first["id"], "matched": name, "kind": "name"}]


# ------------------------------------------------------------------ duplicates and aliases


def test_duplicate_name_is_caught_and_a_manager_may_override(world: World):
    zhang = world.as_user("rep.zhang")
    name = unique("杭州市西湖区康宁诊所(西湖店)")
    first = created(zhang, terminal(name))
    spelled_differently = name.replace("(", "（").replace(")", "）").replace("杭州", "杭州 ")
    r = zhang.post("/customers", terminal(spelled_differently))
    assert r.status_code == 409
    assert r.json()["candidates"] == [{"customer_id": first["id"], "matched": name, "kind": "name"}]
    override = {"X-Skip-Duplicate-Check": "true"}
    assert zhang.post("/customers", terminal(spelled_differently), headers=override).status_code == 403
    r = world.as_user("eastrx.head").post("/customers", terminal(spelled_differently), headers=override)
    assert r.status_code == 201


def test_aliases_are_unique_per_tenant_after_normalisation_and_searchable(world: World):
    zhang = world.as_user("rep.zhang")
    tag = uuid.uuid4().hex[:6]
    a = created(zhang, terminal(f"宁波众康医院{tag}", aliases=[f"众康医院（海曙）{tag}"]))
    r = zhang.post("/customers", terminal(f"另一家{tag}", aliases=[f"众康医院 (海曙){tag}"]))
    assert r.status_code == 409
    hits = zhang.get("/customers", params={"q": f"众康医院(海曙){tag}"}).json()["items"]
    assert [h["id"] for h in hits] == [a["id"]]
    # another tenant may use the same alias
    other_tenant = World(f"t-{uuid.uuid4().hex[:12]}", world.base_url, world.mint)
    from crm.org.directory import import_org

    from tests.e2e.conftest import ORG

    import_org(other_tenant.tenant_id, ORG["org_units"], [u for u in ORG["users"] if "distributor_code" not in u])
    assert (
        other_tenant.as_user("rep.zhang")
        .post("/customers", terminal(f"别家{tag}", aliases=[f"众康医院(海曙){tag}"]))
        .status_code
        == 201
    )


# ------------------------------------------------------------------ levels and hierarchy


def test_level_history_answers_the_level_on_a_past_date(world: World):
    zhang, head = world.as_user("rep.zhang"), world.as_user("eastrx.head")
    c = created(zhang, terminal(unique("等级药店")))
    change = {"level": "C", "reason": "annual review", "effective_from": "2025-01-01"}
    assert zhang.post(f"/customers/{c['id']}/levels", change).status_code == 403  # a rep asks via level-requests
    for level, day in (("C", "2025-01-01"), ("B", "2025-07-01"), ("A", "2026-01-01")):
        change = {"level": level, "reason": "annual review", "effective_from": day}
        r = head.post(f"/customers/{c['id']}/levels", change)
        assert r.status_code == 201, r.text
    assert zhang.get(f"/customers/{c['id']}/level", params={"on": "2025-03-15"}).json()["level"] == "C"
    assert zhang.get(f"/customers/{c['id']}/level", params={"on": "2025-07-01"}).json()["level"] == "B"
    assert zhang.get(f"/customers/{c['id']}/level", params={"on": "2024-12-31"}).json()["level"] is None
    assert zhang.get(f"/customers/{c['id']}").json()["level"] == "A"
    history = zhang.get(f"/customers/{c['id']}/levels").json()["items"]
    assert [(h["level"], h["changed_by"]) for h in history] == [
        ("A", "u-eastrx-head"),
        ("B", "u-eastrx-head"),
        ("C", "u-eastrx-head"),
    ]
    # a change scheduled for the future does not change today's level
    head.post(f"/customers/{c['id']}/levels", {"level": "D", "reason": "planned", "effective_from": "2099-01-01"})
    got = zhang.get(f"/customers/{c['id']}").json()
    assert got["level"] == "A" and got["next_level_change"] == {"level": "D", "effective_from": "2099-01-01"}


def test_channel_hierarchy_lists_downstream_and_refuses_cycles(world: World):
    zhang = world.as_user("rep.zhang")
    dist = {"type": "distributor", "tier": "tier1"}
    t1 = created(zhang, {"name": unique("一级商"), "profile": dist})
    t2 = created(zhang, {"name": unique("二级商"), "profile": {**dist, "tier": "tier2"}, "upstream_id": t1["id"]})
    shop = created(zhang, terminal(unique("连锁门店"), upstream_id=t2["id"]))
    assert [c["id"] for c in zhang.get(f"/customers/{t1['id']}/downstream").json()["items"]] == [t2["id"]]
    assert [c["id"] for c in zhang.get(f"/customers/{t2['id']}/downstream").json()["items"]] == [shop["id"]]
    r = zhang.patch(f"/customers/{t1['id']}", {"upstream_id": shop["id"]}, headers={"If-Match": '"1"'})
    assert r.status_code == 409 and "cycle" in r.json()["detail"]
    r = zhang.patch(f"/customers/{t1['id']}", {"upstream_id": t1["id"]}, headers={"If-Match": '"1"'})
    assert r.status_code == 409


# ------------------------------------------------------------------ scope and tenants


def test_scope_follows_the_org_tree(world: World):
    zhang, liu, chen, lin = (world.as_user(u) for u in ("rep.zhang", "rep.liu", "rep.chen", "rep.lin"))
    mine = created(zhang, terminal(unique("张的药店")))
    created(liu, terminal(unique("刘的药店")))
    otc = created(chen, terminal(unique("陈的药店")))
    south = created(lin, terminal(unique("林的药店")))

    assert liu.get(f"/customers/{mine['id']}").status_code == 404  # another rep's customer: not revealed
    assert liu.patch(f"/customers/{mine['id']}", {"remarks": "x"}, headers={"If-Match": '"1"'}).status_code == 404
    assert {c["owner_id"] for c in zhang.get("/customers").json()["items"]} == {"u-rep-zhang"}

    def visible(username):
        return {c["id"] for c in world.as_user(username).get("/customers?limit=200").json()["items"]}

    assert visible("eastrx.head") >= {mine["id"]} and otc["id"] not in visible("eastrx.head")
    assert visible("east.head") >= {mine["id"], otc["id"]} and south["id"] not in visible("east.head")
    assert world.as_user("east.head").get(f"/customers/{south['id']}").status_code == 404
    assert visible("admin") >= {mine["id"], otc["id"], south["id"]}


def test_tenants_never_see_each_other(world: World):
    zhang = world.as_user("rep.zhang")
    c = created(zhang, terminal(unique("租户药店")))
    # a token naming another tenant, whose directory does not know the caller, is refused before anything is read
    intruder = world.as_user("admin", tenant_id=f"t-{uuid.uuid4().hex[:12]}")
    r = intruder.get(f"/customers/{c['id']}")
    assert r.status_code == 401 and "directory" in r.json()["detail"]
    # an admin of another tenant, with a real org tree there, gets 404
    other = world.another_tenant()
    assert other.as_user("admin").get(f"/customers/{c['id']}").status_code == 404
    assert c["id"] not in {x["id"] for x in other.as_user("admin").get("/customers").json()["items"]}


def test_actions_a_role_lacks_are_403(world: World):
    zhang = world.as_user("rep.zhang")
    c = created(zhang, terminal(unique("权限药店")))
    assert zhang.post(f"/customers/{c['id']}/void", {"reason": "nope"}, headers={"If-Match": '"1"'}).status_code == 403
    assert zhang.post("/customers", terminal(unique("x"), owner_id="u-rep-liu")).status_code == 403
    assert (
        zhang.post(
            "/handovers", {"from_user_id": "u-rep-liu", "to_user_id": "u-rep-zhang", "reason": "leaving"}
        ).status_code
        == 403
    )


# ------------------------------------------------------------------ hand-over


def test_handover_moves_every_customer_and_is_safe_to_repeat(world: World):
    zhang, liu = world.as_user("rep.zhang"), world.as_user("rep.liu")
    head = world.as_user("eastrx.head")
    ids = {created(zhang, terminal(unique(f"交接药店{i}")))["id"] for i in range(120)}  # > two batches

    job = head.post("/handovers", {"from_user_id": "u-rep-zhang", "to_user_id": "u-rep-liu", "reason": "张伟离职"})
    assert job.status_code == 202, job.text
    status = wait_for_handover(head, job.json()["id"])
    assert status["status"] == "completed" and status["moved"] == 120

    assert liu_owns(liu) >= ids
    assert zhang.get("/customers").json()["items"] == []
    entry = liu.get(f"/customers/{next(iter(ids))}/history").json()["items"][0]
    assert entry["action"] == "handover" and entry["changes"]["owner_id"] == {
        "before": "u-rep-zhang",
        "after": "u-rep-liu",
    }
    again = head.post("/handovers", {"from_user_id": "u-rep-zhang", "to_user_id": "u-rep-liu", "reason": "again"})
    assert wait_for_handover(head, again.json()["id"])["moved"] == 0
    assert liu_owns(liu) >= ids


def liu_owns(liu) -> set[str]:
    owned, cursor = set(), None
    while True:
        page = liu.get("/customers", params={"limit": 200, **({"cursor": cursor} if cursor else {})}).json()
        owned |= {c["id"] for c in page["items"]}
        cursor = page["next_cursor"]
        if not cursor:
            return owned


def wait_for_handover(client, handover_id: str, deadline_s: float = 120) -> dict:
    """The hand-over once it has left `running`. The deadline is on its state: a poll that a loaded machine
    answers slowly is a poll that has not seen the end yet, not a failure."""
    end = time.monotonic() + deadline_s
    while (remaining := end - time.monotonic()) > 0:
        try:
            status = client.session.get(f"{client.base_url}/handovers/{handover_id}", timeout=min(30, remaining))
        except requests.Timeout:
            continue
        if status.json()["status"] != "running":
            return status.json()
        time.sleep(0.3)
    raise AssertionError(f"hand-over {handover_id} still running after {deadline_s}s")
