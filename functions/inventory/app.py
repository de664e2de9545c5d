"""Channel inventory API (渠道库存): the month's calculation per distributor × product, variances, XLSX
export, periods (close with carry-forward, reopen), opening balances (期初), adjustments (调整单), policy.

Parse, call the service, shape the reply. The service (pyarrow) is imported on the first request.
"""

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.api import http
from crm.config import get_settings
from crm.customers.model import CustomerId
from crm.db.base import bind_table
from crm.ids import ULID_PATTERN
from crm.inventory.model import (
    Adjustment,
    AdjustmentIn,
    AdjustmentPage,
    ExportLink,
    InventoryPolicy,
    InventoryReport,
    OpeningBody,
    OpeningPage,
    PeriodPage,
    PeriodState,
    StoredPolicy,
)
from crm.text import FreeText
from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from crm.inventory.service import InventoryService

logger = Logger()
metrics = Metrics()
app = http.make_resolver()

MONTH = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"
PeriodQuery = Annotated[str, Query(pattern=MONTH, description="yyyy-mm")]
PeriodPath = Annotated[str, Path(pattern=MONTH, description="yyyy-mm")]
DistributorQuery = Annotated[
    str | None, Query(pattern=ULID_PATTERN, description="One distributor (default: every one in the caller's scope)")
]
DistributorPath = Annotated[str, Path(pattern=ULID_PATTERN, description="The distributor's customer id")]


class ReopenBody(BaseModel):
    reason: Annotated[
        str, FreeText(500, min_length=2, multiline=True), Field(description="Why the frozen month must change")
    ]


def inventory() -> "InventoryService":
    from crm.inventory.service import InventoryService

    return InventoryService(http.principal(app), get_settings().analytics_bucket or "")


@app.get(
    "/inventory",
    tags=["inventory"],
    summary="The month's channel inventory per distributor × product (× batch when known)",
    responses=http.documented(200, InventoryReport, 404),
)
def get_inventory(
    period: PeriodQuery, distributor_id: DistributorQuery = None, limit: http.Limit = 50, cursor: http.Cursor = None
) -> InventoryReport:
    return inventory().report(period, distributor_id, limit=limit, cursor=cursor)


@app.get(
    "/inventory/variances",
    tags=["inventory"],
    summary="Only the lines with a flag: negative expected closing, variance over the threshold, "
    "no stock report, flow without inbound",
    responses=http.documented(200, InventoryReport, 404),
)
def get_variances(
    period: PeriodQuery, distributor_id: DistributorQuery = None, limit: http.Limit = 50, cursor: http.Cursor = None
) -> InventoryReport:
    return inventory().report(period, distributor_id, only_flagged=True, limit=limit, cursor=cursor)


@app.get(
    "/inventory/export",
    tags=["inventory"],
    summary="A link to the whole month's calculation as XLSX",
    responses=http.documented(200, ExportLink, 404),
)
def export(period: PeriodQuery, distributor_id: DistributorQuery = None) -> ExportLink:
    return inventory().export(period, distributor_id)


@app.get(
    "/customers/<customer_id>/inventory",
    tags=["inventory"],
    summary="A distributor's stock and sell-through for a month (its customer page)",
    responses=http.documented(200, InventoryReport, 404),
)
def customer_inventory(
    customer_id: Annotated[CustomerId, Path()], period: PeriodQuery, limit: http.Limit = 50, cursor: http.Cursor = None
) -> InventoryReport:
    return inventory().report(period, customer_id, limit=limit, cursor=cursor)


@app.get(
    "/inventory/periods",
    tags=["inventory periods"],
    summary="Months that were closed (or reopened)",
    responses=http.documented(200, PeriodPage),
)
def list_periods() -> PeriodPage:
    return PeriodPage(items=inventory().list_periods())


@app.get(
    "/inventory/periods/<period>",
    tags=["inventory periods"],
    summary="A month's state",
    responses=http.documented(200, PeriodState),
)
def get_period(period: PeriodPath) -> PeriodState:
    return inventory().period(period)


@app.post(
    "/inventory/periods/<period>/close",
    tags=["inventory periods"],
    summary="Freeze the month and carry its closing into the next month's opening",
    responses=http.documented(200, PeriodState, 409),
)
def close_period(period: PeriodPath) -> PeriodState:
    return inventory().close(period)


@app.post(
    "/inventory/periods/<period>/reopen",
    tags=["inventory periods"],
    summary="Reopen a closed month (HQ admin; audited with the reason)",
    responses=http.documented(200, PeriodState, 409),
)
def reopen_period(period: PeriodPath, body: Annotated[ReopenBody, Body()]) -> PeriodState:
    return inventory().reopen(period, body.reason)


@app.get(
    "/inventory/openings",
    tags=["inventory openings"],
    summary="The month's opening balances and where each comes from (hand, file, carried)",
    responses=http.documented(200, OpeningPage, 404),
)
def list_openings(period: PeriodQuery, distributor_id: DistributorQuery = None) -> OpeningPage:
    return OpeningPage(period=period, items=inventory().openings(period, distributor_id))


@app.put(
    "/inventory/openings/<period>/<distributor_id>",
    tags=["inventory openings"],
    summary="Set a distributor's opening stock by hand (期初 initialization); replaces earlier hand entries",
    responses=http.documented(200, OpeningPage, 404, 409),
)
def set_opening(
    period: PeriodPath, distributor_id: DistributorPath, body: Annotated[OpeningBody, Body()]
) -> OpeningPage:
    return OpeningPage(period=period, items=inventory().set_opening(period, distributor_id, body))


@app.post(
    "/inventory/adjustments",
    tags=["inventory adjustments"],
    summary="Ask for an adjustment (调整单) with a reason; it counts once the approval flow approves it",
    responses=http.documented(201, Adjustment, 404, 409, etag=True),
)
def request_adjustment(body: Annotated[AdjustmentIn, Body()]) -> Response[Adjustment]:
    created = inventory().request_adjustment(body)
    return http.reply(created, 201, created.version)


@app.get(
    "/inventory/adjustments",
    tags=["inventory adjustments"],
    summary="The month's adjustments",
    responses=http.documented(200, AdjustmentPage, 404),
)
def list_adjustments(period: PeriodQuery, distributor_id: DistributorQuery = None) -> AdjustmentPage:
    return AdjustmentPage(items=inventory().list_adjustments(period, distributor_id))


@app.get(
    "/inventory/policy",
    tags=["inventory"],
    summary="Variance threshold and carry-forward rule",
    operation_id="getInventoryPolicy",
    responses=http.documented(200, StoredPolicy, etag=True),
)
def get_policy() -> Response[StoredPolicy]:
    policy = inventory().get_policy()
    return http.reply(policy, version=policy.version)


@app.put(
    "/inventory/policy",
    tags=["inventory"],
    summary="Replace the inventory policy (If-Match)",
    operation_id="putInventoryPolicy",
    responses=http.documented(200, StoredPolicy, 412, 428, etag=True),
)
def put_policy(body: Annotated[InventoryPolicy, Body()], if_match: http.IfMatch = None) -> Response[StoredPolicy]:
    policy = inventory().put_policy(body, http.required_version(if_match))
    return http.reply(policy, version=policy.version)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    return app.resolve(event, context)
