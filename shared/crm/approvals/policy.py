"""Which steps an approval needs and who approves each: tenant policy data applied to the org tree."""

import json
from decimal import Decimal

from crm.approvals import repository
from crm.approvals.model import ApproverRole, Kind, Policy, PolicyStep, Step
from crm.errors import InvalidInput
from crm.org import directory

# Until HQ sets its own: the department head always; the branch head from 10,000 or when credit is
# exceeded; HQ finance from 50,000 or when credit is exceeded.
DEFAULT_POLICIES: dict[Kind, Policy] = {
    Kind.ORDER: Policy(
        steps=[
            PolicyStep(role="dept_head"),
            PolicyStep(role="branch_head", min_amount=Decimal("10000"), when_over_credit=True),
            PolicyStep(role="finance", min_amount=Decimal("50000"), when_over_credit=True),
        ]
    ),
    Kind.RETURN: Policy(
        steps=[
            PolicyStep(role="dept_head"),
            PolicyStep(role="finance", min_amount=Decimal("10000")),
        ]
    ),
    Kind.CUSTOMER_ACTIVATION: Policy(steps=[PolicyStep(role="dept_head")]),
    Kind.LEVEL_CHANGE: Policy(steps=[PolicyStep(role="dept_head"), PolicyStep(role="branch_head")]),
    # A change to what a distributor holds moves money on paper: its branch, then HQ finance.
    Kind.INVENTORY_ADJUSTMENT: Policy(steps=[PolicyStep(role="branch_head"), PolicyStep(role="finance")]),
    # Agreements commit money for a year: the distributor's branch, then HQ finance. Accruals are finance's
    # books. A penalty on a distributor: its branch head, then finance, who nets it.
    Kind.AGREEMENT: Policy(steps=[PolicyStep(role="branch_head"), PolicyStep(role="finance")]),
    Kind.ACCRUAL: Policy(steps=[PolicyStep(role="finance")]),
    Kind.DIVERSION_PENALTY: Policy(steps=[PolicyStep(role="branch_head"), PolicyStep(role="finance")]),
}

# Who takes over when an approver does not act in time (or the role is vacant in that part of the tree).
NEXT_LEVEL: dict[str, ApproverRole | None] = {
    "dept_head": "branch_head",
    "branch_head": "hq_admin",
    "finance": "hq_admin",
    "hq_admin": None,
}


def policy_for(tenant_id: str, kind: Kind) -> Policy:
    return stored_policy(tenant_id, kind)[0]


def stored_policy(tenant_id: str, kind: Kind) -> tuple[Policy, int]:
    """The tenant's policy for the kind and its version; the default and version 0 when none is stored."""
    item = repository.policy_item(tenant_id, kind)
    if item is None:
        return DEFAULT_POLICIES[kind], 0
    return Policy.model_validate(json.loads(item.policy)), item.version or 0


def applicable(policy: Policy, amount: Decimal | None, over_credit: bool) -> list[PolicyStep]:
    def applies(step: PolicyStep) -> bool:
        if step.min_amount is None and not step.when_over_credit:
            return True
        by_amount = step.min_amount is not None and amount is not None and amount >= step.min_amount
        return by_amount or (step.when_over_credit and over_credit)

    return [s for s in policy.steps if applies(s)]


def approver(tenant_id: str, role: ApproverRole, org_unit_id: str, exclude: set[str]) -> tuple[ApproverRole, str]:
    """The nearest holder of the role above org_unit_id (HQ roles: anyone holding it); when the role is
    vacant there, or held only by someone excluded (the submitter never approves their own request),
    the next level up. InvalidInput (422) when nobody is left."""
    found = nearest_approver(tenant_id, role, org_unit_id, exclude)
    if found is None:
        raise InvalidInput("Nobody can approve this: the tenant has no approver above this org unit.")
    return found


def escalation_approver(tenant_id: str, role: ApproverRole, org_unit_id: str, exclude: set[str]) -> str | None:
    """Who else may decide a step nobody decided in time: the next level up from the step's role; None at
    the top (or when everyone above is already an approver): the step stays with whom it has."""
    up = NEXT_LEVEL[role]
    found = nearest_approver(tenant_id, up, org_unit_id, exclude) if up is not None else None
    return found[1] if found else None


def nearest_approver(
    tenant_id: str, role: ApproverRole, org_unit_id: str, exclude: set[str]
) -> tuple[ApproverRole, str] | None:
    people = [u for u in directory.users(tenant_id) if u.active and u.id not in exclude]
    current: ApproverRole | None = role
    while current is not None:
        holders = [u for u in people if current in u.roles]
        if current in ("finance", "hq_admin"):
            if holders:
                return current, sorted(holders, key=lambda u: u.id)[0].id
        else:
            unit = directory.find_unit(tenant_id, org_unit_id)
            while unit is not None:
                here = sorted((u for u in holders if u.org_unit_id == unit.id), key=lambda u: u.id)
                if here:
                    return current, here[0].id
                unit = directory.find_unit(tenant_id, unit.parent_id) if unit.parent_id else None
        current = NEXT_LEVEL[current]
    return None


def plan_steps(
    tenant_id: str, kind: Kind, org_unit_id: str, amount: Decimal | None, over_credit: bool, submitter: str
) -> tuple[Policy, list[Step]]:
    policy = policy_for(tenant_id, kind)
    steps: list[Step] = []
    for wanted in applicable(policy, amount, over_credit):
        role, user = approver(tenant_id, wanted.role, org_unit_id, exclude={submitter})
        if steps and steps[-1].approvers == [user]:
            continue  # one person does not approve the same thing twice in a row
        steps.append(Step(role=role, approvers=[user]))
    return policy, steps
