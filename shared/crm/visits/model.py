"""Field visits (拜访): plans and routes, on-site check-in and check-out, notes, follow-up tasks, photos.

A visit is planned (or created by an unplanned check-in), checked in on site, checked out. One table,
VISIT_TRANSITIONS, decides which action is allowed in which state; nothing else does.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, SkipValidation, StringConstraints

from crm.clock import IsoDate, IsoDateTime
from crm.customers.model import CustomerId, Strict
from crm.measures import STORABLE, Lat, Lng, within
from crm.orders.model import LineIn, distinct_skus, next_state  # noqa: F401 (next_state re-exported for the service)
from crm.text import FreeText
from crm.upload_links import UploadForm

MONTH_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"

# An order request becomes an order: its lines obey the order's rules here, so a sku twice is a 422, not a 500 when
# the order is made from them.
OrderLines = Annotated[list[LineIn], Field(min_length=1, max_length=200), AfterValidator(distinct_skus)]
MAX_NOTES, MAX_TASKS, MAX_PHOTOS, MAX_ORDERS = 50, 20, 20, 10  # per visit: the visit stays one small item

Text = Annotated[str, FreeText(2000, min_length=1, multiline=True)]
Title = Annotated[str, FreeText(200, min_length=1)]
Reason = Annotated[str, FreeText(500, min_length=2, multiline=True)]
Remarks = Annotated[str, FreeText(400, multiline=True)]
ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
Accuracy = Annotated[float, within(0, 100_000, "Metres, as the phone reports it"), STORABLE]
ClientTime = Annotated[IsoDateTime, Field(description="When it happened on the phone, with its UTC offset")]


class VisitState(StrEnum):
    PLANNED = "planned"
    CHECKED_IN = "checked_in"
    CHECKED_OUT = "checked_out"
    CANCELLED = "cancelled"


class VisitAction(StrEnum):
    PLAN = "plan"
    CHECK_IN = "check_in"
    CHECK_OUT = "check_out"
    CANCEL = "cancel"
    NOTE = "note"
    TASK = "task"
    TASK_DONE = "task_done"
    PHOTO = "photo"
    PHOTO_LINKED = "photo_linked"
    ORDER_REQUEST = "order_request"


S, A = VisitState, VisitAction
# None: the visit does not exist yet (a plan, or an unplanned check-in on site).
VISIT_TRANSITIONS: dict[tuple[VisitState | None, VisitAction], VisitState] = {
    (None, A.PLAN): S.PLANNED,
    (None, A.CHECK_IN): S.CHECKED_IN,
    (S.PLANNED, A.CHECK_IN): S.CHECKED_IN,
    (S.PLANNED, A.CANCEL): S.CANCELLED,
    (S.PLANNED, A.NOTE): S.PLANNED,  # preparing a visit: what to bring, whom to see
    (S.CHECKED_IN, A.CHECK_OUT): S.CHECKED_OUT,
    **{
        (st, act): st
        for st in (S.CHECKED_IN, S.CHECKED_OUT)
        for act in (A.NOTE, A.TASK, A.TASK_DONE, A.PHOTO, A.PHOTO_LINKED, A.ORDER_REQUEST)
    },
}
DONE = frozenset({S.CHECKED_IN, S.CHECKED_OUT})


# ------------------------------------------------------------------ requests


class PlanItem(Strict):
    customer_id: CustomerId
    planned_on: IsoDate = Field(description="The day of the visit (the tenant's local date)")
    sequence: Annotated[int, Field(ge=1, le=100)] | None = Field(default=None, description="Place on the day's route")
    purpose: Title | None = None


class PlanBatch(Strict):
    """A day's route or a week's plan: all visits are created, or none."""

    items: list[PlanItem] = Field(min_length=1, max_length=40)


class Position(Strict):
    lat: Lat
    lng: Lng
    accuracy_m: Accuracy | None = Field(
        default=None, description="The phone's reported accuracy (recorded, not used by the geofence)"
    )


class CheckIn(Position):
    customer_id: CustomerId | None = Field(
        default=None,
        description="Required when the visit was not planned: the "
        "visit is created with the id in the path (client-generated ULID)",
    )
    at: ClientTime | None = Field(default=None, description="Omit to use the server's time")


class CheckOut(Strict):
    lat: Lat | None = None
    lng: Lng | None = None
    at: ClientTime | None = None


class NoteIn(Strict):
    text: Text
    at: ClientTime | None = None


class TaskIn(Strict):
    title: Title
    due_on: IsoDate
    at: ClientTime | None = None


class PhotoIn(Position):
    taken_at: ClientTime
    content_type: Literal["image/jpeg", "image/png", "image/heic"] = "image/jpeg"


class OrderRequestIn(Strict):
    """A terminal's order request taken during the visit: it becomes a saved (draft) order for the rep to submit."""

    lines: OrderLines
    remarks: Remarks | None = None


class CancelIn(Strict):
    reason: Reason


# ------------------------------------------------------------------ the record


class Stamp(BaseModel):
    """Where and when the phone was, and what the server made of it."""

    at: datetime
    lat: float | None = None
    lng: float | None = None
    accuracy_m: float | None = None
    distance_m: float | None = Field(default=None, description="To the customer's location; null if either is unknown")
    received_at: datetime


class Note(BaseModel):
    id: str
    text: str
    at: datetime
    by: str


class Task(BaseModel):
    id: str
    title: str
    due_on: date
    done: bool = False
    done_at: datetime | None = None
    created_at: datetime


