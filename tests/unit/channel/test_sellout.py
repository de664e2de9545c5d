"""Terminal sell-out sums from small hand-made tables: by terminal, product, both, and by month."""

import pyarrow as pa
from crm.channel.sellout import by_month, restrict, rows_of, summarize

SCHEMA = pa.schema(
    [
        ("sku", pa.string()),
        ("product_name", pa.string()),
        ("base_quantity", pa.float64()),
        ("base_unit", pa.string()),
        ("buyer_name", pa.string()),
        ("buyer_name_normalized", pa.string()),
        ("customer_id", pa.string()),
        ("party", pa.string()),
    ]
)
NAMES = {"P1": ("阿莫西林胶囊", "盒"), "P2": ("布洛芬缓释胶囊", "盒"), "P3": ("复方甘草片", "瓶")}


def lines(*rows: tuple) -> pa.Table:
    """rows: (party, store name as written, customer id or None, sku, quantity)."""
    return pa.Table.from_pylist(
        [
            {
                "sku": sku,
                "product_name": NAMES[sku][0],
                "base_quantity": qty,
                "base_unit": NAMES[sku][1],
                "buyer_name": name,
                "buyer_name_normalized": name.strip(),
                "customer_id": cid,
                "party": party,
            }
            for party, name, cid, sku, qty in rows
        ],
        schema=SCHEMA,
    )


# Two reporters' files (as read_lines concatenates them): D1's and D2's.
LINES = pa.concat_tables(
    [
        lines(
            ("D1", "华康超市", "T22", "P1", 10.0),
            ("D1", "华康超市 ", "T22", "P1", 5.0),
            ("D1", "众康医院", "T42", "P2", 4.0),
            ("D1", "长青大药房", "T04", "P1", 3.0),
            ("D1", "无名店", None, "P3", 7.0),
            ("D1", "无名店", None, "P1", 1.0),
        ),
        lines(("D2", "华康超市", "T22", "P1", 9.0), ("D2", "永安超市", "T09", "P3", 2.0)),
    ]
)


def table(group_by, **restriction):
    restricted = restrict(LINES, **restriction)
    return [r.model_dump(exclude_none=True) for r in rows_of(summarize(restricted, group_by), restricted, group_by)]


def test_by_terminal_and_product_with_unmatched_stores_when_asked():
    got = table("terminal_product", include_unmatched=True)
    assert [
        (r.get("terminal_id"), r["store_name"].strip(), r["sku"], r["base_quantity"], r["rows"], r["reported_by"])
        for r in got
    ] == [
        ("T22", "华康超市", "P1", 24.0, 3, ["D1", "D2"]),
        (None, "无名店", "P3", 7.0, 1, ["D1"]),
        ("T42", "众康医院", "P2", 4.0, 1, ["D1"]),
        ("T04", "长青大药房", "P1", 3.0, 1, ["D1"]),
        ("T09", "永安超市", "P3", 2.0, 1, ["D2"]),
        (None, "无名店", "P1", 1.0, 1, ["D1"]),
    ]
    assert got[0]["product_name"] == "阿莫西林胶囊" and got[0]["base_unit"] == "盒"


def test_unmatched_stores_are_left_out_unless_asked():
    assert [r["terminal_id"] for r in table("terminal_product")] == ["T22", "T42", "T04", "T09"]


def test_by_product():
    got = table("product", include_unmatched=True)
    assert [(r["sku"], r["base_quantity"], r["rows"], r["reported_by"]) for r in got] == [
        ("P1", 28.0, 5, ["D1", "D2"]),
        ("P3", 9.0, 2, ["D1", "D2"]),
        ("P2", 4.0, 1, ["D1"]),
    ]
    assert all("terminal_id" not in r and "store_name" not in r for r in got)


def test_by_terminal_with_quantities_per_product():
    got = table("terminal", include_unmatched=True)
    assert [(r.get("terminal_id"), r["base_quantity"], r["base_qty_by_sku"], r["rows"]) for r in got] == [
        ("T22", 24.0, {"P1": 24.0}, 3),
        (None, 8.0, {"P1": 1.0, "P3": 7.0}, 2),
        ("T42", 4.0, {"P2": 4.0}, 1),
        ("T04", 3.0, {"P1": 3.0}, 1),
        ("T09", 2.0, {"P3": 2.0}, 1),
    ]
    assert all("sku" not in r and "base_unit" not in r for r in got)


def test_restricted_to_terminals_in_scope_and_a_product():
    got = table("terminal_product", terminal_ids={"T22", "T04", "T99"}, sku="P1")
    assert [(r["terminal_id"], r["base_quantity"]) for r in got] == [("T22", 24.0), ("T04", 3.0)]
    assert table("product", terminal_ids=set()) == []
    assert table("product", terminal_ids={"T42"}, include_unmatched=True)[0]["base_quantity"] == 4.0  # ids win


def test_by_month_per_product():
    may = restrict(lines(("D1", "华康超市", "T22", "P2", 6.0)), terminal_ids={"T22"})
    june = restrict(LINES, terminal_ids={"T22"})
    got = [m.model_dump() for m in by_month({"2025-06": june, "2025-05": may})]
    assert [(m["period"], m["sku"], m["base_quantity"], m["rows"], m["reported_by"]) for m in got] == [
        ("2025-05", "P2", 6.0, 1, ["D1"]),
        ("2025-06", "P1", 24.0, 3, ["D1", "D2"]),
    ]
