"""Durations as playbooks write them: `15m`, `4h`, `1h30m`, `2d`, `90d`."""

from __future__ import annotations

import re
from datetime import timedelta

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
