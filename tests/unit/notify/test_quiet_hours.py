"""Quiet hours are local times in the tenant's zone; 22:00–08:00 crosses midnight."""

from datetime import UTC, datetime

import pytest
from crm.notify.model import QuietHours, in_quiet_hours, quiet_hours_end

NIGHT = QuietHours(start="22:00", end="08:00")
SHANGHAI = "Asia/Shanghai"  # UTC+8 all year


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "quiet"),
    [
        ("2026-12-04T13:59:00", False),  # 21:59 in Shanghai
        ("2026-12-04T14:00:00", True),  # 22:00: the start is inside
        ("2026-12-04T15:59:00", True),  # 23:59
        ("2026-12-04T16:00:00", True),  # 00:00 the next day
        ("2026-12-04T23:59:00", True),  # 07:59
        ("2026-12-05T00:00:00", False),  # 08:00: the end is outside
        ("2026-12-05T04:00:00", False),  # noon
    ],
)
def test_night_hours_cross_midnight_in_the_tenants_zone(at: str, quiet: bool) -> None:
    assert in_quiet_hours(utc(at), SHANGHAI, NIGHT) is quiet


def test_the_same_instant_is_quiet_in_one_zone_and_not_in_another() -> None:
    at = utc("2026-12-04T15:00:00")  # 23:00 in Shanghai, 15:00 in London
    assert in_quiet_hours(at, SHANGHAI, NIGHT)
    assert not in_quiet_hours(at, "Europe/London", NIGHT)


def test_daytime_hours_do_not_wrap() -> None:
    lunch = QuietHours(start="12:00", end="13:30")
    assert in_quiet_hours(utc("2026-12-04T04:00:00"), SHANGHAI, lunch)  # 12:00
    assert not in_quiet_hours(utc("2026-12-04T05:30:00"), SHANGHAI, lunch)  # 13:30
    assert not in_quiet_hours(utc("2026-12-04T14:30:00"), SHANGHAI, lunch)  # 22:30


def test_switched_off_is_never_quiet() -> None:
    assert not in_quiet_hours(utc("2026-12-04T16:00:00"), SHANGHAI, QuietHours(enabled=False))


@pytest.mark.parametrize(
    ("at", "ends"),
    [
        ("2026-12-04T15:30:00", "2026-12-05T00:00:00"),  # 23:30 → 08:00 the next morning
        ("2026-12-04T17:00:00", "2026-12-05T00:00:00"),  # 01:00 → 08:00 the same morning
        ("2026-12-05T02:00:00", "2026-12-05T02:00:00"),  # 10:00: not quiet, nothing to wait for
    ],
)
def test_quiet_hours_end_at_the_next_local_end_time(at: str, ends: str) -> None:
    assert quiet_hours_end(utc(at), SHANGHAI, NIGHT) == utc(ends)


def test_the_end_follows_daylight_saving_time() -> None:
    # New York leaves summer time on 2026-11-01 at 02:00: 08:00 that morning is 13:00 UTC, not 12:00.
    assert quiet_hours_end(utc("2026-11-01T04:00:00"), "America/New_York", NIGHT) == utc("2026-11-01T13:00:00")


def test_empty_quiet_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="differ"):
        QuietHours(start="22:00", end="22:00")
