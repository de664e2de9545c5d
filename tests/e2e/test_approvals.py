"""Approvals end to end: HTTP in, a real Step Functions execution waiting with task tokens, HTTP out."""

import threading
import time
import uuid
from typing import Any

from tests.e2e.conftest import ORG, Client, World, terminal


def prospect(world: World) -> dict[str, Any]:
    r = world.as_user("rep.zhang").post("/customers", terminal(f"康宁药店{uuid.uuid4().hex[:6]}"))
    assert r.status_code == 201, r.text
    return r.json()


def inbox_of(client: Client, subject_id: str, timeout: float = 15.0) -> dict[str, Any]:
    """The inbox entry for a subject, once the state machine has opened the step."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = client.get("/approvals/inbox").json()["items"]
        found = [i for i in items if i["subject_id"] == subject_id]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"nothing for {subject_id} in the inbox")


def eventually(check: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


USERNAMES = {u["id"]: u["username"] for u in ORG["users"]}
APPROVER_ROLES = {"dept_head", "branch_head", "finance", "hq_admin"}


def decide_every_step(world: World, subject_id: str, decision: str = "approve", comment: str = "ok") -> dict[str, Any]:
    """Each step's first approver decides in their inbox, until the run is no longer pending."""
    admin = world.as_user("admin")
    approval_id = first_inbox_entry(world, subject_id)["approval_id"]
    while (approval := admin.get(f"/approvals/{approval_id}").json())["status"] == "pending":
        approver = world.as_user(USERNAMES[approval["steps"][approval["current"]]["approvers"][0]])
        entry = inbox_of(approver, subject_id)
        r = approver.post(f"/approvals/{approval_id}/decision", {"decision": decision, "comment": comment})
        assert r.status_code == 200, (entry, r.text)
    return approval


def first_inbox_entry(world: World, subject_id: str, timeout: float = 15.0) -> dict[str, Any]:
    """Whichever approver the run opened its first step for."""
    approvers = [world.as_user(u["username"]) for u in ORG["users"] if set(u["roles"]) & APPROVER_ROLES]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for client in approvers:
            found = [i for i in client.get("/approvals/inbox").json()["items"] if i["subject_id"] == subject_id]
            if found:
                return found[0]
        time.sleep(0.1)
    raise AssertionError(f"nothing for {subject_id} in any inbox")


