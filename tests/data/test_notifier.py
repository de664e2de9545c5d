"""The notifier and the notifications service on the real data layer (moto and DynamoDB Local), with the
outside world faked: a cipher, SES and the robots' webhooks record what they are given. Dedupe, the outbox
(a crash between claim and send, retries, quiet hours), the unread counter, settings with encrypted robots.
The wiring through EventBridge, KMS, SES and the webhook sink is in tests/e2e/test_notifications.py."""

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from crm import clock
from crm.auth import Principal
from crm.db import keys
from crm.db.models import AuditItem, DeliveryItem, NotifySettingsItem, UnreadCounterItem, UserItem
from crm.errors import Forbidden, PreconditionFailed
from crm.notify.channels import DeliveryError
from crm.notify.model import Channel, EventName, PreferencesIn, RobotIn, RobotKind, SettingsIn
from crm.notify.notifier import Notifier
from crm.notify.service import NotificationService
from crm.org import directory

from tests.data.conftest import World

SENDER = "noreply@notify.example.com"
NIGHT = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
DAY = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)  # 11:00


class FakeCipher:
    """Reversible, bound to the tenant like KMS's encryption context."""

    def encrypt(self, tenant_id: str, plaintext: str) -> str:
        return f"ct:{tenant_id}:" + base64.b64encode(plaintext[::-1].encode()).decode()

    def decrypt(self, tenant_id: str, ciphertext: str) -> str:
        prefix = f"ct:{tenant_id}:"
        assert ciphertext.startswith(prefix), "another tenant's ciphertext"
        return base64.b64decode(ciphertext.removeprefix(prefix)).decode()[::-1]


@dataclass
class Outside:
    """SES and the robots as the notifier sees them."""

    now: list[datetime]
    mails: list[tuple[str, str, str, str]] = field(default_factory=list)
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    mail_fails: list[Exception] = field(default_factory=list)  # raised, one per send, before sending
    post_fails: list[Exception] = field(default_factory=list)

    def send_email(self, sender: str, to: str, subject: str, text: str) -> str:
        if self.mail_fails:
            raise self.mail_fails.pop(0)
        self.mails.append((sender, to, subject, text))
        return "m"

    def post(self, url: str, payload: dict[str, Any]) -> None:
        if self.post_fails:
            raise self.post_fails.pop(0)
        self.posts.append((url, payload))

    def notifier(self) -> Notifier:
        return Notifier(lambda: FakeCipher(), SENDER, self.send_email, self.post, lambda: self.now[0])


@pytest.fixture
def out(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Outside]:
    for user_id, mobile in (("rep", "13800000004"), ("east-head", "13800000002"), ("admin", None)):
        user = UserItem.get(keys.org_pk(world.tenant), f"USER#{user_id}")
        user.email, user.mobile = f"{user_id}@demo.example.com", mobile
        user.save()
    directory.forget_cached()
    now = [DAY]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    yield Outside(now)


def service(principal: Principal) -> NotificationService:
    return NotificationService(principal, lambda: FakeCipher(), SENDER)


def waiting(
    world: World,
    event_id: str = "approval:A1:step1:waiting",
    envelope: str = "env-1",
    recipients: tuple[str, ...] = ("east-head", "rep"),
) -> dict[str, Any]:
    return {
        "id": envelope,
        "source": "crm.approvals",
        "detail-type": "ApprovalWaiting",
        "detail": {
            "tenant_id": world.tenant,
            "event_id": event_id,
            "approval_id": "01JA0000000000000000000000",
            "kind": "order",
            "subject_id": "o1",
            "subject_label": "康宁大药房 #1024",
            "amount": "12800.00",
            "step": 1,
            "role": "branch_head",
            "submitted_by": "admin",
            "recipients": list(recipients),
        },
    }


def robots(world: World, **quiet: Any) -> None:
    body = SettingsIn(
        robots=[
            RobotIn(
                name="华东企业微信群",
                kind=RobotKind.WECOM,
                org_unit_id="EAST",
                webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=EAST-KEY",
            ),
            RobotIn(
                name="全国钉钉群",
                kind=RobotKind.DINGTALK,
                secret="SECsecret",
                webhook_url="https://oapi.dingtalk.com/robot/send?access_token=ALL-TOKEN",
            ),
        ],
        **quiet,
    )
    service(world.admin).put_settings(body, 0)


