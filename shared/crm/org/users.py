"""Users of a tenant: each one a user of the stack's Cognito pool (its sub is the user id) and a directory entry
(UserItem in the ORG partition, which every request reads to refuse a disabled user).

Who manages whom: an HQ admin manages every user of the tenant; a branch head manages the reps of their branch
(units under it). Nobody grants a role beyond what GRANTABLE gives their own roles, and nobody changes or disables
themself. Every change is audited beside the user (T#t#USER#<id>#HISTORY).
"""

from collections.abc import Iterable
from typing import Any

from crm import audit
from crm.audit import diff
from crm.auth import SECOND_FACTOR, Principal, Role, require
from crm.customers import repository as customers
from crm.customers.model import CustomerType
from crm.db import keys
from crm.db.models import UserItem
from crm.db.paging import Page, one_of, query_page
from crm.db.transaction import Transaction
from crm.errors import Forbidden, InvalidInput, NotFound, PreconditionFailed
from crm.org import directory
from crm.org.identity import IdentityAttributes, UserPool
from crm.org.tree import all_units
from crm.org.users_model import UserCreate, UserPatch, UserView

# The roles a holder of each role may give (and the users, by their roles, they may manage).
GRANTABLE: dict[Role, frozenset[Role]] = {
    Role.HQ_ADMIN: frozenset(Role),
    Role.BRANCH_HEAD: frozenset({Role.REP}),
}


def view(item: UserItem, version: int | None = None) -> UserView:
    return UserView(
        id=item.sk.removeprefix("USER#"),
        username=item.username,
        name=item.name,
        email=item.email,
        phone=item.mobile,
        org_unit_id=item.org_unit_id,
        roles=sorted(Role(r) for r in item.roles or ()),
        distributor_id=item.distributor_id,
        status="active" if item.active else "disabled",
        version=version if version is not None else item.version or 0,
    )


