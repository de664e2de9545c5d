"""Field visits API (拜访): plans and routes, check-in/out on site, notes, follow-ups, photos, order requests,
the phone's offline batch, coverage, the tenant's visit policy. Parse, call the service, shape the reply.

Literal routes come before /visits/<visit_id>: the resolver tries routes in the order they are declared.
"""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from crm.api import http
from crm.clock import IsoDate
from crm.config import get_settings
from crm.customers.model import HistoryPage
from crm.db.base import bind_table
from crm.ids import ULID_PATTERN
from crm.visits import photos
from crm.visits.coverage import CoverageReport, build_report
from crm.visits.model import (
    MONTH_PATTERN,
    CancelIn,
    CheckIn,
    CheckOut,
    NoteIn,
    OrderRequestIn,
    OrderRequestResult,
    PhotoIn,
    PhotoLink,
    PhotoTicket,
    PlanBatch,
    PlanItem,
    PlannedVisits,
    SyncBatch,
    SyncReply,
    TaskIn,
    Visit,
    VisitPage,
    VisitPolicy,
    VisitState,
)
from crm.visits.service import VisitFilters, VisitService
from crm.visits.sync import SyncService

logger = Logger()
metrics = Metrics()
app = http.make_resolver()

VisitIdPath = Annotated[str, Path(pattern=ULID_PATTERN, description="Visit id (ULID; the phone may make it)")]
ItemIdPath = Annotated[str, Path(pattern=ULID_PATTERN)]
CustomerIdPath = Annotated[str, Path(pattern=ULID_PATTERN, description="Customer id (ULID)")]
MonthQuery = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="yyyy-mm")]
RepQuery = Annotated[str | None, Query(max_length=64, description="One rep's visits (a head: a rep in the subtree)")]
_STATES = "^(" + "|".join(s.value for s in VisitState) + ")$"
_ON_SITE = (404, 409, 422)
_PLANNED_ON = (
    "planned_on: from today up to 62 days ahead, today being the tenant's local date (Asia/Shanghai, "
    "UTC+8), not the phone's or UTC's"
)


def visits() -> VisitService:
    return VisitService(http.principal(app), get_settings().uploads_bucket)


def _visit(visit: Visit, status: int = 200, headers: dict[str, str] | None = None) -> Response[Any]:
    return http.reply(visit, status, visit.version, headers)


# ------------------------------------------------------------------ the tenant's policy


@app.get(
    "/visit-policy",
    tags=["visits"],
    summary="The tenant's geofence and visit frequencies per level",
    operation_id="getVisitPolicy",
    responses=http.documented(200, VisitPolicy, etag=True),
)
def get_policy() -> Response[VisitPolicy]:
    stored = visits().get_policy()
    return http.reply(stored.policy, version=stored.version)


@app.put(
    "/visit-policy",
    tags=["visits"],
    summary='Replace the visit policy (HQ; If-Match, "0" over the default)',
    operation_id="putVisitPolicy",
    responses=http.documented(200, VisitPolicy, 412, 428, etag=True),
)
def put_policy(body: Annotated[VisitPolicy, Body()], if_match: http.IfMatch = None) -> Response[VisitPolicy]:
    stored = visits().put_policy(http.required_version(if_match), body)
    return http.reply(stored.policy, version=stored.version)


# ------------------------------------------------------------------ lists, reports, the offline batch


@app.get(
    "/visits/coverage",
    tags=["visit reports"],
    summary="Coverage for a month: required by level vs planned vs done, per rep, customer and level",
    responses=http.documented(200, CoverageReport, 404),
)
def coverage(
    month: Annotated[str, Query(pattern=MONTH_PATTERN, description="yyyy-mm")],
    org_unit_id: Annotated[str | None, Query(max_length=40, description="Limit to this unit's subtree")] = None,
    rep_id: RepQuery = None,
) -> CoverageReport:
    return build_report(http.principal(app), month, org_unit_id, rep_id)


@app.post(
    "/visits/sync",
    tags=["visits"],
    summary="The phone's queued actions in one batch: each applied once, in dependency order; per-action reply",
    responses=http.documented(200, SyncReply),
)
def sync(body: Annotated[SyncBatch, Body()]) -> SyncReply:
    reply = SyncService(http.principal(app), get_settings().uploads_bucket).apply(body.actions)
    metrics.add_metric(name="VisitActionsApplied", unit=MetricUnit.Count, value=reply.applied)
    metrics.add_metric(name="VisitActionsRefused", unit=MetricUnit.Count, value=reply.refused)
    return reply


