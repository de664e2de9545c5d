"""Orders API (订货单), return requests (退货申请) and the ERP's reports: parse, call the service, shape the reply.

Product search for ordering (with available stock) is the products API's GET /products?q=.
"""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.api import http
from crm.api.docs import example
from crm.config import get_settings
from crm.db.base import bind_table
from crm.ids import ULID_PATTERN
from crm.orders.model import (
    ActionBody,
    Order,
    OrderCreate,
    OrderFilters,
    OrderPage,
    OrderPatch,
    OrderState,
    ProcessedReport,
    ReasonBody,
    ReturnCreate,
    ReturnPage,
    ReturnRequest,
    ShipmentReport,
    TransitionPage,
)
from crm.orders.returns import ReturnService
from crm.orders.service import OrderService

logger = Logger()
metrics = Metrics()
app = http.make_resolver()

OrderIdPath = Annotated[str, Path(pattern=ULID_PATTERN, description="Order id (ULID)")]
ReturnIdPath = Annotated[str, Path(pattern=ULID_PATTERN, description="Return request id (ULID)")]
_STATES = "^(" + "|".join(s.value for s in OrderState) + ")$"
_ACTION_PROBLEMS = (404, 409, 412)
_ORDER: dict[str, Any] = {"etag": True}  # every reply of an order carries its ETag (_order)


NEW_ORDER = {
    "two_lines": example(
        "Two products at list price; a third below it, with the reason",
        {
            "customer_id": "01JBX5G4Y2Q8ZK7M3N6P9R0STV",
            "remarks": "月初补货",
            "lines": [
                {"sku": "P1001", "quantity": 24},
                {"sku": "P1002", "quantity": 10},
                {"sku": "P1003", "quantity": 5, "unit_price": "11.50", "price_override_reason": "季度促销"},
            ],
        },
    )
}


def orders() -> OrderService:
    return OrderService(http.principal(app))


def returns() -> ReturnService:
    return ReturnService(http.principal(app))


def _order(order: Order, status: int = 200, headers: dict[str, str] | None = None) -> Response[Any]:
    return http.reply(order, status, order.version, headers)


@app.post(
    "/orders",
    tags=["orders"],
    summary="Create an order (saved); prices come from the price list",
    responses=http.documented(201, Order, 404, 409, etag=True, location="/orders/{order_id}"),
)
def create_order(
    body: Annotated[OrderCreate, Body(openapi_examples=NEW_ORDER)], idempotency_key: http.IdempotencyKey = None
) -> Response[Order]:
    service = orders()

    def run() -> Response[Any]:
        created = service.create(body)
        metrics.add_metric(name="OrdersCreated", unit=MetricUnit.Count, value=1)
        return _order(created, 201, {"Location": f"/orders/{created.id}"})

    return http.replayable(
        service.p, "create_order", idempotency_key, body.model_dump(mode="json"), run, app.lambda_context
    )


@app.get(
    "/orders",
    tags=["orders"],
    summary="List orders in your scope, newest first",
    responses=http.documented(200, OrderPage, 404),
)
def list_orders(
    limit: http.Limit = 50,
    cursor: http.Cursor = None,
    state: Annotated[str | None, Query(pattern=_STATES)] = None,
    customer_id: Annotated[str | None, Query(pattern=ULID_PATTERN)] = None,
    month: Annotated[
        str | None, Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description="Created in this month (yyyy-mm, UTC)")
    ] = None,
) -> OrderPage:
    page = orders().list(OrderFilters(state, customer_id, month), limit, cursor)
    return OrderPage(items=page.items, next_cursor=page.cursor)


@app.get(
    "/orders/<order_id>",
    tags=["orders"],
    summary="Read one order",
    responses=http.documented(200, Order, 404, **_ORDER),
)
def get_order(order_id: OrderIdPath) -> Response[Order]:
    return _order(orders().get(order_id))


@app.patch(
    "/orders/<order_id>",
    tags=["orders"],
    summary="Replace lines or remarks while saved (If-Match required)",
    responses=http.documented(200, Order, 404, 409, 412, 428, **_ORDER),
)
def update_order(
    order_id: OrderIdPath, body: Annotated[OrderPatch, Body()], if_match: http.IfMatch = None
) -> Response[Order]:
    return _order(orders().update(order_id, http.required_version(if_match), body))


@app.post(
    "/orders/<order_id>/submit",
    tags=["orders"],
    summary="Submit for approval; with Idempotency-Key a retry replays the first reply",
    responses=http.documented(200, Order, *_ACTION_PROBLEMS, **_ORDER),
)
def submit_order(
    order_id: OrderIdPath,
    body: Annotated[ActionBody, Body()],
    idempotency_key: http.IdempotencyKey = None,
    if_match: http.IfMatch = None,
) -> Response[Order]:
    service = orders()

    def run() -> Response[Any]:
        submitted = service.submit(order_id, body.comment, http.optional_version(if_match))
        metrics.add_metric(name="OrdersSubmitted", unit=MetricUnit.Count, value=1)
        return _order(submitted)

    payload = {"order_id": order_id, **body.model_dump(mode="json")}
    return http.replayable(service.p, "submit_order", idempotency_key, payload, run, app.lambda_context)


