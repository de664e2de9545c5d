"""Offline sync (POST /visits/sync): a phone's queued actions, applied once each, in dependency order.

Each action carries an id the phone made. Applying it writes a receipt under that id in the same
transaction as the change (crm.visits.service `_write`), so the same action sent again finds its
receipt and is answered `already_applied` with what it produced the first time. Refused actions leave
no receipt: once what they wait for has arrived (a check-in in a later batch), they apply.

The batch is sorted before it is applied: check-ins first, then notes, tasks, photos and order
requests, then check-outs; within each phase by the phone's time. So a check-out queued before its
check-in, or a note for a visit checked in later in the same batch, apply as the rep lived them.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError

from crm.auth import Principal, require
from crm.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from crm.visits import repository as repo
from crm.visits.model import (
    PHASE,
    ActionResult,
    CheckIn,
    CheckInAction,
    CheckOut,
    CheckOutAction,
    FieldProblem,
    NoteAction,
    NoteIn,
    OrderRequestAction,
    OrderRequestIn,
    PhotoAction,
    PhotoIn,
    SyncAction,
    SyncReply,
    TaskAction,
    TaskIn,
)
from crm.visits.service import Applied, OutsideGeofence, Receipt, VisitService

_ACTION: TypeAdapter[Any] = TypeAdapter(SyncAction)
Action = CheckInAction | CheckOutAction | NoteAction | TaskAction | PhotoAction | OrderRequestAction


def digest(raw: Any) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _fields(action: Action, *names: str) -> dict[str, Any]:
    return {n: getattr(action, n) for n in names}


def _apply(service: VisitService, action: Action, receipt: Receipt) -> Applied:
    """The same service method the online route calls, with the action's receipt."""
    v = action.visit_id
    match action:
        case CheckInAction():
            return service.check_in(
                v, CheckIn(**_fields(action, "customer_id", "lat", "lng", "accuracy_m", "at")), receipt
            )
        case CheckOutAction():
            return service.check_out(v, CheckOut(**_fields(action, "lat", "lng", "at")), receipt)
        case NoteAction():
            return service.add_note(v, NoteIn(**_fields(action, "text", "at")), receipt)
        case TaskAction():
            return service.add_task(v, TaskIn(**_fields(action, "title", "due_on", "at")), receipt)
        case PhotoAction():
            photo = PhotoIn(taken_at=action.at, **_fields(action, "lat", "lng", "content_type"))
            applied, ticket = service.request_photo(v, photo, receipt)
            return Applied(applied.visit, {**applied.result, **_upload(ticket)})
        case OrderRequestAction():
            return service.order_request(v, OrderRequestIn(**_fields(action, "lines", "remarks")), receipt)
    raise AssertionError(f"unhandled action {action!r}")


def in_dependency_order[T](parsed: list[tuple[int, Action, T]]) -> list[tuple[int, Action, T]]:
    """Check-ins, then what is added to visits, then check-outs; within a phase by the phone's time, then as sent."""
    return sorted(parsed, key=lambda x: (PHASE[x[1].type], x[1].at, x[0]))


_WAITING = {"planned"}  # an action refused in these states waits for the visit's check-in
_CODES: list[tuple[type[DomainError], str]] = [
    (OutsideGeofence, "outside_geofence"),
    (NotFound, "not_found"),
    (Forbidden, "forbidden"),
    (InvalidInput, "invalid"),
    (Conflict, "conflict"),
]


def _code(exc: DomainError) -> str:
    if isinstance(exc, Conflict) and exc.extra.get("state") in _WAITING:
        return "not_ready"  # e.g. a check-out whose check-in has not arrived yet: send it again later
    return next((code for kind, code in _CODES if isinstance(exc, kind)), "refused")


