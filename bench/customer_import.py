"""Customer archive import (crm.customers.importer): ROWS customers in one XLSX file, checked (read, validated,
names against the archive and the file) and written one customer a transaction as CustomerImportFunction does,
against DynamoDB Local. Baseline, in the same run: the same customers created one by one through
CustomerService.create (what a client POSTing each would cost, without HTTP). Prints rows per second, DynamoDB
write units per row (ConsumedCapacity, as DynamoDB Local reports it) and the process's peak memory (max RSS).

`BENCH_CUSTOMER_IMPORT_ROWS=2000 python -m bench.customer_import` runs a smaller file."""

import io
import os
import resource
import time
import uuid
from typing import Any

from bench import ddblocal
from bench.warm_api import Capacity

ROWS = int(os.environ.get("BENCH_CUSTOMER_IMPORT_ROWS", "50000"))
HEADER = ["客户名称 name", "客户类型 type", "ERP编码 code", "等级 level", "城市 city", "别名 aliases", "类别 kind"]


def the_file(n: int, prefix: str) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("客户")
    sheet.append(HEADER)
    for i in range(n):
        sheet.append(
            [f"{prefix}仁和药店{i:06d}", "终端", f"{prefix}{i:06d}", "ABCD"[i % 4], "杭州", f"{prefix}仁和{i}", "药店"]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed(tenant: str) -> Any:
    from crm.auth import Principal, Role
    from crm.org import directory

    for unit, name, kind, parent in (("HQ", "总部", "hq", None), ("EAST", "华东", "branch", "HQ")):
        directory.save_unit(tenant, unit, name, kind, parent)
    directory.save_user(tenant, "admin", name="admin", username="admin", org_unit_id="HQ", roles=["hq_admin"])
    return Principal(tenant, "admin", "HQ", frozenset({Role.HQ_ADMIN}))


def writes(capacity: Capacity) -> tuple[float, int]:
    _, wcu, calls = capacity.take()
    return wcu or 0.0, calls


def imported(capacity: Capacity, n: int) -> dict[str, float]:
    from crm.customers import importer
    from crm.customers.service import CustomerService

    principal = seed(f"t-bench-{uuid.uuid4().hex[:6]}")
    data = the_file(n, "I")
    capacity.take()
    started = time.perf_counter()
    checked = importer.check(principal, data, "customers.xlsx")
    check_s = time.perf_counter() - started
    check_mb = peak_mb()
    assert len(checked.staged) == n and not checked.errors, checked.errors[:3]
    service, summary = CustomerService(principal), {}
    for row in checked.staged:
        assert importer._write_row(service, row, summary, resumed=False) is None
    total_s = time.perf_counter() - started
    wcu, _ = writes(capacity)
    assert summary == {"created": n}, summary
    return {"check_s": check_s, "total_s": total_s, "wcu": wcu, "check_mb": check_mb, "peak_mb": peak_mb()}


def one_by_one(capacity: Capacity, n: int) -> dict[str, float]:
    from crm.customers.model import CustomerCreate
    from crm.customers.service import CustomerService

    service = CustomerService(seed(f"t-bench-{uuid.uuid4().hex[:6]}"))
    capacity.take()
    started = time.perf_counter()
    for i in range(n):
        body = {
            "name": f"B仁和药店{i:06d}",
            "profile": {"type": "terminal", "kind": "pharmacy"},
            "code": f"B{i:06d}",
            "level": "ABCD"[i % 4],
            "region": {"city": "杭州"},
            "aliases": [f"B仁和{i}"],
        }
        service.create(CustomerCreate.model_validate(body))
    seconds = time.perf_counter() - started
    wcu, _ = writes(capacity)
    return {"total_s": seconds, "wcu": wcu}


def run() -> None:
    reason = ddblocal.unavailable_reason()
    if reason:
        print(f"Customer import: skipped ({reason})")
        return
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        os.environ[name] = value
    os.environ.pop("AWS_PROFILE", None)
    capacity = Capacity()
    capacity.install()
    import boto3
    from crm.db.base import bind_table

    with ddblocal.serving() as endpoint:
        table = f"crm-bench-{uuid.uuid4().hex[:8]}"
        ddblocal.create_table(boto3.client("dynamodb", endpoint_url=endpoint), table)
        bind_table(table)
        before_mb = peak_mb()
        base = one_by_one(capacity, ROWS)
        got = imported(capacity, ROWS)
    print(f"Customer import: {ROWS:,} customers in one XLSX (DynamoDB Local)")
    print(
        f"  baseline: CustomerService.create one by one  {base['total_s']:7.1f} s  "
        f"{ROWS / base['total_s']:7,.0f} rows/s"
        f"  {base['wcu'] / ROWS:5.1f} WCU/row"
    )
    print(
        f"  import: check (read, validate, names)        {got['check_s']:7.1f} s  {ROWS / got['check_s']:7,.0f} rows/s"
    )
    print(
        f"  import: check + write                        {got['total_s']:7.1f} s  {ROWS / got['total_s']:7,.0f} rows/s"
        f"  {got['wcu'] / ROWS:5.1f} WCU/row"
    )
    print(
        f"  peak memory (max RSS): {before_mb:.0f} MB before, {got['check_mb']:.0f} MB after the check, "
        f"{got['peak_mb']:.0f} MB at the end"
    )
    print(
        f"  ratios: import time {got['total_s'] / base['total_s']:.2f}× one by one, write units "
        f"{got['wcu'] / max(base['wcu'], 1e-9):.2f}× one by one"
    )


if __name__ == "__main__":
    run()
