"""Customers in DynamoDB: the record, its name, code and search keys, level history and audit trail.

Maps explicitly between the stored shape (crm.db.models) and the service model (Customer).
"""

from collections.abc import Iterable
from datetime import date
from typing import Any

from pynamodb.expressions.condition import Condition

from crm import audit
from crm.auth import Scope
from crm.customers.model import (
    ChangeEntry,
    Customer,
    DuplicateCandidate,
    Filters,
    FlowFromDistributor,
    LevelEntry,
)
from crm.db import keys
from crm.db.models import (
    CodeKeyItem,
    CustomerItem,
    FlowCustomerItem,
    FlowPeriodItem,
    LevelItem,
    NameClaimItem,
    NameKeyItem,
    SearchKeyItem,
)
from crm.db.paging import Page, all_of, decode_cursor, encode_cursor, list_identity, query_page
from crm.db.transaction import ErrorFactory, Transaction
from crm.errors import Conflict
from crm.text import STORED, name_parts, normalize_name

# Fields kept as top-level attributes (keys and list filters); everything else goes in `doc`.
_TOP_LEVEL = (
    "id",
    "tenant_id",
    "name",
    "type",
    "status",
    "level",
    "owner_id",
    "org_unit_id",
    "org_path",
    "upstream_id",
    "voided",
)


def to_item(customer: Customer) -> CustomerItem:
    data = customer.model_dump(mode="json")
    t, cid = customer.tenant_id, customer.id
    item = CustomerItem(
        keys.customer_pk(t, cid),
        keys.META,
        gsi1pk=keys.customers_scope_pk(t),
        gsi1sk=keys.scope_sk(customer.org_path, cid),
        gsi2pk=keys.owner_pk(t, customer.owner_id) if customer.owner_id else None,
        gsi2sk=f"CUST#{cid}" if customer.owner_id else None,
        gsi4pk=keys.upstream_pk(t, customer.upstream_id) if customer.upstream_id else None,
        gsi4sk=f"CUST#{cid}" if customer.upstream_id else None,
        city=customer.region.city,
        doc={k: v for k, v in data.items() if k not in _TOP_LEVEL and k != "version"},
        **{k: data[k] for k in _TOP_LEVEL},
    )
    if customer.version:
        item.version = customer.version  # the version read; the write is conditional on it
    return item


def from_item(item: CustomerItem) -> Customer:
    data: dict[str, Any] = dict(item.doc.as_dict())
    data.update({k: getattr(item, k) for k in _TOP_LEVEL})
    data["version"] = item.version or 0
    return Customer.model_validate(data, context=STORED)


def get(tenant_id: str, customer_id: str) -> Customer | None:
    try:
        return from_item(CustomerItem.get(keys.customer_pk(tenant_id, customer_id), keys.META))
    except CustomerItem.DoesNotExist:
        return None


def get_many(tenant_id: str, ids: Iterable[str]) -> dict[str, Customer]:
    wanted = [(keys.customer_pk(tenant_id, i), keys.META) for i in dict.fromkeys(ids)]
    return {item.id: from_item(item) for item in CustomerItem.batch_get(wanted)}


# ----------------------------------------------------------------------------- names and aliases


def name_holders(tenant_id: str, norms: Iterable[str]) -> list[DuplicateCandidate]:
    """Everyone who already uses one of these normalised spellings, as a name or an alias."""
    found: list[DuplicateCandidate] = []
    for norm in dict.fromkeys(norms):
        for key in NameKeyItem.query(keys.name_pk(tenant_id, norm)):
            if key.sk != keys.NAME_CLAIM:  # the claim names a holder whose name key is here too
                found.append(DuplicateCandidate(customer_id=key.customer_id, matched=key.text, kind=key.kind))
    return found


def _name_key(tenant_id: str, customer_id: str, norm: str, text: str, kind: str) -> NameKeyItem:
    sk = keys.ALIAS if kind == "alias" else f"CUST#{customer_id}"
    return NameKeyItem(
        keys.name_pk(tenant_id, norm),
        sk,
        gsi3pk=keys.names_index_pk(tenant_id),
        gsi3sk=f"{norm}#{customer_id}",
        customer_id=customer_id,
        kind=kind,
        text=text,
    )


def _alias_taken(text: str) -> ErrorFactory:
    return lambda: Conflict(f"The alias {text!r} already belongs to another customer.", field="aliases")


