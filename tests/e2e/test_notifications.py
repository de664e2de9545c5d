"""Notifications through the real path, in a fresh tenant per test: events put on the stack's local bus (or
published by a real flow upload and a real hand-over), the EventBridge rule invoking the notifier, its inbox
entries read back over HTTP, its e-mail in the local SES, its robot posts in the local webhook sink, tenant
settings with robot URLs encrypted by the stack's KMS key, and the scheduled run that sends what quiet hours held.
"""

import base64
import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from crm.ids import new_id

from tests.e2e.conftest import USERS, Client, World
from tests.e2e.test_customers import wait_for_handover
from tests.e2e.uploads import sent

SECRET = "SECnotification-test-secret"


# ------------------------------------------------------------------------------------------- helpers


def put_event(cloud: Any, source: str, detail_type: str, detail: dict[str, Any]) -> None:
    answer = cloud.client("events").put_events(
        Entries=[
            {
                "Source": source,
                "DetailType": detail_type,
                "EventBusName": cloud.physical_name("EventBus"),
                "Detail": json.dumps(detail, ensure_ascii=False),
            }
        ]
    )
    assert answer["FailedEntryCount"] == 0, answer
    cloud.wait_idle()


def waiting(world: World, label: str, *usernames: str, event_id: str | None = None) -> dict[str, Any]:
    return {
        "tenant_id": world.tenant_id,
        "event_id": event_id or f"approval:{new_id()}:step1:waiting",
        "approval_id": new_id(),
        "kind": "order",
        "subject_id": new_id(),
        "subject_label": label,
        "amount": "12800.00",
        "step": 1,
        "role": "dept_head",
        "submitted_by": USERS["rep.liu"]["id"],
        "recipients": [USERS[u]["id"] for u in usernames],
    }


def put_with_etag(client: Client, path: str, body: dict[str, Any]) -> requests.Response:
    etag = client.get(path).headers["ETag"]
    return client.put(path, body, headers={"If-Match": etag})


def hhmm(at: datetime) -> str:
    return at.strftime("%H:%M")


def quiet_around_now(on: bool) -> dict[str, Any]:
    """Quiet hours holding this very minute (on), or well away from it, in the tenant's zone."""
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    if on:
        return {"enabled": True, "start": hhmm(now - timedelta(hours=1)), "end": hhmm(now + timedelta(hours=1))}
    return {"enabled": True, "start": hhmm(now + timedelta(hours=2)), "end": hhmm(now + timedelta(hours=3))}


def settings(cloud: Any, world: World, quiet: dict[str, Any]) -> dict[str, Any]:
    """A WeCom robot for the whole tenant and a signed DingTalk robot for 华东, both posting to this test's
    corner of the webhook sink."""
    sink = cloud.webhook_sink.url
    return {
        "time_zone": "Asia/Shanghai",
        "quiet_hours": quiet,
        "robots": [
            {
                "name": "全国企业微信群",
                "kind": "wecom",
                "webhook_url": f"{sink}/{world.tenant_id}/cgi-bin/webhook/send?key=wecom-key-{world.tenant_id}",
            },
            {
                "name": "华东钉钉群",
                "kind": "dingtalk",
                "org_unit_id": "EAST",
                "secret": SECRET,
                "webhook_url": f"{sink}/{world.tenant_id}/robot/send?access_token=ding-token-{world.tenant_id}",
            },
        ],
    }


def choose(world: World, username: str, channels: list[str], quiet_hours: bool = True) -> None:
    r = put_with_etag(
        world.as_user(username),
        "/notifications/preferences",
        {"events": {"approval.waiting": channels}, "quiet_hours": quiet_hours},
    )
    assert r.status_code == 200, r.text


def mails_to(cloud: Any, username: str, marker: str) -> list[dict[str, Any]]:
    return [m for m in cloud.sent_emails() if USERS[username]["email"] in m["to"] and marker in (m["subject"] or "")]


def posts(cloud: Any, world: World, path: str) -> list[Any]:
    return cloud.webhook_sink.received(f"/{world.tenant_id}/{path}")


def titles(client: Client, **params: Any) -> list[str]:
    r = client.get("/notifications", params=params)
    assert r.status_code == 200, r.text
    return [n["title"] for n in r.json()["items"]]


