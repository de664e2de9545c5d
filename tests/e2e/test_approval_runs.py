"""Approvals that always end, over HTTP with the real approval state machine: nobody deciding (reminders,
escalation to the top, expiry), an execution stopped by hand or never started (the reconciler), a decision
after the end, and a deputy (工作代理) deciding while the approver is away."""

import json
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.e2e.conftest import Client, World
from tests.e2e.test_approvals import eventually, inbox_of
from tests.e2e.test_orders import customer, product


def submitted_order(world: World) -> dict[str, Any]:
    zhang = world.as_user("rep.zhang")
    c = customer(zhang, level="B")
    sku = product(world, [{"customer_type": "terminal", "level": None, "unit_price": "12.00"}])
    order = zhang.post("/orders", {"customer_id": c["id"], "lines": [{"sku": sku, "quantity": 2}]}).json()
    r = zhang.post(f"/orders/{order['id']}/submit", {})
    assert r.status_code == 200 and r.json()["state"] == "submitted", r.text
    return r.json()


def approval_of(client: Client, order_id: str) -> dict[str, Any]:
    """The order's approval, found in the department head's inbox."""
    return client.get(f"/approvals/{inbox_of(client, order_id)['approval_id']}").json()


def executions(cloud: Any, world: World, approval_id: str) -> list[dict[str, Any]]:
    sfn = cloud.client("stepfunctions")
    machine = cloud.physical_name("ApprovalStateMachine")
    arn = next(m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if m["name"] == machine)
    found = sfn.list_executions(stateMachineArn=arn, maxResults=1000)["executions"]
    return [e for e in found if e["name"].startswith(f"{world.tenant_id}-{approval_id}")]


def set_order_policy(world: World, **timings: int) -> None:
    policy = {"steps": [{"role": "dept_head"}], **timings}
    r = world.as_user("admin").put("/approval-policies/order", json=policy, headers={"If-Match": '"0"'})
    assert r.status_code == 200, r.text


def test_an_undecided_order_climbs_to_the_top_keeps_reminding_then_expires_back_to_saved(world: World, cloud):
    set_order_policy(world, reminder_after_seconds=1, escalate_after_seconds=2, expire_after_seconds=14)
    order = submitted_order(world)
    admin, zhang = world.as_user("admin"), world.as_user("rep.zhang")
    approval_id = approval_of(world.as_user("eastrx.head"), order["id"])["id"]

    def at_the_top_and_reminded_there() -> dict[str, Any] | None:
        approval = admin.get(f"/approvals/{approval_id}").json()
        step = approval["steps"][0]
        return approval if len(step["approvers"]) == 3 and step["reminders"] >= 4 else None

    approval = eventually(at_the_top_and_reminded_there, timeout=40)
    assert approval, admin.get(f"/approvals/{approval_id}").json()
    assert approval["status"] == "pending"
    assert approval["steps"][0]["approvers"] == ["u-eastrx-head", "u-east-head", "u-admin"]
    inbox_of(admin, order["id"])  # HQ has it too, and anyone of them may still decide

    expired = eventually(lambda: admin.get(f"/approvals/{approval_id}").json()["status"] == "expired", timeout=40)
    assert expired, admin.get(f"/approvals/{approval_id}").json()
    assert "14 seconds" in admin.get(f"/approvals/{approval_id}").json()["reason"]
    back = eventually(lambda: (o := zhang.get(f"/orders/{order['id']}").json())["state"] == "saved" and o, 15)
    assert back, "the expired order did not go back to saved"
    last = zhang.get(f"/orders/{order['id']}/history").json()["items"][-1]
    assert (last["action"], last["to_state"], last["by"]) == ("expire", "saved", "system")
    assert "14 seconds" in last["comment"]  # the submitter sees why
    assert all(inbox_of_none(c, order["id"]) for c in (admin, world.as_user("eastrx.head")))
    r = admin.post(f"/approvals/{approval_id}/decision", {"decision": "approve"})
    assert r.status_code == 409 and r.json()["approval_status"] == "expired"  # too late, and says why
    runs = executions(cloud, world, approval_id)
    assert [e["status"] for e in runs] == ["SUCCEEDED"]  # it ended; no execution ever FAILED


def inbox_of_none(client: Client, subject_id: str) -> bool:
    return all(i["subject_id"] != subject_id for i in client.get("/approvals/inbox").json()["items"])


def test_an_execution_stopped_by_hand_is_started_again_by_the_scheduled_reconciler(world: World, cloud):
    order = submitted_order(world)
    head = world.as_user("eastrx.head")
    approval_id = approval_of(head, order["id"])["id"]
    (first,) = executions(cloud, world, approval_id)
    cloud.client("stepfunctions").stop_execution(executionArn=first["executionArn"], cause="ops, by hand")
    assert cloud.wait_execution(first["executionArn"])["status"] == "ABORTED"

    result = cloud.run_schedule("ApprovalWorkerFunction")  # the 5-minute pass, now
    assert result["repaired"] >= 1
    assert eventually(lambda: any(e["status"] == "RUNNING" for e in executions(cloud, world, approval_id)))
    r = eventually(
        lambda: (
            (x := head.post(f"/approvals/{approval_id}/decision", {"decision": "approve"})).status_code == 200 and x
        ),
        timeout=15,
    )
    assert r, "the restarted run never took the decision"
    assert eventually(lambda: world.as_user("rep.zhang").get(f"/orders/{order['id']}").json()["state"] == "approved")
    again = head.post(f"/approvals/{approval_id}/decision", {"decision": "approve"})
    assert again.status_code == 409 and again.json()["approval_status"] == "approved"
    audit = [e["status"] for e in executions(cloud, world, approval_id)]
    assert sorted(audit) == ["ABORTED", "SUCCEEDED"]


