"""Distributor flow files through the real path: an upload link from the API, a PUT into the local
bucket, the S3 event, the import function, Parquet in the analytics bucket, the load's status."""

import csv
import io
import json
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import requests
from crm.ids import stable_id
from crm.ingest.report import HEADERS
from localcloud import demo
from localcloud.tokens import token_for_demo_user

from tests.e2e.uploads import is_sigv4, sent
from tests.fixtures import FLOW_SAMPLES

SAMPLES = FLOW_SAMPLES
TRUTH = json.loads((SAMPLES / "truth.json").read_text())
CODE_BY_ID = {stable_id(demo.TENANT, row["id"]): row["id"] for row in demo.customer_rows()}


def api(cloud, username, method, path, **kw):
    headers = {"Authorization": f"Bearer {token_for_demo_user(username)}"}
    return requests.request(method, cloud.api_url + path, headers=headers, timeout=30, **kw)


def upload(
    cloud,
    username: str,
    relative: str,
    data: bytes | None = None,
    distributor_code: str | None = None,
    period: str = "2026-10",
):
    body = {"period": period, "file_name": Path(relative).name}
    if distributor_code:
        body["distributor_id"] = stable_id(demo.TENANT, distributor_code)
    ticket = api(cloud, username, "POST", "/flow-uploads", json=body)
    assert ticket.status_code == 201, ticket.text
    sent(ticket.json(), data if data is not None else (SAMPLES / relative).read_bytes())
    return wait_for_load(cloud, username, ticket.json()["load_id"])


def wait_for_load(cloud, username: str, load_id: str, deadline_s: float = 60) -> dict:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        r = api(cloud, username, "GET", f"/flow-loads/{load_id}")
        if r.status_code == 200 and r.json()["status"] not in ("received", "processing"):
            return r.json()
        time.sleep(0.3)
    raise AssertionError(f"load {load_id} did not finish in {deadline_s}s")


def parquet_rows(cloud, load: dict, period: str = "2026-10") -> list[dict]:
    s3 = cloud.client("s3")
    bucket = cloud.physical_name("AnalyticsBucket")
    key = f"flow-lines/tenant={demo.TENANT}/period={period}/distributor={load['distributor_id']}/{load['id']}.parquet"
    return pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read())).to_pylist()


@pytest.fixture(scope="module")
def flow_cloud(cloud):
    demo.seed(cloud)
    return cloud


@pytest.fixture(scope="module")
def loads(flow_cloud):
    """Each sample uploaded once, by the distributor itself (D001) or by its rep on its behalf."""
    uploaders = {"D001": ("d001", None), "D002": ("rep.chen", "D002"), "D003": ("rep.liu", "D003")}
    result = {}
    for path, truth in TRUTH.items():
        user, code = uploaders[truth["distributor"]]
        result[path] = upload(flow_cloud, user, path, distributor_code=code)
    return result


@pytest.mark.parametrize("path", sorted(TRUTH))
def test_sample_files_produce_exactly_the_ground_truth(flow_cloud, loads, path):
    truth, load = TRUTH[path], loads[path]
    assert load["status"] == "accepted_with_errors"
    assert load["summary"]["rows"] == truth["data_rows"] and load["summary"]["accepted"] == truth["valid_rows"]
    rows = parquet_rows(flow_cloud, load)
    assert len(rows) == truth["valid_rows"]
    got = {r["source_row"]: (CODE_BY_ID.get(r["customer_id"]), r["base_quantity"]) for r in rows}
    assert got == {t["row"]: (t["terminal_id"], t["base_qty"]) for t in truth["terminals"]}
    by_sku: dict[str, float] = {}
    for r in rows:
        by_sku[r["sku"]] = by_sku.get(r["sku"], 0) + r["base_quantity"]
    assert by_sku == truth["base_qty_by_sku"]
    assert load["summary"]["base_qty_by_sku"] == truth["base_qty_by_sku"]
    assert all(r["load_id"] == load["id"] and r["source_key"].endswith(Path(path).name) for r in rows)


@pytest.mark.parametrize("path", sorted(TRUTH))
def test_rejected_rows_are_in_a_downloadable_report(flow_cloud, loads, path):
    load = loads[path]
    who = "admin"
    link = api(flow_cloud, who, "GET", f"/flow-loads/{load['id']}/errors")
    assert link.status_code == 200, link.text
    assert is_sigv4(link.json()["url"])
    report = requests.get(link.json()["url"], timeout=30)
    assert report.status_code == 200
    lines = csv.DictReader(io.StringIO(report.content.decode("utf-8-sig")))
    rejected = {(int(r[HEADERS["row"]]), r[HEADERS["reason"]]) for r in lines}
    assert {(t["row"], t["reason"]) for t in TRUTH[path]["rejected"]} <= rejected
    assert {row for row, _ in rejected} == {t["row"] for t in TRUTH[path]["rejected"]}
    xlsx = api(flow_cloud, who, "GET", f"/flow-loads/{load['id']}/errors", params={"format": "xlsx"})
    assert requests.get(xlsx.json()["url"], timeout=30).content[:2] == b"PK"


