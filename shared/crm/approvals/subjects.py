"""What an approval's outcome does to its subject. Imported lazily: orders and customers call into
approvals when they submit, and approvals calls back here when a run ends."""

from typing import Any

from crm.approvals.model import Kind


def approved(kind: Kind, tenant_id: str, subject_id: str, by: str, comment: str | None,
             payload: dict[str, Any] | None) -> None:
    if kind is Kind.ORDER:
        from crm.orders.service import OrderService

        OrderService.mark_approved(tenant_id, subject_id, by, comment)
    elif kind is Kind.RETURN:
        from crm.orders.returns import ReturnService

        ReturnService.mark_approved(tenant_id, subject_id, by, comment)
    elif kind is Kind.INVENTORY_ADJUSTMENT:
        from crm.inventory import adjustments

        adjustments.decided(tenant_id, subject_id, "approved", by, comment)
    else:
        from crm.customers.approvals import apply_approved

        apply_approved(kind.value, tenant_id, subject_id, by, comment, payload)


def rejected(kind: Kind, tenant_id: str, subject_id: str, by: str, comment: str | None,
             payload: dict[str, Any] | None) -> None:
    if kind is Kind.ORDER:
        from crm.orders.service import OrderService

        OrderService.mark_rejected(tenant_id, subject_id, by, comment)
    elif kind is Kind.RETURN:
        from crm.orders.returns import ReturnService

        ReturnService.mark_rejected(tenant_id, subject_id, by, comment)
    elif kind is Kind.INVENTORY_ADJUSTMENT:
        from crm.inventory import adjustments

        adjustments.decided(tenant_id, subject_id, "rejected", by, comment)
    else:
        from crm.customers.approvals import apply_rejected

        apply_rejected(kind.value, tenant_id, subject_id, by, comment, payload)
