"""The one clock: every deadline, escalation and drill reads time from an injected `Clock`.

`SystemClock` reads the wall clock; `VirtualClock` is moved by hand (drills, tests, `tick --now`)
and refuses to go backwards, so a 72-hour drill replays in seconds and always the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    """The wall clock. The only place in crisis that reads it."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class VirtualClock:
    """A clock that moves only when told to, and never backwards.

    >>> c = VirtualClock(datetime(2012, 1, 4, 11, 0, tzinfo=timezone.utc))
    >>> c.advance(timedelta(minutes=48)).isoformat()
    '2012-01-04T11:48:00+00:00'
    """

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError(f"a virtual clock never goes backwards (asked to move by {delta})")
        self._now += delta
        return self._now


def as_utc(instant: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is refused rather than guessed."""
    if instant.tzinfo is None:
        raise ValueError(f"{instant.isoformat()} has no time zone; crisis only handles aware times")
    return instant.astimezone(timezone.utc)
