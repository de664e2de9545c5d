"""Terminal sell-out (终端销货) by terminal, product and month, column-wise with pyarrow.

Sell-out files come through the one ingest pipeline (kind "sellout"): each row a store, a product and a
quantity, the store name matched to a customer like a flow buyer. Here the month's current lines are
filtered (scope, terminal, product) and summed; Python only touches the groups, never the rows.
"""

from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from crm.channel.model import GroupBy, SellOutMonth, SellOutRow
from crm.channel.tables import plain
from crm.ingest.mapping import FileKind
from crm.inventory.lines import read_lines

COLUMNS = ["sku", "product_name", "base_quantity", "base_unit", "buyer_name", "buyer_name_normalized", "customer_id"]
GROUP_KEYS: dict[str, list[str]] = {
    "terminal": ["terminal"],
    "product": ["sku"],
    "terminal_product": ["terminal", "sku"],
}
_AGGREGATES = [
    ("base_quantity", "sum"),
    ("base_quantity", "count"),
    ("buyer_name", "min"),
    ("customer_id", "min"),
    ("product_name", "min"),
    ("base_unit", "min"),
    ("party", "distinct"),
]
_NAMES = {
    "base_quantity_sum": "base_quantity",
    "base_quantity_count": "rows",
    "buyer_name_min": "store_name",
    "customer_id_min": "terminal_id",
    "product_name_min": "product_name",
    "base_unit_min": "base_unit",
    "party_distinct": "reported_by",
}


def read_month(bucket: str, tenant_id: str, period: str, parties: set[str] | None = None) -> pa.Table:
    """The month's current sell-out lines (every reporter's, or only `parties`' files)."""
    return plain(read_lines(bucket, FileKind.SELLOUT, tenant_id, period, COLUMNS, parties))


def restrict(
    lines: pa.Table, terminal_ids: Iterable[str] | None = None, sku: str | None = None, include_unmatched: bool = False
) -> pa.Table:
    """Only lines of these terminals (None: any), of this product; unmatched store names only if asked."""
    mask = pc.is_valid(lines["customer_id"])
    if include_unmatched and terminal_ids is None:
        mask = pa.repeat(pa.scalar(True), lines.num_rows)
    if terminal_ids is not None:
        wanted = pa.array(sorted(set(terminal_ids)), pa.string())
        mask = pc.and_(mask, pc.is_in(lines["customer_id"], value_set=wanted))
    if sku is not None:
        mask = pc.and_(mask, pc.equal(lines["sku"], sku))
    return lines.filter(pc.fill_null(mask, False))


def _with_terminal_key(lines: pa.Table) -> pa.Table:
    """A terminal is its customer id; an unmatched store its normalised name (prefixed, never an id)."""
    unmatched = pc.binary_join_element_wise("?", lines["buyer_name_normalized"], "")
    return lines.append_column("terminal", pc.coalesce(lines["customer_id"], unmatched))


def summarize(lines: pa.Table, group_by: GroupBy) -> pa.Table:
    """One row per group, largest quantity first (ties by terminal, then product): the columns of SellOutRow
    (base_qty_by_sku excepted) plus `terminal`, the group's key."""
    keys = GROUP_KEYS[group_by]
    table = _with_terminal_key(lines.select([*COLUMNS, "party"]))
    grouped = table.group_by(keys, use_threads=False).aggregate(_AGGREGATES)
    grouped = grouped.rename_columns(_NAMES)
    if "terminal" not in keys:  # by product: no one store
        grouped = grouped.drop_columns(["store_name", "terminal_id"])
    if "sku" not in keys:  # by terminal: products differ, so do their names and units
        grouped = grouped.drop_columns(["product_name", "base_unit"])
    order = [("base_quantity", "descending"), *((k, "ascending") for k in keys)]
    return grouped.sort_by(order)


def per_sku(lines: pa.Table, terminals: list[str]) -> dict[str, dict[str, float]]:
    """terminal key → {sku: base quantity}, for the given terminals (a page's) only."""
    table = _with_terminal_key(lines.select(["customer_id", "buyer_name_normalized", "sku", "base_quantity"]))
    table = table.filter(pc.is_in(table["terminal"], value_set=pa.array(terminals, pa.string())))
    sums = table.group_by(["terminal", "sku"], use_threads=False).aggregate([("base_quantity", "sum")])
    found: dict[str, dict[str, float]] = {}
    for row in sums.to_pylist():  # one per terminal × product of the page
        found.setdefault(row["terminal"], {})[row["sku"]] = row["base_quantity_sum"]
    return {t: dict(sorted(skus.items())) for t, skus in found.items()}


def rows_of(grouped: pa.Table, lines: pa.Table, group_by: GroupBy) -> list[SellOutRow]:
    """The reply rows of (a page of) `summarize`'s result."""
    by_sku = per_sku(lines, grouped["terminal"].to_pylist()) if group_by == "terminal" else {}
    rows = []
    for row in grouped.to_pylist():
        terminal = row.pop("terminal", None)
        row["reported_by"] = sorted(row["reported_by"])
        if group_by == "terminal":
            row["base_qty_by_sku"] = by_sku.get(terminal, {})
        rows.append(SellOutRow.model_validate(row))
    return rows


def by_month(months: dict[str, pa.Table]) -> list[SellOutMonth]:
    """period → that month's (already restricted) lines, summed per product; months ascending."""
    items = []
    for period in sorted(months):
        grouped = summarize(months[period], "product").sort_by([("sku", "ascending")])
        for row in grouped.to_pylist():
            items.append(
                SellOutMonth(
                    period=period,
                    sku=row["sku"],
                    product_name=row["product_name"],
                    base_unit=row["base_unit"],
                    base_quantity=row["base_quantity"],
                    rows=row["rows"],
                    reported_by=sorted(row["reported_by"]),
                )
            )
    return items
