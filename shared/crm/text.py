"""Name normalisation: the one rule that decides when two spellings are the same name.

Distributors write names with full-width digits and brackets, stray spaces and mixed case;
duplicate checks, alias uniqueness and flow matching all compare the normalised form.
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

# Brackets are dropped, not kept: "康宁诊所(西湖店)" and "康宁诊所西湖店" are one name.
_DROP = re.compile(r"[\s()\[\]{}<>【】〔〕〈〉《》「」·•.,，。、'\"“”‘’_\-—–]+")


def normalize_name(name: str) -> str:
    """Full-width → half-width (NFKC), then brackets, spaces and punctuation dropped, lower case."""
    text = unicodedata.normalize("NFKC", name)
    return _DROP.sub("", text).casefold()


# Where a place name ends in a customer name: 浙江省, 杭州市, 西湖区, 桐庐县, 瓶窑镇. What follows is what people type.
_PLACE_ENDS = re.compile(r"[省市区县镇]")
MAX_NAME_PARTS = 4


def name_parts(norm: str) -> list[str]:
    """The tails of a normalised name after each place in it (at most MAX_NAME_PARTS, each at least two
    characters): 杭州市西湖区同仁药店 → 西湖区同仁药店, 同仁药店. A 区 inside a word (社区) makes a tail too; an
    extra tail only makes the name easier to find."""
    tails = [norm[m.end() :] for m in _PLACE_ENDS.finditer(norm)]
    return [t for t in tails if len(t) >= 2][:MAX_NAME_PARTS]


# Cells of a report a spreadsheet would run as a formula (OWASP CSV injection) start with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What no XLSX cell can hold (XML 1.0 has no such characters: openpyxl raises IllegalCharacterError) nor any UTF-8
# file (lone surrogates). Text stored before control characters were refused, and the raw values of a
# distributor's file in its error report, may have them.
_NOT_IN_CELLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def neutralise(value: object) -> object:
    """Every text cell of every export (XLSX or CSV) goes through here: characters a cell cannot hold become
    U+FFFD, text that a spreadsheet would evaluate becomes inert text; numbers stay numbers."""
    if not isinstance(value, str):
        return value
    value = _NOT_IN_CELLS.sub("\ufffd", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


# Control characters (Unicode Cc; pydantic refuses lone surrogates itself): invisible, impossible in a report, and
# no name or note needs one. Multi-line text (notes, remarks) keeps tabs and line breaks.
SINGLE_LINE = r"^[^\x00-\x1f\x7f-\x9f]*$"
MULTI_LINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"


_ALLOWED = {SINGLE_LINE: re.compile(SINGLE_LINE), MULTI_LINE: re.compile(MULTI_LINE)}
# The validation context of a record read back from the table (Model.model_validate(data, context=STORED)): text
# stored before control characters were refused stays readable, and editable in its other fields.
STORED = {"stored": True}


@dataclass(frozen=True)
class FreeText:
    """Annotated[str, FreeText(200)]: the type of every stored free-text field a request carries (names, addresses,
    reasons, comments, notes): stripped of surrounding whitespace (unless strip=False), bounded, and without
    control characters. The document's schema carries the same pattern the server checks."""

    max_length: int
    min_length: int = 0
    multiline: bool = False
    strip: bool = True

    @property
    def pattern(self) -> str:
        return MULTI_LINE if self.multiline else SINGLE_LINE

    def check(self, value: str, info: core_schema.ValidationInfo) -> str:
        if not _ALLOWED[self.pattern].fullmatch(value) and not (info.context or {}).get("stored"):
            raise PydanticCustomError("control_character", "Must not contain control characters")
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        text = core_schema.str_schema(
            strip_whitespace=self.strip, min_length=self.min_length or None, max_length=self.max_length
        )
        return core_schema.with_info_after_validator_function(self.check, text)

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        doc = handler(schema)
        doc["pattern"] = self.pattern
        return doc