def _fields(item: UserItem | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {"org_unit_id": item.org_unit_id, "roles": sorted(item.roles or ()), "active": item.active}


def stage_user(
    tx: Transaction, tenant_id: str, before: UserItem | None, after: UserItem, action: str, actor: str
) -> None:
    """The directory write (conditional on the version read, or on being new) with its audit entry."""
    tx.put(after)
    user_id = after.sk.removeprefix("USER#")
    changes = diff(_fields(before), _fields(after) or {})
    audit.stage(tx, keys.user_history_pk(tenant_id, user_id), tenant_id, action, actor, changes)


def new_user(pool: UserPool, tenant_id: str, actor_id: str, body: UserCreate, distributor_id: str | None) -> UserView:
    """Creates the pool user (which sends the invitation), then the directory entry and its audit; if that write
    fails, the pool user is deleted again so no half-made user can sign in."""
    assert body.org_unit_id is not None
    roles = sorted(str(r) for r in body.roles)
    attributes = IdentityAttributes(
        tenant_id, body.org_unit_id, roles, body.name, body.email, body.phone, distributor_id
    )
    _second_factor_reachable(body.roles, body.phone)
    user_id = pool.create_user(body.username, attributes)
    item = UserItem(
        keys.org_pk(tenant_id),
        f"USER#{user_id}",
        name=body.name,
        username=body.username,
        org_unit_id=body.org_unit_id,
        roles=set(roles),
        distributor_id=distributor_id,
        active=True,
        email=body.email,
        mobile=body.phone,
    )
    try:
        if needs_second_factor(body.roles):
            pool.require_second_factor(body.username, True)
        tx = Transaction()
        stage_user(tx, tenant_id, None, item, "user.created", actor_id)
        tx.commit()
    except Exception:
        pool.delete_user(body.username)
        raise
    return view(item, version=1)


def needs_second_factor(roles: Iterable[str]) -> bool:
    return any(role in SECOND_FACTOR for role in roles)


def _second_factor_reachable(roles: Iterable[str], phone: str | None) -> None:
    """An HQ admin or finance user signs in with a code sent to their mobile: without one they could not sign in."""
    if needs_second_factor(roles) and not phone:
        raise InvalidInput(
            "HQ admins and finance users sign in with a code sent to their mobile: give the user's mobile number.",
            [{"field": "phone", "message": "required for the roles hq_admin and finance"}],
        )


class UserService:
    def __init__(self, principal: Principal, pool: UserPool) -> None:
        self.p = principal
        self.tenant = principal.tenant_id
        self.pool = pool

    # ------------------------------------------------------------------ reads
    def page(self, limit: int, cursor: str | None) -> Page[UserView]:
        require(self.p, "user:read")
        in_scope = self._units_in_scope()
        page = query_page(
            UserItem,
            "pk",
            keys.org_pk(self.tenant),
            limit=limit,
            cursor=cursor,
            range_condition=UserItem.sk.startswith("USER#"),
            filter_condition=None if in_scope is None else one_of(UserItem.org_unit_id, in_scope or {"-"}),
        )
        return Page([view(i) for i in page.items], page.cursor)

    def get(self, user_id: str) -> UserView:
        require(self.p, "user:read")
        return view(self._visible(user_id))

    # ------------------------------------------------------------------ writes
    def create(self, body: UserCreate) -> UserView:
        require(self.p, "user:write")
        self._may_grant(body.roles)
        distributor = self._distributor(body)
        if distributor is not None and body.org_unit_id is None:
            body = body.model_copy(update={"org_unit_id": distributor.org_unit_id})
        if body.org_unit_id is None:
            raise InvalidInput("Name the user's org unit.", [{"field": "org_unit_id", "message": "required"}])
        unit = directory.require_open_unit(self.tenant, body.org_unit_id, "org_unit_id")
        self._may_place(unit.path)
        return new_user(self.pool, self.tenant, self.p.user_id, body, distributor.id if distributor else None)

    def update(self, user_id: str, if_match: int, body: UserPatch) -> UserView:
        require(self.p, "user:write")
        before = self._managed(user_id, if_match)
        roles = sorted(str(r) for r in body.roles) if body.roles is not None else sorted(before.roles or ())
        if body.roles is not None:
            self._may_grant(body.roles)
            if (Role.DISTRIBUTOR in body.roles) != bool(before.distributor_id):
                raise InvalidInput(
                    "A distributor user stays a distributor user, and no other user becomes one.",
                    [{"field": "roles", "message": "create a new user for another kind of account"}],
                )
        unit_id = body.org_unit_id or before.org_unit_id
        if body.org_unit_id is not None:
            self._may_place(directory.require_open_unit(self.tenant, unit_id, "org_unit_id").path)
        after = self._copy(before, org_unit_id=unit_id, roles=set(roles))
        if body.roles is not None:
            _second_factor_reachable(body.roles, before.mobile)
        self.pool.update_claims(before.username, unit_id, roles)
        if needs_second_factor(roles) != needs_second_factor(sorted(before.roles or ())):
            self.pool.require_second_factor(before.username, needs_second_factor(roles))
        self._write(before, after, "user.updated")
        return view(after, version=(before.version or 0) + 1)

    def set_active(self, user_id: str, active: bool) -> UserView:
        require(self.p, "user:write")
        before = self._managed(user_id, None)
        if before.active == active:
            return view(before)
        if active:
            self.pool.enable(before.username)
        else:
            self.pool.disable(before.username)
        after = self._copy(before, active=active)
        self._write(before, after, "user.enabled" if active else "user.disabled")
        return view(after, version=(before.version or 0) + 1)

    # ------------------------------------------------------------------ rules
    def _grantable(self) -> frozenset[Role]:
        return frozenset().union(*(GRANTABLE.get(r, frozenset()) for r in self.p.roles))

    def _may_grant(self, roles: list[Role]) -> None:
        beyond = set(roles) - self._grantable()
        if beyond:
            raise Forbidden(f"You may not give the role(s) {', '.join(sorted(beyond))}.")

    def _units_in_scope(self) -> set[str] | None:
        """None: every unit (HQ-level roles); else the ids of the units under the caller's own."""
        if self.p.has(Role.HQ_ADMIN):
            return None
        path = directory.caller_unit(self.tenant, self.p.org_unit_id).path
        return {u.sk.removeprefix("UNIT#") for u in all_units(self.tenant) if u.path.startswith(path)}

    def _may_place(self, unit_path: str) -> None:
        if not self.p.has(Role.HQ_ADMIN) and not unit_path.startswith(
            directory.caller_unit(self.tenant, self.p.org_unit_id).path
        ):
            raise Forbidden("You may place users only in units under your own.")

    def _load(self, user_id: str) -> UserItem:
        try:
            return UserItem.get(keys.org_pk(self.tenant), f"USER#{user_id}", consistent_read=True)
        except UserItem.DoesNotExist:
            raise NotFound(f"No user {user_id}.") from None

    def _visible(self, user_id: str) -> UserItem:
        item = self._load(user_id)
        in_scope = self._units_in_scope()
        if in_scope is not None and item.org_unit_id not in in_scope:
            raise NotFound(f"No user {user_id}.")
        return item

    def _managed(self, user_id: str, if_match: int | None) -> UserItem:
        item = self._visible(user_id)
        if user_id == self.p.user_id:
            raise Forbidden("You may not change or disable your own user; ask another admin.")
        if not {Role(r) for r in item.roles or ()} <= self._grantable():
            raise Forbidden("You may not manage a user holding roles you may not give.")
        if if_match is not None and (item.version or 0) != if_match:
            raise PreconditionFailed(f"The user is at version {item.version}; read it again.")
        return item

    def _distributor(self, body: UserCreate) -> Any:
        """The distributor customer a distributor user acts for, by ERP code or id; None for other users."""
        is_distributor = Role.DISTRIBUTOR in body.roles
        named = body.distributor_code is not None or body.distributor_id is not None
        if not is_distributor:
            if named:
                raise InvalidInput(
                    "Only a distributor user names a distributor.",
                    [{"field": "distributor_code", "message": "give the role distributor, or leave it out"}],
                )
            return None
        if len(body.roles) > 1:
            raise InvalidInput(
                "A distributor user holds the role distributor only.",
                [{"field": "roles", "message": "distributor cannot be combined"}],
            )
        field = "distributor_code" if body.distributor_code is not None else "distributor_id"
        if not named:
            raise InvalidInput(
                "A distributor user names its distributor.",
                [{"field": "distributor_code", "message": "the distributor customer's ERP code (or distributor_id)"}],
            )
        if body.distributor_code is not None:
            found = customers.ids_by_code(self.tenant, [body.distributor_code], CustomerType.DISTRIBUTOR)
            customer_id = found.get(body.distributor_code)
        else:
            customer_id = body.distributor_id
        customer = customers.get(self.tenant, customer_id) if customer_id else None
        if customer is None or customer.type != CustomerType.DISTRIBUTOR or customer.voided:
            value = body.distributor_code if field == "distributor_code" else body.distributor_id
            raise InvalidInput("No such distributor.", [{"field": field, "message": f"no distributor {value!r}"}])
        return customer

    # ------------------------------------------------------------------ writes
    @staticmethod
    def _copy(item: UserItem, **changes: Any) -> UserItem:
        values = {k: getattr(item, k) for k in item.get_attributes()}
        values.update(changes)
        return UserItem(**values)

    def _write(self, before: UserItem, after: UserItem, action: str) -> None:
        tx = Transaction()
        stage_user(tx, self.tenant, before, after, action, self.p.user_id)
        tx.commit()
