"""Incident use cases: the one way to change an incident.

Each function takes `(session, clock, actor, …)`, applies the lifecycle, appends timeline events
and arms or settles deadlines in the caller's transaction. None of them commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crisis.clock import Clock
from crisis.errors import ConflictError, NotFoundError, RefusedError, UsageError
from crisis.incident import deadlines, events, lifecycle
from crisis.incident.models import ChecklistMark, Deadline, FactAnswer, FollowUpRow, Incident, PlaybookVersion, Review
from crisis.incident.news import IncidentAcknowledged, IncidentOpened, IncidentQuieted, IncidentWorsened, announce
from crisis.incident.permissions import Roster, authorize
from crisis.incident.rules import ACTIONS, FollowUp
from crisis.incident.reading import allowed_actions, get_incident, list_incidents, pinned_playbook, situation
from crisis.incident.timeline import append_event
from crisis.playbook.loader import parse_fact_value
from crisis.playbook.model import SEVERITIES, Playbook, severity_rank

__all__ = [  # the reads of crisis.incident.reading, re-exported, then the use cases
    "allowed_actions", "get_incident", "list_incidents", "pinned_playbook", "situation", "QUIET_STATES", "Breach",
    "open_incident", "fire", "escalate", "set_severity", "raise_severity", "attach_mentions", "record_signals", "set_fact",
    "check_item", "record_review", "tick"]

QUIET_STATES = ("resolved", "closed", "dismissed")  # an incident in these states needs nobody paged



def _check_actor(actor: str) -> str:
    if not actor or not actor.strip():
        raise UsageError("every change names its actor", hint="pass --as NAME or set CRISIS_USER")
    return actor.strip()


def open_incident(session: Session, clock: Clock, actor: str, playbook: Playbook, *, title: str, severity: str | None = None,
                  channel: str | None = None, brand: str | None = None, lang: str = "en", is_drill: bool = False,
                  signals: dict[str, Any] | None = None, roster: Roster | None = None) -> Incident:
    """Open an incident in state `detected`, pinned to this playbook version, its deadlines armed, and
    announce it (paging reacts). With a `roster`, only the people on it may open one (triage and
    the spike detector open without). Raises UsageError, RefusedError."""
    actor, now = _check_actor(actor), clock.now()
    authorize(roster, playbook, actor=actor, action="open", severity=severity or playbook.default_severity, ref="a new incident")
    if not title.strip():
        raise UsageError("an incident needs a title that says what is happening")
    if severity is not None and severity not in SEVERITIES:
        raise UsageError(f"unknown severity {severity!r}", hint=f"use one of: {', '.join(SEVERITIES)}")
    if session.get(PlaybookVersion, playbook.version) is None:
        try:
            with session.begin_nested():  # another responder may pin the same version at the same moment
                session.add(PlaybookVersion(version=playbook.version, playbook_id=playbook.id, path=playbook.path,
                                            source=playbook.source, first_used_at=now))
        except IntegrityError:
            pass
    signals = dict(signals or {})
    assessed = playbook.evaluate_severity(signals)
    incident = Incident(playbook_id=playbook.id, playbook_version=playbook.version, title=title.strip(),
                        brand=brand, channel=channel, lang=lang, severity=severity or assessed, state="detected",
                        level=playbook.level_for(severity or assessed), signals=signals, is_drill=is_drill,
                        opened_by=actor, opened_at=now, updated_at=now, head_hash="")
    _number(session, incident)
    armed = deadlines.arm_on_entry(incident, playbook, "detected", now)
    append_event(session, incident, now, actor, events.Opened(
        playbook=playbook.id, version=playbook.version, title=incident.title, severity=incident.severity,
        severity_why="set by the responder" if severity else _severity_why(playbook, signals, assessed),
        level=incident.level, brand=brand, channel=channel, is_drill=is_drill, deadlines_armed=_describe(armed)))
    announce(session, IncidentOpened(incident.id, f"incident opened at {incident.severity}"))
    return incident


def _number(session: Session, incident: Incident, *, tries: int = 20) -> None:
    """Give the incident the next reference and flush it. Two responders opening at once both succeed: the
    second insert of a number is undone in its savepoint and the next number taken."""
    for _ in range(tries):
        incident.number = (session.scalar(select(func.max(Incident.number))) or 0) + 1
        try:
            with session.begin_nested():
                session.add(incident)
                session.flush()
            return
        except IntegrityError:
            session.expunge(incident) if incident in session else None
    raise ConflictError("could not give the incident a reference: too many incidents are being opened at once",
                        hint="run the same command again")


def fire(session: Session, clock: Clock, actor: str, ref: str, trigger: str, *, note: str | None = None,
         roster: Roster | None = None) -> Incident:
    """Fire a lifecycle trigger. Raises RefusedError with the reason and the actions allowed now, or
    when the roster does not let `actor` do it."""
    if trigger == "escalate":
        return escalate(session, clock, actor, ref, why=note or "escalated by the responder", roster=roster)
    actor, now = _check_actor(actor), clock.now()
    incident = get_incident(session, ref)
    playbook = pinned_playbook(session, incident)
    authorize(roster, playbook, actor=actor, action=trigger, severity=incident.severity, ref=incident.ref)
    old, old_level = incident.state, incident.level
    new = lifecycle.fire(playbook, old, trigger, situation(incident, playbook))
    incident.state = new
    outcome = deadlines.settle_on_exit(incident, playbook, old, new, now)
    armed = deadlines.arm_on_entry(incident, playbook, new, now)
    append_event(session, incident, now, actor, events.Transition(
        trigger=trigger, from_=old, to=new, note=note, deadlines_met=outcome.get("met", []),
        deadlines_cancelled=outcome.get("cancelled", []), deadlines_armed=_describe(armed)))
    entered = playbook.find_step(new.split(".", 1)[1]) if new.startswith("responding.") else None
    for action in entered.on_enter if entered else ():
        for effect in ACTIONS[action](situation(incident, playbook), entered):
            if playbook.level_rank(effect.level) > playbook.level_rank(incident.level):
                _raise_level(session, now, actor, incident, effect.level, effect.why)
    if trigger == "acknowledge":
        announce(session, IncidentAcknowledged(incident.id, actor))
    if new in QUIET_STATES:
        announce(session, IncidentQuieted(incident.id, actor, new))
    elif incident.level != old_level:
        announce(session, IncidentWorsened(incident.id, f"escalated to {incident.level}", advance=True))
    return incident


def escalate(session: Session, clock: Clock, actor: str, ref: str, *, why: str, to_level: str | None = None,
             roster: Roster | None = None) -> Incident:
    """Raise the escalation level by one, or to `to_level`, and page. Refused at the top or on a closed incident."""
    actor, now = _check_actor(actor), clock.now()
    incident = get_incident(session, ref)
    playbook = pinned_playbook(session, incident)
    authorize(roster, playbook, actor=actor, action="escalate", severity=incident.severity, ref=incident.ref)
    lifecycle.fire(playbook, incident.state, "escalate", situation(incident, playbook))
    levels = playbook.escalation_levels
    target = to_level or levels[playbook.level_rank(incident.level) + 1]
    if target not in levels:
        raise UsageError(f"unknown escalation level {target!r}", hint=f"levels of {playbook.id}: {', '.join(levels)}")
    if playbook.level_rank(target) <= playbook.level_rank(incident.level):
        where = f"is at {incident.level}, above {target}" if target != incident.level else f"is already at {incident.level}"
        raise RefusedError(f"{incident.ref} {where}: escalation only goes up (to calm things, lower the severity with a reason)",
                           allowed=tuple(lifecycle.allowed(playbook, incident.state, situation(incident, playbook))))
    _raise_level(session, now, actor, incident, target, why)
    announce(session, IncidentWorsened(incident.id, f"escalated to {target}: {why}", advance=True))
    return incident


def _raise_level(session: Session, now: datetime, actor: str, incident: Incident, level: str, why: str) -> None:
    append_event(session, incident, now, actor, events.Escalated(from_=incident.level, to=level, why=why))
    incident.level = level


def set_severity(session: Session, clock: Clock, actor: str, ref: str, severity: str, *, why: str,
                 roster: Roster | None = None) -> Incident:
    """Change the severity; going up convenes the level the playbook names for it."""
    actor, now = _check_actor(actor), clock.now()
    if severity not in SEVERITIES:
        raise UsageError(f"unknown severity {severity!r}", hint=f"use one of: {', '.join(SEVERITIES)}")
    if not why.strip():
        raise UsageError("a severity change needs its reason (--why)")
    incident = get_incident(session, ref)
    _refuse_if_final(incident, "change its severity")
    playbook = pinned_playbook(session, incident)
    authorize(roster, playbook, actor=actor, action="severity", severity=incident.severity, ref=incident.ref)
    if severity == incident.severity:
        raise RefusedError(f"{incident.ref} is already {severity}")
    rose = severity_rank(severity) < severity_rank(incident.severity)
    if not rose:  # lowering is half-way to dismissing: it needs the roles dismissing needs at the old severity
        authorize(roster, playbook, actor=actor, action="dismiss", severity=incident.severity, ref=incident.ref)
    _change_severity(session, now, actor, incident, pinned_playbook(session, incident), severity, why)
    if rose:
        announce(session, IncidentWorsened(incident.id, f"severity rose to {severity}: {why}"))
    return incident


def raise_severity(session: Session, clock: Clock, actor: str, ref: str, *, why: str) -> Incident:
    """Raise the severity one level on measured evidence (a volume spike), convening the level it names.

    Like `record_signals`, no role is needed: the stream decides, not a person. Does nothing at SEV1.
    Raises NotFoundError, RefusedError (a closed incident).
    """
    actor, now = _check_actor(actor), clock.now()
    incident = get_incident(session, ref)
    _refuse_if_final(incident, "change its severity")
    rank = severity_rank(incident.severity)
    if rank > 0:
        severity = SEVERITIES[rank - 1]
        _change_severity(session, now, actor, incident, pinned_playbook(session, incident), severity, why)
        announce(session, IncidentWorsened(incident.id, f"severity rose to {severity}: {why}"))
    return incident


def _change_severity(session: Session, now: datetime, actor: str, incident: Incident, playbook: Playbook, severity: str, why: str) -> None:
    old = incident.severity
    incident.severity = severity
    moved = deadlines.reschedule(incident, playbook, severity)
    append_event(session, incident, now, actor, events.SeverityChanged(from_=old, to=severity, why=why, deadlines_moved=moved))
    wanted = playbook.level_for(severity)
    if severity_rank(severity) < severity_rank(old) and playbook.level_rank(wanted) > playbook.level_rank(incident.level):
        _raise_level(session, now, actor, incident, wanted, f"severity rose to {severity}")


def attach_mentions(session: Session, clock: Clock, actor: str, ref: str, mentions: list[dict[str, Any]]) -> Incident:
    """Record on the timeline the mentions triage attached to the incident, each with why it belongs.

    Each mention is a dict such as {"mention": "x:123", "clause": "query.fr#2", "words": ..., "score": ..., "why": ...}.
    Raises NotFoundError.
    """
    actor, now = _check_actor(actor), clock.now()
    incident = get_incident(session, ref)
    append_event(session, incident, now, actor, events.MentionsAttached(count=len(mentions), mentions=mentions))
    return incident


def record_signals(session: Session, clock: Clock, actor: str, ref: str, signals: dict[str, Any], *, why: str) -> Incident:
    """Record measured signals (mentions_per_hour, author_followers, own_account_post, press_pickup, rating,
    platforms…) and re-run the severity rules: a rise changes the severity and escalates, each with its reason.

    Only the signals that changed are written (one `signals_recorded` event). Raises NotFoundError, RefusedError.
    """
    actor, now = _check_actor(actor), clock.now()
    incident = get_incident(session, ref)
    _refuse_if_final(incident, "record signals")
    changed = {key: value for key, value in signals.items() if incident.signals.get(key) != value}
    if not changed:
        return incident
    previous = {key: incident.signals.get(key) for key in changed}
    incident.signals = {**incident.signals, **changed}  # a new dict: the JSON column sees the change
    append_event(session, incident, now, actor, events.SignalsRecorded(signals=changed, previous=previous, why=why))
    _reassess(session, now, actor, incident, pinned_playbook(session, incident))
    return incident


def _reassess(session: Session, now: datetime, actor: str, incident: Incident, playbook: Playbook) -> None:
    """Re-run the severity rules on what is known now: a rise changes the severity, escalates and pages; never lowers it."""
    values = situation(incident, playbook).values()
    assessed = playbook.evaluate_severity(values)
    if severity_rank(assessed) < severity_rank(incident.severity):
        _change_severity(session, now, actor, incident, playbook, assessed, _severity_why(playbook, values, assessed))
        announce(session, IncidentWorsened(incident.id, f"severity rose to {assessed}"))


def set_fact(session: Session, clock: Clock, actor: str, ref: str, fact_id: str, raw: str, *, roster: Roster | None = None,
             timezone: str = "UTC") -> Incident:
    """Record a triage answer; re-evaluate the severity rules (a rise escalates and pages). A legal limitation
    counted from a date fact starts at that day's midnight in `timezone` (the workspace's)."""
    actor, now = _check_actor(actor), clock.now()
    incident = get_incident(session, ref)
    _refuse_if_final(incident, "change its facts")
    playbook = pinned_playbook(session, incident)
    authorize(roster, playbook, actor=actor, action="fact", severity=incident.severity, ref=incident.ref)
    fact = playbook.find_fact(fact_id)
    if fact is None:
        raise NotFoundError(f"playbook {playbook.id} asks no fact {fact_id!r}",
                            hint=f"facts: {', '.join(f.id for f in playbook.facts) or 'none'}")
    try:
        value = parse_fact_value(fact, raw)
    except ValueError as exc:
        raise UsageError(f"fact {fact_id}: {raw!r}: {exc}") from None
    answer = next((f for f in incident.facts if f.fact_id == fact_id), None)
    previous = answer.value if answer else None
    if answer is None:
        incident.facts.append(FactAnswer(fact_id=fact_id, value=value, set_by=actor, set_at=now))
    else:
        answer.value, answer.set_by, answer.set_at = value, actor, now
    append_event(session, incident, now, actor, events.FactSet(fact=fact_id, value=value, previous=previous))
    if any(rule.from_fact == fact_id for rule in playbook.limitations):
        limits = deadlines.arm_limitations(incident, playbook, fact_id, value, now, tz=timezone)
        append_event(session, incident, now, actor, events.DeadlineArmed(deadlines_armed=_describe(limits)))
    _reassess(session, now, actor, incident, playbook)
    return incident


def check_item(session: Session, clock: Clock, actor: str, ref: str, item_id: str, *, undo: bool = False,
               roster: Roster | None = None) -> Incident:
    """Tick (or untick) an item of the current step's checklist."""
    actor, now = _check_actor(actor), clock.now()
    incident = get_incident(session, ref)
    playbook = pinned_playbook(session, incident)
    authorize(roster, playbook, actor=actor, action="check", severity=incident.severity, ref=incident.ref)
    if not incident.state.startswith("responding."):
        raise RefusedError(f"{incident.ref} is in state {incident.state}: checklists belong to the response steps",
                           allowed=tuple(allowed_actions(session, incident)))
    step = playbook.step(incident.state.split(".", 1)[1])
    if item_id not in {item.id for item in step.checklist}:
        owner = next((s.id for s in playbook.steps for i in s.checklist if i.id == item_id), None)
        problem = f"belongs to step {owner}, not the current step {step.id}" if owner else f"is not an item of playbook {playbook.id}"
        raise NotFoundError(f"checklist item {item_id!r} {problem}",
                            hint=f"items of {step.id}: {', '.join(i.id for i in step.checklist) or 'none'}")
    mark = next((m for m in incident.marks if (m.step_id, m.item_id) == (step.id, item_id)), None)
    if undo == (mark is None):
        raise RefusedError(f"{item_id} is {'not ticked' if undo else 'already ticked'} on {incident.ref}")
    if undo:
        incident.marks.remove(mark)  # type: ignore[arg-type]
    else:
        incident.marks.append(ChecklistMark(step_id=step.id, item_id=item_id, done_by=actor, done_at=now))
    append_event(session, incident, now, actor, (events.Unchecked if undo else events.Checked)(step=step.id, item=item_id))
    return incident


