"""List export (crm.exports): 50,000 customers written to XLSX and CSV the way the export worker writes them (a
page of 200 models at a time, mapped to rows and streamed to disk), against holding all 50,000 models first, and
against the csv module writing the same rows bare. Peak memory is tracemalloc's (Python allocations, openpyxl's
included), measured on MEMORY_ROWS because tracemalloc slows openpyxl several times over; time is wall clock on
all ROWS, without tracemalloc. The DynamoDB reads are not in it: they are the list route's own, page by page."""

import csv
import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from crm.customers.model import Customer
from crm.exports.lists import LISTS, PAGE_SIZE
from crm.exports.writer import write_csv, write_xlsx

ROWS = 50_000
MEMORY_ROWS = 10_000
EXPORT = LISTS["customers"]
NOW = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


def customer(i: int) -> Customer:
    return Customer(
        id=f"01JBX5G4Y2Q8ZK7M3N6P{i:06d}",
        tenant_id="t-bench",
        name=f"杭州市西湖区仁和药店{i}",
        type="terminal",
        profile={"type": "terminal", "kind": "pharmacy"},
        status="active",
        level="ABCD"[i % 4],
        region={"province": "浙江", "city": "杭州", "county": "西湖区"},
        address=f"文三路{i}号" if i % 97 else "=HYPERLINK(1)",
        aliases=[f"仁和{i}"],
        owner_id="u-rep-zhang",
        org_unit_id="EAST-RX",
        org_path="/HQ/EAST/EAST-RX/",
        created_at=NOW,
        created_by="u-admin",
        updated_at=NOW,
        updated_by="u-admin",
    )


def streamed(n: int) -> Iterator[list[list[Any]]]:
    """As the worker does: one page of models alive at a time."""
    for start in range(0, n, PAGE_SIZE):
        yield [EXPORT.row(customer(i)) for i in range(start, min(start + PAGE_SIZE, n))]


def held(n: int) -> Iterator[list[list[Any]]]:
    """Every model read first, then written."""
    everyone = [customer(i) for i in range(n)]
    yield [EXPORT.row(c) for c in everyone]


def bare_csv(path: str, n: int) -> int:
    rows = [EXPORT.row(customer(i)) for i in range(n)]
    with open(path, "w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    return len(rows)


def _once(write: Callable[[str, int], int], suffix: str, n: int, traced: bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, f"out{suffix}")
        if traced:
            tracemalloc.start()
        started = time.perf_counter()
        rows = write(path, n)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else 0.0
        tracemalloc.stop()
    assert rows == n, (write, rows)
    return seconds, peak


def measure(label: str, write: Callable[[str, int], int], suffix: str) -> tuple[float, float]:
    seconds, _ = _once(write, suffix, ROWS, traced=False)
    _, peak = _once(write, suffix, MEMORY_ROWS, traced=True)
    print(f"  {label:<44} {seconds:6.2f} s  {ROWS / seconds:8,.0f} rows/s  peak at {MEMORY_ROWS:,} rows {peak:6.1f} MB")
    return seconds, peak


def run() -> None:
    print(f"List export: {ROWS:,} customers, {len(EXPORT.headers)} columns")
    headers, title = EXPORT.headers, EXPORT.title
    base_s, base_mb = measure("baseline: csv module, rows held, no checks", bare_csv, ".csv")
    csv_s, csv_mb = measure(
        "CSV, streamed a page at a time (the worker)", lambda p, n: write_csv(p, headers, streamed(n)), ".csv"
    )
    xlsx_s, xlsx_mb = measure(
        "XLSX, streamed a page at a time (the worker)", lambda p, n: write_xlsx(p, title, headers, streamed(n)), ".xlsx"
    )
    _, held_mb = measure("XLSX, every model held first", lambda p, n: write_xlsx(p, title, headers, held(n)), ".xlsx")
    print(
        f"  ratios: CSV time {csv_s / base_s:.2f}× the bare csv module (target ≤ 3×), "
        f"XLSX {xlsx_s / base_s:.2f}×; peak memory streamed / held {xlsx_mb / held_mb:.2f} (target ≤ 0.25), "
        f"CSV streamed / bare {csv_mb / base_mb:.2f}"
    )
