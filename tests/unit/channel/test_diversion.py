"""Diversion signals (窜货) computed from small hand-made tables: exact signals, quantities and evidence."""

from datetime import date

import pyarrow as pa
import pytest
from crm.channel.diversion import (
    NO_TERRITORY,
    NOT_A_DISTRIBUTOR,
    SHIPPED_SCHEMA,
    Buyer,
    Party,
    batch_crossings,
    judge,
    out_of_territory,
    place_key,
)
from crm.customers.model import Region, Territory

FLOW = pa.schema(
    [
        ("load_id", pa.string()),
        ("source_row", pa.int32()),
        ("source_line", pa.int32()),
        ("sale_date", pa.date32()),
        ("sku", pa.string()),
        ("batch", pa.string()),
        ("base_quantity", pa.float64()),
        ("buyer_name", pa.string()),
        ("customer_id", pa.string()),
        ("party", pa.string()),
    ]
)


def flow(*rows: tuple) -> pa.Table:
    """rows: (party, load, row, day, sku, batch, qty, buyer name, customer id)."""
    cols = {name: [] for name in FLOW.names}
    for party, load, row, day, sku, batch, qty, buyer, customer in rows:
        values = dict(
            load_id=load,
            source_row=row,
            source_line=row + 1,
            sale_date=date(2025, 6, day),
            sku=sku,
            batch=batch,
            base_quantity=qty,
            buyer_name=buyer,
            customer_id=customer,
            party=party,
        )
        for k, v in values.items():
            cols[k].append(v)
    return pa.Table.from_pydict(cols, schema=FLOW)


def shipped(*rows: tuple) -> pa.Table:
    return pa.Table.from_pylist([dict(zip(SHIPPED_SCHEMA.names, r, strict=True)) for r in rows], schema=SHIPPED_SCHEMA)


SHIPPED = shipped(
    ("D1", "P1", "X1", 100.0),
    ("D1", "P1", "X1", 20.0),
    ("D2", "P2", "Y1", 50.0),
    ("D1", "P2", "Y1", 30.0),
    ("D3", "P4", "W1", 10.0),
    ("D2", "P1", None, 5.0),
)


def test_a_batch_shipped_only_to_others_is_a_crossing_with_its_rows_as_evidence():
    lines = flow(
        ("D2", "L2", 3, 9, "P1", "X1", 8.0, "乙店", "c-b"),
        ("D2", "L2", 1, 5, "P1", "X1", 12.0, "甲店", "c-a"),
        ("D2", "L2", 2, 6, "P2", "Y1", 5.0, "甲店", "c-a"),  # shipped to D2 too: fine
        ("D2", "L2", 4, 7, "P3", "Z1", 4.0, "甲店", "c-a"),  # never shipped in the window: proves nothing
        ("D2", "L2", 5, 7, "P1", None, 4.0, "甲店", "c-a"),  # no batch written
        ("D2", "L2", 6, 7, "P1", " ", 4.0, "甲店", "c-a"),  # blank batch
        ("D1", "L1", 1, 10, "P4", "W1", 6.0, "丙店", None),  # W1 went to D3 only
        ("D1", "L1", 2, 11, "P1", "X1", 7.0, "丙店", None),  # D1's own batch
    )
    signals = batch_crossings(SHIPPED, lines)
    assert [(s.sku, s.batch, s.found_in, s.shipped_to, s.shipped_quantity, s.quantity, s.rows) for s in signals] == [
        ("P1", "X1", "D2", ["D1"], 120.0, 20.0, 2),
        ("P4", "W1", "D1", ["D3"], 10.0, 6.0, 1),
    ]
    first = signals[0]
    assert [
        (e.load_id, e.source_row, e.source_line, e.sale_date, e.buyer_name, e.customer_id, e.base_quantity)
        for e in first.evidence
    ] == [("L2", 1, 2, date(2025, 6, 5), "甲店", "c-a", 12.0), ("L2", 3, 4, date(2025, 6, 9), "乙店", "c-b", 8.0)]
    assert first.evidence_total == 2


def test_a_batch_passed_on_by_the_upstream_supplier_is_no_crossing():
    lines = flow(("T2", "L9", 1, 5, "P1", "X1", 3.0, "甲店", "c-a"))
    assert batch_crossings(SHIPPED, lines, {"T2": Party(upstream_id="D1")}) == []
    assert [s.found_in for s in batch_crossings(SHIPPED, lines, {"T2": Party(upstream_id="D3")})] == ["T2"]


def test_evidence_is_bounded_but_counted():
    lines = flow(*[("D2", "L2", n, 1 + n % 28, "P1", "X1", 1.0, "甲店", "c-a") for n in range(1, 31)])
    (signal,) = batch_crossings(SHIPPED, lines, limit=20)
    assert signal.rows == signal.evidence_total == 30 and signal.quantity == 30.0
    assert len(signal.evidence) == 20
    days = [(e.sale_date, e.source_row) for e in signal.evidence]
    assert days == sorted(days) and days[0] == (date(2025, 6, 1), 28)


