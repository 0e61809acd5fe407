"""On-call use cases: paging an incident's escalation policy, walking it on tick, acknowledging it,
and delivering the outbox through notifiers.

Like every service, these take `(session, clock, …)` and never commit: a page is written in the
transaction of its cause, and a delivery's outcome in the deliverer's transaction.
"""

from __future__ import annotations

import hashlib

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisis.clock import Clock
from crisis.errors import RefusedError
from crisis.incident.models import Incident
from crisis.incident.service import QUIET_STATES, get_incident, pinned_playbook
from crisis.incident import events
from crisis.incident.permissions import authorize
from crisis.incident.timeline import append_event
from crisis.outbox import queue as outbox
from crisis.oncall.messages import Page, page_message
from crisis.oncall.models import Paging, RosterLoad
from crisis.oncall.policy import EscalationPolicy
from crisis.oncall.roster import Person, Roster

PAGER = "oncall"
UNSTARTED_STATES = ("detected", "triage")  # acknowledged, but nobody responds yet: an ack timeout re-pages


@dataclass(frozen=True)
class Paged:
    """One level of a policy paged for an incident."""

    ref: str
    policy: str
    level: int  # 1 for the first level
    round: int  # 1 for the first pass
    people: tuple[str, ...]
    cause: str


def page(session: Session, now: datetime, incident: Incident, roster: Roster, *, cause: str, advance: bool = False,
         actor: str = PAGER) -> Paged | None:
    """Page the policy serving the incident's playbook and severity, in the caller's transaction.

    Without an active paging of that policy, a new one pages its first level (a paging of another
    policy is superseded). With one, the level paged last is paged again with the new cause, or,
    when `advance` (an escalation, a breached deadline), the next level is paged now. None if no
    route serves the incident."""
    if incident.state in QUIET_STATES:
        return None
    policy = roster.policy_for(incident.playbook_id, incident.severity, incident.level)
    if policy is None:
        return None
    paging = active_paging(session, incident)
    if paging is not None and paging.policy_id != policy.id:
        _close(session, now, incident, paging, "superseded", actor,
               f"{incident.severity} at level {incident.level} is served by policy {policy.id}")
        paging = None
    if paging is None:
        paging = Paging(incident_id=incident.id, policy_id=policy.id, cause=cause, level=0, round=0, status="active", started_at=now)
        session.add(paging)
        session.flush()
        return _page_level(session, now, incident, roster, policy, paging, cause=cause, actor=actor)
    following = policy.after(paging.level, paging.round) if advance else None
    if following is None:  # the same level again, with the news; its schedule stands
        return _page_level(session, now, incident, roster, policy, paging, cause=cause, actor=actor, due_at=paging.next_at,
                           delay=timedelta(0))
    paging.level, paging.round = following
    return _page_level(session, now, incident, roster, policy, paging, cause=cause, actor=actor)


def active_paging(session: Session, incident: Incident) -> Paging | None:
    return session.scalar(select(Paging).where(Paging.incident_id == incident.id, Paging.status == "active").order_by(Paging.id.desc()))


