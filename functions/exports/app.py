"""Exports of any list to XLSX or CSV (导出): ask for one, see how it goes, download it. The worker writes the file."""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.api import http
from crm.api.docs import example
from crm.config import get_settings
from crm.db.base import bind_table
from crm.exports.model import Export, ExportPage, ExportRequest
from crm.exports.service import ExportService
from crm.ids import ULID_PATTERN

logger = Logger()
metrics = Metrics()
app = http.make_resolver()

ExportIdPath = Annotated[str, Path(pattern=ULID_PATTERN, description="Export id (ULID)")]

NEW_EXPORT = {
    "customers": example(
        "Active A-level customers in Hangzhou, as XLSX",
        {"list": "customers", "filters": {"status": "active", "level": "A", "city": "杭州"}, "format": "xlsx"},
    )
}


def exports() -> ExportService:
    return ExportService(http.principal(app), get_settings().export_worker_function)


@app.post(
    "/exports",
    tags=["exports"],
    summary="Export a list (with its filters) to XLSX or CSV, as a job",
    description="`filters` are the list route's query parameters (not limit or cursor), checked as that route "
    "checks them. The file holds what the list shows you. Poll the job's Location until it is done.",
    responses=http.documented(202, Export, 400, location="/exports/{export_id}"),
)
def create_export(
    body: Annotated[ExportRequest, Body(openapi_examples=NEW_EXPORT)], idempotency_key: http.IdempotencyKey = None
) -> Response[Export]:
    service = exports()

    def start() -> Response[Any]:
        job = service.create(body)
        return http.reply(job, 202, headers={"Location": f"/exports/{job.id}"})

    payload = body.model_dump(mode="json")
    return http.replayable(service.p, "create_export", idempotency_key, payload, start, app.lambda_context)


@app.get(
    "/exports",
    tags=["exports"],
    summary="Your own exports, newest first",
    responses=http.documented(200, ExportPage),
)
def list_exports(limit: http.Limit = 50, cursor: http.Cursor = None) -> ExportPage:
    return exports().mine(limit, cursor)


@app.get(
    "/exports/<export_id>",
    tags=["exports"],
    summary="One of your exports: status, rows, and once done a download link",
    responses=http.documented(200, Export, 404),
)
def get_export(export_id: ExportIdPath) -> Export:
    return exports().get(export_id, get_settings().analytics_bucket)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    return app.resolve(event, context)
