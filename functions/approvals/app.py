"""Approvals API: the approver's inbox, one approval, decisions; HQ's approval policies."""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.api import http
from crm.approvals.model import Approval, Decision, InboxPage, Kind, Policy
from crm.approvals.service import ApprovalService
from crm.config import get_settings
from crm.db.base import bind_table
from crm.ids import ULID_PATTERN

logger = Logger()
metrics = Metrics()
app = http.make_resolver()

ApprovalIdPath = Annotated[str, Path(pattern=ULID_PATTERN, description="Approval id (ULID)")]


def approvals() -> ApprovalService:
    return ApprovalService(http.principal(app))


@app.get("/approvals/inbox", tags=["approvals"], summary="What waits for my decision, oldest first",
         responses=http.documented(200, InboxPage))
def inbox(limit: http.Limit = 50, cursor: http.Cursor = None) -> InboxPage:
    return approvals().inbox(limit, cursor)


@app.get("/approvals/<approval_id>", tags=["approvals"], summary="One approval with its steps",
         responses=http.documented(200, Approval, 404))
def get_approval(approval_id: ApprovalIdPath) -> Response[Approval]:
    found = approvals().get(approval_id)
    return http.reply(found, version=found.version)


@app.post("/approvals/<approval_id>/decision", tags=["approvals"],
          summary="Approve or reject the current step (its approver only; a rejection needs a comment)",
          responses=http.documented(200, Approval, 403, 404, 409))
def decide(approval_id: ApprovalIdPath, body: Annotated[Decision, Body()]) -> Response[Approval]:
    decided = approvals().decide(approval_id, body)
    return http.reply(decided, version=decided.version)


@app.get("/approval-policies/<kind>", tags=["approvals"],
         summary="The tenant's approval policy for a kind (ETag \"0\": the default, never set)",
         responses=http.documented(200, Policy))
def get_policy(kind: Annotated[Kind, Path()]) -> Response[Policy]:
    policy, version = approvals().get_policy(kind)
    return http.reply(policy, version=version)


@app.put("/approval-policies/<kind>", tags=["approvals"],
         summary="Set the approval policy for a kind (HQ, If-Match): steps by amount and credit, reminder and "
                 "escalation times",
         responses=http.documented(200, Policy, 403, 412, 428))
def put_policy(kind: Annotated[Kind, Path()], body: Annotated[Policy, Body()],
               if_match: http.IfMatch = None) -> Response[Policy]:
    policy, version = approvals().put_policy(kind, body, http.required_version(if_match))
    return http.reply(policy, version=version)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    return app.resolve(event, context)
