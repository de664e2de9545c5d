"""The month's rebate accrual (返利计提) of each agreement in force: pure reckoning, tables in, vouchers out.

The month's lines are summed once per basis with pyarrow (distributor × product: quantity, rows, rows left
unverified, and the loads counted); Python then walks agreements and rules only, never rows.

Per rule: the quantity of its products on its basis (verified rows only: a flow buyer or a sell-out store
matched to a customer), its amount at the agreed prices; the tier reached is the highest whose threshold the
month's quantity, amount or % of target reaches, and its rate applies to the whole month (percent of the
amount, or an amount per unit), up to the rule's cap. A condition not met accrues nothing for that rule.
A voucher nets the month's confirmed diversion penalties against the rules' sum, never below zero; a
forfeit takes the whole month's rebate.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from crm import clock
from crm.rebates.agreements import InForce
from crm.rebates.model import Basis, ConditionCheck, Counted, Penalty, Rule, RuleAccrual, Target, Terms, Voucher

CENT = Decimal("0.01")
LINE_COLUMNS = ("party", "sku", "base_quantity", "verified", "load_id")


@dataclass
class BasisTotals:
    """One basis of the month (sell-in, flow or sell-out), summed per distributor × product."""

    quantity: dict[tuple[str, str], float] = field(default_factory=dict)  # verified rows only
    rows: dict[tuple[str, str], int] = field(default_factory=dict)
    unverified: dict[tuple[str, str], int] = field(default_factory=dict)
    loads: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class MonthFigures:
    period: str
    bases: dict[Basis, BasisTotals]
    stock: dict[tuple[str, str], float]  # reported closing stock, per distributor × product
    stock_reported: set[str]  # distributors that sent a closing stock report for the month
    diversion_cases: dict[str, int]  # confirmed cases of the month, per distributor
    penalties: dict[str, list[Penalty]]  # their penalties, per distributor


def totals(lines: pa.Table) -> BasisTotals:
    """LINE_COLUMNS → the sums per distributor × product (the one pass over the rows)."""
    found = BasisTotals()
    if not lines.num_rows:
        return found
    verified = pc.fill_null(lines["verified"], False)
    counted = lines.append_column("q", pc.if_else(verified, lines["base_quantity"], 0.0))
    counted = counted.append_column("v", pc.cast(verified, pa.int64()))
    sums = counted.group_by(["party", "sku"], use_threads=False).aggregate(
        [("q", "sum"), ("v", "sum"), ("sku", "count")]
    )
    parties, skus = sums["party"].to_pylist(), sums["sku"].to_pylist()
    for party, sku, q, v, n in zip(
        parties, skus, sums["q_sum"].to_pylist(), sums["v_sum"].to_pylist(), sums["sku_count"].to_pylist(), strict=True
    ):  # one per distributor × product
        found.quantity[(party, sku)] = q
        found.rows[(party, sku)] = v
        found.unverified[(party, sku)] = n - v
    loads = lines.group_by(["party"], use_threads=False).aggregate([("load_id", "distinct")])
    for party, ids in zip(loads["party"].to_pylist(), loads["load_id_distinct"].to_pylist(), strict=True):
        found.loads[party] = sorted(i for i in ids if i)
    return found


def stock_totals(lines: pa.Table) -> tuple[dict[tuple[str, str], float], set[str]]:
    """Closing stock lines (party, sku, base_quantity) → per distributor × product, and who reported."""
    if not lines.num_rows:
        return {}, set()
    sums = lines.group_by(["party", "sku"], use_threads=False).aggregate([("base_quantity", "sum")])
    stock = {
        (p, s): q
        for p, s, q in zip(
            sums["party"].to_pylist(), sums["sku"].to_pylist(), sums["base_quantity_sum"].to_pylist(), strict=True
        )
    }
    return stock, {p for p, _ in stock}


# ----------------------------------------------------------------------------- one agreement


def voucher(agreement: InForce, month: MonthFigures) -> Voucher:
    """The agreement's accrual for the month, as a preview (no id, not stored)."""
    terms, party = agreement.terms, agreement.customer_id
    rules = [_rule(rule, terms, party, month) for rule in terms.rules]
    gross = sum((r.accrued for r in rules), Decimal(0))
    penalties = month.penalties.get(party, [])
    charged = sum((p.amount or Decimal(0) for p in penalties), Decimal(0))
    forfeit = any(p.forfeit for p in penalties)
    net = Decimal(0) if forfeit else max(Decimal(0), gross - charged)
    return Voucher(
        id=None,
        period=month.period,
        agreement_id=agreement.agreement_id,
        agreement_version=agreement.version,
        customer_id=party,
        customer_name=agreement.customer_name,
        status="preview",
        groups=sorted({p.group for p in terms.products}),
        rules=rules,
        gross=_money(gross),
        penalties=penalties,
        net=_money(net),
        unabsorbed_penalty=_money(max(Decimal(0), charged - (Decimal(0) if forfeit else gross))),
        computed_at=clock.now(),
    )


