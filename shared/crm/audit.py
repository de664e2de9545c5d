"""What changed between two versions of a record, as the audit trail stores it."""

from typing import Any


def diff(
    before: dict[str, Any] | None, after: dict[str, Any], ignore: frozenset[str] = frozenset()
) -> dict[str, dict[str, Any]]:
    """field -> {"before", "after"} for every field whose value differs (a create has before=None)."""
    before = before or {}
    changes = {}
    for field in sorted(before.keys() | after.keys()):
        if field in ignore:
            continue
        old, new = before.get(field), after.get(field)
        if old != new and not (before == {} and new in (None, [], {})):
            changes[field] = {"before": old, "after": new}
    return changes
