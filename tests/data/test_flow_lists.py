"""Lists of flow loads over many distributors at once (a branch head's scope): the filter is several INs of
100 joined by OR, which DynamoDB Local checks like AWS does (at most 100 operands per IN, 4 KB per expression)."""

import pytest
from crm.db.models import FlowLoadItem
from crm.db.paging import MAX_ONE_OF, one_of
from crm.flow import loads
from crm.flow.keys import UploadKey
from crm.ids import new_id
from crm.ingest.mapping import FileKind


def received(tenant: str, distributor: str) -> str:
    key = UploadKey(tenant, distributor, "2026-10", new_id(), "流向.csv", FileKind.FLOW)
    assert loads.receive(key, str(key), "v1", "0" * 64, 10) is not None
    return key.load_id


def test_a_list_among_hundreds_of_distributors_shows_theirs_only(world) -> None:
    # Given loads of three distributors, and one of a distributor outside the scope
    mine = [new_id() for _ in range(3)]
    ids = {received(world.tenant, d) for d in mine}
    received(world.tenant, new_id())
    scope = {*mine, *(new_id() for _ in range(MAX_ONE_OF - len(mine)))}  # as many as a list takes

    # When the loads of every distributor in the scope are listed
    page = loads.list_loads(world.tenant, None, 50, None, "flow", scope)

    # Then the three distributors' loads come back, and no other
    assert {load.id for load in page.items} == ids


def test_more_distributors_than_a_list_takes_are_refused_before_any_read() -> None:
    with pytest.raises(ValueError, match=str(MAX_ONE_OF)):
        one_of(FlowLoadItem.distributor_id, {new_id() for _ in range(MAX_ONE_OF + 1)})
