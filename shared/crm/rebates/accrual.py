"""The month's rebate accrual (返利计提) of each agreement in force: pure reckoning, tables in, vouchers out.

The month's lines are summed once per basis with pyarrow (distributor × product: quantity, rows, rows left
unverified, and the loads counted); every rule's products are joined with those sums and the stock and summed
per rule in pyarrow too. Python walks the rules, never the rows (nor the products, but for the evidence).

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
from crm.rebates.model import Basis, ConditionCheck, Counted, Penalty, Rule, RuleAccrual, Target, Tier, Voucher

CENT = Decimal("0.01")
LINE_COLUMNS = ("party", "sku", "base_quantity", "verified", "load_id")
TOTALS = pa.schema(
    [
        ("party", pa.string()),
        ("sku", pa.string()),
        ("quantity", pa.float64()),
        ("rows", pa.int64()),
        ("unverified", pa.int64()),
    ]
)
PRICE = pa.decimal128(14, 4)  # the agreed prices' type (DecimalText(4, 12))
QUANTITY = pa.decimal128(18, 4)  # quantities as decimals, so amounts add up to the cent


@dataclass
class BasisTotals:
    """One basis of the month (sell-in, flow or sell-out), summed per distributor × product (TOTALS: quantity
    of verified rows, verified rows, unverified rows), with the loads and the row counts per distributor."""

    table: pa.Table = field(default_factory=TOTALS.empty_table)
    loads: dict[str, list[str]] = field(default_factory=dict)
    party_rows: dict[str, tuple[int, int]] = field(default_factory=dict)  # (verified, all) rows per distributor


@dataclass
class MonthFigures:
    period: str
    bases: dict[Basis, BasisTotals]
    stock: pa.Table  # reported closing stock: party, sku, quantity
    stock_reported: set[str]  # distributors that sent a closing stock report for the month
    diversion_cases: dict[str, int]  # confirmed cases of the month, per distributor
    penalties: dict[str, list[Penalty]]  # their penalties, per distributor


def totals(lines: pa.Table) -> BasisTotals:
    """LINE_COLUMNS → the sums per distributor × product (the one pass over the rows)."""
    if not lines.num_rows:
        return BasisTotals()
    lines = lines.unify_dictionaries()  # one dictionary per column across the files, as group-by wants
    verified = pc.fill_null(lines["verified"], False)
    counted = pa.table(
        {
            "party": lines["party"],
            "sku": lines["sku"],
            "q": pc.if_else(verified, lines["base_quantity"], 0.0),
            "v": pc.cast(verified, pa.int64()),
        }
    )
    sums = counted.group_by(["party", "sku"], use_threads=False).aggregate([("q", "sum"), ("v", "sum"), ("v", "count")])
    table = pa.table(
        {
            "party": pc.cast(sums["party"], pa.string()),
            "sku": pc.cast(sums["sku"], pa.string()),
            "quantity": sums["q_sum"],
            "rows": sums["v_sum"],
            "unverified": pc.subtract(sums["v_count"], sums["v_sum"]),
        },
        schema=TOTALS,
    )
    per_party = table.group_by(["party"], use_threads=False).aggregate([("rows", "sum"), ("unverified", "sum")])
    party_rows = {
        p: (v, v + u)
        for p, v, u in zip(*(per_party[c].to_pylist() for c in ("party", "rows_sum", "unverified_sum")), strict=True)
    }  # one per distributor
    loads = lines.group_by(["party"], use_threads=False).aggregate([("load_id", "distinct")])
    load_ids = zip(loads["party"].to_pylist(), loads["load_id_distinct"].to_pylist(), strict=True)
    return BasisTotals(
        table=table,
        loads={str(party): sorted(i for i in ids if i) for party, ids in load_ids},  # one per distributor
        party_rows=party_rows,
    )


NO_STOCK = pa.table(
    {"party": pa.array([], pa.string()), "sku": pa.array([], pa.string()), "base_quantity": pa.array([], pa.float64())}
)


def stock_totals(lines: pa.Table) -> tuple[pa.Table, set[str]]:
    """Closing stock lines (party, sku, base_quantity) → per distributor × product, and who reported."""
    if not lines.num_rows:
        empty = {
            "party": pa.array([], pa.string()),
            "sku": pa.array([], pa.string()),
            "stock": pa.array([], pa.float64()),
        }
        return pa.table(empty), set()
    lines = lines.unify_dictionaries()
    sums = lines.group_by(["party", "sku"], use_threads=False).aggregate([("base_quantity", "sum")])
    table = pa.table(
        {
            "party": pc.cast(sums["party"], pa.string()),
            "sku": pc.cast(sums["sku"], pa.string()),
            "stock": sums["base_quantity_sum"],
        }
    )
    return table, set(pc.unique(table["party"]).to_pylist())


# ----------------------------------------------------------------------------- the agreements of the month


@dataclass(frozen=True)
class _Summed:
    """One rule of one agreement, summed over its products (the pyarrow part's answer)."""

    quantity: Decimal
    amount: Decimal
    rows: int
    unverified: int
    stock: float
    by_sku: dict[str, float]


def voucher(agreement: InForce, month: MonthFigures) -> Voucher:
    """One agreement's accrual for the month, as a preview (no id, not stored)."""
    return vouchers([agreement], month)[0]


def vouchers(agreements: list[InForce], month: MonthFigures) -> list[Voucher]:
    """Every agreement's accrual for the month, as previews, in the order given."""
    entries = [(a, rule) for a in agreements for rule in a.terms.rules]
    summed = _sum_rules(entries, month)
    found, at = [], 0
    for a in agreements:
        n = len(a.terms.rules)
        rules = [
            _rule(rule, a, month, s) for (_, rule), s in zip(entries[at : at + n], summed[at : at + n], strict=True)
        ]
        found.append(_voucher(a, month, rules))
        at += n
    return found


def _sum_rules(entries: list[tuple[InForce, Rule]], month: MonthFigures) -> list[_Summed]:
    """Each (agreement, rule)'s products joined with its basis's month totals and the stock, summed per rule."""
    if not entries:
        return []
    joined = _joined(_rule_lines(entries), month)
    sums = joined.group_by(["rule"], use_threads=False).aggregate(
        [("quantity", "sum"), ("amount", "sum"), ("rows", "sum"), ("unverified", "sum"), ("stock", "sum")]
    )
    by_rule = {r["rule"]: r for r in sums.to_pylist()}  # one per rule
    by_sku = _sold_by_sku(joined)
    return [
        _Summed(
            quantity=_decimal(r.get("quantity_sum") or 0.0),
            amount=r.get("amount_sum") or Decimal(0),
            rows=r.get("rows_sum") or 0,
            unverified=r.get("unverified_sum") or 0,
            stock=r.get("stock_sum") or 0.0,
            by_sku=by_sku.get(n, {}),
        )
        for n in range(len(entries))
        for r in [by_rule.get(n, {})]
    ]


def _rule_lines(entries: list[tuple[InForce, Rule]]) -> pa.Table:
    """One line per (agreement, rule) × product the rule counts: rule (its index), basis, party, sku, price."""
    products: dict[tuple[int, str | None], tuple[pa.Array, pa.Array]] = {}  # agreements often share their terms
    columns: dict[str, list[pa.Array]] = {"rule": [], "basis": [], "party": [], "sku": [], "price": []}
    for n, (a, rule) in enumerate(entries):
        key = (id(a.terms), rule.group)
        if key not in products:
            chosen = [p for p in a.terms.products if rule.group in (None, p.group)]
            products[key] = (pa.array([p.sku for p in chosen], pa.string()), pa.array([p.price for p in chosen], PRICE))
        sku, price = products[key]
        columns["rule"].append(pa.repeat(pa.scalar(n, pa.int32()), len(sku)))
        columns["basis"].append(pa.repeat(pa.scalar(rule.basis), len(sku)))
        columns["party"].append(pa.repeat(pa.scalar(a.customer_id, pa.string()), len(sku)))
        columns["sku"].append(sku)
        columns["price"].append(price)
    return pa.table({name: pa.concat_arrays(arrays) for name, arrays in columns.items()})


def _joined(lines: pa.Table, month: MonthFigures) -> pa.Table:
    """The rule lines with their basis's totals (0 where nothing was sold), the stock, and the amount."""
    parts = []
    for basis in ("sell_in", "flow", "sellout"):
        mine = lines.filter(pc.equal(lines["basis"], basis))
        if mine.num_rows:
            totals_ = month.bases.get(basis, BasisTotals()).table
            parts.append(mine.join(totals_, ["party", "sku"], join_type="left outer"))
    joined = pa.concat_tables(parts).join(month.stock, ["party", "sku"], join_type="left outer")
    quantity = pc.fill_null(joined["quantity"], 0.0)
    joined = joined.set_column(joined.schema.get_field_index("quantity"), "quantity", quantity)
    return joined.append_column("amount", pc.multiply(pc.cast(pc.round(quantity, 4), QUANTITY), joined["price"]))


def _sold_by_sku(joined: pa.Table) -> dict[int, dict[str, float]]:
    """The evidence per rule: the quantity of each of its products that sold."""
    sold = (
        joined.filter(pc.not_equal(joined["quantity"], 0.0))
        .select(["rule", "sku", "quantity"])
        .sort_by([("rule", "ascending"), ("sku", "ascending")])
    )
    by_sku: dict[int, dict[str, float]] = {}
    for rule, sku, q in zip(*(sold[c].to_pylist() for c in ("rule", "sku", "quantity")), strict=True):
        by_sku.setdefault(rule, {})[sku] = q  # one per product sold
    return by_sku


def _voucher(agreement: InForce, month: MonthFigures, rules: list[RuleAccrual]) -> Voucher:
    party = agreement.customer_id
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
        groups=sorted({p.group for p in agreement.terms.products}),
        rules=rules,
        gross=_money(gross),
        penalties=penalties,
        net=_money(net),
        unabsorbed_penalty=_money(max(Decimal(0), charged - (Decimal(0) if forfeit else gross))),
        computed_at=clock.now(),
    )