def test_activation_waits_for_the_department_head_then_applies(world: World):
    customer = prospect(world)
    zhang, head = world.as_user("rep.zhang"), world.as_user("eastrx.head")
    r = zhang.post(f"/customers/{customer['id']}/activation-requests", {"comment": "signed the agreement"})
    assert r.status_code == 202, r.text
    approval = r.json()
    assert [s["role"] for s in approval["steps"]] == ["dept_head"]
    assert approval["steps"][0]["approvers"] == ["u-eastrx-head"]
    assert zhang.post(f"/customers/{customer['id']}/activation-requests", {}).status_code == 409  # one at a time
    r = zhang.patch(f"/customers/{customer['id']}", {"status": "active"}, headers={"If-Match": '"1"'})
    assert r.status_code == 403  # no way around the approval for a rep

    entry = inbox_of(head, customer["id"])
    assert entry["kind"] == "customer_activation" and entry["role"] == "dept_head"
    assert world.as_user("rep.zhang").get("/approvals/inbox").json()["items"] == []

    # Not the approver: a rep cannot decide (role), another manager is not this step's approver.
    assert zhang.post(f"/approvals/{approval['id']}/decision", {"decision": "approve"}).status_code == 403
    south = world.as_user("south.head")
    assert south.post(f"/approvals/{approval['id']}/decision", {"decision": "approve"}).status_code == 404
    r = head.post(f"/approvals/{approval['id']}/decision", {"decision": "reject"})
    assert r.status_code == 422 and r.headers["Content-Type"] == "application/problem+json"  # no reason given

    r = head.post(f"/approvals/{approval['id']}/decision", {"decision": "approve", "comment": "ok"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"
    active = eventually(lambda: zhang.get(f"/customers/{customer['id']}").json()["status"] == "active")
    assert active, "the approved activation was not applied"
    history = zhang.get(f"/customers/{customer['id']}/history").json()["items"]
    assert any(h["actor_id"] == "u-eastrx-head" and h["changes"].get("status") for h in history)
    assert head.post(f"/approvals/{approval['id']}/decision", {"decision": "approve"}).status_code == 409
    assert inbox_of_empty(head, customer["id"])


def inbox_of_empty(client: Client, subject_id: str) -> bool:
    return all(i["subject_id"] != subject_id for i in client.get("/approvals/inbox").json()["items"])


def test_rejected_level_change_leaves_the_level(world: World):
    zhang, head, east = (world.as_user(u) for u in ("rep.zhang", "eastrx.head", "east.head"))
    r = zhang.post("/customers", terminal(f"惠民诊所{uuid.uuid4().hex[:6]}", level="C"))
    customer = r.json()
    same = zhang.post(
        f"/customers/{customer['id']}/level-requests",
        {"level": "C", "reason": "no change at all", "effective_from": "2030-01-01"},
    )
    assert same.status_code == 409 and "level C" in same.json()["detail"]  # nothing for a manager to decide
    r = zhang.post(
        f"/customers/{customer['id']}/level-requests",
        {"level": "A", "reason": "volume doubled", "effective_from": "2026-11-01"},
    )
    assert r.status_code == 202, r.text
    approval = r.json()
    assert [s["role"] for s in approval["steps"]] == ["dept_head", "branch_head"]
    inbox_of(head, customer["id"])
    assert head.post(f"/approvals/{approval['id']}/decision", {"decision": "approve"}).status_code == 200
    inbox_of(east, customer["id"])  # the second step opens for the branch head
    r = east.post(f"/approvals/{approval['id']}/decision", {"decision": "reject", "comment": "wait a quarter"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    time.sleep(0.5)
    assert zhang.get(f"/customers/{customer['id']}").json()["level"] == "C"


def test_no_decision_in_time_reminds_then_escalates_and_two_deciders_race(world: World, cloud: Any):
    admin = world.as_user("admin")
    policy = {"steps": [{"role": "dept_head"}], "reminder_after_seconds": 1, "escalate_after_seconds": 3}
    assert admin.get("/approval-policies/customer_activation").headers["ETag"] == '"0"'  # the default
    assert admin.put("/approval-policies/customer_activation", policy).status_code == 428  # If-Match required
    stored = admin.put("/approval-policies/customer_activation", json=policy, headers={"If-Match": '"0"'})
    assert stored.status_code == 200 and stored.headers["ETag"] == '"1"'
    stale = admin.put("/approval-policies/customer_activation", json=policy, headers={"If-Match": '"0"'})
    assert stale.status_code == 412  # someone changed it since that read
    assert (
        world.as_user("rep.zhang")
        .put("/approval-policies/customer_activation", json=policy, headers={"If-Match": '"1"'})
        .status_code
        == 403
    )
    customer = prospect(world)
    head, east = world.as_user("eastrx.head"), world.as_user("east.head")
    approval = world.as_user("rep.zhang").post(f"/customers/{customer['id']}/activation-requests", {}).json()
    inbox_of(head, customer["id"])
    entry = inbox_of(east, customer["id"], timeout=20)  # escalated to the branch head after 3 s
    assert entry["role"] == "dept_head"
    steps = head.get(f"/approvals/{approval['id']}").json()["steps"]
    assert steps[0]["reminded_at"] and steps[0]["escalated_at"]
    assert steps[0]["approvers"] == ["u-eastrx-head", "u-east-head"]
    inbox_of(head, customer["id"])  # the original approver may still decide

    replies: list[int] = []
    go = threading.Barrier(2)

    def decide(client: Client) -> None:
        go.wait()
        replies.append(client.post(f"/approvals/{approval['id']}/decision", {"decision": "approve"}).status_code)

    threads = [threading.Thread(target=decide, args=(c,)) for c in (head, east)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(replies) == [200, 409]
    assert eventually(lambda: head.get(f"/customers/{customer['id']}").json()["status"] == "active")