@app.post(
    "/visit-plans",
    tags=["visits"],
    summary="Plan several visits (a day's route, a week): all or none",
    description=_PLANNED_ON,
    responses=http.documented(201, PlannedVisits, 404),
)
def plan_visits(
    body: Annotated[PlanBatch, Body()], idempotency_key: http.IdempotencyKey = None
) -> Response[PlannedVisits]:
    service = visits()

    def run() -> Response[Any]:
        return http.reply(PlannedVisits(items=service.plan(body.items)), 201)

    return http.replayable(
        service.p, "plan_visits", idempotency_key, body.model_dump(mode="json"), run, app.lambda_context
    )


@app.post(
    "/visits",
    tags=["visits"],
    summary="Plan one visit for yourself",
    description=_PLANNED_ON,
    responses=http.documented(201, Visit, 404, etag=True, location="/visits/{visit_id}"),
)
def plan_visit(body: Annotated[PlanItem, Body()], idempotency_key: http.IdempotencyKey = None) -> Response[Visit]:
    service = visits()

    def run() -> Response[Any]:
        visit = service.plan([body])[0]
        return _visit(visit, 201, {"Location": f"/visits/{visit.id}"})

    return http.replayable(
        service.p, "plan_visit", idempotency_key, body.model_dump(mode="json"), run, app.lambda_context
    )


@app.get(
    "/visits",
    tags=["visits"],
    summary="Visits in your scope: a rep's own (by day: the route), a head's reps', a month's",
    responses=http.documented(200, VisitPage, 404),
)
def list_visits(
    limit: http.Limit = 50,
    cursor: http.Cursor = None,
    month: MonthQuery = None,
    on: Annotated[IsoDate | None, Query(description="One day (yyyy-mm-dd)")] = None,
    rep_id: RepQuery = None,
    state: Annotated[str | None, Query(pattern=_STATES)] = None,
    flagged: Annotated[bool | None, Query(description="Checked in outside the geofence")] = None,
) -> VisitPage:
    filters = VisitFilters(month, on, rep_id, state, flagged)
    page = visits().list_visits(filters, limit, cursor)
    return VisitPage(items=page.items, next_cursor=page.cursor)


@app.get(
    "/customers/<customer_id>/visits",
    tags=["visits"],
    summary="Every visit to a customer, newest first",
    responses=http.documented(200, VisitPage, 404),
)
def customer_visits(customer_id: CustomerIdPath, limit: http.Limit = 50, cursor: http.Cursor = None) -> VisitPage:
    page = visits().of_customer(customer_id, limit, cursor)
    return VisitPage(items=page.items, next_cursor=page.cursor)


# ------------------------------------------------------------------ one visit


@app.get(
    "/visits/<visit_id>",
    tags=["visits"],
    summary="Read one visit",
    responses=http.documented(200, Visit, 404, etag=True),
)
def get_visit(visit_id: VisitIdPath) -> Response[Visit]:
    return _visit(visits().get(visit_id))


@app.get(
    "/visits/<visit_id>/history",
    tags=["visits"],
    summary="Every change of the visit: who, when, before, after",
    responses=http.documented(200, HistoryPage, 404),
)
def visit_history(visit_id: VisitIdPath, limit: http.Limit = 50, cursor: http.Cursor = None) -> HistoryPage:
    page = visits().history(visit_id, limit, cursor)
    return HistoryPage(items=page.items, next_cursor=page.cursor)


@app.post(
    "/visits/<visit_id>/check-in",
    tags=["visits"],
    summary="Check in on site: distance to the customer against the geofence (refused or flagged by policy); "
    "an unknown id with customer_id is an unplanned visit",
    responses=http.documented(200, Visit, 403, *_ON_SITE, etag=True)
    | http.success(
        201,
        Visit,
        etag=True,
        location="/visits/{visit_id}",
        description="An unplanned visit, made under the phone's id and checked in",
    ),
)
def check_in(visit_id: VisitIdPath, body: Annotated[CheckIn, Body()]) -> Response[Visit]:
    applied = visits().check_in(visit_id, body)
    metrics.add_metric(name="VisitCheckIns", unit=MetricUnit.Count, value=1)
    if applied.visit.version == 1:  # an unplanned visit, made now
        return _visit(applied.visit, 201, {"Location": f"/visits/{applied.visit.id}"})
    return _visit(applied.visit)


