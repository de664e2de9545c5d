"""Lists: a Query on the scope (or owner) index, filters, and cursors that only fit their own list."""

import base64
import json

import pytest
from crm import clock
from crm.customers import repository as repo
from crm.customers.model import Customer, Filters
from crm.customers.service import CustomerService
from crm.db.models import CustomerItem
from crm.db.paging import Page
from crm.errors import BadRequest
from crm.ids import new_id

pytestmark = pytest.mark.ddblocal

TOTAL = 120
DISTRIBUTOR = {"type": "distributor", "tier": "tier1"}
TERMINAL = {"type": "terminal", "kind": "clinic"}


@pytest.fixture
def customers(world) -> list[Customer]:
    """120 customers of the EAST-RX rep (every third a distributor), plus 3 in WEST.

    The 120 are batch-written in their stored shape (repo.to_item): listing is under test here, and
    120 transactional creates would take seconds on moto.
    """
    now = clock.now()
    made = [
        Customer(
            id=new_id(),
            tenant_id=world.tenant,
            name=f"客户{i:03d}",
            type=profile["type"],
            profile=profile,
            status="active",
            owner_id="rep",
            org_unit_id="EAST-RX",
            org_path="/HQ/EAST/EAST-RX/",
            created_at=now,
            created_by="rep",
            updated_at=now,
            updated_by="rep",
            version=1,
        )
        for i, profile in enumerate(DISTRIBUTOR if i % 3 == 0 else TERMINAL for i in range(TOTAL))
    ]
    with CustomerItem.batch_write() as batch:
        for customer in made:
            batch.save(repo.to_item(customer))
    for i in range(3):
        world.create(world.west_rep, name=f"西部客户{i}")
    return made


def read_all(service: CustomerService, filters: Filters, limit: int = 50) -> tuple[list[str], list[int]]:
    """Follows the cursor to the end; returns every id seen and the size of each page."""
    ids, sizes, cursor = [], [], None
    while True:
        page = service.list(filters, limit, cursor)
        ids += [c.id for c in page.items]
        sizes.append(len(page.items))
        if page.cursor is None:
            return ids, sizes
        cursor = page.cursor


def test_paging_through_120_customers_returns_each_exactly_once(world, customers, dynamodb_calls):
    # Given 120 customers under EAST and 3 under WEST
    # When the EAST branch head pages through their customers 50 at a time
    dynamodb_calls.clear()
    ids, sizes = read_all(world.service(world.east_head), Filters())

    # Then every EAST customer comes exactly once, in full pages, and nothing from WEST
    assert sorted(ids) == sorted(c.id for c in customers)
    assert len(ids) == len(set(ids)) == TOTAL
    assert sizes == [50, 50, 20]
    assert dynamodb_calls == ["Query"] * 3  # one Query per full page, nothing else (the org unit is cached)


def test_the_owner_index_pages_the_same_customers(world, customers):
    # When the rep pages through their own customers (the owner index)
    ids, _ = read_all(world.service(world.rep), Filters(), limit=50)

    # Then they get each of their 120 exactly once
    assert sorted(ids) == sorted(c.id for c in customers)


def test_filters_and_voided_customers(world, customers):
    # Given two distributors voided by the branch head
    head = world.service(world.east_head)
    distributors = [c for c in customers if c.type == "distributor"]
    for c in distributors[:2]:
        head.void(c.id, 1, "重复录入")

    # When listing distributors, with and without voided ones
    active, sizes = read_all(head, Filters(type="distributor"))
    everything, _ = read_all(head, Filters(type="distributor", include_voided=True))

    # Then each filter holds on every page, and each customer still comes once
    assert sorted(active) == sorted(c.id for c in distributors[2:])
    assert sorted(everything) == sorted(c.id for c in distributors)
    assert all(size <= 50 for size in sizes)


