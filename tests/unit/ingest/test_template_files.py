"""Files filled in from our templates (product master, order plan), read by crm.ingest.template: the header
found among title rows, every row below it with its line, however long the workbook."""

import io

import openpyxl
import pytest
from crm.ingest.model import IngestRejected, Limits
from crm.ingest.template import Layout, find_header, rows

LAYOUT = Layout(
    synonyms={"sku": ("商品编码", "SKU"), "name": ("商品名称",), "case_size": ("件装量",)},
    required=("sku", "name"),
    limits=Limits(),
    header_scan=10,
)


def workbook(rows_: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows_:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_every_row_of_a_long_workbook_comes_with_its_line() -> None:
    data = workbook(
        [
            ["商品主数据 2026"],
            ["sku", "商品名称", "件装量"],
            *([f"P{i:04d}", f"药品{i}", 60.0] for i in range(300)),
            [None, None, None],
            ["P9999", "末行", 1],
        ]
    )
    sheet, header = find_header(data, "products.xlsx", LAYOUT, str)
    found = list(rows(sheet, header))
    assert (header.index, header.text("sku")) == (1, "sku")
    assert len(found) == 301 and found[0] == (3, {"sku": "P0000", "name": "药品0", "case_size": "60"})
    assert found[-1] == (304, {"sku": "P9999", "name": "末行", "case_size": "1"})  # line 303 is blank


def test_a_file_without_the_required_headers_says_what_is_missing() -> None:
    with pytest.raises(IngestRejected) as raised:
        find_header(
            workbook([["商品编码", "规格"], ["P1", "10片"]]),
            "p.xlsx",
            LAYOUT,
            lambda missing: f"missing: {', '.join(missing)}",
        )
    assert raised.value.rejection.message == "missing: name"
