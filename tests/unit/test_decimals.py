"""Decimal strings: the pattern the document shows is the rule the server applies, case by case."""

import re
from decimal import Decimal
from typing import Annotated

import pytest
from crm.decimals import DecimalText
from pydantic import TypeAdapter, ValidationError

AMOUNT = DecimalText(2, 16, "1250000.00")
PRICE = DecimalText(4, 12, "12.50", positive=True)
PERCENT = DecimalText(2, 3, "35.5", power_of_ten_max=2)
CASES = [
    "0",
    "0.0",
    "0.00",
    "0.000",
    "0.01",
    "0.0001",
    "0.00001",
    "1",
    "1.",
    ".5",
    "1.5",
    "12.50",
    "12.5000",
    "12.50000",
    "007",
    "-1",
    "+1",
    "1e3",
    "1E+3",
    " 1",
    "1 ",
    "1_000",
    "1,5",
    "NaN",
    "Infinity",
    "100",
    "100.0",
    "100.00",
    "100.01",
    "99.99",
    "101",
    "1000000000000",
    "9999999999999999.99",
    "10000000000000000",
    "١٢",
    "12\n",
    "",
]


@pytest.mark.parametrize("rule", [AMOUNT, PRICE, PERCENT], ids=["amount", "price", "percent"])
def test_the_pattern_is_the_rule(rule: DecimalText) -> None:
    adapter = TypeAdapter(Annotated[Decimal, rule])
    schema = adapter.json_schema(mode="validation")
    assert schema["type"] == "string" and schema["pattern"] == rule.regex
    for text in CASES:
        documented = re.search(rule.regex, text) is not None and "\n" not in text  # ECMA: $ is the very end
        try:
            value = adapter.validate_python(text)
        except ValidationError:
            assert not documented, f"{text!r} matches the documented pattern but was refused"
        else:
            assert documented, f"{text!r} was accepted but the document refuses it"
            assert value == Decimal(text)


def test_bounds_and_places() -> None:
    def ok(rule: DecimalText, text: str) -> bool:
        return re.fullmatch(rule.regex, text) is not None

    assert ok(PERCENT, "100.00") and not ok(PERCENT, "100.01") and ok(PERCENT, "99.99")
    assert not ok(PRICE, "0.0000") and ok(PRICE, "0.0001") and not ok(PRICE, "0.00001")
    assert ok(AMOUNT, "9999999999999999.99") and not ok(AMOUNT, "10000000000000000")


def test_numbers_are_refused_decimals_from_code_pass() -> None:
    adapter = TypeAdapter(Annotated[Decimal, AMOUNT])
    with pytest.raises(ValidationError, match="JSON number"):
        adapter.validate_python(12.5)
    assert adapter.validate_python(Decimal("12.345")) == Decimal("12.345")  # from code, not from a request
