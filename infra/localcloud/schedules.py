"""Schedule and ScheduleV2 events: when each fires, and a thread that fires them.

Expressions are read as AWS reads them, and a bad one fails when the stack is loaded:
- rate(N minute|minutes|hour|hours|day|days): every N units from when the local cloud started
  (AWS too first fires one period after the rule or schedule is created).
- cron(minutes hours day-of-month month day-of-week year): the next matching minute, in UTC or the
  ScheduleV2's ScheduleExpressionTimezone. Lists, ranges, steps, names (JAN, MON), ?, L and # are
  understood; nW (the weekday nearest the nth) is approximated by the nth itself.
- at(yyyy-mm-ddThh:mm:ss): once, if that time is still ahead.
A time missed while the process was busy is skipped, not caught up; a disabled schedule never fires.
Firing invokes the function asynchronously, as EventBridge does, so LocalCloud.wait_idle() waits for it.
"""

from __future__ import annotations

import calendar
import logging
import re
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from .eventbridge import scheduled_event
from .lambdas import LocalLambdas
from .template import Function, Schedule

log = logging.getLogger("localcloud.schedules")

_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {
    name: n
    for n, name in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)
}
_WEEKDAYS = {name: n for n, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}  # AWS: SUN is 1
_SEARCH_DAYS = 366 * 5  # a cron whose year field has no match left stops firing


class Timetable(Protocol):
    def next_after(self, moment: datetime, since: datetime) -> datetime | None:
        """The first firing strictly after `moment` (aware); `since` is when the schedule started."""
        ...


def timetable(expression: str, timezone: str = "UTC") -> Timetable:
    """Parses a schedule expression; ValueError if AWS would reject it (or it is beyond this reader)."""
    kind, _, rest = expression.strip().partition("(")
    if not rest.endswith(")"):
        raise ValueError(f"{expression!r} is not rate(...), cron(...) or at(...)")
    body, tz = rest[:-1].strip(), ZoneInfo(timezone)
    match kind.strip():
        case "rate":
            return _Rate(body)
        case "cron":
            return _Cron(body, tz)
        case "at":
            return _At(datetime.fromisoformat(body).replace(tzinfo=tz))
    raise ValueError(f"{expression!r} is not rate(...), cron(...) or at(...)")


