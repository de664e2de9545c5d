"""Orders end to end: HTTP into the local runtime, real handlers, emulated DynamoDB.

The approved half of the life cycle (ERP reports, shipments, returns, the OrderApproved event) needs an
approval; until crm.approvals is wired it is tested in tests/data/test_orders_lifecycle.py.
"""

import uuid

import requests

from tests.e2e.conftest import Client, World, new_tenant, terminal


def problem(r: requests.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    return r.json()


def product(world: World, prices: list[dict], **fields) -> str:
    """A product with a price list, made through the products API."""
    sku = f"O-{uuid.uuid4().hex[:8].upper()}"
    body = {"sku": sku, "name": "测试片", "spec": "10mg*24", "base_unit": "盒", "case_size": 40, **fields}
    assert world.as_user("admin").post("/products", body).status_code == 201
    r = world.as_user("finance.wu").request(
        "PUT", f"/products/{sku}/prices", json={"items": prices}, headers={"If-Match": '"0"'}
    )
    assert r.status_code == 200, r.text
    return sku


def customer(client: Client, **extra) -> dict:
    r = client.post("/customers", terminal(f"订货药店{uuid.uuid4().hex[:6]}", **extra))
    assert r.status_code == 201, r.text
    return r.json()


def setup(world: World) -> tuple[Client, dict, str, str]:
    zhang = world.as_user("rep.zhang")
    c = customer(zhang, level="B")
    a = product(
        world,
        [
            {"customer_type": "terminal", "level": "B", "unit_price": "12.35"},
            {"customer_type": "terminal", "level": None, "unit_price": "13.00"},
        ],
    )
    b = product(world, [{"customer_type": "terminal", "level": None, "unit_price": "0.10"}])
    return zhang, c, a, b


def order_body(c: dict, a: str, b: str, **extra) -> dict:
    return {"customer_id": c["id"], "lines": [{"sku": a, "quantity": 3}, {"sku": b, "quantity": 7}], **extra}


def test_rep_creates_an_order_with_exact_totals(world: World):
    zhang, c, a, b = setup(world)
    r = zhang.post("/orders", order_body(c, a, b, remarks="月初补货"))
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["state"] == "saved" and order["total"] == "37.75" and r.headers["ETag"] == '"1"'
    assert [(x["sku"], x["quantity"], x["unit_price"], x["amount"]) for x in order["lines"]] == [
        (a, 3, "12.35", "37.05"),
        (b, 7, "0.10", "0.70"),
    ]
    assert order["owner_id"] == "u-rep-zhang" and order["customer_level"] == "B"
    assert r.headers["Location"] == f"/orders/{order['id']}"

    got = zhang.get(f"/orders/{order['id']}")
    assert got.status_code == 200 and got.json() == order and got.headers["ETag"] == '"1"'
    assert [o["id"] for o in zhang.get("/orders").json()["items"]] == [order["id"]]
    assert (
        zhang.get("/orders", params={"customer_id": c["id"], "state": "saved"}).json()["items"][0]["id"] == order["id"]
    )
    assert zhang.get("/orders", params={"state": "submitted"}).json()["items"] == []
    month = order["created_at"][:7]
    assert len(zhang.get("/orders", params={"month": month}).json()["items"]) == 1
    assert zhang.get("/orders", params={"month": "2020-01"}).json()["items"] == []
    # the department head sees it in the unit's list, another branch does not
    assert [o["id"] for o in world.as_user("eastrx.head").get("/orders").json()["items"]] == [order["id"]]
    assert world.as_user("south.head").get("/orders").json()["items"] == []
    problem(world.as_user("south.head").get(f"/orders/{order['id']}"), 404)
    history = zhang.get(f"/orders/{order['id']}/history").json()["items"]
    assert [(h["action"], h["from_state"], h["to_state"], h["by"]) for h in history] == [
        ("create", None, "saved", "u-rep-zhang")
    ]


def test_rounding_is_half_up_per_line(world: World):
    zhang = world.as_user("rep.zhang")
    c = customer(zhang)
    sku = product(world, [{"customer_type": "terminal", "level": None, "unit_price": "0.125"}])
    r = zhang.post("/orders", {"customer_id": c["id"], "lines": [{"sku": sku, "quantity": 1}]})
    assert r.json()["lines"][0]["unit_price"] == "0.125" and r.json()["total"] == "0.13"


def test_out_of_scope_customer_is_404_and_roles_without_permission_403(world: World):
    _, c, a, b = setup(world)
    problem(world.as_user("rep.lin").post("/orders", order_body(c, a, b)), 404)
    problem(world.as_user("rep.liu").post("/orders", order_body(c, a, b)), 404)  # same unit, not theirs
    problem(world.as_user("finance.wu").post("/orders", order_body(c, a, b)), 403)
    problem(world.as_user("erp").post("/orders", order_body(c, a, b)), 403)


def test_price_override_needs_a_reason_and_the_permission(world: World):
    zhang, c, a, _b = setup(world)
    body = {"customer_id": c["id"], "lines": [{"sku": a, "quantity": 2, "unit_price": "11.00"}]}
    p = problem(zhang.post("/orders", body), 422)
    assert p["errors"][0]["field"] == "lines.0.price_override_reason"
    body["lines"][0]["price_override_reason"] = "季度促销"
    r = zhang.post("/orders", body)
    assert r.status_code == 201, r.text
    line = r.json()["lines"][0]
    assert (line["list_price"], line["unit_price"], line["amount"], line["price_override_reason"]) == (
        "12.35",
        "11.00",
        "22.00",
        "季度促销",
    )
    # the list price itself is no override; a JSON number is refused rather than rounded through a float
    same = {"customer_id": c["id"], "lines": [{"sku": a, "quantity": 1, "unit_price": "12.350"}]}
    assert zhang.post("/orders", same).json()["lines"][0]["price_override_reason"] is None
    p = problem(
        zhang.post("/orders", {"customer_id": c["id"], "lines": [{"sku": a, "quantity": 1, "unit_price": 11.0}]}), 422
    )
    assert p["errors"][0]["field"] == "lines.0.unit_price"


def test_a_distributor_user_orders_for_itself_without_overrides(world: World):
    zhang = world.as_user("rep.zhang")
    r = zhang.post(
        "/customers",
        {"name": f"一级商{uuid.uuid4().hex[:6]}", "profile": {"type": "distributor", "tier": "tier1"}, "level": "A"},
    )
    dist = r.json()
    sku = product(world, [{"customer_type": "distributor", "level": "A", "unit_price": "8.88"}])
    d = world.as_new_user("u-dist-x", "EAST", ["distributor"], distributor_id=dist["id"])
    r = d.post("/orders", {"lines": [{"sku": sku, "quantity": 10}]})
    assert r.status_code == 201, r.text
    assert r.json()["customer_id"] == dist["id"] and r.json()["total"] == "88.80"
    assert r.json()["owner_id"] == "u-rep-zhang"  # the rep sees the distributor's order
    assert [o["id"] for o in zhang.get("/orders").json()["items"]] == [r.json()["id"]]
    assert [o["id"] for o in d.get("/orders").json()["items"]] == [r.json()["id"]]
    other = customer(zhang)
    problem(d.post("/orders", {"customer_id": other["id"], "lines": [{"sku": sku, "quantity": 1}]}), 404)
    problem(
        d.post("/orders", {"lines": [{"sku": sku, "quantity": 1, "unit_price": "1.00", "price_override_reason": "x"}]}),
        403,
    )


def test_unknown_or_inactive_sku_is_422_naming_the_line(world: World):
    zhang, c, a, b = setup(world)
    admin = world.as_user("admin")
    assert admin.patch(f"/products/{b}", {"status": "inactive"}, headers={"If-Match": '"1"'}).status_code == 200
    body = {
        "customer_id": c["id"],
        "lines": [{"sku": a, "quantity": 1}, {"sku": "NOPE-1", "quantity": 1}, {"sku": b, "quantity": 1}],
    }
    p = problem(zhang.post("/orders", body), 422)
    assert [e["field"] for e in p["errors"]] == ["lines.1.sku", "lines.2.sku"]
    assert "NOPE-1" in p["errors"][0]["message"] and "not active" in p["errors"][1]["message"]


def test_retried_create_and_submit_with_the_same_key_act_once(world: World):
    zhang, c, a, b = setup(world)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = zhang.post("/orders", order_body(c, a, b), headers=key)
    again = zhang.post("/orders", order_body(c, a, b), headers=key)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert len(zhang.get("/orders").json()["items"]) == 1
    problem(zhang.post("/orders", order_body(c, a, b, remarks="other"), headers=key), 422)

    oid = first.json()["id"]
    skey = {"Idempotency-Key": str(uuid.uuid4())}
    s1 = zhang.post(f"/orders/{oid}/submit", {"comment": "请批"}, headers=skey)
    s2 = zhang.post(f"/orders/{oid}/submit", {"comment": "请批"}, headers=skey)
    assert s1.status_code == s2.status_code == 200 and s1.json() == s2.json()
    assert s1.json()["state"] == "submitted" and s1.json()["submitted_by"] == "u-rep-zhang"
    history = zhang.get(f"/orders/{oid}/history").json()["items"]
    assert [h["action"] for h in history] == ["create", "submit"]  # submitted once
    assert history[1]["comment"] == "请批"
    # without the key, a second submit is an illegal transition
    p = problem(zhang.post(f"/orders/{oid}/submit", {}), 409)
    assert p["state"] == "submitted" and p["action"] == "submit"


def test_a_submit_nobody_can_approve_is_refused_and_the_order_stays_a_draft(world: World):
    admin = world.as_user("admin")
    # only HQ admins approve orders here, and the one HQ admin never approves their own request
    assert (
        admin.put(
            "/approval-policies/order", json={"steps": [{"role": "hq_admin"}]}, headers={"If-Match": '"0"'}
        ).status_code
        == 200
    )
    _, c, a, b = setup(world)
    oid = admin.post("/orders", order_body(c, a, b)).json()["id"]
    p = problem(admin.post(f"/orders/{oid}/submit", {}), 422)
    assert "Nobody can approve" in p["detail"]
    order = admin.get(f"/orders/{oid}").json()
    assert order["state"] == "saved" and [h["action"] for h in admin.get(f"/orders/{oid}/history").json()["items"]] == [
        "create"
    ]


def test_transitions_edit_withdraw_void_and_illegal_ones(world: World):
    zhang, c, a, b = setup(world)
    order = zhang.post("/orders", order_body(c, a, b)).json()
    oid = order["id"]
    problem(zhang.patch(f"/orders/{oid}", {"lines": [{"sku": a, "quantity": 1}]}), 428)
    problem(zhang.patch(f"/orders/{oid}", {"lines": [{"sku": a, "quantity": 1}]}, headers={"If-Match": '"9"'}), 412)
    r = zhang.patch(f"/orders/{oid}", {"lines": [{"sku": a, "quantity": 10}]}, headers={"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["total"] == "123.50" and r.headers["ETag"] == '"2"'

    assert zhang.post(f"/orders/{oid}/submit", {}).json()["state"] == "submitted"
    p = problem(zhang.patch(f"/orders/{oid}", {"remarks": "x"}, headers={"If-Match": '"3"'}), 409)
    assert p["state"] == "submitted" and p["action"] == "edit"
    p = problem(zhang.post(f"/orders/{oid}/close", {}), 409)
    assert "submitted" in p["detail"] and "close" in p["detail"]
    problem(world.as_user("eastrx.head").post(f"/orders/{oid}/withdraw", {}), 403)  # not the submitter
    assert zhang.post(f"/orders/{oid}/withdraw", {"comment": "改数量"}).json()["state"] == "saved"

    problem(zhang.post(f"/orders/{oid}/void", {"reason": "不要了"}), 403)  # order:void is a manager's
    head = world.as_user("eastrx.head")
    problem(head.post(f"/orders/{oid}/void", {}), 422)  # a reason is required
    problem(head.post(f"/orders/{oid}/void", {"reason": "客户取消"}, headers={"If-Match": '"1"'}), 412)
    voided = head.post(f"/orders/{oid}/void", {"reason": "客户取消"})
    assert voided.status_code == 200 and voided.json()["state"] == "void"
    problem(zhang.post(f"/orders/{oid}/submit", {}), 409)
    history = zhang.get(f"/orders/{oid}/history").json()["items"]
    assert [(h["action"], h["from_state"], h["to_state"]) for h in history] == [
        ("create", None, "saved"),
        ("edit", "saved", "saved"),
        ("submit", "saved", "submitted"),
        ("withdraw", "submitted", "saved"),
        ("void", "saved", "void"),
    ]
    assert history[-1]["by"] == "u-eastrx-head" and history[-1]["comment"] == "客户取消"


def test_erp_endpoints_are_for_the_erp_only_and_follow_the_states(world: World, cloud):
    zhang, c, a, b = setup(world)
    oid = zhang.post("/orders", order_body(c, a, b)).json()["id"]
    erp = world.as_user("erp")
    ship = {"delivery_no": "DN-1", "outbound_no": "OB-1", "lines": [{"sku": a, "batch": "B1", "quantity": 3}]}
    problem(zhang.post(f"/integration/orders/{oid}/processed", {"erp_order_no": "SO-1"}), 403)
    problem(zhang.post(f"/integration/orders/{oid}/shipments", ship), 403)
    problem(world.as_user("admin").post(f"/integration/orders/{oid}/processed", {"erp_order_no": "SO-1"}), 403)
    p = problem(erp.post(f"/integration/orders/{oid}/processed", {"erp_order_no": "SO-1"}), 409)
    assert p["state"] == "saved" and p["action"] == "process"
    problem(erp.post(f"/integration/orders/{oid}/shipments", ship), 409)
    problem(erp.post(f"/integration/orders/{oid}/processed", {}), 422)
    problem(erp.get(f"/orders/{oid}"), 403)  # the ERP reports; it does not browse orders
    other_tenant = new_tenant(cloud)  # another tenant's ERP client cannot reach this order
    problem(
        world.as_user("erp", tenant_id=other_tenant).post(
            f"/integration/orders/{oid}/processed", {"erp_order_no": "SO-1"}
        ),
        404,
    )


def test_returns_against_an_order_not_shipped_are_409(world: World):
    zhang, c, a, b = setup(world)
    oid = zhang.post("/orders", order_body(c, a, b)).json()["id"]
    p = problem(
        zhang.post(f"/orders/{oid}/returns", {"lines": [{"sku": a, "batch": "B1", "quantity": 1}], "reason": "破损"}),
        409,
    )
    assert p["state"] == "saved" and p["action"] == "return"
    assert zhang.get(f"/orders/{oid}/returns").json()["items"] == []
    problem(zhang.get("/returns/01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404)


def test_bad_input_is_problem_json_never_500(world: World):
    zhang, c, a, b = setup(world)
    oid = zhang.post("/orders", order_body(c, a, b)).json()["id"]
    r = zhang.request("POST", "/orders", data="{not json", headers={"Content-Type": "application/json"})
    problem(r, 400)
    bad_bodies = [
        {},
        {"customer_id": c["id"], "lines": []},
        {"customer_id": c["id"], "lines": [{"sku": a, "quantity": 0}]},
        {"customer_id": c["id"], "lines": [{"sku": a, "quantity": 1.5}]},
        {"customer_id": c["id"], "lines": [{"sku": a, "quantity": "3"}]},
        {"customer_id": c["id"], "lines": [{"sku": a, "quantity": 1}, {"sku": a, "quantity": 2}]},
        {"customer_id": c["id"], "lines": [{"sku": a, "quantity": 1, "colour": "red"}]},
        {"customer_id": c["id"], "lines": [{"sku": a, "quantity": 1, "unit_price": "-1"}]},
        {"customer_id": c["id"], "lines": [{"sku": "bad sku!", "quantity": 1}]},
        {"customer_id": "not-a-ulid", "lines": [{"sku": a, "quantity": 1}]},
        {"customer_id": c["id"], "lines": "many"},
        [1, 2],
    ]
    for body in bad_bodies:
        p = problem(zhang.post("/orders", body), 422)
        assert p["errors"], body
    problem(zhang.post("/orders", {"lines": [{"sku": a, "quantity": 1}]}), 422)  # customer_id needed for a rep
    problem(zhang.get("/orders/not-an-id"), 422)
    problem(zhang.get("/orders", params={"state": "lost"}), 422)
    problem(zhang.get("/orders", params={"month": "2026-13"}), 422)
    problem(zhang.get("/orders", params={"cursor": "garbage"}), 400)
    problem(
        zhang.post(f"/orders/{oid}/returns", {"lines": [{"sku": a, "batch": "B1", "quantity": -1}], "reason": "x"}), 422
    )
    problem(zhang.post(f"/orders/{oid}/submit", {"comment": "x" * 501}), 422)
    problem(zhang.patch(f"/orders/{oid}", {"lines": None}, headers={"If-Match": '"1"'}), 422)
    problem(zhang.get("/orders/01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404)


def test_a_hand_over_moves_the_customers_open_orders_to_the_new_rep(world: World):
    from tests.e2e.test_customers import wait_for_handover

    zhang, c, a, b = setup(world)
    open_id = zhang.post("/orders", order_body(c, a, b)).json()["id"]
    void_id = zhang.post("/orders", order_body(c, a, b)).json()["id"]
    head = world.as_user("eastrx.head")
    assert head.post(f"/orders/{void_id}/void", {"reason": "entered twice"}).status_code == 200
    job = head.post("/handovers", {"from_user_id": "u-rep-zhang", "to_user_id": "u-rep-liu", "reason": "张伟离职"})
    assert wait_for_handover(head, job.json()["id"])["status"] == "completed"
    liu = world.as_user("rep.liu")
    mine = {o["id"]: o for o in liu.get("/orders").json()["items"]}
    assert set(mine) == {open_id} and mine[open_id]["owner_id"] == "u-rep-liu"
    assert liu.post(f"/orders/{open_id}/submit", {}).json()["state"] == "submitted"  # the new rep carries it on
    assert [o["id"] for o in zhang.get("/orders").json()["items"]] == [void_id]  # a void order stays history