def titles_within(client: Client, seconds: float) -> list[str]:
    """The titles once there are any (an announcement reaches the notifier asynchronously)."""
    deadline = time.monotonic() + seconds
    while not (found := titles(client)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def unread(client: Client) -> int:
    return int(client.get("/notifications/unread-count").json()["unread"])


# ------------------------------------------------------------------------------------------- tests


def test_an_event_delivered_twice_notifies_each_recipient_once_on_each_channel(cloud: Any, world: World):
    admin = world.as_user("admin")
    assert put_with_etag(admin, "/notification-settings", settings(cloud, world, {"enabled": False})).status_code == 200
    choose(world, "rep.zhang", ["inbox", "email", "wecom"])
    choose(world, "eastrx.head", ["inbox", "dingtalk"])  # no e-mail
    label = f"康宁大药房 {world.tenant_id}"
    event = waiting(world, label, "eastrx.head", "rep.zhang")
    put_event(cloud, "crm.approvals", "ApprovalWaiting", event)
    put_event(cloud, "crm.approvals", "ApprovalWaiting", event)  # the same happening, another envelope

    zhang, head = world.as_user("rep.zhang"), world.as_user("eastrx.head")
    for client in (zhang, head):
        assert titles(client) == [f"待审批：订货单「{label}」"]
        assert unread(client) == 1
    assert len(mails_to(cloud, "rep.zhang", label)) == 1
    assert mails_to(cloud, "eastrx.head", label) == []
    (wecom,) = posts(cloud, world, "cgi-bin/")
    assert wecom.query["key"] == f"wecom-key-{world.tenant_id}" and wecom.json["msgtype"] == "text"
    assert wecom.json["text"]["mentioned_mobile_list"] == [USERS["rep.zhang"]["mobile"]]
    (ding,) = posts(cloud, world, "robot/")
    assert ding.json["msgtype"] == "markdown" and ding.json["at"]["atMobiles"] == [USERS["eastrx.head"]["mobile"]]
    timestamp = ding.query["timestamp"]
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest())
    assert ding.query["sign"] == expected.decode()  # the sink decodes the query once, as DingTalk does
    assert abs(int(timestamp) / 1000 - time.time()) < 600

    (entry,) = zhang.get("/notifications").json()["items"]
    assert entry["ref"] == {"type": "approval", "id": event["approval_id"]} and entry["unread"] is True
    read = zhang.post(f"/notifications/{entry['id']}/read")
    assert read.status_code == 200 and read.json()["unread"] is False
    assert zhang.post(f"/notifications/{entry['id']}/read").status_code == 200  # again: no change
    assert unread(zhang) == 0 and titles(zhang, unread="true") == []
    assert head.post("/notifications/read-all").json() == {"marked": 1, "unread": 0}
    assert unread(head) == 0 and head.post("/notifications/read-all").json() == {"marked": 0, "unread": 0}
    assert head.post(f"/notifications/{entry['id']}/read").status_code == 404  # someone else's


def test_a_robot_url_is_stored_encrypted_and_never_returned(cloud: Any, world: World):
    admin = world.as_user("admin")
    body = settings(cloud, world, {"enabled": False})
    assert admin.put("/notification-settings", body).status_code == 428
    assert admin.put("/notification-settings", body, headers={"If-Match": '"7"'}).status_code == 412
    saved = put_with_etag(admin, "/notification-settings", body)
    assert saved.status_code == 200, saved.text
    for answer in (saved, admin.get("/notification-settings")):
        assert "wecom-key" not in answer.text and "ding-token" not in answer.text and SECRET not in answer.text
    robots = {r["kind"]: r for r in saved.json()["robots"]}
    assert robots["wecom"]["url_set"] is True and robots["wecom"]["host"] == "127.0.0.1"
    assert robots["dingtalk"]["secret_set"] is True and robots["dingtalk"]["org_unit_id"] == "EAST"

    item = cloud.client("dynamodb").get_item(
        TableName=cloud.physical_name("Table"),
        Key={"pk": {"S": f"T#{world.tenant_id}#NOTIFYSETTINGS"}, "sk": {"S": "META"}},
    )["Item"]
    assert "wecom-key" not in json.dumps(item) and SECRET not in json.dumps(item)
    stored = {r["kind"]: r for r in json.loads(item["robots"]["S"])}
    kms = cloud.client("kms")
    blob = base64.b64decode(stored["wecom"]["url_ciphertext"])
    context = {"tenant_id": world.tenant_id, "purpose": "notify-robot"}
    assert (
        kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)["Plaintext"]
        .decode()
        .endswith(f"key=wecom-key-{world.tenant_id}")
    )
    with pytest.raises(kms.exceptions.InvalidCiphertextException):  # another tenant's context does not open it
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={**context, "tenant_id": "someone-else"})

    rep = world.as_user("rep.zhang")
    assert rep.get("/notification-settings").status_code == 200
    refused = rep.put("/notification-settings", body, headers={"If-Match": saved.headers["ETag"]})
    assert refused.status_code == 403
    history = cloud.client("dynamodb").query(
        TableName=cloud.physical_name("Table"),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :a)",
        ExpressionAttributeValues={":pk": {"S": f"T#{world.tenant_id}#NOTIFYSETTINGS"}, ":a": {"S": "AUDIT#"}},
    )
    assert history["Count"] == 1 and "wecom-key" not in json.dumps(history["Items"])