def test_an_org_unit_filter_lists_that_subtree_only(world, customers):
    # When the HQ admin lists WEST
    ids, _ = read_all(world.service(world.admin), Filters(org_unit_id="WEST"))

    # Then only the 3 WEST customers come back
    assert len(ids) == 3 and not set(ids) & {c.id for c in customers}


# ------------------------------------------------------------------------------------- cursors


@pytest.fixture
def few(world) -> list[Customer]:
    """Three EAST-RX customers and two WEST ones: enough for pages of one."""
    east = [world.create(name=f"客户{i}") for i in range(3)]
    return east + [world.create(world.west_rep, name=f"西部客户{i}") for i in range(2)]


def first_page(service: CustomerService, filters: Filters = Filters()) -> Page[Customer]:  # noqa: B008 (frozen)
    page = service.list(filters, 1, None)
    assert page.cursor and len(page.items) == 1
    return page


def first_cursor(service: CustomerService, filters: Filters = Filters()) -> str:  # noqa: B008 (frozen)
    return first_page(service, filters).cursor or ""


def test_a_cursor_from_another_tenant_is_refused(world, new_world, few):
    cursor = first_cursor(world.service(world.east_head))
    other = new_world()
    with pytest.raises(BadRequest):
        other.service(other.admin).list(Filters(), 1, cursor)


def test_a_cursor_forged_for_this_very_list_with_a_key_of_another_shape_is_refused(world, few):
    # The cursor's binding to its list is a hash anyone can recompute from the code; its key is checked too
    cursor = first_cursor(world.service(world.east_head))
    padded = cursor + "=" * (-len(cursor) % 4)
    data = json.loads(base64.urlsafe_b64decode(padded))
    for key in ({"pk": "x"}, {**data["k"], "gsi1pk": "T#other#CUST"}, {**data["k"], "extra": "1"}):
        forged = base64.urlsafe_b64encode(json.dumps({"k": key, "l": data["l"]}).encode()).decode().rstrip("=")
        with pytest.raises(BadRequest):
            world.service(world.east_head).list(Filters(), 1, forged)


def test_a_cursor_from_the_owner_list_is_refused_on_the_scope_list(world, few):
    cursor = first_cursor(world.service(world.rep))
    with pytest.raises(BadRequest):
        world.service(world.east_head).list(Filters(), 1, cursor)


def test_a_cursor_from_a_customer_list_is_refused_on_a_history_list(world, few):
    page = first_page(world.service(world.east_head))
    other_customer = next(c for c in few if c.id != page.items[0].id)
    with pytest.raises(BadRequest):
        world.service(world.east_head).history(other_customer.id, 1, page.cursor)


# A cursor is bound to the list that gave it out: on DynamoDB (Local or AWS) a start key outside
# another list's key condition is a ValidationException, which must never surface as a 500.


def test_a_customer_list_cursor_is_refused_on_the_history_of_the_customer_it_ends_at(world, few):
    # Given a cursor that ends at a customer (its key holds that customer's pk, plus the index keys)
    page = first_page(world.service(world.east_head))

    # When it is used on that customer's history, Then it is refused as a bad request
    with pytest.raises(BadRequest):
        world.service(world.east_head).history(page.items[0].id, 1, page.cursor)


def test_a_cursor_from_another_org_unit_is_refused(world, few):
    # Given a cursor from the HQ admin's list of EAST-RX
    admin = world.service(world.admin)
    cursor = first_cursor(admin, Filters(org_unit_id="EAST-RX"))

    # When it is used on the list of WEST, Then it is refused as a bad request
    with pytest.raises(BadRequest):
        admin.list(Filters(org_unit_id="WEST"), 1, cursor)


@pytest.mark.parametrize("cursor", ["not a cursor", "eyJ4IjoxfQ", "e30"])
def test_a_made_up_cursor_is_refused(world, cursor):
    with pytest.raises(BadRequest):
        world.service(world.east_head).list(Filters(), 50, cursor)