def _rule(rule: Rule, agreement: InForce, month: MonthFigures, summed: _Summed) -> RuleAccrual:
    quantity, amount = summed.quantity, summed.amount
    target = _target(agreement.terms.targets, rule, month.period)
    measured = quantity if rule.measure == "quantity" else amount
    attainment = measured * 100 / target if target else None
    reached = _tier_reached(rule, attainment if rule.threshold_of == "target" else measured)
    tier = rule.tiers[reached - 1] if reached else None
    accrued, capped = _accrued(rule, tier, quantity, amount)
    checks = _conditions(rule, agreement.customer_id, month, summed)
    if not all(c.met for c in checks):
        accrued = Decimal(0)
    basis = month.bases.get(rule.basis, BasisTotals())
    return RuleAccrual(
        rule=rule.name,
        group=rule.group,
        basis=rule.basis,
        measure=rule.measure,
        quantity=float(quantity),
        amount=_money(amount),
        target=_money(target) if target is not None else None,
        attainment_pct=round(float(attainment), 2) if attainment is not None else None,
        tier=reached,
        rate=_rate(tier),
        accrued=_money(accrued),
        capped=capped,
        conditions=checks,
        counted=Counted(
            loads=basis.loads.get(agreement.customer_id, []),
            rows=summed.rows,
            unverified_rows=summed.unverified,
            quantity_by_sku=summed.by_sku,
        ),
    )


