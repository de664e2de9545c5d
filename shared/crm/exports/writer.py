"""Rows to a file on local disk, a page at a time: only one page of records is held at once, and openpyxl's
write-only mode streams each row to disk too (openpyxl is imported by the worker only)."""

import csv
from collections.abc import Iterable
from typing import IO, Any

from crm.text import neutralise


def _cells(row: list[Any]) -> list[Any]:
    return [neutralise(value) for value in row]


def write_csv(path: str, headers: list[str], pages: Iterable[Iterable[list[Any]]]) -> int:
    """UTF-8 with a BOM: without it Excel reads the Chinese as the local code page."""
    rows = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(_cells(headers))
        for page in pages:
            for row in page:
                writer.writerow(_cells(row))
                rows += 1
    return rows


def write_xlsx(path: str, sheet_title: str, headers: list[str], pages: Iterable[Iterable[list[Any]]]) -> int:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.append(_cells(headers))
    rows = 0
    for page in pages:
        for row in page:
            sheet.append(_cells(row))
            rows += 1
    out: IO[bytes]
    with open(path, "wb") as out:
        workbook.save(out)
    return rows
