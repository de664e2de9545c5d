"""Visits in DynamoDB: the record with its audit entries, and the offline actions already applied.

Maps explicitly between the stored shape (crm.db.models.VisitItem) and the service model (Visit).
Nothing here decides a rule; a failed version condition becomes a Conflict in crm.db.transaction.
"""

import time
from collections.abc import Iterator
from typing import Any

from pynamodb.expressions.condition import Condition

from crm import audit
from crm.customers.model import ChangeEntry
from crm.db import keys
from crm.db.models import VisitItem, VisitReceiptItem
from crm.db.paging import Page, all_of, query_page
from crm.db.transaction import Transaction
from crm.errors import Conflict
from crm.visits.model import Visit

_TOP = ("id", "tenant_id", "state", "customer_id", "rep_id", "org_path", "day", "flagged")
RECEIPT_DAYS = 90  # how long an applied action id is remembered


def to_item(visit: Visit) -> VisitItem:
    data = visit.model_dump(mode="json")
    t, vid, day = visit.tenant_id, visit.id, data["day"]
    item = VisitItem(
        keys.visit_pk(t, vid),
        keys.META,
        gsi1pk=keys.visits_month_pk(t, day[:7]),
        gsi1sk=f"{visit.org_path}#{vid}",
        gsi2pk=keys.rep_visits_pk(t, visit.rep_id),
        gsi2sk=f"{day}#{vid}",
        gsi4pk=keys.customer_visits_pk(t, visit.customer_id),
        gsi4sk=f"{day}#{vid}",
        doc={k: v for k, v in data.items() if k not in _TOP and k != "version"},
        **{k: data[k] for k in _TOP},
    )
    if visit.version:
        item.version = visit.version  # the version read; the write is conditional on it
    return item


def from_item(item: VisitItem) -> Visit:
    data: dict[str, Any] = dict(item.doc.as_dict())
    data.update({k: getattr(item, k) for k in _TOP})
    data["version"] = item.version or 0
    return Visit.model_validate(data)


def get(tenant_id: str, visit_id: str) -> Visit | None:
    try:
        return from_item(VisitItem.get(keys.visit_pk(tenant_id, visit_id), keys.META))
    except VisitItem.DoesNotExist:
        return None


def stage_visit(tx: Transaction, visit: Visit, on_exists: str = "The visit changed while this request ran.") -> None:
    """Create (version 0: the id must be new) or replace (must still be at the version read)."""
    tx.put(to_item(visit), on_fail=lambda: Conflict(f"{on_exists} Read it again and retry.", field="visit_id"))


def stage_audit(
    tx: Transaction,
    visit: Visit,
    action: str,
    actor_id: str,
    at: str,
    changes: dict[str, dict[str, Any]],
    reason: str | None = None,
) -> None:
    audit.stage(tx, keys.visit_pk(visit.tenant_id, visit.id), visit.tenant_id, action, actor_id, changes, reason, at)


def list_history(tenant_id: str, visit_id: str, limit: int, cursor: str | None) -> Page[ChangeEntry]:
    """The visit's audit entries, oldest first: the visit as it happened."""
    return audit.history(keys.visit_pk(tenant_id, visit_id), limit, cursor, newest_first=False)


# ----------------------------------------------------------------------------- lists


def list_by_rep(
    tenant_id: str,
    rep_id: str,
    prefix: str | None,
    where: Condition | None,
    limit: int,
    cursor: str | None,
    newest_first: bool = False,
) -> Page[Visit]:
    """`prefix`: a day (yyyy-mm-dd) or a month (yyyy-mm) of the visits' days."""
    page = query_page(
        VisitItem,
        "gsi2pk",
        keys.rep_visits_pk(tenant_id, rep_id),
        limit=limit,
        cursor=cursor,
        range_condition=VisitItem.gsi2sk.startswith(prefix) if prefix else None,
        filter_condition=where,
        index_name="gsi2",
        forward=not newest_first,
    )
    return Page([from_item(i) for i in page.items], page.cursor)


def list_by_month(
    tenant_id: str, month: str, org_path: str, where: Condition | None, limit: int, cursor: str | None
) -> Page[Visit]:
    page = query_page(
        VisitItem,
        "gsi1pk",
        keys.visits_month_pk(tenant_id, month),
        limit=limit,
        cursor=cursor,
        range_condition=VisitItem.gsi1sk.startswith(org_path),
        filter_condition=where,
        index_name="gsi1",
    )
    return Page([from_item(i) for i in page.items], page.cursor)


def list_by_customer(tenant_id: str, customer_id: str, limit: int, cursor: str | None) -> Page[Visit]:
    page = query_page(
        VisitItem,
        "gsi4pk",
        keys.customer_visits_pk(tenant_id, customer_id),
        limit=limit,
        cursor=cursor,
        index_name="gsi4",
        forward=False,
    )
    return Page([from_item(i) for i in page.items], page.cursor)


def planned_for(tenant_id: str, customer_id: str, rep_id: str) -> list[Visit]:
    """The customer's visits that rep has planned and not yet made (a hand-over moves them with the customer)."""
    found = VisitItem.by_customer.query(
        keys.customer_visits_pk(tenant_id, customer_id),
        filter_condition=(VisitItem.state == "planned") & (VisitItem.rep_id == rep_id),
    )
    return [from_item(i) for i in found]


def all_in_month(tenant_id: str, month: str, org_path: str) -> Iterator[Visit]:
    """Every visit of the month under the org path (reports): page after page."""
    cursor: str | None = None
    while True:
        page = list_by_month(tenant_id, month, org_path, None, 200, cursor)
        yield from page.items
        if not (cursor := page.cursor):
            return


def where(state: str | None = None, day: str | None = None, flagged: bool | None = None) -> Condition | None:
    return all_of(
        VisitItem.state == state if state else None,
        VisitItem.day == day if day else None,
        VisitItem.flagged == flagged if flagged is not None else None,
    )


# ----------------------------------------------------------------------------- offline action receipts


def get_receipt(tenant_id: str, user_id: str, action_id: str) -> VisitReceiptItem | None:
    try:
        return VisitReceiptItem.get(
            keys.visit_receipts_pk(tenant_id, user_id), f"ACT#{action_id}", consistent_read=True
        )
    except VisitReceiptItem.DoesNotExist:
        return None


def stage_receipt(
    tx: Transaction,
    tenant_id: str,
    user_id: str,
    action_id: str,
    kind: str,
    visit_id: str,
    digest: str,
    applied_at: str,
    result: dict[str, Any],
) -> None:
    """Conditional on the id being new: of two batches racing with the same action, one applies it."""
    item = VisitReceiptItem(
        keys.visit_receipts_pk(tenant_id, user_id),
        f"ACT#{action_id}",
        type=kind,
        visit_id=visit_id,
        digest=digest,
        applied_at=applied_at,
        result=result,
        expiration=int(time.time()) + RECEIPT_DAYS * 86400,
    )
    tx.put(
        item,
        condition=VisitReceiptItem.sk.does_not_exist(),
        on_fail=lambda: Conflict("This action was applied by another request just now.", code="already_applied"),
    )
