"""What changed between two versions of a record, as the audit trail stores it."""

from typing import Any

from crm.clock import now_iso
from crm.db.models import AuditItem
from crm.db.transaction import Transaction
from crm.ids import new_id

# Who and when are on the audit entry itself; a record's own bookkeeping fields are not changes.
BOOKKEEPING = frozenset({"updated_at", "updated_by", "version", "created_at", "created_by"})


def diff(
    before: dict[str, Any] | None, after: dict[str, Any], ignore: frozenset[str] = frozenset()
) -> dict[str, dict[str, Any]]:
    """field -> {"before", "after"} for every field whose value differs (a create has before=None)."""
    before = before or {}
    changes = {}
    for field in sorted(before.keys() | after.keys()):
        if field in ignore:
            continue
        old, new = before.get(field), after.get(field)
        if old != new and not (before == {} and new in (None, [], {})):
            changes[field] = {"before": old, "after": new}
    return changes


def stage(
    tx: Transaction,
    pk: str,
    tenant_id: str,
    action: str,
    actor_id: str,
    changes: dict[str, dict[str, Any]] | None = None,
    reason: str | None = None,
    at: str | None = None,
) -> None:
    """Adds the audit entry of a change to the transaction that makes the change (both or neither), beside the
    changed record (its pk); `at` is the change's own time when it has one, else now."""
    tx.put(
        AuditItem(
            pk,
            f"AUDIT#{new_id()}",
            tenant_id=tenant_id,
            action=action,
            actor_id=actor_id,
            at=at or now_iso(),
            reason=reason,
            changes=changes or {},
        )
    )
