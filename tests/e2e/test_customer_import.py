"""Customer archive imports through the real path: an upload form from the API, the file POSTed into the local
bucket, the S3 event, CustomerImportFunction, the customers read back through the API and the error report
downloaded through its presigned link."""

import csv
import io
import time
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
import requests
from localcloud import LocalCloud

from tests.conftest import TEMPLATE
from tests.e2e.conftest import Client, World, new_tenant, terminal
from tests.e2e.uploads import is_sigv4, sent

HEADER = ["客户名称 name", "客户类型 type", "ERP编码 code", "等级 level", "负责人账号 owner username", "别名 aliases"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("客户")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[Any]], header: list[str], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode(encoding)


def start(client: Client, file_name: str, data: bytes, **request: Any) -> str:
    ticket = client.post("/customer-imports", {"file_name": file_name, **request})
    assert ticket.status_code == 201, ticket.text
    assert ticket.headers["Location"] == f"/customer-imports/{ticket.json()['import_id']}"
    assert ticket.json()["key"].startswith("imports/customers/")
    sent(ticket.json(), data)
    return str(ticket.json()["import_id"])


def finished(client: Client, import_id: str, deadline_s: float = 600) -> dict[str, Any]:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        r = client.get(f"/customer-imports/{import_id}")
        assert r.status_code == 200, r.text
        if r.json()["status"] not in ("awaiting_upload", "processing", "writing"):
            return dict(r.json())
        time.sleep(0.5)
    raise AssertionError(f"import {import_id} did not finish in {deadline_s}s")


def imported(client: Client, file_name: str, data: bytes, **request: Any) -> dict[str, Any]:
    return finished(client, start(client, file_name, data, **request))


def report(result: dict[str, Any]) -> dict[int, list[list[str]]]:
    """Report lines by the file's line number."""
    url = result["error_report"]["csv"]
    assert is_sigv4(url)
    r = requests.get(url, timeout=60)
    assert r.status_code == 200
    by_line: dict[int, list[list[str]]] = {}
    for row in list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))[1:]:
        by_line.setdefault(int(row[1]), []).append(row)
    return by_line


def find(client: Client, text: str) -> list[dict[str, Any]]:
    r = client.get("/customers", params={"q": text, "limit": 50})
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def by_code(client: Client, code: str) -> dict[str, Any] | None:
    hits = [c for c in find(client, code) if c.get("code") == code]
    assert len(hits) <= 1
    return hits[0] if hits else None


