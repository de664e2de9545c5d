"""Clients nobody here wrote, generated from schemas/openapi.json: a Python client (openapi-python-client) and
TypeScript types (openapi-typescript), both without a single warning; then the Python client drives a customer and
an order through their lives against the local runtime, reading ETags and sending If-Match as the document says."""

import importlib
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from localcloud.tokens import mint_token

from tests.e2e.conftest import ORG, World, new_tenant

REPO = Path(__file__).resolve().parents[2]
DOCUMENT = REPO / "schemas" / "openapi.json"
NODE_BIN = REPO / "node_modules" / ".bin"
PACKAGE = "crm_client"
# XLSX downloads are bytes to a client: the generator reads only JSON, text and octet-stream by itself.
CONFIG = """\
content_type_overrides:
  application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: application/octet-stream
post_hooks: []
"""
WARNING_WORDS = ("warning", "unable", "cannot", "could not", "error", "invalid")


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


def _complaints(output: str) -> list[str]:
    return [line for line in output.splitlines() if any(word in line.lower() for word in WARNING_WORDS)]


@pytest.fixture(scope="module")
def python_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The generated package on sys.path, and what the generator printed."""
    where = tmp_path_factory.mktemp("python-client")
    (where / "config.yaml").write_text(CONFIG)
    generator = Path(sys.executable).with_name("openapi-python-client")
    done = _run(
        [
            str(generator),
            "generate",
            "--path",
            str(DOCUMENT),
            "--meta",
            "none",
            "--output-path",
            str(where / PACKAGE),
            "--config",
            str(where / "config.yaml"),
        ],
        where,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(where))
    yield where, done.stdout + done.stderr
    sys.path.remove(str(where))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def test_the_python_client_generates_without_a_warning(python_client: tuple[Path, str]) -> None:
    where, output = python_client
    assert not _complaints(output), output
    assert (where / PACKAGE / "api" / "customers" / "update_customer.py").exists()  # a readable operation id


def test_the_typescript_types_generate_without_a_warning_and_compile(tmp_path: Path) -> None:
    generator, compiler = NODE_BIN / "openapi-typescript", NODE_BIN / "tsc"
    assert generator.exists() and compiler.exists(), "run `make setup` (npm ci) for the Node tools"
    done = _run([str(generator), str(DOCUMENT), "--output", str(tmp_path / "api.d.ts")], tmp_path)
    assert done.returncode == 0 and not _complaints(done.stdout + done.stderr), done.stdout + done.stderr
    (tmp_path / "use.ts").write_text("""\
