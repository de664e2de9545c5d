"""The flow files `make dev` drops into the local uploads bucket for the demo tenant: each is accepted whole
against the demo master, with its returns negative and only the unregistered buyers left for review."""

import pytest
from crm.ingest.match import CustomerIndex
from crm.ingest.model import Customer, Product
from crm.ingest.pipeline import IngestRequest, ingest_file
from localcloud import demo

PRODUCTS = [Product(r["sku"], r["name"], r["spec"], r["base_unit"], float(r["case_size"])) for r in demo.product_rows()]
CUSTOMERS = CustomerIndex([Customer(r["id"], r["name"], r["city"], tuple(a for a in r["aliases"].split("|") if a))
                           for r in demo.customer_rows()])


@pytest.mark.parametrize("code", sorted(demo.DISTRIBUTORS))
def test_a_demo_flow_file_is_accepted_whole_and_leaves_only_new_buyers_for_review(code: str) -> None:
    data = demo.demo_flow_file(code, "2026-10")
    result = ingest_file(IngestRequest(data=data, file_name=f"流向_{code}.csv", period="2026-10", load_id="l",
                                       source_key="k"), PRODUCTS, CUSTOMERS)
    assert result.status == "accepted" and result.errors.num_rows == 0
    assert result.valid_rows == result.data_rows > len(demo.NEW_BUYERS[code])  # the totals row is not a row
    assert sorted(i.buyer_name for i in result.review) == sorted(demo.NEW_BUYERS[code])
    lines = result.lines.to_pylist()
    assert sum(1 for x in lines if x["customer_id"] is None) == len(demo.NEW_BUYERS[code])
    assert {x["match_kind"] for x in lines} >= {"exact", "normalized"}  # full-width digits are matched too
    if len(lines) > 10:
        assert any(x["base_quantity"] < 0 for x in lines)  # a return
