"""Order plan use cases (订货计划). Each authorizes first (role → 403), then resolves scope (→ 404).

Scope: HQ roles plan for every unit; a branch or department head for their unit's subtree; a rep
reads the plans (and report) of their own unit, and writes nothing. A unit outside the scope is
404, as if it did not exist. `check_lines` and `write_lines` are shared with the file import,
which authorized when it handed out the upload link.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from crm import clock, versions
from crm.audit import diff
from crm.auth import Principal, Role, require, scope_for
from crm.customers import repository as customers_repo
from crm.db import keys
from crm.db.models import ProductItem
from crm.db.transaction import Transaction
from crm.errors import InvalidInput, NotFound
from crm.ids import new_id
from crm.org import directory
from crm.org.directory import OrgUnit
from crm.plans import imports
from crm.plans import repository as repo
from crm.plans.model import (
    ImportTicket,
    Plan,
    PlanBody,
    PlanImport,
    PlanImportRequest,
    PlanLine,
    PlanLineIn,
    PlanList,
    PlanSummary,
)
from crm.plans.repository import StoredPlan

LineError = dict[str, str]


@dataclass(frozen=True)
class PlanScope:
    """The org path a caller plans or reads under (None: the whole tenant); reps read their own unit only."""

    path: str | None
    own_unit_only: bool = False
    owner_id: str | None = None  # a rep: customer-level rows are limited to their own customers

    def covers(self, unit: OrgUnit, caller_unit_id: str) -> bool:
        if self.own_unit_only:
            return unit.id == caller_unit_id
        return self.path is None or unit.path.startswith(self.path)


def plan_scope(p: Principal) -> PlanScope:
    caller = directory.caller_unit(p.tenant_id, p.org_unit_id)
    scope = scope_for(p, caller.path)
    if scope.whole_tenant:
        return PlanScope(None)
    if scope.org_path is not None:
        return PlanScope(scope.org_path)
    if p.has(Role.REP):
        return PlanScope(caller.path, own_unit_only=True, owner_id=p.user_id)
    return PlanScope("/-/")  # no unit path looks like this: nothing is covered


class PlanService:
    def __init__(self, principal: Principal) -> None:
        self.p = principal
        self.tenant = principal.tenant_id

    def unit_in_scope(self, org_unit_id: str) -> OrgUnit:
        """The org unit, if the caller may see its plans; 404 otherwise (a unit elsewhere is not revealed)."""
        unit = directory.find_unit(self.tenant, org_unit_id)
        if unit is None or not plan_scope(self.p).covers(unit, self.p.org_unit_id):
            raise NotFound(f"No org unit {org_unit_id} in your scope.")
        return unit

    # ------------------------------------------------------------------ reads

    def get(self, org_unit_id: str, month: str) -> Plan:
        require(self.p, "plan:read")
        unit = self.unit_in_scope(org_unit_id)
        return to_plan(unit, month, repo.get(self.tenant, month, unit.id))

    def list(self, month: str) -> PlanList:
        require(self.p, "plan:read")
        scope = plan_scope(self.p)
        plans = repo.list_month(self.tenant, month, scope.path)
        if scope.own_unit_only:
            plans = [p for p in plans if p.org_unit_id == self.p.org_unit_id]
        items = []
        for stored in plans:
            unit = directory.find_unit(self.tenant, stored.org_unit_id)
            items.append(
                PlanSummary(
                    org_unit_id=stored.org_unit_id,
                    org_unit_name=unit.name if unit else stored.org_unit_id,
                    month=month,
                    line_count=len(stored.lines),
                    total_quantity=sum(li.quantity for li in stored.lines),
                    updated_at=stored.updated_at,
                    updated_by=stored.updated_by,
                    version=stored.version,
                )
            )
        return PlanList(items=items)

    # ------------------------------------------------------------------ writes

    def replace(self, org_unit_id: str, month: str, if_match: int, body: PlanBody) -> Plan:
        require(self.p, "plan:write")
        unit = self.unit_in_scope(org_unit_id)
        errors = check_lines(self.tenant, unit, body.lines, lambda i, f: f"lines.{i}.{f}" if f else f"lines.{i}")
        if errors:
            raise InvalidInput("Some plan lines are not valid; nothing was saved.", errors)
        before = repo.get(self.tenant, month, unit.id)
        version = before.version if before else 0
        versions.check("plan", version, if_match)
        return write_lines(self.tenant, self.p.user_id, unit, month, before, body.lines, "replace")

    # ------------------------------------------------------------------ file imports

    def template(self) -> bytes:
        """The blank XLSX template (openpyxl is loaded here, on this route only)."""
        require(self.p, "plan:read")
        from crm.plans.export import template_xlsx

        return template_xlsx()

    def request_import(self, request: PlanImportRequest, bucket: str) -> ImportTicket:
        """A presigned POST form for a filled-in template; the S3 event that follows starts the import function."""
        require(self.p, "plan:write")
        unit = self.unit_in_scope(request.org_unit_id)
        key = imports.ImportKey(self.tenant, new_id(), imports.safe_file_name(request.file_name))
        imports.create(key, unit.id, request.month, request.file_name, self.p.user_id)
        return ImportTicket(import_id=key.import_id, key=str(key), **imports.upload_form(bucket, key))

    def get_import(self, import_id: str, bucket: str) -> PlanImport:
        require(self.p, "plan:write")
        item = imports.get(self.tenant, import_id)
        if item is None:
            raise NotFound(f"No plan import {import_id}.")
        self.unit_in_scope(item.org_unit_id)
        return imports.to_model(item, bucket)


# ---------------------------------------------------------------------- shared with the import


def active_products(tenant_id: str) -> dict[str, str]:
    """sku → name of every active product: the master is one small partition, one Query."""
    items = ProductItem.query(
        keys.products_pk(tenant_id), ProductItem.sk.startswith("SKU#"), attributes_to_get=["sku", "name", "status"]
    )
    return {i.sku: i.name for i in items if (i.status or "active") == "active"}


def check_lines(
    tenant_id: str, unit: OrgUnit, lines: Sequence[PlanLineIn], where: Callable[[int, str | None], str]
) -> list[LineError]:
    """Every line's problems, each named by `where(index, field)`: unknown or inactive sku, a customer
    outside the unit's subtree or voided, a sku and customer repeated."""
    products = active_products(tenant_id)
    customers = customers_repo.get_many(tenant_id, [li.customer_id for li in lines if li.customer_id])
    errors: list[LineError] = []
    first: dict[tuple[str, str | None], int] = {}
    for i, line in enumerate(lines):
        if line.sku not in products:
            errors.append({"field": where(i, "sku"), "message": f"no active product {line.sku!r}"})
        if line.customer_id:
            found = customers.get(line.customer_id)
            if found is None or found.voided or not found.org_path.startswith(unit.path):
                errors.append(
                    {
                        "field": where(i, "customer_id"),
                        "message": f"no customer {line.customer_id} in org unit {unit.id}",
                    }
                )
        key = (line.sku, line.customer_id)
        if key in first:
            errors.append(
                {
                    "field": where(i, None),
                    "message": f"sku {line.sku} for "
                    f"{line.customer_id or 'no customer'} repeats line {where(first[key], None)}",
                }
            )
        else:
            first[key] = i
    return errors