class Photo(BaseModel):
    id: str
    key: str = Field(description="The object in the uploads bucket")
    content_type: str
    taken_at: datetime
    lat: float
    lng: float
    distance_m: float | None = None
    status: Literal["awaiting_upload", "linked"] = "awaiting_upload"
    size: int | None = None
    linked_at: datetime | None = None


class Visit(BaseModel):
    id: str
    tenant_id: str
    customer_id: str
    customer_name: str
    customer_level: str | None = None
    rep_id: str = Field(description="Who visits")
    org_unit_id: str
    org_path: str = Field(description="The rep's org unit path: managers above it see the visit")
    state: VisitState
    planned_on: date | None = None
    sequence: int | None = None
    purpose: str | None = None
    day: date = Field(description="The check-in day once checked in, else the planned day")
    check_in: Stamp | None = None
    flagged: bool = Field(default=False, description="Checked in outside the geofence (policy 'flag')")
    flag_reason: str | None = None
    check_out: Stamp | None = None
    duration_seconds: int | None = None
    notes: list[Note] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    photos: list[Photo] = Field(default_factory=list)
    order_ids: list[str] = Field(default_factory=list, description="Draft orders requested during the visit")
    cancel_reason: str | None = None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    version: int = 0

    @property
    def owner_id(self) -> str:  # what crm.auth.Scope compares for a rep
        return self.rep_id


class VisitPage(BaseModel):
    items: list[Visit]
    next_cursor: str | None = None


class PlannedVisits(BaseModel):
    items: list[Visit]


class PhotoTicket(UploadForm):
    """Where to upload the image (a presigned POST form: the photo's content type, at most 15 MB)."""

    photo_id: str
    key: str


class OrderRequestResult(BaseModel):
    visit: Visit
    order_id: str
    order_state: str
    order_total: str


# ------------------------------------------------------------------ the tenant's policy


LevelName = Literal["A", "B", "C", "D"]


class VisitPolicy(Strict):
    geofence_radius_m: int = Field(default=300, ge=10, le=50_000)
    outside_geofence: Literal["refuse", "flag"] = Field(
        default="refuse", description="A check-in farther than the radius: refused (422), or accepted and flagged"
    )
    frequency: dict[LevelName, Annotated[int, Field(ge=0, le=31)]] = Field(
        default_factory=lambda: dict[LevelName, int]({"A": 4, "B": 2, "C": 1, "D": 0}),
        description="Visits a month each customer of a level should get; a level not listed needs none",
    )


class StoredPolicy(BaseModel):
    policy: VisitPolicy
    version: int = Field(description="0: the default, nothing stored yet")


# ------------------------------------------------------------------ offline sync (POST /visits/sync)

VisitId = Annotated[str, StringConstraints(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]


class _Action(Strict):
    id: ClientId = Field(description="Generated by the phone; the same id is applied once, however often sent")
    visit_id: VisitId = Field(description="A planned visit's id, or a new ULID the phone made for an unplanned one")
    at: ClientTime


class CheckInAction(_Action):
    type: Literal["check_in"]
    customer_id: CustomerId | None = None
    lat: Lat
    lng: Lng
    accuracy_m: Accuracy | None = None


class CheckOutAction(_Action):
    type: Literal["check_out"]
    lat: Lat | None = None
    lng: Lng | None = None


class NoteAction(_Action):
    type: Literal["note"]
    text: Text


class TaskAction(_Action):
    type: Literal["task"]
    title: Title
    due_on: IsoDate


class PhotoAction(_Action):
    type: Literal["photo"]
    lat: Lat
    lng: Lng
    content_type: Literal["image/jpeg", "image/png", "image/heic"] = "image/jpeg"


class OrderRequestAction(_Action):
    type: Literal["order_request"]
    lines: OrderLines
    remarks: Remarks | None = None


SyncAction = Annotated[
    CheckInAction | CheckOutAction | NoteAction | TaskAction | PhotoAction | OrderRequestAction,
    Field(discriminator="type"),
]
# Dependencies first, whatever order the queue had: a visit is checked in before anything is added to it,
# and checked out last. Within a phase, the phone's own time decides.
PHASE = {"check_in": 0, "note": 1, "task": 1, "photo": 1, "order_request": 1, "check_out": 2}
MAX_ACTIONS = 100


class SyncBatch(Strict):
    # SkipValidation: the schema documents every action, but each is validated on its own by the service,
    # so one malformed action in a phone's queue is refused alone instead of blocking all the others.
    actions: list[SkipValidation[SyncAction]] = Field(
        min_length=1,
        max_length=MAX_ACTIONS,
        description=(
            "Queued actions in any order; each is validated and applied on its own (a bad one does not stop the rest)"
        ),
    )


class FieldProblem(BaseModel):
    field: str
    message: str


class ActionResult(BaseModel):
    index: int = Field(description="Position in the batch as sent")
    id: str | None = None
    type: str | None = None
    visit_id: str | None = None
    status: Literal["applied", "already_applied", "refused"]
    code: str | None = Field(
        default=None,
        description="Why it was refused: invalid, not_found, forbidden, "
        "outside_geofence, conflict (state or a reused id), not_ready (retry later)",
    )
    detail: str | None = None
    errors: list[FieldProblem] | None = None
    result: dict[str, object] | None = Field(
        default=None,
        description="What applying it produced (state, distance_m, flagged, order_id, photo upload url...)",
    )


class SyncReply(BaseModel):
    applied: int
    already_applied: int
    refused: int
    results: list[ActionResult]


class PhotoLink(BaseModel):
    url: str = Field(description="GET the image here")
    expires_in: int
