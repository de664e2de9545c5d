"""Time, in one place: instants are UTC; business dates (effective-from, periods) are the tenant's local date."""

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BeforeValidator
from pydantic_core import PydanticCustomError

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")  # all current tenants; becomes a tenant setting when one is not


def now() -> datetime:
    return datetime.now(UTC)


def now_iso() -> str:
    return now().isoformat(timespec="milliseconds")


def today() -> date:
    return now().astimezone(BUSINESS_TZ).date()


def _iso_text(pattern: str, example: str) -> BeforeValidator:
    """Dates and instants a client sends are ISO 8601 text: pydantic would also read a number, or a string of
    digits, as seconds since 1970 (`?on=0` was 1970-01-01, `20261005` a day in August 1970)."""
    iso = re.compile(pattern, re.ASCII)

    def check(value: Any) -> Any:
        if isinstance(value, date) or (isinstance(value, str) and iso.match(value)):
            return value  # a date object comes from code, not from a request
        raise PydanticCustomError("iso_8601", "Must be ISO 8601 text such as {example}", {"example": example})

    return BeforeValidator(check)


# The one type of every date and instant a request carries (query or body).
IsoDate = Annotated[date, _iso_text(r"\d{4}-\d{2}-\d{2}\Z", "2026-10-05")]
IsoDateTime = Annotated[AwareDatetime, _iso_text(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}", "2026-10-05T09:30:00+08:00")]