def record_review(session: Session, clock: Clock, actor: str, ref: str, *, what_happened: str, what_gained: str,
                  follow_ups: list[FollowUp], roster: Roster | None = None) -> Incident:
    """Write (or rewrite) the post-incident review that `close` requires."""
    actor, now = _check_actor(actor), clock.now()
    incident = get_incident(session, ref)
    _refuse_if_final(incident, "rewrite its review")
    authorize(roster, pinned_playbook(session, incident), actor=actor, action="review", severity=incident.severity, ref=incident.ref)
    for follow_up in follow_ups:
        if not (follow_up.action.strip() and follow_up.owner.strip()):
            raise UsageError("each follow-up needs an action, an owner and a due date")
        if follow_up.due_on < now.date():
            raise UsageError(f"follow-up {follow_up.action!r} is due {follow_up.due_on.isoformat()}, already past",
                             hint="give it a date to come: a follow-up is a promise for after the incident")
        if roster is not None and roster.find_person(follow_up.owner) is None:
            raise UsageError(f"follow-up {follow_up.action!r}: its owner {follow_up.owner!r} is not on the roster",
                             hint=f"name someone who will do it: {', '.join(p.id for p in roster.people)}")
    if incident.review is None:
        incident.review = Review()
    review = incident.review  # updated in place: a second review replaces the first
    review.what_happened, review.what_gained, review.author, review.recorded_at = what_happened.strip(), what_gained.strip(), actor, now
    review.follow_ups = [FollowUpRow(action=f.action, owner=f.owner, due_on=f.due_on) for f in follow_ups]
    append_event(session, incident, now, actor, events.ReviewRecorded(
        what_happened=incident.review.what_happened, what_gained=incident.review.what_gained,
        follow_ups=[{"action": f.action, "owner": f.owner, "due_on": f.due_on.isoformat()} for f in follow_ups]))
    return incident


