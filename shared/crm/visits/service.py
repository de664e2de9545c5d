"""Visit use cases (拜访). Each authorizes first (role → 403), then reads, then checks scope (→ 404).

Every change goes through `_write`: VISIT_TRANSITIONS decides whether the action is allowed (409
otherwise), and the visit, its audit entry and (for an offline action) the action's receipt are written
in one TransactWriteItems, conditional on the version read. The online routes and POST /visits/sync
call the same methods, so a rule lives in one place whichever way the phone sends it.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from crm import clock
from crm.audit import BOOKKEEPING, diff
from crm.auth import Principal, Scope, require, scope_for
from crm.customers.model import ChangeEntry, Customer
from crm.customers.service import CustomerService
from crm.db.paging import Page
from crm.db.transaction import Transaction
from crm.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from crm.ids import new_id
from crm.org import directory
from crm.visits import photos, policy
from crm.visits import repository as repo
from crm.visits.geo import haversine_m
from crm.visits.model import (
    MAX_NOTES,
    MAX_ORDERS,
    MAX_PHOTOS,
    MAX_TASKS,
    VISIT_TRANSITIONS,
    CheckIn,
    CheckOut,
    Note,
    NoteIn,
    OrderRequestIn,
    Photo,
    PhotoIn,
    PhotoTicket,
    PlanItem,
    Stamp,
    StoredPolicy,
    Task,
    TaskIn,
    Visit,
    VisitAction,
    VisitPolicy,
    VisitState,
    next_state,
)

MAX_CLOCK_SKEW = timedelta(minutes=5)  # a phone's clock ahead of ours by more is wrong, not early
MAX_OFFLINE = timedelta(days=7)  # an action queued longer than a week is not taken as it stands
MAX_PLAN_AHEAD_DAYS = 62


class OutsideGeofence(DomainError):
    """A check-in too far from the customer under the policy 'refuse'."""

    status = 422
    title = "Outside the geofence"


@dataclass(frozen=True)
class Receipt:
    """An offline action being applied: its receipt is written with the change (crm.visits.sync)."""

    action_id: str
    kind: str
    digest: str


@dataclass(frozen=True)
class Applied:
    visit: Visit
    result: dict[str, Any]


@dataclass(frozen=True)
class VisitFilters:
    month: str | None = None
    on: date | None = None
    rep_id: str | None = None
    state: str | None = None
    flagged: bool | None = None


def client_time(at: datetime | None, field: str = "at") -> datetime:
    """The phone's time of an action, in UTC; none given: now. The future (beyond clock skew) and
    actions older than the offline window are refused (422)."""
    now = clock.now()
    if at is None:
        return now
    if at > now + MAX_CLOCK_SKEW:
        raise InvalidInput(
            "The time lies in the future; check the phone's clock.",
            [{"field": field, "message": f"{at.isoformat()} is after the server's {now.isoformat()}"}],
        )
    if at < now - MAX_OFFLINE:
        raise InvalidInput(
            "The action is older than the offline window.",
            [{"field": field, "message": f"older than {MAX_OFFLINE.days} days"}],
        )
    return at.astimezone(UTC)


def local_day(at: datetime) -> date:
    return at.astimezone(clock.BUSINESS_TZ).date()


def distance_to(customer: Customer, lat: float | None, lng: float | None) -> float | None:
    if customer.location is None or lat is None or lng is None:
        return None
    return round(haversine_m(customer.location.lat, customer.location.lng, lat, lng), 1)


class VisitService:
    def __init__(self, principal: Principal, uploads_bucket: str | None = None) -> None:
        self.p = principal
        self.tenant = principal.tenant_id
        self.bucket = uploads_bucket

    @property
    def scope(self) -> Scope:
        return scope_for(self.p, directory.caller_unit(self.tenant, self.p.org_unit_id).path)

    # ------------------------------------------------------------------ reads

    def get(self, visit_id: str) -> Visit:
        require(self.p, "visit:read")
        return self.visible(visit_id)

    def visible(self, visit_id: str) -> Visit:
        """A rep sees their own visits, a head those of the reps in their subtree, HQ all (else 404)."""
        scope = self.scope
        visit = repo.get(self.tenant, visit_id)
        if visit is None or not scope.covers(visit):
            raise NotFound(f"No visit {visit_id}.")
        return visit

    def list_visits(self, f: VisitFilters, limit: int, cursor: str | None) -> Page[Visit]:
        """A rep's own visits (or, for a head, one rep's in their subtree) by day; else the month's in scope."""
        require(self.p, "visit:read")
        scope = self.scope
        day = f.on.isoformat() if f.on else None
        rep_id = f.rep_id or scope.owner_id
        if rep_id:
            self.rep_in_scope(scope, rep_id)
            page = repo.list_by_rep(
                self.tenant, rep_id, day or f.month, repo.where(f.state, None, f.flagged), limit, cursor
            )
        else:
            month = day[:7] if day else f.month or clock.today().isoformat()[:7]
            page = repo.list_by_month(
                self.tenant, month, scope.org_path or "/", repo.where(f.state, day, f.flagged), limit, cursor
            )
        items = sorted(page.items, key=lambda v: (v.day, v.sequence or 1000, v.id))  # a day reads as its route
        return Page(items, page.cursor)

    def history(self, visit_id: str, limit: int, cursor: str | None) -> Page[ChangeEntry]:
        require(self.p, "visit:read")
        self.visible(visit_id)
        return repo.list_history(self.tenant, visit_id, limit, cursor)

    def rep_in_scope(self, scope: Scope, rep_id: str) -> None:
        if scope.whole_tenant or rep_id == scope.owner_id:
            return
        user = directory.find_user(self.tenant, rep_id)
        unit = directory.find_unit(self.tenant, user.org_unit_id) if user else None
        if unit is None or scope.org_path is None or not unit.path.startswith(scope.org_path):
            raise NotFound(f"No rep {rep_id} in your scope.")

    def of_customer(self, customer_id: str, limit: int, cursor: str | None) -> Page[Visit]:
        """The customer's page: every visit to it, newest first, for whoever may see the customer."""
        require(self.p, "visit:read")
        CustomerService(self.p).get(customer_id)  # 404 outside scope
        return repo.list_by_customer(self.tenant, customer_id, limit, cursor)

    # ------------------------------------------------------------------ plans and routes

    def plan(self, items: list[PlanItem]) -> list[Visit]:
        """Plans visits for the caller (a day's route, a week): all of them, or none."""
        require(self.p, "visit:write")
        customers = self._plan_customers(items)
        unit = directory.caller_unit(self.tenant, self.p.org_unit_id)
        now, tx, created = clock.now(), Transaction(), []
        for item in items:
            customer = customers[item.customer_id]
            visit = Visit(
                id=new_id(),
                tenant_id=self.tenant,
                customer_id=customer.id,
                customer_name=customer.name,
                customer_level=customer.level.value if customer.level else None,
                rep_id=self.p.user_id,
                org_unit_id=unit.id,
                org_path=unit.path,
                state=next_state(VISIT_TRANSITIONS, "visit", None, VisitAction.PLAN),
                planned_on=item.planned_on,
                sequence=item.sequence,
                purpose=item.purpose,
                day=item.planned_on,
                created_at=now,
                created_by=self.p.user_id,
                updated_at=now,
                updated_by=self.p.user_id,
            )
            repo.stage_visit(tx, visit)
            repo.stage_audit(
                tx,
                visit,
                "plan",
                self.p.user_id,
                now.isoformat(),
                diff(None, visit.model_dump(mode="json"), BOOKKEEPING),
            )
            created.append(visit.model_copy(update={"version": 1}))
        tx.commit()
        return created

    def _plan_customers(self, items: list[PlanItem]) -> dict[str, Customer]:
        today, errors, found, seen = clock.today(), [], {}, set()
        customers = CustomerService(self.p)
        for n, item in enumerate(items):
            if not today <= item.planned_on <= today + timedelta(days=MAX_PLAN_AHEAD_DAYS):
                errors.append(
                    {
                        "field": f"items.{n}.planned_on",
                        "message": f"plan from today ({today}) up to {MAX_PLAN_AHEAD_DAYS} days ahead",
                    }
                )
            if (item.customer_id, item.planned_on) in seen:
                errors.append({"field": f"items.{n}", "message": "this customer is planned twice on that day"})
            seen.add((item.customer_id, item.planned_on))
            if item.customer_id not in found:
                found[item.customer_id] = customers.get(item.customer_id)  # 404 outside scope
            if found[item.customer_id].voided:
                errors.append({"field": f"items.{n}.customer_id", "message": "the customer is voided"})
        if errors:
            raise InvalidInput("Some planned visits are not valid; none was planned.", errors)
        return found

    def cancel(self, visit_id: str, reason: str) -> Visit:
        """The visiting rep, or a head who sees the plan, takes a planned visit off the route."""
        require(self.p, "visit:write")
        before = self.visible(visit_id)
        return self._write(before, VisitAction.CANCEL, {"cancel_reason": reason}, reason=reason).visit

    # ------------------------------------------------------------------ on site

    def check_in(self, visit_id: str, body: CheckIn, receipt: Receipt | None = None) -> Applied:
        require(self.p, "visit:write")
        at = client_time(body.at)
        before = repo.get(self.tenant, visit_id)
        if before is None:
            before = self._unplanned(visit_id, body.customer_id, at)
        else:
            self._own(before)
            if body.customer_id and body.customer_id != before.customer_id:
                raise InvalidInput(
                    "The visit is for another customer.",
                    [{"field": "customer_id", "message": f"the visit is at {before.customer_id}"}],
                )
        next_state(VISIT_TRANSITIONS, "visit", before.state if before.version else None, VisitAction.CHECK_IN)
        customer = self._customer(before.customer_id)  # still in scope (a hand-over may have moved it)
        rule = policy.current(self.tenant).policy
        distance = distance_to(customer, body.lat, body.lng)
        flag = self._geofence(rule, distance)
        stamp = Stamp(
            at=at, lat=body.lat, lng=body.lng, accuracy_m=body.accuracy_m, distance_m=distance, received_at=clock.now()
        )
        update = {
            "check_in": stamp,
            "day": local_day(at),
            "flagged": flag is not None,
            "flag_reason": flag,
            "customer_name": customer.name,
            "customer_level": customer.level.value if customer.level else None,
        }
        return self._write(
            before,
            VisitAction.CHECK_IN,
            update,
            receipt,
            {"distance_m": distance, "flagged": flag is not None, "flag_reason": flag},
        )

    def _unplanned(self, visit_id: str, customer_id: str | None, at: datetime) -> Visit:
        """A visit nobody planned, created by its check-in under the id the phone made for it (version 0)."""
        if customer_id is None:
            raise NotFound(f"No visit {visit_id}; to check in without a plan, send customer_id.")
        customer = self._customer(customer_id)
        unit = directory.caller_unit(self.tenant, self.p.org_unit_id)
        return Visit(
            id=visit_id,
            tenant_id=self.tenant,
            customer_id=customer.id,
            customer_name=customer.name,
            rep_id=self.p.user_id,
            org_unit_id=unit.id,
            org_path=unit.path,
            state=VisitState.PLANNED,
            day=local_day(at),
            created_at=clock.now(),
            created_by=self.p.user_id,
            updated_at=clock.now(),
            updated_by=self.p.user_id,
            version=0,
        )

    @staticmethod
    def _geofence(rule: VisitPolicy, distance: float | None) -> str | None:
        """The flag a check-in carries (None: inside), or OutsideGeofence under the policy 'refuse'."""
        if distance is None:
            return "customer_has_no_location"  # nothing to measure against: accepted, for a person to look at
        if distance <= rule.geofence_radius_m:
            return None
        if rule.outside_geofence == "refuse":
            raise OutsideGeofence(
                f"You are {distance:.0f} m from the customer; check-in is allowed within {rule.geofence_radius_m} m.",
                distance_m=distance,
                radius_m=rule.geofence_radius_m,
                errors=[{"field": "lat", "message": f"{distance:.0f} m from the customer's location"}],
            )
        return "outside_geofence"

    def check_out(self, visit_id: str, body: CheckOut, receipt: Receipt | None = None) -> Applied:
        require(self.p, "visit:write")
        at = client_time(body.at)
        before = self._own(self.visible(visit_id))
        next_state(VISIT_TRANSITIONS, "visit", before.state, VisitAction.CHECK_OUT)
        assert before.check_in is not None  # checked_in
        if at < before.check_in.at:
            raise InvalidInput(
                "Check-out is earlier than check-in.",
                [{"field": "at", "message": f"before the check-in at {before.check_in.at.isoformat()}"}],
            )
        customer = self._customer(before.customer_id)
        stamp = Stamp(
            at=at,
            lat=body.lat,
            lng=body.lng,
            distance_m=distance_to(customer, body.lat, body.lng),
            received_at=clock.now(),
        )
        duration = round((at - before.check_in.at).total_seconds())
        return self._write(
            before,
            VisitAction.CHECK_OUT,
            {"check_out": stamp, "duration_seconds": duration},
            receipt,
            {"duration_seconds": duration},
        )

    def add_note(self, visit_id: str, body: NoteIn, receipt: Receipt | None = None) -> Applied:
        require(self.p, "visit:write")
        at = client_time(body.at)
        before = self._own(self.visible(visit_id))
        next_state(VISIT_TRANSITIONS, "visit", before.state, VisitAction.NOTE)
        _room(before.notes, MAX_NOTES, "notes")
        note = Note(id=new_id(), text=body.text, at=at, by=self.p.user_id)
        return self._write(before, VisitAction.NOTE, {"notes": [*before.notes, note]}, receipt, {"note_id": note.id})

    def add_task(self, visit_id: str, body: TaskIn, receipt: Receipt | None = None) -> Applied:
        require(self.p, "visit:write")
        at = client_time(body.at)
        before = self._own(self.visible(visit_id))
        next_state(VISIT_TRANSITIONS, "visit", before.state, VisitAction.TASK)
        _room(before.tasks, MAX_TASKS, "tasks")
        if body.due_on < local_day(at):
            raise InvalidInput(
                "A follow-up is due on or after the day it is set.",
                [{"field": "due_on", "message": f"before {local_day(at)}"}],
            )
        task = Task(id=new_id(), title=body.title, due_on=body.due_on, created_at=at)
        return self._write(before, VisitAction.TASK, {"tasks": [*before.tasks, task]}, receipt, {"task_id": task.id})

    def complete_task(self, visit_id: str, task_id: str) -> Visit:
        require(self.p, "visit:write")
        before = self._own(self.visible(visit_id))
        if not any(t.id == task_id for t in before.tasks):
            raise NotFound(f"No task {task_id} on this visit.")
        tasks = [
            t.model_copy(update={"done": True, "done_at": t.done_at or clock.now()}) if t.id == task_id else t
            for t in before.tasks
        ]
        if tasks == before.tasks:
            return before  # done already: nothing changes
        return self._write(before, VisitAction.TASK_DONE, {"tasks": tasks}).visit

    # ------------------------------------------------------------------ photos

    def request_photo(
        self, visit_id: str, body: PhotoIn, receipt: Receipt | None = None
    ) -> tuple[Applied, PhotoTicket]:
        """Records the photo (time, place, distance) and hands out the URL its bytes go to."""
        require(self.p, "visit:write")
        self._bucket()  # a misconfigured function fails before anything is recorded
        taken_at = client_time(body.taken_at, "taken_at")
        before = self._own(self.visible(visit_id))
        next_state(VISIT_TRANSITIONS, "visit", before.state, VisitAction.PHOTO)
        _room(before.photos, MAX_PHOTOS, "photos")
        photo_id = new_id()
        key = photos.photo_key(self.tenant, visit_id, photo_id, body.content_type)
        photo = Photo(
            id=photo_id,
            key=key,
            content_type=body.content_type,
            taken_at=taken_at,
            lat=body.lat,
            lng=body.lng,
            distance_m=distance_to(self._customer(before.customer_id), body.lat, body.lng),
        )
        applied = self._write(
            before, VisitAction.PHOTO, {"photos": [*before.photos, photo]}, receipt, {"photo_id": photo_id, "key": key}
        )
        return applied, self.photo_ticket(photo)

    def photo_ticket(self, photo: Photo) -> PhotoTicket:
        return PhotoTicket(
            photo_id=photo.id, key=photo.key, **photos.upload_form(self._bucket(), photo.key, photo.content_type)
        )

    def link_photo(self, visit_id: str, photo_id: str) -> Visit:
        """The photo's bytes are in the bucket (HEAD): the visit lists it as linked. Again: no change."""
        require(self.p, "visit:write")
        bucket = self._bucket()
        before = self._own(self.visible(visit_id))
        photo = _photo(before, photo_id)
        if photo.status == "linked":
            return before
        found = photos.stored(bucket, photo.key)
        if found is None:
            raise Conflict(
                "Nothing was uploaded for this photo yet: POST the image with its upload form first.", field="photo_id"
            )
        if found.size == 0 or found.size > photos.MAX_BYTES:
            raise InvalidInput(
                "The uploaded photo is empty or too large.",
                [{"field": "photo_id", "message": f"{found.size} bytes; at most {photos.MAX_BYTES}"}],
            )
        linked = photo.model_copy(update={"status": "linked", "size": found.size, "linked_at": clock.now()})
        updated = [linked if p.id == photo_id else p for p in before.photos]
        return self._write(before, VisitAction.PHOTO_LINKED, {"photos": updated}).visit

    def photo_view_url(self, visit_id: str, photo_id: str) -> str:
        require(self.p, "visit:read")
        photo = _photo(self.visible(visit_id), photo_id)
        if photo.status != "linked":
            raise Conflict("The photo has not been uploaded yet.", field="photo_id")
        return photos.view_url(self._bucket(), photo.key)

    def _bucket(self) -> str:
        if not self.bucket:
            raise RuntimeError("UPLOADS_BUCKET is not configured for this function")
        return self.bucket

    # ------------------------------------------------------------------ order requests (终端要货申请)

    def order_request(self, visit_id: str, body: OrderRequestIn, receipt: Receipt | None = None) -> Applied:
        """A saved (draft) order for the visited customer, through the orders service; the rep submits it."""
        from crm.orders.model import OrderCreate
        from crm.orders.service import OrderService

        require(self.p, "visit:write")
        require(self.p, "order:create")
        before = self._own(self.visible(visit_id))
        next_state(VISIT_TRANSITIONS, "visit", before.state, VisitAction.ORDER_REQUEST)
        _room(before.order_ids, MAX_ORDERS, "order requests")
        remarks = " ".join(filter(None, [f"拜访 {visit_id}", body.remarks]))
        order = OrderService(self.p).create(
            OrderCreate(customer_id=before.customer_id, lines=body.lines, remarks=remarks)
        )
        extra = {"order_id": order.id, "order_state": order.state.value, "order_total": str(order.total)}
        try:
            return self._write(
                before, VisitAction.ORDER_REQUEST, {"order_ids": [*before.order_ids, order.id]}, receipt, extra
            )
        except Conflict:
            if receipt is not None:
                raise
            # The order exists now; a concurrent change of the visit must not lose its link: once more.
            again = self._own(self.visible(visit_id))
            return self._write(
                again, VisitAction.ORDER_REQUEST, {"order_ids": [*again.order_ids, order.id]}, None, extra
            )

    # ------------------------------------------------------------------ the tenant's policy

    def get_policy(self) -> StoredPolicy:
        require(self.p, "visit:read")
        return policy.current(self.tenant)

    def put_policy(self, if_match: int, body: VisitPolicy) -> StoredPolicy:
        require(self.p, "visit:policy")
        return policy.replace(self.tenant, self.p.user_id, if_match, body)

    # ------------------------------------------------------------------ helpers

    def _own(self, visit: Visit) -> Visit:
        """On-site actions are the visiting rep's own; a head who sees the visit may not act for them (403)."""
        if visit.rep_id != self.p.user_id:
            if not self.scope.covers(visit):
                raise NotFound(f"No visit {visit.id}.")
            raise Forbidden("Only the rep who makes the visit may record it.")
        return visit

    def _customer(self, customer_id: str) -> Customer:
        customer = CustomerService(self.p).get(customer_id)  # 404 outside scope
        if customer.voided:
            raise Conflict("The customer is voided; restore it before visiting it.", field="customer_id")
        return customer

    def _write(
        self,
        before: Visit,
        action: VisitAction,
        update: dict[str, Any],
        receipt: Receipt | None = None,
        result: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> Applied:
        """The one way a visit changes: table check, then visit + audit (+ receipt) in one transaction."""
        created = before.version == 0
        to = next_state(VISIT_TRANSITIONS, "visit", None if created else before.state, action)
        now = clock.now()
        after = before.model_copy(update={**update, "state": to, "updated_at": now, "updated_by": self.p.user_id})
        after = Visit.model_validate(after.model_dump())  # nested updates come in as models or dicts alike
        outcome = _present({"state": to.value, **(result or {})})
        tx = Transaction()
        repo.stage_visit(
            tx,
            after,
            "A visit with this id already exists." if created else "The visit changed while this request ran.",
        )
        changes = diff(None if created else before.model_dump(mode="json"), after.model_dump(mode="json"), BOOKKEEPING)
        repo.stage_audit(tx, after, action.value, self.p.user_id, now.isoformat(), changes, reason)
        if receipt is not None:
            repo.stage_receipt(
                tx,
                self.tenant,
                self.p.user_id,
                receipt.action_id,
                receipt.kind,
                after.id,
                receipt.digest,
                now.isoformat(),
                outcome,
            )
        tx.commit()
        return Applied(after.model_copy(update={"version": before.version + 1}), outcome)


def _room(items: list[Any], limit: int, what: str) -> None:
    if len(items) >= limit:
        raise Conflict(f"A visit holds at most {limit} {what}.")


def _photo(visit: Visit, photo_id: str) -> Photo:
    for photo in visit.photos:
        if photo.id == photo_id:
            return photo
    raise NotFound(f"No photo {photo_id} on this visit.")


def _present(outcome: dict[str, Any]) -> dict[str, Any]:
    """What an action produced, as its reply and its receipt both say it (no empty fields)."""
    return {k: v for k, v in outcome.items() if v is not None}
