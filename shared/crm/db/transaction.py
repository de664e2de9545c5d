"""TransactWriteItems with domain errors: each operation says what its failed condition means."""

import random
import time
from collections.abc import Callable

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from crm.db.base import transaction_connection
from crm.errors import DomainError, InvalidInput, RetryableError, Stale

MAX_OPERATIONS = 100  # DynamoDB's limit for one TransactWriteItems
_THROTTLED = {"ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded"}
CONFLICT_RETRIES = 4  # a transaction cancelled by another in flight on one of its items wrote nothing: run it again

ErrorFactory = Callable[[], DomainError]


def _stale() -> DomainError:
    """A condition without a meaning of its own failed: a versioned record's (a put or delete is conditional on the
    version read, or on not existing yet), so someone else's write came first."""
    return Stale("The record changed while this request ran; read it again and retry.")


class Transaction:
    """Collects writes, then commits them all or none."""

    def __init__(self) -> None:
        # pynamodb sends condition checks, deletes, puts, updates in that order;
        # cancellation reasons come back in the same order, so we keep the same grouping.
        self._ops: dict[str, list[tuple[Callable[[TransactWrite], None], ErrorFactory]]] = {
            "check": [],
            "delete": [],
            "put": [],
            "update": [],
        }

    def put(self, item: Model, condition: Condition | None = None, on_fail: ErrorFactory = _stale) -> None:
        self._ops["put"].append((lambda tx: tx.save(item, condition=condition), on_fail))

    def delete(self, item: Model, condition: Condition | None = None, on_fail: ErrorFactory = _stale) -> None:
        self._ops["delete"].append((lambda tx: tx.delete(item, condition=condition), on_fail))

    def update(
        self, item: Model, actions: list[Action], condition: Condition | None = None, on_fail: ErrorFactory = _stale
    ) -> None:
        """An UpdateItem: counters (ADD), a few attributes set or removed, without reading the item first."""
        self._ops["update"].append((lambda tx: tx.update(item, actions, condition=condition), on_fail))

    def check(
        self, model: type[Model], hash_key: str, range_key: str, condition: Condition, on_fail: ErrorFactory
    ) -> None:
        self._ops["check"].append(
            (lambda tx: tx.condition_check(model, hash_key, range_key, condition=condition), on_fail)
        )

    def commit(self) -> None:
        ordered = [op for group in self._ops.values() for op in group]
        if not ordered:
            return
        if len(ordered) > MAX_OPERATIONS:
            raise InvalidInput(
                f"This change touches {len(ordered)} records; one request may change at most "
                f"{MAX_OPERATIONS}. Split it (for example, change aliases in two steps)."
            )
        for attempt in range(CONFLICT_RETRIES + 1):
            try:
                with TransactWrite(connection=transaction_connection()) as tx:
                    for add, _ in ordered:
                        add(tx)
                return
            except TransactWriteError as exc:
                if attempt < CONFLICT_RETRIES and _only_in_flight_conflicts(exc):
                    time.sleep(random.uniform(0.01, 0.05) * 2**attempt)  # then the winner's write is there to see
                    continue
                raise _translate(exc, [on_fail for _, on_fail in ordered]) from exc


def _only_in_flight_conflicts(exc: TransactWriteError) -> bool:
    """Cancelled only because another transaction was writing one of the same items (DynamoDB's
    TransactionConflict): run again, this request's conditions are then judged against the other's result."""
    codes = {r.code for r in exc.cancellation_reasons or [] if r is not None and r.code != "None"}
    return codes == {"TransactionConflict"}


def _translate(exc: TransactWriteError, on_fail: list[ErrorFactory]) -> Exception:
    reasons = exc.cancellation_reasons or []
    for reason, factory in zip(reasons, on_fail, strict=False):
        if reason is not None and reason.code == "ConditionalCheckFailed":
            return factory()
    codes = {r.code for r in reasons if r is not None} | {exc.cause_response_code or ""}
    if codes & _THROTTLED or "TransactionConflict" in codes:
        return RetryableError(f"DynamoDB asked us to retry ({', '.join(sorted(c for c in codes if c))}).")
    return exc
