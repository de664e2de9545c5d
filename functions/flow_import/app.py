"""Flow import: an S3 event for each uploaded distributor file, parsed into Parquet (crm.flow.importer);
also re-attributes stored rows when a review decision names a buyer (an async invoke from the flow API)."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm import tenancy
from crm.config import get_settings
from crm.db.base import bind_table
from crm.flow.importer import Arrival, Buckets, import_object, reattribute

logger = Logger()
tracer = Tracer()
metrics = Metrics()


# UnissuedUploads: files put into the bucket under a key no upload link was issued for (refused, not read).
METRICS = {"accepted": "RowsImported", "rejected": "RowsRejected", "unissued": "UnissuedUploads"}


def _metric(name: str, value: float, distributor_id: str) -> None:
    if name == "match_rate":  # per distributor, so ops can see whose files stop matching
        with single_metric(
            name="MatchRate", unit=MetricUnit.Percent, value=value * 100, namespace=metrics.namespace
        ) as metric:
            metric.add_dimension(name="distributor", value=distributor_id)
    else:
        metrics.add_metric(name=METRICS[name], unit=MetricUnit.Count, value=value)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    bind_table(settings.table_name)
    buckets = Buckets(uploads=settings.uploads_bucket or "", analytics=settings.analytics_bucket or "")
    if event.get("action") == "reattribute":  # sent by the flow API when a review item is decided
        with tenancy.acting_for(event["tenant_id"]):
            return _reattribute(buckets, event)
    results = {}
    for record in event.get("Records", []):
        arrival = Arrival.from_record(record)
        logger.append_keys(s3_key=arrival.key, s3_version=arrival.version_id)
        results[arrival.key] = import_object(buckets, arrival, _metric)
        logger.info("flow file imported", extra={"status": results[arrival.key]})
    return {"results": results}


def _reattribute(buckets: Buckets, event: dict[str, Any]) -> dict[str, Any]:
    changed = reattribute(
        buckets,
        event["tenant_id"],
        event["load_ids"],
        event["normalized_name"],
        event["customer_id"],
        previous_customer_id=event.get("previous_customer_id"),
        distributor_id=event.get("distributor_id"),
        since=event.get("since"),
    )
    return {"reattributed_rows": changed}
