"""Bad flow files through the real path (presigned PUT into the local bucket, S3 event, import function,
GET /flow-loads/{id}): each ends as a clear rejected load with a downloadable report saying what is wrong,
nothing answers 500, and the load accepted earlier for the same distributor and period stays in force."""

import csv
import io
import time
import zipfile

import openpyxl
import pyarrow.parquet as pq
import pytest
import requests
from crm.ids import stable_id
from crm.ingest.model import Limits
from crm.ingest.report import HEADERS
from localcloud import demo
from localcloud.tokens import token_for_demo_user

from tests.e2e.uploads import SIGV4, send, sent

PERIOD = "2028-01"
D001 = stable_id(demo.TENANT, "D001")
USER = "d001"  # the distributor uploads for itself and reads its own loads
HEADER = ["销售日期", "商品编码", "商品名称", "规格", "批号", "数量", "单位", "客户名称", "客户地址"]
TERMINAL = next(r for r in demo.customer_rows() if r["id"] == "T00005")
LIMITS = Limits()  # what the import function applies


def api(cloud, method, path, user=USER, **kw):
    headers = {"Authorization": f"Bearer {token_for_demo_user(user)}"}
    r = requests.request(method, cloud.api_url + path, headers=headers, timeout=60, **kw)
    assert r.status_code < 500, (path, r.status_code, r.text)  # no 500 anywhere
    return r


def upload(cloud, file_name: str, data: bytes, past_the_form: bool = False) -> dict:
    """Through the ticket's form; past_the_form: put straight into the bucket under the ticket's key, as if S3 had
    not applied the form's policy (what the import checks itself)."""
    ticket = api(cloud, "POST", "/flow-uploads", json={"period": PERIOD, "file_name": file_name})
    assert ticket.status_code == 201, ticket.text
    if past_the_form:
        cloud.client("s3").put_object(Bucket=cloud.physical_name("UploadsBucket"), Key=ticket.json()["key"], Body=data)
    else:
        sent(ticket.json(), data)
    end = time.monotonic() + 120
    while time.monotonic() < end:
        load = api(cloud, "GET", f"/flow-loads/{ticket.json()['load_id']}").json()
        if load["status"] not in ("received", "processing", 404):  # 404: the S3 event has not made it yet
            return load
        time.sleep(0.2)
    raise AssertionError(f"{file_name}: the load did not finish")


def good_csv() -> bytes:
    lines = [",".join(HEADER), f"{PERIOD}-03,P1001,阿莫西林胶囊,0.25g*24粒,B1,2,盒,{TERMINAL['name']},"]
    return ("\n".join(lines) + "\n").encode()


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    sink = io.BytesIO()
    book.save(sink)
    return sink.getvalue()


def zip_bomb() -> bytes:
    """A few hundred bytes whose [Content_Types].xml declares 4 GB: nothing may inflate it."""
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>" * 10)
        archive.writestr("xl/workbook.xml", b"<workbook/>")
    data = bytearray(sink.getvalue())
    central = data.index(b"PK\x01\x02")  # the first central directory entry: [Content_Types].xml
    data[central + 24 : central + 28] = (0xFFFFFFFE).to_bytes(4, "little")  # its uncompressed size
    local = data.index(b"PK\x03\x04")
    data[local + 22 : local + 26] = (0xFFFFFFFE).to_bytes(4, "little")
    return bytes(data)


