"""The product master in DynamoDB: products, price lists and stock in one partition per tenant, audit apart.

pk T#t#PRODUCT holds SKU#<sku> (the product), PRICES#<sku> and STOCK#<sku>: a few hundred
products, so the master is one Query and a product's parts are GetItems. Audit entries sit under
T#t#PRODUCT#<sku> so they never grow that partition. Maps explicitly between the stored shapes
(crm.db.models) and the service models (crm.products.model).
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pynamodb.expressions.condition import Condition

from crm import audit, clock
from crm.db import keys
from crm.db.models import PriceListItem, ProductItem, StockItem
from crm.db.paging import Page, all_of, query_page
from crm.db.transaction import ErrorFactory, Transaction
from crm.errors import InvalidInput
from crm.products.model import (
    ChangeEntry,
    PriceEntry,
    PriceList,
    Product,
    ProductFilters,
    Stock,
)


@dataclass(frozen=True)
class ProductRecord:
    """What the flow import needs of a product (and what older seeds wrote)."""

    sku: str
    name: str
    spec: str
    base_unit: str
    case_size: int
    category: str | None = None


def search_text(sku: str, name: str, spec: str) -> str:
    return fold(f"{sku} {name} {spec}")


def fold(text: str) -> str:
    """Full-width → half-width and case-folded, so "ａｍｏ" finds "AMO"."""
    return unicodedata.normalize("NFKC", text).casefold()


def save(tenant_id: str, product: ProductRecord) -> None:
    """Creates or replaces a product directly (no audit): for seeds and tests; the API goes through the service."""
    try:
        item = ProductItem.get(keys.products_pk(tenant_id), keys.product_sk(product.sku))
    except ProductItem.DoesNotExist:
        item = ProductItem(
            keys.products_pk(tenant_id), keys.product_sk(product.sku), created_at=clock.now_iso(), created_by="system"
        )
    item.sku, item.name, item.spec = product.sku, product.name, product.spec
    item.base_unit, item.case_size, item.category = product.base_unit, product.case_size, product.category
    item.tenant_id, item.search = tenant_id, search_text(product.sku, product.name, product.spec)
    item.updated_at, item.updated_by = clock.now_iso(), "system"
    item.save()


def all_active(tenant_id: str) -> list[ProductRecord]:
    """The whole master: a few hundred products, one Query."""
    return [
        ProductRecord(p.sku, p.name, p.spec, p.base_unit, int(p.case_size), p.category)
        for p in ProductItem.query(keys.products_pk(tenant_id), ProductItem.sk.startswith("SKU#"))
        if p.status == "active"
    ]


# ----------------------------------------------------------------------------- products

_FIELDS = (
    "sku",
    "name",
    "spec",
    "base_unit",
    "case_size",
    "category",
    "status",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
)


def to_item(tenant_id: str, product: Product) -> ProductItem:
    data = product.model_dump(mode="json", include=set(_FIELDS))
    item = ProductItem(
        keys.products_pk(tenant_id),
        keys.product_sk(product.sku),
        tenant_id=tenant_id,
        search=search_text(product.sku, product.name, product.spec),
        **data,
    )
    if product.version:
        item.version = product.version  # the version read; the write is conditional on it
    return item


def from_item(item: ProductItem, stock: StockItem | None = None) -> Product:
    data: dict[str, Any] = {k: getattr(item, k) for k in _FIELDS}
    data["case_size"] = int(item.case_size)
    data["version"] = item.version or 0
    data["stock"] = _stock(stock)
    return Product.model_validate(data)


def _stock(item: StockItem | None) -> Stock | None:
    return Stock(available=int(item.available), as_of=item.as_of) if item is not None else None


def get(tenant_id: str, sku: str) -> Product | None:
    try:
        item = ProductItem.get(keys.products_pk(tenant_id), keys.product_sk(sku))
    except ProductItem.DoesNotExist:
        return None
    return from_item(item, get_stock(tenant_id, sku))


def product_filter(f: ProductFilters) -> Condition | None:
    return all_of(
        *(ProductItem.search.contains(term) for term in fold(f.q or "").split()),
        ProductItem.category == f.category if f.category else None,
        ProductItem.status == f.status if f.status else None,
    )


def list_page(tenant_id: str, filters: ProductFilters, limit: int, cursor: str | None) -> Page[Product]:
    """One Query over the master (filters are FilterExpressions), then one BatchGet of the page's stock."""
    page = query_page(
        ProductItem,
        "pk",
        keys.products_pk(tenant_id),
        limit=limit,
        cursor=cursor,
        range_condition=ProductItem.sk.startswith("SKU#"),
        filter_condition=product_filter(filters),
    )
    stock = stock_of(tenant_id, (p.sku for p in page.items))
    return Page([from_item(p, stock.get(p.sku)) for p in page.items], page.cursor)


