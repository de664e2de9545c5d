"""The notifications API: my inbox and unread count, my preferences, and the tenant's settings (HQ).

Authorization comes first in every method, before any read; every change of preferences or settings is written
with its audit entry in one transaction, conditional on the version the caller read (If-Match).
"""

from collections.abc import Callable

from crm import clock
from crm.audit import diff
from crm.auth import Principal, require
from crm.errors import InvalidInput, NotFound, PreconditionFailed
from crm.ids import new_id
from crm.notify import repository as repo
from crm.notify.model import (
    EventName,
    Notification,
    NotificationPage,
    NotificationSettings,
    Preferences,
    PreferencesIn,
    ReadAll,
    RobotIn,
    RobotKind,
    SettingsIn,
    StoredRobot,
    StoredSettings,
    UnreadCount,
    webhook_host,
)
from crm.notify.routing import TenantContext, effective
from crm.notify.secrets import Cipher
from crm.org import directory

READ_ALL_BATCH = 50  # entries per transaction (with the counter's update)
READ_ALL_ROUNDS = 40  # at most 2000 entries per request; the rest with the next one


class NotificationService:
    def __init__(self, principal: Principal, cipher: Callable[[], Cipher], default_sender: str | None) -> None:
        self.p = principal
        self.tenant, self.user = principal.tenant_id, principal.user_id
        self.cipher, self.default_sender = cipher, default_sender

    # --------------------------------------------------------------------------------------- my inbox

    def list(self, unread_only: bool, limit: int, cursor: str | None) -> NotificationPage:
        require(self.p, "notify:self")
        page = repo.list_inbox(self.tenant, self.user, unread_only, limit, cursor)
        return NotificationPage(items=page.items, next_cursor=page.cursor)

    def unread_count(self) -> UnreadCount:
        require(self.p, "notify:self")
        return UnreadCount(unread=repo.unread_count(self.tenant, self.user))

    def mark_read(self, notification_id: str) -> Notification:
        require(self.p, "notify:self")
        item = repo.get_entry(self.tenant, self.user, notification_id)  # only ever in the caller's own partition
        if item is None:
            raise NotFound(f"No notification {notification_id}.")
        if item.read_at is None:
            repo.mark_read(item, clock.now())
            item = repo.get_entry(self.tenant, self.user, notification_id) or item
        return repo.to_model(item)

    def read_all(self) -> ReadAll:
        require(self.p, "notify:self")
        marked = 0
        for _ in range(READ_ALL_ROUNDS):
            entries = repo.unread_entries(self.tenant, self.user, READ_ALL_BATCH)
            done = repo.mark_many_read(entries, clock.now())
            marked += done
            if len(entries) < READ_ALL_BATCH or done == 0:
                break
        return ReadAll(marked=marked, unread=repo.unread_count(self.tenant, self.user))

    # --------------------------------------------------------------------------------------- my preferences

    def get_prefs(self) -> tuple[Preferences, int]:
        require(self.p, "notify:self")
        prefs, version = repo.read_prefs(self.tenant, self.user)
        return self._view(prefs or PreferencesIn()), version

    def put_prefs(self, body: PreferencesIn, if_match: int) -> tuple[Preferences, int]:
        require(self.p, "notify:self")
        before, version = repo.read_prefs(self.tenant, self.user)
        if version != if_match:
            raise PreconditionFailed(f"Your preferences are at version {version}, not {if_match}: read them again.")
        changes = diff(before.model_dump(mode="json") if before else None, body.model_dump(mode="json"))
        version = repo.write_prefs(self.tenant, self.user, body, version, self.user, clock.now_iso(), changes)
        return self._view(body), version

    def _view(self, prefs: PreferencesIn) -> Preferences:
        ctx = TenantContext.load(self.tenant)
        user = directory.find_user(self.tenant, self.user)
        return Preferences(**prefs.model_dump(), effective={e: effective(e, user, prefs, ctx) for e in EventName})

    # --------------------------------------------------------------------------------------- tenant settings

    def get_settings(self) -> tuple[NotificationSettings, int]:
        require(self.p, "notify:settings:read")
        stored, version = repo.read_settings(self.tenant)
        return stored.view(self.default_sender), version

    def put_settings(self, body: SettingsIn, if_match: int) -> tuple[NotificationSettings, int]:
        require(self.p, "notify:settings")
        before, version = repo.read_settings(self.tenant)
        if version != if_match:
            raise PreconditionFailed(
                f"The notification settings are at version {version}, not {if_match}: read them again."
            )
        robots = RobotChanges(self.tenant, self.cipher, before).apply(body.robots)
        after = StoredSettings(
            time_zone=body.time_zone,
            quiet_hours=body.quiet_hours,
            default_channels={**StoredSettings().default_channels, **body.default_channels},
            email=body.email,
            robots=robots,
        )
        changes = diff(before.audit_view(), after.audit_view())
        version = repo.write_settings(self.tenant, after, version, self.user, clock.now_iso(), changes)
        return after.view(self.default_sender), version


