"""A month's accrual run (AccrualStateMachine): started when the channel inventory month closes (accrue: each
closing a new round) and when it reopens (reverse that round), or by hand when a start failed. One record per
month says how far the latest round got.

Only the record and the start live here, so the inventory function that closes months stays free of pyarrow;
the work is crm.rebates.vouchers, called by the accrual worker.
"""

import json
from typing import Literal

from aws_lambda_powertools import Logger

from crm import audit, clock
from crm.approvals.service import SYSTEM
from crm.aws import client
from crm.config import get_settings
from crm.db import keys
from crm.db.transaction import Transaction
from crm.errors import NotFound, RetryableError
from crm.rebates import documents
from crm.rebates.model import AccrualRun

logger = Logger(child=True)
KIND = "accrual_run"
Action = Literal["accrue", "reverse"]


class AccrualStillRunning(RetryableError):
    """A reversal waits for its round's accrual to end (the state machine retries it): the vouchers must all
    exist to be reversed."""


def get(tenant_id: str, period: str) -> tuple[AccrualRun, int] | None:
    stored = documents.get(keys.accrual_runs_pk(tenant_id), period)
    return (documents.body(stored, AccrualRun), stored.version or 0) if stored else None


def start(tenant_id: str, period: str, action: Action, by: str, again: bool = False) -> AccrualRun:
    """Records the run and starts its execution: accrue opens the next round (`again`: runs the current one
    again), reverse reverses the current round. A failed start is recorded on the run; `POST /accrual-runs/
    {period}` starts it again."""
    found = get(tenant_id, period)
    before, version = found if found else (None, 0)
    now = clock.now()
    if action == "accrue":
        round_ = (before.round if before else 0) + (0 if again and before else 1)
        run = AccrualRun(period=period, round=round_, status="running", started_at=now)
    elif before is None:
        raise NotFound(f"No accrual has run for {period}: nothing to reverse.")
    else:
        run = before.model_copy(update={"reversal": "running", "reversed": 0, "reversal_error": None})
    _save(tenant_id, run, version, f"accrual.{action}_started", by)
    machine = get_settings().accrual_state_machine_arn
    if not machine:
        return run  # data tests: no state machine, the caller does the work itself
    try:
        client("stepfunctions").start_execution(
            stateMachineArn=machine,
            name=f"{tenant_id}-{period}-{run.round}-{action}-{now.strftime('%H%M%S%f')}"[:80],
            input=json.dumps({"tenant_id": tenant_id, "period": period, "round": run.round, "action": action}),
        )
    except Exception as exc:  # any failure: the month's state stands, the run says it did not start
        logger.exception("accrual run not started", extra={"period": period, "action": action})
        return finish(tenant_id, period, run.round, action, error=f"not started: {type(exc).__name__}")
    return run


def finish(
    tenant_id: str, period: str, round_: int, action: Action, vouchers: int = 0, error: str | None = None
) -> AccrualRun:
    """The run's end, if the record is still at this round (a later closing has its own)."""
    found = get(tenant_id, period)
    if found is None:
        raise LookupError(f"no accrual run for {period}")
    run, version = found
    if run.round != round_:
        return run
    status = "failed" if error else "done"
    if action == "accrue":
        update = {"status": status, "vouchers": vouchers, "finished_at": clock.now(), "error": error}
    else:
        update = {"reversal": status, "reversed": vouchers, "reversal_error": error}
    run = run.model_copy(update=update)
    _save(tenant_id, run, version, f"accrual.{action}_{status}", SYSTEM, error)
    return run


def wait_for_accrual(tenant_id: str, period: str, round_: int) -> None:
    """Raises AccrualStillRunning while the round's accrual is running."""
    found = get(tenant_id, period)
    if found and found[0].round == round_ and found[0].status == "running":
        raise AccrualStillRunning(f"the accrual of {period} round {round_} is still running")


def _save(tenant_id: str, run: AccrualRun, version: int, action: str, by: str, reason: str | None = None) -> None:
    tx = Transaction()
    pk = keys.accrual_runs_pk(tenant_id)
    tx.put(documents.document(tenant_id, pk, run.period, KIND, run, version=version or None))
    changes: dict[str, dict[str, object]] = {
        "round": {"before": None, "after": run.round},
        "status": {"before": None, "after": run.status},
        "reversal": {"before": None, "after": run.reversal},
    }
    audit.stage(tx, pk, tenant_id, action, by, changes, reason)
    tx.commit()
