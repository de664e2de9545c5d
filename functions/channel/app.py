"""Channel analysis API: terminal sell-out (终端销货) by terminal, product and month, and diversion signals
(窜货) with their evidence rows. Reads the analytics bucket's Parquet with pyarrow, imported on the first
request (crm.channel.service), so this module's own import stays as light as every API function's."""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.api import http
from crm.channel.model import MONTH_PATTERN, CustomerSellOut, DiversionReport, GroupBy, SellOutReport
from crm.channel.service import ChannelService
from crm.config import get_settings
from crm.db.base import bind_table
from crm.ids import ULID_PATTERN
from crm.rebates.cases import CaseService
from crm.rebates.model import CaseIn, CasePage, CaseStatus, DecisionIn, DiversionCase, NoteIn

logger = Logger()
metrics = Metrics()
app = http.make_resolver()

Month = Annotated[str, Query(pattern=MONTH_PATTERN, description="yyyy-mm")]
CustomerIdQuery = Annotated[str | None, Query(pattern=ULID_PATTERN, description="Only this terminal (customer id)")]


def channel() -> ChannelService:
    return ChannelService(http.principal(app), get_settings().analytics_bucket or "")


def cases() -> CaseService:
    return CaseService(http.principal(app), get_settings().analytics_bucket or "")


CaseIdPath = Annotated[str, Path(pattern=ULID_PATTERN)]


@app.get(
    "/sellout",
    tags=["channel"],
    summary="Terminal sell-out of a month by terminal, product or both (base units, rows, who reported it)",
    responses=http.documented(200, SellOutReport, 404),
)
def sellout(
    period: Month,
    terminal_id: CustomerIdQuery = None,
    sku: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    group_by: Annotated[GroupBy, Query(description="What one row sums")] = "terminal_product",
    limit: http.Limit = 50,
    cursor: http.Cursor = None,
) -> SellOutReport:
    return channel().sellout(period, terminal_id, sku, group_by, limit, cursor)


@app.get(
    "/customers/<customer_id>/sellout",
    tags=["channel"],
    summary="A terminal's sell-out per month and product (at most 12 months)",
    responses=http.documented(200, CustomerSellOut, 404),
)
def customer_sellout(
    customer_id: Annotated[str, Path(pattern=ULID_PATTERN)],
    from_period: Annotated[str, Query(alias="from", pattern=MONTH_PATTERN, description="yyyy-mm")],
    to_period: Annotated[str, Query(alias="to", pattern=MONTH_PATTERN, description="yyyy-mm")],
) -> CustomerSellOut:
    return channel().customer_sellout(customer_id, from_period, to_period)


@app.get(
    "/diversion-signals",
    tags=["channel"],
    summary="Diversion signals (窜货) of a month: batches crossing distributors, buyers outside territories",
    responses=http.documented(200, DiversionReport, 404),
)
def diversion_signals(
    period: Month,
    distributor_id: Annotated[
        str | None, Query(pattern=ULID_PATTERN, description="Only signals concerning this distributor")
    ] = None,
) -> DiversionReport:
    return channel().diversion(period, distributor_id)


@app.post(
    "/diversion-cases",
    tags=["channel"],
    summary="Open a diversion case (窜货查处) from one of the month's signals; it keeps the signal's evidence rows",
    responses=http.documented(201, DiversionCase, 404, 409, etag=True, location="/diversion-cases/{case_id}"),
)
def open_case(body: Annotated[CaseIn, Body()]) -> Response[DiversionCase]:
    case = cases().open(body)
    return http.reply(case, 201, case.version, {"Location": f"/diversion-cases/{case.id}"})


@app.get(
    "/diversion-cases",
    tags=["channel"],
    summary="The month's diversion cases in your scope",
    responses=http.documented(200, CasePage, 404),
)
def list_cases(
    period: Month,
    distributor_id: Annotated[str | None, Query(pattern=ULID_PATTERN, description="Only this distributor's")] = None,
    status: Annotated[CaseStatus | None, Query()] = None,
) -> CasePage:
    return cases().find(period, distributor_id, status)


@app.get(
    "/diversion-cases/<case_id>",
    tags=["channel"],
    summary="A diversion case: its signal and evidence rows, notes, decision and penalty",
    responses=http.documented(200, DiversionCase, 404, etag=True),
)
def get_case(case_id: CaseIdPath) -> Response[DiversionCase]:
    case = cases().get(case_id)
    return http.reply(case, version=case.version)


@app.post(
    "/diversion-cases/<case_id>/notes",
    tags=["channel"],
    summary="Add an investigation note (If-Match required)",
    responses=http.documented(200, DiversionCase, 404, 409, 412, 428, etag=True),
)
def note_case(
    case_id: CaseIdPath, body: Annotated[NoteIn, Body()], if_match: http.IfMatch = None
) -> Response[DiversionCase]:
    case = cases().note(case_id, body.text, http.required_version(if_match))
    return http.reply(case, version=case.version)


@app.post(
    "/diversion-cases/<case_id>/decision",
    tags=["channel"],
    summary="Dismiss a case, or confirm it with a penalty: a confirmation goes for approval (If-Match required)",
    responses=http.documented(200, DiversionCase, 404, 409, 412, 428, etag=True),
)
def decide_case(
    case_id: CaseIdPath, body: Annotated[DecisionIn, Body()], if_match: http.IfMatch = None
) -> Response[DiversionCase]:
    case = cases().decide(case_id, body, http.required_version(if_match))
    return http.reply(case, version=case.version)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    return app.resolve(event, context)