def test_quiet_hours_hold_email_and_robots_until_a_scheduled_run_after_they_end(cloud: Any, world: World):
    admin = world.as_user("admin")
    assert (
        put_with_etag(admin, "/notification-settings", settings(cloud, world, quiet_around_now(True))).status_code
        == 200
    )
    choose(world, "rep.zhang", ["inbox", "email", "wecom"])
    label = f"夜间订单 {world.tenant_id}"
    put_event(cloud, "crm.approvals", "ApprovalWaiting", waiting(world, label, "rep.zhang"))

    zhang = world.as_user("rep.zhang")
    assert titles(zhang) == [f"待审批：订货单「{label}」"]  # the inbox at once
    assert mails_to(cloud, "rep.zhang", label) == [] and posts(cloud, world, "") == []
    cloud.run_schedule("NotifierFunction")
    assert mails_to(cloud, "rep.zhang", label) == [] and posts(cloud, world, "") == []  # still quiet

    body = settings(cloud, world, quiet_around_now(False))
    body["robots"] = [
        {k: r[k] for k in ("id", "name", "kind", "org_unit_id")}  # URLs and secret kept as stored
        for r in admin.get("/notification-settings").json()["robots"]
    ]
    assert put_with_etag(admin, "/notification-settings", body).status_code == 200
    cloud.run_schedule("NotifierFunction")
    assert len(mails_to(cloud, "rep.zhang", label)) == 1
    (post,) = posts(cloud, world, "cgi-bin/")
    assert label in post.json["text"]["content"]
    cloud.run_schedule("NotifierFunction")  # sent once
    assert len(mails_to(cloud, "rep.zhang", label)) == 1 and len(posts(cloud, world, "")) == 1


def test_a_flow_file_upload_tells_the_uploader_and_the_distributors_rep(cloud: Any, world: World):
    admin, zhang = world.as_user("admin"), world.as_user("rep.zhang")
    no_quiet_hours = {"quiet_hours": {"enabled": False}}  # the e-mail below leaves at any hour the test runs
    assert put_with_etag(admin, "/notification-settings", no_quiet_hours).status_code == 200
    product = {"sku": "P1001", "name": "阿莫西林胶囊", "spec": "0.25g*24粒", "base_unit": "盒", "case_size": 60}
    assert admin.post("/products", product).status_code == 201
    distributor = zhang.post(
        "/customers",
        {
            "name": f"苏州同仁医药{world.tenant_id}",
            "status": "active",
            "profile": {"type": "distributor", "tier": "tier1"},
        },
    )
    assert distributor.status_code == 201, distributor.text
    csv = (
        "销售日期,商品编码,商品名称,规格,批号,数量,单位,客户名称\n"
        "2026-10-03,P1001,阿莫西林胶囊,0.25g*24粒,B1,2,盒,康宁大药房\n"
    )
    load = upload(admin, distributor.json()["id"], csv.encode())
    assert load["status"] in ("accepted", "accepted_with_errors"), load
    cloud.wait_idle()
    finished = f"流向文件已处理：苏州同仁医药{world.tenant_id} 2026-10"
    assert titles(admin) == [finished] and titles(zhang) == [finished]

    rejected = upload(admin, distributor.json()["id"], bytes(range(256)) * 8)  # binary (S3 takes no empty file)
    assert rejected["status"] == "rejected"
    cloud.wait_idle()
    assert titles(admin)[0].startswith("流向文件被拒绝") and unread(admin) == 2
    assert len(mails_to(cloud, "admin", "流向文件被拒绝")) >= 1  # rejections go by e-mail too by default