def test_no_shipments_or_no_flow_means_no_crossings():
    assert batch_crossings(shipped(), flow(("D2", "L2", 1, 5, "P1", "X1", 8.0, "甲店", "c-a"))) == []
    assert batch_crossings(SHIPPED, flow()) == []


JS = Territory(provinces=["江苏"], cities=["苏州"])


@pytest.mark.parametrize(
    ("territory", "province", "city", "verdict"),
    [
        (JS, None, "苏州", False),
        (JS, "江苏省", "苏州市", False),
        (JS, None, "南京", True),  # cities listed: the city decides
        (JS, "安徽", None, True),  # a province outside is outside
        (JS, "江苏", None, None),  # somewhere in 江苏: maybe 苏州, maybe not
        (JS, None, None, None),
        (JS, "安徽", "苏州", True),  # a conflicting record: the province is outside
        (Territory(provinces=["江苏"]), "江苏", "南京", False),
        (Territory(provinces=["江苏"]), None, "南京", None),  # no city → province table here
        (Territory(provinces=["江苏"]), "浙江", None, True),
        (Territory(cities=["六安", "合肥"]), None, "合肥", False),
        (Territory(cities=["六安", "合肥"]), "安徽", None, None),
    ],
)
def test_judge(territory, province, city, verdict):
    assert judge(territory, province, city) is verdict


def test_place_names_compare_without_their_suffix():
    assert place_key("江苏省") == place_key(" 江苏 ") == "江苏"
    assert place_key("苏州市") == "苏州"
    assert place_key("广西壮族自治区") == "广西"
    assert place_key("市") == "市" and place_key(None) is None


PARTIES = {
    "D1": Party(territory=JS),
    "D2": Party(territory=Territory(provinces=["安徽"], cities=["六安", "合肥"])),
    "D4": Party(),
    "C9": Party(is_distributor=False, territory=JS),
}
BUYERS = {
    "c-sz": Buyer("苏州甲店", Region(city="苏州")),
    "c-nj": Buyer("南京乙店", Region(city="南京")),
    "c-hz": Buyer("杭州丙店", Region(province="浙江", city="杭州")),
    "c-js": Buyer("江苏丁店", Region(province="江苏")),
    "c-none": Buyer("无地区", Region()),
}


def test_buyers_outside_the_territory_are_signals_with_quantities_per_product_and_evidence():
    lines = flow(
        ("D1", "L1", 1, 3, "P1", "X1", 10.0, "苏州甲店", "c-sz"),
        ("D1", "L1", 2, 4, "P1", None, 4.0, "南京乙店", "c-nj"),
        ("D1", "L1", 3, 2, "P2", None, 6.0, "南京乙店", "c-nj"),
        ("D1", "L1", 4, 5, "P1", None, 1.0, "南京乙店", "c-nj"),
        ("D1", "L1", 5, 5, "P1", None, 2.0, "江苏丁店", "c-js"),  # can't tell
        ("D1", "L1", 6, 5, "P1", None, 2.0, "谁", None),  # unmatched
        ("D2", "L2", 1, 7, "P3", None, 3.0, "杭州丙店", "c-hz"),
        ("D2", "L2", 2, 7, "P3", None, 3.0, "无地区", "c-none"),
        ("D4", "L4", 1, 7, "P3", None, 9.0, "杭州丙店", "c-hz"),  # no territory: skipped
        ("C9", "L5", 1, 7, "P3", None, 9.0, "杭州丙店", "c-hz"),  # not a distributor
        ("D9", "L6", 1, 7, "P3", None, 9.0, "杭州丙店", "c-hz"),  # unknown party
    )
    signals, skipped, unjudged = out_of_territory(lines, PARTIES, BUYERS)
    assert [
        (s.distributor_id, s.customer_id, s.customer_name, s.region.city, s.quantity, s.base_qty_by_sku, s.rows)
        for s in signals
    ] == [
        ("D1", "c-nj", "南京乙店", "南京", 11.0, {"P1": 5.0, "P2": 6.0}, 3),
        ("D2", "c-hz", "杭州丙店", "杭州", 3.0, {"P3": 3.0}, 1),
    ]
    assert [(e.source_row, e.sale_date.day, e.base_quantity) for e in signals[0].evidence] == [
        (3, 2, 6.0),
        (2, 4, 4.0),
        (4, 5, 1.0),
    ]
    assert signals[0].territory == JS and signals[0].evidence_total == 3
    assert [(s.distributor_id, s.reason) for s in skipped] == [
        ("C9", NOT_A_DISTRIBUTOR),
        ("D4", NO_TERRITORY),
        ("D9", NOT_A_DISTRIBUTOR),
    ]
    assert [(u.distributor_id, u.unmatched_rows, u.unknown_region_rows) for u in unjudged] == [
        ("D1", 1, 1),
        ("D2", 0, 1),
    ]


def test_nothing_outside_gives_no_signal():
    lines = flow(("D1", "L1", 1, 3, "P1", "X1", 10.0, "苏州甲店", "c-sz"))
    assert out_of_territory(lines, PARTIES, BUYERS) == ([], [], [])
    assert out_of_territory(flow(), PARTIES, BUYERS) == ([], [], [])
