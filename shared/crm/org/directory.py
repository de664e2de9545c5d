"""Org units and users of a tenant, read by key and cached briefly per warm container.

The tree changes rarely (a reorganisation), is read on every request to work out scope,
and lives in one small partition per tenant: T#<tenant>#ORG.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from crm.db.keys import org_pk
from crm.db.models import OrgUnitItem, UserItem
from crm.errors import Forbidden, InvalidInput

# How long a warm container may go on using a unit it read (its path, whether it is closed). A move of a unit waits
# this long after rewriting the tree before it re-scopes records, so none written with a stale path is missed.
CACHE_SECONDS = 60.0
_cache: dict[tuple[str, str], tuple[float, object]] = {}


@dataclass(frozen=True)
class OrgUnit:
    id: str
    name: str
    kind: str  # hq | branch | department
    parent_id: str | None
    path: str  # /HQ/EAST/EAST-RX/
    closed: bool = False  # a closed unit takes no new users or customers


@dataclass(frozen=True)
class User:
    id: str
    name: str
    org_unit_id: str
    roles: frozenset[str]
    active: bool
    email: str | None = None  # notifications by e-mail; none: the user gets no e-mail
    mobile: str | None = None  # how group robots (WeCom, DingTalk) @mention the user


def forget_cached() -> None:
    """Drops every entry read into this container (a local system started in a process that served another)."""
    _cache.clear()


def _cached(key: tuple[str, str], load: Callable[[], Any]) -> Any:
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = load()
    if value is not None:
        _cache[key] = (time.monotonic(), value)
    return value


def find_unit(tenant_id: str, unit_id: str) -> OrgUnit | None:
    return _cached((tenant_id, f"UNIT#{unit_id}"), lambda: read_unit(tenant_id, unit_id))


def read_unit(tenant_id: str, unit_id: str) -> OrgUnit | None:
    """The unit as stored now, past the cache: for writes that place a record in a unit."""
    try:
        item = OrgUnitItem.get(org_pk(tenant_id), f"UNIT#{unit_id}", consistent_read=True)
    except OrgUnitItem.DoesNotExist:
        return None
    return OrgUnit(unit_id, item.name, item.kind, item.parent_id, item.path, item.closed_at is not None)


def find_user(tenant_id: str, user_id: str) -> User | None:
    def load() -> User | None:
        try:
            item = UserItem.get(org_pk(tenant_id), f"USER#{user_id}")
        except UserItem.DoesNotExist:
            return None
        return _user(user_id, item)

    return _cached((tenant_id, f"USER#{user_id}"), load)


def standing(tenant_id: str, user_id: str) -> Literal["active", "disabled", "unknown"]:
    """Whether the directory lets this user act for the tenant now. Read past the cache on every request: a user
    disabled in another container is refused from the next request on (their ID token stays valid at the gateway
    until it expires), and a token for a user the directory does not know (made in the pool outside the CRM, or
    naming another tenant) grants nothing. An eventually consistent read (0.5 RCU, half a strong one's, on every
    request of every route): a disable reaches it within about a second."""
    try:
        item = UserItem.get(org_pk(tenant_id), f"USER#{user_id}", attributes_to_get=["active"])
    except UserItem.DoesNotExist:
        return "unknown"
    return "active" if item.active else "disabled"


def users(tenant_id: str) -> list[User]:
    """Every user of the tenant (one small partition), e.g. to find who holds a role in a unit."""

    def load() -> list[User]:
        items = UserItem.query(org_pk(tenant_id), UserItem.sk.startswith("USER#"))
        return [_user(i.sk.removeprefix("USER#"), i) for i in items]

    return _cached((tenant_id, "USERS"), load)


def _user(user_id: str, item: UserItem) -> User:
    return User(user_id, item.name, item.org_unit_id, frozenset(item.roles or ()), item.active, item.email, item.mobile)


def caller_unit(tenant_id: str, unit_id: str) -> OrgUnit:
    """The caller's own unit; a token naming a unit that does not exist grants nothing."""
    unit = find_unit(tenant_id, unit_id) if unit_id else None
    if unit is None:
        raise Forbidden("Your org unit is not known in this tenant.")
    return unit


def require_unit(tenant_id: str, unit_id: str, field: str) -> OrgUnit:
    unit = find_unit(tenant_id, unit_id)
    if unit is None:
        raise InvalidInput("Unknown org unit.", [{"field": field, "message": f"no org unit {unit_id!r}"}])
    return unit


def require_open_unit(tenant_id: str, unit_id: str, field: str) -> OrgUnit:
    """A unit new users or customers may be placed in: it exists and is not closed. Read past the cache, so a
    unit closed or moved a moment ago in another container is seen as it is now (one GetItem per such write)."""
    unit = read_unit(tenant_id, unit_id)
    if unit is None:
        raise InvalidInput("Unknown org unit.", [{"field": field, "message": f"no org unit {unit_id!r}"}])
    if unit.closed:
        raise InvalidInput("That org unit is closed.", [{"field": field, "message": f"org unit {unit_id!r} is closed"}])
    return unit


def require_user(tenant_id: str, user_id: str, field: str) -> User:
    user = find_user(tenant_id, user_id)
    if user is None or not user.active:
        raise InvalidInput("Unknown user.", [{"field": field, "message": f"no active user {user_id!r}"}])
    return user


def save_unit(tenant_id: str, unit_id: str, name: str, kind: str, parent_id: str | None) -> OrgUnit:
    """Adds a unit under its parent (the parent must exist first); used by seeding and admin tools."""
    parent_path = "/" if parent_id is None else require_unit(tenant_id, parent_id, "parent_id").path
    path = f"{parent_path}{unit_id}/"
    OrgUnitItem(org_pk(tenant_id), f"UNIT#{unit_id}", name=name, kind=kind, parent_id=parent_id, path=path).save()
    return OrgUnit(unit_id, name, kind, parent_id, path)


def save_user(
    tenant_id: str,
    user_id: str,
    *,
    name: str,
    username: str,
    org_unit_id: str,
    roles: list[str],
    distributor_id: str | None = None,
    email: str | None = None,
    mobile: str | None = None,
) -> None:
    require_unit(tenant_id, org_unit_id, "org_unit_id")
    UserItem(
        org_pk(tenant_id),
        f"USER#{user_id}",
        name=name,
        username=username,
        org_unit_id=org_unit_id,
        roles=set(roles),
        distributor_id=distributor_id,
        email=email,
        mobile=mobile,
    ).save()


def import_org(tenant_id: str, units: list[dict], users: list[dict]) -> None:
    """Loads an org tree and its users (parents listed before children); safe to run again."""
    for u in units:
        if find_unit(tenant_id, u["id"]) is None:
            save_unit(tenant_id, u["id"], u["name"], u["kind"], u.get("parent_id"))
    for u in users:
        if find_user(tenant_id, u["id"]) is None:
            save_user(
                tenant_id,
                u["id"],
                name=u["name"],
                username=u["username"],
                org_unit_id=u["org_unit_id"],
                roles=u["roles"],
                distributor_id=u.get("distributor_id"),
                email=u.get("email"),
                mobile=u.get("mobile"),
            )
