"""Order plans API (订货计划): plans per org unit and month, template imports, plan vs actual reports.

Parse, call the service, shape the reply. No pyarrow here: template files are read by the import
function; openpyxl is loaded only by the two XLSX routes (crm.plans.export).
"""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.api import http
from crm.config import get_settings
from crm.db.base import bind_table
from crm.ids import ULID_PATTERN
from crm.plans.model import (
    MONTH_PATTERN,
    UNIT_PATTERN,
    GroupBy,
    ImportTicket,
    Plan,
    PlanBody,
    PlanImport,
    PlanImportRequest,
    PlanList,
    PlanReport,
)
from crm.plans.report import build_report
from crm.plans.service import PlanService

logger = Logger()
metrics = Metrics()
app = http.make_resolver()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MonthQuery = Annotated[str, Query(pattern=MONTH_PATTERN, description="yyyy-mm")]
UnitQuery = Annotated[str | None, Query(pattern=UNIT_PATTERN, description="Limit to this org unit's subtree")]
GroupQuery = Annotated[GroupBy, Query(description="Rows per product, customer or org unit")]


def _xlsx_doc(description: str, *problems: int) -> dict[int, Any]:
    docs = http.documented(200, None, *problems)
    docs[200] = {
        "description": description,
        "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
        "headers": {
            "Content-Disposition": {
                "description": "attachment, with the file's name",
                "required": True,
                "schema": {"type": "string", "pattern": "^attachment; filename="},
            }
        },
    }
    return docs


def _xlsx(data: bytes, file_name: str) -> Response[Any]:
    """Bytes are sent base64-encoded (isBase64Encoded); API Gateway turns them back into the file
    because the Api lists this media type in BinaryMediaTypes (send Accept: <this type>)."""
    return Response(
        status_code=200,
        content_type=XLSX,
        body=data,
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )


def plans() -> PlanService:
    return PlanService(http.principal(app))


@app.get(
    "/plans",
    tags=["plans"],
    summary="The month's plans in your scope (one per org unit)",
    responses=http.documented(200, PlanList),
)
def list_plans(month: MonthQuery) -> PlanList:
    return plans().list(month)


@app.get(
    "/plans/template.xlsx",
    tags=["plans"],
    summary="The blank plan template (商品编码/SKU, 客户编码, 数量)",
    description="A binary download. In AWS, API Gateway returns the file itself only when the request's "
    "`Accept` header names the XLSX media type "
    "(application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, one of the Api's "
    "BinaryMediaTypes); otherwise the body comes back base64-encoded.",
    responses=_xlsx_doc("The template, as XLSX"),
)
def plan_template():  # no return type: Powertools would serialise the bytes
    return _xlsx(plans().template(), "plan-template.xlsx")


@app.get(
    "/plans/report",
    tags=["plan reports"],
    summary="Plan vs actual for a month, by product, customer or org unit, in your scope",
    responses=http.documented(200, PlanReport, 404),
)
def plan_report(month: MonthQuery, group_by: GroupQuery, org_unit_id: UnitQuery = None) -> PlanReport:
    return build_report(http.principal(app), month, group_by, org_unit_id)


@app.get(
    "/plans/report.xlsx",
    tags=["plan reports"],
    summary="The plan vs actual report as an XLSX download",
    description="A binary download. In AWS, API Gateway returns the file itself only when the request's "
    "`Accept` header names the XLSX media type "
    "(application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, one of the Api's "
    "BinaryMediaTypes); otherwise the body comes back base64-encoded.",
    responses=_xlsx_doc("The report, as XLSX", 404),
)
def plan_report_xlsx(
    month: MonthQuery,
    group_by: GroupQuery,  # no return type: bytes, as above
    org_unit_id: UnitQuery = None,
):
    from crm.plans.export import report_xlsx

    report = build_report(http.principal(app), month, group_by, org_unit_id)
    return _xlsx(report_xlsx(report), f"plan-vs-actual-{month}-{group_by.value}.xlsx")


@app.get(
    "/plans/<org_unit_id>/<month>",
    tags=["plans"],
    summary="One org unit's plan for a month (version 0 and no lines when none was set)",
    responses=http.documented(200, Plan, 404, etag=True),
)
def get_plan(
    org_unit_id: Annotated[str, Path(pattern=UNIT_PATTERN)], month: Annotated[str, Path(pattern=MONTH_PATTERN)]
) -> Response[Plan]:
    plan = plans().get(org_unit_id, month)
    return http.reply(plan, version=plan.version)


@app.put(
    "/plans/<org_unit_id>/<month>",
    tags=["plans"],
    summary='Replace the plan\'s lines (If-Match required; "0" creates the first one)',
    responses=http.documented(200, Plan, 404, 409, 412, 428, etag=True),
)
def replace_plan(
    org_unit_id: Annotated[str, Path(pattern=UNIT_PATTERN)],
    month: Annotated[str, Path(pattern=MONTH_PATTERN)],
    body: Annotated[PlanBody, Body()],
    if_match: http.IfMatch = None,
) -> Response[Plan]:
    version = http.required_version(if_match)
    plan = plans().replace(org_unit_id, month, version, body)
    return http.reply(plan, version=plan.version)


@app.post(
    "/plan-imports",
    tags=["plan import"],
    operation_id="requestPlanImport",
    summary="An upload form (presigned POST) for a filled-in plan template (XLSX or CSV) for an org unit and "
    "month: send its fields, then the file as `file`",
    responses=http.documented(201, ImportTicket, 404, location="/plan-imports/{import_id}"),
)
def request_import(body: Annotated[PlanImportRequest, Body()]) -> Response[ImportTicket]:
    ticket = plans().request_import(body, get_settings().uploads_bucket or "")
    return http.reply(ticket, 201, headers={"Location": f"/plan-imports/{ticket.import_id}"})


@app.get(
    "/plan-imports/<import_id>",
    tags=["plan import"],
    operation_id="getPlanImport",
    summary="An import's status, with links to its error report",
    responses=http.documented(200, PlanImport, 404, etag=True),
)
def get_import(import_id: Annotated[str, Path(pattern=ULID_PATTERN)]) -> Response[PlanImport]:
    found = plans().get_import(import_id, get_settings().uploads_bucket or "")
    return http.reply(found, version=found.version)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    return app.resolve(event, context)
