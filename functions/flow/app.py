"""Distributor files API: upload links for every kind of file (flow 流向, sell-out, stock, opening balances,
our shipments), load status, error reports, mapping templates per kind, the buyer-name review queue."""

import json
from typing import Annotated, Any, Literal
from urllib.parse import unquote

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.api import http
from crm.config import get_settings
from crm.db.base import bind_table
from crm.flow.aliases import FlowAliasPage
from crm.flow.keys import SHIPMENTS_PARTY
from crm.flow.mappings import BuiltinHeaders, StoredMapping
from crm.flow.model import Load, LoadPage, MappingRequest, ReportLink, ReviewDecision, UploadRequest, UploadTicket
from crm.flow.reviews import Review, ReviewPage
from crm.flow.service import FlowService
from crm.ids import ULID_PATTERN
from crm.ingest.mapping import FileKind, MappingTemplate

logger = Logger()
metrics = Metrics()
app = http.make_resolver()

DistributorId = Annotated[str, Path(pattern=ULID_PATTERN, description="The distributor's customer id")]
LoadId = Annotated[str, Path(pattern=ULID_PATTERN, description="Load id (ULID)")]
Kind = Annotated[FileKind, Query(description="The kind of file")]


def flow() -> FlowService:
    return FlowService(http.principal(app), get_settings().uploads_bucket or "")


@app.post(
    "/flow-uploads",
    tags=["flow"],
    summary="An upload form (presigned POST) for one file (flow, stock, ...) for a period",
    description="The reply's `url` and `fields` make a multipart/form-data POST: send every field unchanged, "
    "then the file as `file` (last). The form's policy binds the key, the Content-Type and the size (at most "
    "`max_bytes`): S3 refuses anything else. Sending the form again stores a new version of the file, which "
    "is imported as a load of its own (its `upload_id` is this ticket's `load_id`).",
    responses=http.documented(201, UploadTicket, 404, 409),
)
def request_upload(body: Annotated[UploadRequest, Body()]) -> Response[UploadTicket]:
    return http.reply(flow().request_upload(body), 201)


@app.get(
    "/flow-loads",
    tags=["flow"],
    summary="Loads, newest first: of one distributor, or of every one in the caller's scope",
    responses=http.documented(200, LoadPage, 400, 404),
)
def list_loads(
    limit: http.Limit = 50,
    cursor: http.Cursor = None,
    distributor_id: Annotated[str | None, Query(pattern=f"{ULID_PATTERN}|^{SHIPMENTS_PARTY}$")] = None,
    kind: Annotated[FileKind | None, Query(description="Only loads of this kind of file")] = None,
) -> LoadPage:
    page = flow().list(distributor_id, limit, cursor, kind)
    return LoadPage(items=page.items, next_cursor=page.cursor)


@app.get(
    "/flow-loads/<load_id>",
    tags=["flow"],
    summary="One load: status and summary",
    responses=http.documented(200, Load, 404, etag=True),
)
def get_load(load_id: LoadId) -> Response[Load]:
    load = flow().get(load_id)
    return http.reply(load, version=load.version)


@app.get(
    "/flow-loads/<load_id>/errors",
    tags=["flow"],
    summary="A link to the rejected rows, as CSV or XLSX",
    responses=http.documented(200, ReportLink, 404),
)
def error_report(load_id: LoadId, format: Annotated[Literal["csv", "xlsx"], Query()] = "csv") -> ReportLink:
    return flow().error_report(load_id, format)


@app.post(
    "/flow-mappings",
    tags=["flow mapping"],
    summary="Create a distributor's mapping template",
    description="`template.version` is the server's: it is stamped on save (`<distributor>-v1`, then v2...) "
    "and recorded on every imported line. Omit it; a create that sends one is a 409 (there is no revision to "
    "edit yet).",
    responses=http.documented(
        201, StoredMapping, 404, 409, etag=True, location="/flow-mappings/{distributor_id}?kind={kind}"
    ),
)
def create_mapping(body: Annotated[MappingRequest, Body()]) -> Response[StoredMapping]:
    stored = flow().save_mapping(body.distributor_id, body.kind, body.template, None)
    location = f"/flow-mappings/{stored.distributor_id}?kind={stored.kind}"
    return http.reply(stored, 201, stored.version, {"Location": location})


