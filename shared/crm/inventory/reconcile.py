"""The channel inventory calculation (渠道库存计算单), column-wise with pyarrow.

Per distributor × product × month: opening + in − out ± adjustments = expected closing, compared with the
closing the distributor reported. `out` is the accepted flow (returns are negative, so they reduce it).
Every input is a table of (distributor_id, sku, quantity) rows in base units, summed here; the caller
decides where the rows come from (files, the ERP, people).
"""

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

KEYS = ["distributor_id", "sku"]
MOVEMENTS = ("opening", "inbound", "outbound", "adjustments")  # summed; absent means 0
FLAGS = ("negative_expected", "over_threshold", "no_stock_report", "flow_without_inbound")

QUANTITIES = pa.schema([("distributor_id", pa.string()), ("sku", pa.string()), ("quantity", pa.float64())])

RESULT_SCHEMA = pa.schema(
    [
        ("distributor_id", pa.string()),
        ("sku", pa.string()),
        ("opening", pa.float64()),
        ("inbound", pa.float64()),
        ("outbound", pa.float64()),
        ("adjustments", pa.float64()),
        ("expected_closing", pa.float64()),
        ("reported_closing", pa.float64()),  # null: the distributor sent no stock report for the month
        ("variance", pa.float64()),  # reported − expected; null without a report
        ("variance_pct", pa.float64()),  # of |expected|; null without a report or when expected is 0
        *[(flag, pa.bool_()) for flag in FLAGS],
    ]
)


@dataclass(frozen=True)
class Inputs:
    opening: pa.Table
    inbound: pa.Table
    outbound: pa.Table
    adjustments: pa.Table
    reported: pa.Table  # the stock reports' lines
    reporters: frozenset[str]  # distributors that sent a stock report (a product it left out: it holds none)


def quantities(distributor_id: pa.Array, sku: pa.Array, quantity: pa.Array) -> pa.Table:
    return pa.Table.from_arrays([distributor_id, sku, pc.cast(quantity, pa.float64())], schema=QUANTITIES)


def summed(table: pa.Table, name: str) -> pa.Table:
    grouped = table.select([*KEYS, "quantity"]).group_by(KEYS, use_threads=False).aggregate([("quantity", "sum")])
    return grouped.rename_columns([*KEYS, name])


def reconcile(inputs: Inputs, threshold_pct: float) -> pa.Table:
    """One row per distributor × product that has any figure, sorted by distributor then product."""
    # Each input summed on its own, then the sums stacked (a column per figure, null in the other inputs' rows)
    # and grouped once more: a key an input lacks stays null, as in a full outer join, and one group-by over
    # the stacked sums costs about half of four successive joins on string keys (bench/inventory_period.py).
    figures = [*MOVEMENTS, "reported_closing"]
    stacked = []
    for name, source in zip(figures, [*(getattr(inputs, m) for m in MOVEMENTS), inputs.reported], strict=True):
        part = summed(source, name)
        none = pa.nulls(part.num_rows, pa.float64())
        stacked.append(pa.Table.from_arrays([part["distributor_id"], part["sku"],
                                             *(part[name] if f == name else none for f in figures)],
                                            names=[*KEYS, *figures]))
    table = pa.concat_tables(stacked).group_by(KEYS, use_threads=False).aggregate([(f, "sum") for f in figures])
    table = table.rename_columns({f"{f}_sum": f for f in figures})
    zero = pa.scalar(0.0)
    opening, inbound, outbound, adjustments = (pc.fill_null(table[n], zero) for n in MOVEMENTS)
    expected = pc.add(pc.subtract(pc.add(opening, inbound), outbound), adjustments)
    reported_any = pc.is_in(table["distributor_id"], value_set=pa.array(sorted(inputs.reporters), pa.string()))
    reported = pc.if_else(reported_any, pc.fill_null(table["reported_closing"], zero), pa.scalar(None, pa.float64()))
    variance = pc.subtract(reported, expected)
    base = pc.abs(expected)
    pct = pc.if_else(pc.equal(base, zero), pa.scalar(None, pa.float64()), pc.multiply(pc.divide(variance, base), 100.0))
    beyond = pc.or_(pc.greater(pc.abs(pct), threshold_pct),
                    pc.and_(pc.equal(base, zero), pc.not_equal(variance, zero)))
    result = pa.table({
        "distributor_id": table["distributor_id"], "sku": table["sku"],
        "opening": opening, "inbound": inbound, "outbound": outbound, "adjustments": adjustments,
        "expected_closing": expected, "reported_closing": reported, "variance": variance, "variance_pct": pct,
        "negative_expected": pc.less(expected, zero),
        "over_threshold": pc.fill_null(beyond, False),
        "no_stock_report": pc.invert(reported_any),
        "flow_without_inbound": pc.and_(pc.greater(outbound, zero), pc.equal(inbound, zero)),
    }, schema=RESULT_SCHEMA)
    return result.sort_by([("distributor_id", "ascending"), ("sku", "ascending")])


def flagged(result: pa.Table) -> pa.Table:
    """The rows someone should look at: any flag set."""
    mask = result[FLAGS[0]]
    for flag in FLAGS[1:]:
        mask = pc.or_(mask, result[flag])
    return result.filter(mask)
