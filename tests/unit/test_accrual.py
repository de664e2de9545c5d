"""Rebate accrual (返利计提) reckoned from small hand-made months: tiers, measures, targets, caps, conditions and
penalties, each with the figure a finance clerk would work out on paper."""

from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from crm.rebates.accrual import BasisTotals, MonthFigures, stock_totals, totals, voucher
from crm.rebates.agreements import InForce
from crm.rebates.model import Penalty, Terms
from pydantic import ValidationError

D = "D1"
PRICES = {"A": "10", "B": "20", "C": "5"}
GROUPS = {"A": "g1", "B": "g1", "C": "g2"}


def lines(*rows: tuple[str, str, float, bool, str]) -> pa.Table:
    """rows: (party, sku, base quantity, verified, load)."""
    names = ["party", "sku", "base_quantity", "verified", "load_id"]
    return pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})


def agreement(*rules: dict[str, Any], targets: list[dict[str, Any]] | None = None) -> InForce:
    terms = Terms.model_validate(
        {
            "name": "协议",
            "valid_from": "2026-01",
            "valid_to": "2026-12",
            "products": [{"sku": s, "group": GROUPS[s], "price": p} for s, p in PRICES.items()],
            "targets": targets or [],
            "rules": list(rules),
        }
    )
    return InForce("AG1", 2, D, "经销商", "EAST", terms)


def rule(**fields: Any) -> dict[str, Any]:
    tiers = [
        {"threshold": "0", "percent": "1"},
        {"threshold": "100", "percent": "2"},
        {"threshold": "200", "percent": "3"},
    ]
    return {"name": "r", "group": "g1", "basis": "flow", "tiers": tiers} | fields


def month(flow: pa.Table | None = None, **extra: Any) -> MonthFigures:
    bases = {"flow": totals(flow if flow is not None else lines())}
    for basis in ("sell_in", "sellout"):
        bases[basis] = totals(extra.pop(basis, lines()))
    stock, reported = stock_totals(extra.pop("stock", pa.table({"party": [], "sku": [], "base_quantity": []})))
    return MonthFigures("2026-11", bases, stock, reported, extra.pop("cases", {}), extra.pop("penalties", {}))


FLOW = lines(
    (D, "A", 120, True, "L1"),
    (D, "B", 60, True, "L1"),
    (D, "A", 40, False, "L1"),  # buyer not matched: not counted
    (D, "C", 500, True, "L1"),  # another group
    ("D2", "A", 999, True, "L9"),  # another distributor
)


def test_the_highest_tier_reached_applies_to_the_whole_month() -> None:
    got = voucher(agreement(rule()), month(FLOW))
    [r] = got.rules
    assert (r.quantity, r.amount, r.tier, r.rate) == (180.0, Decimal("2400.00"), 2, "2%")  # 120×10 + 60×20
    assert got.gross == got.net == Decimal("48.00")
    assert (r.counted.rows, r.counted.unverified_rows, r.counted.loads) == (2, 1, ["L1"])
    assert r.counted.quantity_by_sku == {"A": 120.0, "B": 60.0}


def test_below_the_first_tier_nothing_accrues() -> None:
    first_at_500 = [{"threshold": "500", "percent": "5"}]
    got = voucher(agreement(rule(tiers=first_at_500)), month(FLOW))
    assert got.rules[0].tier is None and got.net == Decimal("0.00")


def test_amount_thresholds_per_unit_rates_and_caps() -> None:
    tiers = [{"threshold": "1000", "per_unit": "0.5"}, {"threshold": "2000", "per_unit": "1.5"}]
    got = voucher(agreement(rule(measure="amount", tiers=tiers, cap="200")), month(FLOW))
    [r] = got.rules
    assert (r.tier, r.rate, r.capped, r.accrued) == (2, "1.5/unit", True, Decimal("200.00"))  # 180 × 1.5 = 270 > 200


def test_tiers_on_the_share_of_a_quarter_target() -> None:
    """A Q4 target of 600 is 200 a month; 180 is 90%: the 80% tier, not the 100% one."""
    tiers = [{"threshold": "80", "percent": "2"}, {"threshold": "100", "percent": "4"}]
    target = [{"group": "g1", "period": "2026-Q4", "quantity": "600"}]
    got = voucher(agreement(rule(threshold_of="target", tiers=tiers), targets=target), month(FLOW))
    [r] = got.rules
    assert (r.target, r.attainment_pct, r.tier, r.accrued) == (Decimal("200.00"), 90.0, 1, Decimal("48.00"))


def test_without_a_target_a_target_tier_is_not_reached() -> None:
    got = voucher(agreement(rule(threshold_of="target")), month(FLOW))
    assert (got.rules[0].target, got.rules[0].tier, got.net) == (None, None, Decimal("0.00"))


