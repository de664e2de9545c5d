"""Plan vs actual (计划达成) for a month, grouped by product, customer or org unit, within the caller's scope.

Plan quantities come from the month's plans in scope; actual quantities and amounts from the month's
approved-or-later orders in scope (crm.plans.actuals). Org units are compared unit by unit: a plan
set on a branch is compared with orders of the branch's own customers, not of its departments.
A rep sees their own unit; grouped by customer, only their own customers.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from crm.auth import Principal, require
from crm.customers import repository as customers_repo
from crm.db import keys
from crm.db.models import ProductItem
from crm.org import directory
from crm.plans import actuals
from crm.plans import repository as repo
from crm.plans.model import GroupBy, PlanReport, ReportRow
from crm.plans.service import PlanService, plan_scope

HUNDRED = Decimal(100)


@dataclass
class _Cell:
    label: str = ""
    plan: int = 0
    quantity: int = 0
    amount: Decimal = field(default_factory=Decimal)


def attainment(actual: int, plan: int) -> Decimal | None:
    return None if plan == 0 else (Decimal(actual) * HUNDRED / Decimal(plan)).quantize(Decimal("0.1"))


def _row(key: str | None, cell: _Cell) -> ReportRow:
    return ReportRow(
        key=key,
        label=cell.label,
        plan_quantity=cell.plan,
        actual_quantity=cell.quantity,
        actual_amount=cell.amount,
        attainment_percent=attainment(cell.quantity, cell.plan),
    )


@dataclass(frozen=True)
class _Slice:
    """Which plans and orders a report counts: a subtree, or one unit (a rep's), or one owner's customers."""

    tenant: str
    month: str
    group_by: GroupBy
    path: str | None  # None: the whole tenant
    own_unit: str | None
    owner: str | None


def build_report(principal: Principal, month: str, group_by: GroupBy, org_unit_id: str | None) -> PlanReport:
    require(principal, "plan:read")
    scope = plan_scope(principal)
    unit = PlanService(principal).unit_in_scope(org_unit_id) if org_unit_id else None
    own_unit = principal.org_unit_id if scope.own_unit_only else None
    where = _Slice(
        principal.tenant_id,
        month,
        group_by,
        unit.path if unit else scope.path,
        own_unit,
        scope.owner_id if group_by == GroupBy.CUSTOMER else None,
    )
    cells: dict[str | None, _Cell] = defaultdict(_Cell)
    _add_plans(where, cells)
    _add_actuals(where, cells)
    if where.owner:
        _keep_own_customers(where.tenant, where.owner, cells)
    _label(where.tenant, group_by, cells)
    total = _Cell(
        "合计 total",
        sum(c.plan for c in cells.values()),
        sum(c.quantity for c in cells.values()),
        sum((c.amount for c in cells.values()), Decimal()),
    )
    rows = [_row(k, c) for k, c in sorted(cells.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))]
    return PlanReport(
        month=month,
        group_by=group_by,
        org_unit_id=unit.id if unit else (own_unit or None),
        actual_basis=actuals.BASIS,
        rows=rows,
        total=_row(None, total),
    )


def _add_plans(where: _Slice, cells: dict[str | None, _Cell]) -> None:
    for plan in repo.list_month(where.tenant, where.month, where.path):
        if where.own_unit and plan.org_unit_id != where.own_unit:
            continue
        for line in plan.lines:
            key = {GroupBy.PRODUCT: line.sku, GroupBy.CUSTOMER: line.customer_id, GroupBy.ORG_UNIT: plan.org_unit_id}[
                where.group_by
            ]
            cells[key].plan += line.quantity


def _add_actuals(where: _Slice, cells: dict[str | None, _Cell]) -> None:
    for line in actuals.order_lines(where.tenant, where.month, where.path):
        if (where.own_unit and line.org_unit_id != where.own_unit) or (where.owner and line.owner_id != where.owner):
            continue
        key = {GroupBy.PRODUCT: line.sku, GroupBy.CUSTOMER: line.customer_id, GroupBy.ORG_UNIT: line.org_unit_id}[
            where.group_by
        ]
        cell = cells[key]
        cell.quantity += line.quantity
        cell.amount += line.amount
        if where.group_by != GroupBy.ORG_UNIT:  # org unit names come from the directory (_label)
            cell.label = cell.label or (line.product_name if where.group_by == GroupBy.PRODUCT else line.customer_name)


def _keep_own_customers(tenant: str, owner: str, cells: dict[str | None, _Cell]) -> None:
    """A rep's customer rows: their own customers only (plan lines for no customer stay: they name nobody)."""
    ids = [k for k in cells if k]
    owned = {cid for cid, c in customers_repo.get_many(tenant, ids).items() if c.owner_id == owner}
    for key in ids:
        if key not in owned:
            del cells[key]


def _label(tenant: str, group_by: GroupBy, cells: dict[str | None, _Cell]) -> None:
    """Names for rows that no order named (plan-only rows), and for org units."""
    missing = [k for k, c in cells.items() if k and not c.label]
    if group_by == GroupBy.PRODUCT and missing:
        items = ProductItem.query(
            keys.products_pk(tenant), ProductItem.sk.startswith("SKU#"), attributes_to_get=["sku", "name"]
        )
        names = {i.sku: i.name for i in items}
        for k in missing:
            cells[k].label = names.get(k, k)
    elif group_by == GroupBy.CUSTOMER and missing:
        found = customers_repo.get_many(tenant, missing)
        for k in missing:
            cells[k].label = found[k].name if k in found else k
    elif group_by == GroupBy.ORG_UNIT:
        for k in missing:
            unit = directory.find_unit(tenant, k)
            cells[k].label = unit.name if unit else k
    if None in cells:
        cells[None].label = "(不分客户 no customer)"
