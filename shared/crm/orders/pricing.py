"""Order lines priced from the product master: the list price for the customer's type and current level,
or an override (a different unit price) that needs a reason and the order:price_override permission.
"""

from decimal import Decimal

from crm.auth import Principal, require
from crm.customers.model import Customer
from crm.db import keys
from crm.db.models import ProductItem
from crm.errors import InvalidInput
from crm.orders.model import LineIn, OrderLine, money
from crm.products.prices import price_for


def _products(tenant_id: str, skus: list[str]) -> dict[str, ProductItem]:
    wanted = [(keys.products_pk(tenant_id), keys.product_sk(s)) for s in dict.fromkeys(skus)]
    return {p.sku: p for p in ProductItem.batch_get(wanted)} if wanted else {}


def priced_lines(principal: Principal, customer: Customer, lines: list[LineIn]) -> list[OrderLine]:
    """Every line checked before any is refused, so one reply names every bad line."""
    tenant = principal.tenant_id
    products = _products(tenant, [line.sku for line in lines])
    level = customer.level.value if customer.level else None
    errors: list[dict[str, str]] = []
    priced: list[OrderLine] = []
    for n, line in enumerate(lines):
        product = products.get(line.sku)
        if product is None or product.status != "active":
            state = "unknown" if product is None else "not active"
            errors.append({"field": f"lines.{n}.sku", "message": f"product {line.sku} is {state}"})
            continue
        listed = price_for(tenant, line.sku, customer.type.value, level)
        unit, reason = _unit_price(principal, n, line, listed, errors)
        if unit is None:
            continue
        priced.append(
            OrderLine(
                line_no=n + 1,
                sku=line.sku,
                name=product.name,
                spec=product.spec,
                base_unit=product.base_unit,
                quantity=line.quantity,
                list_price=listed,
                unit_price=unit,
                price_override_reason=reason,
                amount=money(unit * line.quantity),
            )
        )
    if errors:
        raise InvalidInput("Some order lines cannot be accepted.", errors)
    return priced


def _unit_price(
    principal: Principal, n: int, line: LineIn, listed: Decimal | None, errors: list[dict[str, str]]
) -> tuple[Decimal | None, str | None]:
    if line.unit_price is None or line.unit_price == listed:
        if listed is None:
            errors.append(
                {
                    "field": f"lines.{n}.unit_price",
                    "message": f"no list price for {line.sku} for this customer's type and level; "
                    "send unit_price with price_override_reason",
                }
            )
        return listed, None
    require(principal, "order:price_override")
    if not line.price_override_reason:
        errors.append(
            {
                "field": f"lines.{n}.price_override_reason",
                "message": f"unit_price {line.unit_price} differs from the list price "
                f"{listed if listed is not None else '(none)'}: give a reason",
            }
        )
        return None, None
    return line.unit_price, line.price_override_reason
