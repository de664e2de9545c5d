"""One table for everything; its name is bound at cold start from settings, not at import."""

from functools import lru_cache

import pynamodb.connection.base
from pynamodb.attributes import UnicodeAttribute, VersionAttribute
from pynamodb.connection import Connection
from pynamodb.models import Model

from crm import tenancy

# pynamodb builds each connection's botocore session with this name: tenant data is read and written as the tenant.
pynamodb.connection.base.get_session = tenancy.data_session


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


@lru_cache(maxsize=1)
def transaction_connection() -> Connection:
    """One client for TransactWriteItems per container (building a botocore client costs ~50 ms).

    Not Item._get_connection(): pynamodb keeps that on the class, and subclasses would inherit
    a connection that knows none of their indexes.
    """
    return Connection()


def reset_connections() -> None:
    """Forget every cached client, e.g. after pointing AWS_ENDPOINT_URL elsewhere (tests)."""
    transaction_connection.cache_clear()
    pending: list[type[Model]] = [Item]
    while pending:
        cls = pending.pop()
        cls._connection = None
        pending.extend(cls.__subclasses__())
