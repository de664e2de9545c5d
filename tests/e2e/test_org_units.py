"""The org tree end to end: HQ admins build and change the tree over HTTP; a move re-scopes what hangs under it."""

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import requests
from crm import audit
from crm.db import keys
from crm.db.base import bind_table

from tests.e2e.conftest import Client, World, terminal
from tests.e2e.test_orders import order_body, product
from tests.e2e.test_visits import today


def problem(r: requests.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    return r.json()


def ok(r: requests.Response, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()


def unit(admin: Client, unit_id: str, kind: str, parent_id: str, name: str | None = None) -> dict[str, Any]:
    body = {"id": unit_id, "name": name or f"{unit_id} 部门", "kind": kind, "parent_id": parent_id}
    return ok(admin.post("/org-units", body), 201)


def head_of(world: World, unit_id: str, role: str = "branch_head") -> Client:
    """A manager of a unit made in the test."""
    return world.as_new_user(f"u-{unit_id.lower()}-head", unit_id, [role], username=f"{unit_id.lower()}.head")


def node(tree: list[dict[str, Any]], unit_id: str) -> dict[str, Any]:
    for n in tree:
        if n["id"] == unit_id:
            return n
        if found := _find(n["children"], unit_id):
            return found
    raise AssertionError(f"{unit_id} not in the tree")


def _find(children: list[dict[str, Any]], unit_id: str) -> dict[str, Any] | None:
    try:
        return node(children, unit_id)
    except AssertionError:
        return None


def all_ids(client: Client, path: str, **params: Any) -> set[str]:
    found, cursor = set(), None
    while True:
        page = ok(client.get(path, params={"limit": 200, **params, **({"cursor": cursor} if cursor else {})}))
        found |= {item["id"] for item in page["items"]}
        if not (cursor := page["next_cursor"]):
            return found


def wait_for_move(client: Client, move_id: str, deadline_s: float = 240) -> dict[str, Any]:
    """The move once it has left `running` (it waits out the per-container unit cache, about a minute)."""
    end = time.monotonic() + deadline_s
    while (remaining := end - time.monotonic()) > 0:
        try:
            r = client.session.get(f"{client.base_url}/org-units/moves/{move_id}", timeout=min(30, remaining))
        except requests.Timeout:
            continue
        if r.json()["status"] != "running":
            return r.json()
        time.sleep(1)
    raise AssertionError(f"move {move_id} still running after {deadline_s}s")


# ------------------------------------------------------------------ building the tree


def test_an_hq_admin_builds_three_levels_and_every_office_role_reads_the_tree(world: World):
    admin = world.as_user("admin")
    branch = unit(admin, "NORTH", "branch", "HQ", "华北分公司")
    assert (branch["path"], branch["status"], branch["version"]) == ("/HQ/NORTH/", "active", 1)
    dept = admin.post(
        "/org-units", {"id": "NORTH-RX", "name": "华北处方药部", "kind": "department", "parent_id": "NORTH"}
    )
    assert (
        dept.status_code == 201 and dept.headers["Location"] == "/org-units/NORTH-RX" and dept.headers["ETag"] == '"1"'
    )
    assert dept.json()["path"] == "/HQ/NORTH/NORTH-RX/"
    team = unit(admin, "NORTH-RX-1", "department", "NORTH-RX")
    assert team["path"] == "/HQ/NORTH/NORTH-RX/NORTH-RX-1/"

    tree = ok(world.as_user("rep.zhang").get("/org-units"))["items"]
    assert [n["id"] for n in tree] == ["HQ"]
    assert [c["id"] for c in node(tree, "HQ")["children"]] == ["EAST", "NORTH", "SOUTH"]
    assert [c["id"] for c in node(tree, "NORTH")["children"]] == ["NORTH-RX"]
    assert [c["id"] for c in node(tree, "NORTH-RX")["children"]] == ["NORTH-RX-1"]
    got = world.as_user("east.head").get("/org-units/NORTH-RX")
    assert got.status_code == 200 and got.headers["ETag"] == '"1"' and got.json()["name"] == "华北处方药部"

    # bad input is a clear 4xx, never a 500
    problem(admin.post("/org-units", {"id": "NORTH", "name": "again", "kind": "branch", "parent_id": "HQ"}), 409)
    bad_id = problem(
        admin.post("/org-units", {"id": "north rx", "name": "x", "kind": "branch", "parent_id": "HQ"}), 422
    )
    assert bad_id["errors"][0]["field"] == "id"
    under_hq = problem(
        admin.post("/org-units", {"id": "D1", "name": "x", "kind": "department", "parent_id": "HQ"}), 422
    )
    assert under_hq["errors"][0]["field"] == "parent_id"
    problem(admin.post("/org-units", {"id": "B2", "name": "x", "kind": "branch", "parent_id": "NOPE"}), 422)
    problem(admin.post("/org-units", {"id": "B3", "name": "x", "kind": "hq", "parent_id": "HQ"}), 422)
    problem(admin.get("/org-units/NOPE"), 404)

    # rename with If-Match, audited
    problem(admin.patch("/org-units/NORTH", {"name": "华北大区"}), 428)
    problem(admin.patch("/org-units/NORTH", {"name": "华北大区"}, headers={"If-Match": '"7"'}), 412)
    renamed = admin.patch("/org-units/NORTH", {"name": "华北大区"}, headers={"If-Match": '"1"'})
    assert renamed.status_code == 200 and renamed.headers["ETag"] == '"2"' and renamed.json()["name"] == "华北大区"
    history = ok(admin.get("/org-units/NORTH/history"))["items"]
    assert [(e["action"], e["actor_id"]) for e in history] == [("rename", "u-admin"), ("create", "u-admin")]
    assert history[0]["changes"] == {"name": {"before": "华北分公司", "after": "华北大区"}}


def test_only_hq_admins_change_the_tree(world: World):
    for username in ("rep.zhang", "eastrx.head", "east.head", "finance.wu"):
        client = world.as_user(username)
        problem(client.post("/org-units", {"id": "X1", "name": "x", "kind": "branch", "parent_id": "HQ"}), 403)
        problem(client.patch("/org-units/EAST", {"name": "x"}, headers={"If-Match": '"1"'}), 403)
        problem(client.post("/org-units/EAST-RX/move", {"parent_id": "SOUTH"}), 403)
        problem(client.post("/org-units/EAST-OTC/close", {"reason": "合并"}, headers={"If-Match": '"1"'}), 403)
    problem(world.as_user("d001").get("/org-units"), 403)  # a distributor's user is not an office role
    assert ok(world.as_user("admin").get("/org-units/EAST"))["name"] == "华东分公司"


def test_a_move_that_would_make_a_cycle_or_has_nowhere_to_go_is_refused(world: World):
    admin = world.as_user("admin")
    unit(admin, "EAST-RX-1", "department", "EAST-RX")
    cycle = problem(admin.post("/org-units/EAST/move", {"parent_id": "EAST-RX"}), 422)  # a branch under a dept
    assert cycle["errors"][0]["field"] == "parent_id"
    assert "cycle" in problem(admin.post("/org-units/EAST-RX/move", {"parent_id": "EAST-RX-1"}), 409)["detail"]
    assert "cycle" in problem(admin.post("/org-units/EAST-RX/move", {"parent_id": "EAST-RX"}), 409)["detail"]
    problem(admin.post("/org-units/HQ/move", {"parent_id": "EAST"}), 409)
    problem(admin.post("/org-units/EAST-RX/move", {"parent_id": "EAST"}), 409)  # there already
    problem(admin.post("/org-units/EAST-RX/move", {"parent_id": "NOPE"}), 422)
    problem(admin.post("/org-units/NOPE/move", {"parent_id": "EAST"}), 404)
    problem(admin.post("/org-units/EAST-RX/move", {}), 422)
    tree = ok(admin.get("/org-units"))["items"]
    assert node(tree, "EAST-RX")["path"] == "/HQ/EAST/EAST-RX/"  # nothing moved


def test_close_is_refused_while_units_users_or_customers_hang_under_it_then_allowed(world: World):
    admin = world.as_user("admin")
    unit(admin, "WEST", "branch", "HQ")
    unit(admin, "WEST-RX", "department", "WEST")
    c = ok(admin.post("/customers", terminal(f"西部药店{uuid.uuid4().hex[:6]}", org_unit_id="WEST-RX")), 201)

    def close(unit_id: str, version: str = '"1"') -> requests.Response:
        return admin.post(f"/org-units/{unit_id}/close", {"reason": "撤销"}, headers={"If-Match": version})

    assert problem(close("WEST"), 409)["open_units"] == ["WEST-RX"]
    assert problem(close("WEST-RX"), 409)["has_customers"] is True
    users = problem(close("EAST-OTC"), 409)
    assert users["active_users"] == ["u-rep-chen"] and users["has_customers"] is False
    problem(admin.post("/org-units/WEST-RX/close", {"reason": "撤销"}), 428)
    problem(close("HQ"), 409)

    assert admin.post(f"/customers/{c['id']}/void", {"reason": "撤店"}, headers={"If-Match": '"1"'}).status_code == 200
    closed = close("WEST-RX")
    assert closed.status_code == 200 and closed.json()["status"] == "closed" and closed.headers["ETag"] == '"2"'
    problem(close("WEST-RX", '"2"'), 409)  # closed already
    # a closed unit takes nothing new: no customer, no unit under it
    refused = problem(admin.post("/customers", terminal(f"西部新店{uuid.uuid4().hex[:6]}", org_unit_id="WEST-RX")), 422)
    assert refused["errors"][0]["field"] == "org_unit_id"
    problem(
        admin.post("/org-units", {"id": "WEST-RX-1", "name": "x", "kind": "department", "parent_id": "WEST-RX"}), 422
    )
    assert ok(close("WEST"))["status"] == "closed"  # its only unit is closed, nothing else under it
    assert ok(admin.get("/org-units/WEST-RX/history"))["items"][0]["action"] == "close"


# ------------------------------------------------------------------ moving a department


def test_moving_a_department_moves_its_customers_open_orders_planned_visits_and_plans(world: World, cloud: Any):
    admin, zhang = world.as_user("admin"), world.as_user("rep.zhang")
    east, rx_head = world.as_user("east.head"), world.as_user("eastrx.head")
    unit(admin, "NORTH", "branch", "HQ", "华北分公司")
    north = head_of(world, "NORTH")

    customers = [ok(zhang.post("/customers", terminal(f"迁移药店{i}-{uuid.uuid4().hex[:6]}")), 201) for i in range(30)]
    ids = {c["id"] for c in customers}  # 30: more than one batch of 25
    a, b = (product(world, [{"customer_type": "terminal", "level": None, "unit_price": "2.00"}]) for _ in "ab")
    open_order = ok(zhang.post("/orders", order_body(customers[0], a, b)), 201)
    void_order = ok(zhang.post("/orders", order_body(customers[1], a, b)), 201)
    assert rx_head.post(f"/orders/{void_order['id']}/void", {"reason": "重复"}).status_code == 200
    visit = ok(zhang.post("/visits", {"customer_id": customers[2]["id"], "planned_on": today()}), 201)
    month = datetime.now(UTC).strftime("%Y-%m")
    assert rx_head.put(f"/plans/EAST-RX/{month}", {"lines": []}, headers={"If-Match": '"0"'}).status_code == 200
    assert all_ids(east, "/customers") >= ids and all_ids(north, "/customers") == set()

    r = admin.post("/org-units/EAST-RX/move", {"parent_id": "NORTH", "reason": "华北扩张"})
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["Location"] == f"/org-units/moves/{job['id']}"
    assert (job["old_path"], job["new_path"], job["status"]) == ("/HQ/EAST/EAST-RX/", "/HQ/NORTH/EAST-RX/", "running")
    # one move at a time: the tree takes no other structural change meanwhile
    problem(admin.post("/org-units/EAST-OTC/move", {"parent_id": "NORTH"}), 409)
    problem(admin.post("/org-units", {"id": "NORTH-OTC", "name": "x", "kind": "department", "parent_id": "NORTH"}), 409)

    done = wait_for_move(admin, job["id"])
    assert done["status"] == "completed" and done["phase"] == "done", done
    assert done["moved"] == {"units": 1, "customers": 30, "orders": 1, "visits": 1, "plans": 1}
    tree = ok(zhang.get("/org-units"))["items"]
    assert [c["id"] for c in node(tree, "NORTH")["children"]] == ["EAST-RX"]
    assert [c["id"] for c in node(tree, "EAST")["children"]] == ["EAST-OTC"]
    assert node(tree, "EAST-RX")["path"] == "/HQ/NORTH/EAST-RX/"

    # the new branch's head sees what hangs under the department, the old branch's head no longer does
    assert all_ids(north, "/customers") == ids and all_ids(east, "/customers") & ids == set()
    assert all_ids(north, "/orders") == {open_order["id"]}
    assert void_order["id"] in all_ids(east, "/orders")  # a void order is history: it stays where it was made
    assert ok(north.get(f"/visits/{visit['id']}"))["org_path"] == "/HQ/NORTH/EAST-RX/"
    problem(east.get(f"/visits/{visit['id']}"), 404)
    assert [p["org_unit_id"] for p in ok(north.get("/plans", params={"month": month}))["items"]] == ["EAST-RX"]
    assert ok(east.get("/plans", params={"month": month}))["items"] == []
    # the department's own head and reps carry on as before
    assert all_ids(rx_head, "/customers") == ids and all_ids(zhang, "/customers") == ids
    later = ok(zhang.post("/customers", terminal(f"迁移后新店{uuid.uuid4().hex[:6]}")), 201)
    assert later["org_path"] == "/HQ/NORTH/EAST-RX/"

    # audited per record, in each record's history
    entry = ok(north.get(f"/customers/{customers[0]['id']}/history"))["items"][0]
    assert entry["action"] == "org_move" and entry["actor_id"] == "u-admin" and "华北扩张" in entry["reason"]
    assert entry["changes"] == {"org_path": {"before": "/HQ/EAST/EAST-RX/", "after": "/HQ/NORTH/EAST-RX/"}}
    assert ok(north.get(f"/visits/{visit['id']}/history"))["items"][-1]["action"] == "org_move"
    assert ok(admin.get("/org-units/EAST-RX/history"))["items"][0]["changes"]["parent_id"] == {
        "before": "EAST",
        "after": "NORTH",
    }
    assert _actions(keys.order_pk(world.tenant_id, open_order["id"]), cloud).count("org_move") == 1

    # a second run of the same job (a restarted execution) changes nothing and writes no second audit entry
    _wait_execution(cloud, run_again(cloud, world, job["id"]))
    assert ok(admin.get(f"/org-units/moves/{job['id']}")) == done
    for c in customers[:3]:
        assert _actions(keys.customer_pk(world.tenant_id, c["id"]), cloud).count("org_move") == 1


def test_two_runners_of_one_move_re_scope_every_record_once(world: World, cloud: Any):
    """A restarted execution running beside the first (as after a redrive): each record moves once, none is lost."""
    admin, zhang = world.as_user("admin"), world.as_user("rep.zhang")
    ids = {ok(zhang.post("/customers", terminal(f"双跑药店{i}-{uuid.uuid4().hex[:6]}")), 201)["id"] for i in range(40)}
    job = ok(admin.post("/org-units/EAST-RX/move", {"parent_id": "SOUTH"}), 202)
    second = run_again(cloud, world, job["id"])

    done = wait_for_move(admin, job["id"])
    _wait_execution(cloud, second, deadline_s=120)
    assert done["status"] == "completed" and done["moved"]["units"] == 1, done
    assert all_ids(world.as_user("south.head"), "/customers") == ids
    assert all_ids(world.as_user("east.head"), "/customers") & ids == set()
    for customer_id in ids:
        assert _actions(keys.customer_pk(world.tenant_id, customer_id), cloud).count("org_move") == 1
    assert [e["action"] for e in ok(admin.get("/org-units/EAST-RX/history"))["items"]] == ["org_move"]


def test_a_failed_move_says_why_frees_the_tree_and_runs_again_from_where_it_got_to(world: World, cloud: Any):
    admin, zhang = world.as_user("admin"), world.as_user("rep.zhang")
    ids = {ok(zhang.post("/customers", terminal(f"重跑药店{i}-{uuid.uuid4().hex[:6]}")), 201)["id"] for i in range(3)}
    broken = _unreadable_customer(world, cloud, "/HQ/EAST/EAST-RX/")  # e.g. written by an old release
    job = ok(admin.post("/org-units/EAST-RX/move", {"parent_id": "SOUTH"}), 202)

    failed = wait_for_move(admin, job["id"])
    assert failed["status"] == "failed" and failed["phase"] == "customers" and failed["error"], failed
    assert failed["finished_at"] is not None
    unit(admin, "SOUTH-OTC", "department", "SOUTH")  # the tree is free again for other changes
    problem(world.as_user("east.head").post(f"/org-units/moves/{job['id']}/retry"), 403)

    bind_table(cloud.physical_name("Table"))
    broken.delete()  # someone repairs the record the move could not read
    retried = admin.post(f"/org-units/moves/{job['id']}/retry")
    assert retried.status_code == 202 and retried.json()["status"] == "running", retried.text
    done = wait_for_move(admin, job["id"])
    assert done["status"] == "completed" and done["error"] is None, done
    assert done["moved"]["units"] == 1 and done["moved"]["customers"] == 3  # none moved twice, none lost
    assert all_ids(world.as_user("south.head"), "/customers") >= ids
    problem(admin.post(f"/org-units/moves/{job['id']}/retry"), 409)  # only a failed move runs again


def _unreadable_customer(world: World, cloud: Any, org_path: str) -> Any:
    """A customer record the service model cannot read (no profile, no dates): a step that meets it fails."""
    from crm.db.models import CustomerItem

    bind_table(cloud.physical_name("Table"))
    customer_id = "01" + uuid.uuid4().hex[:24].upper().translate(str.maketrans("ILOU", "JKMN"))
    item = CustomerItem(
        keys.customer_pk(world.tenant_id, customer_id),
        keys.META,
        gsi1pk=keys.customers_scope_pk(world.tenant_id),
        gsi1sk=keys.scope_sk(org_path, customer_id),
        tenant_id=world.tenant_id,
        id=customer_id,
        name="坏记录",
        type="terminal",
        status="prospect",
        org_unit_id="EAST-RX",
        org_path=org_path,
        doc={},
    )
    item.save()
    return item


def run_again(cloud: Any, world: World, move_id: str) -> str:
    """Starts another execution of the same move job, as an operator restarting it would."""
    sfn = cloud.client("stepfunctions")
    name = cloud.physical_name("OrgMoveStateMachine")
    arn = next(m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if m["name"] == name)
    payload = json.dumps({"tenant_id": world.tenant_id, "move_id": move_id})
    return sfn.start_execution(stateMachineArn=arn, name=f"{move_id}-again", input=payload)["executionArn"]


def _actions(pk: str, cloud: Any) -> list[str]:
    bind_table(cloud.physical_name("Table"))
    return [e.action for e in audit.history(pk, 200, None).items]


def _wait_execution(cloud: Any, arn: str, deadline_s: float = 60) -> None:
    sfn = cloud.client("stepfunctions")
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if (status := sfn.describe_execution(executionArn=arn)["status"]) != "RUNNING":
            assert status == "SUCCEEDED", status
            return
        time.sleep(0.5)
    raise AssertionError(f"{arn} still running")
