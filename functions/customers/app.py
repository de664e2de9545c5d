"""Customer archive API (客户档案) and hand-over: parse, call the service, shape the reply.

No Powertools Tracer here: the X-Ray SDK adds ~0.2 s to every cold start of an API function;
the template's active tracing still traces each request through API Gateway and Lambda.
"""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm import clock
from crm.api import http
from crm.api.docs import example
from crm.approvals.model import Approval
from crm.auth import require
from crm.config import get_settings
from crm.customers import approvals as customer_approvals
from crm.customers import imports
from crm.customers.imports import ApplyRequest, CustomerImport, ImportRequest, ImportTicket
from crm.customers.model import (
    ActivationRequest,
    Customer,
    CustomerCreate,
    CustomerFlow,
    CustomerPage,
    CustomerPatch,
    Filters,
    HistoryPage,
    LevelChange,
    LevelHistory,
    LevelOnDate,
    VoidRequest,
)
from crm.customers.service import CustomerService
from crm.db.base import bind_table
from crm.handover.model import Handover, HandoverRequest
from crm.handover.service import HandoverService
from crm.ids import ULID_PATTERN

logger = Logger()
metrics = Metrics()
app = http.make_resolver()

CustomerIdPath = Annotated[str, Path(pattern=ULID_PATTERN, description="Customer id (ULID)")]
SkipDuplicateCheck = Annotated[
    str | None, Header(alias="X-Skip-Duplicate-Check", description="true: create despite a duplicate name")
]


NEW_CUSTOMER = {
    "pharmacy": example(
        "A pharmacy with an alias and a level",
        {
            "name": "苏州市姑苏区仁和药店",
            "profile": {"type": "terminal", "kind": "pharmacy"},
            "region": {"province": "江苏", "city": "苏州"},
            "aliases": ["仁和药店(姑苏)"],
            "level": "B",
        },
    )
}


def customers() -> CustomerService:
    return CustomerService(http.principal(app))


@app.post(
    "/customers",
    tags=["customers"],
    summary="Create a customer; duplicate names are caught",
    responses=http.documented(201, Customer, 409, etag=True, location="/customers/{customer_id}"),
)
def create_customer(
    body: Annotated[CustomerCreate, Body(openapi_examples=NEW_CUSTOMER)],
    idempotency_key: http.IdempotencyKey = None,
    skip_duplicate_check: SkipDuplicateCheck = None,
) -> Response[Customer]:
    service = customers()

    def run() -> Response[Any]:
        created = service.create(body, skip_duplicate_check=http.flag(skip_duplicate_check))
        metrics.add_metric(name="CustomersCreated", unit=MetricUnit.Count, value=1)
        return http.reply(created, 201, created.version, {"Location": f"/customers/{created.id}"})

    payload = body.model_dump(mode="json")
    return http.replayable(service.p, "create_customer", idempotency_key, payload, run, app.lambda_context)


SEARCH_HELP = "The start of a name, an alias, the name after its place (同仁 finds 杭州市西湖区同仁药店), the ERP code"


@app.get(
    "/customers",
    tags=["customers"],
    summary="List customers in your scope, with filters",
    responses=http.documented(200, CustomerPage),
)
def list_customers(
    limit: http.Limit = 50,
    cursor: http.Cursor = None,
    owner_id: Annotated[str | None, Query(max_length=64)] = None,
    org_unit_id: Annotated[str | None, Query(max_length=64)] = None,
    type: Annotated[str | None, Query(pattern="^(distributor|terminal|person|other)$")] = None,
    status: Annotated[str | None, Query(pattern="^(prospect|opportunity|active|lost|stopped|closed)$")] = None,
    level: Annotated[str | None, Query(pattern="^[ABCD]$")] = None,
    city: Annotated[str | None, Query(max_length=50)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description=SEARCH_HELP)] = None,
    include_voided: Annotated[bool, Query()] = False,
) -> CustomerPage:
    filters = Filters(owner_id, org_unit_id, type, status, level, city, q, include_voided)
    page = customers().list(filters, limit, cursor)
    return CustomerPage(items=page.items, next_cursor=page.cursor)


@app.get(
    "/customers/<customer_id>",
    tags=["customers"],
    summary="Read one customer",
    responses=http.documented(200, Customer, 404, etag=True),
)
def get_customer(customer_id: CustomerIdPath) -> Response[Customer]:
    customer = customers().get(customer_id)
    return http.reply(customer, version=customer.version)


@app.patch(
    "/customers/<customer_id>",
    tags=["customers"],
    summary="Change fields (If-Match required)",
    responses=http.documented(200, Customer, 404, 409, 412, 428, etag=True),
)
def update_customer(
    customer_id: CustomerIdPath,
    body: Annotated[CustomerPatch, Body()],
    if_match: http.IfMatch = None,
    skip_duplicate_check: SkipDuplicateCheck = None,
) -> Response[Customer]:
    version = http.required_version(if_match)
    updated = customers().update(customer_id, version, body, http.flag(skip_duplicate_check))
    return http.reply(updated, version=updated.version)


