"""Rebate accruals API (返利计提): a preview of the month's vouchers at any time, the vouchers a closed month
froze (by month, distributor and product group), one voucher, the month's XLSX, and the month's run.
Reads the analytics bucket's Parquet with pyarrow, imported on the first request that needs it."""

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.api import http
from crm.channel.model import MONTH_PATTERN
from crm.config import get_settings
from crm.db.base import bind_table
from crm.ids import ULID_PATTERN
from crm.inventory.model import ExportLink
from crm.rebates.model import AccrualRun, Voucher, VoucherPage

if TYPE_CHECKING:
    from crm.rebates.vouchers import VoucherService

logger = Logger()
metrics = Metrics()
app = http.make_resolver()

Month = Annotated[str, Query(pattern=MONTH_PATTERN, description="yyyy-mm")]
MonthPath = Annotated[str, Path(pattern=MONTH_PATTERN, description="yyyy-mm")]
CustomerQuery = Annotated[str | None, Query(pattern=ULID_PATTERN, description="Only this distributor's")]


def vouchers() -> "VoucherService":
    from crm.rebates.vouchers import VoucherService

    return VoucherService(http.principal(app), get_settings().analytics_bucket or "")


@app.get(
    "/accruals/preview",
    tags=["accruals"],
    summary="What each agreement in force would accrue for the month, from the data as it stands (not stored)",
    responses=http.documented(200, VoucherPage, 404),
)
def preview(period: Month, customer_id: CustomerQuery = None) -> VoucherPage:
    return vouchers().preview(period, customer_id)


@app.get(
    "/accrual-vouchers",
    tags=["accruals"],
    summary="Accrual vouchers (计提单) of a month, or of one distributor over the months; by product group",
    responses=http.documented(200, VoucherPage, 404),
)
def list_vouchers(
    period: Annotated[str | None, Query(pattern=MONTH_PATTERN, description="yyyy-mm")] = None,
    customer_id: CustomerQuery = None,
    group: Annotated[str | None, Query(min_length=1, max_length=100, description="Vouchers counting it")] = None,
) -> VoucherPage:
    return vouchers().find(period, customer_id, group)


@app.get(
    "/accrual-vouchers/export",
    tags=["accruals"],
    summary="The month's vouchers and their rule lines as XLSX (a link)",
    responses=http.documented(200, ExportLink, 404),
)
def export_vouchers(period: Month, customer_id: CustomerQuery = None) -> ExportLink:
    return vouchers().export(period, customer_id)


@app.get(
    "/accrual-vouchers/<voucher_id>",
    tags=["accruals"],
    summary="One voucher: each rule's figures, the tier reached, conditions, evidence, penalties and net",
    responses=http.documented(200, Voucher, 404),
)
def get_voucher(voucher_id: Annotated[str, Path(pattern=ULID_PATTERN)]) -> Voucher:
    return vouchers().get(voucher_id)


@app.get(
    "/accrual-runs/<period>",
    tags=["accruals"],
    summary="The month's accrual run: accrued when the month closed, reversed when it reopened",
    responses=http.documented(200, AccrualRun, 404),
)
def get_run(period: MonthPath) -> AccrualRun:
    return vouchers().run_state(period)


@app.post(
    "/accrual-runs/<period>",
    tags=["accruals"],
    summary="Start the month's run again (a closed month accrues, a reopened one reverses; HQ admins, finance)",
    responses=http.documented(202, AccrualRun, 404),
)
def restart_run(period: MonthPath) -> Any:
    return http.reply(vouchers().restart(period), 202)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    return app.resolve(event, context)