class RobotChanges:
    """The robots HQ sent, checked against the stored ones; new URLs and secrets encrypted, others kept."""

    def __init__(self, tenant_id: str, cipher: Callable[[], Cipher], before: StoredSettings) -> None:
        self.tenant, self.cipher, self.before = tenant_id, cipher, before
        self.errors: list[dict[str, str]] = []

    def apply(self, robots: list[RobotIn]) -> list[StoredRobot]:
        stored = [self._one(f"robots.{i}", robot) for i, robot in enumerate(robots)]
        seen: dict[tuple[str, str | None], int] = {}
        for i, robot in enumerate(robots):
            if (key := (robot.kind.value, robot.org_unit_id)) in seen:
                self._error(
                    f"robots.{i}.org_unit_id",
                    f"robots {seen[key]} and {i} are both the {robot.kind.value} robot of this unit",
                )
            seen.setdefault(key, i)
        if self.errors:
            raise InvalidInput("Some robots cannot be stored.", self.errors)
        return [r for r in stored if r is not None]

    def _one(self, field: str, robot: RobotIn) -> StoredRobot | None:
        old = self.before.robot(robot.id) if robot.id else None
        if robot.id and old is None:
            self._error(f"{field}.id", "no such robot; leave id out to add one")
            return None
        if robot.webhook_url is None and (old is None or old.kind != robot.kind):
            self._error(f"{field}.webhook_url", "required for a new robot, or one of another kind")
            return None
        if robot.kind == RobotKind.WECOM and robot.secret:
            self._error(f"{field}.secret", "WeCom robots are not signed; only DingTalk robots take a secret")
            return None
        if robot.org_unit_id and directory.find_unit(self.tenant, robot.org_unit_id) is None:
            self._error(f"{field}.org_unit_id", f"no org unit {robot.org_unit_id!r}")
            return None
        if robot.webhook_url:
            url_ciphertext, host = self._encrypt(robot.webhook_url), webhook_host(robot.webhook_url)
        else:
            assert old is not None  # checked above: a robot sent without a URL keeps its stored one
            url_ciphertext, host = old.url_ciphertext, old.host
        return StoredRobot(
            id=old.id if old else new_id(),
            name=robot.name,
            kind=robot.kind,
            org_unit_id=robot.org_unit_id,
            host=host,
            url_ciphertext=url_ciphertext,
            secret_ciphertext=self._secret(robot, old),
        )

    def _secret(self, robot: RobotIn, old: StoredRobot | None) -> str | None:
        if robot.secret:
            return self._encrypt(robot.secret)
        if robot.remove_secret or robot.kind == RobotKind.WECOM or old is None:
            return None
        return old.secret_ciphertext

    def _encrypt(self, plaintext: str) -> str:
        return self.cipher().encrypt(self.tenant, plaintext)

    def _error(self, field: str, message: str) -> None:
        """Notes a field's problem; the robot is left out (None), all of them reported together."""
        self.errors.append({"field": field, "message": message})
