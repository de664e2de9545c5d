"""The review queue: buyer names no rule matched for sure. A person's answer becomes an alias,
so the next upload matches the name by itself, and the loads that carried it are re-attributed."""

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from crm.db import keys
from crm.db.models import FlowReviewItem
from crm.db.paging import Page, one_of, query_page
from crm.db.transaction import Transaction
from crm.errors import Conflict
from crm.ids import stable_id


class ReviewCandidate(BaseModel):
    customer_id: str
    name: str
    score: float
    same_city: bool


class Review(BaseModel):
    id: str
    distributor_id: str
    buyer_name: str
    normalized_name: str
    status: str
    load_ids: list[str]
    row_count: int = Field(description="Rows with this name in the latest load that carried it")
    base_quantity: float
    candidates: list[ReviewCandidate]
    resolved_customer_id: str | None = None
    resolution: str | None = None
    version: int


class ReviewPage(BaseModel):
    items: list[Review]
    next_cursor: str | None = None


def _model(item: FlowReviewItem) -> Review:
    return Review(
        id=item.id,
        distributor_id=item.distributor_id,
        buyer_name=item.buyer_name,
        normalized_name=item.normalized_name,
        status=item.status,
        load_ids=list(item.load_ids),
        row_count=int(item.row_count),
        base_quantity=float(item.base_quantity),
        candidates=[ReviewCandidate(**c) for c in item.candidates],
        resolved_customer_id=item.resolved_customer_id,
        resolution=item.resolution,
        version=item.version or 0,
    )


def get(tenant_id: str, review_id: str) -> FlowReviewItem | None:
    try:
        return FlowReviewItem.get(keys.flow_review_pk(tenant_id, review_id), keys.META)
    except FlowReviewItem.DoesNotExist:
        return None


def record(tenant_id: str, distributor_id: str, load_id: str, items: Iterable[Any]) -> None:
    """Opens (or refreshes) one review item per unsure name of a load; resolved names stay resolved."""
    for review in items:
        review_id = stable_id(tenant_id, distributor_id, review.normalized_name)
        item = get(tenant_id, review_id) or FlowReviewItem(
            keys.flow_review_pk(tenant_id, review_id),
            keys.META,
            id=review_id,
            distributor_id=distributor_id,
            normalized_name=review.normalized_name,
            status="open",
            load_ids=[],
        )
        if item.status != "open":
            continue
        item.gsi1pk, item.gsi1sk = keys.flow_reviews_pk(tenant_id), f"open#{distributor_id}#{review_id}"
        item.buyer_name, item.row_count, item.base_quantity = review.buyer_name, review.row_count, review.base_quantity
        item.load_ids = [*[i for i in item.load_ids if i != load_id], load_id][-20:]
        item.candidates = [
            {
                "customer_id": c.customer_id,
                "name": c.name,
                "score": round(float(c.score), 1),
                "same_city": bool(c.same_city),
            }
            for c in review.candidates
        ]
        item.save()


def list_open(
    tenant_id: str, distributor_id: str | None, limit: int, cursor: str | None, among: set[str] | None = None
) -> Page[Review]:
    """One distributor's open items, or every one's (`among`: only those distributors')."""
    prefix = f"open#{distributor_id}#" if distributor_id else "open#"
    where = one_of(FlowReviewItem.distributor_id, among) if among is not None else None
    page = query_page(
        FlowReviewItem,
        "gsi1pk",
        keys.flow_reviews_pk(tenant_id),
        limit=limit,
        cursor=cursor,
        range_condition=FlowReviewItem.gsi1sk.startswith(prefix),
        filter_condition=where,
        index_name="gsi1",
    )
    return Page([_model(i) for i in page.items], page.cursor)


def resolve(tx: Transaction, item: FlowReviewItem, customer_id: str, actor: str, resolution: str) -> None:
    """Adds the resolution to tx; conditional on the version read: two reviewers cannot both resolve it."""
    item.status, item.resolved_customer_id, item.resolved_by, item.resolution = (
        "resolved",
        customer_id,
        actor,
        resolution,
    )
    item.gsi1sk = f"resolved#{item.distributor_id}#{item.id}"
    tx.put(item, on_fail=lambda: Conflict("Someone else decided this review item at the same time."))


def reopen(tx: Transaction, item: FlowReviewItem) -> None:
    """Back into the queue (a confirmation was undone): the next load with the name refreshes it."""
    item.status, item.resolved_customer_id, item.resolved_by, item.resolution = "open", None, None, None
    item.gsi1sk = f"open#{item.distributor_id}#{item.id}"
    tx.put(item)


def to_model(item: FlowReviewItem) -> Review:
    return _model(item)
