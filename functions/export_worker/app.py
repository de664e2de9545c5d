"""Export worker: writes one list export (XLSX or CSV) as the caller who asked; invoked asynchronously."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm import tenancy
from crm.config import get_settings
from crm.db.base import bind_table
from crm.exports.service import run

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    settings = get_settings()
    bind_table(settings.table_name)
    logger.append_keys(tenant_id=event["tenant_id"], export_id=event["export_id"])
    with tenancy.acting_for(event["tenant_id"]):
        run(event["tenant_id"], event["user_id"], event["export_id"], settings.analytics_bucket or "")
