"""The files `make dev` drops into the local uploads bucket for the demo tenant: each is accepted whole
against the demo master; the flow has its returns negative and leaves only unregistered buyers for review."""

import pytest
from crm.ingest.mapping import FileKind
from crm.ingest.match import CustomerIndex
from crm.ingest.model import Customer, Product
from crm.ingest.pipeline import IngestRequest, ingest_file
from localcloud import demo

PRODUCTS = [Product(r["sku"], r["name"], r["spec"], r["base_unit"], float(r["case_size"])) for r in demo.product_rows()]
CUSTOMERS = CustomerIndex(
    [
        Customer(r["id"], r["name"], r["city"], tuple(a for a in r["aliases"].split("|") if a))
        for r in demo.customer_rows()
    ]
)


def ingest(data: bytes, kind: FileKind) -> object:
    request = IngestRequest(
        data=data, file_name=f"{kind}.csv", period="2026-10", load_id="l", source_key="k", kind=kind
    )
    return ingest_file(request, PRODUCTS, CUSTOMERS)


@pytest.mark.parametrize("code", sorted(demo.DISTRIBUTORS))
def test_a_demo_distributors_files_are_accepted_whole(code: str) -> None:
    files = demo.demo_files(code, "2026-10")
    assert (FileKind.INVENTORY in files) == (code != demo.NO_STOCK_REPORT)
    for kind, data in files.items():
        result = ingest(data, kind)
        assert result.status == "accepted" and result.errors.num_rows == 0, (kind, result.rejection)
        assert result.valid_rows == result.data_rows > 0  # a totals row is not a row
    flow = ingest(files[FileKind.FLOW], FileKind.FLOW)
    assert sorted(i.buyer_name for i in flow.review) == sorted(demo.NEW_BUYERS[code])
    lines = flow.lines.to_pylist()
    assert sum(1 for x in lines if x["customer_id"] is None) == len(demo.NEW_BUYERS[code])
    assert {x["match_kind"] for x in lines} >= {"exact", "normalized"}  # full-width digits are matched too
    by_sku: dict[str, float] = {}
    for x in lines:
        by_sku[x["sku"]] = by_sku.get(x["sku"], 0) + x["base_quantity"]
    assert by_sku == {sku: float(q) for sku, q in demo.sold(code, "2026-10").items()}  # cases × case size, returns


def test_our_shipments_file_names_every_demo_distributor() -> None:
    request = IngestRequest(
        data=demo.our_shipments_file("2026-10"),
        file_name="s.csv",
        period="2026-10",
        load_id="l",
        source_key="k",
        kind=FileKind.SHIPMENTS,
    )
    result = ingest_file(request, PRODUCTS, None, lambda codes: {c: f"id-{c}" for c in codes})
    assert result.status == "accepted" and result.errors.num_rows == 0
    assert {x["distributor_id"] for x in result.lines.to_pylist()} == {f"id-{c}" for c in demo.DISTRIBUTORS}
