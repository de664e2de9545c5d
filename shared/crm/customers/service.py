"""Customer use cases. Each one authorizes first (role → 403), then reads, then checks scope (→ 404).

Every write goes out as one transaction with its audit entry.
"""

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from crm import clock, versions
from crm.audit import BOOKKEEPING, diff
from crm.auth import PERMISSIONS, Principal, Scope, own_distributor, require, scope_for
from crm.customers import repository as repo
from crm.customers.model import (
    ChangeEntry,
    Customer,
    CustomerCreate,
    CustomerFlow,
    CustomerPatch,
    CustomerType,
    DuplicateCandidate,
    Filters,
    LevelChange,
    LevelEntry,
    LevelOnDate,
    ScheduledLevel,
    Status,
)
from crm.db.paging import Page
from crm.db.transaction import Transaction
from crm.errors import Conflict, Forbidden, InvalidInput, NotFound
from crm.ids import new_id
from crm.org import directory
from crm.text import STORED, normalize_name

MAX_HIERARCHY_DEPTH = 10  # channel chains are 2-4 deep; deeper is a data error, not a real chain


class DuplicateCustomer(Conflict):
    def __init__(self, candidates: list[DuplicateCandidate]) -> None:
        super().__init__(
            "A customer with this name or alias already exists. Check the candidates, or, if your role "
            "allows it, send X-Skip-Duplicate-Check: true to create it anyway.",
            candidates=[c.model_dump() for c in candidates],
        )


