"""Races, run truly concurrently (threads, one request each) on both backends: a name is claimed in the customer's
own transaction, and a lost If-Match race is the precondition it is (412 over HTTP), never a 409 or a 503."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import botocore.client
import pytest
from crm.customers import repository as repo
from crm.customers.model import CustomerPatch
from crm.customers.service import DuplicateCustomer
from crm.db import keys, transaction
from crm.db.models import CustomerItem, NameClaimItem
from crm.errors import PreconditionFailed, Stale
from crm.text import normalize_name
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

pytestmark = pytest.mark.ddblocal
AT_ONCE = 12


@pytest.fixture(autouse=True)
def one_request_at_a_time_on_moto(db, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's in-memory tables are not safe for concurrent transactions (it deep-copies a table another thread is
    writing); there, requests take turns. The race is still real: every thread's duplicate read may come before any
    write. DynamoDB Local gets them truly at once."""
    if db.name != "moto":
        return
    lock, original = threading.Lock(), botocore.client.BaseClient._make_api_call

    def one_at_a_time(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        with lock:
            return original(client, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", one_at_a_time)


def all_at_once(attempt: Callable[[int], Any], n: int = AT_ONCE) -> list[Any]:
    """Runs attempt(0..n-1) on n threads released together; each result is what it returned or raised."""
    start = threading.Barrier(n)

    def run(i: int) -> Any:
        start.wait()
        try:
            return attempt(i)
        except Exception as exc:  # the outcome under test
            return exc

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def customers_named(tenant: str, name: str) -> list[str]:
    return [c.id for c in CustomerItem.by_scope.query(keys.customers_scope_pk(tenant)) if c.name == name]


def test_concurrent_creates_of_one_new_name_make_one_customer_and_409s_naming_it(world):
    # Given a name nobody holds, and a dozen reps' requests to create it at the same moment (no Idempotency-Key)
    # When they all run at once
    outcomes = all_at_once(lambda i: world.create(name="同一药房(新店)", phone=f"0571-8800{i:04d}"))

    # Then exactly one customer exists, and every other request is a 409 naming it as the candidate
    created = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(created) == 1, outcomes
    assert customers_named(world.tenant, "同一药房(新店)") == [created[0].id]
    for lost in [o for o in outcomes if isinstance(o, Exception)]:
        assert isinstance(lost, DuplicateCustomer), repr(lost)
        assert [c["customer_id"] for c in lost.extra["candidates"]] == [created[0].id]


def test_a_manager_overrides_a_duplicate_only_on_purpose_and_the_name_stays_claimed(world):
    # Given a customer, and a manager who creates a second one of the same name on purpose
    first = world.create(name="康宁大药房")
    second = world.service(world.admin).create(world_body("康宁 大药房"), skip_duplicate_check=True)

    # When anyone creates it again without saying so
    with pytest.raises(DuplicateCustomer) as refused:
        world.create(name="康宁大药房")

    # Then it is refused with both, and the claim is still the first one's
    assert {c["customer_id"] for c in refused.value.extra["candidates"]} == {first.id, second.id}
    assert claim_of(world.tenant, "康宁大药房") == first.id


def test_a_renamed_customer_gives_its_old_name_up(world):
    # Given a customer that claimed its name, then was renamed
    customer = world.create(name="旧名药房")
    world.service(world.rep).update(customer.id, 1, CustomerPatch(name="新名药房"))

    # Then its old name is free for a new customer, and the new name is claimed by it
    assert claim_of(world.tenant, "旧名药房") is None and claim_of(world.tenant, "新名药房") == customer.id
    assert world.create(name="旧名药房").name == "旧名药房"


def test_a_name_that_is_another_customers_alias_is_refused_in_the_transaction(world, monkeypatch):
    # Given a customer holding an alias, and a duplicate read that cannot see it (a concurrent request)
    holder = world.create(name="西湖连锁总店", aliases=["西湖大药房"])
    monkeypatch.setattr(
        repo, "name_holders", lambda tenant, norms: [] if len(norms) > 1 else _real_holders(tenant, norms)
    )

    # When a new customer takes that spelling as its name
    with pytest.raises(DuplicateCustomer) as refused:
        world.create(name="西湖 大药房")

    # Then the transaction refused it, naming the alias's holder
    assert [c["customer_id"] for c in refused.value.extra["candidates"]] == [holder.id]
    assert customers_named(world.tenant, "西湖 大药房") == []


def test_concurrent_patches_with_one_if_match_make_one_change_and_preconditions_failed(world):
    # Given a customer at version 1, and a dozen clients that all read it there
    customer = world.create(name="并发药房")

    # When they all send their change with If-Match "1" at the same moment
    outcomes = all_at_once(
        lambda i: world.service(world.rep).update(customer.id, 1, CustomerPatch(remarks=f"writer {i}"))
    )

    # Then one change is stored, and every other one failed its precondition: before the write (the version read
    # was already 2: 412) or at the write (lost the conditional put: Stale, which is 412 when If-Match was sent)
    won = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(won) == 1, outcomes
    assert all(isinstance(o, PreconditionFailed | Stale) for o in outcomes if isinstance(o, Exception)), outcomes
    stored = repo.get(world.tenant, customer.id)
    assert stored is not None and (stored.version, stored.remarks) == (2, won[0].remarks)


def test_a_transaction_cancelled_by_another_in_flight_runs_again(world, monkeypatch):
    # Given DynamoDB cancelling a first attempt because another transaction was writing one of its items (real
    # DynamoDB does under load; the emulators rarely do)
    attempts: list[int] = []

    class InFlight(transaction.TransactWrite):
        def __exit__(self, *exc_info: Any) -> None:
            attempts.append(1)
            if len(attempts) == 1:
                cause = VerboseClientError(
                    {"Error": {"Code": "TransactionCanceledException"}},
                    "TransactWriteItems",
                    cancellation_reasons=[CancellationReason(code="TransactionConflict")],
                )
                raise TransactWriteError("cancelled", cause)
            return super().__exit__(*exc_info)

    monkeypatch.setattr(transaction, "TransactWrite", InFlight)

    # When a customer is created
    created = world.create(name="重试药房")

    # Then the cancelled attempt (which wrote nothing) was run again, not answered with a 503
    assert len(attempts) == 2 and repo.get(world.tenant, created.id) is not None


# ------------------------------------------------------------------------------------- helpers

_real_holders = repo.name_holders


def world_body(name: str) -> Any:
    from crm.customers.model import CustomerCreate

    return CustomerCreate.model_validate({"name": name, "profile": {"type": "terminal", "kind": "pharmacy"}})


def claim_of(tenant: str, name: str) -> str | None:
    try:
        return NameClaimItem.get(keys.name_pk(tenant, normalize_name(name)), keys.NAME_CLAIM).customer_id
    except NameClaimItem.DoesNotExist:
        return None
