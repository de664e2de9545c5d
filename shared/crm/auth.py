"""Who may do what, and on which records: the one place every function asks.

Two questions, always in this order:
1. `require(principal, action)`: may this role do this at all? No → 403, before any read.
2. `Scope.covers(record)`: is this record inside the caller's slice of the org tree? No → 404,
   so the existence of records outside the scope is never revealed.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from crm.errors import Forbidden, InvalidInput


class Role(StrEnum):
    REP = "rep"
    DEPT_HEAD = "dept_head"
    BRANCH_HEAD = "branch_head"
    HQ_ADMIN = "hq_admin"
    DISTRIBUTOR = "distributor"
    FINANCE = "finance"  # HQ finance: the last approval step for large or over-credit orders
    ERP = "erp"  # the ERP integration client: reports processing, shipments and stock, nothing else


OFFICE = frozenset({Role.REP, Role.DEPT_HEAD, Role.BRANCH_HEAD, Role.HQ_ADMIN, Role.FINANCE})
MANAGERS = frozenset({Role.DEPT_HEAD, Role.BRANCH_HEAD, Role.HQ_ADMIN})
# Who signs in with a code sent to their mobile as well as a password: the roles that set up users, policies,
# prices and credit (docs/security.md).
SECOND_FACTOR = frozenset({Role.HQ_ADMIN, Role.FINANCE})

# action -> roles allowed to perform it. Scope still limits *which* records.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "customer:read": OFFICE | {Role.DISTRIBUTOR},
    "customer:create": OFFICE,
    "customer:update": OFFICE,
    "customer:assign": MANAGERS,  # choose an owner or org unit other than oneself
    "customer:void": MANAGERS,
    "customer:restore": MANAGERS,
    "customer:change_level": MANAGERS,  # a rep asks through the approval flow (level-requests)
    "customer:request_level": OFFICE,
    "customer:activate": MANAGERS,  # a rep asks through the approval flow (activation-requests)
    "customer:skip_duplicate_check": MANAGERS,
    "customer:import": frozenset({Role.BRANCH_HEAD, Role.HQ_ADMIN}),  # rows are placed within the importer's scope
    "handover:start": MANAGERS,
    "handover:read": MANAGERS,
    "org:read": OFFICE,  # the org tree and its moves
    "org:write": frozenset({Role.HQ_ADMIN}),  # create, rename, move and close org units
    "user:read": MANAGERS,  # users in one's own subtree (HQ admins: all)
    "user:write": frozenset({Role.HQ_ADMIN, Role.BRANCH_HEAD}),  # which users and roles: crm.org.users.GRANTABLE
    "flow:upload": OFFICE | {Role.DISTRIBUTOR},
    "flow:read": OFFICE | {Role.DISTRIBUTOR},
    "flow:mapping": OFFICE | {Role.DISTRIBUTOR},  # a distributor user: its own templates only (distributor_in_scope)
    "flow:review": OFFICE,
    "inventory:read": OFFICE | {Role.DISTRIBUTOR},
    "inventory:initialize": frozenset({Role.HQ_ADMIN, Role.FINANCE}),  # opening balances (期初), by file or hand
    "inventory:shipments": frozenset({Role.HQ_ADMIN, Role.FINANCE, Role.ERP}),  # our shipments, as a history file
    "inventory:adjust": OFFICE,  # asks for an adjustment (调整单); the approval flow decides
    "inventory:policy": frozenset({Role.HQ_ADMIN, Role.FINANCE}),
    "period:close": frozenset({Role.HQ_ADMIN, Role.FINANCE}),
    "period:reopen": frozenset({Role.HQ_ADMIN}),
    "sellout:read": OFFICE | {Role.DISTRIBUTOR},  # terminal sell-out (终端销货); a distributor: its own files
    "diversion:read": MANAGERS | {Role.FINANCE},  # diversion signals (窜货) with their evidence rows
    # Agreements (协议) and their rebates (返利计提): a distributor user reads its own, nobody else's.
    "agreement:read": OFFICE | {Role.DISTRIBUTOR},
    "agreement:write": frozenset({Role.BRANCH_HEAD, Role.HQ_ADMIN}),  # a new version goes through approval
    "accrual:read": MANAGERS | {Role.FINANCE, Role.DISTRIBUTOR},
    "accrual:run": frozenset({Role.HQ_ADMIN, Role.FINANCE}),  # start a month's run again by hand
    "diversion_case:read": MANAGERS | {Role.FINANCE},
    "diversion_case:write": MANAGERS | {Role.FINANCE},  # open, note, decide (a confirmation is approved)
    "product:read": OFFICE | {Role.DISTRIBUTOR},
    "product:write": frozenset({Role.HQ_ADMIN}),
    "product:import": frozenset({Role.HQ_ADMIN}),
    "price:read": OFFICE | {Role.DISTRIBUTOR},
    "price:write": frozenset({Role.HQ_ADMIN, Role.FINANCE}),
    "stock:write": frozenset({Role.ERP}),
    "plan:read": OFFICE,
    "plan:write": MANAGERS,
    "order:read": OFFICE | {Role.DISTRIBUTOR},
    "order:create": frozenset({Role.REP, Role.DEPT_HEAD, Role.BRANCH_HEAD, Role.HQ_ADMIN, Role.DISTRIBUTOR}),
    "order:price_override": frozenset({Role.REP, Role.DEPT_HEAD, Role.BRANCH_HEAD, Role.HQ_ADMIN}),
    "order:void": MANAGERS,
    "order:erp": frozenset({Role.ERP}),
    "approval:decide": MANAGERS | {Role.FINANCE},
    "approval:read": OFFICE | {Role.DISTRIBUTOR},
    "delegation:write": MANAGERS | {Role.FINANCE},  # name a deputy (工作代理) for one's own approvals
    "delegation:others": frozenset({Role.HQ_ADMIN}),  # ... or for someone else (who is away already)
    "visit:read": OFFICE,
    "visit:write": frozenset({Role.REP, Role.DEPT_HEAD, Role.BRANCH_HEAD, Role.HQ_ADMIN}),  # who visits customers
    "visit:policy": frozenset({Role.HQ_ADMIN}),  # geofence and visit frequencies
    "notify:self": OFFICE | {Role.DISTRIBUTOR},  # one's own inbox and notification preferences
    "notify:settings:read": OFFICE,
    "notify:settings": frozenset({Role.HQ_ADMIN}),  # the tenant's channels, robots, sender, quiet hours
    # Exports of a list: anyone who reads some list; each export also needs that list's own read permission
    # (crm.exports.lists), and holds what the list shows the caller.
    "export:create": OFFICE | {Role.DISTRIBUTOR},
    "export:read": OFFICE | {Role.DISTRIBUTOR},  # one's own exports only
}


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    user_id: str
    org_unit_id: str
    roles: frozenset[Role]
    distributor_id: str | None = None
    name: str = ""

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """Claims as the Cognito authorizer passes them (all strings); raises Forbidden when unusable."""
    tenant = str(claims.get("custom:tenant_id") or "")
    user = str(claims.get("sub") or "")
    raw_roles = claims.get("custom:roles") or ""
    names = raw_roles if isinstance(raw_roles, list) else str(raw_roles).strip("[]").replace(" ", "").split(",")
    roles = frozenset(Role(r) for r in names if r in Role._value2member_map_)
    if not tenant or not user or not roles:
        raise Forbidden("The token carries no tenant, user or known role.")
    return Principal(
        tenant_id=tenant,
        user_id=user,
        org_unit_id=str(claims.get("custom:org_unit_id") or ""),
        roles=roles,
        distributor_id=str(claims.get("custom:distributor_id") or "") or None,
        name=str(claims.get("name") or claims.get("cognito:username") or user),
    )


def own_distributor(principal: Principal) -> str | None:
    """A distributor user's own customer id (it acts for itself only); None for everyone else."""
    if not principal.has(Role.DISTRIBUTOR) or principal.roles - {Role.DISTRIBUTOR}:
        return None
    if not principal.distributor_id:
        raise InvalidInput("Your user is not bound to a distributor.")
    return principal.distributor_id


