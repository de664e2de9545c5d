"""Time, in one place: instants are UTC; business dates (effective-from, periods) are the tenant's local date."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")  # all current tenants; becomes a tenant setting when one is not


def now() -> datetime:
    return datetime.now(UTC)


def now_iso() -> str:
    return now().isoformat(timespec="milliseconds")


def today() -> date:
    return now().astimezone(BUSINESS_TZ).date()
