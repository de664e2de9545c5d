"""Distributor agreements API (协议): an agreement per distributor (or terminal chain) and period with its
territory, products and prices, targets and rebate rules; each change a new version, approved through the
approval engine. Parse, call the service, shape the reply."""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.api import http
from crm.config import get_settings
from crm.db.base import bind_table
from crm.ids import ULID_PATTERN
from crm.rebates.agreements import AgreementService
from crm.rebates.model import Agreement, AgreementIn, AgreementPage, Terms

logger = Logger()
metrics = Metrics()
app = http.make_resolver()

AgreementIdPath = Annotated[str, Path(pattern=ULID_PATTERN)]


def agreements() -> AgreementService:
    return AgreementService(http.principal(app))


@app.post(
    "/agreements",
    tags=["agreements"],
    summary="Propose an agreement with a distributor: its first version goes for approval (branch heads, HQ)",
    responses=http.documented(201, Agreement, 404, 409, etag=True, location="/agreements/{agreement_id}"),
)
def create_agreement(
    body: Annotated[AgreementIn, Body()], idempotency_key: http.IdempotencyKey = None
) -> Response[Agreement]:
    service = agreements()

    def run() -> Response[Any]:
        created = service.create(body)
        return http.reply(created, 201, created.version, {"Location": f"/agreements/{created.id}"})

    return http.replayable(
        service.p, "create_agreement", idempotency_key, body.model_dump(mode="json"), run, app.lambda_context
    )


@app.get(
    "/agreements",
    tags=["agreements"],
    summary="Agreements in your scope (of one customer, if named); a distributor user sees its own",
    responses=http.documented(200, AgreementPage, 404),
)
def list_agreements(
    customer_id: Annotated[str | None, Query(pattern=ULID_PATTERN, description="Only this customer's")] = None,
) -> AgreementPage:
    return agreements().find(customer_id)


@app.get(
    "/agreements/<agreement_id>",
    tags=["agreements"],
    summary="An agreement: the terms in force and every version",
    responses=http.documented(200, Agreement, 404, etag=True),
)
def get_agreement(agreement_id: AgreementIdPath) -> Response[Agreement]:
    found = agreements().get(agreement_id)
    return http.reply(found, version=found.version)


@app.post(
    "/agreements/<agreement_id>/versions",
    tags=["agreements"],
    summary="Change an agreement: the whole new terms, a new version for approval (If-Match required)",
    responses=http.documented(201, Agreement, 404, 409, 412, 428, etag=True),
)
def new_version(
    agreement_id: AgreementIdPath, body: Annotated[Terms, Body()], if_match: http.IfMatch = None
) -> Response[Agreement]:
    changed = agreements().new_version(agreement_id, body, http.required_version(if_match))
    return http.reply(changed, 201, changed.version)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    return app.resolve(event, context)