def allowed(principal: Principal, action: str) -> bool:
    return bool(principal.roles & PERMISSIONS[action])


def require(principal: Principal, action: str) -> None:
    if not allowed(principal, action):
        raise Forbidden(f"Your role may not {action.replace(':', ' ').replace('_', ' ')}.")


class Scoped(Protocol):
    """What a record shows of itself for a scope check (read only)."""

    @property
    def id(self) -> str: ...

    @property
    def owner_id(self) -> str | None: ...

    @property
    def org_path(self) -> str: ...


@dataclass(frozen=True)
class Scope:
    """The slice of the tenant a caller sees. Exactly one of the fields below is set."""

    whole_tenant: bool = False
    org_path: str | None = None  # a unit head: that unit's subtree
    owner_id: str | None = None  # a rep: their own customers
    customer_id: str | None = None  # a distributor user: its own record

    def covers(self, record: Scoped) -> bool:
        if self.whole_tenant:
            return True
        if self.org_path is not None:
            return record.org_path.startswith(self.org_path)
        if self.owner_id is not None:
            return record.owner_id == self.owner_id
        return record.id == self.customer_id

    def covers_unit(self, unit_path: str) -> bool:
        """May records be placed in (or moved to) this org unit by the caller?"""
        if self.whole_tenant:
            return True
        return self.org_path is not None and unit_path.startswith(self.org_path)


def scope_for(principal: Principal, unit_path: str) -> Scope:
    """The widest scope among the caller's roles; `unit_path` is the path of their org unit."""
    if principal.has(Role.HQ_ADMIN, Role.FINANCE, Role.ERP):  # HQ-level roles see the whole tenant
        return Scope(whole_tenant=True)
    if principal.has(Role.BRANCH_HEAD, Role.DEPT_HEAD):
        return Scope(org_path=unit_path)
    if principal.has(Role.REP):
        return Scope(owner_id=principal.user_id)
    return Scope(customer_id=principal.distributor_id or "-")
