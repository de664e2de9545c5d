"""Error reports the uploader downloads: CSV (UTF-8 with BOM, so Excel shows Chinese) and XLSX.

No cap on rows: both writers stream the error table batch by batch. Any cell a spreadsheet would
run as a formula is neutralised with a leading apostrophe (OWASP CSV-injection advice).
"""

import csv
import io
from collections.abc import Iterator
from typing import IO, Any

import pyarrow as pa

from crm.ingest.model import ERRORS_SCHEMA
from crm.text import neutralise

HEADERS = {
    "row": "数据行 row",
    "line": "文件行 line",
    "column": "列 column",
    "value": "值 value",
    "reason": "原因 reason",
}


def report_rows(errors: pa.Table) -> Iterator[list[Any]]:
    yield list(HEADERS.values())
    for batch in errors.select(ERRORS_SCHEMA.names).to_batches(max_chunksize=10_000):
        for record in batch.to_pylist():
            yield [neutralise(record[name]) for name in ERRORS_SCHEMA.names]


def write_errors_csv(errors: pa.Table, stream: IO[bytes]) -> None:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", write_through=True)
    try:
        csv.writer(text).writerows(report_rows(errors))
    finally:
        text.detach()  # leave the caller's stream open


def write_errors_xlsx(errors: pa.Table, stream: IO[bytes]) -> None:
    import openpyxl  # ingest-only dependency

    workbook = openpyxl.Workbook(write_only=True)  # write-only streams rows: memory stays flat
    sheet = workbook.create_sheet("errors")
    for row in report_rows(errors):
        sheet.append(row)
    workbook.save(stream)


def errors_csv_bytes(errors: pa.Table) -> bytes:
    buffer = io.BytesIO()
    write_errors_csv(errors, buffer)
    return buffer.getvalue()


def errors_xlsx_bytes(errors: pa.Table) -> bytes:
    buffer = io.BytesIO()
    write_errors_xlsx(errors, buffer)
    return buffer.getvalue()
