"""Delegation (工作代理): while a user is away, a deputy they name acts for them, from one day to another.

What a deputy may do is decided where it matters (the approval engine asks `acting_for` / `deputies_of`);
this module only keeps who stands in for whom, on which days. A delegation ends by itself after its last
day; it may be cancelled earlier. Days are the tenant's business dates. Every change is audited.
"""

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm import audit, clock, versions
from crm.auth import Principal, Role, require
from crm.db import keys
from crm.db.models import DelegationItem
from crm.db.transaction import Transaction
from crm.errors import Conflict, InvalidInput, NotFound
from crm.ids import new_id
from crm.org import directory
from crm.text import FreeText

MAX_DAYS = 92  # a quarter: longer is a hand-over (工作转移), not a delegation


class DelegationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deputy_id: str = Field(min_length=1, max_length=64, description="The user who acts meanwhile")
    starts_on: clock.IsoDate
    ends_on: clock.IsoDate = Field(
        description="The last day the deputy acts (the tenant's date); it ends by itself after"
    )
    reason: Annotated[str, FreeText(200, multiline=True)] | None = None
    delegator_id: str | None = Field(
        default=None, max_length=64, description="Whose work is delegated; HQ admins only, default the caller"
    )

    @model_validator(mode="after")
    def a_range(self) -> "DelegationIn":
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        if (self.ends_on - self.starts_on).days >= MAX_DAYS:
            raise ValueError(f"a delegation lasts at most {MAX_DAYS} days; use a hand-over for longer")
        return self


class Delegation(BaseModel):
    id: str
    delegator_id: str
    deputy_id: str
    starts_on: date
    ends_on: date
    reason: str | None
    status: str = Field(description="scheduled, active, ended (after its last day) or cancelled")
    created_by: str
    created_at: str
    version: int


class DelegationPage(BaseModel):
    items: list[Delegation]
    next_cursor: str | None = None


# ----------------------------------------------------------------------------- who acts for whom


def acting_for(tenant_id: str, deputy_id: str, on: date | None = None) -> set[str]:
    """The users this deputy stands in for on that day (today by default)."""
    return {i.delegator_id for i in _in_force(tenant_id, on) if i.deputy_id == deputy_id}


def deputies_of(tenant_id: str, user_ids: set[str], on: date | None = None) -> dict[str, str]:
    """deputy → the user they stand in for, for these users on that day (today by default). A deputy who
    is one of the users already acts in their own right and is left out."""
    return {
        i.deputy_id: i.delegator_id
        for i in _in_force(tenant_id, on)
        if i.delegator_id in user_ids and i.deputy_id not in user_ids
    }


def _in_force(tenant_id: str, on: date | None) -> list[DelegationItem]:
    day = (on or clock.today()).isoformat()
    return [
        i
        for i in DelegationItem.query(keys.delegations_pk(tenant_id))
        if i.status == "active" and i.starts_on <= day <= i.ends_on
    ]


# ----------------------------------------------------------------------------- the API's use cases


