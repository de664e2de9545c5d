"""Approval shapes: the tenant's policy (data, not code), an approval run and its steps, decisions, and
the one table of how an approval's status may change (APPROVAL_TRANSITIONS)."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm.decimals import DecimalText
from crm.errors import Conflict
from crm.text import FreeText


class Kind(StrEnum):
    ORDER = "order"
    RETURN = "return"
    CUSTOMER_ACTIVATION = "customer_activation"
    LEVEL_CHANGE = "level_change"
    INVENTORY_ADJUSTMENT = "inventory_adjustment"
    AGREEMENT = "agreement"  # a distributor agreement's new version (协议)
    ACCRUAL = "accrual"  # a month's rebate accrual voucher (计提单)
    DIVERSION_PENALTY = "diversion_penalty"  # a confirmed diversion case and its penalty (窜货查处)


ApproverRole = Literal["dept_head", "branch_head", "finance", "hq_admin"]


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class Action(StrEnum):
    APPROVE_STEP = "approve_step"  # a step approved, another follows
    APPROVE = "approve"  # the last step approved
    REJECT = "reject"
    WITHDRAW = "withdraw"  # the submitter took it back
    EXPIRE = "expire"  # nobody decided within the policy's expire_after_seconds
    REMIND = "remind"
    ESCALATE = "escalate"


# Every run ends approved, rejected, withdrawn or expired; nothing leaves an end.
APPROVAL_TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.PENDING, Action.APPROVE_STEP): Status.PENDING,
    (Status.PENDING, Action.APPROVE): Status.APPROVED,
    (Status.PENDING, Action.REJECT): Status.REJECTED,
    (Status.PENDING, Action.WITHDRAW): Status.WITHDRAWN,
    (Status.PENDING, Action.EXPIRE): Status.EXPIRED,
    (Status.PENDING, Action.REMIND): Status.PENDING,
    (Status.PENDING, Action.ESCALATE): Status.PENDING,
}
ENDED = frozenset({Status.APPROVED, Status.REJECTED, Status.WITHDRAWN, Status.EXPIRED})


def next_status(status: Status, action: Action) -> Status:
    """The status after the action; a Conflict (409) naming the real status when the table has no such move."""
    to = APPROVAL_TRANSITIONS.get((status, action))
    if to is None:
        raise Conflict(
            f"This approval is {status.value}; it can no longer be decided or changed.", approval_status=status.value
        )
    return to


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PolicyStep(Strict):
    """A step applies when it has no condition, or the amount reaches min_amount, or (if asked) the
    customer's credit would be exceeded."""

    role: ApproverRole
    min_amount: Annotated[Decimal, DecimalText(2, 16, "10000.00")] | None = None
    when_over_credit: bool = False


class Policy(Strict):
    steps: list[PolicyStep] = Field(min_length=1, max_length=6)
    reminder_after_seconds: int = Field(default=8 * 3600, ge=1, le=30 * 86400)
    escalate_after_seconds: int = Field(default=24 * 3600, ge=2, le=60 * 86400)
    # Unset: a run nobody decides stays with the top approvers, reminding them, until someone does.
    expire_after_seconds: int | None = Field(
        default=None,
        ge=3,
        le=180 * 86400,
        description=(
            "When set, a run still undecided this long after it was submitted ends as expired and its subject "
            "goes back to the submitter (an order to saved) with the reason. Checked at each reminder."
        ),
    )

    @model_validator(mode="after")
    def escalation_after_reminder(self) -> "Policy":
        if self.escalate_after_seconds <= self.reminder_after_seconds:
            raise ValueError("escalate_after_seconds must be later than reminder_after_seconds")
        if self.expire_after_seconds is not None and self.expire_after_seconds < self.escalate_after_seconds:
            raise ValueError("expire_after_seconds must not be earlier than escalate_after_seconds")
        return self


class Step(BaseModel):
    role: ApproverRole
    approvers: list[str]  # user ids; escalation adds the next level's approver
    deputies: list[str] = []  # who had it in their inbox standing in for an approver (工作代理)
    status: Literal["waiting", "pending", "approved", "rejected"] = "waiting"
    decided_by: str | None = None
    on_behalf_of: str | None = None  # the approver whose deputy (工作代理) decided
    decided_at: datetime | None = None
    comment: str | None = None
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    reminders: int = 0
    escalations: int = 0


class Approval(BaseModel):
    id: str
    kind: Kind
    subject_id: str
    subject_label: str
    org_unit_id: str
    amount: Decimal | None
    payload: dict[str, Any] | None = None
    status: Status
    submitted_by: str
    created_at: datetime
    finished_at: datetime | None
    reason: str | None = None  # why it ended without a decision (expired)
    current: int
    steps: list[Step]
    version: int


class InboxEntry(BaseModel):
    approval_id: str
    kind: Kind
    subject_id: str
    subject_label: str
    amount: Decimal | None
    submitted_by: str
    created_at: datetime
    step: int
    role: ApproverRole
    on_behalf_of: str | None = None  # in a deputy's inbox: the approver they stand in for


class InboxPage(BaseModel):
    items: list[InboxEntry]
    next_cursor: str | None


class Decision(Strict):
    decision: Literal["approve", "reject"]
    comment: Annotated[str, FreeText(500, multiline=True)] | None = None

    @model_validator(mode="after")
    def reason_for_rejection(self) -> "Decision":
        if self.decision == "reject" and not (self.comment or "").strip():
            raise ValueError("a rejection needs a comment saying why")
        return self


class ApprovalRequest(BaseModel):
    """What a subject (an order, a return, a customer change) asks the machinery to approve."""

    kind: Kind
    subject_id: str
    subject_label: str
    org_unit_id: str  # whose department head / branch head approves
    amount: Decimal | None = None
    over_credit: bool = False
    payload: dict[str, Any] | None = None  # what is asked, when the subject alone does not say
