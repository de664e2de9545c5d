"""Search as people type it: the start of a name or alias, the part of a name after the place (同仁 finds
杭州市西湖区同仁药店), or the ERP code; pages through both index partitions without repeats or gaps."""

import pytest
from crm.customers.model import CustomerPatch, Filters
from crm.customers.service import CustomerService

pytestmark = pytest.mark.ddblocal


def names(service: CustomerService, q: str, limit: int = 50) -> list[str]:
    return [c.name for c in service.list(Filters(q=q), limit, None).items]


def test_a_customer_is_found_by_the_words_after_its_place_and_by_its_code(world) -> None:
    # Given customers whose names start with their city and district, one with an ERP code and an alias
    tongren = world.create(name="杭州市西湖区同仁药店", code="HZ-001", aliases=["仁心药店"])
    world.create(name="同仁堂大药房")
    world.create(name="杭州市西湖区康宁诊所")
    rep = world.service(world.rep)

    # Then each is found by what a rep would type
    assert names(rep, "同仁") == ["同仁堂大药房", "杭州市西湖区同仁药店"]  # a name's start, or its part after 区
    assert names(rep, "西湖区") == ["杭州市西湖区同仁药店", "杭州市西湖区康宁诊所"]
    assert names(rep, "杭州") == ["杭州市西湖区同仁药店", "杭州市西湖区康宁诊所"]
    assert names(rep, "hz-001") == names(rep, "HZ001") == ["杭州市西湖区同仁药店"]  # as normalised
    assert names(rep, "仁心") == ["杭州市西湖区同仁药店"]  # an alias, as before
    assert names(rep, "药店") == []  # the middle of a word is not a start

    # When the name and the code change
    rep.update(tongren.id, 1, CustomerPatch(name="杭州市西湖区仁和药店", code="HZ-002"))

    # Then the old words no longer find it, the new ones do
    assert names(rep, "同仁") == ["同仁堂大药房"]
    assert names(rep, "仁和") == ["杭州市西湖区仁和药店"]
    assert names(rep, "hz") == ["杭州市西湖区仁和药店"]


def test_search_only_shows_the_callers_scope(world) -> None:
    world.create(name="杭州市西湖区同仁药店")
    world.create(world.west_rep, name="成都市武侯区同仁药店")
    assert names(world.service(world.rep), "同仁") == ["杭州市西湖区同仁药店"]
    assert sorted(names(world.service(world.admin), "同仁")) == ["成都市武侯区同仁药店", "杭州市西湖区同仁药店"]


def test_pages_of_a_search_cover_every_hit_once(world) -> None:
    # Given hits in both partitions: names starting with 同仁, and names whose part after the place does
    made = {world.create(name=f"同仁药店第{i}分店").name for i in range(3)}
    made |= {world.create(name=f"杭州市上城区同仁诊所{i}号").name for i in range(3)}
    rep, seen, cursor = world.service(world.rep), [], None

    # When they are read two at a time
    for _ in range(10):
        page = rep.list(Filters(q="同仁"), 2, cursor)
        assert len(page.items) <= 2
        seen += [c.name for c in page.items]
        cursor = page.cursor
        if cursor is None:
            break

    # Then every one came exactly once, and the last page said so
    assert sorted(seen) == sorted(made) and cursor is None
