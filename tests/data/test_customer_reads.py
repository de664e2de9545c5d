"""Reads: level history by date, audit history order, tenant isolation, and the cost of a GET."""

from datetime import date, timedelta

import pytest
from crm import clock
from crm.customers import repository as repo
from crm.customers.model import CustomerPatch, LevelChange
from crm.errors import NotFound

pytestmark = pytest.mark.ddblocal


def test_level_on_a_past_date_is_the_level_then_in_force(world):
    # Given a customer whose level history was back-filled: B from 2024-01-01, A from 2025-06-01
    customer = world.create(name="康宁诊所")
    service = world.service(world.east_head)  # managers change levels; reps ask through approval
    service.change_level(customer.id, LevelChange(level="B", reason="年度评级", effective_from=date(2024, 1, 1)), None)
    service.change_level(customer.id, LevelChange(level="A", reason="升级", effective_from=date(2025, 6, 1)), None)

    # When asking for the level on various dates
    def level(on: date) -> str | None:
        return service.level_on(customer.id, on).level

    # Then each date gets the entry in force that day, and none before the first
    assert level(date(2023, 12, 31)) is None
    assert level(date(2024, 1, 1)) == "B"
    assert level(date(2025, 5, 31)) == "B"
    assert level(date(2025, 6, 1)) == "A"
    assert level(clock.today()) == "A"
    assert service.get(customer.id).level == "A"
    history = service.levels(customer.id, 50, None).items
    assert [(e.level, e.effective_from) for e in history] == [("A", date(2025, 6, 1)), ("B", date(2024, 1, 1))]


def test_a_backdated_change_does_not_override_a_later_level(world):
    # Given a customer created today at level C
    customer = world.create(name="康宁诊所", level="C")
    service = world.service(world.east_head)

    # When a level is recorded for last year
    last_year = clock.today() - timedelta(days=365)
    service.change_level(customer.id, LevelChange(level="A", reason="补录", effective_from=last_year), None)

    # Then the past reads A, today still reads C
    assert service.level_on(customer.id, last_year).level == "A"
    assert service.level_on(customer.id, clock.today()).level == "C"
    assert service.get(customer.id).level == "C"


def test_history_lists_audit_entries_newest_first(world):
    # Given a customer that was created, renamed, voided and restored
    customer = world.create(name="康宁诊所")
    world.service(world.rep).update(customer.id, 1, CustomerPatch(name="康宁诊所总店"))
    head = world.service(world.east_head)
    head.void(customer.id, 2, "重复录入")
    head.restore(customer.id, 3, "误操作")

    # When reading its history
    entries = head.history(customer.id, 50, None).items

    # Then the newest change comes first, each with who and what changed
    assert [e.action for e in entries] == ["restore", "void", "update", "create"]
    assert entries[2].changes["name"] == {"before": "康宁诊所", "after": "康宁诊所总店"}
    assert (entries[1].actor_id, entries[1].reason) == ("east-head", "重复录入")


def test_history_pages_with_a_cursor(world):
    # Given a customer with four audit entries
    customer = world.create(name="康宁诊所")
    for version, remark in enumerate(("一", "二", "三"), start=1):
        world.service(world.rep).update(customer.id, version, CustomerPatch(remarks=remark))

    # When reading two at a time
    service = world.service(world.rep)
    first = service.history(customer.id, 2, None)
    second = service.history(customer.id, 2, first.cursor)

    # Then the pages continue each other, newest first
    actions = [e.changes.get("remarks", {}).get("after") for e in first.items + second.items]
    assert actions == ["三", "二", "一", None]


def test_another_tenant_cannot_read_a_customer_by_id(world, new_world):
    # Given a customer in tenant A, and an HQ admin of tenant B
    customer = world.create(name="康宁诊所")
    other = new_world()

    # When B asks for A's customer id
    # Then it does not exist for B, through the service and in B's key space
    with pytest.raises(NotFound):
        other.service(other.admin).get(customer.id)
    assert repo.get(other.tenant, customer.id) is None
    assert world.service(world.admin).get(customer.id).id == customer.id


def test_a_rep_cannot_read_another_reps_customer(world):
    # Given a customer of the rep in WEST
    customer = world.create(world.west_rep, name="西部药房")

    # When the EAST rep asks for it, Then it does not exist for them
    with pytest.raises(NotFound):
        world.service(world.rep).get(customer.id)


def test_get_by_id_is_one_getitem_once_the_org_tree_is_cached(world, dynamodb_calls):
    # Given a customer, read once (which caches the caller's org unit)
    customer = world.create(name="康宁诊所")
    service = world.service(world.rep)
    service.get(customer.id)

    # When it is read again
    dynamodb_calls.clear()
    service.get(customer.id)

    # Then that took exactly one GetItem
    assert dynamodb_calls == ["GetItem"]