def _page_level(session: Session, now: datetime, incident: Incident, roster: Roster, policy: EscalationPolicy, paging: Paging,
                *, cause: str, actor: str, due_at: datetime | None = None, delay: timedelta | None = None) -> Paged:
    """Page every target of the paging's current level; the next level is due `delay` (the level's own
    by default) after `due_at` (now by default)."""
    level = policy.levels[paging.level]
    people = roster.targets_people(level.targets, now)
    paging.next_at = (due_at or now) + (timedelta(minutes=level.delay_minutes) if delay is None else delay)
    last = policy.after(paging.level, paging.round) is None
    event = append_event(session, incident, now, actor, events.Paged(
        policy=policy.id, level=paging.level + 1, of=len(policy.levels), round=paging.round + 1, rounds=policy.repeat + 1,
        cause=cause, targets=[str(t) for t in level.targets],
        people=[{"person": p.id, "channels": [channel for channel, _ in p.contacts()]} for p in people],
        next_level_at=None if last else paging.next_at))
    for person in people:
        subject, body = page_message(_page(incident, policy, paging, person, cause, None if last else paging.next_at))
        for channel, address in person.contacts():
            outbox.enqueue(session, now, kind="page", channel=channel, target=address, subject=subject, body=body,
                           idempotency_key=f"page:{incident.ref}:{event.hash[:16]}:{person.id}:{channel}",
                           payload={"incident": incident.ref, "severity": incident.severity, "person": person.id,
                                    "policy": policy.id, "level": paging.level + 1},
                           incident_id=incident.id, is_drill=incident.is_drill, person_id=person.id)
    return Paged(incident.ref, policy.id, paging.level + 1, paging.round + 1, tuple(p.id for p in people), cause)


def _page(incident: Incident, policy: EscalationPolicy, paging: Paging, person: Person, cause: str, next_at: datetime | None) -> Page:
    return Page(ref=incident.ref, title=incident.title, playbook=incident.playbook_id, severity=incident.severity, state=incident.state,
                cause=cause, level=paging.level + 1, levels=len(policy.levels), round=paging.round + 1, rounds=policy.repeat + 1,
                person=person.name, is_drill=incident.is_drill, lang=incident.lang, next_level_at=next_at, timezone=person.timezone)


def escalate_pagings(session: Session, clock: Clock, roster: Roster | None, *, actor: str = PAGER) -> list[Paged]:
    """Page the next level of every paging nobody acknowledged in time, at most once per level and
    round; after the last level of the last round the paging is exhausted. Safe to run often."""
    now = clock.now()
    due = session.scalars(select(Paging).where(Paging.status.in_(("active", "acknowledged")), Paging.next_at <= now)
                          .order_by(Paging.next_at, Paging.id)).all()
    paged = []
    for paging in due:
        incident = session.get(Incident, paging.incident_id)
        assert incident is not None, "foreign key guarantees the incident"
        policy = roster.find_policy(paging.policy_id) if roster else None
        if paging.status == "acknowledged":
            paging.next_at = None
            if policy is not None and incident.state in UNSTARTED_STATES and active_paging(session, incident) is None:
                paging.status = "active"
                cause = (f"acknowledged by {paging.closed_by} {policy.ack_timeout_minutes} min ago, "
                         f"but the response has not started (state {incident.state})")
                paging.closed_at = paging.closed_by = None
                paged.append(_page_level(session, now, incident, roster, policy, paging, cause=cause, actor=actor))  # type: ignore[arg-type]
            continue
        if incident.state in QUIET_STATES or policy is None:
            why = f"incident {incident.state}" if incident.state in QUIET_STATES else f"policy {paging.policy_id} is no longer in the roster"
            _close(session, now, incident, paging, "stopped", actor, why)
            continue
        while paging.status == "active" and paging.next_at is not None and paging.next_at <= now:
            due_at, delay = paging.next_at, policy.levels[paging.level].delay_minutes
            following = policy.after(paging.level, paging.round)
            if following is None:
                _close(session, now, incident, paging, "exhausted", actor,
                       f"nobody acknowledged after {policy.repeat + 1} pass(es) of every level of policy {policy.id}")
                break
            cause = f"nobody acknowledged level {paging.level + 1} within {delay} min"
            paging.level, paging.round = following
            assert roster is not None
            paged.append(_page_level(session, now, incident, roster, policy, paging, cause=cause, actor=actor, due_at=due_at))
    return paged