def _claim_name(
    tx: Transaction, tenant_id: str, customer_id: str, norm: str, own_aliases: set[str], name_taken: ErrorFactory
) -> None:
    """Holds `norm` as this customer's name in its transaction: nobody else may hold it as a name, nor as an alias.
    This, not the read before (name_holders), is what decides between two requests that create one name at once."""
    pk, mine = keys.name_pk(tenant_id, norm), NameClaimItem.customer_id == customer_id
    tx.put(
        NameClaimItem(pk, keys.NAME_CLAIM, customer_id=customer_id),
        condition=NameClaimItem.pk.does_not_exist() | mine,
        on_fail=name_taken,
    )
    if norm not in own_aliases:  # one item, one operation per transaction
        alias_free = NameKeyItem.pk.does_not_exist() | (NameKeyItem.customer_id == customer_id)
        tx.check(NameKeyItem, pk, keys.ALIAS, alias_free, on_fail=name_taken)


def _release_name(tx: Transaction, tenant_id: str, customer_id: str, norm: str) -> None:
    """Gives up the claim on a former name, if this customer holds it (an override, or a name from before
    claims, holds none)."""
    try:
        claim = NameClaimItem.get(keys.name_pk(tenant_id, norm), keys.NAME_CLAIM)
    except NameClaimItem.DoesNotExist:
        return
    if claim.customer_id == customer_id:
        tx.delete(claim, condition=NameClaimItem.customer_id == customer_id)


def stage_lookups(
    tx: Transaction, before: Customer | None, after: Customer, name_taken: ErrorFactory | None = None
) -> None:
    """Adds the key writes that take `before`'s name, aliases and ERP code to `after`'s (none when unchanged).
    A new name is claimed, failing with `name_taken` if someone else holds it, unless none is given (a duplicate
    the caller overrides on purpose)."""
    t, cid = after.tenant_id, after.id
    old_name = {normalize_name(before.name): before.name} if before else {}
    new_name = {normalize_name(after.name): after.name}
    old_alias = {normalize_name(a): a for a in before.aliases} if before else {}
    new_alias = {normalize_name(a): a for a in after.aliases}
    for n in old_name.keys() - new_name.keys():
        tx.delete(_name_key(t, cid, n, old_name[n], "name"))
        _release_name(tx, t, cid, n)
    for n in new_name.keys() - old_name.keys():
        tx.put(_name_key(t, cid, n, new_name[n], "name"))
        if name_taken is not None:
            _claim_name(tx, t, cid, n, old_alias.keys() | new_alias.keys(), name_taken)
    for n in old_alias.keys() - new_alias.keys():
        tx.delete(_name_key(t, cid, n, old_alias[n], "alias"), condition=NameKeyItem.customer_id == cid)
    for n in new_alias.keys() - old_alias.keys():
        tx.put(
            _name_key(t, cid, n, new_alias[n], "alias"),
            condition=NameKeyItem.pk.does_not_exist(),
            on_fail=_alias_taken(new_alias[n]),
        )
    old_search, new_search = _search_texts(before), _search_texts(after)
    for text in old_search.keys() - new_search.keys():
        tx.delete(SearchKeyItem(keys.customer_pk(t, cid), f"SEARCH#{text}"))
    for text, (kind, source) in new_search.items():
        if old_search.get(text) != (kind, source):
            tx.put(
                SearchKeyItem(
                    keys.customer_pk(t, cid),
                    f"SEARCH#{text}",
                    gsi3pk=keys.search_index_pk(t),
                    gsi3sk=f"{text}#{cid}",
                    customer_id=cid,
                    kind=kind,
                    text=source,
                )
            )
    old_code, new_code = (before.code if before else None), after.code
    if old_code and old_code != new_code:
        tx.delete(CodeKeyItem(keys.code_pk(t, old_code), f"CUST#{cid}"))
    if new_code and (old_code != new_code or before is None or before.type != after.type):
        tx.put(CodeKeyItem(keys.code_pk(t, new_code), f"CUST#{cid}", customer_id=cid, customer_type=str(after.type)))


def ids_by_code(tenant_id: str, codes: Iterable[str], customer_type: str) -> dict[str, str]:
    """ERP code → customer id, for the codes held by exactly one customer of that type (one Query a code)."""
    found: dict[str, str] = {}
    for code in dict.fromkeys(codes):
        holders = [
            k.customer_id for k in CodeKeyItem.query(keys.code_pk(tenant_id, code)) if k.customer_type == customer_type
        ]
        if len(holders) == 1:
            found[code] = holders[0]
    return found


