"""Approval worker: the state machine's hands (open a step, remind, escalate, finish)."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.approvals import service
from crm.config import get_settings
from crm.db.base import bind_table

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    tenant_id, approval_id, action = event["tenant_id"], event["approval_id"], event["action"]
    logger.append_keys(tenant_id=tenant_id, approval_id=approval_id, action=action)
    if action == "open":
        return service.open_step(tenant_id, approval_id, event["token"])
    if action == "remind":
        metrics.add_metric(name="ApprovalReminders", unit=MetricUnit.Count, value=1)
        return service.remind(tenant_id, approval_id, event["token"])
    if action == "escalate":
        metrics.add_metric(name="ApprovalEscalations", unit=MetricUnit.Count, value=1)
        return service.escalate(tenant_id, approval_id)
    if action == "finish":
        metrics.add_metric(name=f"Approvals{event['outcome'].title()}", unit=MetricUnit.Count, value=1)
        return service.finish(tenant_id, approval_id, event["outcome"])
    raise ValueError(f"unknown action {action!r}")
