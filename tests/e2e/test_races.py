"""Races over HTTP: many requests at once on one record. The local runtime runs invocations side by side,
as Lambda does, so these are real races between handlers, decided where DynamoDB decides them: one
writer wins, every other one lost the version it named in If-Match (412), none fails (no 5xx) and none
leaves a trace. (Customers: test_customers.py, test_concurrent_patches_naming_one_version_...)"""

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.e2e.conftest import Client, World
from tests.e2e.test_orders import order_body, setup

AT_ONCE = 16


def at_once(clients: list[Client], send: Callable[[Client, int], requests.Response]) -> list[requests.Response]:
    """send(client, n) from one thread per client, all released together."""
    start = threading.Barrier(len(clients))

    def run(n: int) -> requests.Response:
        start.wait(timeout=60)
        return send(clients[n], n)

    with ThreadPoolExecutor(len(clients)) as pool:
        return list(pool.map(run, range(len(clients))))


def one_winner(replies: list[requests.Response]) -> requests.Response:
    """The one 200; every other reply a 412 problem."""
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [200] + [412] * (len(replies) - 1), statuses
    assert all(r.headers["Content-Type"] == "application/problem+json" for r in replies if r.status_code != 200)
    (winner,) = [r for r in replies if r.status_code == 200]
    return winner


def test_concurrent_patches_of_one_product_naming_one_version_make_one_change(world: World):
    admin = world.as_user("admin")
    sku = f"R-{uuid.uuid4().hex[:8].upper()}"
    body = {"sku": sku, "name": "并发片", "spec": "10mg*24", "base_unit": "盒", "case_size": 40}
    assert admin.post("/products", body).status_code == 201
    clients = [world.as_user("admin") for _ in range(AT_ONCE)]  # a session each: one per thread

    def patch(client: Client, n: int) -> requests.Response:
        return client.patch(f"/products/{sku}", {"spec": f"{n}mg*12"}, headers={"If-Match": '"1"'})  # each a change

    replies = at_once(clients, patch)

    winner = one_winner(replies)
    stored = admin.get(f"/products/{sku}")
    assert (stored.headers["ETag"], stored.json()["spec"]) == ('"2"', winner.json()["spec"])
    history = admin.get(f"/products/{sku}/history").json()["items"]
    assert [h["action"] for h in history] == ["update", "create"]  # the losers left no trace


def test_concurrent_patches_of_one_order_naming_one_version_make_one_change(world: World):
    zhang, c, a, b = setup(world)
    order = zhang.post("/orders", order_body(c, a, b))
    assert order.status_code == 201, order.text
    oid = order.json()["id"]
    clients = [world.as_user("rep.zhang") for _ in range(AT_ONCE)]

    def patch(client: Client, n: int) -> requests.Response:
        return client.patch(f"/orders/{oid}", {"lines": [{"sku": a, "quantity": n + 1}]}, headers={"If-Match": '"1"'})

    replies = at_once(clients, patch)

    winner = one_winner(replies)
    stored = zhang.get(f"/orders/{oid}")
    assert stored.headers["ETag"] == '"2"' and stored.json()["lines"] == winner.json()["lines"]
