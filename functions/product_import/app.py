"""Product master import: an S3 event for each uploaded CSV/XLSX file (crm.products.importer)."""

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.config import get_settings
from crm.db.base import bind_table
from crm.products.importer import import_object

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    bind_table(settings.table_name)
    results = {}
    for record in event.get("Records", []):
        key = unquote_plus(record["s3"]["object"]["key"])
        logger.append_keys(s3_key=key)
        results[key] = import_object(settings.uploads_bucket or "", key, record["s3"]["object"].get("versionId"))
        metrics.add_metric(name="ProductImportsFinished", unit=MetricUnit.Count, value=1)
        logger.info("product file imported", extra={"status": results[key]})
    return {"results": results}
