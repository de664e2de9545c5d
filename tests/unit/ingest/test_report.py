"""Error reports: CSV and XLSX round trips, formula cells neutralised, no row cap."""

import csv
import io

import openpyxl
import pyarrow as pa
from crm.ingest.model import ERRORS_SCHEMA
from crm.ingest.report import errors_csv_bytes, errors_xlsx_bytes, neutralise

from .conftest import Ingest

DATA = (
    "销售日期,商品编码,数量,单位,客户名称\n"
    '2026-10-01,P1001,=HYPERLINK("http://x"),盒,南京市鼓楼区恒安医院\n'
    "2026-10-02,P1001,1,盒,@SUM(A1)\n"
    "2026-10-03,X1,-5,盒,南京市鼓楼区恒安医院\n"
).encode()


def test_neutralise() -> None:
    for bad in ("=1+1", "+1", "-1", "@x", "\tx", "\rx"):
        assert neutralise(bad) == "'" + bad
    assert neutralise("康宁诊所") == "康宁诊所"
    assert neutralise(3) == 3


def test_csv_round_trip(ingest: Ingest) -> None:
    result = ingest(DATA)
    assert [(e["row"], e["reason"]) for e in result.errors.to_pylist()] == [
        (1, "quantity not a number"),
        (3, "unknown product"),
    ]
    text = errors_csv_bytes(result.errors).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0].endswith("row") and len(rows) == 3
    assert rows[1] == ["1", "2", "数量", '\'=HYPERLINK("http://x")', "quantity not a number"]
    assert rows[2] == ["3", "4", "商品编码", "X1", "unknown product"]


def test_xlsx_round_trip(ingest: Ingest) -> None:
    result = ingest(DATA)
    workbook = openpyxl.load_workbook(io.BytesIO(errors_xlsx_bytes(result.errors)))
    sheet = workbook["errors"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[1] == [1, 2, "数量", '\'=HYPERLINK("http://x")', "quantity not a number"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_more_rows_than_one_batch() -> None:
    n = 25_001
    errors = pa.table(
        {
            "row": pa.array(range(1, n + 1), pa.int32()),
            "line": pa.array(range(2, n + 2), pa.int32()),
            "column": pa.repeat(pa.scalar("数量"), n),
            "value": pa.repeat(pa.scalar("-"), n),
            "reason": pa.repeat(pa.scalar("quantity not a number"), n),
        },
        schema=ERRORS_SCHEMA,
    )
    rows = list(csv.reader(io.StringIO(errors_csv_bytes(errors).decode("utf-8-sig"))))
    assert len(rows) == n + 1 and rows[-1][0] == str(n) and rows[-1][3] == "'-"