@app.post(
    "/visits/<visit_id>/check-out",
    tags=["visits"],
    summary="Check out: the visit's duration is recorded",
    responses=http.documented(200, Visit, 403, *_ON_SITE, etag=True),
)
def check_out(visit_id: VisitIdPath, body: Annotated[CheckOut, Body()]) -> Response[Visit]:
    return _visit(visits().check_out(visit_id, body).visit)


@app.post(
    "/visits/<visit_id>/cancel",
    tags=["visits"],
    summary="Take a planned visit off the route, with a reason",
    responses=http.documented(200, Visit, 404, 409, etag=True),
)
def cancel_visit(visit_id: VisitIdPath, body: Annotated[CancelIn, Body()]) -> Response[Visit]:
    return _visit(visits().cancel(visit_id, body.reason))


@app.post(
    "/visits/<visit_id>/notes",
    tags=["visits"],
    summary="Add a note to the visit",
    responses=http.documented(200, Visit, 403, *_ON_SITE, etag=True),
)
def add_note(visit_id: VisitIdPath, body: Annotated[NoteIn, Body()]) -> Response[Visit]:
    return _visit(visits().add_note(visit_id, body).visit)


@app.post(
    "/visits/<visit_id>/tasks",
    tags=["visits"],
    summary="Add a follow-up task with a due date",
    responses=http.documented(200, Visit, 403, *_ON_SITE, etag=True),
)
def add_task(visit_id: VisitIdPath, body: Annotated[TaskIn, Body()]) -> Response[Visit]:
    return _visit(visits().add_task(visit_id, body).visit)


@app.post(
    "/visits/<visit_id>/tasks/<task_id>/done",
    tags=["visits"],
    summary="Mark a follow-up task done",
    responses=http.documented(200, Visit, 403, 404, etag=True),
)
def complete_task(visit_id: VisitIdPath, task_id: ItemIdPath) -> Response[Visit]:
    return _visit(visits().complete_task(visit_id, task_id))


@app.post(
    "/visits/<visit_id>/photos",
    tags=["visits"],
    summary="Record a photo (time, place) and get its upload form (presigned POST: send its fields, then the "
    "image as `file`; the type and at most 15 MB are bound); then POST .../link",
    responses=http.documented(201, PhotoTicket, 403, *_ON_SITE),
)
def request_photo(visit_id: VisitIdPath, body: Annotated[PhotoIn, Body()]) -> Response[PhotoTicket]:
    _, ticket = visits().request_photo(visit_id, body)
    return http.reply(ticket, 201)


@app.post(
    "/visits/<visit_id>/photos/<photo_id>/link",
    tags=["visits"],
    summary="Link an uploaded photo to the visit (409 while nothing was uploaded)",
    responses=http.documented(200, Visit, 403, *_ON_SITE, etag=True),
)
def link_photo(visit_id: VisitIdPath, photo_id: ItemIdPath) -> Response[Visit]:
    return _visit(visits().link_photo(visit_id, photo_id))


@app.get(
    "/visits/<visit_id>/photos/<photo_id>",
    tags=["visits"],
    summary="A short-lived link to view a photo",
    responses=http.documented(200, PhotoLink, 404, 409),
)
def view_photo(visit_id: VisitIdPath, photo_id: ItemIdPath) -> PhotoLink:
    return PhotoLink(url=visits().photo_view_url(visit_id, photo_id), expires_in=photos.URL_SECONDS)


@app.post(
    "/visits/<visit_id>/order-requests",
    tags=["visits"],
    summary="A terminal's order request from the visit: a saved (draft) order for the rep to submit",
    responses=http.documented(201, OrderRequestResult, 403, *_ON_SITE, location="/orders/{order_id}"),
)
def order_request(visit_id: VisitIdPath, body: Annotated[OrderRequestIn, Body()]) -> Response[OrderRequestResult]:
    applied = visits().order_request(visit_id, body)
    r = applied.result
    result = OrderRequestResult(
        visit=applied.visit, order_id=r["order_id"], order_state=r["order_state"], order_total=r["order_total"]
    )
    return http.reply(result, 201, headers={"Location": f"/orders/{r['order_id']}"})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bind_table(get_settings().table_name)
    return app.resolve(event, context)
