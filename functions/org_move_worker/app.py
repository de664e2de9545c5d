"""Org move worker: one step of a move per invocation, looped by OrgMoveStateMachine until done."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm import tenancy
from crm.config import get_settings
from crm.db.base import bind_table
from crm.org.moves import move_step, record_failure

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    tenant_id, move_id = event["tenant_id"], event["move_id"]
    logger.append_keys(tenant_id=tenant_id, move_id=move_id)
    with tenancy.acting_for(tenant_id):
        if event.get("action") == "fail":
            record_failure(tenant_id, move_id, str(event.get("error", {}).get("Cause", "unknown error")))
            return {"tenant_id": tenant_id, "move_id": move_id, "next": "done"}
        result = move_step(tenant_id, move_id)
    metrics.add_metric(name="RecordsRescoped", unit=MetricUnit.Count, value=result["moved"])
    return result