import type { components, paths } from "./api";
type Created = paths["/customers"]["post"]["responses"][201];
const etag: Created["headers"]["ETag"] = '"1"';
const location: Created["headers"]["Location"] = "/customers/01JBX5G4Y2Q8ZK7M3N6P9R0STV";
const status: components["schemas"]["Customer"]["status"] = "active";
const price: components["schemas"]["PriceEntryInput"]["unit_price"] = "12.50";
type Patch = paths["/customers/{customer_id}"]["patch"]["parameters"]["header"];
const ifMatch: Patch["if-match"] = '"1"';  // required: no `?` on it
export const used = [etag, location, status, price, ifMatch];
""")
    done = _run(
        [str(compiler), "--noEmit", "--strict", "--target", "es2020", "--moduleResolution", "node", "use.ts"], tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr


# ------------------------------------------------------------------ the generated client against the runtime

USERNAMES = {u["id"]: u["username"] for u in ORG["users"]}
APPROVERS = [
    u["username"] for u in ORG["users"] if {"dept_head", "branch_head", "finance", "hq_admin"} & set(u["roles"])
]


def eventually(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Polls a state until it holds (a deadline on state, not a sleep), or fails naming it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.2)
    raise AssertionError(f"still waiting for {what} after {timeout:.0f} s")


@pytest.fixture
def api(python_client: tuple[Path, str], cloud: Any) -> Callable[[str], Any]:
    """api(username) -> an AuthenticatedClient of the generated package, as that demo user of a fresh tenant."""
    client_module = importlib.import_module(f"{PACKAGE}.client")
    world = World(new_tenant(cloud), cloud.api_url, mint_token)

    def as_user(username: str) -> Any:
        bearer = world.as_user(username).session.headers["Authorization"].removeprefix("Bearer ")
        return client_module.AuthenticatedClient(
            base_url=cloud.api_url, token=bearer, timeout=httpx.Timeout(60.0), raise_on_unexpected_status=True
        )

    return as_user


def _op(module: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.{module}")


def _model(name: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def test_the_generated_client_takes_a_customer_and_an_order_through_their_lives(api: Callable[[str], Any]) -> None:
    rep, admin, finance = api("rep.zhang"), api("admin"), api("finance.wu")
    problem = _model("Problem")

    # a product with a price list (If-Match "0" creates the first)
    sku = f"C-{uuid.uuid4().hex[:8].upper()}"
    product = {"sku": sku, "name": "合同片", "spec": "10mg*24", "base_unit": "盒", "case_size": 40}
    made = _op("products.create_product").sync_detailed(client=admin, body=_model("ProductCreate").from_dict(product))
    assert made.status_code == 201 and made.headers["Location"] == f"/products/{sku}"
    prices = _model("PriceListBody").from_dict({"items": [{"customer_type": "terminal", "unit_price": "12.35"}]})
    priced = _op("prices.replace_prices").sync_detailed(sku, client=finance, body=prices, if_match='"0"')
    assert priced.status_code == 200 and priced.parsed.items[0].unit_price == "12.35", priced.content

    # a customer: created (201, ETag, Location), read with its ETag, changed with If-Match, a stale one refused
    body = {
        "name": f"合同药店{uuid.uuid4().hex[:6]}",
        "profile": {"type": "terminal", "kind": "pharmacy"},
        "level": "B",
    }
    created = _op("customers.create_customer").sync_detailed(client=rep, body=_model("CustomerCreate").from_dict(body))
    assert created.status_code == 201, created.content
    customer = created.parsed
    assert created.headers["ETag"] == '"1"' and created.headers["Location"] == f"/customers/{customer.id}"
    read = _op("customers.get_customer").sync_detailed(customer.id, client=rep)
    assert read.status_code == 200 and read.parsed.name == body["name"] and read.headers["ETag"] == '"1"'
    patch = _model("CustomerPatch").from_dict({"status": "opportunity"})
    changed = _op("customers.update_customer").sync_detailed(
        customer.id, client=rep, body=patch, if_match=read.headers["ETag"]
    )
    assert changed.status_code == 200 and changed.parsed.status.value == "opportunity"
    assert changed.headers["ETag"] == '"2"'
    stale = _op("customers.update_customer").sync_detailed(customer.id, client=rep, body=patch, if_match='"1"')
    assert stale.status_code == 412 and isinstance(stale.parsed, problem), stale.content

    # an order: created, read, submitted with its ETag, approved by whoever the policy names, in their inbox
    order_body = _model("OrderCreate").from_dict({"customer_id": customer.id, "lines": [{"sku": sku, "quantity": 3}]})
    placed = _op("orders.create_order").sync_detailed(client=rep, body=order_body)
    assert placed.status_code == 201, placed.content
    order = placed.parsed
    assert order.total == "37.05" and placed.headers["Location"] == f"/orders/{order.id}"
    etag = _op("orders.get_order").sync_detailed(order.id, client=rep).headers["ETag"]
    submitted = _op("orders.submit_order").sync_detailed(
        order.id, client=rep, body=_model("ActionBody").from_dict({}), if_match=etag
    )
    assert submitted.status_code == 200 and submitted.parsed.state.value == "submitted", submitted.content
    _approve_every_step(api, order.id)
    approved = eventually(
        lambda: (o := _op("orders.get_order").sync(order.id, client=rep)).state.value == "approved" and o,
        "the order to be approved",
    )
    assert approved.total == "37.05"


def _waits_for(client: Any, subject_id: str) -> bool:
    return any(e.subject_id == subject_id for e in _op("approvals.inbox").sync(client=client).items)


def _approve_every_step(api: Callable[[str], Any], subject_id: str) -> None:
    """Each step's approver finds the order in their inbox and approves it, until the run is no longer pending."""
    inbox, decide, get_approval = _op("approvals.inbox"), _op("approvals.decide"), _op("approvals.get_approval")
    approvers = {name: api(name) for name in APPROVERS}

    def first_entry() -> Any:
        for client in approvers.values():
            for entry in inbox.sync(client=client).items:
                if entry.subject_id == subject_id:
                    return entry
        return None

    approval_id = eventually(first_entry, f"an inbox entry for {subject_id}").approval_id
    admin = api("admin")
    while (approval := get_approval.sync(approval_id, client=admin)).status.value == "pending":
        approver = approvers[USERNAMES[approval.steps[approval.current].approvers[0]]]
        eventually(partial(_waits_for, approver, subject_id), "the step in its approver's inbox")
        decided = decide.sync_detailed(
            approval_id, client=approver, body=_model("Decision").from_dict({"decision": "approve", "comment": "ok"})
        )
        assert decided.status_code == 200, decided.content
        assert decided.headers["ETag"] == f'"{decided.parsed.version}"'
