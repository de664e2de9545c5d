"""What changed between two versions of a record, as the audit trail stores it."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from crm.clock import now_iso
from crm.db.models import AuditItem
from crm.db.paging import Page, query_page
from crm.db.transaction import Transaction
from crm.ids import new_id


class ChangeEntry(BaseModel):
    id: str
    action: str
    actor_id: str
    at: datetime
    reason: str | None = None
    changes: dict[str, dict[str, object]] = Field(description="field -> {before, after}")


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


def history(pk: str, limit: int, cursor: str | None, newest_first: bool = True) -> Page[ChangeEntry]:
    """The audit entries beside a record (its pk), a page at a time."""
    page = query_page(
        AuditItem,
        "pk",
        pk,
        limit=limit,
        cursor=cursor,
        range_condition=AuditItem.sk.startswith("AUDIT#"),
        forward=not newest_first,
    )
    entries = [
        ChangeEntry(
            id=a.sk.removeprefix("AUDIT#"),
            action=a.action,
            actor_id=a.actor_id,
            at=a.at,
            reason=a.reason,
            changes=a.changes.as_dict(),
        )
        for a in page.items
    ]
    return Page(entries, page.cursor)
