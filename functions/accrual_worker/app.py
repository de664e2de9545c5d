"""Accrual worker: the hands of AccrualStateMachine. `accrue` freezes a closed month's vouchers (and sends each
for approval), `reverse` reverses a reopened month's, `fail` records why a run stopped."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm import tenancy
from crm.config import get_settings
from crm.db.base import bind_table
from crm.rebates import runs, vouchers

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    tenant_id, period, round_, action = event["tenant_id"], event["period"], int(event["round"]), event["action"]
    logger.append_keys(tenant_id=tenant_id, period=period, round=round_, action=action)
    with tenancy.acting_for(tenant_id):
        if event.get("failed"):
            cause = str(event.get("error", {}).get("Cause", "unknown error"))[:500]
            runs.finish(tenant_id, period, round_, action, error=cause)
            return {**event, "status": "failed"}
        if action == "accrue":
            count = vouchers.accrue(get_settings().analytics_bucket or "", tenant_id, period, round_)
        else:
            runs.wait_for_accrual(tenant_id, period, round_)  # AccrualStillRunning: the state machine retries
            count = vouchers.reverse(tenant_id, period, round_)
        runs.finish(tenant_id, period, round_, action, vouchers=count)
    metrics.add_metric(
        name="VouchersAccrued" if action == "accrue" else "VouchersReversed", unit=MetricUnit.Count, value=count
    )
    return {**event, "status": "done", "vouchers": count}
