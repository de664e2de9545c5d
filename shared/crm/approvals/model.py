"""Approval shapes: the tenant's policy (data, not code), an approval run and its steps, decisions."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Kind(StrEnum):
    ORDER = "order"
    RETURN = "return"
    CUSTOMER_ACTIVATION = "customer_activation"
    LEVEL_CHANGE = "level_change"
    INVENTORY_ADJUSTMENT = "inventory_adjustment"


ApproverRole = Literal["dept_head", "branch_head", "finance", "hq_admin"]
Status = Literal["pending", "approved", "rejected", "withdrawn"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PolicyStep(Strict):
    """A step applies when it has no condition, or the amount reaches min_amount, or (if asked) the
    customer's credit would be exceeded."""

    role: ApproverRole
    min_amount: Decimal | None = Field(default=None, ge=0, decimal_places=2)
    when_over_credit: bool = False


class Policy(Strict):
    steps: list[PolicyStep] = Field(min_length=1, max_length=6)
    reminder_after_seconds: int = Field(default=8 * 3600, ge=1, le=30 * 86400)
    escalate_after_seconds: int = Field(default=24 * 3600, ge=2, le=60 * 86400)

    @model_validator(mode="after")
    def escalation_after_reminder(self) -> "Policy":
        if self.escalate_after_seconds <= self.reminder_after_seconds:
            raise ValueError("escalate_after_seconds must be later than reminder_after_seconds")
        return self


class Step(BaseModel):
    role: ApproverRole
    approvers: list[str]  # user ids; escalation adds the next level's approver
    status: Literal["waiting", "pending", "approved", "rejected"] = "waiting"
    decided_by: str | None = None
    decided_at: datetime | None = None
    comment: str | None = None
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None


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


class InboxPage(BaseModel):
    items: list[InboxEntry]
    next_cursor: str | None


class Decision(Strict):
    decision: Literal["approve", "reject"]
    comment: str | None = Field(default=None, max_length=500)

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