def test_the_same_file_again_is_held_and_a_new_one_supersedes(flow_cloud, loads):
    path = next(p for p, t in TRUTH.items() if t["distributor"] == "D001")
    first = loads[path]
    again = upload(flow_cloud, "d001", path)
    assert again["status"] == "held"
    restated = (SAMPLES / path).read_bytes().replace(b"2026-10-21", b"2026-10-22")
    second = upload(flow_cloud, "d001", path, data=restated)
    assert second["status"] == "accepted_with_errors"
    old = api(flow_cloud, "d001", "GET", f"/flow-loads/{first['id']}").json()
    assert old["status"] == "superseded" and old["superseded_by"] == second["id"]
    # readers see one load for the period: the old Parquet object leaves the table's location (just after the
    # pointer moved, so wait for it)
    prefix = f"flow-lines/tenant={demo.TENANT}/period=2026-10/distributor={first['distributor_id']}/"
    end = time.monotonic() + 30
    while (
        len(
            names := [
                o["Key"].rsplit("/", 1)[1]
                for o in flow_cloud.client("s3").list_objects_v2(
                    Bucket=flow_cloud.physical_name("AnalyticsBucket"), Prefix=prefix
                )["Contents"]
            ]
        )
        > 1
    ):
        assert time.monotonic() < end, names
        time.sleep(0.2)
    assert names == [f"{second['id']}.parquet"]


@pytest.mark.parametrize("content", [b"\x00\x01\x02garbage\xff" * 100, "合计,\n".encode("gbk")])  # empty: S3 refuses
def test_bad_files_end_rejected_and_leave_the_accepted_load_alone(flow_cloud, loads, content):
    path = next(p for p, t in TRUTH.items() if t["distributor"] == "D003")
    before = api(flow_cloud, "rep.liu", "GET", f"/flow-loads/{loads[path]['id']}").json()
    bad = upload(flow_cloud, "rep.liu", "bad.csv", data=content, distributor_code="D003")
    assert bad["status"] == "rejected" and bad["rejection"]["message"]
    after = api(flow_cloud, "rep.liu", "GET", f"/flow-loads/{loads[path]['id']}").json()
    assert after["status"] == before["status"]


def test_uploads_are_scoped(flow_cloud):
    d002 = stable_id(demo.TENANT, "D002")
    r = api(
        flow_cloud,
        "d001",
        "POST",
        "/flow-uploads",
        json={"period": "2026-10", "file_name": "x.csv", "distributor_id": d002},
    )
    assert r.status_code == 404  # a distributor uploads for itself only
    r = api(
        flow_cloud,
        "rep.zhang",
        "POST",
        "/flow-uploads",
        json={"period": "2026-10", "file_name": "x.csv", "distributor_id": d002},
    )
    assert r.status_code == 404  # D002 is not zhang's customer
    r = api(
        flow_cloud,
        "rep.chen",
        "POST",
        "/flow-uploads",
        json={"period": "2026-13", "file_name": "x.csv", "distributor_id": d002},
    )
    assert r.status_code == 422


NEW_LAYOUT = (
    "出货日期\t物料号\t物料名称\t规格\t批次\t件数\t计量\t收货方\n"
    "20261103\tP1001\t阿莫西林胶囊\t0.25g*24粒\tB1\t2\t件\t苏州安康药店\n"
    "20261104\tP1003\t复方甘草片\t100片\tB2\t1\t件\t苏州安康药店\n"
)


def test_a_layout_not_seen_before_is_handled_by_a_mapping_template(flow_cloud):
    data = NEW_LAYOUT.encode("utf-8")
    d002 = stable_id(demo.TENANT, "D002")
    first = upload(flow_cloud, "rep.chen", "发货明细.txt", data=data, distributor_code="D002", period="2026-11")
    assert first["status"] == "rejected" and first["rejection"]["detail"]  # names the headers it could not map
    template = {
        "headers": {
            "date": ["出货日期"],
            "product_code": ["物料号"],
            "product_name": ["物料名称"],
            "quantity": ["件数"],
            "unit": ["计量"],
            "buyer_name": ["收货方"],
            "batch": ["批次"],
        },
        "date_formats": ["%Y%m%d"],
        "units": {"件": "case"},
    }
    r = api(flow_cloud, "rep.chen", "POST", "/flow-mappings", json={"distributor_id": d002, "template": template})
    assert r.status_code == 201, r.text
    assert api(flow_cloud, "rep.chen", "GET", f"/flow-mappings/{d002}").json()["template"]["units"] == {"件": "case"}
    second = upload(flow_cloud, "rep.chen", "发货明细.txt", data=data, distributor_code="D002", period="2026-11")
    assert second["status"] == "accepted", second
    rows = parquet_rows(flow_cloud, second, period="2026-11")
    assert sorted((r["sku"], r["base_quantity"]) for r in rows) == [("P1001", 120.0), ("P1003", 40.0)]  # cases
    assert {r["mapping_version"] for r in rows} == {r.json()["template"]["version"]}