@app.get(
    "/flow-mappings/builtin",
    tags=["flow mapping"],
    summary="The headers a file of this kind is read with when its distributor has no template",
    description="Compare a file's header row with these before uploading: if every column it needs is here, "
    "no template is needed.",
    responses=http.documented(200, BuiltinHeaders),
)
def builtin_headers(kind: Kind = FileKind.FLOW) -> BuiltinHeaders:
    return flow().builtin_headers(kind)


@app.get(
    "/flow-mappings/<distributor_id>",
    tags=["flow mapping"],
    summary="A distributor's mapping template",
    responses=http.documented(200, StoredMapping, 404, etag=True),
)
def get_mapping(distributor_id: DistributorId, kind: Kind = FileKind.FLOW) -> Response[StoredMapping]:
    stored = flow().mapping(distributor_id, kind)
    return http.reply(stored, version=stored.version)


@app.put(
    "/flow-mappings/<distributor_id>",
    tags=["flow mapping"],
    summary="Replace a mapping template (If-Match)",
    description="The server stamps the next `template.version`. Omit it, or send the one you read: any other "
    "is a 412, like a stale If-Match.",
    responses=http.documented(200, StoredMapping, 404, 412, 428, etag=True),
)
def replace_mapping(
    distributor_id: DistributorId,
    body: Annotated[MappingTemplate, Body()],
    if_match: http.IfMatch = None,
    kind: Kind = FileKind.FLOW,
) -> Response[StoredMapping]:
    stored = flow().save_mapping(distributor_id, kind, body, http.required_version(if_match))
    return http.reply(stored, version=stored.version)


@app.get(
    "/flow-reviews",
    tags=["flow review"],
    summary="Buyer names waiting for a person, with candidates: of one distributor, or of every one in the "
    "caller's scope",
    responses=http.documented(200, ReviewPage, 400, 404),
)
def list_reviews(
    limit: http.Limit = 50,
    cursor: http.Cursor = None,
    distributor_id: Annotated[str | None, Query(pattern=ULID_PATTERN)] = None,
) -> ReviewPage:
    page = flow().open_reviews(distributor_id, limit, cursor)
    return ReviewPage(items=page.items, next_cursor=page.cursor)


@app.post(
    "/flow-reviews/<review_id>/decision",
    tags=["flow review"],
    summary="Say which customer a name means (it becomes an alias), or create a prospect terminal",
    responses=http.documented(200, Review, 404, 409),
)
def decide_review(
    review_id: Annotated[str, Path(pattern=ULID_PATTERN)], body: Annotated[ReviewDecision, Body()]
) -> Review:
    return flow().decide(review_id, body, _reattribute)


@app.get(
    "/flow-aliases/<distributor_id>",
    tags=["flow review"],
    summary="Buyer names confirmed for this distributor's files, and the customer each means",
    responses=http.documented(200, FlowAliasPage, 404),
)
def list_aliases(distributor_id: DistributorId, limit: http.Limit = 50, cursor: http.Cursor = None) -> FlowAliasPage:
    page = flow().list_aliases(distributor_id, limit, cursor)
    return FlowAliasPage(items=page.items, next_cursor=page.cursor)


@app.delete(
    "/flow-aliases/<distributor_id>/<name>",
    tags=["flow review"],
    summary="Undo a wrong confirmation (If-Match: the alias's version): the name goes back to review",
    responses=http.documented(204, None, 404, 412, 428),
)
def delete_alias(
    distributor_id: DistributorId,
    name: Annotated[
        str, Path(min_length=1, max_length=600, description="The buyer name (as written or normalised), URL-encoded")
    ],
    if_match: http.IfMatch = None,
) -> Response[None]:
    flow().delete_alias(distributor_id, unquote(name), http.required_version(if_match), _reattribute)
    return Response(status_code=204)


def _reattribute(request: dict[str, Any]) -> None:
    """Rewriting Parquet needs pyarrow, which API functions never load: the import function does it."""
    from crm import aws  # only a review decision needs it

    aws.client("lambda").invoke(
        FunctionName=get_settings().flow_import_function or "",
        InvocationType="Event",
        Payload=json.dumps(request).encode(),
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    return app.resolve(event, context)
