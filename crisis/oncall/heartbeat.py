"""The watchdog's evidence: when `crisis tick` last ran to its end (light to import: `show` reads it)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crisis.clock import Clock
from crisis.oncall.models import Heartbeat

WATCHDOG_MINUTES = 10  # a tick older than this means nobody watches deadlines nor walks escalations


def record_heartbeat(session: Session, clock: Clock, name: str = "tick") -> None:
    """Record that `name` ran now. Two ticks at once both succeed: the second to insert updates instead."""
    moved = session.execute(update(Heartbeat).where(Heartbeat.name == name).values(at=clock.now())).rowcount
    if moved:
        return
    try:
        with session.begin_nested():
            session.add(Heartbeat(name=name, at=clock.now()))
    except IntegrityError:  # the other tick inserted it first
        session.execute(update(Heartbeat).where(Heartbeat.name == name).values(at=clock.now()))


def last_heartbeat(session: Session, name: str = "tick") -> datetime | None:
    beat = session.get(Heartbeat, name)
    return beat.at if beat else None


def heartbeat_warning(beat: datetime | None, now: datetime, *, minutes: int = WATCHDOG_MINUTES) -> str | None:
    """What to tell a reviewer when `tick` never ran, or last ran more than `minutes` before `now`; None when it runs."""
    if beat is None:
        return ("crisis tick has never run on this database: deadlines are not watched and nobody is paged when they pass "
                "(run it from cron every minute, or `crisis watch`)")
    if now - beat > timedelta(minutes=minutes):
        return (f"crisis tick last ran {beat:%Y-%m-%d %H:%M} UTC, {int((now - beat).total_seconds() // 60)} min ago: "
                "deadlines are not watched and escalations do not move (is cron still running it?)")
    return None