def test_confirming_a_review_item_makes_the_name_match_next_time(flow_cloud, loads):
    d001 = stable_id(demo.TENANT, "D001")
    queue = api(flow_cloud, "admin", "GET", "/flow-reviews", params={"distributor_id": d001}).json()["items"]
    assert queue, "unknown buyer names of the D001 sample wait for review"
    item = next(i for i in queue if i["candidates"])
    assert item["row_count"] >= 1 and item["candidates"][0]["score"] > 0
    target = item["candidates"][0]["customer_id"]
    r = api(flow_cloud, "admin", "POST", f"/flow-reviews/{item['id']}/decision", json={"customer_id": target})
    assert r.status_code == 200 and r.json()["status"] == "resolved", r.text
    again = api(flow_cloud, "admin", "POST", f"/flow-reviews/{item['id']}/decision", json={"customer_id": target})
    assert again.status_code == 409
    # the name is now an alias of that customer in D001's files ...
    mine = api(flow_cloud, "admin", "GET", f"/flow-aliases/{d001}").json()["items"]
    assert (item["buyer_name"], target) in {(a["name"], a["customer_id"]) for a in mine}
    # ... the load that carried it is re-attributed ...
    load_id = item["load_ids"][-1]
    load = api(flow_cloud, "admin", "GET", f"/flow-loads/{load_id}").json()
    flow_cloud.wait_idle(30)
    mine = [r for r in parquet_rows(flow_cloud, load) if r["buyer_name_normalized"] == item["normalized_name"]]
    assert mine and {(r["customer_id"], r["match_kind"]) for r in mine} == {(target, "confirmed")}
    # ... and the next upload matches it by itself
    line = (
        "销售日期,商品编码,商品名称,规格,批号,数量,单位,客户名称,客户地址\n"
        f"2026-11-05,P1001,阿莫西林胶囊,0.25g*24粒,B1,3,盒,{item['buyer_name']},\n"
    )
    nxt = upload(flow_cloud, "d001", "流向_D001_2026-11.csv", data=line.encode("utf-8"), period="2026-11")
    rows = parquet_rows(flow_cloud, nxt, period="2026-11")
    assert [(r["customer_id"], r["match_kind"]) for r in rows] == [(target, "alias")]


def test_a_repeated_s3_event_processes_nothing_twice(flow_cloud, loads):
    load = next(iter(loads.values()))
    source_key = api(flow_cloud, "admin", "GET", f"/flow-loads/{load['id']}").json()
    key = f"flow/{demo.TENANT}/{load['distributor_id']}/{load['period']}/{load['id']}/{source_key['file_name']}"
    event = {
        "Records": [{"s3": {"bucket": {"name": flow_cloud.physical_name("UploadsBucket")}, "object": {"key": key}}}]
    }
    assert flow_cloud.invoke("FlowImportFunction", event) == {"results": {key: "duplicate"}}
    after = api(flow_cloud, "admin", "GET", f"/flow-loads/{load['id']}").json()
    assert after["version"] == source_key["version"]  # the load was not touched


def test_a_terminals_page_shows_what_it_bought_from_which_distributor(flow_cloud, loads):
    path = next(p for p, t in TRUTH.items() if t["distributor"] == "D003")  # D003's sample is never restated
    code = "T00023"
    expected: dict[str, float] = {}
    rows = [r for r in parquet_rows(flow_cloud, loads[path]) if CODE_BY_ID.get(r["customer_id"]) == code]
    for r in rows:
        expected[r["sku"]] = expected.get(r["sku"], 0) + r["base_quantity"]
    assert rows, "T00023 bought from D003 in the sample"
    r = api(flow_cloud, "admin", "GET", f"/customers/{stable_id(demo.TENANT, code)}/flow", params={"period": "2026-10"})
    assert r.status_code == 200, r.text
    from_d003 = [i for i in r.json()["items"] if i["distributor_id"] == stable_id(demo.TENANT, "D003")]
    assert len(from_d003) == 1 and from_d003[0]["base_qty_by_sku"] == expected and from_d003[0]["rows"] == len(rows)
    assert (
        api(
            flow_cloud,
            "rep.lin",
            "GET",
            f"/customers/{stable_id(demo.TENANT, code)}/flow",
            params={"period": "2026-10"},
        ).status_code
        == 404
    )  # not lin's customer