def known_skus(tenant_id: str, skus: Iterable[str]) -> set[str]:
    wanted = [(keys.products_pk(tenant_id), keys.product_sk(s)) for s in dict.fromkeys(skus)]
    return {p.sku for p in ProductItem.batch_get(wanted, attributes_to_get=["pk", "sk", "sku"])}


def require_known(tenant_id: str, skus: Iterable[str], field: str) -> None:
    """422 on `field`, naming (the first 20) skus not in the product master."""
    wanted = list(skus)
    unknown = sorted(set(wanted) - known_skus(tenant_id, wanted))
    if unknown:
        raise InvalidInput(
            f"Not in the product master: {', '.join(unknown[:20])}.",
            [{"field": field, "message": f"unknown sku {sku}"} for sku in unknown[:20]],
        )


def stage_product(tx: Transaction, tenant_id: str, product: Product, on_fail: ErrorFactory | None = None) -> None:
    """Create (version 0: must not exist) or replace (must still be at the version read)."""
    if on_fail is None:
        tx.put(to_item(tenant_id, product))
    else:
        tx.put(to_item(tenant_id, product), on_fail=on_fail)


def stage_audit(
    tx: Transaction,
    tenant_id: str,
    sku: str,
    action: str,
    actor_id: str,
    changes: dict[str, dict[str, Any]],
    reason: str | None = None,
) -> None:
    """A product's audit entries live in its history partition, beside its price list's."""
    audit.stage(tx, keys.product_history_pk(tenant_id, sku), tenant_id, action, actor_id, changes, reason)


def list_history(tenant_id: str, sku: str, limit: int, cursor: str | None) -> Page[ChangeEntry]:
    return audit.history(keys.product_history_pk(tenant_id, sku), limit, cursor)


# ----------------------------------------------------------------------------- prices


def get_price_list(tenant_id: str, sku: str) -> PriceList | None:
    try:
        item = PriceListItem.get(keys.products_pk(tenant_id), keys.price_list_sk(sku))
    except PriceListItem.DoesNotExist:
        return None
    return PriceList(
        sku=item.sku,
        items=[PriceEntry.model_validate(e) for e in item.entries],
        updated_at=item.updated_at,
        updated_by=item.updated_by,
        version=item.version or 0,
    )


def price_entries(tenant_id: str, sku: str) -> list[dict[str, Any]]:
    """The stored entries as they are ({customer_type, level, unit_price as text}); [] without a price list."""
    try:
        item = PriceListItem.get(keys.products_pk(tenant_id), keys.price_list_sk(sku), attributes_to_get=["entries"])
    except PriceListItem.DoesNotExist:
        return []
    return list(item.entries or [])


def stage_price_list(tx: Transaction, tenant_id: str, prices: PriceList) -> None:
    """Create (version 0: none may exist yet) or replace (must still be at the version read)."""
    item = PriceListItem(
        keys.products_pk(tenant_id),
        keys.price_list_sk(prices.sku),
        sku=prices.sku,
        entries=[e.model_dump(mode="json") for e in prices.items],
        updated_at=(prices.updated_at or clock.now()).isoformat(),
        updated_by=prices.updated_by or "",
    )
    if prices.version:
        item.version = prices.version
    tx.put(item)


# ----------------------------------------------------------------------------- stock


def get_stock(tenant_id: str, sku: str) -> StockItem | None:
    try:
        return StockItem.get(keys.products_pk(tenant_id), keys.stock_sk(sku))
    except StockItem.DoesNotExist:
        return None


def stock_of(tenant_id: str, skus: Iterable[str]) -> dict[str, StockItem]:
    wanted = [(keys.products_pk(tenant_id), keys.stock_sk(s)) for s in dict.fromkeys(skus)]
    return {s.sku: s for s in StockItem.batch_get(wanted)} if wanted else {}


def stage_stock(
    tx: Transaction, tenant_id: str, sku: str, available: int, as_of: str, actor_id: str, on_stale: ErrorFactory
) -> None:
    """Written only over an older report: equal or newer as_of already stored → on_stale."""
    item = StockItem(
        keys.products_pk(tenant_id),
        keys.stock_sk(sku),
        sku=sku,
        available=available,
        as_of=as_of,
        updated_at=clock.now_iso(),
        updated_by=actor_id,
    )
    tx.put(item, condition=StockItem.as_of.does_not_exist() | (StockItem.as_of < as_of), on_fail=on_stale)
