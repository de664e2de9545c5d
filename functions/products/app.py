"""Product master API (商品档案): products, price lists, stock from the ERP, file imports.

Parse, call the service, shape the reply. No pyarrow here: files are read by the import function.
"""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.api import http
from crm.config import get_settings
from crm.customers.model import CustomerType, Level
from crm.db.base import bind_table
from crm.ids import ULID_PATTERN
from crm.products.model import (
    SKU_PATTERN,
    HistoryPage,
    ImportRequest,
    ImportTicket,
    PriceList,
    PriceListBody,
    PriceQuote,
    Product,
    ProductCreate,
    ProductFilters,
    ProductImport,
    ProductPage,
    ProductPatch,
    StockResult,
    StockUpdate,
)
from crm.products.service import ProductService

logger = Logger()
metrics = Metrics()
app = http.make_resolver()

SkuPath = Annotated[str, Path(pattern=SKU_PATTERN, description="The product's sku")]


def products() -> ProductService:
    return ProductService(http.principal(app), get_settings().uploads_bucket or "")


@app.post(
    "/products",
    tags=["products"],
    summary="Create a product",
    responses=http.documented(201, Product, 409, etag=True, location="/products/{sku}"),
)
def create_product(
    body: Annotated[ProductCreate, Body()], idempotency_key: http.IdempotencyKey = None
) -> Response[Product]:
    service = products()

    def run() -> Response[Any]:
        created = service.create(body)
        return http.reply(created, 201, created.version, {"Location": f"/products/{created.sku}"})

    return http.replayable(
        service.p, "create_product", idempotency_key, body.model_dump(mode="json"), run, app.lambda_context
    )


@app.get(
    "/products",
    tags=["products"],
    summary="Search products (keyword over sku, name, spec), with stock",
    responses=http.documented(200, ProductPage),
)
def list_products(
    limit: http.Limit = 50,
    cursor: http.Cursor = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Words that sku, name or spec contain")
    ] = None,
    category: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    status: Annotated[str | None, Query(pattern="^(active|inactive)$")] = None,
) -> ProductPage:
    page = products().list(ProductFilters(q, category, status), limit, cursor)
    return ProductPage(items=page.items, next_cursor=page.cursor)


@app.get(
    "/products/<sku>",
    tags=["products"],
    summary="Read one product, with its available stock",
    responses=http.documented(200, Product, 404, etag=True),
)
def get_product(sku: SkuPath) -> Response[Product]:
    product = products().get(sku)
    return http.reply(product, version=product.version)


@app.patch(
    "/products/<sku>",
    tags=["products"],
    summary="Change fields (If-Match required)",
    responses=http.documented(200, Product, 404, 409, 412, 428, etag=True),
)
def update_product(
    sku: SkuPath, body: Annotated[ProductPatch, Body()], if_match: http.IfMatch = None
) -> Response[Product]:
    version = http.required_version(if_match)
    updated = products().update(sku, version, body)
    return http.reply(updated, version=updated.version)


@app.get(
    "/products/<sku>/history",
    tags=["products"],
    summary="Every change: who, when, before/after",
    responses=http.documented(200, HistoryPage, 404),
)
def product_history(sku: SkuPath, limit: http.Limit = 50, cursor: http.Cursor = None) -> HistoryPage:
    page = products().history(sku, limit, cursor)
    return HistoryPage(items=page.items, next_cursor=page.cursor)


@app.get(
    "/products/<sku>/prices",
    tags=["prices"],
    summary="The product's price list by customer type and level",
    responses=http.documented(200, PriceList, 404, etag=True),
)
def get_prices(sku: SkuPath) -> Response[PriceList]:
    prices = products().prices(sku)
    return http.reply(prices, version=prices.version)


@app.put(
    "/products/<sku>/prices",
    tags=["prices"],
    summary='Replace the price list (If-Match required; "0" creates the first one)',
    responses=http.documented(200, PriceList, 404, 409, 412, 428, etag=True),
)
def replace_prices(
    sku: SkuPath, body: Annotated[PriceListBody, Body()], if_match: http.IfMatch = None
) -> Response[PriceList]:
    version = http.required_version(if_match)
    prices = products().replace_prices(sku, version, body)
    return http.reply(prices, version=prices.version)


@app.get(
    "/products/<sku>/price",
    tags=["prices"],
    summary="The unit price for a customer type and level (the level's price, else the type's default)",
    responses=http.documented(200, PriceQuote, 404),
)
def quote_price(
    sku: SkuPath, customer_type: Annotated[CustomerType, Query()], level: Annotated[Level | None, Query()] = None
) -> PriceQuote:
    return products().quote(sku, customer_type, level)


@app.put(
    "/integration/stock",
    tags=["integration"],
    summary="The ERP reports available stock; an older as_of than the stored one is ignored",
    responses=http.documented(200, StockResult),
)
def report_stock(body: Annotated[StockUpdate, Body()]) -> StockResult:
    return products().report_stock(body)


@app.post(
    "/product-imports",
    tags=["product import"],
    operation_id="requestProductImport",
    summary="An upload form (presigned POST) for a product master file (CSV or XLSX): send its fields, then "
    "the file as `file`",
    responses=http.documented(201, ImportTicket, location="/product-imports/{import_id}"),
)
def request_import(body: Annotated[ImportRequest, Body()]) -> Response[ImportTicket]:
    ticket = products().request_import(body)
    return http.reply(ticket, 201, headers={"Location": f"/product-imports/{ticket.import_id}"})


@app.get(
    "/product-imports/<import_id>",
    tags=["product import"],
    operation_id="getProductImport",
    summary="An import's status and counts, with links to its error report",
    responses=http.documented(200, ProductImport, 404, etag=True),
)
def get_import(import_id: Annotated[str, Path(pattern=ULID_PATTERN)]) -> Response[ProductImport]:
    found = products().get_import(import_id)
    return http.reply(found, version=found.version)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    return app.resolve(event, context)
