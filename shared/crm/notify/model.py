"""Notifications (通知): the events people are told about, the channels, the tenant's settings and a user's
preferences as the API shows them, and the pure rules that choose channels, robots and quiet hours."""

import hashlib
import re
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator, model_validator

from crm.ids import ULID_PATTERN
from crm.text import FreeText


class EventName(StrEnum):
    """What a user chooses channels for (one name per thing that happened, as people see it)."""

    APPROVAL_WAITING = "approval.waiting"
    APPROVAL_REMINDER = "approval.reminder"
    APPROVAL_ESCALATED = "approval.escalated"
    APPROVAL_DECIDED = "approval.decided"
    APPROVAL_EXPIRED = "approval.expired"
    FLOW_LOAD_FINISHED = "flow.load_finished"
    FLOW_LOAD_REJECTED = "flow.load_rejected"
    HANDOVER_FINISHED = "handover.finished"


class Channel(StrEnum):
    INBOX = "inbox"
    EMAIL = "email"
    WECOM = "wecom"  # 企业微信 group robot
    DINGTALK = "dingtalk"  # 钉钉 group robot


class RobotKind(StrEnum):
    WECOM = "wecom"
    DINGTALK = "dingtalk"


ROBOT_CHANNELS = frozenset({Channel.WECOM, Channel.DINGTALK})

_APPROVALS = (
    EventName.APPROVAL_WAITING,
    EventName.APPROVAL_REMINDER,
    EventName.APPROVAL_ESCALATED,
    EventName.APPROVAL_DECIDED,
    EventName.APPROVAL_EXPIRED,
)
# What a tenant gets before HQ sets anything: what waits for a person by inbox and e-mail, file results in the inbox.
DEFAULT_CHANNELS: dict[EventName, list[Channel]] = {
    **{name: [Channel.INBOX, Channel.EMAIL] for name in _APPROVALS},
    EventName.FLOW_LOAD_FINISHED: [Channel.INBOX],
    EventName.FLOW_LOAD_REJECTED: [Channel.INBOX, Channel.EMAIL],
    EventName.HANDOVER_FINISHED: [Channel.INBOX, Channel.EMAIL],
}

HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["22:00"])]
ChannelList = Annotated[list[Channel], Field(max_length=4)]
_EMAIL = re.compile(r"^[^@\s<>\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _unique(channels: list[Channel]) -> list[Channel]:
    return list(dict.fromkeys(channels))


# ------------------------------------------------------------------------------------------- tenant settings


class QuietHours(BaseModel):
    """Local times in the tenant's zone; start after end means the hours cross midnight (22:00–08:00)."""

    enabled: bool = True
    start: HHMM = "22:00"
    end: HHMM = "08:00"

    @model_validator(mode="after")
    def _not_empty(self) -> "QuietHours":
        if self.start == self.end:
            raise ValueError("start and end must differ (turn quiet hours off with enabled: false)")
        return self


class EmailSettings(BaseModel):
    enabled: bool = True
    sender: str | None = Field(
        default=None,
        max_length=254,
        description="From address; on a domain SES has verified. None: the stack's default",
    )

    @field_validator("sender")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError("not an e-mail address")
        return value


class RobotIn(BaseModel):
    """A group robot as HQ sends it. The webhook URL and the secret are write-only: send `id` with neither to keep
    the stored ones."""

    id: str | None = Field(default=None, pattern=ULID_PATTERN, description="An existing robot's id; none: a new one")
    name: Annotated[str, FreeText(60, min_length=1)]
    kind: RobotKind
    webhook_url: str | None = Field(
        default=None,
        min_length=10,
        max_length=1000,
        description="Required for a new robot; https (http only to this machine)",
    )
    secret: str | None = Field(
        default=None, min_length=1, max_length=200, description="DingTalk 加签 secret (SEC...); signs each post"
    )
    remove_secret: bool = False
    org_unit_id: str | None = Field(
        default=None,
        max_length=64,
        description="Users in this unit's subtree use this robot (the nearest unit wins); none: the whole tenant",
    )

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None:
            webhook_host(value)
        return value


def webhook_host(url: str) -> str:
    """The host of a robot URL we are willing to post to; ValueError otherwise."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or parts.username or parts.password:
        raise ValueError("not a webhook URL")
    if parts.scheme != "https" and not (parts.scheme == "http" and host in _LOOPBACK):
        raise ValueError("use https (plain http only to this machine, e.g. the local webhook sink)")
    return host


class Robot(BaseModel):
    """A robot as the API shows it: never its URL or secret."""

    id: str
    name: str
    kind: RobotKind
    org_unit_id: str | None
    url_set: bool
    host: str
    secret_set: bool


def _default_channels() -> dict[EventName, list[Channel]]:
    return {name: list(channels) for name, channels in DEFAULT_CHANNELS.items()}


class SettingsIn(BaseModel):
    time_zone: str = Field(default="Asia/Shanghai", max_length=64, description="IANA zone of the quiet hours")
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    default_channels: dict[EventName, ChannelList] = Field(
        default_factory=_default_channels,
        description="Per event, for users who chose nothing; unnamed events keep the built-in default",
    )
    email: EmailSettings = Field(default_factory=EmailSettings)
    robots: list[RobotIn] = Field(default_factory=list, max_length=50)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("not an IANA time zone (e.g. Asia/Shanghai)") from exc
        return value

    @field_validator("default_channels")
    @classmethod
    def _dedupe(cls, value: dict[EventName, list[Channel]]) -> dict[EventName, list[Channel]]:
        return {name: _unique(channels) for name, channels in value.items()}


class NotificationSettings(BaseModel):
    time_zone: str
    quiet_hours: QuietHours
    default_channels: dict[EventName, list[Channel]]
    email: EmailSettings
    default_sender: str | None = Field(description="Used when email.sender is none")
    robots: list[Robot]


class StoredRobot(BaseModel):
    """A robot as stored: its URL and secret as KMS ciphertext (base64), the host in clear for people."""

    id: str
    name: str
    kind: RobotKind
    org_unit_id: str | None = None
    host: str
    url_ciphertext: str
    secret_ciphertext: str | None = None

    def view(self) -> Robot:
        return Robot(
            id=self.id,
            name=self.name,
            kind=self.kind,
            org_unit_id=self.org_unit_id,
            url_set=True,
            host=self.host,
            secret_set=self.secret_ciphertext is not None,
        )


class StoredSettings(BaseModel):
    time_zone: str = "Asia/Shanghai"
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    default_channels: dict[EventName, list[Channel]] = Field(default_factory=_default_channels)
    email: EmailSettings = Field(default_factory=EmailSettings)
    robots: list[StoredRobot] = Field(default_factory=list)

    def view(self, default_sender: str | None) -> NotificationSettings:
        return NotificationSettings(
            time_zone=self.time_zone,
            quiet_hours=self.quiet_hours,
            default_channels={**_default_channels(), **self.default_channels},
            email=self.email,
            default_sender=default_sender,
            robots=[r.view() for r in self.robots],
        )

    def audit_view(self) -> dict[str, Any]:
        """What the audit trail keeps: the settings with each robot's host, never a URL, secret or ciphertext (a
        changed URL shows as a changed fingerprint of its ciphertext)."""
        view = self.model_dump(mode="json", exclude={"robots"})
        view["robots"] = [
            {**r.view().model_dump(mode="json"), "url_version": _fingerprint(r.url_ciphertext)} for r in self.robots
        ]
        return view

    def robot(self, robot_id: str) -> StoredRobot | None:
        return next((r for r in self.robots if r.id == robot_id), None)


def _fingerprint(ciphertext: str) -> str:
    return hashlib.sha256(ciphertext.encode()).hexdigest()[:12]


# ------------------------------------------------------------------------------------------- user preferences


class PreferencesIn(BaseModel):
    events: dict[EventName, ChannelList] = Field(
        default_factory=dict,
        description="Per event, the channels you want (an empty list: none); unnamed events "
        "follow the tenant's default",
    )
    quiet_hours: bool = Field(default=True, description="Hold my e-mail during the tenant's quiet hours")

    @field_validator("events")
    @classmethod
    def _dedupe(cls, value: dict[EventName, list[Channel]]) -> dict[EventName, list[Channel]]:
        return {name: _unique(channels) for name, channels in value.items()}


class Preferences(PreferencesIn):
    effective: dict[EventName, list[Channel]] = Field(
        description="What you get now, per event, with the tenant's defaults and switches applied"
    )


# ------------------------------------------------------------------------------------------- the inbox


class Ref(BaseModel):
    type: str = Field(description="approval | flow_load | handover")
    id: str


class Notification(BaseModel):
    id: str
    event: EventName
    title: str
    body: str
    ref: Ref | None = None
    created_at: str
    read_at: str | None = None
    unread: bool


class NotificationPage(BaseModel):
    items: list[Notification]
    next_cursor: str | None = None


class UnreadCount(BaseModel):
    unread: int


class ReadAll(BaseModel):
    marked: int = Field(description="How many were marked read by this request")
    unread: int


class Message(BaseModel):
    """One happening, rendered once for every channel."""

    title: str
    body: str
    ref: Ref | None = None


# ------------------------------------------------------------------------------------------- rules


def channels_for(event: EventName, prefs: PreferencesIn | None, settings: StoredSettings) -> set[Channel]:
    """The user's choice for the event, else the tenant's default, less what the tenant has switched off."""
    if prefs is not None and event in prefs.events:
        chosen = set(prefs.events[event])
    else:
        chosen = set(settings.default_channels.get(event, DEFAULT_CHANNELS[event]))
    if not settings.email.enabled:
        chosen.discard(Channel.EMAIL)
    return chosen


def robot_for(
    kind: RobotKind, user_path: str, robots: list[StoredRobot], unit_paths: dict[str, str]
) -> StoredRobot | None:
    """The robot of that kind at the user's nearest unit up the tree (`unit_paths`: org unit id → path); a robot
    naming no unit serves the whole tenant, one naming an unknown unit serves no one."""
    best: tuple[int, StoredRobot] | None = None
    for robot in robots:
        if robot.kind != kind:
            continue
        path = "/" if robot.org_unit_id is None else unit_paths.get(robot.org_unit_id)
        if path is not None and user_path.startswith(path) and (best is None or len(path) > best[0]):
            best = (len(path), robot)
    return best[1] if best else None


def _local(at: datetime, zone: str) -> datetime:
    return at.astimezone(ZoneInfo(zone))


def in_quiet_hours(at: datetime, zone: str, quiet: QuietHours) -> bool:
    if not quiet.enabled:
        return False
    now = _local(at, zone).time()
    start, end = time.fromisoformat(quiet.start), time.fromisoformat(quiet.end)
    if start < end:
        return start <= now < end
    return now >= start or now < end  # across midnight


def quiet_hours_end(at: datetime, zone: str, quiet: QuietHours) -> datetime:
    """When the quiet hours around `at` end (UTC); `at` itself when they are not on."""
    if not in_quiet_hours(at, zone, quiet):
        return at
    local = _local(at, zone)
    end = time.fromisoformat(quiet.end)
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=ZoneInfo(zone)).astimezone(UTC)
