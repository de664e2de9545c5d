"""A fix for one moto emulation trap that makes the local runtime slow down as data grows.

moto backs up a table before every TransactWriteItems with `copy.deepcopy(table)`, once per
item in the transaction. The cost grows with everything ever stored, so a test session that
writes a few thousand records makes each transaction take hundreds of milliseconds. We keep the
same all-or-nothing rollback but copy only what the transaction can change: the partitions it
touches are deep-copied, every other partition is shared with the backup.
"""

import copy
import threading
from collections import defaultdict
from typing import Any

_lock = threading.Lock()  # the swap of moto's `copy` module reference below must not interleave


class _PartitionCopy:
    """Stands in for the `copy` module inside moto.dynamodb.models during one transaction."""

    def __init__(self, touched: dict[str, set[Any]]) -> None:
        self.touched = touched

    def deepcopy(self, obj: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        if not isinstance(obj, Table):
            return copy.deepcopy(obj, memo)
        backup = copy.copy(obj)
        backup.items = defaultdict(dict)
        hot = self.touched.get(obj.name, set())
        for hash_key, partition in obj.items.items():
            if hash_key in hot:
                backup.items[hash_key] = copy.deepcopy(partition)
            else:
                backup.items[hash_key] = dict(partition) if obj.has_range_key else partition
        return backup


def _touched_partitions(backend: Any, transact_items: list[dict[str, Any]]) -> dict[str, set[Any]]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    touched: dict[str, set[Any]] = defaultdict(set)
    for entry in transact_items:
        op = next(iter(entry.values()))
        table = backend.tables.get(op.get("TableName"))
        if table is None:
            continue
        key = op.get("Key") or op.get("Item") or {}
        if table.hash_key_attr in key:
            touched[table.name].add(DynamoType(key[table.hash_key_attr]))
    return touched


def install() -> None:
    """Idempotent; call before the moto server handles requests."""
    from moto.dynamodb import models

    original = models.DynamoDBBackend.transact_write_items
    if getattr(original, "_partition_backup", False):
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _lock:
            real = models.copy
            models.copy = _PartitionCopy(_touched_partitions(self, transact_items))  # type: ignore[assignment]
            try:
                return original(self, transact_items)
            finally:
                models.copy = real

    transact_write_items._partition_backup = True  # type: ignore[attr-defined]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