def too_big() -> bytes:
    """Just above the byte limit, and a well-formed CSV up to there."""
    line = good_csv().splitlines()[1] + b"\n"
    head = (",".join(HEADER) + "\n").encode()
    return head + line * ((LIMITS.max_bytes - len(head)) // len(line) + 1)


def too_many_rows() -> bytes:
    return (",".join(HEADER) + "\n").encode() + b",\n" * (LIMITS.max_rows + 1)


def wide_header(chars: int) -> bytes:
    return (",".join(f"{i}" + "列" * chars for i in range(150)) + "\n1\n").encode()


BAD_FILES = {
    # name: (file name, content, rejection code, words the report must show)
    "binary garbage": ("流向.csv", lambda: bytes(range(256)) * 64, "binary file", ["binary"]),
    "latin-1 text": (
        "流向.csv",
        lambda: "Café;Straße;Größe\n1;2;3\n".encode("latin-1"),
        "unknown or wrong text encoding",
        ["UTF-8", "GBK"],
    ),
    # Big5 bytes decode as (nonsense) GBK: the report names the headers it could not map, as it read them
    "big5 text": (
        "流向.csv",
        lambda: good_csv().decode().encode("big5", errors="replace"),
        "missing columns",
        ["Columns not found", "date"],
    ),
    "utf-16 without BOM": ("流向.csv", lambda: good_csv().decode().encode("utf-16-le"), "binary file", ["binary"]),
    "huge (rows)": ("流向.csv", too_many_rows, "too many rows", [str(LIMITS.max_rows)]),
    "zip bomb as xlsx": ("流向.xlsx", zip_bomb, "xlsx uncompressed size over limit", ["unpacks to"]),
    "damaged xlsx": ("流向.xlsx", lambda: xlsx([HEADER])[:300], "invalid xlsx", ["damaged"]),
    "not a workbook": ("流向.xlsx", lambda: good_csv() + b"\n", "unsupported file type", ["XLSX"]),  # CSV bytes
    "formulas": (
        "流向.xlsx",
        lambda: xlsx(
            [
                HEADER,
                [f"{PERIOD}-03", "P1001", "阿莫西林胶囊", "0.25g*24粒", "B1", "=SUM(1,2)", "盒", TERMINAL["name"], ""],
            ]
        ),
        "formulas not allowed",
        ["formula"],
    ),
    # 150 headers of 1,000 characters (450 KB): nothing maps, and saying so must still fit the load record
    "wide nonsense header": ("流向.csv", lambda: wide_header(1000), "missing columns", ["Columns not found"]),
    # a header line over 1 MB: any clear file-level code will do here (and see the test below)
    "header line over 1 MB": ("流向.csv", lambda: wide_header(5000), None, []),
}


@pytest.fixture(scope="module")
def flow_cloud(cloud):
    demo.seed(cloud)
    return cloud


@pytest.fixture(scope="module")
def accepted(flow_cloud) -> dict:
    load = upload(flow_cloud, "流向.csv", good_csv())
    assert load["status"] == "accepted", load
    return load


def parquet_rows(cloud, load: dict) -> list[dict]:
    key = f"flow-lines/tenant={demo.TENANT}/period={PERIOD}/distributor={D001}/{load['id']}.parquet"
    body = cloud.client("s3").get_object(Bucket=cloud.physical_name("AnalyticsBucket"), Key=key)["Body"].read()
    return pq.read_table(io.BytesIO(body)).to_pylist()


def report_text(cloud, load: dict) -> str:
    link = api(cloud, "GET", f"/flow-loads/{load['id']}/errors")
    assert link.status_code == 200, link.text
    body = requests.get(link.json()["url"], timeout=30)
    assert body.status_code == 200
    rows = list(csv.DictReader(io.StringIO(body.content.decode("utf-8-sig"))))
    assert rows and set(rows[0]) == set(HEADERS.values())
    xlsx_link = api(cloud, "GET", f"/flow-loads/{load['id']}/errors", params={"format": "xlsx"})
    assert requests.get(xlsx_link.json()["url"], timeout=30).content[:2] == b"PK"
    return " ".join(" ".join(r.values()) for r in rows)


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_is_rejected_with_a_report_and_the_accepted_load_stays(flow_cloud, accepted, case):
    file_name, content, code, words = BAD_FILES[case]
    bad = upload(flow_cloud, file_name, content())

    assert bad["status"] == "rejected", bad
    assert bad["rejection"]["code"] == code or code is None, bad["rejection"]
    message = bad["rejection"]["message"]
    assert message and "Traceback" not in message and len(message) < 4000
    assert all(word in message for word in words), message
    report = report_text(flow_cloud, bad)
    assert message[:200] in report  # the downloadable report says the same

    # the load accepted before is still the period's load, its Parquet still readable
    before = api(flow_cloud, "GET", f"/flow-loads/{accepted['id']}").json()
    assert before["status"] == "accepted" and before["superseded_by"] is None
    assert [(r["customer_id"], r["base_quantity"]) for r in parquet_rows(flow_cloud, accepted)] == [
        (stable_id(demo.TENANT, TERMINAL["id"]), 2.0)
    ]
    page = api(
        flow_cloud,
        "GET",
        f"/customers/{stable_id(demo.TENANT, TERMINAL['id'])}/flow",
        params={"period": PERIOD},
        user="admin",
    ).json()["items"]
    assert [(i["distributor_id"], i["rows"]) for i in page] == [(D001, 1)]  # readers see the accepted load only

    listed = api(flow_cloud, "GET", "/flow-loads", params={"limit": 200}).json()["items"]
    assert {i["id"]: i["status"] for i in listed}[bad["id"]] == "rejected"


def test_the_upload_form_lets_s3_take_only_the_file_it_was_made_for(flow_cloud):
    ticket = api(flow_cloud, "POST", "/flow-uploads", json={"period": PERIOD, "file_name": "流向.csv"}).json()
    assert (ticket["content_type"], ticket["max_bytes"]) == ("text/csv", LIMITS.max_bytes)
    assert ticket["fields"]["key"] == ticket["key"] and ticket["fields"]["x-amz-algorithm"] == SIGV4

    too_large = send(ticket, too_big())  # the policy's content-length-range: S3 refuses it before storing it
    assert too_large.status_code == 400 and "EntityTooLarge" in too_large.text
    empty = send(ticket, b"")
    assert empty.status_code == 400 and "EntityTooSmall" in empty.text
    other_type = send(ticket, good_csv(), {"Content-Type": "text/html"})
    other_key = send(ticket, good_csv(), {"key": ticket["key"].replace(D001, stable_id(demo.TENANT, "D002"))})
    assert (other_type.status_code, other_key.status_code) == (403, 403)

    flow_cloud.wait_idle(30)
    assert api(flow_cloud, "GET", f"/flow-loads/{ticket['load_id']}").status_code == 404  # nothing reached S3


@pytest.mark.parametrize(
    ("data", "code", "words"), [(b"", "empty file", ["empty"]), (None, "file too large", [str(LIMITS.max_bytes)])]
)
def test_a_file_past_the_form_is_still_checked_and_a_huge_one_never_read(flow_cloud, accepted, data, code, words):
    data = too_big() if data is None else data
    bad = upload(flow_cloud, "流向.csv", data, past_the_form=True)
    assert bad["status"] == "rejected" and bad["rejection"]["code"] == code, bad
    assert all(word in bad["rejection"]["message"] for word in words)
    assert bad["rejection"]["message"][:200] in report_text(flow_cloud, bad)
    assert bad["size"] == len(data) and bad["object_version"]
    if data:  # its size came from S3: refused before a byte of it was read, so it has no fingerprint
        assert bad["sha256"] is None
    assert api(flow_cloud, "GET", f"/flow-loads/{accepted['id']}").json()["superseded_by"] is None


def test_a_good_file_after_the_bad_ones_supersedes_as_usual(flow_cloud, accepted):
    """Rejections left nothing behind that could block the period (no pointer moved, nothing held)."""
    restated = good_csv().replace(f"{PERIOD}-03".encode(), f"{PERIOD}-04".encode())
    load = upload(flow_cloud, "流向.csv", restated)
    assert load["status"] == "accepted", load
    assert api(flow_cloud, "GET", f"/flow-loads/{accepted['id']}").json()["superseded_by"] == load["id"]


def test_a_header_line_over_1_mb_is_named_for_what_it_is(flow_cloud, accepted):
    bad = upload(flow_cloud, "流向.csv", wide_header(5000) + b"\n")
    assert bad["status"] == "rejected"
    assert bad["rejection"]["code"] in ("missing columns", "malformed text file"), bad["rejection"]
