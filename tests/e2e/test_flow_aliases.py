"""Distributor-scoped aliases through the real path: a review decision over HTTP becomes an alias of THAT
distributor; its next file (presigned PUT, S3 event, import function) matches the name by itself, another
distributor's file with the same name still goes to review, and undoing the alias sends it back to review."""

import io
import time
from urllib.parse import quote

import pyarrow.parquet as pq
import pytest
import requests
from crm.ids import stable_id
from localcloud import demo
from localcloud.tokens import token_for_demo_user

from tests.e2e.uploads import sent

D001, D002, D003 = (stable_id(demo.TENANT, code) for code in ("D001", "D002", "D003"))
HEADER = "销售日期,商品编码,商品名称,规格,批号,数量,单位,客户名称,客户地址\n"


def api(cloud, username, method, path, **kw):
    headers = {"Authorization": f"Bearer {token_for_demo_user(username)}", **kw.pop("headers", {})}
    return requests.request(method, cloud.api_url + path, headers=headers, timeout=30, **kw)


def upload_rows(cloud, distributor: str, period: str, buyer: str) -> dict:
    """One small file with one line for buyer: D001 uploads itself, D003 through its rep (rep.liu).

    (D002 is not used: tests/e2e/test_flow.py gives it a mapping template for another layout.)"""
    user, body = ("d001", {}) if distributor == D001 else ("rep.liu", {"distributor_id": distributor})
    data = (HEADER + f"{period}-05,P1001,阿莫西林胶囊,0.25g*24粒,B1,3,盒,{buyer},\n").encode()
    ticket = api(cloud, user, "POST", "/flow-uploads", json={"period": period, "file_name": "流向.csv", **body})
    assert ticket.status_code == 201, ticket.text
    sent(ticket.json(), data)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        load = api(cloud, user, "GET", f"/flow-loads/{ticket.json()['load_id']}").json()
        if load["status"] not in ("received", "processing", 404):  # 404: the S3 event has not made it yet
            assert load["status"] == "accepted", load
            return load
        time.sleep(0.2)
    raise AssertionError("the load did not finish")


def matches(cloud, load: dict) -> list[tuple[str | None, str]]:
    key = (
        f"flow-lines/tenant={demo.TENANT}/period={load['period']}/distributor={load['distributor_id']}/"
        f"{load['id']}.parquet"
    )
    body = cloud.client("s3").get_object(Bucket=cloud.physical_name("AnalyticsBucket"), Key=key)["Body"].read()
    return [(r["customer_id"], r["match_kind"]) for r in pq.read_table(io.BytesIO(body)).to_pylist()]


def open_review(cloud, distributor: str, buyer: str) -> dict | None:
    items = api(cloud, "admin", "GET", "/flow-reviews", params={"distributor_id": distributor, "limit": 200}).json()
    return next((i for i in items["items"] if i["buyer_name"] == buyer), None)


def confirm(cloud, distributor: str, buyer: str, customer_id: str) -> dict:
    item = open_review(cloud, distributor, buyer)
    assert item, f"{buyer} waits for review"
    r = api(cloud, "admin", "POST", f"/flow-reviews/{item['id']}/decision", json={"customer_id": customer_id})
    assert r.status_code == 200, r.text
    cloud.wait_idle(30)  # the re-attribution runs in the import function (an Event invoke)
    return r.json()


def aliases(cloud, distributor: str, user: str = "admin") -> dict[str, dict]:
    r = api(cloud, user, "GET", f"/flow-aliases/{distributor}")
    assert r.status_code == 200, r.text
    return {a["name"]: a for a in r.json()["items"]}


@pytest.fixture(scope="module")
def flow_cloud(cloud):
    demo.seed(cloud)
    return cloud


def terminal(code: str) -> tuple[str, str]:
    row = next(r for r in demo.customer_rows() if r["id"] == code)
    return stable_id(demo.TENANT, code), row["name"]


def test_a_confirmed_name_matches_next_time_for_that_distributor_only(flow_cloud):
    target, name = terminal("T00001")
    buyer = name + "东门测试店"  # close to the master name (a candidate), matched by no rule
    first = upload_rows(flow_cloud, D001, "2027-01", buyer)
    assert matches(flow_cloud, first) == [(None, "unknown")]
    decided = confirm(flow_cloud, D001, buyer, target)
    assert decided["status"] == "resolved" and decided["resolved_customer_id"] == target

    mine = aliases(flow_cloud, D001)[buyer]
    assert mine["customer_id"] == target and mine["review_id"] == decided["id"] and mine["confirmed_by"]
    assert buyer not in api(flow_cloud, "admin", "GET", f"/customers/{target}").json()["aliases"]  # not tenant-wide
    assert buyer not in aliases(flow_cloud, D003)
    assert matches(flow_cloud, first) == [(target, "confirmed")]  # this time's rows re-attributed

    nxt = upload_rows(flow_cloud, D001, "2027-02", buyer)
    assert matches(flow_cloud, nxt) == [(target, "alias")]
    assert nxt["summary"]["match_rate"] == 1.0 and nxt["summary"]["review_names"] == 0

    other = upload_rows(flow_cloud, D003, "2027-02", buyer)  # the same name in another distributor's file
    assert matches(flow_cloud, other) == [(None, "unknown")]
    assert open_review(flow_cloud, D003, buyer)["load_ids"] == [other["id"]]