def test_each_basis_reads_its_own_lines() -> None:
    sell_in = lines((D, "A", 300, True, "erp:O1"))
    sellout = lines((D, "B", 10, True, "S1"), (D, "B", 5, False, "S1"))
    got = voucher(
        agreement(rule(name="进货", basis="sell_in"), rule(name="终端", basis="sellout")),
        month(FLOW, sell_in=sell_in, sellout=sellout),
    )
    assert [(r.rule, r.quantity, r.accrued) for r in got.rules] == [
        ("进货", 300.0, Decimal("90.00")),  # 3000 × 3%
        ("终端", 10.0, Decimal("2.00")),  # 200 × 1%
    ]
    assert got.gross == Decimal("92.00")


def test_a_confirmed_case_fails_the_no_diversion_condition() -> None:
    conditioned = rule(conditions={"no_confirmed_diversion": True})
    clean = voucher(agreement(conditioned), month(FLOW))
    caught = voucher(agreement(conditioned), month(FLOW, cases={D: 1}))
    assert clean.net == Decimal("48.00") and caught.net == Decimal("0.00")
    assert [(c.name, c.met, c.value) for c in caught.rules[0].conditions] == [("no_confirmed_diversion", False, 1)]


def test_match_rate_and_months_of_stock() -> None:
    conditioned = rule(conditions={"min_match_rate": "0.7", "max_stock_months": "1.5"})
    stock = pa.table({"party": [D, D], "sku": ["A", "B"], "base_quantity": [200.0, 100.0]})  # 300 for 180 sold
    got = voucher(agreement(conditioned), month(FLOW, stock=stock))
    checks = {c.name: (c.met, c.value) for c in got.rules[0].conditions}
    assert checks == {"min_match_rate": (True, 0.75), "max_stock_months": (False, 1.67)}  # 3 of its 4 rows matched
    assert got.net == Decimal("0.00")


def test_no_stock_report_does_not_meet_a_stock_condition() -> None:
    got = voucher(agreement(rule(conditions={"max_stock_months": "2"})), month(FLOW))
    [check] = got.rules[0].conditions
    assert (check.met, check.note) == (False, "no stock report") and got.net == Decimal("0.00")


def test_penalties_net_against_the_gross_never_below_zero_and_a_forfeit_takes_it_all() -> None:
    fined = voucher(agreement(rule()), month(FLOW, penalties={D: [Penalty(case_id="C1", amount=Decimal("30"))]}))
    assert (fined.gross, fined.net, fined.unabsorbed_penalty) == (Decimal("48.00"), Decimal("18.00"), Decimal("0.00"))
    heavy = voucher(agreement(rule()), month(FLOW, penalties={D: [Penalty(case_id="C1", amount=Decimal("100"))]}))
    assert (heavy.net, heavy.unabsorbed_penalty) == (Decimal("0.00"), Decimal("52.00"))
    forfeit = voucher(agreement(rule()), month(FLOW, penalties={D: [Penalty(case_id="C2", forfeit=True)]}))
    assert (forfeit.gross, forfeit.net) == (Decimal("48.00"), Decimal("0.00"))


def test_returns_in_the_flow_reduce_the_quantity() -> None:
    with_return = pa.concat_tables([FLOW, lines((D, "A", -20, True, "L1"))])
    assert voucher(agreement(rule()), month(with_return)).rules[0].quantity == 160.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"rules": [rule(tiers=[{"threshold": "100", "percent": "2"}, {"threshold": "50", "percent": "1"}])]},
            "tiers go up",
        ),
        ({"rules": [rule(group="nope")]}, "no product is in group"),
        ({"rules": [rule(tiers=[{"threshold": "0", "percent": "1", "per_unit": "1"}])]}, "percent or a per_unit"),
        ({"valid_to": "2025-12"}, "before valid_from"),
        ({"targets": [{"group": "g1", "period": "2026-Q4"}]}, "quantity or an amount"),
    ],
)
def test_terms_that_cannot_be_reckoned_are_refused(change: dict[str, Any], message: str) -> None:
    base = {
        "name": "协议",
        "valid_from": "2026-01",
        "valid_to": "2026-12",
        "products": [{"sku": "A", "group": "g1", "price": "10"}],
        "rules": [rule()],
    }
    with pytest.raises(ValidationError, match=message):
        Terms.model_validate(base | change)


def test_an_empty_month_accrues_nothing() -> None:
    got = voucher(agreement(rule()), month())
    assert got.net == Decimal("0.00") and got.rules[0].counted.loads == []
    assert totals(lines()) == BasisTotals()