@app.post(
    "/customers/<customer_id>/void",
    tags=["customers"],
    summary="Void a customer (If-Match required)",
    responses=http.documented(200, Customer, 404, 409, 412, 428, etag=True),
)
def void_customer(
    customer_id: CustomerIdPath, body: Annotated[VoidRequest, Body()], if_match: http.IfMatch = None
) -> Response[Customer]:
    voided = customers().void(customer_id, http.required_version(if_match), body.reason)
    return http.reply(voided, version=voided.version)


@app.post(
    "/customers/<customer_id>/restore",
    tags=["customers"],
    summary="Restore a voided customer (If-Match required)",
    responses=http.documented(200, Customer, 404, 409, 412, 428, etag=True),
)
def restore_customer(
    customer_id: CustomerIdPath, body: Annotated[VoidRequest, Body()], if_match: http.IfMatch = None
) -> Response[Customer]:
    restored = customers().restore(customer_id, http.required_version(if_match), body.reason)
    return http.reply(restored, version=restored.version)


@app.get(
    "/customers/<customer_id>/history",
    tags=["customers"],
    summary="Every change: who, when, before/after",
    responses=http.documented(200, HistoryPage, 404),
)
def customer_history(customer_id: CustomerIdPath, limit: http.Limit = 50, cursor: http.Cursor = None) -> HistoryPage:
    page = customers().history(customer_id, limit, cursor)
    return HistoryPage(items=page.items, next_cursor=page.cursor)


@app.get(
    "/customers/<customer_id>/levels",
    tags=["levels"],
    summary="Level history, newest effective first",
    responses=http.documented(200, LevelHistory, 404),
)
def customer_levels(customer_id: CustomerIdPath, limit: http.Limit = 50, cursor: http.Cursor = None) -> LevelHistory:
    page = customers().levels(customer_id, limit, cursor)
    return LevelHistory(items=page.items, next_cursor=page.cursor)


@app.post(
    "/customers/<customer_id>/levels",
    tags=["levels"],
    summary="Change the level from a date, with a reason",
    responses=http.documented(201, Customer, 404, 409, 412, etag=True),
)
def change_level(
    customer_id: CustomerIdPath, body: Annotated[LevelChange, Body()], if_match: http.IfMatch = None
) -> Response[Customer]:
    updated = customers().change_level(customer_id, body, http.optional_version(if_match))
    return http.reply(updated, 201, updated.version)


@app.get(
    "/customers/<customer_id>/level",
    tags=["levels"],
    summary="The level in force on a date",
    responses=http.documented(200, LevelOnDate, 404),
)
def level_on(
    customer_id: CustomerIdPath, on: Annotated[clock.IsoDate | None, Query(description="Default: today")] = None
) -> LevelOnDate:
    return customers().level_on(customer_id, on or clock.today())