def choose(principal: Principal, channels: list[Channel], quiet_hours: bool = True) -> None:
    prefs = PreferencesIn(events={EventName.APPROVAL_WAITING: channels}, quiet_hours=quiet_hours)
    svc = service(principal)
    svc.put_prefs(prefs, svc.get_prefs()[1])


def inbox(principal: Principal) -> list[str]:
    return [n.title for n in service(principal).list(False, 50, None).items]


def test_the_same_event_twice_notifies_each_recipient_once_per_channel(world: World, out: Outside):
    robots(world)
    choose(world.rep, [Channel.INBOX, Channel.EMAIL, Channel.WECOM])
    choose(world.east_head, [Channel.INBOX, Channel.WECOM, Channel.DINGTALK])
    first = out.notifier().handle(waiting(world, envelope="env-1"))
    again = out.notifier().handle(waiting(world, envelope="env-2"))  # EventBridge's envelope id differs

    assert first == {"inbox": 2, "sent": 3}
    assert again == {"duplicate": 5}
    for who in (world.rep, world.east_head):
        assert inbox(who) == ["待审批：订货单「康宁大药房 #1024」"]
        assert service(who).unread_count().unread == 1
    assert [(m[0], m[1]) for m in out.mails] == [(SENDER, "rep@demo.example.com")]
    (ding_url, ding), (wecom_url, wecom) = sorted(out.posts, key=lambda post: post[0])
    assert wecom_url.endswith("key=EAST-KEY")  # the EAST robot: both are in EAST's subtree
    assert wecom["msgtype"] == "text" and wecom["text"]["mentioned_mobile_list"] == ["13800000002", "13800000004"]
    assert ding_url.startswith("https://oapi.dingtalk.com/robot/send?access_token=ALL-TOKEN&timestamp=")
    assert "&sign=" in ding_url and ding["at"]["atMobiles"] == ["13800000002"]


def test_a_crash_between_claim_and_send_is_sent_by_the_scheduled_run_once_the_lease_passes(world: World, out: Outside):
    out.mail_fails.append(RuntimeError("the function died here"))
    with pytest.raises(RuntimeError):
        out.notifier().handle(waiting(world, recipients=("rep",)))
    assert out.notifier().handle(waiting(world, recipients=("rep",))) == {"duplicate": 2}  # the retry: claimed
    assert out.notifier().deliver_outbox() == {"in_flight": 1} and out.mails == []
    out.now[0] += timedelta(minutes=3)
    assert out.notifier().deliver_outbox() == {"sent": 1}
    assert out.notifier().deliver_outbox() == {} and len(out.mails) == 1
    assert inbox(world.rep) == ["待审批：订货单「康宁大药房 #1024」"]


def test_a_busy_robot_is_retried_by_the_scheduled_run_and_a_refusal_is_not(world: World, out: Outside):
    robots(world)
    choose(world.rep, [Channel.WECOM])
    out.post_fails.append(DeliveryError("the robot could not be reached", permanent=False))
    assert out.notifier().handle(waiting(world, recipients=("rep",))) == {"retry": 1}
    assert out.notifier().deliver_outbox() == {"sent": 1} and len(out.posts) == 1

    out.post_fails.append(DeliveryError("errcode 93000 invalid webhook url", permanent=True))
    assert out.notifier().handle(waiting(world, event_id="e2", recipients=("rep",))) == {"failed": 1}
    assert out.notifier().deliver_outbox() == {}
    failed = DeliveryItem.get(keys.notify_event_pk(world.tenant, "e2"), "robot#" + _robot_id(world, RobotKind.WECOM))
    assert failed.status == "failed" and "93000" in (failed.error or "") and "EAST-KEY" not in (failed.error or "")


def _robot_id(world: World, kind: RobotKind) -> str:
    return next(r.id for r in service(world.admin).get_settings()[0].robots if r.kind == kind)


