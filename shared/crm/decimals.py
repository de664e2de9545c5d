"""Decimals that travel as strings (amounts, prices, shares), with one regex that is both the rule and its document.

Pydantic's own Decimal schema says `number or any numeric-looking string` and leaves `max_digits`, `decimal_places`
and bounds to keywords JSON Schema validators ignore, so a client following the document sent what we refused.
Here the pattern decides: the server refuses whatever does not match it, and the OpenAPI document shows the
same pattern, so both agree by construction. JSON numbers are refused (they would pass through a float).
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema


def _fraction(places: int) -> str:
    return rf"(?:\.[0-9]{{1,{places}}})?" if places else ""


def _positive_below_one(places: int) -> str:
    """0.x with at most `places` decimals, not all zero: one branch per count of leading zeros (no lookaheads,
    which not every regex engine in a client or test generator supports)."""
    branches = []
    for zeros in range(places):
        rest = places - zeros - 1
        branches.append("0" * zeros + "[1-9]" + (f"[0-9]{{0,{rest}}}" if rest else ""))
    return rf"0\.(?:{'|'.join(branches)})"


def pattern(places: int, whole_digits: int, *, positive: bool = False, power_of_ten_max: int | None = None) -> str:
    """The regex of a non-negative decimal string: no sign, no exponent, no leading zeros, at most `whole_digits`
    digits before the point and `places` after it. `positive` leaves out zero; `power_of_ten_max` = k caps the
    value at 10**k (k + 1 whole digits only for 10**k itself, zeros after its point)."""
    whole = rf"[1-9][0-9]{{0,{whole_digits - 1}}}"
    if power_of_ten_max is not None:
        whole = rf"[1-9][0-9]{{0,{power_of_ten_max - 1}}}"
    branches = [whole + _fraction(places)]
    branches.append(_positive_below_one(places) if positive else "0" + _fraction(places))
    if power_of_ten_max is not None:
        branches.insert(0, "1" + "0" * power_of_ten_max + (rf"(?:\.0{{1,{places}}})?" if places else ""))
    return "^(?:" + "|".join(branches) + ")$"


@dataclass(frozen=True)
class DecimalText:
    """Annotated[Decimal, DecimalText(...)]: an input Decimal sent as a string matching `pattern(...)`, refused
    otherwise; Decimals given in Python pass as they are. The document's schema is that pattern."""

    places: int
    whole_digits: int
    example: str
    positive: bool = False
    power_of_ten_max: int | None = None
    description: str | None = None

    @property
    def regex(self) -> str:
        return pattern(self.places, self.whole_digits, positive=self.positive, power_of_ten_max=self.power_of_ten_max)

    def rule(self) -> str:
        most = (
            f"at most {10**self.power_of_ten_max}"
            if self.power_of_ten_max is not None
            else f"at most {self.whole_digits} digits before the point"
        )
        more = ", more than 0" if self.positive else ""
        return (
            f'a decimal string like "{self.example}": no sign or exponent, '
            f"at most {self.places} decimal places{more}, {most}"
        )

    def check(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return value
        if not isinstance(value, str):
            raise ValueError(f"send {self.rule()} (a JSON number would pass through a float)")
        if not _compiled(self.regex).fullmatch(value):
            raise ValueError(f"must be {self.rule()}")
        return Decimal(value)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        if handler.mode != "validation":
            return handler(schema)
        doc: dict[str, Any] = {"type": "string", "pattern": self.regex, "examples": [self.example]}
        if self.description:
            doc["description"] = self.description
        return doc


@lru_cache
def _compiled(regex: str) -> re.Pattern[str]:
    return re.compile(regex)