def test_a_decision_on_a_stopped_run_says_so_and_the_next_try_goes_through(world: World, cloud):
    order = submitted_order(world)
    head = world.as_user("eastrx.head")
    approval_id = approval_of(head, order["id"])["id"]
    (first,) = executions(cloud, world, approval_id)
    cloud.client("stepfunctions").stop_execution(executionArn=first["executionArn"])
    cloud.wait_execution(first["executionArn"])
    r = head.post(f"/approvals/{approval_id}/decision", {"decision": "approve"})
    assert r.status_code == 409 and r.json()["run"] == "ABORTED", r.text  # never a 200 that changes nothing
    r = eventually(
        lambda: (
            (x := head.post(f"/approvals/{approval_id}/decision", {"decision": "approve"})).status_code == 200 and x
        ),
        timeout=15,
    )
    assert r and r.json()["status"] == "approved"
    assert eventually(lambda: world.as_user("rep.zhang").get(f"/orders/{order['id']}").json()["state"] == "approved")


def test_a_submit_whose_run_could_not_start_gets_one_from_the_reconciler(world: World, cloud):
    sfn = cloud.client("stepfunctions")
    machine = cloud.stack.state_machines["ApprovalStateMachine"]
    arn = next(m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if m["name"] == machine.name)
    role = sfn.describe_state_machine(stateMachineArn=arn)["roleArn"]
    sfn.delete_state_machine(stateMachineArn=arn)  # Step Functions unavailable while the order is submitted
    try:
        order = submitted_order(world)
    finally:
        sfn.create_state_machine(name=machine.name, definition=json.dumps(machine.definition), roleArn=role)
    head = world.as_user("eastrx.head")
    time.sleep(0.5)
    assert inbox_of_none(head, order["id"])  # no run: nobody was asked
    result = cloud.invoke("ApprovalWorkerFunction", {"action": "reconcile", "grace_seconds": 0})
    assert result["repaired"] >= 1
    entry = inbox_of(head, order["id"])
    r = head.post(f"/approvals/{entry['approval_id']}/decision", {"decision": "approve"})
    assert r.status_code == 200, r.text
    assert eventually(lambda: world.as_user("rep.zhang").get(f"/orders/{order['id']}").json()["state"] == "approved")


def test_a_deputy_decides_while_the_approver_is_away(world: World):
    head, east, zhang = world.as_user("eastrx.head"), world.as_user("east.head"), world.as_user("rep.zhang")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the tenant's date
    away = {
        "deputy_id": "u-east-head",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=3)).isoformat(),
        "reason": "出差三天",
    }
    assert zhang.post("/delegations", away).status_code == 403  # reps approve nothing, delegate nothing
    r = head.post("/delegations", away)
    assert r.status_code == 201, r.text
    delegation = r.json()
    assert delegation["status"] == "active" and r.headers["ETag"] == '"1"'
    assert head.post("/delegations", away).status_code == 409  # one deputy at a time
    assert [d["id"] for d in east.get("/delegations").json()["items"]] == [delegation["id"]]

    order = submitted_order(world)
    entry = inbox_of(east, order["id"])
    assert entry["on_behalf_of"] == "u-eastrx-head"
    r = east.post(f"/approvals/{entry['approval_id']}/decision", {"decision": "approve", "comment": "代李主管审批"})
    assert r.status_code == 200, r.text
    step = r.json()["steps"][0]
    assert (step["decided_by"], step["on_behalf_of"]) == ("u-east-head", "u-eastrx-head")
    assert eventually(lambda: zhang.get(f"/orders/{order['id']}").json()["state"] == "approved")
    assert inbox_of_none(head, order["id"])

    r = head.post(f"/delegations/{delegation['id']}/cancel", headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    stored = next(d for d in head.get("/delegations").json()["items"] if d["id"] == delegation["id"])
    assert r.headers["ETag"] == f'"{stored["version"]}"' == f'"{r.json()["version"]}"'  # the reply's is the stored one
    again = head.post(f"/delegations/{delegation['id']}/cancel", headers={"If-Match": r.headers["ETag"]})
    assert again.status_code == 409 and again.json()["status"] == 409  # the problem's status is the HTTP status
    assert again.json()["delegation_status"] == "cancelled"
    later = submitted_order(world)
    approval_id = inbox_of(head, later["id"])["approval_id"]
    assert inbox_of_none(east, later["id"])  # back from the trip: nobody stands in any more
    assert east.post(f"/approvals/{approval_id}/decision", {"decision": "approve"}).status_code == 404
