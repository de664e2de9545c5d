"""Stored vouchers (计提单): their record, audit entries and the approval's end. No pyarrow here: the approval
worker applies a voucher's approval without loading the month's data."""

from crm import audit
from crm.approvals.subjects import Outcome, Subject
from crm.db import keys
from crm.db.models import DocumentItem
from crm.db.transaction import Transaction
from crm.rebates import documents
from crm.rebates.documents import Listing
from crm.rebates.model import Voucher

KIND = "voucher"


class VoucherSubject(Subject):
    """A pending voucher ends as its approval did; a reversed one is left (its month reopened meanwhile)."""

    def approved(self, outcome: Outcome) -> None:
        _decided(outcome, "approved")

    def rejected(self, outcome: Outcome) -> None:
        _decided(outcome, "rejected")

    def expired(self, outcome: Outcome) -> None:
        _decided(outcome, "expired")


def _decided(outcome: Outcome, status: str) -> None:
    stored = documents.get(keys.voucher_pk(outcome.tenant_id, outcome.subject_id), keys.META)
    if stored is None:
        return
    voucher = documents.body(stored, Voucher)
    if voucher.status != "pending":
        return
    decided = voucher.model_copy(update={"status": status})
    tx = Transaction()
    tx.put(item(outcome.tenant_id, decided, stored.version))
    stage_audit(tx, outcome.tenant_id, decided, f"voucher.{status}", outcome.by, "pending", outcome.comment)
    tx.commit()


def item(tenant_id: str, voucher: Voucher, read_version: int | None) -> DocumentItem:
    vid = voucher.id or ""
    return documents.document(
        tenant_id,
        keys.voucher_pk(tenant_id, vid),
        keys.META,
        KIND,
        voucher,
        by1=Listing(keys.vouchers_of_month_pk(tenant_id, voucher.period), f"{voucher.customer_id}#{vid}"),
        by2=Listing(keys.vouchers_of_customer_pk(tenant_id, voucher.customer_id), f"{voucher.period}#{vid}"),
        version=read_version,
    )


def stage_audit(
    tx: Transaction,
    tenant_id: str,
    voucher: Voucher,
    action: str,
    by: str,
    before: str | None,
    reason: str | None = None,
) -> None:
    changes = {
        "status": {"before": before, "after": voucher.status},
        "net": {"before": None, "after": str(voucher.net)},
    }
    audit.stage(tx, keys.voucher_pk(tenant_id, voucher.id or ""), tenant_id, action, by, changes, reason)