def acknowledge(session: Session, clock: Clock, actor: str, incident: Incident, *, roster: Roster | None = None,
                required: bool = True) -> list[Paging]:
    """Stop the incident's active paging: someone has it. Raises RefusedError when nothing is paging
    and `required` (the lifecycle's own acknowledge passes required=False)."""
    now = clock.now()
    pagings = list(session.scalars(select(Paging).where(Paging.incident_id == incident.id, Paging.status == "active")))
    if not pagings and required:
        raise RefusedError(f"{incident.ref} has no page waiting for an acknowledgement",
                           hint=f"run `crisis oncall outbox --ref {incident.ref}` to see who was paged")
    person = roster.find_person(actor) if roster else None
    for paging in pagings:
        _close(session, now, incident, paging, "acknowledged", actor, f"acknowledged by {person.name if person else actor}")
        policy = roster.find_policy(paging.policy_id) if roster else None
        if policy is not None and policy.ack_timeout_minutes:
            paging.next_at = now + timedelta(minutes=policy.ack_timeout_minutes)  # re-paged by tick if still unstarted then
    return pagings


def acknowledge_page(session: Session, clock: Clock, actor: str, ref: str, *, roster: Roster | None = None) -> tuple[Incident, list[Paging]]:
    """Acknowledge the incident's page, whatever its state: its escalation stops. Raises NotFoundError,
    RefusedError when nothing is paging or the roster does not let `actor` acknowledge."""
    incident = get_incident(session, ref)
    authorize(roster, pinned_playbook(session, incident), actor=actor, action="acknowledge", severity=incident.severity, ref=incident.ref)
    return incident, acknowledge(session, clock, actor, incident, roster=roster)


def stop_paging(session: Session, clock: Clock, actor: str, incident: Incident, *, why: str) -> None:
    """Stop the incident's active paging without an acknowledgement (the incident was resolved, dismissed…)."""
    for paging in session.scalars(select(Paging).where(Paging.incident_id == incident.id, Paging.status == "active")):
        _close(session, clock.now(), incident, paging, "stopped", actor, why)


def _close(session: Session, now: datetime, incident: Incident, paging: Paging, status: str, actor: str, why: str) -> None:
    paging.status, paging.closed_at, paging.closed_by, paging.next_at = status, now, actor, None
    if status in ("acknowledged", "stopped"):  # someone has it, or nobody needs it: the pages still queued would only wake people
        outbox.cancel_pending(session, incident_id=incident.id, kind="page", why=f"paging {status}: {why}")
    append_event(session, incident, now, actor, events.PAGING_CLOSED[status](policy=paging.policy_id, level=paging.level + 1,
                                                                            round=paging.round + 1, why=why))


def list_pagings(session: Session, incident: Incident) -> list[Paging]:
    return list(session.scalars(select(Paging).where(Paging.incident_id == incident.id).order_by(Paging.id)))


def remember_roster(session: Session, now: datetime, actor: str, path: str, text: str, *, error: str | None = None) -> RosterLoad:
    """Record the roster text a command read (once per distinct text): applied, or broken with its error."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    status = "broken" if error else "applied"
    known = session.scalar(select(RosterLoad).where(RosterLoad.sha256 == digest, RosterLoad.status == status).limit(1))
    if known is None:
        known = RosterLoad(sha256=digest, status=status, text=text, error=error, path=path, first_seen_at=now, first_seen_by=actor)
        session.add(known)
    return known


def roster_broken_since(session: Session, problem: Exception) -> datetime | None:
    """When `tick` first saw the roster broken as it is now (None if no tick has seen it yet)."""
    return session.scalar(select(func.min(RosterLoad.first_seen_at)).where(RosterLoad.status == "broken",
                                                                           RosterLoad.id > _last_applied_id(session)))


def _last_applied_id(session: Session) -> int:
    return session.scalar(select(func.max(RosterLoad.id)).where(RosterLoad.status == "applied")) or 0


def last_applied_roster(session: Session) -> RosterLoad | None:
    """The last roster that loaded: it governs paging while the file is broken."""
    return session.scalar(select(RosterLoad).where(RosterLoad.status == "applied").order_by(RosterLoad.id.desc()).limit(1))
