"""The org tree (HQ → branches → departments): read by every office role, changed by HQ admins only.

Units live in the tenant's ORG partition (crm.org.directory reads them, cached per container). Every write here
reads the unit afresh, is conditional on the version read and is audited beside the unit (T#t#ORGUNIT#<id>).
A move re-scopes everything under the unit, so it runs as a job (crm.org.moves); while one runs, the tree takes
no other structural change (create, move, close answer 409), since those would read paths the job is rewriting.
"""

from typing import Any

from crm import audit, clock
from crm.audit import diff
from crm.auth import Principal, require
from crm.customers.model import ChangeEntry
from crm.db import keys
from crm.db.models import CustomerItem, OrgMoveLockItem, OrgUnitItem
from crm.db.paging import Page
from crm.db.transaction import Transaction
from crm.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from crm.org import directory
from crm.org.tree_model import (
    CloseRequest,
    OrgTree,
    OrgTreeNode,
    OrgUnitCreate,
    OrgUnitPatch,
    OrgUnitView,
    UnitKind,
)

# Which kinds of unit a unit of each kind may sit under.
PARENT_KINDS: dict[str, frozenset[str]] = {
    UnitKind.BRANCH: frozenset({UnitKind.HQ}),
    UnitKind.DEPARTMENT: frozenset({UnitKind.BRANCH, UnitKind.DEPARTMENT}),
}


def is_cycle(unit_path: str, new_parent_path: str) -> bool:
    """Moving a unit under itself or anything below it would cut its subtree off the tree."""
    return new_parent_path.startswith(unit_path)


def moved_path(path: str, old_prefix: str, new_prefix: str) -> str:
    """A path under the moved unit, as it reads once the unit sits at `new_prefix`."""
    if not path.startswith(old_prefix):
        raise ValueError(f"{path!r} is not under {old_prefix!r}")
    return new_prefix + path[len(old_prefix) :]


def view(item: OrgUnitItem, version: int | None = None) -> OrgUnitView:
    return OrgUnitView(
        id=item.sk.removeprefix("UNIT#"),
        name=item.name,
        kind=item.kind,
        parent_id=item.parent_id,
        path=item.path,
        status="closed" if item.closed_at else "active",
        closed_at=item.closed_at,
        version=version if version is not None else item.version or 0,
    )


def load_unit(tenant_id: str, unit_id: str) -> OrgUnitItem | None:
    """The unit as stored now (not the per-container cache: a write must start from the current path)."""
    try:
        return OrgUnitItem.get(keys.org_pk(tenant_id), f"UNIT#{unit_id}", consistent_read=True)
    except OrgUnitItem.DoesNotExist:
        return None


def all_units(tenant_id: str) -> list[OrgUnitItem]:
    return list(OrgUnitItem.query(keys.org_pk(tenant_id), OrgUnitItem.sk.startswith("UNIT#"), consistent_read=True))


def _unit_changes(before: OrgUnitItem | None, after: OrgUnitItem) -> dict[str, dict[str, Any]]:
    fields = ("name", "kind", "parent_id", "path", "closed_at")
    return diff({f: getattr(before, f) for f in fields} if before else None, {f: getattr(after, f) for f in fields})


def stage_unit(tx: Transaction, tenant_id: str, before: OrgUnitItem | None, after: OrgUnitItem, **how: Any) -> None:
    """The unit's write (conditional on its version, or on being new) with its audit entry."""
    changes = _unit_changes(before, after)
    tx.put(after)
    unit_id = after.sk.removeprefix("UNIT#")
    audit.stage(tx, keys.org_unit_history_pk(tenant_id, unit_id), tenant_id, changes=changes, **how)


def no_move_running(tx: Transaction, tenant_id: str) -> None:
    tx.check(
        OrgMoveLockItem,
        keys.org_pk(tenant_id),
        keys.ORG_MOVE_LOCK,
        OrgMoveLockItem.pk.does_not_exist(),
        on_fail=lambda: Conflict("A move of an org unit is running; try again once it has finished."),
    )


def unit_or_404(tenant_id: str, unit_id: str) -> OrgUnitItem:
    item = load_unit(tenant_id, unit_id)
    if item is None:
        raise NotFound(f"No org unit {unit_id}.")
    return item


def _check_version(item: OrgUnitItem, if_match: int) -> None:
    if (item.version or 0) != if_match:
        raise PreconditionFailed(f"The org unit is at version {item.version}; read it again.")


def check_parent(tenant_id: str, parent_id: str, kind: str) -> OrgUnitItem:
    parent = load_unit(tenant_id, parent_id)
    if parent is None:
        raise InvalidInput("Unknown org unit.", [{"field": "parent_id", "message": f"no org unit {parent_id!r}"}])
    if parent.closed_at:
        raise InvalidInput("That org unit is closed.", [{"field": "parent_id", "message": f"{parent_id} is closed"}])
    if parent.kind not in PARENT_KINDS[kind]:
        allowed = " or ".join(sorted(PARENT_KINDS[kind]))
        raise InvalidInput(
            f"A {kind} sits under a unit of kind {allowed}.",
            [{"field": "parent_id", "message": f"{parent_id} is a {parent.kind}"}],
        )
    return parent


