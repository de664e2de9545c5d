"""Tenant policy documents (the visit geofence and frequencies, the inventory threshold and carry rule):
tenant data, not code. One JSON item each; HQ replaces it with If-Match ("0" stores the first one over the
code's default), audited with before and after in the same transaction."""

from pydantic import BaseModel

from crm import audit, clock, versions
from crm.db import keys
from crm.db.models import PolicyItem
from crm.db.transaction import Transaction


def read[P: BaseModel](pk: str, model: type[P]) -> tuple[P, int]:
    """The stored policy and its version; the model's defaults and version 0 when none is stored."""
    try:
        item = PolicyItem.get(pk, keys.META)
    except PolicyItem.DoesNotExist:
        return model(), 0
    return model.model_validate_json(item.policy), item.version or 0


def replace[P: BaseModel](tenant_id: str, pk: str, policy: P, by: str, if_match: int, label: str) -> int:
    """Stores `policy` if the stored one is still at `if_match`; returns the new version."""
    before, version = read(pk, type(policy))
    versions.check(label, version, if_match)
    item = PolicyItem(pk, keys.META, policy=policy.model_dump_json(), updated_by=by, updated_at=clock.now_iso())
    if version:
        item.version = version  # the write is conditional on the version read
    tx = Transaction()
    tx.put(item)
    audit.stage(
        tx,
        pk,
        tenant_id,
        f"{label.replace(' ', '_')}.set",
        by,
        {"policy": {"before": before.model_dump(mode="json"), "after": policy.model_dump(mode="json")}},
        at=item.updated_at,
    )
    tx.commit()
    return version + 1
