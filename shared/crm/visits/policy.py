"""The tenant's visit policy: geofence radius, what happens outside it, visit frequency per level.

Tenant data, not code: HQ reads and replaces it (If-Match; "0" stores the first one over the default).
"""

from crm import clock
from crm.db import keys
from crm.db.models import AuditItem, VisitPolicyItem
from crm.db.transaction import Transaction
from crm.errors import PreconditionFailed
from crm.ids import new_id
from crm.visits.model import StoredPolicy, VisitPolicy


def current(tenant_id: str) -> StoredPolicy:
    try:
        item = VisitPolicyItem.get(keys.visit_policy_pk(tenant_id), keys.META)
    except VisitPolicyItem.DoesNotExist:
        return StoredPolicy(policy=VisitPolicy(), version=0)
    return StoredPolicy(policy=VisitPolicy.model_validate_json(item.policy), version=item.version or 0)


def replace(tenant_id: str, by: str, if_match: int, policy: VisitPolicy) -> StoredPolicy:
    before = current(tenant_id)
    if before.version != if_match:
        raise PreconditionFailed(f"The visit policy is at version {before.version}, not {if_match}: read it again.")
    item = VisitPolicyItem(keys.visit_policy_pk(tenant_id), keys.META, policy=policy.model_dump_json(),
                           updated_by=by, updated_at=clock.now_iso())
    if before.version:
        item.version = before.version  # the write is conditional on the version read
    tx = Transaction()
    tx.put(item)
    tx.put(AuditItem(item.pk, f"AUDIT#{new_id()}", tenant_id=tenant_id, action="visit_policy.set", actor_id=by,
                     at=item.updated_at, changes={"policy": {"before": before.policy.model_dump(mode="json"),
                                                             "after": policy.model_dump(mode="json")}}))
    tx.commit()
    return StoredPolicy(policy=policy, version=before.version + 1)
