"""Rotations: who is on call at an instant, from members in order, a shift length, a handoff time
in a named time zone, and dated overrides.

Handoffs are counted on the local wall clock: a weekly rotation handing off at 09:00 in
Europe/Paris hands off at 09:00 Paris time on both sides of a daylight-saving change (so a shift
across the change lasts an hour more or less). A handoff that falls in the spring-forward gap
happens at the first instant after it. Overrides replace the rotation for their period; when
overrides overlap, the one listed last wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

LENGTHS = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}


@dataclass(frozen=True)
class Override:
    """`person` covers the rotation from `start_at` (included) to `end_at` (excluded), UTC."""

    person: str
    start_at: datetime
    end_at: datetime

    def covers(self, at: datetime) -> bool:
        return self.start_at <= at < self.end_at


@dataclass(frozen=True)
class Shift:
    person: str
    start_at: datetime
    end_at: datetime | None  # None: the rotation ends with this shift's person… never
    override: bool = False


@dataclass(frozen=True)
class Rotation:
    id: str
    members: tuple[str, ...]
    length: timedelta
    handoff: time
    timezone: str
    start: date  # the local date of the first handoff
    overrides: tuple[Override, ...] = ()
    end: date | None = None  # the local date of the last handoff: nobody after it

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def handoff_at(self, k: int) -> datetime:
        """The instant of handoff number `k` (0 is the first), UTC."""
        local = datetime.combine(self.start, self.handoff) + k * self.length
        return local.replace(tzinfo=self.zone).astimezone(timezone.utc)

    def _index(self, at: datetime) -> int:
        """The number of the last handoff at or before `at` (negative before the first)."""
        local = at.astimezone(self.zone).replace(tzinfo=None)
        k = (local - datetime.combine(self.start, self.handoff)) // self.length
        while self.handoff_at(k) > at:
            k -= 1
        while self.handoff_at(k + 1) <= at:
            k += 1
        return k

    @property
    def end_at(self) -> datetime | None:
        return None if self.end is None else datetime.combine(self.end, self.handoff).replace(tzinfo=self.zone).astimezone(timezone.utc)

    def base_shift(self, at: datetime) -> Shift | None:
        """The rotation's own shift at `at`, overrides ignored; None outside the rotation's dates."""
        k = self._index(at)
        if k < 0 or not self.members or (self.end_at is not None and at >= self.end_at):
            return None
        end = self.handoff_at(k + 1)
        if self.end_at is not None:
            end = min(end, self.end_at)
        return Shift(self.members[k % len(self.members)], self.handoff_at(k), end)

    def shift_at(self, at: datetime) -> Shift | None:
        """Who is on call at `at` and from when to when; an override wins over the rotation."""
        for override in reversed(self.overrides):
            if override.covers(at):
                return Shift(override.person, override.start_at, override.end_at, override=True)
        return self.base_shift(at)

    def on_call(self, at: datetime) -> str | None:
        shift = self.shift_at(at)
        return shift.person if shift else None

    def gaps(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The periods within [start, end) when nobody is on call."""
        found: list[tuple[datetime, datetime]] = []
        cuts = sorted({start, end, *self._changes(start, end)})
        for lo, hi in zip(cuts, cuts[1:]):
            if self.on_call(lo) is None:
                if found and found[-1][1] == lo:
                    found[-1] = (found[-1][0], hi)
                else:
                    found.append((lo, hi))
        return found

    def _changes(self, start: datetime, end: datetime) -> list[datetime]:
        instants = [t for o in self.overrides for t in (o.start_at, o.end_at) if start < t < end]
        first = self.handoff_at(0)
        if start < first < end:
            instants.append(first)
        if self.end_at is not None and start < self.end_at < end:
            instants.append(self.end_at)
        return instants