def _audit_view(lines: Sequence[PlanLine | PlanLineIn]) -> dict[str, int]:
    """sku/customer → quantity: a compact, line-by-line diff (the whole list twice would be too big)."""
    return {f"{li.sku}/{li.customer_id or '-'}": li.quantity for li in lines}


def write_lines(
    tenant_id: str,
    actor_id: str,
    unit: OrgUnit,
    month: str,
    before: StoredPlan | None,
    lines: Sequence[PlanLineIn],
    action: str,
    reason: str | None = None,
) -> Plan:
    """Replaces the plan's lines, conditional on the version read, with its audit entry; no change writes nothing."""
    new_lines = sorted((PlanLine(**li.model_dump()) for li in lines), key=lambda li: (li.sku, li.customer_id or ""))
    changes = diff(_audit_view(before.lines) if before else None, _audit_view(new_lines))
    if before is not None and not changes:
        return to_plan(unit, month, before)
    version = before.version if before else 0
    stored = StoredPlan(tenant_id, unit.id, unit.path, month, new_lines, clock.now_iso(), actor_id, version)
    tx = Transaction()
    repo.stage_plan(tx, stored)
    repo.stage_audit(tx, tenant_id, month, unit.id, action, actor_id, changes, reason)
    tx.commit()
    return to_plan(unit, month, replace(stored, version=version + 1))


def to_plan(unit: OrgUnit, month: str, stored: StoredPlan | None) -> Plan:
    if stored is None:
        return Plan(org_unit_id=unit.id, org_unit_name=unit.name, month=month, lines=[], total_quantity=0)
    return Plan(
        org_unit_id=unit.id,
        org_unit_name=unit.name,
        month=month,
        lines=stored.lines,
        total_quantity=sum(li.quantity for li in stored.lines),
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
        version=stored.version,
    )
