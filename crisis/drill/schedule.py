"""Drill schedules: a cron expression (croniter) or `every 90d`, an optional window of local hours
("Mon-Fri 09:00-18:00 Europe/Paris"), and unannounced starts drawn from a seeded generator inside
that window. Pure: every instant is given (`now`, `since`); nothing here reads a clock."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from crisis.errors import UsageError
from crisis.playbook.durations import parse_duration

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"(?P<days>\S+)\s+(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})\s+(?P<tz>\S+)")
_WINDOW_HINT = 'write it like "Mon-Fri 09:00-18:00 Europe/Paris" or "Sat,Sun 10:00-16:00 UTC"'


@dataclass(frozen=True)
class Window:
    """Local hours on some weekdays in one time zone; `start` before `end` on the same day."""

    days: frozenset[int]  # 0 = Monday
    start: time
    end: time
    tz: str

    def __str__(self) -> str:
        days = ",".join(DAYS[d].capitalize() for d in sorted(self.days))
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M} {self.tz}"

    def bounds(self, day: date) -> tuple[datetime, datetime] | None:
        """The UTC instants the window opens and closes on local `day`, or None if it does not open.

        Across a DST change the window holds only instants whose wall-clock time is inside it:
        a start that does not exist or occurs twice opens at its last occurrence, an end at its first."""
        if day.weekday() not in self.days:
            return None
        zone = ZoneInfo(self.tz)
        opens = max(datetime.combine(day, self.start, zone).replace(fold=f).astimezone(timezone.utc) for f in (0, 1))
        closes = min(datetime.combine(day, self.end, zone).replace(fold=f).astimezone(timezone.utc) for f in (0, 1))
        return (opens, closes) if opens < closes else None

    def holds(self, instant: datetime) -> bool:
        """Whether `instant` falls inside the window, read on the local wall clock."""
        local = instant.astimezone(ZoneInfo(self.tz))
        return local.weekday() in self.days and self.start <= local.time().replace(tzinfo=None) < self.end


def parse_window(text: str) -> Window:
    """`"Mon-Fri 09:00-18:00 Europe/Paris"` → a Window. Raises UsageError saying what to write."""
    match = _WINDOW.fullmatch(text.strip())
    if match is None:
        raise UsageError(f"window {text!r} is not understood", hint=_WINDOW_HINT)
    days: set[int] = set()
    for part in match["days"].lower().split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise UsageError(f"window {text!r}: {part!r} is not a day or a range of days", hint=_WINDOW_HINT)
        a, b = DAYS.index(first), DAYS.index(last or first)
        days.update(d % 7 for d in range(a, b + 1 if b >= a else b + 8))
    try:
        start, end = (time.fromisoformat(match[k].zfill(5)) for k in ("start", "end"))
        ZoneInfo(match["tz"])
    except ValueError:
        raise UsageError(f"window {text!r}: the hours are not times of day", hint=_WINDOW_HINT) from None
    except ZoneInfoNotFoundError:
        raise UsageError(f"window {text!r}: {match['tz']!r} is not a time zone", hint="use an IANA name: Europe/Paris, America/New_York, UTC") from None
    if start >= end:
        raise UsageError(f"window {text!r}: it must open before it closes on the same day", hint=_WINDOW_HINT)
    return Window(frozenset(days), start, end, match["tz"])


@dataclass(frozen=True)
class Schedule:
    """When a scenario is run: `cron` or `every`, from `since` (aware UTC), in `window` if given."""

    scenario: str
    since: datetime
    cron: str | None = None
    every: timedelta | None = None
    window: Window | None = None
    unannounced: bool = False
    seed: int = 0


def make_schedule(scenario: str, since: datetime, *, cron: str | None = None, every: str | None = None,
                  window: str | None = None, unannounced: bool = False, seed: int = 0) -> Schedule:
    """A checked schedule from what a person typed. Raises UsageError for a bad cron, period or window."""
    if (cron is None) == (every is None):
        raise UsageError("give exactly one of --cron EXPR or --every PERIOD", hint='e.g. --cron "0 10 * * 2" or --every 90d')
    if cron is not None and not croniter.is_valid(cron):
        raise UsageError(f"{cron!r} is not a cron expression", hint='five fields: minute hour day-of-month month day-of-week, e.g. "0 10 1 */3 *"')
    period = None
    if every is not None:
        try:
            period = parse_duration(every)
        except ValueError as exc:
            raise UsageError(f"--every: {exc}") from None
    parsed = parse_window(window) if window else None
    if unannounced and parsed is None:
        raise UsageError("an unannounced drill needs a --window to start in", hint='e.g. --window "Mon-Fri 09:00-18:00 Europe/Paris"')
    return Schedule(scenario, since, cron, period, parsed, unannounced, seed)


def nominal_after(schedule: Schedule, after: datetime) -> datetime:
    """The next cron or period instant strictly after `after` (cron read in the window's zone, else UTC)."""
    if schedule.cron is not None:
        zone = ZoneInfo(schedule.window.tz) if schedule.window else timezone.utc
        return croniter(schedule.cron, after.astimezone(zone)).get_next(datetime).astimezone(timezone.utc)
    assert schedule.every is not None
    periods = max(0, (after - schedule.since) // schedule.every + 1)
    return schedule.since + periods * schedule.every


def unannounced_start(window: Window, after: datetime, rng: random.Random) -> datetime:
    """A moment drawn by `rng`, inside the first opening of `window` that ends after `after`."""
    day = after.astimezone(ZoneInfo(window.tz)).date()
    for _ in range(8 * 366):  # a window opens at least once a week unless its hours fall in a DST gap every time
        bounds = window.bounds(day)
        if bounds is not None and bounds[1] > after:
            opens = max(bounds[0], after)
            span = int((bounds[1] - opens).total_seconds())
            return opens + timedelta(seconds=rng.randrange(span)) if span > 0 else opens
        day += timedelta(days=1)
    raise UsageError(f"window {window} never opens", hint="widen its hours or days")


def due_at(schedule: Schedule, nominal: datetime) -> datetime:
    """When the drill due at `nominal` starts: as is, at the window's next opening, or, unannounced,
    at a moment drawn inside the window from a generator seeded by the schedule and the occasion."""
    window = schedule.window
    if window is None:
        return nominal
    if schedule.unannounced:
        return unannounced_start(window, nominal, random.Random(f"{schedule.seed}|{schedule.scenario}|{nominal.isoformat()}"))
    if window.holds(nominal):
        return nominal
    day = nominal.astimezone(ZoneInfo(window.tz)).date()
    while True:
        bounds = window.bounds(day)
        if bounds is not None and bounds[0] >= nominal:
            return bounds[0]
        day += timedelta(days=1)


def next_due(schedule: Schedule, *, last_due_at: datetime | None = None) -> datetime:
    """The start of the first drill after the last one started (or after `since`)."""
    after = last_due_at or schedule.since
    nominal = nominal_after(schedule, after)
    start = due_at(schedule, nominal)
    while start <= after:  # an unannounced draw may land before the last start inside the same window
        nominal = nominal_after(schedule, nominal)
        start = due_at(schedule, nominal)
    return start


def due_now(schedule: Schedule, *, now: datetime, last_due_at: datetime | None = None) -> datetime | None:
    """The start of the drill due at `now` (a late tick still gets it), or None if none is due yet."""
    start = next_due(schedule, last_due_at=last_due_at)
    return start if start <= now else None
