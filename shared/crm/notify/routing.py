"""Who gets what: a tenant's settings, directory and robots, and each recipient's channels for one event."""

from dataclasses import dataclass, field
from datetime import datetime

from crm.notify import repository as repo
from crm.notify.events import Happening
from crm.notify.model import (
    ROBOT_CHANNELS,
    Channel,
    EventName,
    PreferencesIn,
    RobotKind,
    StoredRobot,
    StoredSettings,
    channels_for,
    in_quiet_hours,
    robot_for,
)
from crm.org import directory


@dataclass
class TenantContext:
    """What delivering to one tenant needs, read once per event (or per tenant in a scheduled run)."""

    tenant_id: str
    settings: StoredSettings
    users: dict[str, directory.User]
    _paths: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, tenant_id: str) -> "TenantContext":
        settings, _ = repo.read_settings(tenant_id)
        return cls(tenant_id, settings, {u.id: u for u in directory.users(tenant_id)})

    def name_of(self, user_id: str) -> str:
        user = self.users.get(user_id)
        return user.name if user else user_id

    def path_of(self, unit_id: str) -> str | None:
        if unit_id not in self._paths:
            unit = directory.find_unit(self.tenant_id, unit_id)
            if unit is None:
                return None
            self._paths[unit_id] = unit.path
        return self._paths[unit_id]

    def robot_of(self, kind: RobotKind, user: directory.User) -> StoredRobot | None:
        path = self.path_of(user.org_unit_id)
        if path is None:
            return None
        units = {r.org_unit_id: p for r in self.settings.robots if r.org_unit_id and (p := self.path_of(r.org_unit_id))}
        return robot_for(kind, path, self.settings.robots, units)

    def quiet(self, at: datetime) -> bool:
        return in_quiet_hours(at, self.settings.time_zone, self.settings.quiet_hours)


@dataclass
class Plan:
    inbox: list[str] = field(default_factory=list)
    email: list[str] = field(default_factory=list)
    robots: dict[str, list[str]] = field(default_factory=dict)  # robot id → the users it mentions


def plan(h: Happening, ctx: TenantContext, prefs: dict[str, PreferencesIn]) -> Plan:
    """Each recipient's channels for this event; robot channels become one post per robot of their nearest unit."""
    found = Plan()
    for user_id in h.recipients:
        user = ctx.users.get(user_id)
        if user is None or not user.active:
            continue
        chosen = channels_for(h.name, prefs.get(user_id), ctx.settings)
        if Channel.INBOX in chosen:
            found.inbox.append(user_id)
        if Channel.EMAIL in chosen and user.email:
            found.email.append(user_id)
        for channel in sorted(chosen & ROBOT_CHANNELS):
            robot = ctx.robot_of(RobotKind(channel.value), user)
            if robot is not None:
                found.robots.setdefault(robot.id, []).append(user_id)
    return found


def effective(
    event: EventName, user: directory.User | None, prefs: PreferencesIn | None, ctx: TenantContext
) -> list[Channel]:
    """What a user gets for an event today: their choice (or the default), less channels that cannot reach them
    (no e-mail address, no robot of that kind up their tree)."""
    chosen = channels_for(event, prefs, ctx.settings)
    if user is None or not user.email:
        chosen.discard(Channel.EMAIL)
    for channel in chosen & ROBOT_CHANNELS:
        if user is None or ctx.robot_of(RobotKind(channel.value), user) is None:
            chosen.discard(channel)
    return [c for c in Channel if c in chosen]
