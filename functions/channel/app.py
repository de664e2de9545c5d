"""Channel analysis API: terminal sell-out (终端销货) by terminal, product and month, and diversion signals
(窜货) with their evidence rows. Reads the analytics bucket's Parquet with pyarrow, imported on the first
request (crm.channel.service), so this module's own import stays as light as every API function's."""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.api import http
from crm.channel.model import MONTH_PATTERN, CustomerSellOut, DiversionReport, GroupBy, SellOutReport
from crm.channel.service import ChannelService
from crm.config import get_settings
from crm.db.base import bind_table
from crm.ids import ULID_PATTERN

logger = Logger()
metrics = Metrics()
app = http.make_resolver()

Month = Annotated[str, Query(pattern=MONTH_PATTERN, description="yyyy-mm")]
CustomerIdQuery = Annotated[str | None, Query(pattern=ULID_PATTERN, description="Only this terminal (customer id)")]


def channel() -> ChannelService:
    return ChannelService(http.principal(app), get_settings().analytics_bucket or "")


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


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    return app.resolve(event, context)
