"""Orders and returns as subjects of the approval engine: what each end of a run does to them.

Registered for Kind.ORDER and Kind.RETURN by the approval worker (its composition root). Each end is safe to
apply again: a subject no longer submitted was already moved by an earlier application and is left alone.
"""

from aws_lambda_powertools import Logger

from crm.approvals.subjects import Outcome, Subject
from crm.orders import repository as repo
from crm.orders.model import OrderState, ReturnState
from crm.orders.returns import ReturnService
from crm.orders.service import OrderService

logger = Logger(child=True)


class OrderSubject(Subject):
    def approved(self, outcome: Outcome) -> None:
        OrderService.mark_approved(outcome.tenant_id, outcome.subject_id, outcome.by, outcome.comment)

    def rejected(self, outcome: Outcome) -> None:
        if self._submitted(outcome):
            OrderService.mark_rejected(outcome.tenant_id, outcome.subject_id, outcome.by, outcome.comment)

    def expired(self, outcome: Outcome) -> None:
        if self._submitted(outcome):
            OrderService.mark_expired(outcome.tenant_id, outcome.subject_id, outcome.comment)

    @staticmethod
    def _submitted(outcome: Outcome) -> bool:
        order = repo.get(outcome.tenant_id, outcome.subject_id)
        if order is None or order.state != OrderState.SUBMITTED:
            logger.info("order no longer submitted: this end was applied", extra={"order": outcome.subject_id})
            return False
        return True


class ReturnSubject(Subject):
    def approved(self, outcome: Outcome) -> None:
        if self._submitted(outcome):
            ReturnService.mark_approved(outcome.tenant_id, outcome.subject_id, outcome.by, outcome.comment)

    def rejected(self, outcome: Outcome) -> None:
        if self._submitted(outcome):
            ReturnService.mark_rejected(outcome.tenant_id, outcome.subject_id, outcome.by, outcome.comment)

    def expired(self, outcome: Outcome) -> None:
        if self._submitted(outcome):
            ReturnService.mark_expired(outcome.tenant_id, outcome.subject_id, outcome.comment)

    @staticmethod
    def _submitted(outcome: Outcome) -> bool:
        ret = repo.get_return(outcome.tenant_id, outcome.subject_id)
        return ret is not None and ret.state == ReturnState.SUBMITTED