def count_customers(client: Client) -> int:
    total, cursor = 0, None
    while True:
        r = client.get("/customers", params={"limit": 200, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        total += len(r.json()["items"])
        cursor = r.json()["next_cursor"]
        if not cursor:
            return total


def created(client: Client, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/customers", body)
    assert r.status_code == 201, r.text
    return dict(r.json())


# ------------------------------------------------------------------ 5,000 rows, 30 bad, 10 duplicates

BAD_ROWS = [  # (row, what the report names)
    (["", "终端", None, "B", "", ""], "客户名称 name"),  # no name
    (["坏行药店", "", None, "B", "", ""], "客户类型 type"),  # no type
    (["坏行药店", "医院集团", None, "B", "", ""], "客户类型 type"),  # not a type
    (["坏行药店", "终端", None, "E", "", ""], "等级 level"),  # not a level
    (["坏行药店", "终端", None, "B", "nobody.here", ""], "负责人账号 owner username"),  # unknown user
]


# The file: 5,000 rows. It runs on a system of its own whose table is DynamoDB Local (AWS's engine):
# moto walks the whole table for every index query, so thousands of customers make each write slower than the last.
BIG_ROWS = 5000


@pytest.fixture
def big_world(mint_token: Any) -> Iterator[World]:
    """The template on its own ports with the table in DynamoDB Local (in memory); the demo org as a new tenant."""
    rows_per_run = {"CustomerImportFunction": {"CUSTOMER_IMPORT_ROWS_PER_INVOCATION": "2000"}}  # 3 runs in turn
    big = LocalCloud(TEMPLATE, api_port=0, stack_name="crm-big", dynamodb_local=True, environment=rows_per_run)
    with big.start():
        yield World(new_tenant(big), big.api_url, mint_token)


def big_file(archive_names: list[str], archive_alias: str, n: int = BIG_ROWS) -> tuple[bytes, set[int], set[int]]:
    """n rows: n - 40 good, 30 bad, 10 duplicates (5 with the archive, 5 with rows before). Returns the file
    and the file lines of the bad and of the duplicate rows."""
    rows: list[list[Any]] = []
    bad_lines, dup_lines = set(), set()
    for i in range(n):
        line = i + 2
        if i % (n // 30) == 7 and len(bad_lines) < 30:
            template, _ = BAD_ROWS[len(bad_lines) % len(BAD_ROWS)]
            rows.append([template[0] and f"{template[0]}{i}", template[1], f"B{i:05d}", *template[3:]])
            bad_lines.add(line)
        elif i % (n // 10) == n // 20:  # 10 rows: the even ones collide with the archive, the odd ones with row 1..5
            k = len(dup_lines)
            name = archive_names[k // 2] if k % 2 == 0 else f"大表药店{k * 2:05d}"
            aliases = archive_alias if k == 8 else ""
            rows.append([name if k != 8 else f"别名撞档案药店{i}", "终端", f"D{i:05d}", "C", "", aliases])
            dup_lines.add(line)
        else:
            rows.append([f"大表药店{i:05d}", "终端", f"C{i:05d}", "B", "rep.zhang" if i % 2 else "", ""])
    header = [*HEADER, "类别 kind"]
    return xlsx([[*r, "药店"] for r in rows], header), bad_lines, dup_lines


def test_5000_rows_xlsx_all_or_nothing_writes_none_and_apply_good_rows_writes_the_others(big_world: World):
    admin = big_world.as_user("admin")
    archive = [created(admin, terminal(f"档案药店{k}", aliases=[f"档案别名{k}"] if k == 0 else [])) for k in range(5)]
    data, bad_lines, dup_lines = big_file([c["name"] for c in archive], "档案别名0")
    assert len(bad_lines) == 30 and len(dup_lines) == 10

    refused = imported(admin, "客户档案.xlsx", data, mode="all_or_nothing")
    assert refused["status"] == "rejected" and refused["mode"] == "all_or_nothing"
    assert (refused["rows"], refused["valid"], refused["rejected"], refused["duplicates"]) == (
        BIG_ROWS,
        BIG_ROWS - 40,
        40,
        10,
    )
    assert (refused["created"], refused["updated"]) == (0, 0)
    assert "nothing was written" in refused["outcome"] and refused["rejection"]["code"] == "bad_rows"
    assert by_code(admin, "C00000") is None and count_customers(admin) == 5

    result = imported(admin, "客户档案.xlsx", data, mode="apply_good_rows")
    assert result["status"] == "completed_with_errors" and result["mode"] == "apply_good_rows", result
    assert (result["rows"], result["created"], result["updated"], result["rejected"]) == (
        BIG_ROWS,
        BIG_ROWS - 40,
        0,
        40,
    )
    assert f"{BIG_ROWS - 40} created" in result["outcome"]
    assert result["runs"] == 3  # 4,960 rows, 2,000 a run: each run handed the rest to the next
    lines = report(result)
    assert set(lines) == bad_lines | dup_lines
    for line in dup_lines:
        reason = lines[line][0][4]
        assert reason.startswith("duplicate: collides with"), reason
    archive_dup = lines[min(dup_lines)][0][4]  # the first collides with the archive: the candidate is named
    assert archive[0]["id"] in archive_dup and "档案药店0" in archive_dup
    in_file_dup = sorted(dup_lines)[1]
    assert "of this file" in lines[in_file_dup][0][4]
    assert count_customers(admin) == 5 + BIG_ROWS - 40
    first = by_code(admin, "C00001")
    assert first is not None and first["owner_id"] == "u-rep-zhang" and first["level"] == "B"
    assert first["org_unit_id"] == "EAST-RX"  # the owner's unit
    assert admin.get(f"/customers/{first['id']}/history").json()["items"][0]["action"] == "create"
    assert by_code(admin, f"D{BIG_ROWS // 20:05d}") is None  # a duplicate, not written


# ------------------------------------------------------------------ dry run, apply, upsert, references

FULL_HEADER = [
    "客户名称",
    "客户类型",
    "ERP编码",
    "等级",
    "等级生效日期",
    "负责人账号",
    "上游ERP编码",
    "别名",
    "联系人",
    "经销商级别",
    "类别",
    "地址",
    "城市",
    "仍然创建",
]


def test_dry_run_writes_nothing_then_apply_writes_without_a_second_upload(world: World):
    admin = world.as_user("admin")
    rows = [
        ["苏州一号医药", "经销商", "DIST-1", "A", "2024-03-01", "", "", "", "", "一级", "", "", "苏州", ""],
        [
            "姑苏仁和药店",
            "终端",
            "T-1",
            "",
            "",
            "rep.liu",
            "DIST-1",
            "仁和(姑苏)",
            "王店长|店长|13800000001",
            "",
            "药店",
            "",
            "",
            "",
        ],
    ]
    import_id = start(admin, "客户.csv", csv_bytes(rows, FULL_HEADER, "gbk"), dry_run=True)
    dry = finished(admin, import_id)
    assert dry["status"] == "validated" and dry["dry_run"] is True, dry
    assert (dry["rows"], dry["valid"], dry["to_create"], dry["rejected"], dry["created"]) == (2, 2, 2, 0, 0)
    assert dry["outcome"].startswith("Dry run: nothing was written")
    assert by_code(admin, "DIST-1") is None

    applied = admin.post(f"/customer-imports/{import_id}/apply", {})
    assert applied.status_code == 202, applied.text
    done = finished(admin, import_id)
    assert done["status"] == "completed" and (done["created"], done["rejected"]) == (2, 0), done
    dist, shop = by_code(admin, "DIST-1"), by_code(admin, "T-1")
    assert dist and shop
    assert dist["profile"]["tier"] == "tier1" and dist["region"]["city"] == "苏州"
    assert admin.get(f"/customers/{dist['id']}/levels").json()["items"][0]["effective_from"] == "2024-03-01"
    assert shop["upstream_id"] == dist["id"] and shop["owner_id"] == "u-rep-liu"
    assert shop["aliases"] == ["仁和(姑苏)"]
    contact = {"name": "王店长", "role": "店长", "phones": ["13800000001"], "birthday": None, "notes": None}
    assert shop["contacts"] == [contact]
    again = admin.post(f"/customer-imports/{import_id}/apply", {})
    assert again.status_code == 409, again.text


def test_upsert_by_code_updates_with_an_audit_entry_and_create_anyway(world: World):
    admin = world.as_user("admin")
    old = created(admin, terminal("老店名药房", code="UP-1", address="旧地址"))
    namesake = created(admin, terminal("同名药店"))
    rows = [
        ["新店名药房", "终端", "UP-1", "", "", "", "", "", "", "", "药店", "新地址", "", ""],
        ["同名药店", "终端", "NEW-1", "", "", "", "", "", "", "", "药店", "", "", "是"],
        ["同名药店", "终端", "NEW-2", "", "", "", "", "", "", "", "药店", "", "", ""],
    ]
    result = imported(admin, "客户.xlsx", xlsx(rows, FULL_HEADER), mode="apply_good_rows")
    assert result["status"] == "completed_with_errors", result
    assert (result["created"], result["updated"], result["rejected"], result["duplicates"]) == (1, 1, 1, 1)
    after = admin.get(f"/customers/{old['id']}").json()
    assert (after["name"], after["address"], after["version"]) == ("新店名药房", "新地址", 2)
    entry = admin.get(f"/customers/{old['id']}/history").json()["items"][0]
    assert entry["action"] == "update" and entry["changes"]["address"] == {"before": "旧地址", "after": "新地址"}
    twin = by_code(admin, "NEW-1")
    assert twin is not None and twin["name"] == "同名药店" and twin["id"] != namesake["id"]
    assert by_code(admin, "NEW-2") is None
    assert namesake["id"] in report(result)[4][0][4]

    again = imported(admin, "客户.xlsx", xlsx(rows[:1], FULL_HEADER), mode="all_or_nothing")
    assert (again["status"], again["updated"], again["unchanged"]) == ("completed", 0, 1)  # nothing changed
    assert admin.get(f"/customers/{old['id']}").json()["version"] == 2


def test_who_may_import_and_in_which_part_of_the_tree(world: World):
    rep = world.as_user("rep.zhang")
    assert rep.post("/customer-imports", {"file_name": "c.xlsx"}).status_code == 403
    south = world.as_user("south.head")
    rows = [
        ["华南药店", "终端", "S-1", "", "", "rep.lin", "", "", "", "", "药店", "", "", ""],
        ["越界药店", "终端", "S-2", "", "", "rep.zhang", "", "", "", "", "药店", "", "", ""],
    ]
    result = imported(south, "c.xlsx", xlsx(rows, FULL_HEADER), mode="apply_good_rows")
    assert (result["created"], result["rejected"]) == (1, 1), result
    assert "outside your scope" in report(result)[3][0][4]
    assert world.as_user("admin").get(f"/customer-imports/{start(south, 'x.csv', b'a,b')}").status_code == 200
    assert world.as_user("east.head").get(f"/customer-imports/{result['id']}").status_code == 404


def test_template_round_trips_and_a_file_that_is_not_a_table_is_refused(world: World):
    admin = world.as_user("admin")
    for fmt in ("xlsx", "csv"):
        r = admin.get("/customer-imports/template", params={"format": fmt}, headers={"Accept": XLSX_TYPE})
        assert r.status_code == 200, r.text
        assert r.headers["Content-Disposition"] == f'attachment; filename="customer-import-template.{fmt}"'
        result = imported(admin, f"template.{fmt}", r.content)
        # the CSV's example row is the XLSX's: read alike, it finds the customer by its code and changes nothing
        assert (result["status"], result["created"], result["unchanged"]) == (
            ("completed", 1, 0) if fmt == "xlsx" else ("completed", 0, 1)
        ), result
        shop = by_code(admin, "C10001")
        assert shop is not None and shop["profile"]["kind"] == "pharmacy" and shop["level"] == "B"
        assert shop["aliases"] == ["仁和药店(姑苏)", "姑苏仁和"] and shop["contacts"][0]["role"] == "店长"
        levels = admin.get(f"/customers/{shop['id']}/levels").json()["items"]
        assert levels[0]["effective_from"] == "2024-01-01"
    png = imported(admin, "photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    assert png["status"] == "rejected" and png["rejection"]["message"], png
    no_header = imported(admin, "c.csv", b"foo,bar\n1,2\n")
    assert no_header["status"] == "rejected" and "客户名称 name" in no_header["rejection"]["message"]