def _tier_reached(rule: Rule, value: Decimal | None) -> int | None:
    """The highest tier (1-based) whose threshold the month reaches; None below the first (or with no target)."""
    if value is None:
        return None
    reached = [n for n, tier in enumerate(rule.tiers, 1) if value >= tier.threshold]
    return reached[-1] if reached else None


def _accrued(rule: Rule, tier: Tier | None, quantity: Decimal, amount: Decimal) -> tuple[Decimal, bool]:
    """The tier's rate on the whole month, then the cap: (accrued, capped)."""
    if tier is None:
        return Decimal(0), False
    accrued = amount * tier.percent / 100 if tier.percent is not None else quantity * (tier.per_unit or 0)
    if rule.cap is not None and accrued > rule.cap:
        return rule.cap, True
    return accrued, False


def _rate(tier: Tier | None) -> str | None:
    if tier is None:
        return None
    return f"{tier.percent}%" if tier.percent is not None else f"{tier.per_unit}/unit"


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


def _conditions(rule: Rule, party: str, month: MonthFigures, summed: _Summed) -> list[ConditionCheck]:
    wanted, checks = rule.conditions, []
    if wanted.no_confirmed_diversion:
        cases = month.diversion_cases.get(party, 0)
        checks.append(ConditionCheck(name="no_confirmed_diversion", met=cases == 0, value=cases, limit=0))
    if wanted.min_match_rate is not None:
        matched, rows = month.bases.get("flow", BasisTotals()).party_rows.get(party, (0, 0))
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
        checks.append(_stock_check(float(wanted.max_stock_months), party, month, summed))
    return checks


def _stock_check(limit: float, party: str, month: MonthFigures, summed: _Summed) -> ConditionCheck:
    """Reported closing stock of the rule's products against the month's verified sales of them on the rule's
    basis (flow, normally)."""
    if party not in month.stock_reported:
        return ConditionCheck(name="max_stock_months", met=False, value=None, limit=limit, note="no stock report")
    sold = float(summed.quantity)
    if sold <= 0:
        met = summed.stock <= 0
        return ConditionCheck(name="max_stock_months", met=met, value=None, limit=limit, note="no sales this month")
    months = summed.stock / sold
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
