from dataclasses import dataclass

from crm.db import keys
from crm.db.models import ProductItem


@dataclass(frozen=True)
class ProductRecord:
    sku: str
    name: str
    spec: str
    base_unit: str
    case_size: int


def save(tenant_id: str, product: ProductRecord) -> None:
    """Creates or replaces a product (conditional on the version read, like every record)."""
    try:
        item = ProductItem.get(keys.products_pk(tenant_id), f"SKU#{product.sku}")
    except ProductItem.DoesNotExist:
        item = ProductItem(keys.products_pk(tenant_id), f"SKU#{product.sku}")
    item.sku, item.name, item.spec = product.sku, product.name, product.spec
    item.base_unit, item.case_size = product.base_unit, product.case_size
    item.save()


def all_active(tenant_id: str) -> list[ProductRecord]:
    """The whole master: a few hundred products, one Query."""
    return [ProductRecord(p.sku, p.name, p.spec, p.base_unit, int(p.case_size))
            for p in ProductItem.query(keys.products_pk(tenant_id), ProductItem.sk.startswith("SKU#"))
            if p.status == "active"]
