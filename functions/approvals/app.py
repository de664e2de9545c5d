"""Approvals API: the approver's inbox, one approval, decisions; HQ's approval policies; delegations (工作代理)."""

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
from crm.org.delegations import Delegation, DelegationIn, DelegationPage, DelegationService

logger = Logger()
metrics = Metrics()
app = http.make_resolver()

ApprovalIdPath = Annotated[str, Path(pattern=ULID_PATTERN, description="Approval id (ULID)")]


def approvals() -> ApprovalService:
    return ApprovalService(http.principal(app))


@app.get(
    "/approvals/inbox",
    tags=["approvals"],
    summary="What waits for my decision, oldest first",
    responses=http.documented(200, InboxPage),
)
def inbox(limit: http.Limit = 50, cursor: http.Cursor = None) -> InboxPage:
    return approvals().inbox(limit, cursor)


@app.get(
    "/approvals/<approval_id>",
    tags=["approvals"],
    summary="One approval with its steps",
    responses=http.documented(200, Approval, 404, etag=True),
)
def get_approval(approval_id: ApprovalIdPath) -> Response[Approval]:
    found = approvals().get(approval_id)
    return http.reply(found, version=found.version)


@app.post(
    "/approvals/<approval_id>/decision",
    tags=["approvals"],
    summary="Approve or reject the current step (its approver, or their deputy; a rejection needs a comment). "
    "409 with the approval's status once the run has ended, or while its run is being restarted",
    responses=http.documented(200, Approval, 403, 404, 409, etag=True),
)
def decide(approval_id: ApprovalIdPath, body: Annotated[Decision, Body()]) -> Response[Approval]:
    decided = approvals().decide(approval_id, body)
    return http.reply(decided, version=decided.version)


@app.get(
    "/approval-policies/<kind>",
    tags=["approvals"],
    operation_id="getApprovalPolicy",
    summary='The tenant\'s approval policy for a kind (ETag "0": the default, never set)',
    responses=http.documented(200, Policy, etag=True),
)
def get_policy(kind: Annotated[Kind, Path()]) -> Response[Policy]:
    policy, version = approvals().get_policy(kind)
    return http.reply(policy, version=version)


@app.put(
    "/approval-policies/<kind>",
    tags=["approvals"],
    operation_id="putApprovalPolicy",
    summary="Set the approval policy for a kind (HQ, If-Match): steps by amount and credit, reminder and "
    "escalation times",
    responses=http.documented(200, Policy, 403, 412, 428, etag=True),
)
def put_policy(
    kind: Annotated[Kind, Path()], body: Annotated[Policy, Body()], if_match: http.IfMatch = None
) -> Response[Policy]:
    policy, version = approvals().put_policy(kind, body, http.required_version(if_match))
    return http.reply(policy, version=version)


DelegationIdPath = Annotated[str, Path(pattern=ULID_PATTERN, description="Delegation id (ULID)")]


@app.post(
    "/delegations",
    tags=["approvals"],
    summary="Name a deputy (工作代理) for a date range: approvals that would go to you go to them as well; "
    "it ends by itself after ends_on (HQ admins may name one for someone else)",
    responses=http.documented(201, Delegation, 403, 409, 422, etag=True),
)
def create_delegation(body: Annotated[DelegationIn, Body()]) -> Response[Delegation]:
    created = DelegationService(http.principal(app)).create(body)
    return http.reply(created, 201, created.version)


@app.get(
    "/delegations",
    tags=["approvals"],
    summary="My delegations, given and received (HQ admins: all)",
    responses=http.documented(200, DelegationPage),
)
def list_delegations() -> DelegationPage:
    return DelegationService(http.principal(app)).list()


@app.post(
    "/delegations/<delegation_id>/cancel",
    tags=["approvals"],
    summary="End a delegation before its last day (If-Match)",
    responses=http.documented(200, Delegation, 403, 404, 409, 412, 428, etag=True),
)
def cancel_delegation(delegation_id: DelegationIdPath, if_match: http.IfMatch = None) -> Response[Delegation]:
    cancelled = DelegationService(http.principal(app)).cancel(delegation_id, http.required_version(if_match))
    return http.reply(cancelled, version=cancelled.version)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    return app.resolve(event, context)