class CustomerService:
    def __init__(self, principal: Principal) -> None:
        self.p = principal
        self.tenant = principal.tenant_id

    @property
    def scope(self) -> Scope:
        return scope_for(self.p, directory.caller_unit(self.tenant, self.p.org_unit_id).path)

    # ------------------------------------------------------------------ reads

    def get(self, customer_id: str) -> Customer:
        require(self.p, "customer:read")
        return _current_level(self._visible(customer_id))

    def _visible(self, customer_id: str) -> Customer:
        scope = self.scope
        customer = repo.get(self.tenant, customer_id)
        if customer is None or not scope.covers(customer):
            raise NotFound(f"No customer {customer_id}.")
        return customer

    def covering(self, customer_ids: Iterable[str]) -> set[str]:
        """Those of these customers inside the caller's scope (records of other packages that name a customer:
        agreements, vouchers, cases); one batched read, none for the whole tenant."""
        wanted, scope = set(customer_ids), self.scope
        if scope.whole_tenant:
            return wanted
        return {cid for cid, customer in repo.get_many(self.tenant, wanted).items() if scope.covers(customer)}

    def list(self, filters: Filters, limit: int, cursor: str | None) -> Page[Customer]:
        require(self.p, "customer:read")
        scope = self.scope
        if filters.q:
            return self._search(scope, filters, limit, cursor)
        where = repo.customer_filter(scope, filters)
        owner = filters.owner_id or scope.owner_id
        if owner:
            page = repo.list_by_owner(self.tenant, owner, where, limit, cursor)
        else:
            page = repo.list_by_org_path(self.tenant, self._list_root(scope, filters), where, limit, cursor)
        return Page([_current_level(c) for c in page.items], page.cursor)

    def _list_root(self, scope: Scope, filters: Filters) -> str:
        if not filters.org_unit_id:
            return scope.org_path or "/"
        unit = directory.require_unit(self.tenant, filters.org_unit_id, "org_unit_id")
        if not scope.covers_unit(unit.path):
            raise InvalidInput(
                "That org unit is outside your scope.", [{"field": "org_unit_id", "message": "outside your scope"}]
            )
        return unit.path

    def _search(self, scope: Scope, filters: Filters, limit: int, cursor: str | None) -> Page[Customer]:
        """Prefix search over normalised names, aliases, name parts and codes, then scope and filters on the hits."""
        hits = repo.search_names(self.tenant, normalize_name(filters.q or ""), limit, cursor)
        found = repo.get_many(self.tenant, (h.customer_id for h in hits.items))
        matches = [c for c in found.values() if scope.covers(c) and _matches(c, filters)]
        matches.sort(key=lambda c: c.name)
        return Page([_current_level(c) for c in matches], hits.cursor)

    def history(self, customer_id: str, limit: int, cursor: str | None) -> Page[ChangeEntry]:
        require(self.p, "customer:read")
        self._visible(customer_id)
        return repo.list_history(self.tenant, customer_id, limit, cursor)

    def levels(self, customer_id: str, limit: int, cursor: str | None) -> Page[LevelEntry]:
        require(self.p, "customer:read")
        self._visible(customer_id)
        return repo.list_levels(self.tenant, customer_id, limit, cursor)

    def level_on(self, customer_id: str, on: date) -> LevelOnDate:
        require(self.p, "customer:read")
        self._visible(customer_id)
        entry = repo.level_on(self.tenant, customer_id, on)
        if entry is None:
            return LevelOnDate(on=on, level=None)
        return LevelOnDate(on=on, level=entry.level, effective_from=entry.effective_from, reason=entry.reason)

    def flow(self, customer_id: str, period: str) -> CustomerFlow:
        """What distributors reported selling to this customer in a month (accepted, current loads only)."""
        require(self.p, "customer:read")
        self._visible(customer_id)
        return CustomerFlow(period=period, items=repo.flow_of(self.tenant, customer_id, period))

    def downstream(self, customer_id: str, limit: int, cursor: str | None) -> Page[Customer]:
        require(self.p, "customer:read")
        self._visible(customer_id)
        return repo.list_downstream(self.tenant, customer_id, self.scope, limit, cursor)

    # ------------------------------------------------------------------ writes

    def create(
        self,
        body: CustomerCreate,
        skip_duplicate_check: bool = False,
        customer_id: str | None = None,
        level_from: date | None = None,
    ) -> Customer:
        """`customer_id` is for imports that key customers by a stable id (their ERP code), `level_from` for files
        that say since when the level holds (else today); the API sets neither."""
        require(self.p, "customer:create")
        if skip_duplicate_check:
            require(self.p, "customer:skip_duplicate_check")
        if (body.owner_id and body.owner_id != self.p.user_id) or body.org_unit_id:
            require(self.p, "customer:assign")
        scope = self.scope
        owner_id = body.owner_id or self.p.user_id
        unit = self._placement(scope, owner_id, body.org_unit_id)
        fields = body.model_dump(exclude={"level", "owner_id", "org_unit_id"}, exclude_none=True)
        now = clock.now()
        customer = Customer(
            id=customer_id or new_id(),
            tenant_id=self.tenant,
            type=body.profile.type,
            owner_id=owner_id,
            org_unit_id=unit.id,
            org_path=unit.path,
            level=None,
            created_at=now,
            created_by=self.p.user_id,
            updated_at=now,
            updated_by=self.p.user_id,
            **{**fields, "aliases": _clean_aliases(body.name, body.aliases or [])},
        )
        self._check_references(customer)
        self._check_duplicates(customer, skip_duplicate_check)
        tx = Transaction()
        if body.level:
            entry = LevelEntry(
                level=body.level,
                effective_from=level_from or clock.today(),
                reason="initial level",
                changed_by=self.p.user_id,
                changed_at=now,
            )
            customer = customer.model_copy(update={"level": body.level})
            repo.stage_level(tx, customer, entry, new_id())
        repo.stage_customer(tx, customer)
        repo.stage_lookups(tx, None, customer, None if skip_duplicate_check else self._name_taken(customer))
        self._stage_audit(tx, customer, "create", None)
        tx.commit()
        return customer.model_copy(update={"version": 1})

    def update(
        self, customer_id: str, if_match: int, patch: CustomerPatch, skip_duplicate_check: bool = False
    ) -> Customer:
        require(self.p, "customer:update")
        if skip_duplicate_check:
            require(self.p, "customer:skip_duplicate_check")
        changes = patch.model_dump(exclude_unset=True)
        if {"owner_id", "org_unit_id"} & changes.keys():
            require(self.p, "customer:assign")
        before = self._editable(customer_id, if_match)
        activating = "status" in changes and before.status == Status.PROSPECT and patch.status == Status.ACTIVE
        if activating and not self.p.roles & PERMISSIONS["customer:activate"]:
            raise Forbidden("A prospect becomes active through approval: POST /customers/{id}/activation-requests.")
        if patch.profile is not None and patch.profile.type != before.type:
            raise InvalidInput(
                "A customer's type cannot change; create a new customer instead.",
                [{"field": "profile.type", "message": f"must stay {before.type.value!r}"}],
            )
        data = before.model_dump()
        data.update({k: getattr(patch, k) for k in changes})
        if "aliases" in changes:
            data["aliases"] = _clean_aliases(data["name"], patch.aliases or [])
        if {"owner_id", "org_unit_id"} & changes.keys():
            unit = self._placement(self.scope, data["owner_id"], changes.get("org_unit_id"))
            data.update(org_unit_id=unit.id, org_path=unit.path)
        after = Customer.model_validate(data, context=STORED)  # the patch's own fields were checked as a request
        if "upstream_id" in changes:
            self._check_references(after)
        if {"name", "aliases"} & changes.keys():
            self._check_duplicates(after, skip_duplicate_check)
        return self._save(before, after, "update", name_taken=None if skip_duplicate_check else self._name_taken(after))

    def add_alias(self, customer_id: str, alias: str, reason: str) -> Customer:
        """Adds one spelling (e.g. a confirmed name from a distributor file); a no-op if already known."""
        require(self.p, "customer:update")
        before = self._editable(customer_id, None)
        aliases = _clean_aliases(before.name, [*before.aliases, alias])
        if aliases == before.aliases:
            return before
        after = before.model_copy(update={"aliases": aliases})
        self._check_duplicates(after, skip=True)  # the name may collide (an override), an alias never
        return self._save(before, after, "add_alias", reason)

    def void(self, customer_id: str, if_match: int, reason: str) -> Customer:
        require(self.p, "customer:void")
        before = self._editable(customer_id, if_match)
        return self._save(before, before.model_copy(update={"voided": True, "void_reason": reason}), "void", reason)

    def restore(self, customer_id: str, if_match: int, reason: str) -> Customer:
        require(self.p, "customer:restore")
        before = self._visible(customer_id)
        _check_version(before, if_match)
        if not before.voided:
            raise Conflict("The customer is not voided.")
        return self._save(before, before.model_copy(update={"voided": False, "void_reason": None}), "restore", reason)

    def change_level(self, customer_id: str, change: LevelChange, if_match: int | None) -> Customer:
        require(self.p, "customer:change_level")
        before = _current_level(self._editable(customer_id, if_match))
        today = clock.today()
        entry = LevelEntry(
            level=change.level,
            effective_from=change.effective_from,
            reason=change.reason,
            changed_by=self.p.user_id,
            changed_at=clock.now(),
        )
        update: dict[str, Any] = {}
        if change.effective_from <= today:
            in_force = repo.level_on(self.tenant, customer_id, today)
            if in_force is None or change.effective_from >= in_force.effective_from:
                update["level"] = change.level
        elif before.next_level_change is None or change.effective_from <= before.next_level_change.effective_from:
            update["next_level_change"] = ScheduledLevel(level=change.level, effective_from=change.effective_from)
        after = before.model_copy(update=update)
        tx = Transaction()
        repo.stage_level(tx, after, entry, new_id())
        return self._save(
            before,
            after,
            "change_level",
            change.reason,
            tx=tx,
            extra={"level_entry": {"before": None, "after": entry.model_dump(mode="json")}},
        )

    # ------------------------------------------------------------------ helpers

    def _editable(self, customer_id: str, if_match: int | None) -> Customer:
        customer = self._visible(customer_id)
        if if_match is not None:
            _check_version(customer, if_match)
        if customer.voided:
            raise Conflict("The customer is voided; restore it before changing it.")
        return customer

    def _placement(self, scope: Scope, owner_id: str | None, unit_id: str | None) -> directory.OrgUnit:
        """The org unit a customer belongs to: the one asked for, else the owner's. Both in scope."""
        owner = directory.require_user(self.tenant, owner_id, "owner_id") if owner_id else None
        chosen = unit_id or (owner.org_unit_id if owner else self.p.org_unit_id)
        unit = directory.require_open_unit(self.tenant, chosen, "org_unit_id")
        if owner_id != self.p.user_id or unit_id:
            owner_unit = directory.require_unit(self.tenant, owner.org_unit_id, "owner_id") if owner else unit
            for field, path in (("org_unit_id", unit.path), ("owner_id", owner_unit.path)):
                if not scope.covers_unit(path):
                    raise InvalidInput(
                        "You may only assign customers within your scope.",
                        [{"field": field, "message": "outside your scope"}],
                    )
        return unit

    def _check_references(self, customer: Customer) -> None:
        """The upstream must exist in the tenant and must not make the channel tree a cycle."""
        seen = {customer.id}
        current = customer.upstream_id
        for _ in range(MAX_HIERARCHY_DEPTH):
            if current is None:
                return
            if current in seen:
                raise Conflict("This upstream would make the channel hierarchy a cycle.", field="upstream_id")
            upstream = repo.get(self.tenant, current)
            if upstream is None or upstream.voided:
                raise InvalidInput(
                    "Unknown upstream customer.", [{"field": "upstream_id", "message": f"no customer {current}"}]
                )
            seen.add(current)
            current = upstream.upstream_id
        raise Conflict("The channel hierarchy would be deeper than allowed.", field="upstream_id")

    def _check_duplicates(self, customer: Customer, skip: bool) -> None:
        norms = [normalize_name(customer.name), *(normalize_name(a) for a in customer.aliases)]
        others = [c for c in repo.name_holders(self.tenant, norms) if c.customer_id != customer.id]
        alias_norms = set(norms[1:])
        taken_aliases = [c for c in others if normalize_name(c.matched) in alias_norms and c.kind == "alias"]
        if taken_aliases:  # aliases drive file matching, so they stay unique even with the override
            raise Conflict(
                "An alias already belongs to another customer.",
                field="aliases",
                candidates=[c.model_dump() for c in taken_aliases],
            )
        if others and not skip:
            raise DuplicateCustomer(others)

    def _name_taken(self, customer: Customer) -> Callable[[], DuplicateCustomer]:
        """What a lost name claim means (someone took the name since _check_duplicates read it): 409 with them."""

        def taken() -> DuplicateCustomer:
            holders = repo.name_holders(self.tenant, [normalize_name(customer.name)])
            return DuplicateCustomer([c for c in holders if c.customer_id != customer.id])

        return taken

    def _save(
        self,
        before: Customer,
        after: Customer,
        action: str,
        reason: str | None = None,
        tx: Transaction | None = None,
        extra: dict[str, Any] | None = None,
        name_taken: Callable[[], DuplicateCustomer] | None = None,
    ) -> Customer:
        after = after.model_copy(update={"updated_at": clock.now(), "updated_by": self.p.user_id})
        changes = {**diff(before.model_dump(mode="json"), after.model_dump(mode="json"), BOOKKEEPING), **(extra or {})}
        if not changes:
            return before
        tx = tx or Transaction()
        repo.stage_customer(tx, after)
        repo.stage_lookups(tx, before, after, name_taken)  # nothing when name, aliases and code are as they were
        self._stage_audit(tx, after, action, before, reason, changes)
        tx.commit()
        return after.model_copy(update={"version": before.version + 1})

    def _stage_audit(
        self,
        tx: Transaction,
        after: Customer,
        action: str,
        before: Customer | None,
        reason: str | None = None,
        changes: dict[str, Any] | None = None,
    ) -> None:
        if changes is None:
            changes = diff(
                before.model_dump(mode="json") if before else None, after.model_dump(mode="json"), BOOKKEEPING
            )
        repo.stage_audit(tx, after, action, self.p.user_id, changes, reason)


