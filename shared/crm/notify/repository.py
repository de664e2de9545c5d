"""The only code that knows how notifications are stored (crm.db.keys, docs/access-patterns.md):

- a user's partition T#t#NOTIFY#<user>: inbox entries N#<ulid>, the unread counter UNREAD, preferences PREFS
  (audited beside them); gsi1 T#t#NOTIFYUNREAD#<user> lists the unread entries (sparse);
- the tenant's settings T#t#NOTIFYSETTINGS / META, audited beside them;
- one partition per happening T#t#NOTIFYEVENT#<event id>: one delivery item per recipient and channel (or robot),
  put only if absent; e-mail and robot deliveries still to make are listed in gsi4 NOTIFY#OUTBOX.
"""

import json
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from crm import audit
from crm.db import keys
from crm.db.models import (
    DeliveryItem,
    NotificationItem,
    NotifyPrefsItem,
    NotifySettingsItem,
    UnreadCounterItem,
)
from crm.db.paging import Page, query_page
from crm.db.transaction import Transaction
from crm.errors import Conflict, PreconditionFailed
from crm.ids import new_id
from crm.notify.model import Message, Notification, PreferencesIn, Ref, StoredSettings

DELIVERY_DAYS = 30  # longer than EventBridge retries (24 h) and the DLQ's retention (14 days): a redrive dedupes
READ_DAYS = 90  # a read inbox entry is kept this long; an unread one until it is read
OPEN = ("claimed", "deferred", "retry")  # delivery states listed in the outbox


class _Taken(Conflict):
    """The condition that makes a write happen once failed: someone did it first."""


class _CounterShort(Conflict):
    pass


def _taken() -> Conflict:
    return _Taken("already done")


def _days(now: datetime, days: int) -> int:
    return int(now.timestamp()) + days * 86400


# ------------------------------------------------------------------------------------------- settings


def read_settings(tenant_id: str) -> tuple[StoredSettings, int]:
    """The tenant's settings and their version; the defaults and version 0 when HQ never set any."""
    try:
        item = NotifySettingsItem.get(keys.notify_settings_pk(tenant_id), keys.META)
    except NotifySettingsItem.DoesNotExist:
        return StoredSettings(), 0
    stored = json.loads(item.settings) | {"robots": json.loads(item.robots)}
    return StoredSettings.model_validate(stored), item.version or 0


def write_settings(
    tenant_id: str, settings: StoredSettings, version: int, by: str, at: str, changes: dict[str, Any]
) -> int:
    pk = keys.notify_settings_pk(tenant_id)
    dumped = settings.model_dump(mode="json")
    item = NotifySettingsItem(
        pk,
        keys.META,
        settings=json.dumps({k: v for k, v in dumped.items() if k != "robots"}, ensure_ascii=False),
        robots=json.dumps(dumped["robots"], ensure_ascii=False),
        updated_by=by,
        updated_at=at,
    )
    _write_audited(item, version, tenant_id, "notification_settings.set", by, at, changes)
    return version + 1


def _write_audited(
    item: NotifySettingsItem | NotifyPrefsItem,
    version: int,
    tenant_id: str,
    action: str,
    by: str,
    at: str,
    changes: dict[str, Any],
) -> None:
    if version:
        item.version = version  # conditional on the version the caller named (If-Match)
    tx = Transaction()
    tx.put(item, on_fail=lambda: PreconditionFailed("Changed by someone else meanwhile: read it again."))
    audit.stage(tx, item.pk, tenant_id, action, by, changes, at=at)
    tx.commit()


# ------------------------------------------------------------------------------------------- preferences


def read_prefs(tenant_id: str, user_id: str) -> tuple[PreferencesIn | None, int]:
    try:
        item = NotifyPrefsItem.get(keys.notify_user_pk(tenant_id, user_id), keys.NOTIFY_PREFS)
    except NotifyPrefsItem.DoesNotExist:
        return None, 0
    return PreferencesIn.model_validate_json(item.prefs), item.version or 0


def prefs_of(tenant_id: str, user_ids: list[str]) -> dict[str, PreferencesIn]:
    """The preferences of those who set any, in one BatchGetItem (per 100)."""
    wanted = [(keys.notify_user_pk(tenant_id, u), keys.NOTIFY_PREFS) for u in dict.fromkeys(user_ids)]
    found = {}
    for item in NotifyPrefsItem.batch_get(wanted):
        found[item.pk.rsplit("#", 1)[1]] = PreferencesIn.model_validate_json(item.prefs)
    return found


