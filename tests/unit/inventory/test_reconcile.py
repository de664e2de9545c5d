"""The inventory calculation on the sample files, read by the real ingest core, against inventory truth.json.

The end-to-end test (tests/e2e/test_inventory.py) puts the same files through S3 and the API; this one pins
the arithmetic and the flags on their own, so a wrong sign or join shows here first.
"""

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from crm.ingest.mapping import FileKind
from crm.ingest.model import Product
from crm.ingest.pipeline import IngestRequest, ingest_file
from crm.inventory.reconcile import Inputs, Reconciliation, flagged, quantities, reconcile

from tests.fixtures import FLOW_SAMPLES, INVENTORY_SAMPLES

INVENTORY, FLOW = INVENTORY_SAMPLES, FLOW_SAMPLES
FLOW_FILES = {
    "D001": "flow/D001/2026-10/流向_D001_2026-10.csv",
    "D002": "flow/D002/2026-10/流向_D002_2026-10.csv",
    "D003": "flow/D003/2026-10/流向_D003_2026-10.xlsx",
}
CLOSING = {
    "D001": "closing/库存_D001_2026-10.csv",
    "D002": "closing/库存_D002_2026-10.xlsx",
    "D003": "closing/库存_D003_2026-10.csv",
}


@pytest.fixture(scope="module")
def truth() -> dict[str, Any]:
    if not (INVENTORY / "truth.json").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"inventory samples missing at {INVENTORY.resolve()}: CI must have shared/ beside the repo")
        pytest.skip("inventory samples not present")
    return json.loads((INVENTORY / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def products() -> list[Product]:
    rows = csv.DictReader(io.StringIO((FLOW / "master" / "products.csv").read_text(encoding="utf-8")))
    return [Product(r["sku"], r["name"], r["spec"], r["base_unit"], float(r["case_size"])) for r in rows]


def lines(path: Path, kind: FileKind, products: list[Product]) -> pa.Table:
    request = IngestRequest(
        data=path.read_bytes(), file_name=path.name, period="2026-10", load_id="L", source_key=path.name, kind=kind
    )
    result = ingest_file(request, products, distributors=lambda codes: {c: c for c in codes})
    assert result.status == "accepted", result.rejection
    return result.lines


def of(distributor: str, table: pa.Table) -> pa.Table:
    return quantities(pa.repeat(pa.scalar(distributor), table.num_rows), table["sku"], table["base_quantity"])


@pytest.fixture(scope="module")
def result(truth: dict[str, Any], products: list[Product]) -> Reconciliation:
    opening = pa.concat_tables(
        [of(d, lines(INVENTORY / "opening" / f"库存_{d}_2026-09.csv", FileKind.OPENING, products)) for d in truth]
    )
    closing = pa.concat_tables([of(d, lines(INVENTORY / p, FileKind.INVENTORY, products)) for d, p in CLOSING.items()])
    shipped = lines(INVENTORY / "shipments.csv", FileKind.SHIPMENTS, products)
    flow = pa.concat_tables([of(d, lines(FLOW / p, FileKind.FLOW, products)) for d, p in FLOW_FILES.items()])
    inputs = Inputs(
        opening=opening,
        inbound=quantities(shipped["distributor_id"], shipped["sku"], shipped["base_quantity"]),
        outbound=flow,
        adjustments=quantities(*[pa.array([], pa.string())] * 3),
        reported=closing,
        reporters=frozenset(truth),
    )
    return reconcile(inputs, threshold_pct=5.0)


def test_every_distributor_and_product_matches_truth(result: Reconciliation, truth: dict[str, Any]) -> None:
    got = {(r["distributor_id"], r["sku"]): r for r in result.products.to_pylist()}
    assert set(got) == {(d, sku) for d, skus in truth.items() for sku in skus}
    for d, skus in truth.items():
        for sku, want in skus.items():
            row = got[(d, sku)]
            assert (
                row["opening"],
                row["inbound"],
                row["outbound"],
                row["expected_closing"],
                row["reported_closing"],
                row["variance"],
            ) == (
                want["opening"],
                want["in"],
                want["out"],
                want["expected_closing"],
                want["reported_closing"],
                want["variance"],
            ), (d, sku)


def test_every_negative_expected_closing_is_flagged(result: Reconciliation, truth: dict[str, Any]) -> None:
    negative = {(d, s) for d, skus in truth.items() for s, w in skus.items() if w["expected_closing"] < 0}
    assert negative, "the samples hold negative expected closings"
    flagged_rows = {(r["distributor_id"], r["sku"]) for r in flagged(result).to_pylist() if r["negative_expected"]}
    assert flagged_rows == negative


def test_variance_threshold_and_missing_report() -> None:
    s = pa.array
    q = quantities
    inputs = Inputs(
        opening=q(s(["A", "A", "B"]), s(["P1", "P2", "P1"]), s([100, 10, 5])),
        inbound=q(s(["A"]), s(["P1"]), s([50])),
        outbound=q(s(["A", "A", "B", "C"]), s(["P1", "P1", "P1", "P9"]), s([60, -10, 5, 3])),  # -10: a return
        adjustments=q(s(["A"]), s(["P2"]), s([-2])),
        reported=q(s(["A"]), s(["P1"]), s([104])),  # A left P2 out of its report: it holds none
        reporters=frozenset({"A"}),
    )
    rows = {(r["distributor_id"], r["sku"]): r for r in reconcile(inputs, threshold_pct=5.0).products.to_pylist()}
    a1 = rows[("A", "P1")]
    assert (a1["expected_closing"], a1["reported_closing"], a1["variance"]) == (100, 104, 4)
    assert a1["variance_pct"] == pytest.approx(4.0) and not a1["over_threshold"]
    a2 = rows[("A", "P2")]
    assert (a2["expected_closing"], a2["reported_closing"], a2["variance"], a2["over_threshold"]) == (8, 0, -8, True)
    b1 = rows[("B", "P1")]
    assert b1["reported_closing"] is None and b1["variance"] is None and b1["no_stock_report"]
    c9 = rows[("C", "P9")]
    assert c9["flow_without_inbound"] and c9["negative_expected"] and c9["expected_closing"] == -3


def test_a_product_is_reckoned_by_batch_only_when_every_figure_names_its_batch() -> None:
    s = pa.array
    q = quantities
    inputs = Inputs(
        opening=q(s(["A", "A", "A"]), s(["P1", "P1", "P2"]), s([10, 4, 7]), s(["B1", "b2 ", None])),
        inbound=q(s(["A", "A"]), s(["P1", "P2"]), s([20, 5]), s([" b1", "B9"])),  # trimmed, upper-cased
        outbound=q(s(["A", "A", "A"]), s(["P1", "P1", "P2"]), s([25, 6, 3]), s(["B1", "B2", "B9"])),
        adjustments=q(s(["A"]), s(["P1"]), s([1]), s(["B2"])),
        reported=q(s(["A", "A"]), s(["P1", "P2"]), s([5, 9]), s(["B1", "B9"])),
        reporters=frozenset({"A"}),
    )
    result = reconcile(inputs, threshold_pct=5.0)
    products = {r["sku"]: r for r in result.products.to_pylist()}
    assert (products["P1"]["expected_closing"], products["P1"]["reported_closing"]) == (4, 5)
    assert (products["P2"]["expected_closing"], products["P2"]["reported_closing"]) == (9, 9)
    batches = {(r["sku"], r["batch"]): r for r in result.batches.to_pylist()}
    assert set(batches) == {("P1", "B1"), ("P1", "B2")}, "P2's opening names no batch: P2 is reckoned whole"
    b1, b2 = batches[("P1", "B1")], batches[("P1", "B2")]
    assert (b1["opening"], b1["inbound"], b1["outbound"], b1["expected_closing"], b1["reported_closing"]) == (
        10,
        20,
        25,
        5,
        5,
    )
    # B2 sold more than it held, and the report (which names batches) lists none of it
    assert (b2["expected_closing"], b2["reported_closing"], b2["variance"]) == (-1, 0, 1)
    assert b2["negative_expected"] and not b1["negative_expected"]


def test_files_read_dictionary_encoded_reckon_as_plain_text() -> None:
    """Each file's lines come with their own dictionaries (crm.inventory.lines reads them so)."""

    def encoded(*chunks: list[str | None]) -> pa.ChunkedArray:
        return pa.chunked_array([pa.array(c, pa.string()).dictionary_encode() for c in chunks])

    s = pa.array
    q = quantities
    plain = q(s(["A", "A", "B"]), s(["P1", "P2", "P1"]), s([5, 2, 7]), s(["b1", None, "B1"]))
    as_read = q(encoded(["A", "A"], ["B"]), encoded(["P1", "P2"], ["P1"]), s([5, 2, 7]), encoded(["b1", None], [" B1"]))
    others = {
        "opening": q(s(["A", "B"]), s(["P1", "P1"]), s([9, 9]), s(["B1", "B1"])),
        "inbound": q(*[s([], pa.string())] * 2, s([], pa.float64())),
        "adjustments": q(*[s([], pa.string())] * 2, s([], pa.float64())),
        "reported": q(s(["A"]), s(["P1"]), s([4]), s(["B1"])),
    }
    one, two = (
        reconcile(Inputs(outbound=outbound, reporters=frozenset({"A"}), **others), threshold_pct=5.0)
        for outbound in (plain, as_read)
    )
    assert one.products.to_pylist() == two.products.to_pylist()
    assert one.batches.to_pylist() == two.batches.to_pylist()
    assert [(r["distributor_id"], r["sku"], r["batch"], r["expected_closing"]) for r in two.batches.to_pylist()] == [
        ("A", "P1", "B1", 4),
        ("B", "P1", "B1", 2),
    ]


def test_variances_list_a_product_whose_batch_is_flagged_and_sold_out_batches_are_not_carried() -> None:
    from crm.inventory.service import carry_forward

    s = pa.array
    q = quantities
    inputs = Inputs(
        opening=q(s(["A", "A"]), s(["P1", "P1"]), s([10, 10]), s(["B1", "B2"])),
        inbound=q(*[s([], pa.string())] * 2, s([], pa.float64())),
        outbound=q(s(["A", "A"]), s(["P1", "P1"]), s([13, 7]), s(["B1", "B2"])),  # B1 oversold, the total fine
        adjustments=q(*[s([], pa.string())] * 2, s([], pa.float64())),
        reported=q(s(["A"]), s(["P1"]), s([0]), s(["B2"])),
        reporters=frozenset({"A"}),
    )
    result = reconcile(inputs, threshold_pct=100.0)
    assert result.products.to_pylist()[0]["expected_closing"] == 0
    assert not any(result.products.to_pylist()[0][f] for f in ("negative_expected", "over_threshold"))
    assert [r["sku"] for r in flagged(result).to_pylist()] == ["P1"]  # B1: -3
    assert carry_forward(result, "reported").num_rows == 0  # it reported none of either: no line carried
    computed = carry_forward(result, "computed").to_pylist()  # B1 below 0 carries nothing, B2 what is left
    assert [(r["batch"], r["quantity"]) for r in computed] == [("B2", 3)]
