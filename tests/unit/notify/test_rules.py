"""Which channels a user gets, which robot posts for them, and what HQ may store as a robot."""

import pytest
from crm.notify.model import (
    Channel,
    EmailSettings,
    EventName,
    PreferencesIn,
    RobotIn,
    RobotKind,
    StoredRobot,
    StoredSettings,
    channels_for,
    robot_for,
)
from pydantic import ValidationError


def robot(robot_id: str, kind: RobotKind, unit: str | None) -> StoredRobot:
    return StoredRobot(id=robot_id, name=robot_id, kind=kind, org_unit_id=unit, host="h", url_ciphertext="x")


PATHS = {"HQ": "/HQ/", "EAST": "/HQ/EAST/", "EAST-RX": "/HQ/EAST/EAST-RX/"}


def test_a_users_choice_wins_over_the_tenant_default() -> None:
    settings = StoredSettings()
    assert channels_for(EventName.APPROVAL_WAITING, None, settings) == {Channel.INBOX, Channel.EMAIL}
    mine = PreferencesIn(events={EventName.APPROVAL_WAITING: [Channel.WECOM]})
    assert channels_for(EventName.APPROVAL_WAITING, mine, settings) == {Channel.WECOM}
    assert channels_for(EventName.HANDOVER_FINISHED, mine, settings) == {Channel.INBOX, Channel.EMAIL}


def test_email_switched_off_by_the_tenant_is_off_for_everyone() -> None:
    settings = StoredSettings(email=EmailSettings(enabled=False))
    mine = PreferencesIn(events={EventName.APPROVAL_WAITING: [Channel.EMAIL, Channel.INBOX]})
    assert channels_for(EventName.APPROVAL_WAITING, mine, settings) == {Channel.INBOX}


def test_the_robot_of_the_nearest_unit_up_the_tree_posts() -> None:
    robots = [
        robot("all", RobotKind.WECOM, None),
        robot("east", RobotKind.WECOM, "EAST"),
        robot("east-ding", RobotKind.DINGTALK, "EAST"),
        robot("gone", RobotKind.WECOM, "NOWHERE"),
    ]
    assert robot_for(RobotKind.WECOM, "/HQ/EAST/EAST-RX/", robots, PATHS).id == "east"
    assert robot_for(RobotKind.WECOM, "/HQ/SOUTH/", robots, PATHS).id == "all"
    assert robot_for(RobotKind.DINGTALK, "/HQ/SOUTH/", robots, PATHS) is None


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", True),
        ("http://127.0.0.1:8080/cgi-bin/webhook/send?key=abc", True),  # the local sink
        ("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", False),  # the key in clear over the network
        ("https://user:pw@example.com/hook", False),
        ("ftp://example.com/hook", False),
    ],
)
def test_robot_urls_are_https_or_this_machine(url: str, ok: bool) -> None:
    if ok:
        RobotIn(name="r", kind=RobotKind.WECOM, webhook_url=url)
    else:
        with pytest.raises(ValidationError):
            RobotIn(name="r", kind=RobotKind.WECOM, webhook_url=url)


def test_the_audit_view_never_holds_a_url_or_a_secret() -> None:
    ding = StoredRobot(
        id="r",
        name="华东群",
        kind=RobotKind.DINGTALK,
        host="oapi.dingtalk.com",
        url_ciphertext="CIPHER-URL",
        secret_ciphertext="CIPHER-SECRET",
    )
    stored = StoredSettings(robots=[ding])
    view = str(stored.audit_view())
    assert "CIPHER" not in view and "oapi.dingtalk.com" in view and "'secret_set': True" in view