def _search_texts(customer: Customer | None) -> dict[str, tuple[str, str]]:
    """text → (kind, what it comes from) of the customer's SearchKeyItems."""
    if customer is None:
        return {}
    texts = {part: ("part", customer.name) for part in name_parts(normalize_name(customer.name))}
    if customer.code and (code := normalize_name(customer.code)):
        texts.setdefault(code, ("code", customer.code))
    return texts


LAST_CHAR = "\U0010ffff"  # sorts after any character a key holds: prefix..prefix+LAST_CHAR is "starts with prefix"


def search_names(tenant_id: str, prefix: str, limit: int, cursor: str | None) -> Page[NameKeyItem | SearchKeyItem]:
    """Names, aliases, name parts and ERP codes starting with prefix, in text order, from both index partitions
    read side by side (a page of each at most) and merged. The cursor is the last text given out."""
    identity = list_identity("customer-search", tenant_id, prefix)
    start = decode_cursor(cursor, identity)
    after = start["after"]["S"] if start else ""
    low, high, want = max(prefix, after), prefix + LAST_CHAR, limit + 2  # +2: `after` itself, and one to see more
    if low > high:  # only a cursor made by hand gets here: nothing sorts after the last possible text
        return Page([], None)
    found = [
        *NameKeyItem.by_text.query(keys.names_index_pk(tenant_id), NameKeyItem.gsi3sk.between(low, high), limit=want),
        *SearchKeyItem.by_text.query(
            keys.search_index_pk(tenant_id), SearchKeyItem.gsi3sk.between(low, high), limit=want
        ),
    ]
    found = sorted((hit for hit in found if hit.gsi3sk > after), key=lambda hit: hit.gsi3sk)
    page = found[:limit]
    more = len(found) > limit  # a partition that had more than this page gave want items, one at most skipped
    return Page(page, encode_cursor({"after": {"S": page[-1].gsi3sk}}, identity) if more else None)


# ----------------------------------------------------------------------------- writes


def stage_customer(tx: Transaction, customer: Customer) -> None:
    """Create (version 0: must not exist) or replace (must still be at the version read)."""
    tx.put(to_item(customer))


def stage_audit(
    tx: Transaction,
    customer: Customer,
    action: str,
    actor_id: str,
    changes: dict[str, dict[str, Any]],
    reason: str | None = None,
) -> None:
    audit.stage(
        tx, keys.customer_pk(customer.tenant_id, customer.id), customer.tenant_id, action, actor_id, changes, reason
    )


def stage_level(tx: Transaction, customer: Customer, entry: LevelEntry, entry_id: str) -> None:
    tx.put(
        LevelItem(
            keys.customer_pk(customer.tenant_id, customer.id),
            f"LEVEL#{entry.effective_from.isoformat()}#{entry_id}",
            level=entry.level.value,
            effective_from=entry.effective_from.isoformat(),
            reason=entry.reason,
            changed_by=entry.changed_by,
            changed_at=entry.changed_at.isoformat(),
        )
    )


# ----------------------------------------------------------------------------- reads of lists


def scope_filter(scope: Scope) -> Condition | None:
    if scope.whole_tenant:
        return None
    if scope.org_path is not None:
        return CustomerItem.org_path.startswith(scope.org_path)
    if scope.owner_id is not None:
        return CustomerItem.owner_id == scope.owner_id
    return CustomerItem.id == (scope.customer_id or "-")


def customer_filter(scope: Scope, f: Filters) -> Condition | None:
    """The FilterExpression for a list: the caller's scope and the attribute filters asked for."""
    return all_of(
        scope_filter(scope),
        CustomerItem.type == f.type if f.type else None,
        CustomerItem.status == f.status if f.status else None,
        CustomerItem.level == f.level if f.level else None,
        CustomerItem.city == f.city if f.city else None,
        None if f.include_voided else CustomerItem.voided == False,  # noqa: E712 (a condition, not a bool)
    )


def ids_in_scope(tenant_id: str, scope: Scope, customer_type: str | None = None) -> set[str]:
    """The ids of every customer (of that type) in a rep's or a head's scope, voided ones too, read from the
    owner or org-path index. Not for the whole tenant: its readers read everything instead."""
    if scope.whole_tenant:
        raise AssertionError("the whole tenant is not listed id by id")
    where = CustomerItem.type == customer_type if customer_type else None
    if scope.owner_id is not None:
        found = CustomerItem.by_owner.query(
            keys.owner_pk(tenant_id, scope.owner_id), filter_condition=where, attributes_to_get=["id"]
        )
    elif scope.org_path is not None:
        found = CustomerItem.by_scope.query(
            keys.customers_scope_pk(tenant_id),
            CustomerItem.gsi1sk.startswith(scope.org_path),
            filter_condition=where,
            attributes_to_get=["id"],
        )
    else:
        return {scope.customer_id} if scope.customer_id else set()
    return {item.id for item in found}


