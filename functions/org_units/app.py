"""Org tree API (组织架构): the tree, its units, and moves of a unit with everything under it.

Parse, call the service, shape the reply. Only HQ admins change the tree; every office role reads it.
"""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.api import http
from crm.config import get_settings
from crm.db.base import bind_table
from crm.ids import ULID_PATTERN
from crm.org.moves import OrgMoveService
from crm.org.tree import OrgTreeService
from crm.org.tree_model import (
    UNIT_ID_PATTERN,
    CloseRequest,
    HistoryPage,
    MoveRequest,
    OrgMove,
    OrgTree,
    OrgUnitCreate,
    OrgUnitPatch,
    OrgUnitView,
)

logger = Logger()
metrics = Metrics()
app = http.make_resolver()

UnitIdPath = Annotated[str, Path(pattern=UNIT_ID_PATTERN, description="The org unit's code, e.g. EAST-RX")]


def tree() -> OrgTreeService:
    return OrgTreeService(http.principal(app))


def moves() -> OrgMoveService:
    return OrgMoveService(http.principal(app), get_settings().org_move_state_machine_arn)


@app.get("/org-units", tags=["org tree"], summary="The whole org tree", responses=http.documented(200, OrgTree))
def get_tree() -> OrgTree:
    return tree().tree()


@app.post(
    "/org-units",
    tags=["org tree"],
    summary="Create an org unit under a parent (HQ admins)",
    responses=http.documented(201, OrgUnitView, 409, etag=True, location="/org-units/{unit_id}"),
)
def create_unit(
    body: Annotated[OrgUnitCreate, Body()], idempotency_key: http.IdempotencyKey = None
) -> Response[OrgUnitView]:
    service = tree()

    def run() -> Response[Any]:
        created = service.create(body)
        return http.reply(created, 201, created.version, {"Location": f"/org-units/{created.id}"})

    return http.replayable(
        service.p, "create_org_unit", idempotency_key, body.model_dump(mode="json"), run, app.lambda_context
    )


@app.get(
    "/org-units/<unit_id>",
    tags=["org tree"],
    summary="Read one org unit",
    responses=http.documented(200, OrgUnitView, 404, etag=True),
)
def get_unit(unit_id: UnitIdPath) -> Response[OrgUnitView]:
    unit = tree().get(unit_id)
    return http.reply(unit, version=unit.version)


@app.patch(
    "/org-units/<unit_id>",
    tags=["org tree"],
    summary="Rename an org unit (If-Match required; HQ admins)",
    responses=http.documented(200, OrgUnitView, 404, 412, 428, etag=True),
)
def rename_unit(
    unit_id: UnitIdPath, body: Annotated[OrgUnitPatch, Body()], if_match: http.IfMatch = None
) -> Response[OrgUnitView]:
    version = http.required_version(if_match)
    unit = tree().rename(unit_id, version, body)
    return http.reply(unit, version=unit.version)


@app.get(
    "/org-units/<unit_id>/history",
    tags=["org tree"],
    summary="Every change of an org unit: who, when, before/after",
    responses=http.documented(200, HistoryPage, 404),
)
def unit_history(unit_id: UnitIdPath, limit: http.Limit = 50, cursor: http.Cursor = None) -> HistoryPage:
    page = tree().history(unit_id, limit, cursor)
    return HistoryPage(items=page.items, next_cursor=page.cursor)


@app.post(
    "/org-units/<unit_id>/close",
    tags=["org tree"],
    summary="Close an org unit with nothing left under it (If-Match required; HQ admins)",
    responses=http.documented(200, OrgUnitView, 404, 409, 412, 428, etag=True),
)
def close_unit(
    unit_id: UnitIdPath, body: Annotated[CloseRequest, Body()], if_match: http.IfMatch = None
) -> Response[OrgUnitView]:
    version = http.required_version(if_match)
    unit = tree().close(unit_id, version, body)
    return http.reply(unit, version=unit.version)


@app.post(
    "/org-units/<unit_id>/move",
    tags=["org tree"],
    summary="Move an org unit, with its subtree and everything under it, under another parent (HQ admins)",
    responses=http.documented(202, OrgMove, 404, 409, etag=True, location="/org-units/moves/{move_id}"),
)
def move_unit(
    unit_id: UnitIdPath, body: Annotated[MoveRequest, Body()], idempotency_key: http.IdempotencyKey = None
) -> Response[OrgMove]:
    service = moves()

    def run() -> Response[Any]:
        job = service.start(unit_id, body)
        return http.reply(job, 202, job.version, {"Location": f"/org-units/moves/{job.id}"})

    payload = {"unit_id": unit_id, **body.model_dump(mode="json")}
    return http.replayable(service.p, "move_org_unit", idempotency_key, payload, run, app.lambda_context)


@app.get(
    "/org-units/moves/<move_id>",
    tags=["org tree"],
    summary="How far a move got",
    responses=http.documented(200, OrgMove, 404, etag=True),
)
def get_move(move_id: Annotated[str, Path(pattern=ULID_PATTERN)]) -> Response[OrgMove]:
    job = moves().get(move_id)
    return http.reply(job, version=job.version)


@app.post(
    "/org-units/moves/<move_id>/retry",
    tags=["org tree"],
    summary="Run a failed move again from where it got to (HQ admins)",
    responses=http.documented(202, OrgMove, 404, 409, etag=True, location="/org-units/moves/{move_id}"),
)
def retry_move(move_id: Annotated[str, Path(pattern=ULID_PATTERN)]) -> Response[OrgMove]:
    job = moves().retry(move_id)
    return http.reply(job, 202, job.version, {"Location": f"/org-units/moves/{job.id}"})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    return app.resolve(event, context)
