"""Customer changes that need a manager's approval: activation (prospect → active) and level changes.

The request goes through the approval machinery (crm.approvals); the change itself is made by the same
CustomerService rules as a direct edit, on the final approver's behalf, when the run ends approved.
"""

from crm.approvals import service as approvals
from crm.approvals.model import Approval, ApprovalRequest, Kind
from crm.approvals.subjects import Outcome, Subject
from crm.auth import Principal, Role, require
from crm.customers.model import CustomerPatch, LevelChange, Status
from crm.customers.service import CustomerService
from crm.errors import Conflict
from crm.org import directory


def request_activation(principal: Principal, customer_id: str, comment: str | None) -> Approval:
    require(principal, "customer:update")
    customer = CustomerService(principal).get(customer_id)  # 404 outside the caller's scope
    if customer.status != Status.PROSPECT:
        raise Conflict(f"Only a prospect can be activated; this customer is {customer.status.value}.")
    _no_pending(principal, Kind.CUSTOMER_ACTIVATION, customer_id)
    return approvals.request(
        principal,
        ApprovalRequest(
            kind=Kind.CUSTOMER_ACTIVATION,
            subject_id=customer_id,
            subject_label=customer.name,
            org_unit_id=customer.org_unit_id,
            payload={"comment": comment} if comment else None,
        ),
    )


def request_level_change(principal: Principal, customer_id: str, change: LevelChange) -> Approval:
    require(principal, "customer:request_level")
    service = CustomerService(principal)
    customer = service.get(customer_id)
    if service.level_on(customer_id, change.effective_from).level == change.level:  # nothing for anyone to approve
        raise Conflict(f"The customer is level {change.level.value} on {change.effective_from} already.")
    _no_pending(principal, Kind.LEVEL_CHANGE, customer_id)
    return approvals.request(
        principal,
        ApprovalRequest(
            kind=Kind.LEVEL_CHANGE,
            subject_id=customer_id,
            subject_label=f"{customer.name}: {customer.level.value if customer.level else '-'} → {change.level.value}",
            org_unit_id=customer.org_unit_id,
            payload=change.model_dump(mode="json"),
        ),
    )


class ActivationSubject(Subject):
    """prospect → active when approved, on the final approver's behalf; nothing changed before that."""

    def approved(self, outcome: Outcome) -> None:
        service = CustomerService(_acting_for(outcome.tenant_id, outcome.by))
        customer = service.get(outcome.subject_id)
        if customer.status == Status.PROSPECT:  # a repeated end changes nothing
            service.update(outcome.subject_id, customer.version, CustomerPatch(status=Status.ACTIVE))

    def rejected(self, outcome: Outcome) -> None:
        """Nothing to undo: the customer never changed while the request was pending."""

    def expired(self, outcome: Outcome) -> None:
        """Nothing to undo; the request's expiry is on the approval (audited) for the rep to see."""


class LevelChangeSubject(Subject):
    """The requested level (payload) takes effect when approved, through the same rule as a direct change."""

    def approved(self, outcome: Outcome) -> None:
        if outcome.payload is None:
            return
        service = CustomerService(_acting_for(outcome.tenant_id, outcome.by))
        customer = service.get(outcome.subject_id)
        change = LevelChange.model_validate(outcome.payload)
        if customer.level != change.level:
            service.change_level(outcome.subject_id, change, customer.version)

    def rejected(self, outcome: Outcome) -> None:
        """Nothing to undo: the level never changed while the request was pending."""

    def expired(self, outcome: Outcome) -> None:
        """Nothing to undo."""


def _no_pending(principal: Principal, kind: Kind, customer_id: str) -> None:
    if approvals.pending_for(principal.tenant_id, kind, customer_id) is not None:
        raise Conflict("A request for this customer is already waiting for approval.")


def _acting_for(tenant_id: str, user_id: str) -> Principal:
    """The approver, with tenant-wide reach: their approval is the authority for this one change. An
    approval's end is applied by the system (a user id no directory knows); so is this then."""
    user = directory.find_user(tenant_id, user_id)
    unit = user.org_unit_id if user else ""
    return Principal(tenant_id=tenant_id, user_id=user_id, org_unit_id=unit, roles=frozenset({Role.HQ_ADMIN}))