def build_tree(units: list[OrgUnitItem]) -> list[OrgTreeNode]:
    """The roots (units without a parent) with their children, each level ordered by id."""
    nodes = {u.sk.removeprefix("UNIT#"): OrgTreeNode(**view(u).model_dump(), children=[]) for u in units}
    roots: list[OrgTreeNode] = []
    for node in sorted(nodes.values(), key=lambda n: n.id):
        parent = nodes.get(node.parent_id) if node.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


class OrgTreeService:
    def __init__(self, principal: Principal) -> None:
        self.p = principal
        self.tenant = principal.tenant_id

    # ------------------------------------------------------------------ reads

    def tree(self) -> OrgTree:
        require(self.p, "org:read")
        return OrgTree(items=build_tree(all_units(self.tenant)))

    def get(self, unit_id: str) -> OrgUnitView:
        require(self.p, "org:read")
        return view(unit_or_404(self.tenant, unit_id))

    def history(self, unit_id: str, limit: int, cursor: str | None) -> Page[ChangeEntry]:
        require(self.p, "org:read")
        unit_or_404(self.tenant, unit_id)
        return audit.history(keys.org_unit_history_pk(self.tenant, unit_id), limit, cursor)

    # ------------------------------------------------------------------ changes

    def create(self, body: OrgUnitCreate) -> OrgUnitView:
        require(self.p, "org:write")
        parent = check_parent(self.tenant, body.parent_id, body.kind)
        item = OrgUnitItem(
            keys.org_pk(self.tenant),
            f"UNIT#{body.id}",
            name=body.name,
            kind=body.kind,
            parent_id=body.parent_id,
            path=f"{parent.path}{body.id}/",
        )
        tx = Transaction()
        tx.put(
            item,
            condition=OrgUnitItem.pk.does_not_exist(),
            on_fail=lambda: Conflict(f"The org unit id {body.id} is taken.", field="id"),
        )
        audit.stage(
            tx,
            keys.org_unit_history_pk(self.tenant, body.id),
            self.tenant,
            "create",
            self.p.user_id,
            _unit_changes(None, item),
        )
        no_move_running(tx, self.tenant)
        tx.commit()
        return view(item, version=1)

    def rename(self, unit_id: str, if_match: int, body: OrgUnitPatch) -> OrgUnitView:
        require(self.p, "org:write")
        before = unit_or_404(self.tenant, unit_id)
        _check_version(before, if_match)
        if before.name == body.name:
            return view(before)  # nothing to change, nothing to audit
        after = copy_unit(before, name=body.name)
        tx = Transaction()
        stage_unit(tx, self.tenant, before, after, action="rename", actor_id=self.p.user_id)
        tx.commit()
        return view(after, version=if_match + 1)

    def close(self, unit_id: str, if_match: int, body: CloseRequest) -> OrgUnitView:
        require(self.p, "org:write")
        before = unit_or_404(self.tenant, unit_id)
        _check_version(before, if_match)
        if before.parent_id is None:
            raise Conflict("The head office cannot be closed.")
        if before.closed_at:
            raise Conflict(f"The org unit {unit_id} is closed already.")
        self._check_empty(before)
        after = copy_unit(before, closed_at=clock.now_iso(), closed_by=self.p.user_id)
        tx = Transaction()
        stage_unit(tx, self.tenant, before, after, action="close", actor_id=self.p.user_id, reason=body.reason)
        no_move_running(tx, self.tenant)
        tx.commit()
        return view(after, version=if_match + 1)

    def _check_empty(self, unit: OrgUnitItem) -> None:
        """A unit closes only once nothing hangs under it: no open unit, no active user, no customer (voided
        customers stay as history). The 409 says what is left."""
        units = all_units(self.tenant)
        subtree = {u.sk.removeprefix("UNIT#") for u in units if u.path.startswith(unit.path)}
        open_children = sorted(u.sk.removeprefix("UNIT#") for u in units if u.parent_id in subtree and not u.closed_at)
        users = sorted(u.id for u in directory.users(self.tenant) if u.active and u.org_unit_id in subtree)
        customer = next(
            iter(
                CustomerItem.by_scope.query(
                    keys.customers_scope_pk(self.tenant),
                    CustomerItem.gsi1sk.startswith(unit.path),
                    filter_condition=CustomerItem.voided == False,  # noqa: E712 (a condition, not a bool)
                    attributes_to_get=["id"],
                )
            ),
            None,
        )
        if open_children or users or customer:
            raise Conflict(
                "The org unit still has units, users or customers under it; close, move or reassign them first.",
                open_units=open_children,
                active_users=users[:50],
                has_customers=customer is not None,
            )


def copy_unit(item: OrgUnitItem, **changes: Any) -> OrgUnitItem:
    """A new item with the same keys and version (so its put is conditional on the version read)."""
    fields = {f: getattr(item, f) for f in ("name", "kind", "parent_id", "path", "closed_at", "closed_by")}
    copied = OrgUnitItem(item.pk, item.sk, **{**fields, **changes})
    copied.version = item.version
    return copied