def _rule(rule: Rule, terms: Terms, party: str, month: MonthFigures) -> RuleAccrual:
    prices = {p.sku: p.price for p in terms.products if rule.group in (None, p.group)}
    basis = month.bases.get(rule.basis, BasisTotals())
    by_sku = {sku: basis.quantity.get((party, sku), 0.0) for sku in prices}
    quantity = _decimal(sum(by_sku.values()))
    amount = sum((_decimal(q) * prices[sku] for sku, q in by_sku.items()), Decimal(0))
    measured = quantity if rule.measure == "quantity" else amount
    target = _target(terms.targets, rule, month.period)
    attainment = measured * 100 / target if target else None
    value = attainment if rule.threshold_of == "target" else measured
    reached = [n for n, tier in enumerate(rule.tiers, 1) if value is not None and value >= tier.threshold]
    tier = rule.tiers[reached[-1] - 1] if reached else None
    accrued = Decimal(0)
    if tier is not None:
        accrued = amount * tier.percent / 100 if tier.percent is not None else quantity * (tier.per_unit or 0)
    capped = rule.cap is not None and accrued > rule.cap
    if capped and rule.cap is not None:
        accrued = rule.cap
    checks = _conditions(rule, party, list(prices), month)
    if not all(c.met for c in checks):
        accrued = Decimal(0)
    return RuleAccrual(
        rule=rule.name,
        group=rule.group,
        basis=rule.basis,
        measure=rule.measure,
        quantity=float(quantity),
        amount=_money(amount),
        target=_money(target) if target is not None else None,
        attainment_pct=round(float(attainment), 2) if attainment is not None else None,
        tier=reached[-1] if reached else None,
        rate=(f"{tier.percent}%" if tier.percent is not None else f"{tier.per_unit}/unit") if tier else None,
        accrued=_money(accrued),
        capped=capped,
        conditions=checks,
        counted=Counted(
            loads=basis.loads.get(party, []),
            rows=sum(basis.rows.get((party, sku), 0) for sku in prices),
            unverified_rows=sum(basis.unverified.get((party, sku), 0) for sku in prices),
            quantity_by_sku={sku: q for sku, q in sorted(by_sku.items()) if q},
        ),
    )


def _target(targets: list[Target], rule: Rule, period: str) -> Decimal | None:
    """The month's target of the rule's products in its measure: month targets, and a third of the quarter's."""
    quarter = f"{period[:4]}-Q{(int(period[5:7]) - 1) // 3 + 1}"
    total, found = Decimal(0), False
    for t in targets:
        value = t.quantity if rule.measure == "quantity" else t.amount
        if value is None or rule.group not in (None, t.group) or t.period not in (period, quarter):
            continue
        total += value if t.period == period else value / 3
        found = True
    return total if found and total > 0 else None


def _conditions(rule: Rule, party: str, skus: list[str], month: MonthFigures) -> list[ConditionCheck]:
    wanted, checks = rule.conditions, []
    if wanted.no_confirmed_diversion:
        cases = month.diversion_cases.get(party, 0)
        checks.append(ConditionCheck(name="no_confirmed_diversion", met=cases == 0, value=cases, limit=0))
    if wanted.min_match_rate is not None:
        flow = month.bases.get("flow", BasisTotals())
        matched = sum(v for (p, _), v in flow.rows.items() if p == party)
        rows = matched + sum(v for (p, _), v in flow.unverified.items() if p == party)
        rate = matched / rows if rows else None
        checks.append(
            ConditionCheck(
                name="min_match_rate",
                met=rate is not None and rate >= float(wanted.min_match_rate),
                value=round(rate, 4) if rate is not None else None,
                limit=float(wanted.min_match_rate),
                note=None if rows else "no flow rows this month",
            )
        )
    if wanted.max_stock_months is not None:
        checks.append(_stock_check(float(wanted.max_stock_months), party, skus, month))
    return checks


def _stock_check(limit: float, party: str, skus: list[str], month: MonthFigures) -> ConditionCheck:
    """Reported closing stock of the rule's products against the month's verified flow of them."""
    if party not in month.stock_reported:
        return ConditionCheck(name="max_stock_months", met=False, value=None, limit=limit, note="no stock report")
    stock = sum(month.stock.get((party, sku), 0.0) for sku in skus)
    flow = month.bases.get("flow", BasisTotals())
    sold = sum(flow.quantity.get((party, sku), 0.0) for sku in skus)
    if sold <= 0:
        met = stock <= 0
        return ConditionCheck(name="max_stock_months", met=met, value=None, limit=limit, note="no flow this month")
    months = stock / sold
    return ConditionCheck(name="max_stock_months", met=months <= limit, value=round(months, 2), limit=limit)


def _decimal(value: float) -> Decimal:
    return Decimal(repr(round(value, 6)))


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def penalties_by_distributor(cases: list[Any]) -> tuple[dict[str, int], dict[str, list[Penalty]]]:
    """Confirmed cases (crm.rebates.cases.Confirmed) → counts and penalties per distributor."""
    counts: dict[str, int] = defaultdict(int)
    penalties: dict[str, list[Penalty]] = defaultdict(list)
    for case in cases:
        counts[case.distributor_id] += 1
        if case.penalty is not None:
            penalties[case.distributor_id].append(
                Penalty(case_id=case.id, amount=case.penalty.amount, forfeit=case.penalty.forfeit_rebate)
            )
    return dict(counts), dict(penalties)