@dataclass(frozen=True)
class Breach:
    ref: str
    deadline: str
    due_at: datetime
    escalated_to: str | None


def tick(session: Session, clock: Clock, actor: str = "tick") -> list[Breach]:
    """Record every deadline due by now as breached, at most once, and escalate its incident (announced: paging reacts)."""
    now = clock.now()
    due = session.scalars(select(Deadline).where(Deadline.status == "armed", Deadline.due_at <= now)
                          .order_by(Deadline.due_at, Deadline.id)).all()
    breaches = []
    for deadline in due:
        incident = deadline.incident
        playbook = pinned_playbook(session, incident)
        deadline.status, deadline.closed_at = "breached", now
        if deadline.kind == "limitation":
            rule = deadlines.limitation_of(playbook, deadline)
            assert rule is not None
            append_event(session, incident, now, actor, events.LimitationWarning(due_at=deadline.due_at, note=rule.note(incident.lang)))
            breaches.append(Breach(incident.ref, deadline.name, deadline.due_at, None))
            continue
        append_event(session, incident, now, actor, events.DeadlineBreached(
            deadline=deadline.name, due_at=deadline.due_at, late_by_s=int((now - deadline.due_at).total_seconds())))
        target = None
        if lifecycle.permits(playbook, incident.state, "escalate", situation(incident, playbook)):
            target = playbook.escalation_levels[playbook.level_rank(incident.level) + 1]
            _raise_level(session, now, actor, incident, target, f"deadline {deadline.name} breached")
        announce(session, IncidentWorsened(incident.id, f"deadline {deadline.name} breached" + (f", escalated to {target}" if target else ""),
                                           advance=True))
        breaches.append(Breach(incident.ref, deadline.name, deadline.due_at, target))
    return breaches


def _refuse_if_final(incident: Incident, what: str) -> None:
    if incident.state in deadlines.FINAL_STATES:
        raise RefusedError(f"{incident.ref} is {incident.state}: too late to {what}")


def _severity_why(playbook: Playbook, values: dict[str, Any], severity: str) -> str:
    for rule in playbook.severity_rules:
        if rule.then == severity and all(c.holds(values) for c in rule.when):
            return "rule: " + ", ".join(f"{c.key} {c.op} {c.value}" for c in rule.when) + f" → {severity}"
    return f"playbook default {playbook.default_severity}"


def _describe(armed: list[Deadline]) -> list[dict[str, str]]:
    return [{"deadline": d.name, "due_at": d.due_at.isoformat()} for d in armed]
