"""The approved half of an order's life over HTTP: approvals decided in the approver's inbox (a real
state-machine run), OrderApproved on the event bus, the ERP's reports, shipments, returns within what
was shipped, rejections. A few direct service calls check what a retried state-machine task does.
"""

import json
import time
import uuid

import pytest
from crm import config
from crm.orders.model import IllegalTransition
from crm.orders.returns import ReturnService
from crm.orders.service import OrderService

from tests.e2e.conftest import Client, World, new_tenant
from tests.e2e.test_approvals import decide_every_step, inbox_of
from tests.e2e.test_orders import customer, problem, product

APPROVER = "u-eastrx-head"


def decided(world: World, reader: Client, path: str, subject_id: str, decision: str, comment: str) -> dict:
    """Decides every step of the subject's approval in the approvers' inboxes; the subject once it moved."""
    decide_every_step(world, subject_id, decision, comment)
    return moved_on(reader, path)


def moved_on(reader: Client, path: str) -> dict:
    deadline = time.monotonic() + 15
    while (found := reader.get(path).json())["state"] == "submitted" and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


@pytest.fixture
def world(cloud, mint_token, monkeypatch) -> World:
    # the approval helpers run in this process, like the approval function will: its settings, the runtime's bus
    env = cloud.function_env("OrdersFunction")
    monkeypatch.setenv("TABLE_NAME", cloud.physical_name("Table"))  # no handler runs in this process
    monkeypatch.setenv("EVENT_BUS_NAME", env["EVENT_BUS_NAME"])
    config.get_settings.cache_clear()
    yield World(new_tenant(cloud), cloud.api_url, mint_token)
    config.get_settings.cache_clear()


@pytest.fixture
def approved_events(cloud):
    """Reads what reaches the bus: a rule on crm.orders events with an SQS queue as its target."""
    bus = cloud.function_env("OrdersFunction")["EVENT_BUS_NAME"]
    sqs, events = cloud.client("sqs"), cloud.client("events")
    name = f"orders-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps({"source": ["crm.orders"]}))
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])

    def read() -> list[dict]:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        return [json.loads(m["Body"]) for m in got]

    yield read
    events.remove_targets(Rule=name, EventBusName=bus, Ids=["q"])
    events.delete_rule(Name=name, EventBusName=bus)
    sqs.delete_queue(QueueUrl=url)


def submitted_order(world: World) -> tuple[dict, str, str]:
    zhang = world.as_user("rep.zhang")
    c = customer(zhang, level="B")
    a = product(world, [{"customer_type": "terminal", "level": "B", "unit_price": "12.35"}])
    b = product(world, [{"customer_type": "terminal", "level": None, "unit_price": "0.10"}])
    r = zhang.post("/orders", {"customer_id": c["id"], "lines": [{"sku": a, "quantity": 3}, {"sku": b, "quantity": 7}]})
    assert r.status_code == 201, r.text
    assert zhang.post(f"/orders/{r.json()['id']}/submit", {}).json()["state"] == "submitted"
    return r.json(), a, b


