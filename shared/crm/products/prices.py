"""The one price lookup the orders code calls: a product's unit price for a customer type and level."""

from decimal import Decimal
from typing import Any, Literal

from crm.products import repository as repo

Matched = Literal["level", "type_default"]


def price_for(tenant_id: str, sku: str, customer_type: str, level: str | None) -> Decimal | None:
    """The price list entry for this type and level, else the type's default (level null), else None.

    `customer_type` and `level` take the customer model's enums or their values ("terminal", "B").
    One GetItem; the price is exact (a Decimal built from the stored text, never a float).
    """
    found = lookup(repo.price_entries(tenant_id, sku), customer_type, level)
    return found[0] if found else None


def lookup(entries: list[dict[str, Any]], customer_type: str, level: str | None) -> tuple[Decimal, Matched] | None:
    """The price and which entry gave it: the level's own, else the type's default."""
    wanted_type, wanted_level = str(customer_type), str(level) if level else None
    default = None
    for entry in entries:
        if entry.get("customer_type") != wanted_type:
            continue
        if entry.get("level") is None:
            default = Decimal(entry["unit_price"])
        elif wanted_level is not None and entry["level"] == wanted_level:
            return Decimal(entry["unit_price"]), "level"
    return (default, "type_default") if default is not None else None
