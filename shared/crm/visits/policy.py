"""The tenant's visit policy: geofence radius, what happens outside it, visit frequency per level.

Tenant data, not code: HQ reads and replaces it (If-Match; "0" stores the first one over the default).
"""

from crm import policies
from crm.db import keys
from crm.visits.model import StoredPolicy, VisitPolicy


def current(tenant_id: str) -> StoredPolicy:
    policy, version = policies.read(keys.visit_policy_pk(tenant_id), VisitPolicy)
    return StoredPolicy(policy=policy, version=version)


def replace(tenant_id: str, by: str, if_match: int, policy: VisitPolicy) -> StoredPolicy:
    version = policies.replace(tenant_id, keys.visit_policy_pk(tenant_id), policy, by, if_match, "visit policy")
    return StoredPolicy(policy=policy, version=version)