class _Rate:
    def __init__(self, body: str) -> None:
        found = re.fullmatch(r"(\d+) (minute|hour|day)(s?)", body)
        if not found or int(found[1]) < 1 or (found[1] == "1") != (found[3] == ""):
            raise ValueError(f"rate({body}): AWS wants rate(1 minute) or rate(N minutes), hour(s) or day(s)")
        self.period = timedelta(seconds=int(found[1]) * _UNITS[found[2]])

    def next_after(self, moment: datetime, since: datetime) -> datetime | None:
        return since + self.period * ((moment - since) // self.period + 1)


class _At:
    def __init__(self, when: datetime) -> None:
        self.when = when

    def next_after(self, moment: datetime, since: datetime) -> datetime | None:
        return self.when if self.when > moment else None


class _Cron:
    def __init__(self, body: str, tz: ZoneInfo) -> None:
        fields = body.split()
        if len(fields) != 6:
            raise ValueError(f"cron({body}): AWS wants six fields: minutes hours day-of-month month day-of-week year")
        minutes, hours, day_of_month, months, day_of_week, years = fields
        if "?" not in (day_of_month, day_of_week):
            raise ValueError(f"cron({body}): one of day-of-month and day-of-week must be ?")
        self.tz = tz
        self.minutes = sorted(_values(minutes, 0, 59))
        self.hours = sorted(_values(hours, 0, 23))
        self.months = _values(months, 1, 12, _MONTHS)
        self.years = _values(years, 1970, 2199)
        self.day_of_month = _day_of_month(day_of_month)
        self.day_of_week = _day_of_week(day_of_week)

    def next_after(self, moment: datetime, since: datetime) -> datetime | None:
        start = moment.astimezone(self.tz).replace(second=0, microsecond=0, tzinfo=None) + timedelta(minutes=1)
        day = start.date()
        for _ in range(_SEARCH_DAYS):
            if self._day_matches(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        if (candidate := datetime.combine(day, clock_time(hour, minute))) >= start:
                            return candidate.replace(tzinfo=self.tz)
            day += timedelta(days=1)
        return None

    def _day_matches(self, day: date) -> bool:
        return day.year in self.years and day.month in self.months and self.day_of_month(day) and self.day_of_week(day)


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    """A cron field's numbers: *, ?, n, a-b, a,b and any of them /step."""

    def number(text: str) -> int:
        return (names or {}).get(text.upper()) or int(text)

    out: set[int] = set()
    for part in field.split(","):
        span, _, step = part.partition("/")
        if span in ("*", "?"):
            first, last = low, high
        elif "-" in span:
            first, last = map(number, span.split("-", 1))
        else:
            first = number(span)
            last = high if step else first
        out.update(range(first, last + 1, int(step or 1)))
    if not out or not all(low <= value <= high for value in out):
        raise ValueError(f"cron field {field!r} is outside {low}-{high}")
    return out


def _day_of_month(field: str) -> Callable[[date], bool]:
    if field == "?":
        return lambda day: True
    if field in ("L", "LW"):
        return lambda day: day.day == calendar.monthrange(day.year, day.month)[1]
    days = _values(field.rstrip("W"), 1, 31)  # nW: the nth itself, not the nearest weekday
    return lambda day: day.day in days


def _day_of_week(field: str) -> Callable[[date], bool]:
    if field == "?":
        return lambda day: True
    if found := re.fullmatch(r"(\w+)#([1-5])", field):  # the nth such weekday of the month
        weekday, nth = _values(found[1], 1, 7, _WEEKDAYS).pop(), int(found[2])
        return lambda day: _weekday(day) == weekday and (day.day - 1) // 7 + 1 == nth
    if found := re.fullmatch(r"(\w*)L", field):  # the last such weekday of the month (L alone: Saturday)
        weekday = _values(found[1], 1, 7, _WEEKDAYS).pop() if found[1] else 7
        return lambda day: _weekday(day) == weekday and (day + timedelta(days=7)).month != day.month
    weekdays = _values(field, 1, 7, _WEEKDAYS)
    return lambda day: _weekday(day) in weekdays


def _weekday(day: date) -> int:
    return (day.weekday() + 1) % 7 + 1  # Python: Monday is 0; AWS: Sunday is 1


class Scheduler:
    """Fires a stack's enabled schedules on a thread of its own, from start() until stop()."""

    def __init__(self, schedules: Iterable[tuple[Function, Schedule]], lambdas: LocalLambdas) -> None:
        """schedules: Stack.schedules. Every expression is read now, so a bad one fails here."""
        self._lambdas = lambdas
        self._entries = [(fn, s, timetable(s.expression, s.timezone)) for fn, s in schedules]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if not self.running and any(schedule.enabled for _, schedule, _ in self._entries):
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="localcloud-scheduler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def find(self, function: str, event_name: str | None = None) -> tuple[Function, Schedule]:
        """The schedule of a function (by logical id); event_name picks one when it has several."""
        found = [
            (fn, s) for fn, s, _ in self._entries if fn.logical_id == function and event_name in (None, s.event_name)
        ]
        if len(found) != 1:
            names = [s.event_name for fn, s, _ in self._entries if fn.logical_id == function]
            raise KeyError(
                f"{function} has schedules {names}; name one of them" if names else f"{function} has no schedule"
            )
        return found[0]

    def run(self, function: str, event_name: str | None = None) -> Any:
        """Invokes the function now and synchronously with its scheduled event; returns the result."""
        fn, schedule = self.find(function, event_name)
        return self._lambdas.invoke(fn, scheduled_event(schedule, datetime.now(UTC).replace(microsecond=0)))

    def _run(self) -> None:
        since = datetime.now(UTC)
        entries = [(fn, schedule, table) for fn, schedule, table in self._entries if schedule.enabled]
        due = [table.next_after(since, since) for _, _, table in entries]
        while not self._stop.is_set() and (upcoming := [when for when in due if when is not None]):
            if self._stop.wait(max(0.0, (min(upcoming) - datetime.now(UTC)).total_seconds())):
                return
            now = datetime.now(UTC)
            for n, (fn, schedule, table) in enumerate(entries):
                if (when := due[n]) is not None and when <= now:
                    log.info("%s fires %s", schedule.name, fn.logical_id)
                    self._lambdas.invoke_async(fn, scheduled_event(schedule, when))
                    due[n] = table.next_after(now, since)