def upload(client: Client, distributor_id: str, data: bytes) -> dict[str, Any]:
    ticket = client.post(
        "/flow-uploads", {"period": "2026-10", "file_name": "流向.csv", "distributor_id": distributor_id}
    )
    assert ticket.status_code == 201, ticket.text
    sent(ticket.json(), data)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        load = client.get(f"/flow-loads/{ticket.json()['load_id']}").json()
        if load["status"] not in ("received", "processing", 404):  # 404: the S3 event has not made it yet
            return load
        time.sleep(0.2)
    raise AssertionError("the load did not finish")


def test_a_finished_handover_tells_the_manager_and_both_reps(cloud: Any, world: World):
    liu, head = world.as_user("rep.liu"), world.as_user("eastrx.head")
    created = liu.post(
        "/customers", {"name": f"交接药店{world.tenant_id}", "profile": {"type": "terminal", "kind": "pharmacy"}}
    )
    assert created.status_code == 201, created.text
    job = head.post("/handovers", {"from_user_id": "u-rep-liu", "to_user_id": "u-rep-zhang", "reason": "刘洋离职"})
    assert job.status_code == 202, job.text
    assert wait_for_handover(head, job.json()["id"])["status"] == "completed"
    # the job reads completed a moment before its last step announces it: wait for what the manager sees
    assert titles_within(head, seconds=30) == ["工作转移完成：刘洋 → 张伟"]
    cloud.wait_idle()
    for username in ("rep.liu", "rep.zhang"):
        assert titles(world.as_user(username)) == ["工作转移完成：刘洋 → 张伟"], username
    assert titles(world.as_user("rep.chen")) == []


def test_an_event_in_the_dead_letter_queue_is_delivered_by_the_redrive_once(cloud: Any, world: World):
    sqs, queue = cloud.client("sqs"), cloud.function_env("NotifierFunction")["NOTIFIER_DLQ_URL"]
    label = f"死信订单 {world.tenant_id}"
    event = {
        "version": "0",
        "id": new_id(),
        "source": "crm.approvals",
        "detail-type": "ApprovalWaiting",
        "detail": waiting(world, label, "rep.zhang"),
    }  # what Lambda puts in its DLQ: the event it was given
    put_event(cloud, "crm.approvals", "ApprovalWaiting", event["detail"])  # delivered once already
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(event, ensure_ascii=False))
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"not": "an event"}))

    result = cloud.invoke("NotifierFunction", {"action": "redrive"})
    assert result.get("redriven") == 1 and result.get("redrive_dropped") == 1
    assert titles(world.as_user("rep.zhang")) == [f"待审批：订货单「{label}」"]  # not twice
    assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages") is None


def test_a_real_approval_tells_its_approver_and_then_its_submitter(cloud: Any, world: World):
    zhang, head = world.as_user("rep.zhang"), world.as_user("eastrx.head")
    name = f"康宁药店{world.tenant_id}"
    customer = zhang.post("/customers", {"name": name, "profile": {"type": "terminal", "kind": "pharmacy"}}).json()
    asked = zhang.post(f"/customers/{customer['id']}/activation-requests", {"comment": "签了协议"})
    assert asked.status_code == 202, asked.text
    waiting_title = f"待审批：客户启用申请「{asked.json()['subject_label']}」"
    assert eventually(lambda: titles(head) == [waiting_title]), titles(head)

    decided = head.post(f"/approvals/{asked.json()['id']}/decision", {"decision": "approve", "comment": "ok"})
    assert decided.status_code == 200, decided.text
    assert eventually(lambda: titles(zhang) == [f"审批通过：客户启用申请「{asked.json()['subject_label']}」"]), titles(
        zhang
    )
    assert titles(head) == [waiting_title]  # told once


def eventually(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return value