class DelegationService:
    def __init__(self, principal: Principal) -> None:
        self.p = principal
        self.tenant = principal.tenant_id

    def create(self, body: DelegationIn) -> Delegation:
        require(self.p, "delegation:write")
        delegator = body.delegator_id or self.p.user_id
        if delegator != self.p.user_id:
            require(self.p, "delegation:others")
        if body.ends_on < clock.today():
            raise InvalidInput("That delegation is over already.", [{"field": "ends_on", "message": "in the past"}])
        if body.deputy_id == delegator:
            raise InvalidInput("Nobody deputises for themselves.", [{"field": "deputy_id", "message": "the delegator"}])
        deputy = directory.require_user(self.tenant, body.deputy_id, "deputy_id")
        directory.require_user(self.tenant, delegator, "delegator_id")
        if not deputy.roles & {"dept_head", "branch_head", "hq_admin", "finance"}:
            raise InvalidInput(
                "The deputy must be someone who may approve.",
                [{"field": "deputy_id", "message": "holds no approver role"}],
            )
        self._no_overlap(delegator, body.starts_on, body.ends_on)
        now = clock.now_iso()
        item = DelegationItem(
            keys.delegations_pk(self.tenant),
            f"{delegator}#{new_id()}",
            tenant_id=self.tenant,
            delegator_id=delegator,
            deputy_id=body.deputy_id,
            starts_on=body.starts_on.isoformat(),
            ends_on=body.ends_on.isoformat(),
            reason=body.reason,
            status="active",
            created_by=self.p.user_id,
            created_at=now,
        )
        item.id = item.sk.split("#", 1)[1]
        tx = Transaction()
        tx.put(item)
        audit.stage(
            tx,
            item.pk,
            self.tenant,
            "delegation.created",
            self.p.user_id,
            {"delegation": {"before": None, "after": _audit_view(item)}},
            body.reason,
        )
        tx.commit()
        item.version = 1
        return _to_model(item)

    def list(self) -> DelegationPage:
        """The caller's delegations, given and received; every one of the tenant's for an HQ admin."""
        require(self.p, "approval:read")
        items = DelegationItem.query(keys.delegations_pk(self.tenant))
        mine = [i for i in items if self.p.has(Role.HQ_ADMIN) or self.p.user_id in (i.delegator_id, i.deputy_id)]
        return DelegationPage(items=[_to_model(i) for i in sorted(mine, key=lambda i: i.starts_on, reverse=True)])

    def cancel(self, delegation_id: str, if_match: int) -> Delegation:
        require(self.p, "delegation:write")
        item = self._find(delegation_id)
        if self.p.user_id not in (item.delegator_id, item.created_by):
            require(self.p, "delegation:others")
        versions.check("delegation", item.version or 0, if_match)
        if item.status == "cancelled" or item.ends_on < clock.today().isoformat():
            raise Conflict(f"The delegation is {_status(item)} already.", delegation_status=_status(item))
        before = _audit_view(item)
        item.status, item.cancelled_by, item.cancelled_at = "cancelled", self.p.user_id, clock.now_iso()
        tx = Transaction()
        tx.put(item)
        audit.stage(
            tx,
            item.pk,
            self.tenant,
            "delegation.cancelled",
            self.p.user_id,
            {"delegation": {"before": before, "after": _audit_view(item)}},
        )
        tx.commit()  # pynamodb moves the item's version on with the write: the reply's ETag is the stored one
        return _to_model(item)

    def _find(self, delegation_id: str) -> DelegationItem:
        for item in DelegationItem.query(keys.delegations_pk(self.tenant)):
            involved = self.p.user_id in (item.delegator_id, item.deputy_id, item.created_by)
            if item.id == delegation_id and (involved or self.p.has(Role.HQ_ADMIN)):
                return item
        raise NotFound("No such delegation.")

    def _no_overlap(self, delegator: str, starts: date, ends: date) -> None:
        mine = DelegationItem.query(keys.delegations_pk(self.tenant), DelegationItem.sk.startswith(f"{delegator}#"))
        for item in mine:
            if item.status == "active" and item.starts_on <= ends.isoformat() and starts.isoformat() <= item.ends_on:
                raise Conflict(
                    f"{delegator} already has a deputy from {item.starts_on} to {item.ends_on}.", field="starts_on"
                )


def _status(item: DelegationItem) -> str:
    today = clock.today().isoformat()
    if item.status == "cancelled":
        return "cancelled"
    if item.ends_on < today:
        return "ended"
    return "scheduled" if item.starts_on > today else "active"


def _audit_view(item: DelegationItem) -> dict[str, str | None]:
    return {"deputy_id": item.deputy_id, "starts_on": item.starts_on, "ends_on": item.ends_on, "status": item.status}


def _to_model(item: DelegationItem) -> Delegation:
    return Delegation(
        id=item.id,
        delegator_id=item.delegator_id,
        deputy_id=item.deputy_id,
        starts_on=date.fromisoformat(item.starts_on),
        ends_on=date.fromisoformat(item.ends_on),
        reason=item.reason,
        status=_status(item),
        created_by=item.created_by,
        created_at=item.created_at,
        version=int(item.version or 0),
    )
