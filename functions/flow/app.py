"""Distributor flow (流向) API: upload links, load status, error reports."""

from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.api import http
from crm.config import get_settings
from crm.db.base import bind_table
from crm.flow.model import Load, LoadPage, ReportLink, UploadRequest, UploadTicket
from crm.flow.service import FlowService
from crm.ids import ULID_PATTERN

logger = Logger()
metrics = Metrics()
app = http.make_resolver()

LoadId = Annotated[str, Path(pattern=ULID_PATTERN, description="Load id (ULID)")]


def flow() -> FlowService:
    return FlowService(http.principal(app), get_settings().uploads_bucket or "")


@app.post("/flow-uploads", tags=["flow"], summary="A presigned URL to PUT one flow file for a period",
          responses=http.documented(201, UploadTicket, 404))
def request_upload(body: Annotated[UploadRequest, Body()]) -> Response[UploadTicket]:
    return http.reply(flow().request_upload(body), 201)


@app.get("/flow-loads", tags=["flow"], summary="Loads, newest first; office users name a distributor",
         responses=http.documented(200, LoadPage, 404))
def list_loads(limit: http.Limit = 50, cursor: http.Cursor = None,
               distributor_id: Annotated[str | None, Query(pattern=ULID_PATTERN)] = None) -> LoadPage:
    page = flow().list(distributor_id, limit, cursor)
    return LoadPage(items=page.items, next_cursor=page.cursor)


@app.get("/flow-loads/<load_id>", tags=["flow"], summary="One load: status and summary",
         responses=http.documented(200, Load, 404))
def get_load(load_id: LoadId) -> Response[Load]:
    load = flow().get(load_id)
    return http.reply(load, version=load.version)


@app.get("/flow-loads/<load_id>/errors", tags=["flow"], summary="A link to the rejected rows, as CSV or XLSX",
         responses=http.documented(200, ReportLink, 404))
def error_report(load_id: LoadId, format: Annotated[Literal["csv", "xlsx"], Query()] = "csv") -> ReportLink:
    return flow().error_report(load_id, format)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    return app.resolve(event, context)
