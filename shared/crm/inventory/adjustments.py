"""Inventory adjustments (调整单): asked for with a reason, decided by the approval machinery, audited.

Only approved adjustments count in the month's calculation; AdjustmentSubject receives the approval's end.
"""

from typing import Any

from crm import audit, clock
from crm.approvals.subjects import Outcome, Subject
from crm.db import keys
from crm.db.models import AdjustmentItem
from crm.db.transaction import Transaction
from crm.inventory.model import Adjustment, AdjustmentIn


def to_model(item: AdjustmentItem, approval_id: str | None = None) -> Adjustment:
    return Adjustment(
        id=item.id,
        period=item.period,
        distributor_id=item.distributor_id,
        sku=item.sku,
        batch=item.batch,
        quantity=float(item.quantity),
        reason=item.reason,
        status=item.status,
        requested_by=item.requested_by,
        requested_at=item.requested_at,
        decided_at=item.decided_at,
        approval_id=approval_id,
        version=item.version or 0,
    )


def stage(tx: Transaction, tenant_id: str, adjustment_id: str, body: AdjustmentIn, actor: str) -> AdjustmentItem:
    """The adjustment (pending) and its audit entry, in the caller's transaction (with its approval run)."""
    now = clock.now_iso()
    item = AdjustmentItem(
        keys.adjustment_pk(tenant_id, adjustment_id),
        keys.META,
        gsi1pk=keys.adjustments_pk(tenant_id, body.period),
        gsi1sk=f"{body.distributor_id}#{adjustment_id}",
        tenant_id=tenant_id,
        id=adjustment_id,
        period=body.period,
        distributor_id=body.distributor_id,
        sku=body.sku,
        batch=body.batch,
        quantity=body.quantity,
        reason=body.reason,
        status="pending",
        requested_by=actor,
        requested_at=now,
    )
    tx.put(item)
    _stage_audit(tx, item, "adjustment.requested", actor, body.reason)
    return item


def get(tenant_id: str, adjustment_id: str) -> AdjustmentItem | None:
    try:
        return AdjustmentItem.get(keys.adjustment_pk(tenant_id, adjustment_id), keys.META)
    except AdjustmentItem.DoesNotExist:
        return None


class AdjustmentSubject(Subject):
    """Only an approved adjustment counts in the month; the others end with the approval's outcome."""

    def approved(self, outcome: Outcome) -> None:
        decided(outcome.tenant_id, outcome.subject_id, "approved", outcome.by, outcome.comment)

    def rejected(self, outcome: Outcome) -> None:
        decided(outcome.tenant_id, outcome.subject_id, "rejected", outcome.by, outcome.comment)

    def expired(self, outcome: Outcome) -> None:
        decided(outcome.tenant_id, outcome.subject_id, "expired", outcome.by, outcome.comment)


def decided(tenant_id: str, adjustment_id: str, outcome: str, by: str, comment: str | None) -> None:
    """The approval run's end, once: an adjustment no longer pending is left as it is."""
    item = get(tenant_id, adjustment_id)
    if item is None or item.status != "pending":
        return
    item.status, item.decided_at = outcome, clock.now_iso()
    tx = Transaction()
    tx.put(item)
    _stage_audit(tx, item, f"adjustment.{outcome}", by, comment)
    tx.commit()


def of_period(tenant_id: str, period: str, distributor_id: str | None = None) -> list[AdjustmentItem]:
    condition = AdjustmentItem.gsi1sk.startswith(f"{distributor_id}#") if distributor_id else None
    return list(AdjustmentItem.by_period.query(keys.adjustments_pk(tenant_id, period), condition))


def _stage_audit(tx: Transaction, item: AdjustmentItem, action: str, actor: str, reason: str | None) -> None:
    changes: dict[str, dict[str, Any]] = {
        "status": {"before": None, "after": item.status},
        "quantity": {"before": None, "after": float(item.quantity)},
    }
    audit.stage(tx, item.pk, item.tenant_id, action, actor, changes, reason)
