"""schemathesis (every check, a fixed seed, a bounded budget) against the local runtime, as three roles: an HQ admin
(every phase, coverage included: the widest reach into each handler), a rep and a department head (examples,
fuzzing and stateful runs through the document's links).

Zero failures is the bar, except the refusals below: business rules a JSON schema cannot carry. Each is matched on
the check, the status and the problem the server sent, never on the operation alone, so a new kind of failure on
the same route still fails the test.
"""

import base64
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from localcloud.tokens import mint_token

from tests.e2e.conftest import World, new_tenant

REPO = Path(__file__).resolve().parents[2]
DOCUMENT = REPO / "schemas" / "openapi.json"
SEED = 20261204
# role -> (phases, examples per operation). The admin run has the coverage phase (boundaries and every negative
# keyword of every operation: most of the budget); the rep and the head look at what their scopes change, through
# examples, fuzzing and stateful runs along the document's links. Each role is its own test, so pytest-xdist
# spreads them over its workers.
RUNS = {
    "admin": ("examples,coverage", 2),
    "rep.zhang": ("examples,fuzzing,stateful", 2),
    "eastrx.head": ("fuzzing,stateful", 2),
}


@dataclass(frozen=True)
class Refusal:
    """Failures schemathesis reports that are the server applying a rule the schema cannot state."""

    why: str
    checks: str  # regex over the check's name
    statuses: tuple[int, ...]
    problem: str  # regex over the reply (the problem's detail and errors)
    operations: str = ".*"  # regex over "METHOD /path"
    sent: str = ".*"  # regex over the request's headers, as JSON

    def covers(self, failure: dict[str, Any]) -> bool:
        return (
            failure["status"] in self.statuses
            and re.fullmatch(self.checks, failure["check"]) is not None
            and re.search(self.operations, failure["operation"]) is not None
            and re.search(self.problem, failure["problem"]) is not None
            and re.search(self.sent, failure["headers"]) is not None
        )


_VALID, _INVALID = "positive_data_acceptance", "negative_data_rejection"
ACCEPTED = [
    Refusal(
        "A cursor is an opaque token the server issued for one list; any other string is refused.",
        _VALID,
        (400,),
        r"The cursor is not one this API gave out",
    ),
    Refusal(
        "If-Match must name the record's current version, which changes with the record: a well-formed but "
        "stale ETag is 412.",
        _VALID,
        (412,),
        r"at version \d+, not \d+|read (it|them) again",
    ),
    Refusal(
        "An If-Match that names no version of the record fails the precondition: 412 whatever its shape "
        "(RFC 9110 13.1.1), not the 400/422 schemathesis expects for a malformed header.",
        f"{_VALID}|{_INVALID}",
        (412,),
        r"If-Match does not name a version of this record",
    ),
    Refusal(
        "Where If-Match is optional, an empty one is no If-Match: the change is made unconditionally.",
        _INVALID,
        (200, 201),
        r".",
        sent=r'"if-match": \[""\]',
    ),
    Refusal(
        "A missing If-Match is 428 Precondition Required (RFC 6585), not the 400/422 schemathesis expects.",
        "missing_required_header",
        (428,),
        r"Send If-Match",
    ),
    Refusal(
        "Dates relative to today (the tenant's date): visits are planned from today on, offline actions are at "
        "most 7 days old, a follow-up is due on or after today, a delegation cannot end in the past, a photo is not "
        "taken after the server's now.",
        _VALID,
        (422,),
        r"from today|older than|offline window|in the past|before 20\d\d-\d\d-\d\d|over already|lies in the future",
    ),
    Refusal(
        "Rules between fields: a rejection needs a comment; exactly one of customer_id / new_terminal; from <= to "
        "and at most 12 months apart; "
        "ends_on >= starts_on and at most 92 days; escalation after the reminder, expiry after escalation; quiet "
        "hours start != end; a hand-over to someone else; a shipments file names no distributor; an adjustment "
        "is not 0; one line per sku (and batch); one price per type and level; a price off the list needs a "
        "reason; a territory names a province or a city; only a distributor user names a distributor, and every "
        "other user an org unit; an agreement's tiers go up, each with a percent or a per-unit amount, its targets "
        "a quantity or an amount, its rules and targets name groups its products are in, and it ends after it "
        "starts; a case names the signal's sku and batch or customer, a penalty something to take, and only a "
        "confirmed case a penalty; vouchers are listed by month or by distributor; an export's filters are the "
        "named list's own.",
        _VALID,
        (422,),
        r"needs a comment|exactly one of|after `?to|must not be earlier|must be later than"
        r"|must not be before|lasts at most|start and end must differ|same as from|names the distributors in its"
        r" rows|must not be 0|appears twice|two prices for|give a reason|at least one province or city"
        r"|Name the distributor|at most 12 months|Only a distributor user names a distributor"
        r"|Name the user's org unit|give a percent or a per_unit|give a quantity or an amount|tiers go up"
        r"|no product is in group|valid_to is before valid_from|names its sku and batch|names its customer_id"
        r"|give an amount, forfeit|only a confirmed case|Name a period or a customer_id|Filters the \w+ list does "
        r"not take",
    ),
    Refusal(
        "References to data that must exist and fit: a sku in the product master, a list price for the "
        "customer's type and level, a user or org unit or upstream customer of the tenant, a distributor, the "
        "customer a visit is at.",
        _VALID,
        (422,),
        r"unknown|Unknown (upstream customer|org unit|user)|No such user in your scope"
        r"|Not in the product master|no list price|not a distributor|Name a distributor|No such distributor"
        r"|The visit is for another customer|No such (batch crossing|out of territory) signal",
    ),
    Refusal(
        "Who an order is for depends on the role: an office user names the customer, a distributor user "
        "orders for itself.",
        _VALID,
        (422,),
        r"Say which customer the order is for",
        r"^POST /orders$",
    ),
    Refusal(
        "An Idempotency-Key already used with another body is refused (422), as the README says; schemathesis "
        "reuses key values across cases.",
        _VALID,
        (422,),
        r"Idempotency-Key was already used",
    ),
    Refusal(
        "An approval needs an approver above the submitter's org unit; HQ has none.",
        _VALID,
        (422,),
        r"Nobody can approve this",
    ),
    Refusal(
        "Quantities are whole numbers sent as JSON integers; JSON Schema also counts 3.0 as an integer.",
        _VALID,
        (422,),
        r"valid integer",
    ),
    Refusal(
        "The body limit (256 KiB) is in bytes, which a schema cannot bound; it is checked before the schema.",
        f"{_VALID}|{_INVALID}",
        (413,),
        r"the limit is",
    ),
    Refusal(
        "The offline batch takes every action and answers per action: a malformed one is `refused` with its "
        "errors in a 200 reply, so the phone's other actions still apply.",
        _INVALID,
        (200,),
        r"refused",
        r"^POST /visits/sync$",
    ),
]


