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


# Cells of a report a spreadsheet would run as a formula (OWASP CSV injection) start with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Text that a spreadsheet would evaluate becomes inert text; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
