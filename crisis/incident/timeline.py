"""Appending to an incident's timeline and verifying its hash chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisis.errors import RefusedError
from crisis.incident.chain import GENESIS, event_hash
from crisis.incident import events
from crisis.incident.events import TimelineEvent
from crisis.incident.models import Event, Incident


def append_event(session: Session, incident: Incident, at: datetime, actor: str, recorded: TimelineEvent) -> Event:
    """Add one event at the end of the incident's chain, in the caller's transaction. Raises RefusedError for an
    event dated before the last one (a clock set back, or a backdating attempt)."""
    if incident.event_count and at < incident.updated_at:
        raise RefusedError(f"{incident.ref}'s last event is at {incident.updated_at.isoformat(timespec='seconds')}, after "
                           f"{at.isoformat(timespec='seconds')}: a timeline never goes back in time",
                           hint="check the clock of this machine (and CRISIS_NOW, which only rehearsals and tests set)")
    kind, data = recorded.kind, recorded.data()
    seq = incident.event_count + 1
    prev = incident.head_hash if incident.event_count else GENESIS
    event = Event(incident_id=incident.id, seq=seq, at=at, actor=actor, kind=kind, data=data, prev_hash=prev,
                  hash=event_hash(prev, incident.ref, seq, at, actor, kind, data))
    session.add(event)
    incident.event_count = seq
    incident.head_hash = event.hash
    incident.updated_at = at
    return event


def list_events(session: Session, incident: Incident, *, last: int | None = None) -> list[Event]:
    query = select(Event).where(Event.incident_id == incident.id).order_by(Event.seq.desc() if last else Event.seq)
    if last:
        return list(reversed(session.scalars(query.limit(last)).all()))
    return list(session.scalars(query))


@dataclass(frozen=True)
class Break:
    """Where an incident's chain stops verifying, and what that suggests."""

    ref: str
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"{self.ref} event #{self.seq}: {self.problem}"


def verify_chain(session: Session, incident: Incident) -> Break | None:
    """The first place the chain of `incident` breaks, or None if every event verifies."""
    prev, expected_seq = GENESIS, 1
    for event in list_events(session, incident):
        if event.seq != expected_seq:
            return Break(incident.ref, expected_seq, f"missing (the next event is #{event.seq}): an event was deleted")
        if event.prev_hash != prev:
            return Break(incident.ref, event.seq, "does not follow the event before it: an event was replaced or reordered")
        if event_hash(prev, incident.ref, event.seq, event.at, event.actor, event.kind, event.data) != event.hash:
            return Break(incident.ref, event.seq, f"its content does not match its hash: the {event.kind} event at "
                                                  f"{event.at.isoformat(timespec='seconds')} was edited")
        prev, expected_seq = event.hash, expected_seq + 1
    if expected_seq - 1 != incident.event_count or (incident.event_count and prev != incident.head_hash):
        return Break(incident.ref, expected_seq, f"missing: the incident records {incident.event_count} events and the "
                                                 f"chain ends at #{expected_seq - 1}: the last events were deleted")
    return replay(session, incident)


def replay(session: Session, incident: Incident) -> Break | None:
    """Whether the incident row says what its timeline says: state, severity, escalation level and facts, replayed
    event by event. A difference is a change made in the database without an event (the chain alone cannot see it)."""
    told: dict[str, object] = {}
    facts: dict[str, object] = {}
    for event in list_events(session, incident):
        match event.typed():
            case events.Opened(severity=severity, level=level):
                told.update(state="detected", severity=severity, level=level)
            case events.Transition(to=state):
                told["state"] = state
            case events.SeverityChanged(to=severity):
                told["severity"] = severity
            case events.Escalated(to=level):
                told["level"] = level
            case events.FactSet(fact=fact, value=value):
                facts[fact] = value
    row = {"state": incident.state, "severity": incident.severity, "level": incident.level}
    for key, value in told.items():
        if row[key] != value:
            return Break(incident.ref, incident.event_count, f"the incident's {key} is {row[key]!r} but its timeline ends at "
                                                             f"{value!r}: it was changed without an event")
    stored = {f.fact_id: f.value for f in incident.facts}
    if stored != facts:
        changed = sorted(k for k in {*stored, *facts} if stored.get(k) != facts.get(k))
        return Break(incident.ref, incident.event_count, f"fact {changed[0]} is {stored.get(changed[0])!r} in the incident but "
                                                         f"{facts.get(changed[0])!r} on its timeline: it was changed without an event")
    return None