def test_approved_order_goes_to_the_erp_and_is_shipped_and_returned(world: World, approved_events):
    zhang, erp = world.as_user("rep.zhang"), world.as_user("erp")
    order, a, b = submitted_order(world)
    oid = order["id"]

    # approval (temporary: direct service call) publishes OrderApproved with lines and totals
    approved = decided(world, zhang, f"/orders/{oid}", oid, "approve", "同意")
    assert approved["state"] == "approved"
    [event] = approved_events()
    assert (event["source"], event["detail-type"]) == ("crm.orders", "OrderApproved")
    detail = event["detail"]
    assert (detail["order_id"], detail["tenant_id"], detail["total"], detail["approved_by"]) == (
        oid,
        world.tenant_id,
        "37.75",
        APPROVER,
    )
    assert [(x["sku"], x["quantity"], x["unit_price"], x["amount"]) for x in detail["lines"]] == [
        (a, 3, "12.35", "37.05"),
        (b, 7, "0.10", "0.70"),
    ]
    # a retried approval task changes nothing and publishes again (the ERP keys on order_id)
    assert OrderService.mark_approved(world.tenant_id, oid, APPROVER).version == approved["version"]
    assert len(approved_events()) == 1

    # the ERP takes it over; the same report again is harmless, another number is a conflict
    r = erp.post(f"/integration/orders/{oid}/processed", {"erp_order_no": "SO-1001"})
    assert r.status_code == 200 and r.json()["state"] == "processed" and r.json()["erp_order_no"] == "SO-1001"
    assert (
        erp.post(f"/integration/orders/{oid}/processed", {"erp_order_no": "SO-1001"}).json()["version"]
        == r.json()["version"]
    )
    problem(erp.post(f"/integration/orders/{oid}/processed", {"erp_order_no": "SO-9"}), 409)
    problem(zhang.post(f"/integration/orders/{oid}/processed", {"erp_order_no": "SO-1001"}), 403)

    # two deliveries; a repeated delivery_no is idempotent; more than ordered is refused
    first = {"delivery_no": "DN-1", "outbound_no": "OB-1", "lines": [{"sku": a, "batch": "B1", "quantity": 2}]}
    r = erp.post(f"/integration/orders/{oid}/shipments", first)
    assert r.status_code == 200 and r.json()["state"] == "shipped"
    version = r.json()["version"]
    assert erp.post(f"/integration/orders/{oid}/shipments", first).json()["version"] == version
    problem(zhang.post(f"/integration/orders/{oid}/shipments", first), 403)
    second = {
        "delivery_no": "DN-2",
        "outbound_no": "OB-2",
        "lines": [{"sku": a, "batch": "B2", "quantity": 1}, {"sku": b, "batch": "X9", "quantity": 7}],
    }
    r = erp.post(f"/integration/orders/{oid}/shipments", second)
    assert r.status_code == 200
    assert sorted(r.json()["shipped"], key=lambda x: (x["sku"] != a, x["batch"])) == [
        {"sku": a, "batch": "B1", "quantity": 2},
        {"sku": a, "batch": "B2", "quantity": 1},
        {"sku": b, "batch": "X9", "quantity": 7},
    ]
    p = problem(
        erp.post(
            f"/integration/orders/{oid}/shipments",
            {"delivery_no": "DN-3", "outbound_no": "OB-3", "lines": [{"sku": a, "batch": "B1", "quantity": 1}]},
        ),
        422,
    )
    assert p["errors"][0]["field"] == "lines.0.quantity"
    problem(erp.post(f"/integration/orders/{oid}/shipments", {**first, "outbound_no": "OB-X"}), 409)

    # a return within what was shipped; over shipped minus returned (pending included) is refused
    r = zhang.post(f"/orders/{oid}/returns", {"lines": [{"sku": a, "batch": "B1", "quantity": 2}], "reason": "破损"})
    assert r.status_code == 201, r.text
    ret = r.json()
    assert (ret["state"], ret["total"], ret["lines"][0]["unit_price"]) == ("submitted", "24.70", "12.35")
    p = problem(
        zhang.post(f"/orders/{oid}/returns", {"lines": [{"sku": a, "batch": "B1", "quantity": 1}], "reason": "又坏了"}),
        422,
    )
    assert p["errors"][0]["field"] == "lines.0.quantity" and "0 may still be returned" in p["errors"][0]["message"]
    assert {"sku": a, "batch": "B1", "quantity": 0} in p["remaining"]
    assert {"sku": a, "batch": "B2", "quantity": 1} in p["remaining"]
    p = problem(
        zhang.post(
            f"/orders/{oid}/returns", {"lines": [{"sku": a, "batch": "B7", "quantity": 1}], "reason": "批号不对"}
        ),
        422,
    )
    problem(
        world.as_user("rep.lin").post(
            f"/orders/{oid}/returns", {"lines": [{"sku": a, "batch": "B2", "quantity": 1}], "reason": "x"}
        ),
        404,
    )

    # a rejected return gives its quantity back
    rejected = decided(world, zhang, f"/returns/{ret['id']}", ret["id"], "reject", "不符合退货政策")
    assert rejected["state"] == "rejected"
    assert zhang.get(f"/orders/{oid}").json()["returned"] == []
    r = zhang.post(f"/orders/{oid}/returns", {"lines": [{"sku": a, "batch": "B1", "quantity": 2}], "reason": "破损"})
    assert r.status_code == 201, r.text
    again = r.json()
    with pytest.raises(IllegalTransition):  # a decided return cannot be decided again
        ReturnService.mark_approved(world.tenant_id, ret["id"], APPROVER)
    assert decided(world, zhang, f"/returns/{again['id']}", again["id"], "approve", "同意")["state"] == "approved"
    problem(zhang.post(f"/returns/{ret['id']}/close", {}), 409)
    r = zhang.post(f"/returns/{again['id']}/close", {"comment": "已入库"})
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert zhang.get(f"/returns/{again['id']}").json()["state"] == "closed"
    assert [x["id"] for x in zhang.get(f"/orders/{oid}/returns").json()["items"]] == [again["id"], ret["id"]]
    history = zhang.get(f"/returns/{again['id']}/history").json()["items"]
    assert [(h["action"], h["from_state"], h["to_state"]) for h in history] == [
        ("submit", None, "submitted"),
        ("approve", "submitted", "approved"),
        ("close", "approved", "closed"),
    ]
    problem(world.as_user("south.head").get(f"/returns/{again['id']}"), 404)

    # and the order closes; its history tells the whole story
    assert zhang.post(f"/orders/{oid}/close", {}).json()["state"] == "closed"
    steps = [(h["action"], h["from_state"], h["to_state"]) for h in zhang.get(f"/orders/{oid}/history").json()["items"]]
    assert steps == [
        ("create", None, "saved"),
        ("submit", "saved", "submitted"),
        ("approve", "submitted", "approved"),
        ("process", "approved", "processed"),
        ("ship", "processed", "shipped"),
        ("ship", "shipped", "shipped"),
        ("return", "shipped", "shipped"),
        ("return_released", "shipped", "shipped"),
        ("return", "shipped", "shipped"),
        ("close", "shipped", "closed"),
    ]