def test_quiet_hours_hold_email_and_robots_but_not_the_inbox(world: World, out: Outside):
    robots(world)
    choose(world.rep, [Channel.INBOX, Channel.EMAIL, Channel.WECOM])
    choose(world.east_head, [Channel.EMAIL], quiet_hours=False)  # wants e-mail at any hour
    out.now[0] = NIGHT
    assert out.notifier().handle(waiting(world)) == {"inbox": 1, "deferred": 2, "sent": 1}
    assert inbox(world.rep) and [m[1] for m in out.mails] == ["east-head@demo.example.com"] and out.posts == []

    out.now[0] = NIGHT + timedelta(hours=2)  # 01:00: still quiet
    assert out.notifier().deliver_outbox() == {"quiet": 1}
    out.now[0] = datetime(2026, 12, 5, 0, 1, tzinfo=UTC)  # 08:01
    assert out.notifier().deliver_outbox() == {"sent": 2}
    assert [m[1] for m in out.mails] == ["east-head@demo.example.com", "rep@demo.example.com"]
    assert len(out.posts) == 1


def test_read_and_read_all_bring_the_count_to_zero_and_never_below(world: World, out: Outside):
    for n in range(3):
        out.now[0] = DAY + timedelta(seconds=n)
        out.notifier().handle(waiting(world, event_id=f"e{n}", recipients=("rep",)))
    mine = service(world.rep)
    assert mine.unread_count().unread == 3
    newest = mine.list(False, 50, None).items
    assert len(newest) == 3 and newest[0].created_at > newest[-1].created_at
    assert mine.mark_read(newest[0].id).unread is False
    assert mine.mark_read(newest[0].id).read_at is not None  # again: no change
    assert mine.unread_count().unread == 2 and len(mine.list(True, 50, None).items) == 2
    assert mine.read_all().model_dump() == {"marked": 2, "unread": 0}
    assert mine.read_all().model_dump() == {"marked": 0, "unread": 0}
    counter = UnreadCounterItem.get(keys.notify_user_pk(world.tenant, "rep"), keys.NOTIFY_UNREAD)
    assert counter.unread == 0
    assert service(world.east_head).unread_count().unread == 0  # someone else's inbox is untouched


def test_robot_urls_are_stored_encrypted_never_shown_and_kept_when_not_sent_again(world: World, out: Outside):
    robots(world)
    item = NotifySettingsItem.get(keys.notify_settings_pk(world.tenant), keys.META)
    assert "EAST-KEY" not in str(item.attribute_values) and "SECsecret" not in str(item.attribute_values)
    settings, version = service(world.admin).get_settings()
    shown = {r.name: r.model_dump() for r in settings.robots}
    assert shown["华东企业微信群"] | {"id": None} == {
        "id": None,
        "name": "华东企业微信群",
        "kind": "wecom",
        "org_unit_id": "EAST",
        "url_set": True,
        "host": "qyapi.weixin.qq.com",
        "secret_set": False,
    }
    assert shown["全国钉钉群"]["secret_set"] is True

    kept = [RobotIn(id=r.id, name=r.name, kind=r.kind, org_unit_id=r.org_unit_id) for r in settings.robots]
    _, version = service(world.admin).put_settings(SettingsIn(robots=kept), version)
    after = NotifySettingsItem.get(keys.notify_settings_pk(world.tenant), keys.META)
    assert after.robots == item.robots  # the same ciphertexts: URLs and the secret kept
    audits = list(AuditItem.query(keys.notify_settings_pk(world.tenant), AuditItem.sk.startswith("AUDIT#")))
    assert len(audits) == 2 and all("EAST-KEY" not in str(a.changes.as_dict()) for a in audits)

    with pytest.raises(PreconditionFailed):
        service(world.admin).put_settings(SettingsIn(), version - 1)
    with pytest.raises(Forbidden):
        service(world.rep).put_settings(SettingsIn(), version)


def test_preferences_show_what_reaches_me(world: World, out: Outside):
    robots(world)
    mine = service(world.west_rep)  # WEST: no WeCom robot up its tree, and no e-mail address
    prefs, version = mine.get_prefs()
    assert version == 0 and prefs.effective[EventName.APPROVAL_WAITING] == [Channel.INBOX]
    choose(world.west_rep, [Channel.INBOX, Channel.WECOM, Channel.DINGTALK])
    prefs, version = mine.get_prefs()
    assert version == 1 and prefs.effective[EventName.APPROVAL_WAITING] == [Channel.INBOX, Channel.DINGTALK]
    assert prefs.events == {EventName.APPROVAL_WAITING: [Channel.INBOX, Channel.WECOM, Channel.DINGTALK]}
