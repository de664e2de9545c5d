"""The column-wise name normalisation is the one rule (crm.text.normalize_name), code point by code point."""

import sys
import unicodedata

import pyarrow as pa
import pyarrow.compute as pc
from crm.ingest.arrow import clean_text, normalize_names
from crm.text import normalize_name

EVERY_CHARACTER = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
CJK_AND_ASCII = [chr(c) for r in ((0x0, 0x80), (0x3000, 0x3040), (0x4E00, 0xA000), (0xFF01, 0xFF5F)) for c in range(*r)]


def test_every_character_alone_normalises_as_the_python_rule() -> None:
    got = normalize_names(pa.array(EVERY_CHARACTER)).to_pylist()
    assert [(c, g) for c, g in zip(EVERY_CHARACTER, got, strict=True) if g != normalize_name(c)] == []


def test_characters_between_others_and_real_names() -> None:
    texts = [f"Ａb{c} ({c})Ｃ" for c in CJK_AND_ASCII] + [f"é{c}İ" for c in CJK_AND_ASCII[:2000]]
    texts += ["杭州市西湖区康宁诊所（西湖店）", " 南京市 鼓楼区恒安医院　", "ＡＢＣ药房【一店】", "", None]
    got = normalize_names(pa.array(texts, pa.string())).to_pylist()
    assert got == [None if t is None else normalize_name(t) for t in texts]


def test_cleaning_skips_nfkc_only_where_it_changes_nothing() -> None:
    """clean_text normalises only text that is not plain ASCII and CJK ideographs: the same as NFKC on all."""
    texts = [*EVERY_CHARACTER, *(f" {c}１（{c}）　" for c in CJK_AND_ASCII[::7]), "杭州市西湖区康宁诊所", "", None]
    column = pa.array(texts, pa.string())
    expected = pc.utf8_trim_whitespace(pc.utf8_normalize(column, form="NFKC"))
    assert clean_text(column).to_pylist() == expected.to_pylist()
    for c in CJK_AND_ASCII:
        if 0x4E00 <= ord(c) < 0xA000 or ord(c) < 0x80:
            assert unicodedata.normalize("NFKC", c) == c


def test_blank_even_as_nfkc() -> None:
    """The buyer check trims names as written, not cleaned: NFKC makes no character whitespace (Arrow's sense,
    what trimming removes) that was not, and none that was visible."""
    column = pa.array(EVERY_CHARACTER)
    blank = pc.equal(pc.utf8_trim_whitespace(column), "")
    assert blank.equals(pc.equal(pc.utf8_trim_whitespace(pc.utf8_normalize(column, form="NFKC")), ""))
