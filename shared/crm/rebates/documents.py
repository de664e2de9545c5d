"""Records kept whole as one JSON document each (DocumentItem): the pydantic model is the record.

Agreements, their versions, vouchers, accrual runs and diversion cases are read and written whole, listed by
one or two index partitions and never queried by their fields, so a column per field would buy nothing.
"""

from dataclasses import dataclass

from pydantic import BaseModel

from crm.db.models import DocumentItem


@dataclass(frozen=True)
class Listing:
    """An index entry: the partition a record is listed under, and its place there."""

    pk: str
    sk: str


def document[M: BaseModel](
    tenant_id: str,
    pk: str,
    sk: str,
    kind: str,
    body: M,
    by1: Listing | None = None,
    by2: Listing | None = None,
    version: int | None = None,
) -> DocumentItem:
    """The item for `body`; `version` is the one read (None: a new record, which must not exist yet)."""
    item = DocumentItem(pk, sk, tenant_id=tenant_id, kind=kind, body=body.model_dump_json())
    if by1:
        item.gsi1pk, item.gsi1sk = by1.pk, by1.sk
    if by2:
        item.gsi2pk, item.gsi2sk = by2.pk, by2.sk
    if version:
        item.version = version  # the write is conditional on it; without one, on the record not existing
    return item


def get(pk: str, sk: str) -> DocumentItem | None:
    try:
        return DocumentItem.get(pk, sk)
    except DocumentItem.DoesNotExist:
        return None


def body[M: BaseModel](item: DocumentItem, model: type[M]) -> M:
    return model.model_validate_json(item.body)


def listed(pk: str, prefix: str | None = None, second: bool = False) -> list[DocumentItem]:
    """Every record under an index partition (gsi1, or gsi2 when `second`), optionally those whose sort key
    starts with `prefix`."""
    index = DocumentItem.by_gsi2 if second else DocumentItem.by_gsi1
    key = DocumentItem.gsi2sk if second else DocumentItem.gsi1sk
    return list(index.query(pk, key.startswith(prefix) if prefix else None))