class SyncService:
    def __init__(self, principal: Principal, uploads_bucket: str | None) -> None:
        self.p = principal
        self.visits = VisitService(principal, uploads_bucket)

    def apply(self, raw_actions: list[Any]) -> SyncReply:
        require(self.p, "visit:write")  # a role that never visits is refused as a whole (403), not per action
        results: dict[int, ActionResult] = {}
        parsed: list[tuple[int, Action, str]] = []
        seen: set[str] = set()
        for index, raw in enumerate(raw_actions):
            try:
                action = _ACTION.validate_python(raw)
            except ValidationError as exc:
                results[index] = _invalid(index, raw, exc)
                continue
            if action.id in seen:
                results[index] = _refused(index, action, "invalid", "The same action id appears twice in the batch.")
                continue
            seen.add(action.id)
            parsed.append((index, action, digest(raw)))
        for index, action, sent in in_dependency_order(parsed):
            results[index] = self._one(index, action, sent)
        ordered = [results[i] for i in range(len(raw_actions))]
        count: Callable[[str], int] = lambda status: sum(r.status == status for r in ordered)  # noqa: E731
        return SyncReply(
            applied=count("applied"),
            already_applied=count("already_applied"),
            refused=count("refused"),
            results=ordered,
        )

    def _one(self, index: int, action: Action, sent: str) -> ActionResult:
        if (known := self._receipt(index, action, sent)) is not None:
            return known
        try:
            applied = _apply(self.visits, action, Receipt(action.id, action.type, sent))
        except DomainError as exc:
            if isinstance(exc, Conflict) and exc.extra.get("code") == "already_applied":
                return self._receipt(index, action, sent) or _refused(index, action, "conflict", exc.detail)
            errors = [FieldProblem(**e) for e in exc.extra.get("errors") or []] or None
            return _refused(index, action, _code(exc), exc.detail, errors)
        return ActionResult(
            index=index,
            id=action.id,
            type=action.type,
            visit_id=action.visit_id,
            status="applied",
            result=applied.result,
        )

    def _receipt(self, index: int, action: Action, sent: str) -> ActionResult | None:
        found = repo.get_receipt(self.p.tenant_id, self.p.user_id, action.id)
        if found is None:
            return None
        if found.digest != sent:
            return _refused(index, action, "conflict", "This action id was already used for another action.")
        result = dict(found.result.as_dict()) if found.result else {}
        if action.type == "photo":
            result.update(self._fresh_upload_url(action.visit_id, result.get("photo_id")))
        return ActionResult(
            index=index,
            id=action.id,
            type=action.type,
            visit_id=action.visit_id,
            status="already_applied",
            result=result,
        )

    def _fresh_upload_url(self, visit_id: str, photo_id: Any) -> dict[str, Any]:
        """A photo action sent again (its upload failed?) gets a new form while the photo awaits its bytes."""
        visit = self.visits.visible(visit_id)
        photo = next((p for p in visit.photos if p.id == photo_id), None)
        if photo is None or photo.status != "awaiting_upload":
            return {}
        return _upload(self.visits.photo_ticket(photo))


def _upload(ticket: Any) -> dict[str, Any]:
    """Where the phone POSTs the image: the form's URL and its signed fields (a PhotoTicket's)."""
    return {"upload_url": ticket.url, "upload_fields": ticket.fields}


def _refused(
    index: int, action: Action, code: str, detail: str, errors: list[FieldProblem] | None = None
) -> ActionResult:
    return ActionResult(
        index=index,
        id=action.id,
        type=action.type,
        visit_id=action.visit_id,
        status="refused",
        code=code,
        detail=detail,
        errors=errors,
    )


def _invalid(index: int, raw: Any, exc: ValidationError) -> ActionResult:
    known = raw if isinstance(raw, dict) else {}
    errors = [FieldProblem(field=_path(e["loc"], known.get("type")), message=e["msg"]) for e in exc.errors()]
    return ActionResult(
        index=index,
        id=_text(known.get("id")),
        type=_text(known.get("type")),
        visit_id=_text(known.get("visit_id")),
        status="refused",
        code="invalid",
        detail="The action is not valid.",
        errors=errors,
    )


def _path(loc: tuple[Any, ...], tag: Any) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == tag:  # pydantic puts the union's tag first
        parts = parts[1:]
    return ".".join(parts) or "action"


def _text(value: Any) -> str | None:
    return value[:64] if isinstance(value, str) else None