def token(world: World, username: str) -> str:
    return world.as_user(username).session.headers["Authorization"].removeprefix("Bearer ")


def run_schemathesis(base_url: str, bearer: str, phases: str, examples: int, report: Path) -> str:
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        str(DOCUMENT),
        "--url",
        base_url,
        "--header",
        f"Authorization: Bearer {bearer}",
        "--checks",
        "all",
        "--phases",
        phases,
        "--max-examples",
        str(examples),
        "--seed",
        str(SEED),
        "--workers",
        "2",
        "--no-shrink",
        "--continue-on-failure",
        "--generation-database",
        "none",
        "--request-timeout",
        "60",
        "--no-color",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.contract.schemathesis_hooks",
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(command, cwd=report.parent, env=env, capture_output=True, text=True, timeout=600)
    return done.stdout + done.stderr


def failures(report: Path, role: str) -> list[dict[str, Any]]:
    """Every failed check and every error of the run, with the status and problem text it came with."""
    found = []
    for line in report.read_text().splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if finished and finished["status"] == "error":
            found.append(
                {
                    "role": role,
                    "check": "error",
                    "status": 0,
                    "operation": finished["recorder"]["label"],
                    "problem": json.dumps(finished)[:500],
                    "headers": "",
                }
            )
        if not finished or finished["status"] != "failure":
            continue
        recorder = finished["recorder"]
        for case_id, checks in recorder["checks"].items():
            interaction = recorder.get("interactions", {}).get(case_id) or {}
            response = interaction.get("response") or {}
            for check in checks:
                if check["status"] != "failure":
                    continue
                info = check.get("failure_info", {}).get("failure", {})
                request = interaction.get("request") or {}
                found.append(
                    {
                        "role": role,
                        "check": check["name"],
                        "status": response.get("status_code", 0),
                        "operation": info.get("operation") or recorder["label"],
                        "problem": _text(response),
                        "message": info.get("message", ""),
                        "request": request.get("uri", ""),
                        "headers": json.dumps(
                            {
                                k.lower(): v
                                for k, v in (request.get("headers") or {}).items()
                                if k.lower() != "authorization"
                            }
                        ),
                    }
                )
    return found


def _text(response: dict[str, Any]) -> str:
    content = response.get("content") or {}
    raw = content.get("$base64")
    return base64.b64decode(raw).decode("utf-8", "replace") if raw else str(content)


@pytest.fixture(scope="module")
def world(cloud: Any) -> World:
    return World(new_tenant(cloud), cloud.api_url, mint_token)


@pytest.mark.parametrize("role", list(RUNS))
def test_schemathesis_finds_nothing_but_rule_refusals(world: World, role: str, tmp_path: Path) -> None:
    phases, examples = RUNS[role]
    report = tmp_path / "events.ndjson"
    started = time.monotonic()
    output = run_schemathesis(world.base_url, token(world, role), phases, examples, report)
    assert report.exists(), output[-3000:]
    found = failures(report, role)
    unexplained = [f for f in found if not any(r.covers(f) for r in ACCEPTED)]
    assert not unexplained, (
        f"{len(unexplained)} failures as {role} in {time.monotonic() - started:.0f} s:\n"
        + "\n".join(json.dumps(f, ensure_ascii=False)[:600] for f in unexplained[:40])
    )
    assert "Tested: " in output, output[-3000:]
