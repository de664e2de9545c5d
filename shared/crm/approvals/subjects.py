"""What the approval engine asks of the things it approves (the port), and the registry that wires them.

The engine knows no domain: each kind's `Subject` lives in its own package (orders, returns, customers,
inventory) and the composition root (functions/approval_worker/app.py) registers one per kind. A kind
nobody registered is an error at start-up, never a silent fall-through.
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crm.approvals.model import Kind


@dataclass(frozen=True)
class Outcome:
    """How a run ended, as its subject needs to know it."""

    tenant_id: str
    approval_id: str
    subject_id: str
    by: str  # the last decider, or "system" (expired)
    comment: str | None  # the decider's comment, or why it expired
    payload: dict[str, Any] | None  # what was asked, when the subject alone does not say (a new level)


class Subject(ABC):
    """One kind of approvable thing. Each method is called once per end, and must be safe to call again
    (a retried or repaired run calls it a second time): a subject already in the outcome's state is left."""

    @abstractmethod
    def approved(self, outcome: Outcome) -> None: ...

    @abstractmethod
    def rejected(self, outcome: Outcome) -> None: ...

    @abstractmethod
    def expired(self, outcome: Outcome) -> None:
        """Nobody decided in time: give the subject back to its submitter, saying why."""

    def withdrawn(self, outcome: Outcome) -> None:  # noqa: B027 (optional: most subjects have nothing to do)
        """The subject itself asked to end the run (it changed its own state first): nothing to do."""


class Registry:
    """Kind → Subject, complete: every Kind must have one."""

    def __init__(self, subjects: Mapping[Kind, Subject]) -> None:
        missing = set(Kind) - set(subjects)
        if missing:
            raise LookupError(f"no approval subject registered for {sorted(k.value for k in missing)}")
        self._subjects = dict(subjects)

    def __getitem__(self, kind: Kind) -> Subject:
        return self._subjects[kind]

    def apply(self, kind: Kind, status: str, outcome: Outcome) -> None:
        """Calls the subject's method for the run's end status."""
        subject = self._subjects[kind]
        ends = {
            "approved": subject.approved,
            "rejected": subject.rejected,
            "expired": subject.expired,
            "withdrawn": subject.withdrawn,
        }
        ends[status](outcome)
