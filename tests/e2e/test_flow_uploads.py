"""Upload links through the real path, in a tenant of its own: the form from POST /flow-uploads, the file POSTed
into the local bucket (S3 checks the form's policy, as AWS does), the S3 event, the import function.

A load is one version of the uploaded object: the same form sent again is a new load. The import goes by the
upload issued with the link, never by the key alone: a file under another key is refused, and a file no link
was issued for is read by no one.
"""

import hashlib
import time
from datetime import UTC, date
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from crm.flow.evidence import years_after
from crm.ids import new_id
from localcloud.tokens import mint_token

from tests.e2e.conftest import Client, World, new_tenant
from tests.e2e.uploads import SIGV4, finished_load, is_sigv4, send, sent, upload_flow

HEADER = "销售日期,商品编码,商品名称,规格,批号,数量,单位,客户名称,客户地址\n"
BUYER = "苏州平江仁济药店"


def flow(quantity: int, period: str = "2026-10") -> bytes:
    return f"{HEADER}{period}-05,P1001,阿莫西林胶囊,0.25g*24粒,B1,{quantity},盒,{BUYER},\n".encode()


@pytest.fixture(scope="module")
def world(cloud: Any) -> World:
    return World(new_tenant(cloud), cloud.api_url, mint_token)


@pytest.fixture(scope="module")
def distributors(world: World) -> dict[str, str]:
    """Two distributors (DA, DB), a product and the buyer their files name."""
    admin = world.as_user("admin")
    assert (
        admin.post(
            "/products",
            {"sku": "P1001", "name": "阿莫西林胶囊", "spec": "0.25g*24粒", "base_unit": "盒", "case_size": 60},
        ).status_code
        == 201
    )
    assert (
        admin.post(
            "/customers",
            {
                "name": BUYER,
                "profile": {"type": "terminal", "kind": "pharmacy"},
                "region": {"province": "江苏", "city": "苏州"},
            },
        ).status_code
        == 201
    )
    ids = {}
    for code in ("DA", "DB"):
        r = admin.post(
            "/customers",
            {
                "name": f"经销商{code}医药有限公司",
                "code": code,
                "status": "active",
                "profile": {"type": "distributor", "tier": "tier1"},
            },
        )
        assert r.status_code == 201, r.text
        ids[code] = r.json()["id"]
    return ids


def ticket_for(client: Client, distributor_id: str, period: str = "2026-10") -> dict[str, Any]:
    r = client.post("/flow-uploads", {"period": period, "file_name": "流向.csv", "distributor_id": distributor_id})
    assert r.status_code == 201, r.text
    return r.json()


def loads_of(client: Client, distributor_id: str) -> list[dict[str, Any]]:
    r = client.get("/flow-loads", params={"distributor_id": distributor_id, "limit": 200})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def later_load(client: Client, distributor_id: str, upload_id: str, known: set[str]) -> dict[str, Any]:
    """The load of a later version of the upload's file: a load id of its own, the upload's id as upload_id."""
    end = time.monotonic() + 60
    while time.monotonic() < end:
        found = [i for i in loads_of(client, distributor_id) if i["upload_id"] == upload_id and i["id"] not in known]
        if found:
            return finished_load(client, found[0]["id"])
        time.sleep(0.3)
    raise AssertionError("no load of the later version")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_the_same_form_sent_again_is_a_load_of_the_new_version(world: World, distributors, cloud: Any) -> None:
    admin, da = world.as_user("admin"), distributors["DA"]
    ticket = ticket_for(admin, da)
    first_bytes, second_bytes = flow(3), flow(5)

    # Given a file uploaded with the form and imported
    sent(ticket, first_bytes)
    first = finished_load(admin, ticket["load_id"])
    assert first["status"] == "accepted" and first["sha256"] == sha256(first_bytes)
    assert first["upload_id"] == first["id"] and first["object_version"]

    # When the same form is sent again with other bytes (it is valid for 15 minutes)
    sent(ticket, second_bytes)

    # Then that version is a load of its own, which supersedes the first as any restatement does
    second = later_load(admin, da, ticket["load_id"], {first["id"]})
    assert second["status"] == "accepted" and second["sha256"] == sha256(second_bytes)
    assert second["object_version"] != first["object_version"]
    assert second["summary"]["base_qty_by_sku"] == {"P1001": 5.0}
    assert admin.get(f"/flow-loads/{first['id']}").json()["superseded_by"] == second["id"]
    # and each load's fingerprint is that of the version it read: both versions are kept
    s3, bucket = cloud.client("s3"), cloud.physical_name("UploadsBucket")
    for load in (first, second):
        body = s3.get_object(Bucket=bucket, Key=ticket["key"], VersionId=load["object_version"])["Body"].read()
        assert sha256(body) == load["sha256"]

    # And the same bytes a third time are a new version too: held, the period keeps its load
    sent(ticket, second_bytes)
    third = later_load(admin, da, ticket["load_id"], {first["id"], second["id"]})
    assert third["status"] == "held" and admin.get(f"/flow-loads/{second['id']}").json()["superseded_by"] is None


