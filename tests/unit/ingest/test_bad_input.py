"""Hostile or broken uploads end as a rejected result with a reason, never as an exception."""

import io
import zipfile

import pytest
from crm.ingest.model import Limits

from .conftest import Ingest
from .test_layouts import workbook_bytes

GOOD = "销售日期,商品编码,数量,单位,客户名称\n2026-10-01,P1001,1,盒,南京市鼓楼区恒安医院\n"


def rejected_code(ingest: Ingest, data: bytes, name: str = "flow.csv", **kwargs: object) -> str:
    result = ingest(data, name=name, **kwargs)
    assert result.status == "rejected"
    assert result.rejection is not None and result.rejection.message
    assert result.lines.num_rows == 0
    return result.rejection.code


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", "\ufeff".encode()], ids=["empty", "blank", "bom-only"])
def test_empty(ingest: Ingest, data: bytes) -> None:
    assert rejected_code(ingest, data) in {"empty file", "missing columns"}


def test_binary_garbage(ingest: Ingest) -> None:
    garbage = bytes(range(256)) * 64
    assert rejected_code(ingest, garbage) == "binary file"


def test_garbage_without_nul_bytes(ingest: Ingest) -> None:
    garbage = bytes((i * 37 + 11) % 255 + 1 for i in range(20000))
    assert rejected_code(ingest, garbage) in {"binary file", "unknown or wrong text encoding"}


def test_wrong_encoding_against_template(ingest: Ingest) -> None:
    from crm.ingest.mapping import MappingTemplate

    code = rejected_code(ingest, GOOD.encode("gbk"), template=MappingTemplate(encoding="utf-8"))
    assert code == "unknown or wrong text encoding"


def test_gbk_is_read_when_auto(ingest: Ingest) -> None:
    assert ingest(GOOD.encode("gbk")).valid_rows == 1


def test_byte_limit(ingest: Ingest) -> None:
    assert rejected_code(ingest, GOOD.encode(), limits=Limits(max_bytes=20)) == "file too large"


def test_row_limit(ingest: Ingest) -> None:
    data = (GOOD + "2026-10-01,P1001,1,盒,x\n" * 50).encode()
    assert rejected_code(ingest, data, limits=Limits(max_rows=10)) == "too many rows"


def test_zip_bomb_disguised_as_xlsx(ingest: Ingest) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 5_000_000)  # ~5 KB packed, 5 MB unpacked
    data = buffer.getvalue()
    assert len(data) < 50_000
    limits = Limits(max_uncompressed_bytes=1_000_000)
    assert rejected_code(ingest, data, name="flow.xlsx", limits=limits) == "xlsx uncompressed size over limit"


def test_damaged_and_foreign_zips(ingest: Ingest) -> None:
    assert rejected_code(ingest, b"PK\x03\x04" + b"\x00" * 100, name="f.xlsx") == "invalid xlsx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    assert rejected_code(ingest, buffer.getvalue(), name="f.xlsx") == "invalid xlsx"


def with_member(workbook: bytes, name: str, content: bytes) -> bytes:
    """The workbook with one part replaced (a valid zip holding a broken part)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info.filename, content if info.filename == name else source.read(info.filename))
    return buffer.getvalue()


def test_a_sheet_damaged_past_its_first_bytes_is_an_invalid_xlsx(ingest: Ingest) -> None:
    # The zip and the workbook open; the sheet's XML breaks only as its rows are read
    good = workbook_bytes({"流向": [["销售日期", "商品编码", "数量", "客户名称"], ["2026-10-01", "P1001", 1, "x"]]})
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        sheet = next(n for n in archive.namelist() if n.startswith("xl/worksheets/"))
        xml = archive.read(sheet)
    damaged = with_member(good, sheet, xml[: len(xml) // 2] + b'<row r="9"><c></row>')
    result = ingest(damaged, name="flow.xlsx")
    assert (result.status, result.rejection.code) == ("rejected", "invalid xlsx")
    assert "damaged" in result.rejection.message and "流向" in result.rejection.message


def test_a_zip_of_a_version_python_cannot_read_is_an_invalid_xlsx(ingest: Ingest) -> None:
    data = bytearray(workbook_bytes({"流向": [["销售日期"]]}))
    central = data.rfind(b"PK\x01\x02")  # the last central directory entry: "version needed" at +6
    data[central + 6 : central + 8] = (65).to_bytes(2, "little")  # 6.5: zipfile raises NotImplementedError
    assert rejected_code(ingest, bytes(data), name="f.xlsx") == "invalid xlsx"


def test_legacy_xls(ingest: Ingest) -> None:
    assert (
        rejected_code(ingest, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, name="f.xls")
        == "unsupported file type"
    )


def test_formulas_in_xlsx(ingest: Ingest) -> None:
    data = workbook_bytes(
        {"s": [["销售日期", "商品编码", "数量", "单位", "客户名称"], ["2026-10-01", "P1001", "=1+1", "盒", "x"]]}
    )
    result = ingest(data, name="flow.xlsx")
    assert result.status == "rejected" and result.rejection is not None
    assert result.rejection.code == "formulas not allowed"
    assert result.rejection.detail == {"sheet": "s", "row": 2}


def test_header_only(ingest: Ingest) -> None:
    assert rejected_code(ingest, GOOD.splitlines()[0].encode()) == "no data rows"


def test_unbalanced_quote_is_not_an_exception(ingest: Ingest) -> None:
    data = (GOOD + '2026-10-02,P1001,"1,盒,x\n').encode()
    result = ingest(data, limits=Limits(max_field_chars=5))
    assert result.status == "rejected"


def test_named_sheet_missing(ingest: Ingest) -> None:
    from crm.ingest.mapping import MappingTemplate

    data = workbook_bytes({"s": [["销售日期"]]})
    assert rejected_code(ingest, data, name="f.xlsx", template=MappingTemplate(sheet="明细")) == "sheet not found"
