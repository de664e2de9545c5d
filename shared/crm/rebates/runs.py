"""A month's accrual run (AccrualStateMachine): started when the channel inventory month closes (accrue) and
when it reopens (reverse), or by hand when a start failed. One record per month says how far it got.

Only the record and the start live here, so the inventory function that closes months stays free of pyarrow;
the work is crm.rebates.vouchers, called by the accrual worker.
"""

import json
from typing import Literal

from aws_lambda_powertools import Logger

from crm import audit, clock
from crm.aws import client
from crm.config import get_settings
from crm.db import keys
from crm.db.models import DocumentItem
from crm.db.transaction import Transaction
from crm.errors import Conflict
from crm.rebates import documents
from crm.rebates.model import AccrualRun

logger = Logger(child=True)
KIND = "accrual_run"
Action = Literal["accrue", "reverse"]


def get(tenant_id: str, period: str) -> tuple[AccrualRun, int] | None:
    stored = documents.get(keys.accrual_runs_pk(tenant_id), period)
    return (documents.body(stored, AccrualRun), stored.version or 0) if stored else None


def ensure_not_running(tenant_id: str, period: str) -> None:
    """Reopening waits for the month's accrual to end: its vouchers must exist to be reversed."""
    found = get(tenant_id, period)
    if found and found[0].action == "accrue" and found[0].status == "running":
        raise Conflict(f"The accrual of {period} is still running; reopen the month once it has finished.")


def start(tenant_id: str, period: str, action: Action, by: str) -> AccrualRun:
    """Records the run (a new round for each closing) and starts its execution. A failed start is recorded
    and said in the run's state; `POST /accrual-runs/{period}` starts it again."""
    found = get(tenant_id, period)
    before, version = found if found else (None, 0)
    round_ = (before.round if before else 0) + (action == "accrue")
    run = AccrualRun(period=period, round=round_, action=action, status="running", started_at=clock.now())
    _save(tenant_id, run, version, f"accrual.{action}_started", by)
    machine = get_settings().accrual_state_machine_arn
    if not machine:
        return run  # data tests: no state machine, the caller runs the work itself
    try:
        client("stepfunctions").start_execution(
            stateMachineArn=machine,
            name=f"{tenant_id}-{period}-{round_}-{action}-{clock.now().strftime('%H%M%S%f')}"[:80],
            input=json.dumps({"tenant_id": tenant_id, "period": period, "round": round_, "action": action}),
        )
    except Exception as exc:  # any failure: the month's state stands, the run says it did not start
        logger.exception("accrual run not started", extra={"period": period})
        return finish(tenant_id, period, round_, action, error=f"not started: {type(exc).__name__}")
    return run


def finish(
    tenant_id: str, period: str, round_: int, action: Action, vouchers: int = 0, error: str | None = None
) -> AccrualRun:
    """The run's end, if the record is still this run's (a later closing or reopening has its own)."""
    found = get(tenant_id, period)
    if found is None:
        raise LookupError(f"no accrual run for {period}")
    run, version = found
    if (run.round, run.action) != (round_, action):
        return run
    ended: dict[str, object] = {"status": "failed" if error else "done", "finished_at": clock.now(), "error": error}
    run = run.model_copy(update={**ended, "vouchers": vouchers})
    _save(tenant_id, run, version, f"accrual.{action}_{run.status}", "system", error)
    return run


def _save(tenant_id: str, run: AccrualRun, version: int, action: str, by: str, reason: str | None = None) -> None:
    tx = Transaction()
    pk = keys.accrual_runs_pk(tenant_id)
    tx.put(documents.document(tenant_id, pk, run.period, KIND, run, version=version or None))
    changes: dict[str, dict[str, object]] = {
        "status": {"before": None, "after": run.status},
        "round": {"before": None, "after": run.round},
    }
    audit.stage(tx, pk, tenant_id, action, by, changes, reason)
    tx.commit()


def of_tenant(tenant_id: str) -> list[AccrualRun]:
    months = DocumentItem.sk.between("0000-00", "9999-99")  # not the audit entries beside them
    found = DocumentItem.query(keys.accrual_runs_pk(tenant_id), months, scan_index_forward=False)
    return [documents.body(i, AccrualRun) for i in found]
