"""Appending to an incident's timeline and verifying its hash chain (keyed when an audit key is set)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisis.errors import RefusedError
from crisis.incident.chain import GENESIS, Break, event_hash
from crisis.incident.events import TimelineEvent
from crisis.incident.models import Event, Incident
from crisis.incident.seal import CLOCK, KEY_ENV, SEAL, AuditKey, SealOrder, audit_key, fixed_clock_allowed, seal_data

__all__ = ["Break", "ChainCheck", "append_event", "check_chain", "find_downgrades", "find_event", "list_events", "verify_chain"]


def append_event(session: Session, incident: Incident, at: datetime, actor: str, recorded: TimelineEvent) -> Event:
    """Add one event at the end of the incident's chain, in the caller's transaction, keyed with the audit key of the
    environment if there is one. Raises RefusedError for an event dated before the last one (a clock set back, or a
    backdating attempt), or for a keyed chain this process has no key to extend; ContentError for a bad key."""
    if incident.event_count and at < incident.updated_at:
        raise RefusedError(f"{incident.ref}'s last event is at {incident.updated_at.isoformat(timespec='seconds')}, after "
                           f"{at.isoformat(timespec='seconds')}: a timeline never goes back in time",
                           hint="check the clock of this machine (and CRISIS_NOW, which only rehearsals and tests set)")
    if "crisis.audit_key" not in session.info:  # read once per transaction (a key file is not read per event)
        session.info["crisis.audit_key"] = audit_key()
    key = session.info["crisis.audit_key"]
    if key is None and _database_is_keyed(session):
        raise RefusedError("the timelines of this database are keyed, and this process has no audit key to extend them",
                           hint=f"set {KEY_ENV} (or {KEY_ENV}_FILE) here as on the machines that wrote them")
    data = seal_data(recorded.data(), key, fixed_clock=fixed_clock_allowed(), by=session.info.get("crisis.acting_by"))
    seq = incident.event_count + 1
    prev = incident.head_hash if incident.event_count else GENESIS
    event = Event(incident_id=incident.id, seq=seq, at=at, actor=actor, kind=recorded.kind, data=data, prev_hash=prev,
                  hash=event_hash(prev, incident.ref, seq, at, actor, recorded.kind, data, key=key.secret if key else None))
    session.add(event)
    incident.event_count = seq
    incident.head_hash = event.hash
    incident.updated_at = at
    return event


def _database_is_keyed(session: Session) -> bool:
    """Whether the last event written in the database is keyed: then every event after it must be (so a plain event
    written after the first keyed one is a downgrade, whichever timeline it is in)."""
    if "crisis.keyed" not in session.info:  # our own writes in this transaction are plain: asked once
        with session.no_autoflush:
            last = session.scalar(select(Event.data).order_by(Event.id.desc()).limit(1))
        session.info["crisis.keyed"] = last is not None and SEAL in last
    return session.info["crisis.keyed"]


def list_events(session: Session, incident: Incident, *, last: int | None = None) -> list[Event]:
    query = select(Event).where(Event.incident_id == incident.id).order_by(Event.seq.desc() if last else Event.seq)
    if last:
        return list(reversed(session.scalars(query.limit(last)).all()))
    return list(session.scalars(query))


def find_event(session: Session, incident: Incident, seq: int) -> Event | None:
    """Event #`seq` of the incident's timeline, or None."""
    return session.scalar(select(Event).where(Event.incident_id == incident.id, Event.seq == seq))


@dataclass
class ChainCheck:
    """What checking one chain found: its first break, and the events it could not check (keyed with a key not given)."""

    ref: str
    events: int = 0
    keyed: int = 0
    unchecked: int = 0
    fixed_clock: int = 0
    first_keyed: int | None = None  # the row id of its first keyed event
    last_plain: tuple[int, int] | None = None  # (row id, seq) of its last plain event
    first_current: int | None = None  # the row id of its first event sealed with the current key (after a rotation)
    last_retired: tuple[int, int] | None = None  # (row id, seq) of its last event sealed with a retired key
    broken: Break | None = None


