"""Order plans in DynamoDB: one partition per tenant and month, one item per org unit, audit apart.

pk T#t#PLAN#<month> holds UNIT#<org unit>: a month has one plan per unit (tens of items), so the
plans of a month in a caller's scope are one Query with a FilterExpression on the stored org path.
Maps explicitly between the stored shape (crm.db.models.PlanItem) and crm.plans.model.
"""

from dataclasses import dataclass
from typing import Any

from crm import audit, clock
from crm.db import keys
from crm.db.models import PlanItem
from crm.db.transaction import Transaction
from crm.plans.model import PlanLine


@dataclass(frozen=True)
class StoredPlan:
    tenant_id: str
    org_unit_id: str
    org_path: str
    month: str
    lines: list[PlanLine]
    updated_at: str | None
    updated_by: str | None
    version: int


def _from_item(item: PlanItem) -> StoredPlan:
    lines = [
        PlanLine(sku=line["sku"], customer_id=line.get("customer_id"), quantity=int(line["quantity"]))
        for line in (item.lines or [])
    ]
    return StoredPlan(
        item.tenant_id,
        item.org_unit_id,
        item.org_path,
        item.month,
        lines,
        item.updated_at,
        item.updated_by,
        item.version or 0,
    )


def get(tenant_id: str, month: str, org_unit_id: str) -> StoredPlan | None:
    try:
        return _from_item(PlanItem.get(keys.plans_pk(tenant_id, month), keys.plan_sk(org_unit_id)))
    except PlanItem.DoesNotExist:
        return None


def list_month(tenant_id: str, month: str, org_path: str | None) -> list[StoredPlan]:
    """Every plan of the month under `org_path` (None: the tenant): one Query over a partition of tens of items."""
    where = PlanItem.org_path.startswith(org_path) if org_path else None
    items = PlanItem.query(keys.plans_pk(tenant_id, month), PlanItem.sk.startswith("UNIT#"), filter_condition=where)
    return sorted((_from_item(i) for i in items), key=lambda p: p.org_path)


def stage_plan(tx: Transaction, plan: StoredPlan) -> None:
    """Create (version 0: none may exist) or replace (must still be at the version read)."""
    item = PlanItem(
        keys.plans_pk(plan.tenant_id, plan.month),
        keys.plan_sk(plan.org_unit_id),
        tenant_id=plan.tenant_id,
        month=plan.month,
        org_unit_id=plan.org_unit_id,
        org_path=plan.org_path,
        lines=[line.model_dump(exclude_none=True) for line in plan.lines],
        updated_at=plan.updated_at or clock.now_iso(),
        updated_by=plan.updated_by or "system",
    )
    if plan.version:
        item.version = plan.version
    tx.put(item)


def stage_audit(
    tx: Transaction,
    tenant_id: str,
    month: str,
    org_unit_id: str,
    action: str,
    actor_id: str,
    changes: dict[str, dict[str, Any]],
    reason: str | None = None,
) -> None:
    audit.stage(tx, keys.plan_history_pk(tenant_id, month, org_unit_id), tenant_id, action, actor_id, changes, reason)
