"""Durations as playbooks write them: `15m`, `4h`, `1h30m`, `2d`; and legal periods, which may also be calendar
months or years (`3mo`, `1y`): the law counts those from date to date (28 February + 3 months = 28 May)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

Period = timedelta | relativedelta  # a legal period: a fixed duration, or calendar months and years
_CALENDAR = re.compile(r"(?P<n>[1-9]\d*)(?P<unit>mo|y)")

_DURATION = re.compile(r"(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?")


def parse_duration(text: str) -> timedelta:
    """`'1h30m'` → 90 minutes. Raises ValueError for anything else, zero included.

    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    """
    match = _DURATION.fullmatch(text.strip())
    if not text.strip() or match is None:
        raise ValueError(f"{text!r} is not a duration; write it like 15m, 4h, 1h30m or 2d")
    delta = timedelta(days=int(match["d"] or 0), hours=int(match["h"] or 0), minutes=int(match["m"] or 0))
    if not delta:
        raise ValueError(f"{text!r} is a zero duration; a deadline needs time to be met")
    return delta


def format_duration(delta: timedelta) -> str:
    """The short form back: 90 minutes → `1h30m`; negative durations keep their sign."""
    sign = "-" if delta < timedelta(0) else ""
    minutes = int(abs(delta).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    return sign + ("".join(parts) or "0m")


def parse_period(text: str) -> Period:
    """A legal period: `3mo` (three calendar months), `1y` (a calendar year), or any duration (`72h`).
    Raises ValueError for anything else.

    >>> parse_period("3mo")
    relativedelta(months=+3)
    """
    match = _CALENDAR.fullmatch(text.strip())
    if match is None:
        return parse_duration(text)
    n = int(match["n"])
    return relativedelta(months=n) if match["unit"] == "mo" else relativedelta(years=n)


def add_period(start: datetime, period: Period) -> datetime:
    """`start` plus the period; calendar months keep the day of the month, or the month's last day when it is
    shorter (31 January + 1 month = 28 or 29 February), as the courts count them.

    >>> add_period(datetime(2025, 2, 28), parse_period("3mo")).date().isoformat()
    '2025-05-28'
    """
    return start + period


def shortest(period: Period) -> timedelta:
    """The shortest time the period can last: a month counts 28 days, a year 365, whatever the calendar."""
    if isinstance(period, timedelta):
        return period
    return timedelta(days=28 * (period.years * 12 + period.months) + period.days)


def format_period(period: Period) -> str:
    """The playbook's form back: `3mo`, `1y`, `72h`."""
    if isinstance(period, timedelta):
        return format_duration(period)
    return f"{period.years}y" if period.years and not period.months else f"{period.years * 12 + period.months}mo"