def write_prefs(
    tenant_id: str, user_id: str, prefs: PreferencesIn, version: int, by: str, at: str, changes: dict[str, Any]
) -> int:
    item = NotifyPrefsItem(
        keys.notify_user_pk(tenant_id, user_id),
        keys.NOTIFY_PREFS,
        prefs=prefs.model_dump_json(),
        updated_by=by,
        updated_at=at,
    )
    _write_audited(item, version, tenant_id, "notification_preferences.set", by, at, changes)
    return version + 1


# ------------------------------------------------------------------------------------------- the inbox


def deliver_to_inbox(tenant_id: str, event_id: str, event: str, user_id: str, message: Message, now: datetime) -> bool:
    """The entry, its delivery record and the unread counter's +1 in one transaction; False when this happening
    was put in this inbox before (nothing written)."""
    at, notification_id = now.isoformat(timespec="milliseconds"), new_id()
    delivery = DeliveryItem(
        keys.notify_event_pk(tenant_id, event_id),
        f"inbox#{user_id}",
        tenant_id=tenant_id,
        event_id=event_id,
        event=event,
        channel="inbox",
        status="sent",
        created_at=at,
        finished_at=at,
        expiration=_days(now, DELIVERY_DAYS),
    )
    entry = NotificationItem(
        keys.notify_user_pk(tenant_id, user_id),
        keys.notification_sk(notification_id),
        gsi1pk=keys.notify_unread_pk(tenant_id, user_id),
        gsi1sk=notification_id,
        tenant_id=tenant_id,
        id=notification_id,
        user_id=user_id,
        event=event,
        event_id=event_id,
        title=message.title,
        body=message.body,
        ref=message.ref.model_dump() if message.ref else None,
        created_at=at,
    )
    tx = Transaction()
    tx.put(delivery, condition=DeliveryItem.pk.does_not_exist(), on_fail=_taken)
    tx.put(entry, condition=NotificationItem.pk.does_not_exist())
    tx.update(_counter(tenant_id, user_id), [UnreadCounterItem.unread.add(1)])
    try:
        tx.commit()
    except _Taken:
        return False
    return True


def _counter(tenant_id: str, user_id: str) -> UnreadCounterItem:
    return UnreadCounterItem(keys.notify_user_pk(tenant_id, user_id), keys.NOTIFY_UNREAD)


def to_model(item: NotificationItem) -> Notification:
    ref = item.ref.as_dict() if item.ref else None
    return Notification(
        id=item.id,
        event=item.event,
        title=item.title,
        body=item.body,
        ref=Ref.model_validate(ref) if ref else None,
        created_at=item.created_at,
        read_at=item.read_at,
        unread=item.read_at is None,
    )


def list_inbox(tenant_id: str, user_id: str, unread_only: bool, limit: int, cursor: str | None) -> Page[Notification]:
    """Newest first: the whole inbox (its partition), or the unread ones (gsi1)."""
    if unread_only:
        page = query_page(
            NotificationItem,
            "gsi1pk",
            keys.notify_unread_pk(tenant_id, user_id),
            limit=limit,
            cursor=cursor,
            index_name="gsi1",
            forward=False,
        )
    else:
        page = query_page(
            NotificationItem,
            "pk",
            keys.notify_user_pk(tenant_id, user_id),
            limit=limit,
            cursor=cursor,
            range_condition=NotificationItem.sk.startswith("N#"),
            forward=False,
        )
    return Page([to_model(i) for i in page.items], page.cursor)


def unread_count(tenant_id: str, user_id: str) -> int:
    try:
        item = UnreadCounterItem.get(keys.notify_user_pk(tenant_id, user_id), keys.NOTIFY_UNREAD)
    except UnreadCounterItem.DoesNotExist:
        return 0
    return max(0, int(item.unread or 0))


def get_entry(tenant_id: str, user_id: str, notification_id: str) -> NotificationItem | None:
    try:
        return NotificationItem.get(
            keys.notify_user_pk(tenant_id, user_id), keys.notification_sk(notification_id), consistent_read=True
        )
    except NotificationItem.DoesNotExist:
        return None


_UNREAD = NotificationItem.pk.exists() & NotificationItem.read_at.does_not_exist()


def _read_actions(now: datetime) -> list[Any]:
    return [
        NotificationItem.read_at.set(now.isoformat(timespec="milliseconds")),
        NotificationItem.gsi1pk.remove(),
        NotificationItem.gsi1sk.remove(),
        NotificationItem.expiration.set(_days(now, READ_DAYS)),
    ]


