"""Writes: one transaction per change, unique aliases, optimistic locking; nothing half-written."""

import contextlib

import pytest
from crm.customers import repository as repo
from crm.customers.model import CustomerPatch
from crm.db import keys
from crm.db.models import AuditItem, CustomerItem, LevelItem, NameClaimItem, NameKeyItem
from crm.db.transaction import Transaction
from crm.errors import Conflict, DomainError, PreconditionFailed
from crm.text import normalize_name

pytestmark = pytest.mark.ddblocal


def name_keys(tenant: str, text: str) -> list[NameKeyItem]:
    return [k for k in NameKeyItem.query(keys.name_pk(tenant, normalize_name(text))) if k.sk != keys.NAME_CLAIM]


def records_under(tenant: str, customer_id: str, prefix: str) -> list:
    pk = keys.customer_pk(tenant, customer_id)
    model = {"AUDIT#": AuditItem, "LEVEL#": LevelItem}[prefix]
    return list(model.query(pk, model.sk.startswith(prefix)))


def test_create_writes_record_name_aliases_level_and_audit_in_one_transaction(world, dynamodb_calls):
    # Given a rep
    # When they create a customer with a level and two aliases
    dynamodb_calls.clear()
    created = world.create(name="康宁诊所(西湖店)", aliases=["康宁西湖", "ＫＮ诊所"], level="B")

    # Then everything went out in a single TransactWriteItems, and each part reads back
    assert [c for c in dynamodb_calls if c not in ("Query", "GetItem")] == ["TransactWriteItems"]
    stored = repo.get(world.tenant, created.id)
    assert stored is not None
    assert (stored.name, stored.version, stored.level, stored.owner_id) == ("康宁诊所(西湖店)", 1, "B", "rep")
    assert stored.org_path == "/HQ/EAST/EAST-RX/"
    [own] = name_keys(world.tenant, "康宁诊所西湖店")
    assert (own.sk, own.kind, own.customer_id) == (f"CUST#{created.id}", "name", created.id)
    claim = NameClaimItem.get(keys.name_pk(world.tenant, "康宁诊所西湖店"), keys.NAME_CLAIM)
    assert claim.customer_id == created.id  # the name is held in the same transaction
    for alias in ("康宁西湖", "KN诊所"):  # the full-width ＫＮ is stored under its half-width form
        [key] = name_keys(world.tenant, alias)
        assert (key.sk, key.kind, key.customer_id) == (keys.ALIAS, "alias", created.id)
    [level] = records_under(world.tenant, created.id, "LEVEL#")
    assert level.level == "B"
    [audit] = records_under(world.tenant, created.id, "AUDIT#")
    assert (audit.action, audit.actor_id) == ("create", "rep")
    assert audit.changes.as_dict()["name"] == {"before": None, "after": "康宁诊所(西湖店)"}


@pytest.mark.parametrize("spelling", ["康宁（西湖）店", "康宁 [西湖] 店", "康宁【西湖】店 "])
def test_alias_taken_in_another_spelling_is_a_conflict_and_nothing_is_written(world, spelling):
    # Given a customer with the alias 康宁(西湖)店
    world.create(name="康宁诊所", aliases=["康宁(西湖)店"])

    # When another customer is created with the same alias in another spelling
    with pytest.raises(Conflict):
        world.create(name="西湖药房", aliases=[spelling])

    # Then no part of the second customer exists
    assert name_keys(world.tenant, "西湖药房") == []
    assert [k.text for k in name_keys(world.tenant, spelling)] == ["康宁(西湖)店"]


def test_alias_race_lost_inside_the_transaction_writes_nothing(world, monkeypatch):
    # Given a customer holding an alias, and a duplicate check that cannot see it (a concurrent create)
    world.create(name="康宁诊所", aliases=["康宁西湖"])
    monkeypatch.setattr(repo, "name_holders", lambda tenant, norms: [])

    # When another customer claims the same alias with a level (record, level, names, alias, audit)
    with pytest.raises(Conflict, match="alias"):
        world.create(name="西湖药房", aliases=["康宁 西湖"], level="A")

    # Then the conditional put failed the whole transaction: not one of its items was written
    assert name_keys(world.tenant, "西湖药房") == []
    customers = CustomerItem.by_scope.query(keys.customers_scope_pk(world.tenant))
    assert [c.name for c in customers] == ["康宁诊所"]


