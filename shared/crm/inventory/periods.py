"""Monthly inventory periods: open until closed; a closed month's figures are frozen.

Only the state lives here (and the guard every writer calls); closing and reopening, which compute and
carry figures, are in crm.inventory.service.
"""

from crm.db import keys
from crm.db.models import InventoryPeriodItem
from crm.errors import Conflict


def get(tenant_id: str, period: str) -> InventoryPeriodItem | None:
    try:
        return InventoryPeriodItem.get(keys.inventory_periods_pk(tenant_id), period)
    except InventoryPeriodItem.DoesNotExist:
        return None


def is_closed(tenant_id: str, period: str) -> bool:
    item = get(tenant_id, period)
    return item is not None and item.status == "closed"


def ensure_open(tenant_id: str, period: str) -> None:
    """Every change to a month's figures (a file, an opening, an adjustment) asks first."""
    if is_closed(tenant_id, period):
        raise Conflict(f"Period {period} is closed; its figures are frozen. Ask for it to be reopened first.")


def previous(period: str) -> str:
    year, month = (int(p) for p in period.split("-"))
    return f"{year - (month == 1):04d}-{(month - 2) % 12 + 1:02d}"


def following(period: str) -> str:
    year, month = (int(p) for p in period.split("-"))
    return f"{year + (month == 12):04d}-{month % 12 + 1:02d}"