def check_chain(session: Session, incident: Incident, *, key: AuditKey | None, timeline: list[Event] | None = None) -> ChainCheck:
    """Walk the incident's chain (its `timeline` if already read): each link, each hash (each HMAC when `key`, or one
    of the keys it retired, sealed the event), the head the incident records. A plain event after a keyed one is a chain
    recomputed without the key."""
    check, prev, expected, keyed_at, order = ChainCheck(incident.ref), GENESIS, 1, None, SealOrder(key)
    for event in list_events(session, incident) if timeline is None else timeline:
        check.events += 1
        check.fixed_clock += CLOCK in event.data
        if event.seq != expected:
            check.broken = Break(incident.ref, expected, f"missing (the next event is #{event.seq}): an event was deleted")
            return check
        if event.prev_hash != prev:
            check.broken = Break(incident.ref, event.seq, "does not follow the event before it: an event was replaced or reordered")
            return check
        seal = event.data.get(SEAL)
        if seal is None and keyed_at is not None:
            check.broken = Break(incident.ref, event.seq, f"is not keyed though event #{keyed_at} before it is: the chain was "
                                                          "recomputed without the audit key")
            return check
        if seal is not None:
            check.keyed, keyed_at = check.keyed + 1, keyed_at or event.seq
            check.first_keyed = check.first_keyed or event.id
        else:
            check.last_plain = (event.id, event.seq)
        if order.late(seal):
            check.broken = Break(incident.ref, event.seq, "is sealed with a key retired before the one of an event before it: "
                                                          "it was written with an old audit key after the rotation")
            return check
        age = key.age(seal) if key is not None else None
        if age == 0:
            check.first_current = check.first_current or event.id
        elif age is not None:
            check.last_retired = (event.id, event.seq)
        secret = key.secret_for(seal) if key is not None else None
        if seal is not None and secret is None:
            check.unchecked += 1
        elif event_hash(prev, incident.ref, event.seq, event.at, event.actor, event.kind, event.data, key=secret) != event.hash:
            check.broken = Break(incident.ref, event.seq, f"its content does not match its hash: the {event.kind} event at "
                                                          f"{event.at.isoformat(timespec='seconds')} was edited")
            return check
        prev, expected = event.hash, expected + 1
    if expected - 1 != incident.event_count or (incident.event_count and prev != incident.head_hash):
        check.broken = Break(incident.ref, expected, f"missing: the incident records {incident.event_count} events and the "
                                                     f"chain ends at #{expected - 1}: the last events were deleted")
    return check


def find_downgrades(checks: list[ChainCheck]) -> list[Break]:
    """The timelines holding a plain event written after the database's first keyed event (crisis never writes one, see
    `append_event`: the timeline was recomputed without the key), or an event sealed with a retired key written after
    the database's first event sealed with the current one (a key kept by someone after the rotation)."""
    first = min((c.first_keyed for c in checks if c.first_keyed is not None), default=None)
    rotated = min((c.first_current for c in checks if c.first_current is not None), default=None)
    found = [Break(c.ref, c.last_plain[1], "is not keyed though it was written after the first keyed event of the database: "
                                           "the timeline was recomputed without the audit key")
             for c in checks if first is not None and c.last_plain is not None and c.last_plain[0] > first and c.broken is None]
    found += [Break(c.ref, c.last_retired[1], "is sealed with a retired audit key though it was written after the database's "
                                              "first event sealed with the current one: an old key was used after the rotation")
              for c in checks if rotated is not None and c.last_retired is not None and c.last_retired[0] > rotated and c.broken is None]
    return found


def verify_chain(session: Session, incident: Incident, *, key: AuditKey | None = None) -> Break | None:
    """The first place the incident's timeline breaks (its chain, or a row its replay contradicts), or None. Keyed
    events are checked with `key` (else they are only linked, not checked: see `check_chain` to count them)."""
    from crisis.incident.replay import replay_incident

    return check_chain(session, incident, key=key).broken or replay_incident(session, incident)