def list_by_org_path(
    tenant_id: str, org_path: str, where: Condition | None, limit: int, cursor: str | None
) -> Page[Customer]:
    page = query_page(
        CustomerItem,
        "gsi1pk",
        keys.customers_scope_pk(tenant_id),
        limit=limit,
        cursor=cursor,
        range_condition=CustomerItem.gsi1sk.startswith(org_path),
        filter_condition=where,
        index_name="gsi1",
    )
    return Page([from_item(i) for i in page.items], page.cursor)


def list_by_owner(
    tenant_id: str, owner_id: str, where: Condition | None, limit: int, cursor: str | None
) -> Page[Customer]:
    page = query_page(
        CustomerItem,
        "gsi2pk",
        keys.owner_pk(tenant_id, owner_id),
        limit=limit,
        cursor=cursor,
        filter_condition=where,
        index_name="gsi2",
    )
    return Page([from_item(i) for i in page.items], page.cursor)


def list_downstream(tenant_id: str, customer_id: str, scope: Scope, limit: int, cursor: str | None) -> Page[Customer]:
    page = query_page(
        CustomerItem,
        "gsi4pk",
        keys.upstream_pk(tenant_id, customer_id),
        limit=limit,
        cursor=cursor,
        filter_condition=scope_filter(scope),
        index_name="gsi4",
    )
    return Page([from_item(i) for i in page.items], page.cursor)


def list_history(tenant_id: str, customer_id: str, limit: int, cursor: str | None) -> Page[ChangeEntry]:
    return audit.history(keys.customer_pk(tenant_id, customer_id), limit, cursor)


def _level_entry(item: LevelItem) -> LevelEntry:
    return LevelEntry(
        level=item.level,
        effective_from=item.effective_from,
        reason=item.reason,
        changed_by=item.changed_by,
        changed_at=item.changed_at,
    )


def list_levels(tenant_id: str, customer_id: str, limit: int, cursor: str | None) -> Page[LevelEntry]:
    page = query_page(
        LevelItem,
        "pk",
        keys.customer_pk(tenant_id, customer_id),
        limit=limit,
        cursor=cursor,
        range_condition=LevelItem.sk.startswith("LEVEL#"),
        forward=False,
    )
    return Page([_level_entry(i) for i in page.items], page.cursor)


def level_on(tenant_id: str, customer_id: str, on: date) -> LevelEntry | None:
    """The entry in force on a date: the latest effective_from on or before it (latest recorded wins)."""
    upper = f"LEVEL#{on.isoformat()}#~"  # '~' sorts after every ULID character
    for item in LevelItem.query(
        keys.customer_pk(tenant_id, customer_id),
        LevelItem.sk.between("LEVEL#", upper),
        scan_index_forward=False,
        limit=1,
    ):
        return _level_entry(item)
    return None


def next_level_after(tenant_id: str, customer_id: str, on: date) -> LevelEntry | None:
    lower = f"LEVEL#{on.isoformat()}#~"
    for item in LevelItem.query(keys.customer_pk(tenant_id, customer_id), LevelItem.sk > lower, limit=1):
        return _level_entry(item)
    return None


def flow_of(tenant_id: str, customer_id: str, period: str) -> list[FlowFromDistributor]:
    """Per distributor, kept only when its load is still the period's current one (not restated since)."""
    found = []
    for item in FlowCustomerItem.query(
        keys.customer_pk(tenant_id, customer_id), FlowCustomerItem.sk.startswith(f"FLOW#{period}#")
    ):
        try:
            pointer = FlowPeriodItem.get(keys.flow_period_pk(tenant_id, item.distributor_id, period), "CURRENT")
        except FlowPeriodItem.DoesNotExist:
            continue
        if pointer.load_id == item.load_id:
            found.append(
                FlowFromDistributor(
                    distributor_id=item.distributor_id,
                    load_id=item.load_id,
                    rows=int(item.rows),
                    base_qty_by_sku=item.products.as_dict(),
                )
            )
    return found