@app.post(
    "/orders/<order_id>/withdraw",
    tags=["orders"],
    summary="The submitter takes it back (submitted → saved)",
    responses=http.documented(200, Order, *_ACTION_PROBLEMS, **_ORDER),
)
def withdraw_order(
    order_id: OrderIdPath, body: Annotated[ActionBody, Body()], if_match: http.IfMatch = None
) -> Response[Order]:
    return _order(orders().withdraw(order_id, body.comment, http.optional_version(if_match)))


@app.post(
    "/orders/<order_id>/void",
    tags=["orders"],
    summary="Void a saved or submitted order, with a reason",
    responses=http.documented(200, Order, *_ACTION_PROBLEMS, **_ORDER),
)
def void_order(
    order_id: OrderIdPath, body: Annotated[ReasonBody, Body()], if_match: http.IfMatch = None
) -> Response[Order]:
    return _order(orders().void(order_id, body.reason, http.optional_version(if_match)))


@app.post(
    "/orders/<order_id>/close",
    tags=["orders"],
    summary="Close a shipped order",
    responses=http.documented(200, Order, *_ACTION_PROBLEMS, **_ORDER),
)
def close_order(
    order_id: OrderIdPath, body: Annotated[ActionBody, Body()], if_match: http.IfMatch = None
) -> Response[Order]:
    return _order(orders().close(order_id, body.comment, http.optional_version(if_match)))


@app.get(
    "/orders/<order_id>/history",
    tags=["orders"],
    summary="Every transition: who, when, from, to, why",
    responses=http.documented(200, TransitionPage, 404),
)
def order_history(order_id: OrderIdPath, limit: http.Limit = 50, cursor: http.Cursor = None) -> TransitionPage:
    return orders().history(order_id, limit, cursor)


# ------------------------------------------------------------------ returns


@app.post(
    "/orders/<order_id>/returns",
    tags=["returns"],
    summary="Request a return; at most shipped minus already returned or requested, per sku and batch",
    responses=http.documented(201, ReturnRequest, 404, 409, etag=True, location="/returns/{return_id}"),
)
def create_return(
    order_id: OrderIdPath, body: Annotated[ReturnCreate, Body()], idempotency_key: http.IdempotencyKey = None
) -> Response[ReturnRequest]:
    service = returns()

    def run() -> Response[Any]:
        ret = service.create(order_id, body)
        return http.reply(ret, 201, ret.version, {"Location": f"/returns/{ret.id}"})

    payload = {"order_id": order_id, **body.model_dump(mode="json")}
    return http.replayable(service.p, "create_return", idempotency_key, payload, run, app.lambda_context)


@app.get(
    "/orders/<order_id>/returns",
    tags=["returns"],
    summary="An order's return requests",
    responses=http.documented(200, ReturnPage, 404),
)
def order_returns(order_id: OrderIdPath, limit: http.Limit = 50, cursor: http.Cursor = None) -> ReturnPage:
    return returns().of_order(order_id, limit, cursor)


@app.get(
    "/returns/<return_id>",
    tags=["returns"],
    summary="Read one return request",
    responses=http.documented(200, ReturnRequest, 404, etag=True),
)
def get_return(return_id: ReturnIdPath) -> Response[ReturnRequest]:
    ret = returns().get(return_id)
    return http.reply(ret, version=ret.version)


@app.get(
    "/returns/<return_id>/history",
    tags=["returns"],
    summary="Every transition of a return request",
    responses=http.documented(200, TransitionPage, 404),
)
def return_history(return_id: ReturnIdPath, limit: http.Limit = 50, cursor: http.Cursor = None) -> TransitionPage:
    return returns().history(return_id, limit, cursor)


@app.post(
    "/returns/<return_id>/close",
    tags=["returns"],
    summary="Close an approved return once the goods are back",
    responses=http.documented(200, ReturnRequest, 404, 409, etag=True),
)
def close_return(return_id: ReturnIdPath, body: Annotated[ActionBody, Body()]) -> Response[ReturnRequest]:
    ret = returns().close(return_id, body.comment)
    return http.reply(ret, version=ret.version)


# ------------------------------------------------------------------ the ERP (role erp only)


@app.post(
    "/integration/orders/<order_id>/processed",
    tags=["erp"],
    summary="ERP: the order is in the ERP under this number (approved → processed)",
    responses=http.documented(200, Order, 404, 409, **_ORDER),
)
def erp_processed(order_id: OrderIdPath, body: Annotated[ProcessedReport, Body()]) -> Response[Order]:
    return _order(orders().processed(order_id, body))


@app.post(
    "/integration/orders/<order_id>/shipments",
    tags=["erp"],
    summary="ERP: a delivery left the warehouse (→ shipped); a known delivery_no changes nothing",
    responses=http.documented(200, Order, 404, 409, **_ORDER),
)
def erp_shipment(order_id: OrderIdPath, body: Annotated[ShipmentReport, Body()]) -> Response[Order]:
    return _order(orders().ship(order_id, body))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    return app.resolve(event, context)
