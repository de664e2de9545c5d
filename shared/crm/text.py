"""Name normalisation: the one rule that decides when two spellings are the same name.

Distributors write names with full-width digits and brackets, stray spaces and mixed case;
duplicate checks, alias uniqueness and flow matching all compare the normalised form.
"""

import re
import unicodedata

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
    tails = [norm[m.end():] for m in _PLACE_ENDS.finditer(norm)]
    return [t for t in tails if len(t) >= 2][:MAX_NAME_PARTS]


# Cells of a report a spreadsheet would run as a formula (OWASP CSV injection) start with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Text that a spreadsheet would evaluate becomes inert text; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
