"""Approval worker: the state machine's hands (open a step, remind, escalate, finish, record a failure) and
the scheduled reconciler's pass. The composition root of the approval engine: it wires each kind to the
package that knows what an approval's end does to it; the engine itself imports no domain."""

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm import tenancy
from crm.approvals import service
from crm.approvals.model import Kind
from crm.approvals.subjects import Registry
from crm.config import get_settings
from crm.customers.approvals import ActivationSubject, LevelChangeSubject
from crm.db.base import bind_table
from crm.inventory.adjustments import AdjustmentSubject
from crm.orders.approval import OrderSubject, ReturnSubject
from crm.rebates.agreements import AgreementSubject
from crm.rebates.cases import CaseSubject
from crm.rebates.ledger import VoucherSubject

logger = Logger()
metrics = Metrics()


@cache
def subjects() -> Registry:
    """Every kind's Subject; a kind left out fails here, at the first run's end, not silently."""
    return Registry(
        {
            Kind.ORDER: OrderSubject(),
            Kind.RETURN: ReturnSubject(),
            Kind.CUSTOMER_ACTIVATION: ActivationSubject(),
            Kind.LEVEL_CHANGE: LevelChangeSubject(),
            Kind.INVENTORY_ADJUSTMENT: AdjustmentSubject(),
            Kind.AGREEMENT: AgreementSubject(),
            Kind.ACCRUAL: VoucherSubject(),
            Kind.DIVERSION_PENALTY: CaseSubject(),
        }
    )


def _count(name: str, value: float = 1) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    action = event.get("action")
    if action == "reconcile":  # the schedule's input
        counts = service.reconcile(int(event.get("grace_seconds", 60)))
        _count("ApprovalRunsRepaired", counts["repaired"])
        _count("ApprovalRunsStuck", counts["stuck"])
        logger.info("reconciled approval runs", extra=counts)
        return counts
    tenant_id, approval_id = event["tenant_id"], event["approval_id"]
    logger.append_keys(tenant_id=tenant_id, approval_id=approval_id, action=action)
    with tenancy.acting_for(tenant_id):
        return _step(action, tenant_id, approval_id, event)


def _step(action: str | None, tenant_id: str, approval_id: str, event: dict[str, Any]) -> dict[str, Any]:
    if action == "open":
        return service.open_step(tenant_id, approval_id, event["token"])
    if action == "remind":
        _count("ApprovalReminders")
        return service.remind(tenant_id, approval_id, event["token"])
    if action == "escalate":
        _count("ApprovalEscalations")
        return service.escalate(tenant_id, approval_id)
    if action == "finish":
        result = service.finish(tenant_id, approval_id, subjects())
        _count(f"Approvals{result['outcome'].title()}")
        return result
    if action == "failed":
        _count("ApprovalRunsFailed")
        return service.record_failure(tenant_id, approval_id, event.get("error") or {})
    raise ValueError(f"unknown action {action!r}")
