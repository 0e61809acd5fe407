"""The watchdog's evidence: when `crisis tick` last ran to its end (light to import: `show` reads it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crisis.clock import Clock
from crisis.oncall.models import Heartbeat


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
