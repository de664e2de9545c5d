"""Visit coverage (拜访覆盖) for a month: required by the customer's level vs planned vs done.

Rows are per rep and customer. `required` comes from the tenant's frequency for the customer's current
level and sits with the customer's owner; `planned` counts visits planned for a day of the month (not
cancelled), `done` visits checked in on a day of the month (the tenant's local date), whoever made them.
A visit's index month is its check-in day (else its planned day), so visits planned in one month and
made in the next are read from the neighbouring months' partitions too.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel, Field

from crm.auth import Principal, Scope, require
from crm.customers import repository as customers_repo
from crm.customers.model import Customer
from crm.errors import NotFound
from crm.org import directory
from crm.visits import policy
from crm.visits import repository as repo
from crm.visits.model import DONE, Visit, VisitState
from crm.visits.service import VisitService, local_day


class CoverageRow(BaseModel):
    rep_id: str
    rep_name: str
    customer_id: str
    customer_name: str
    level: str | None
    required: int
    planned: int
    done: int
    covered: bool = Field(description="done >= required")


class CoverageTotal(BaseModel):
    key: str = Field(description="The rep's id, or the level ('-': no level)")
    name: str
    customers: int
    required: int
    planned: int
    done: int
    covered_customers: int = Field(description="Customers that needed visits and got enough")
    coverage_percent: str | None = Field(description="covered / customers needing visits, in %; null if none did")


class CoverageReport(BaseModel):
    month: str
    frequency: dict[str, int]
    rows: list[CoverageRow]
    by_rep: list[CoverageTotal]
    by_level: list[CoverageTotal]
    total: CoverageTotal


@dataclass
class _Cell:
    rep_id: str
    customer_id: str
    customer_name: str
    level: str | None
    required: int = 0
    planned: int = 0
    done: int = 0


@dataclass
class _Sum:
    customers: set[str] = field(default_factory=set)
    needing: set[str] = field(default_factory=set)
    covered: set[str] = field(default_factory=set)
    required: int = 0
    planned: int = 0
    done: int = 0


def _months_around(month: str) -> list[str]:
    first = date.fromisoformat(f"{month}-01")
    before = (first - timedelta(days=1)).isoformat()[:7]
    after = (first + timedelta(days=32)).isoformat()[:7]
    return [before, month, after]


def _customers(tenant_id: str, scope: Scope, path: str, rep_id: str | None) -> Iterator[Customer]:
    cursor: str | None = None
    owner = rep_id or scope.owner_id
    while True:
        if owner:
            page = customers_repo.list_by_owner(tenant_id, owner, None, 200, cursor)
        else:
            page = customers_repo.list_by_org_path(tenant_id, path, None, 200, cursor)
        yield from (c for c in page.items if not c.voided and c.org_path.startswith(path))
        if not (cursor := page.cursor):
            return


def build_report(
    principal: Principal, month: str, org_unit_id: str | None = None, rep_id: str | None = None
) -> CoverageReport:
    require(principal, "visit:read")
    service = VisitService(principal)
    scope = service.scope
    path = _path(principal, scope, org_unit_id)
    if rep_id:
        service.rep_in_scope(scope, rep_id)  # 404 for a rep outside the caller's subtree
    rep_id = rep_id or scope.owner_id
    frequency = {str(level): n for level, n in policy.current(principal.tenant_id).policy.frequency.items()}
    cells: dict[tuple[str, str], _Cell] = {}
    for c in _customers(principal.tenant_id, scope, path, rep_id):
        level = c.level.value if c.level else None
        need = frequency.get(level, 0) if level else 0
        if c.owner_id and need:
            cells[(c.owner_id, c.id)] = _Cell(c.owner_id, c.id, c.name, level, required=need)
    for visit in _visits(principal.tenant_id, month, path, rep_id):
        _count(cells, visit, month)
    return _report(principal.tenant_id, month, frequency, cells)


def _path(principal: Principal, scope: Scope, org_unit_id: str | None) -> str:
    own = scope.org_path or "/"
    if scope.owner_id is not None:
        own = directory.caller_unit(principal.tenant_id, principal.org_unit_id).path
    if org_unit_id is None:
        return own
    unit = directory.find_unit(principal.tenant_id, org_unit_id)
    if unit is None or not unit.path.startswith(own) or scope.owner_id is not None:
        raise NotFound(f"No org unit {org_unit_id} in your scope.")
    return unit.path


def _visits(tenant_id: str, month: str, path: str, rep_id: str | None) -> Iterator[Visit]:
    for m in _months_around(month):
        for visit in repo.all_in_month(tenant_id, m, path):
            if rep_id is None or visit.rep_id == rep_id:
                yield visit


def _count(cells: dict[tuple[str, str], _Cell], visit: Visit, month: str) -> None:
    planned = (
        visit.planned_on is not None
        and visit.planned_on.isoformat()[:7] == month
        and visit.state != VisitState.CANCELLED
    )
    done = visit.state in DONE and visit.check_in is not None and local_day(visit.check_in.at).isoformat()[:7] == month
    if not (planned or done):
        return
    cell = cells.setdefault(
        (visit.rep_id, visit.customer_id),
        _Cell(visit.rep_id, visit.customer_id, visit.customer_name, visit.customer_level),
    )
    cell.planned += planned
    cell.done += done


def _report(
    tenant_id: str, month: str, frequency: dict[str, int], cells: dict[tuple[str, str], _Cell]
) -> CoverageReport:
    names = {u.id: u.name for u in directory.users(tenant_id)}
    rows = [
        CoverageRow(
            rep_id=c.rep_id,
            rep_name=names.get(c.rep_id, c.rep_id),
            customer_id=c.customer_id,
            customer_name=c.customer_name,
            level=c.level,
            required=c.required,
            planned=c.planned,
            done=c.done,
            covered=c.done >= c.required,
        )
        for c in sorted(cells.values(), key=lambda c: (c.rep_id, c.level or "~", c.customer_name, c.customer_id))
    ]
    by_rep: dict[str, _Sum] = {}
    by_level: dict[str, _Sum] = {}
    total = _Sum()
    for row in rows:
        for acc in (by_rep.setdefault(row.rep_id, _Sum()), by_level.setdefault(row.level or "-", _Sum()), total):
            _add(acc, row)
    return CoverageReport(
        month=month,
        frequency=frequency,
        rows=rows,
        by_rep=[_total(k, names.get(k, k), s) for k, s in sorted(by_rep.items())],
        by_level=[_total(k, k, s) for k, s in sorted(by_level.items())],
        total=_total("all", "all", total),
    )


def _add(acc: _Sum, row: CoverageRow) -> None:
    key = f"{row.rep_id}#{row.customer_id}"
    acc.customers.add(key)
    acc.required += row.required
    acc.planned += row.planned
    acc.done += row.done
    if row.required:
        acc.needing.add(key)
        if row.covered:
            acc.covered.add(key)


def _total(key: str, name: str, s: _Sum) -> CoverageTotal:
    percent = None
    if s.needing:
        percent = str((Decimal(len(s.covered)) * 100 / len(s.needing)).quantize(Decimal("0.1")))
    return CoverageTotal(
        key=key,
        name=name,
        customers=len(s.customers),
        required=s.required,
        planned=s.planned,
        done=s.done,
        covered_customers=len(s.covered),
        coverage_percent=percent,
    )