def test_a_distributor_alias_wins_over_a_tenant_alias_pointing_elsewhere(flow_cloud):
    target, name = terminal("T00002")
    elsewhere, _ = terminal("T00003")
    buyer = name + "北门测试店"
    upload_rows(flow_cloud, D001, "2027-03", buyer)
    confirm(flow_cloud, D001, buyer, target)
    # the office makes the same spelling a tenant-wide alias of another customer
    current = api(flow_cloud, "admin", "GET", f"/customers/{elsewhere}")
    r = api(
        flow_cloud,
        "admin",
        "PATCH",
        f"/customers/{elsewhere}",
        json={"aliases": [*current.json()["aliases"], buyer]},
        headers={"If-Match": current.headers["ETag"]},
    )
    assert r.status_code == 200, r.text

    assert matches(flow_cloud, upload_rows(flow_cloud, D001, "2027-04", buyer)) == [(target, "alias")]
    assert matches(flow_cloud, upload_rows(flow_cloud, D003, "2027-04", buyer)) == [(elsewhere, "alias")]


def test_deleting_an_alias_sends_the_name_back_to_review(flow_cloud):
    target, name = terminal("T00004")
    buyer = name + "（南门测试店）"
    first = upload_rows(flow_cloud, D001, "2027-05", buyer)
    confirm(flow_cloud, D001, buyer, target)
    second = upload_rows(flow_cloud, D001, "2027-06", buyer)
    assert matches(flow_cloud, second) == [(target, "alias")]
    alias = aliases(flow_cloud, D001)[buyer]
    path = f"/flow-aliases/{D001}/{quote(buyer)}"

    assert api(flow_cloud, "admin", "DELETE", path).status_code == 428
    assert api(flow_cloud, "admin", "DELETE", path, headers={"If-Match": '"99"'}).status_code == 412
    assert api(flow_cloud, "d001", "DELETE", path, headers={"If-Match": f'"{alias["version"]}"'}).status_code == 403
    r = api(flow_cloud, "admin", "DELETE", path, headers={"If-Match": f'"{alias["version"]}"'})
    assert r.status_code == 204, r.text
    assert api(flow_cloud, "admin", "DELETE", path, headers={"If-Match": '"1"'}).status_code == 404
    assert buyer not in aliases(flow_cloud, D001)
    assert open_review(flow_cloud, D001, buyer) is not None  # back in the queue at once

    flow_cloud.wait_idle(30)  # rows the confirmation and the alias attributed are unattributed again
    assert matches(flow_cloud, first) == [(None, "unknown")]
    assert matches(flow_cloud, second) == [(None, "unknown")]
    assert api(flow_cloud, "admin", "GET", f"/flow-loads/{second['id']}").json()["summary"]["matched"] == 0

    third = upload_rows(flow_cloud, D001, "2027-07", buyer)
    assert matches(flow_cloud, third) == [(None, "unknown")]
    assert third["id"] in open_review(flow_cloud, D001, buyer)["load_ids"]

    # the audit trail of the distributor's aliases: confirmed, then undone, each with who and when
    from crm.db import keys
    from crm.db.models import AuditItem

    trail = [
        a
        for a in AuditItem.query(keys.flow_aliases_pk(demo.TENANT, D001), AuditItem.sk.startswith("AUDIT#"))
        if a.changes.as_dict()["name"] in ({"before": None, "after": buyer}, {"before": buyer, "after": None})
    ]
    assert [a.action for a in trail] == ["confirm_flow_alias", "delete_flow_alias"]
    assert all(a.actor_id == "u-admin" for a in trail)


def test_aliases_are_for_the_office_in_scope(flow_cloud):
    assert api(flow_cloud, "d001", "GET", f"/flow-aliases/{D001}").status_code == 403
    assert api(flow_cloud, "rep.zhang", "GET", f"/flow-aliases/{D002}").status_code == 404  # not zhang's
    assert api(flow_cloud, "rep.chen", "GET", f"/flow-aliases/{D002}").status_code == 200
    missing = api(
        flow_cloud, "admin", "DELETE", f"/flow-aliases/{D001}/{quote('没有这个名字')}", headers={"If-Match": '"1"'}
    )
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("application/problem+json")
