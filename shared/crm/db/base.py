"""One table for everything; its name is bound at cold start from settings, not at import."""

from pynamodb.attributes import UnicodeAttribute, VersionAttribute
from pynamodb.models import Model


class Item(Model):
    """Base of every record. Keys carry the tenant and the entity type: T#<tenant>#<TYPE>#<id>."""

    class Meta:
        table_name: str | None = None  # set by bind_table()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class VersionedItem(Item):
    """Business records: every write is conditional on the version read (optimistic locking)."""

    version = VersionAttribute()


def bind_table(table_name: str) -> None:
    """Point every model at the table. Cheap and idempotent; called by each function's first request."""
    if Item.Meta.table_name != table_name:
        Item.Meta.table_name = table_name
