"""Distributor aliases: what a buyer name means in one distributor's files, as a person confirmed it.

A review decision writes one (in the decision's transaction, with an audit entry); the import of that
distributor's next file matches it before the tenant's customer aliases. Another distributor's files
never see it: the same name may be another shop in another distributor's territory.
"""

from pydantic import BaseModel, Field

from crm import audit, clock
from crm.db import keys
from crm.db.models import FlowAliasItem
from crm.db.paging import Page, query_page
from crm.db.transaction import Transaction
from crm.ids import stable_id
from crm.text import normalize_name


class FlowAlias(BaseModel):
    id: str = Field(description="Stable per distributor and normalised name (the id of the review item it came from)")
    distributor_id: str
    name: str = Field(description="The buyer name as the distributor wrote it")
    normalized_name: str
    customer_id: str
    review_id: str | None = None
    confirmed_by: str
    confirmed_at: str
    version: int


class FlowAliasPage(BaseModel):
    items: list[FlowAlias]
    next_cursor: str | None = None


def alias_id(tenant_id: str, distributor_id: str, normalized_name: str) -> str:
    """The same stable id as the review item of that name (crm.flow.reviews.record)."""
    return stable_id(tenant_id, distributor_id, normalized_name)


def to_model(item: FlowAliasItem) -> FlowAlias:
    return FlowAlias(
        id=alias_id(item.tenant_id, item.distributor_id, item.normalized_name),
        distributor_id=item.distributor_id,
        name=item.name,
        normalized_name=item.normalized_name,
        customer_id=item.customer_id,
        review_id=item.review_id,
        confirmed_by=item.confirmed_by,
        confirmed_at=item.confirmed_at,
        version=item.version or 0,
    )


def get(tenant_id: str, distributor_id: str, name: str) -> FlowAliasItem | None:
    """By the name as written or already normalised."""
    norm = normalize_name(name)
    if not norm:
        return None
    try:
        return FlowAliasItem.get(keys.flow_aliases_pk(tenant_id, distributor_id), keys.flow_alias_sk(norm))
    except FlowAliasItem.DoesNotExist:
        return None


def list_page(tenant_id: str, distributor_id: str, limit: int, cursor: str | None) -> Page[FlowAlias]:
    page = query_page(
        FlowAliasItem,
        "pk",
        keys.flow_aliases_pk(tenant_id, distributor_id),
        limit=limit,
        cursor=cursor,
        range_condition=FlowAliasItem.sk.startswith(keys.flow_alias_sk("")),
    )
    return Page([to_model(i) for i in page.items], page.cursor)


def for_matching(tenant_id: str, distributor_id: str) -> dict[str, str]:
    """normalised name → customer id, for crm.ingest.match.CustomerIndex(distributor_aliases=...)."""
    query = FlowAliasItem.query(
        keys.flow_aliases_pk(tenant_id, distributor_id),
        FlowAliasItem.sk.startswith(keys.flow_alias_sk("")),
        attributes_to_get=["normalized_name", "customer_id"],
    )
    return {item.normalized_name: item.customer_id for item in query}


def confirm(
    tx: Transaction, tenant_id: str, distributor_id: str, name: str, customer_id: str, actor: str, review_id: str | None
) -> FlowAliasItem:
    """Adds the alias (or points an existing one elsewhere) and its audit entry to tx; the item is current
    (its version too) once tx commits."""
    norm = normalize_name(name)
    existing = get(tenant_id, distributor_id, norm)
    before = existing.customer_id if existing else None
    item = existing or FlowAliasItem(
        keys.flow_aliases_pk(tenant_id, distributor_id),
        keys.flow_alias_sk(norm),
        tenant_id=tenant_id,
        distributor_id=distributor_id,
        normalized_name=norm,
    )
    item.name, item.customer_id, item.review_id = name, customer_id, review_id
    item.confirmed_by, item.confirmed_at = actor, clock.now_iso()
    tx.put(item)  # conditional on the version read (or on not existing yet)
    audit.stage(
        tx,
        keys.flow_aliases_pk(tenant_id, distributor_id),
        tenant_id,
        "confirm_flow_alias",
        actor,
        {
            "name": {"before": existing.name if existing else None, "after": name},
            "customer_id": {"before": before, "after": customer_id},
        },
        f"confirmed from flow review {review_id}" if review_id else None,
        item.confirmed_at,
    )
    return item


def remove(tx: Transaction, item: FlowAliasItem, actor: str, reason: str | None) -> None:
    tx.delete(item)  # conditional on the version read: a concurrent re-confirmation is not lost silently
    audit.stage(
        tx,
        keys.flow_aliases_pk(item.tenant_id, item.distributor_id),
        item.tenant_id,
        "delete_flow_alias",
        actor,
        {"name": {"before": item.name, "after": None}, "customer_id": {"before": item.customer_id, "after": None}},
        reason,
    )