@app.get(
    "/customers/<customer_id>/flow",
    tags=["customers"],
    summary="What distributors sold to this customer in a month",
    responses=http.documented(200, CustomerFlow, 404),
)
def customer_flow(
    customer_id: CustomerIdPath, period: Annotated[str, Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$")]
) -> CustomerFlow:
    return customers().flow(customer_id, period)


@app.get(
    "/customers/<customer_id>/downstream",
    tags=["customers"],
    summary="Customers this one supplies",
    responses=http.documented(200, CustomerPage, 404),
)
def downstream(customer_id: CustomerIdPath, limit: http.Limit = 50, cursor: http.Cursor = None) -> CustomerPage:
    page = customers().downstream(customer_id, limit, cursor)
    return CustomerPage(items=page.items, next_cursor=page.cursor)


@app.post(
    "/customers/<customer_id>/activation-requests",
    tags=["customers"],
    summary="Ask for a prospect to become active; approved through the approval flow",
    responses=http.documented(202, Approval, 404, 409, etag=True, location="/approvals/{approval_id}"),
)
def request_activation(customer_id: CustomerIdPath, body: Annotated[ActivationRequest, Body()]) -> Response[Approval]:
    approval = customer_approvals.request_activation(http.principal(app), customer_id, body.comment)
    return http.reply(approval, 202, approval.version, {"Location": f"/approvals/{approval.id}"})


@app.post(
    "/customers/<customer_id>/level-requests",
    tags=["customers"],
    summary="Ask for a level change; it takes effect when the approval flow approves it",
    responses=http.documented(202, Approval, 404, 409, etag=True, location="/approvals/{approval_id}"),
)
def request_level_change(customer_id: CustomerIdPath, body: Annotated[LevelChange, Body()]) -> Response[Approval]:
    approval = customer_approvals.request_level_change(http.principal(app), customer_id, body)
    return http.reply(approval, 202, approval.version, {"Location": f"/approvals/{approval.id}"})


@app.post(
    "/handovers",
    tags=["hand-over"],
    summary="Move all of a leaving rep's customers to another rep",
    responses=http.documented(202, Handover, 409, etag=True, location="/handovers/{handover_id}"),
)
def start_handover(
    body: Annotated[HandoverRequest, Body()], idempotency_key: http.IdempotencyKey = None
) -> Response[Handover]:
    service = HandoverService(http.principal(app), get_settings().handover_state_machine_arn)

    def run() -> Response[Any]:
        job = service.start(body)
        return http.reply(job, 202, job.version, {"Location": f"/handovers/{job.id}"})

    return http.replayable(
        service.p, "start_handover", idempotency_key, body.model_dump(mode="json"), run, app.lambda_context
    )


@app.get(
    "/handovers/<handover_id>",
    tags=["hand-over"],
    summary="How far a hand-over got",
    responses=http.documented(200, Handover, 404, etag=True),
)
def get_handover(handover_id: Annotated[str, Path(pattern=ULID_PATTERN)]) -> Response[Handover]:
    job = HandoverService(http.principal(app), get_settings().handover_state_machine_arn).get(handover_id)
    return http.reply(job, version=job.version)


# ---------------------------------------------------------------------- file imports (crm.customers.imports)

ImportIdPath = Annotated[str, Path(pattern=ULID_PATTERN, description="The import's id")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@app.post(
    "/customer-imports",
    tags=["customer import"],
    operation_id="requestCustomerImport",
    summary="An upload form (presigned POST) for a customer archive file (CSV in UTF-8 or GBK, or XLSX); "
    "dry_run checks and reports without writing; mode says all or nothing or the good rows",
    responses=http.documented(201, ImportTicket, location="/customer-imports/{import_id}"),
)
def request_customer_import(body: Annotated[ImportRequest, Body()]) -> Response[ImportTicket]:
    ticket = imports.request_import(http.principal(app), body, get_settings().uploads_bucket or "")
    return http.reply(ticket, 201, headers={"Location": f"/customer-imports/{ticket.import_id}"})


def _template_doc() -> dict[int, Any]:
    docs = http.documented(200, None)
    docs[200] = {
        "description": "The template, as XLSX or CSV (UTF-8 with BOM)",
        "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in (XLSX, "text/csv")},
        "headers": {
            "Content-Disposition": {
                "description": "attachment, with the file's name",
                "required": True,
                "schema": {"type": "string", "pattern": "^attachment; filename="},
            }
        },
    }
    return docs


@app.get(
    "/customer-imports/template",
    tags=["customer import"],
    operation_id="getCustomerImportTemplate",
    summary="The file template: Chinese and English headers the import reads, an example row (XLSX or CSV)",
    description="A binary download (XLSX: send Accept with its media type, as for /plans/template.xlsx).",
    responses=_template_doc(),
)
def customer_import_template(format: Annotated[str, Query(pattern="^(xlsx|csv)$")] = "xlsx"):
    from crm.customers import import_columns

    require(http.principal(app), "customer:import")
    if format == "csv":
        body, content_type = import_columns.template_csv(), "text/csv; charset=utf-8"
    else:
        body, content_type = import_columns.template_xlsx(), XLSX
    return Response(
        status_code=200,
        content_type=content_type,
        body=body,
        headers={"Content-Disposition": f'attachment; filename="customer-import-template.{format}"'},
    )


@app.get(
    "/customer-imports/<import_id>",
    tags=["customer import"],
    operation_id="getCustomerImport",
    summary="An import's status, counts, mode and what was done, with links to its error report",
    responses=http.documented(200, CustomerImport, 404, etag=True),
)
def get_customer_import(import_id: ImportIdPath) -> Response[CustomerImport]:
    found = imports.read_import(http.principal(app), import_id, get_settings().uploads_bucket or "")
    return http.reply(found, version=found.version)


@app.post(
    "/customer-imports/<import_id>/apply",
    tags=["customer import"],
    operation_id="applyCustomerImport",
    summary="Writes a dry run's rows (no second upload), or goes on with an interrupted import",
    responses=http.documented(202, CustomerImport, 404, 409),
)
def apply_customer_import(import_id: ImportIdPath, body: Annotated[ApplyRequest, Body()]) -> Response[CustomerImport]:
    settings = get_settings()
    applied = imports.apply_import(
        http.principal(app), import_id, body, settings.uploads_bucket or "", settings.customer_import_function or ""
    )
    return http.reply(applied, 202)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    return app.resolve(event, context)