def test_a_rejection_returns_the_order_to_saved(world: World, approved_events):
    zhang = world.as_user("rep.zhang")
    order, a, _ = submitted_order(world)
    rejected = decided(world, zhang, f"/orders/{order['id']}", order["id"], "reject", "价格太低")
    assert rejected["state"] == "saved"
    assert approved_events() == []
    history = zhang.get(f"/orders/{order['id']}/history").json()["items"]
    assert (history[-1]["action"], history[-1]["by"], history[-1]["comment"]) == ("reject", APPROVER, "价格太低")
    # the rep changes it and submits again; a second rejection of a saved order is illegal
    r = zhang.patch(
        f"/orders/{order['id']}",
        {"lines": [{"sku": a, "quantity": 4}]},
        headers={"If-Match": f'"{rejected["version"]}"'},
    )
    assert r.status_code == 200 and r.json()["total"] == "49.40"
    with pytest.raises(IllegalTransition, match="saved"):
        OrderService.mark_rejected(world.tenant_id, order["id"], APPROVER)


def test_other_tenants_cannot_reach_orders_or_returns(world: World, cloud):
    order, _, _ = submitted_order(world)
    other = World(new_tenant(cloud), world.base_url, world.mint)
    problem(other.as_user("admin").get(f"/orders/{order['id']}"), 404)
    problem(other.as_user("erp").post(f"/integration/orders/{order['id']}/processed", {"erp_order_no": "X"}), 404)
    assert other.as_user("admin").get("/orders").json()["items"] == []


def test_a_large_order_walks_three_steps_and_a_late_approver_is_escalated(world: World, approved_events):
    admin, zhang = world.as_user("admin"), world.as_user("rep.zhang")
    policy = {
        "steps": [
            {"role": "dept_head"},
            {"role": "branch_head", "min_amount": "10000.00", "when_over_credit": True},
            {"role": "finance", "min_amount": "50000.00", "when_over_credit": True},
        ],
        "reminder_after_seconds": 1,
        "escalate_after_seconds": 3,
    }
    assert admin.put("/approval-policies/order", json=policy, headers={"If-Match": '"0"'}).status_code == 200
    c = customer(zhang, level="B")
    sku = product(world, [{"customer_type": "terminal", "level": None, "unit_price": "1250.00"}])
    r = zhang.post("/orders", {"customer_id": c["id"], "lines": [{"sku": sku, "quantity": 48}]})
    order = r.json()
    assert order["total"] == "60000.00"
    assert zhang.post(f"/orders/{order['id']}/submit", {}).json()["state"] == "submitted"

    # nobody acts on step 1: a reminder, then the branch head may decide it too
    east = world.as_user("east.head")
    entry = inbox_of(east, order["id"], timeout=20)
    approval = admin.get(f"/approvals/{entry['approval_id']}").json()
    assert [s["role"] for s in approval["steps"]] == ["dept_head", "branch_head", "finance"]
    assert approval["steps"][0]["approvers"] == ["u-eastrx-head", "u-east-head"]
    assert approval["steps"][0]["reminded_at"] and approval["steps"][0]["escalated_at"]

    decide_every_step(world, order["id"])
    done = moved_on(zhang, f"/orders/{order['id']}")
    assert done["state"] == "approved"
    steps = admin.get(f"/approvals/{entry['approval_id']}").json()["steps"]
    assert [(s["status"], s["decided_by"]) for s in steps] == [
        ("approved", "u-eastrx-head"),
        ("approved", "u-east-head"),
        ("approved", "u-finance"),
    ]
    [event] = approved_events()
    assert event["detail"]["approved_by"] == "u-finance" and event["detail"]["total"] == "60000.00"


def test_a_small_order_over_the_customers_credit_needs_the_higher_steps(world: World):
    zhang = world.as_user("rep.zhang")
    c = customer(zhang, level="B")
    head = world.as_user("eastrx.head")
    profile = {"type": "terminal", "kind": "pharmacy", "credit_limit": "100.00"}
    r = head.patch(f"/customers/{c['id']}", {"profile": profile}, headers={"If-Match": f'"{c["version"]}"'})
    assert r.status_code == 200, r.text
    sku = product(world, [{"customer_type": "terminal", "level": None, "unit_price": "60.00"}])
    order = zhang.post("/orders", {"customer_id": c["id"], "lines": [{"sku": sku, "quantity": 2}]}).json()
    zhang.post(f"/orders/{order['id']}/submit", {})
    entry = inbox_of(head, order["id"])
    steps = world.as_user("admin").get(f"/approvals/{entry['approval_id']}").json()["steps"]
    assert [s["role"] for s in steps] == ["dept_head", "branch_head", "finance"]  # 120.00 > 100.00 of credit

    # the submitter withdraws: the run ends, the inbox empties, the order is back in saved
    assert zhang.post(f"/orders/{order['id']}/withdraw", {}).json()["state"] == "saved"
    deadline = time.monotonic() + 10
    while any(i["subject_id"] == order["id"] for i in head.get("/approvals/inbox").json()["items"]):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert world.as_user("admin").get(f"/approvals/{entry['approval_id']}").json()["status"] == "withdrawn"
