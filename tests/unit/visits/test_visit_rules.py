"""Pure visit rules, no AWS: distances, the geofence, client times, the transition table, the batch order."""

from datetime import UTC, datetime, timedelta

import pytest
from crm.errors import Conflict, InvalidInput
from crm.visits.geo import haversine_m
from crm.visits.model import (
    VISIT_TRANSITIONS,
    CheckInAction,
    NoteAction,
    VisitAction,
    VisitPolicy,
    VisitState,
    next_state,
)
from crm.visits.service import OutsideGeofence, VisitService, client_time, local_day
from crm.visits.sync import in_dependency_order
from pydantic import ValidationError


def test_haversine_matches_known_distances():
    assert haversine_m(31.31, 120.62, 31.31, 120.62) == 0
    assert haversine_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-4)  # one degree of latitude
    assert haversine_m(31.3100, 120.62, 31.3280, 120.62) == pytest.approx(2001.5, abs=1)
    # 上海人民广场 to 北京天安门: about 1,067 km
    assert haversine_m(31.2304, 121.4737, 39.9087, 116.3975) / 1000 == pytest.approx(1067, abs=5)
    assert haversine_m(0, 179.9, 0, -179.9) == pytest.approx(22_239, rel=1e-3)  # across the date line


def test_geofence_inside_outside_and_unknown():
    refuse, flag = VisitPolicy(geofence_radius_m=300), VisitPolicy(geofence_radius_m=300, outside_geofence="flag")
    assert VisitService._geofence(refuse, 300.0) is None
    assert VisitService._geofence(flag, 2000.0) == "outside_geofence"
    assert VisitService._geofence(refuse, None) == "customer_has_no_location"
    with pytest.raises(OutsideGeofence) as refused:
        VisitService._geofence(refuse, 300.1)
    assert refused.value.status == 422 and refused.value.extra["radius_m"] == 300


def test_policy_bounds():
    with pytest.raises(ValidationError):
        VisitPolicy(geofence_radius_m=5)
    with pytest.raises(ValidationError):
        VisitPolicy.model_validate({"frequency": {"E": 1}})
    with pytest.raises(ValidationError):
        VisitPolicy.model_validate({"outside_geofence": "warn"})


def test_client_times():
    now = datetime.now(UTC)
    assert client_time(None) >= now
    assert client_time(now + timedelta(minutes=4)).tzinfo == UTC  # a phone a little ahead is fine
    for bad in (now + timedelta(minutes=6), now - timedelta(days=8)):
        with pytest.raises(InvalidInput) as exc:
            client_time(bad, "taken_at")
        assert exc.value.extra["errors"][0]["field"] == "taken_at"
    assert local_day(datetime(2026, 1, 31, 17, 0, tzinfo=UTC)).isoformat() == "2026-02-01"  # Shanghai's day


def test_transitions():
    assert next_state(VISIT_TRANSITIONS, "visit", None, VisitAction.CHECK_IN) == VisitState.CHECKED_IN
    assert next_state(VISIT_TRANSITIONS, "visit", VisitState.PLANNED, VisitAction.NOTE) == VisitState.PLANNED
    for state, action in [
        (VisitState.PLANNED, VisitAction.CHECK_OUT),
        (VisitState.PLANNED, VisitAction.PHOTO),
        (VisitState.CHECKED_OUT, VisitAction.CHECK_IN),
        (VisitState.CANCELLED, VisitAction.NOTE),
        (VisitState.CHECKED_IN, VisitAction.CANCEL),
    ]:
        with pytest.raises(Conflict):
            next_state(VISIT_TRANSITIONS, "visit", state, action)


def test_a_batch_applies_check_ins_first_and_check_outs_last():
    base = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    visit = "01J00000000000000000000000"

    def action(kind: str, minute: int, **fields: object) -> dict:
        return {
            "id": f"act-{kind}-{minute}",
            "type": kind,
            "visit_id": visit,
            "at": (base + timedelta(minutes=minute)).isoformat(),
            **fields,
        }

    raw = [
        action("check_out", 30),
        action("note", 10, text="x"),
        action("check_in", 0, lat=31.0, lng=120.0),
        action("note", 5, text="y"),
    ]
    parsed = [(n, _parse(r), None) for n, r in enumerate(raw)]
    assert [n for n, _, _ in in_dependency_order(parsed)] == [2, 3, 1, 0]


def _parse(raw: dict) -> CheckInAction | NoteAction:
    from crm.visits.sync import _ACTION

    return _ACTION.validate_python(raw)  # type: ignore[no-any-return]