def _check_version(customer: Customer, if_match: int) -> None:
    versions.check("customer", customer.version, if_match)


def _clean_aliases(name: str, aliases: list[str]) -> list[str]:
    """One alias per normalised spelling, none equal to the name itself, order kept."""
    seen = {normalize_name(name)}
    kept = []
    for alias in aliases:
        norm = normalize_name(alias)
        if norm and norm not in seen:
            seen.add(norm)
            kept.append(alias)
    return kept


def _current_level(customer: Customer) -> Customer:
    """A scheduled level change whose date has come is shown as the level in force."""
    nxt = customer.next_level_change
    if nxt is not None and nxt.effective_from <= clock.today():
        return customer.model_copy(update={"level": nxt.level, "next_level_change": None})
    return customer


def _matches(c: Customer, f: Filters) -> bool:
    return all(
        (
            not f.owner_id or c.owner_id == f.owner_id,
            not f.type or c.type == f.type,
            not f.status or c.status == f.status,
            not f.level or c.level == f.level,
            not f.city or c.region.city == f.city,
            f.include_voided or not c.voided,
        )
    )


def distributors_in_scope(principal: Principal) -> set[str] | None:
    """Every distributor in an office user's scope, voided ones too; None: the whole tenant's (HQ roles)."""
    scope = CustomerService(principal).scope
    if scope.whole_tenant:
        return None
    return repo.ids_in_scope(principal.tenant_id, scope, CustomerType.DISTRIBUTOR.value)


def distributor_in_scope(
    principal: Principal, asked: str | None, types: tuple[CustomerType, ...] = (CustomerType.DISTRIBUTOR,)
) -> str:
    """Whose files or figures: a distributor user acts for itself only; anyone else names a customer of
    those types (a distributor, unless said otherwise) in their scope (404 outside it)."""
    own = own_distributor(principal)
    if own is not None:
        if asked and asked != own:
            raise NotFound(f"No customer {asked}.")
        return own
    if not asked:
        raise InvalidInput("Name the distributor.", [{"field": "distributor_id", "message": "required"}])
    customer = CustomerService(principal).get(asked)
    if customer.type not in types:
        raise InvalidInput("Name a distributor.", [{"field": "distributor_id", "message": "not a distributor"}])
    return customer.id