def test_update_adding_a_taken_alias_leaves_the_record_unchanged(world):
    # Given two customers, the first with an alias
    first = world.create(name="康宁诊所", aliases=["康宁西湖"])
    second = world.create(name="西湖药房")

    # When the second is given the first one's alias
    with pytest.raises(Conflict):
        world.service(world.rep).update(second.id, 1, CustomerPatch(aliases=["康宁（西湖）"]))

    # Then the second is as it was and the alias still points at the first
    stored = repo.get(world.tenant, second.id)
    assert stored is not None and (stored.aliases, stored.version) == ([], 1)
    assert [k.customer_id for k in name_keys(world.tenant, "康宁西湖")] == [first.id]


def test_update_with_a_stale_version_is_refused_and_the_record_unchanged(world):
    # Given a customer that someone already changed to version 2
    customer = world.create(name="康宁诊所")
    world.service(world.rep).update(customer.id, 1, CustomerPatch(name="康宁诊所总店"))

    # When a client that read version 1 sends its change
    with pytest.raises(PreconditionFailed):
        world.service(world.rep).update(customer.id, 1, CustomerPatch(name="康宁旧名"))

    # Then the stored record is the version-2 one
    stored = repo.get(world.tenant, customer.id)
    assert stored is not None and (stored.name, stored.version) == ("康宁诊所总店", 2)
    assert name_keys(world.tenant, "康宁旧名") == []


def test_a_write_based_on_a_stale_read_loses_the_race_with_a_conflict(world):
    # Given a customer read at version 1, then changed by someone else
    customer = world.create(name="康宁诊所")
    stale = repo.get(world.tenant, customer.id)
    world.service(world.rep).update(customer.id, 1, CustomerPatch(remarks="first writer"))

    # When the stale copy is written back (the read-check-write window of a concurrent request)
    tx = Transaction()
    repo.stage_customer(tx, stale.model_copy(update={"remarks": "second writer"}))
    with pytest.raises(Conflict):
        tx.commit()

    # Then the first writer's change stands
    stored = repo.get(world.tenant, customer.id)
    assert stored is not None and (stored.remarks, stored.version) == ("first writer", 2)


def test_replacing_all_50_aliases_at_once_is_done_or_refused_cleanly(world):
    # Given a customer with the most aliases allowed
    old = [f"旧别名{i}" for i in range(50)]
    customer = world.create(name="康宁诊所", aliases=old)

    # When one PATCH replaces all of them
    new = [f"新别名{i}" for i in range(50)]
    with contextlib.suppress(DomainError):  # a clear 4xx is an acceptable answer; a raw DynamoDB error is not
        world.service(world.rep).update(customer.id, 1, CustomerPatch(aliases=new))

    # Then the customer holds one complete set of aliases, never a mix
    stored = repo.get(world.tenant, customer.id)
    assert stored is not None and stored.aliases in (old, new)


def test_changing_only_the_erp_code_moves_the_code_lookup(world):
    # Given a distributor known by its ERP code (shipments files name distributors that way)
    customer = world.create(
        world.admin, name="经销商甲医药有限公司", code="DB-OLD", profile={"type": "distributor", "tier": "tier1"}
    )
    assert repo.ids_by_code(world.tenant, ["DB-OLD"], "distributor") == {"DB-OLD": customer.id}

    # When only its code changes
    world.service(world.admin).update(customer.id, 1, CustomerPatch(code="DB-NEW"))

    # Then the new code finds it and the old one no longer does
    assert repo.ids_by_code(world.tenant, ["DB-OLD", "DB-NEW"], "distributor") == {"DB-NEW": customer.id}