def test_a_file_put_under_another_key_than_its_links_imports_nothing(world: World, distributors, cloud: Any) -> None:
    admin, da, db = world.as_user("admin"), distributors["DA"], distributors["DB"]
    theirs = upload_flow(admin, db, "2026-11", flow(7, "2026-11"))
    assert theirs["status"] == "accepted"
    ticket = ticket_for(admin, da, "2026-11")
    elsewhere = ticket["key"].replace(f"/{da}/", f"/{db}/")
    listed = loads_of(admin, db)

    # The form will not store the file under another key: its policy names the key
    refused = send(ticket, flow(99, "2026-11"), {"key": elsewhere})
    assert refused.status_code == 403 and "Policy" in refused.text

    # When the file gets there anyway (a link without a policy, or anyone who may write to the bucket)
    cloud.client("s3").put_object(Bucket=cloud.physical_name("UploadsBucket"), Key=elsewhere, Body=flow(99, "2026-11"))

    # Then the load of that link is rejected, its uploader's own, and says why
    load = finished_load(admin, ticket["load_id"])
    assert (load["status"], load["distributor_id"], load["rejection"]["code"]) == (
        "rejected",
        da,
        "not its upload link's key",
    )
    assert elsewhere in load["rejection"]["message"] and load["sha256"] is None  # not even read
    # and nothing of the other distributor's changed
    assert loads_of(admin, db) == listed
    after = admin.get(f"/flow-loads/{theirs['id']}").json()
    assert (after["status"], after["superseded_by"], after["summary"]) == ("accepted", None, theirs["summary"])


def test_a_file_in_a_distributors_folder_that_no_link_was_issued_for_is_refused(
    world: World, distributors, cloud: Any
) -> None:
    admin, db = world.as_user("admin"), distributors["DB"]
    theirs = upload_flow(admin, db, "2026-12", flow(4, "2026-12"))
    assert theirs["status"] == "accepted"

    listed = loads_of(admin, db)

    # When a file is put straight into DB's folder under a load id no link was issued for
    load_id = new_id()
    key = f"flow/{world.tenant_id}/{db}/2026-12/{load_id}/流向.csv"
    s3, bucket = cloud.client("s3"), cloud.physical_name("UploadsBucket")
    s3.put_object(Bucket=bucket, Key=key, Body=flow(400, "2026-12"))
    cloud.wait_idle(30)

    # Then it is kept as it came, but read by no one: no load, and DB's period is as it was
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(flow(400, "2026-12"))
    assert admin.get(f"/flow-loads/{load_id}").status_code == 404
    assert loads_of(admin, db) == listed
    after = admin.get(f"/flow-loads/{theirs['id']}").json()
    assert (after["status"], after["superseded_by"], after["summary"]) == ("accepted", None, theirs["summary"])
    # the import function says so for that key, however often the event comes
    event = {"Records": [{"s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]}
    assert cloud.invoke("FlowImportFunction", event) == {"results": {key: "refused"}}


def test_links_are_signed_with_sigv4_for_the_region(world: World, distributors) -> None:
    admin = world.as_user("admin")
    ticket = ticket_for(admin, distributors["DA"], "2027-01")
    assert ticket["fields"]["x-amz-algorithm"] == SIGV4
    assert ticket["fields"]["x-amz-credential"].endswith("/us-east-1/s3/aws4_request")
    assert (ticket["content_type"], ticket["max_bytes"], ticket["expires_in"]) == ("text/csv", 50 * 1024 * 1024, 900)
    sent(ticket, f"{HEADER}2027-01-05,P1001,阿莫西林胶囊,0.25g*24粒,B1,x,盒,{BUYER},\n".encode())
    load = finished_load(admin, ticket["load_id"])
    link = admin.get(f"/flow-loads/{load['id']}/errors").json()["url"]
    assert is_sigv4(link) and requests.get(link, timeout=30).status_code == 200
    # a link signed the old way (SigV2) is refused, as buckets that take only SigV4 do
    old_style = link.split("?")[0] + "?AWSAccessKeyId=testing&Expires=9999999999&Signature=x"
    assert requests.get(old_style, timeout=30).status_code == 400


def test_each_file_is_kept_as_evidence_for_the_years_of_the_tenants_channel_policy(cloud, world, distributors):
    """A distributor's file is what rebates and penalties rest on: the version received is locked (S3 Object Lock)
    for the tenant's years, from its upload; no one deletes it before then, not even the stack's administrator
    without bypassing governance."""
    admin = world.as_user("admin")
    s3, bucket = cloud.client("s3"), cloud.physical_name("UploadsBucket")

    def lock_of(ticket: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        finished_load(admin, ticket["load_id"])
        head = s3.head_object(Bucket=bucket, Key=ticket["fields"]["key"])  # HEAD says how the version is locked
        return head, {"Mode": head.get("ObjectLockMode"), "RetainUntilDate": head.get("ObjectLockRetainUntilDate")}

    def until(kept: dict[str, Any]) -> date:
        return kept["RetainUntilDate"].astimezone(UTC).date()

    first = ticket_for(admin, distributors["DA"])
    sent(first, flow(3))
    head, kept = lock_of(first)
    assert kept["Mode"] == "GOVERNANCE"
    assert until(kept) == years_after(head["LastModified"], 5).date()  # the default policy
    with pytest.raises(ClientError):
        s3.delete_object(Bucket=bucket, Key=first["fields"]["key"], VersionId=head["VersionId"])
    assert s3.get_object(Bucket=bucket, Key=first["fields"]["key"])["Body"].read() == flow(3)

    policy = admin.get("/inventory/policy")
    changed = {**policy.json(), "raw_files_kept_years": 10}
    changed.pop("version")
    r = admin.put("/inventory/policy", changed, headers={"If-Match": policy.headers["ETag"]})
    assert r.status_code == 200, r.text
    second = ticket_for(admin, distributors["DA"], period="2026-09")
    sent(second, flow(4, period="2026-09"))
    head, kept = lock_of(second)
    assert until(kept) == years_after(head["LastModified"], 10).date()
