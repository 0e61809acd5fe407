"""Replaying a timeline against the incident's rows: its state, severity, escalation level, facts and deadlines
must be what its events say. A difference is a change made in the database without an event, which the hash
chain alone cannot see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from crisis.incident import events
from crisis.incident.chain import Break
from crisis.incident.deadlines import duration_for
from crisis.incident.models import Deadline, Event, Incident
from crisis.playbook.model import Playbook


@dataclass
class ToldDeadline:
    """A deadline as the timeline tells it."""

    name: str
    armed_at: datetime
    due_at: datetime
    status: str = "armed"
    rule: str | None = None  # the limitation rule a limitation deadline was armed for


def replay_incident(session: Session, incident: Incident, *, timeline: list[Event] | None = None) -> Break | None:
    """The first thing the incident's rows say that its `timeline` (read if not given) does not, or None."""
    from crisis.incident.service import pinned_playbook
    from crisis.incident.timeline import list_events

    timeline = list_events(session, incident) if timeline is None else timeline
    return replay_state(incident, timeline) or replay_deadlines(incident, timeline, pinned_playbook(session, incident))


def replay_state(incident: Incident, timeline: list[Event]) -> Break | None:
    """State, severity, escalation level and facts, replayed event by event."""
    told: dict[str, object] = {}
    facts: dict[str, object] = {}
    for event in timeline:
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
            return _changed(incident, f"the incident's {key} is {row[key]!r} but its timeline ends at {value!r}")
    stored = {f.fact_id: f.value for f in incident.facts}
    if stored != facts:
        fact = sorted(k for k in {*stored, *facts} if stored.get(k) != facts.get(k))[0]
        return _changed(incident, f"fact {fact} is {stored.get(fact)!r} in the incident but {facts.get(fact)!r} on its timeline")
    return None


def replay_deadlines(incident: Incident, timeline: list[Event], playbook: Playbook) -> Break | None:
    """Each deadline armed, moved, met, breached or cancelled by the events, against the incident's deadline rows."""
    told: list[ToldDeadline] = []
    last_fact = None
    for event in timeline:
        match event.typed():
            case events.Opened(deadlines_armed=armed) | events.Transition(deadlines_armed=armed) as typed:
                if isinstance(typed, events.Transition):
                    _settle(told, typed.deadlines_met, "met")
                    _settle(told, typed.deadlines_cancelled, "cancelled")
                told += [ToldDeadline(a["deadline"], event.at, datetime.fromisoformat(a["due_at"])) for a in armed]
            case events.SeverityChanged(to=severity):
                for deadline in _armed(told):
                    delta = duration_for(playbook, _as_row(deadline), severity)
                    if delta is not None:
                        deadline.due_at = deadline.armed_at + delta
            case events.FactSet(fact=fact):
                last_fact = fact
            case events.DeadlineArmed(deadlines_armed=armed):
                rules = [rule.id for rule in playbook.limitations if rule.from_fact == last_fact]
                rules = rules if len(rules) == len(armed) else [None] * len(armed)
                for deadline in _armed(told):
                    if deadline.name == "limitation" and (deadline.rule in rules or None in rules):
                        deadline.status = "cancelled"
                told += [ToldDeadline(a["deadline"], event.at, datetime.fromisoformat(a["due_at"]), rule=rule)
                         for a, rule in zip(armed, rules)]
            case events.DeadlineBreached(deadline=name):
                _settle(told, [name], "breached")
            case events.LimitationWarning(due_at=due_at):
                hit = next((d for d in _armed(told) if d.name == "limitation" and d.due_at == due_at), None)
                if hit is not None:
                    hit.status = "breached"
            case events.ReplyPublished(deadlines_met=met):
                _settle(told, met, "met")
    rows = list(incident.deadlines)
    if len(rows) != len(told):
        return _changed(incident, f"the incident has {len(rows)} deadline(s) but its timeline arms {len(told)}: a deadline was "
                                  "added or deleted")
    for row, deadline in zip(rows, told):
        for what, stored, replayed in (("name", row.name, deadline.name), ("status", row.status, deadline.status),
                                       ("due time", _iso(row.due_at), _iso(deadline.due_at))):
            if stored != replayed:
                return _changed(incident, f"deadline {deadline.name}'s {what} is {stored!r} in the incident but {replayed!r} "
                                          "on its timeline")
    return None


def _settle(told: list[ToldDeadline], names: list[str], status: str) -> None:
    for name in names:
        hit = next((d for d in _armed(told) if d.name == name), None)
        if hit is not None:
            hit.status = status


def _armed(told: list[ToldDeadline]) -> list[ToldDeadline]:
    return [d for d in told if d.status == "armed"]


def _as_row(deadline: ToldDeadline) -> Deadline:
    kind, _, step = deadline.name.partition(" ")
    return Deadline(kind=kind, step_id=step or deadline.rule)


def _iso(instant: Any) -> str:
    return instant.isoformat(timespec="seconds") if isinstance(instant, datetime) else repr(instant)


def _changed(incident: Incident, what: str) -> Break:
    return Break(incident.ref, incident.event_count, f"{what}: it was changed without an event")
