"""Customer archive import: an S3 event for each uploaded file (check, report, stage, write), or a direct
invocation that writes staged rows (an apply after a dry run, or the continuation of a long write)."""

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm import tenancy
from crm.config import get_settings
from crm.customers import importer
from crm.db.base import bind_table

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    bind_table(settings.table_name)
    importer.bind_function(context.function_name)
    bucket = settings.uploads_bucket or ""
    time_left = context.get_remaining_time_in_millis
    if event.get("action") == "write":
        logger.append_keys(tenant_id=event["tenant_id"], import_id=event["import_id"])
        with tenancy.acting_for(event["tenant_id"]):
            status = importer.write_again(bucket, event["tenant_id"], event["import_id"], time_left)
        logger.info("customer import written", extra={"status": status})
        return {"status": status}
    results = {}
    for record in event.get("Records", []):
        key = unquote_plus(record["s3"]["object"]["key"])
        logger.append_keys(s3_key=key)
        results[key] = importer.import_object(bucket, key, record["s3"]["object"].get("versionId"), time_left)
        metrics.add_metric(name="CustomerImportsChecked", unit=MetricUnit.Count, value=1)
        logger.info("customer file imported", extra={"status": results[key]})
    return {"results": results}
