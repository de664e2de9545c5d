"""The approval state machine (infra/statemachines/approval.asl.json) as the engine talks to it: start a run,
hand a waiting task its outcome, ask whether a run still goes. The only code here that knows Step Functions."""

import contextlib
import json

from crm.aws import client
from crm.config import get_settings

LOST = "lost"  # what resume() answers when no execution waits for that token any more


def execution_arn(tenant_id: str, approval_id: str, attempt: int) -> str | None:
    """The ARN the run's execution of this attempt has (or will have once started): the name is fixed per
    attempt, so the record can name its execution before starting it, and a repeated start is refused by
    Step Functions instead of doubling the run. None where no state machine is configured (data tests)."""
    machine = get_settings().approval_state_machine_arn
    if not machine:
        return None
    prefix, name = machine.rsplit(":stateMachine:", 1)
    return f"{prefix}:execution:{name}:{_name(tenant_id, approval_id, attempt)}"


def start(tenant_id: str, approval_id: str, attempt: int, timings: dict[str, int]) -> None:
    """Starts the attempt's execution; starting it again changes nothing."""
    machine = get_settings().approval_state_machine_arn
    if not machine:
        return
    sfn = client("stepfunctions")
    with contextlib.suppress(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(
            stateMachineArn=machine,
            name=_name(tenant_id, approval_id, attempt),
            input=json.dumps({"tenant_id": tenant_id, "approval_id": approval_id, **timings}),
        )


def _name(tenant_id: str, approval_id: str, attempt: int) -> str:
    return (f"{tenant_id}-{approval_id}" + (f"-{attempt}" if attempt > 1 else ""))[:80]


def resume(token: str, outcome: str) -> str:
    """Hands the waiting task the outcome; LOST when that task no longer waits (its run stopped or moved on)."""
    sfn = client("stepfunctions")
    try:
        sfn.send_task_success(taskToken=token, output=json.dumps({"outcome": outcome}))
    except (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken, sfn.exceptions.TaskDoesNotExist):
        return LOST
    return "resumed"


def status(execution_arn: str | None) -> str:
    """RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED; NONE when the run was never started."""
    if not execution_arn:
        return "NONE"
    sfn = client("stepfunctions")
    try:
        return str(sfn.describe_execution(executionArn=execution_arn)["status"])
    except sfn.exceptions.ExecutionDoesNotExist:
        return "NONE"