def mark_read(item: NotificationItem, now: datetime) -> bool:
    """Marks one unread entry read and takes it off the counter (never below 0); False if it was read already."""
    for with_counter in (True, False):  # a counter already at 0 (it should not be) does not stop the entry
        tx = Transaction()
        tx.update(item, _read_actions(now), condition=_UNREAD, on_fail=_taken)
        if with_counter:
            tx.update(
                _counter(item.tenant_id, item.user_id),
                [UnreadCounterItem.unread.add(-1)],
                condition=UnreadCounterItem.unread >= 1,
                on_fail=lambda: _CounterShort("counter at 0"),
            )
        try:
            tx.commit()
            return True
        except _Taken:
            return False
        except _CounterShort:
            continue
    return False


def mark_many_read(items: list[NotificationItem], now: datetime) -> int:
    """Marks up to 99 unread entries read with one counter update, all or none; if any was read meanwhile (or the
    counter is short), one by one instead. Returns how many this call marked."""
    if not items:
        return 0
    tx = Transaction()
    for item in items:
        tx.update(item, _read_actions(now), condition=_UNREAD, on_fail=_taken)
    first = items[0]
    tx.update(
        _counter(first.tenant_id, first.user_id),
        [UnreadCounterItem.unread.add(-len(items))],
        condition=UnreadCounterItem.unread >= len(items),
        on_fail=lambda: _CounterShort("counter short"),
    )
    try:
        tx.commit()
    except Conflict:
        return sum(mark_read(item, now) for item in items)
    return len(items)


def unread_entries(tenant_id: str, user_id: str, limit: int) -> list[NotificationItem]:
    """The oldest unread entries first (read-all works through them)."""
    return list(NotificationItem.unread.query(keys.notify_unread_pk(tenant_id, user_id), limit=limit))


# ------------------------------------------------------------------------------------------- deliveries


def claim(
    tenant_id: str,
    event_id: str,
    event: str,
    sk: str,
    channel: str,
    message: dict[str, Any],
    deferred: bool,
    now: datetime,
) -> DeliveryItem | None:
    """Puts the delivery (claimed, or deferred by quiet hours) if this happening has none for `sk` yet; the item,
    or None when it was claimed before (a repeated event)."""
    at = now.isoformat(timespec="milliseconds")
    item = DeliveryItem(
        keys.notify_event_pk(tenant_id, event_id),
        sk,
        tenant_id=tenant_id,
        event_id=event_id,
        event=event,
        channel=channel,
        status="deferred" if deferred else "claimed",
        claimed_at=None if deferred else at,
        attempts=0 if deferred else 1,
        message=json.dumps(message, ensure_ascii=False),
        created_at=at,
        gsi4pk=keys.NOTIFY_OUTBOX,
        gsi4sk=f"{tenant_id}#{at}#{event_id}#{sk}",
        expiration=_days(now, DELIVERY_DAYS),
    )
    tx = Transaction()
    tx.put(item, condition=DeliveryItem.pk.does_not_exist(), on_fail=_taken)
    try:
        tx.commit()
    except _Taken:
        return None
    return item


def take_over(item: DeliveryItem, now: datetime) -> bool:
    """Claims a delivery found in the outbox, if it is still as it was read (one taker wins)."""
    same = (DeliveryItem.status == item.status) & (DeliveryItem.attempts == item.attempts)
    at = now.isoformat(timespec="milliseconds")
    try:
        item.update(
            actions=[DeliveryItem.status.set("claimed"), DeliveryItem.claimed_at.set(at), DeliveryItem.attempts.add(1)],
            condition=same,
        )
    except Exception as exc:  # pynamodb's UpdateError wraps ConditionalCheckFailed
        if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def finish(item: DeliveryItem, status: str, now: datetime, error: str | None = None) -> None:
    """sent | failed | dropped: off the outbox. retry: stays in it for the next scheduled run."""
    actions: list[Action] = [
        DeliveryItem.status.set(status),
        DeliveryItem.error.set(error[:500]) if error else DeliveryItem.error.remove(),
    ]
    if status != "retry":
        actions += [
            DeliveryItem.finished_at.set(now.isoformat(timespec="milliseconds")),
            DeliveryItem.gsi4pk.remove(),
            DeliveryItem.gsi4sk.remove(),
        ]
    item.update(actions=actions)


def outbox(after: str, limit: int) -> list[DeliveryItem]:
    """Deliveries still to make, in tenant order, from just after the sort key `after`."""
    condition = DeliveryItem.gsi4sk > after if after else None
    return list(DeliveryItem.outbox.query(keys.NOTIFY_OUTBOX, range_key_condition=condition, limit=limit))


def message_of(item: DeliveryItem) -> dict[str, Any]:
    return json.loads(item.message or "{}")


def get_delivery(tenant_id: str, event_id: str, sk: str) -> DeliveryItem | None:
    try:
        return DeliveryItem.get(keys.notify_event_pk(tenant_id, event_id), sk, consistent_read=True)
    except DoesNotExist:
        return None
