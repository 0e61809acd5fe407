"""The incident's read model: what `crisis show` (and its --json) says of an incident, as plain data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from crisis.incident.models import Event, Incident
from crisis.incident.lifecycle import allowed
from crisis.incident.reading import pinned_playbook, situation
from crisis.incident.rules import Situation
from crisis.incident.story import describe
from crisis.incident.timeline import list_events


def incident_summary(incident: Incident) -> dict[str, Any]:
    """The fields of one line of `crisis list` (and of every view)."""
    return {
        "ref": incident.ref, "title": incident.title, "playbook": incident.playbook_id, "state": incident.state,
        "severity": incident.severity, "level": incident.level, "brand": incident.brand, "channel": incident.channel,
        "is_drill": incident.is_drill, "opened_at": incident.opened_at.isoformat(), "opened_by": incident.opened_by,
    }


def incident_detail(session: Session, incident: Incident, now: datetime, *, events: int = 8) -> dict[str, Any]:
    """Everything `crisis show` says of an incident, as plain data (times in UTC ISO 8601)."""
    playbook = pinned_playbook(session, incident)
    lang = incident.lang
    step = playbook.find_step(incident.state.split(".", 1)[1]) if incident.state.startswith("responding.") else None
    done = {(m.step_id, m.item_id): m for m in incident.marks}
    facts = {f.fact_id: f for f in incident.facts}
    now_stands = situation(incident, playbook)  # read once for both what is allowed and what is awaited
    return {
        **incident_summary(incident),
        "lang": lang,
        "playbook_version": incident.playbook_version,
        "step": None if step is None else {
            "id": step.id, "title": step.title(lang), "number": playbook.steps.index(step) + 1, "of": len(playbook.steps),
            "reply": step.reply, "requires_facts": list(step.requires_facts),
            "checklist": [{"id": item.id, "label": item.label(lang), "done": (step.id, item.id) in done,
                           "by": done[(step.id, item.id)].done_by if (step.id, item.id) in done else None}
                          for item in step.checklist]},
        "deadlines": [{"deadline": d.name, "due_at": d.due_at.isoformat(), "status": d.status,
                       "seconds_left": int((d.due_at - now).total_seconds())} for d in incident.deadlines
                      if d.status in ("armed", "breached")],
        "facts": [{"id": fact.id, "ask": fact.ask(lang), "value": facts[fact.id].value if fact.id in facts else None}
                  for fact in playbook.facts],
        "review": None if incident.review is None else {
            "what_happened": incident.review.what_happened, "what_gained": incident.review.what_gained,
            "follow_ups": [{"action": f.action, "owner": f.owner, "due_on": f.due_on.isoformat()} for f in incident.review.follow_ups]},
        "events": [event_dict(e, lang) for e in list_events(session, incident, last=events)],
        "allowed": allowed(playbook, incident.state, now_stands),
        "waiting_for": waiting_for(session, incident, now_stands=now_stands),
    }


def waiting_for(session: Session, incident: Incident, *, now_stands: Situation | None = None) -> list[str]:
    """What the incident waits for before it can move on, in its language: the facts still needed, the
    unticked items and the statement the current step requires. Empty once closed or dismissed. `now_stands`:
    the incident's situation if the caller has read it already."""
    playbook, fr = pinned_playbook(session, incident), incident.lang == "fr"
    if incident.state in ("closed", "dismissed"):
        return []
    answered = {f.fact_id for f in incident.facts}
    step = playbook.find_step(incident.state.split(".", 1)[1]) if incident.state.startswith("responding.") else None
    needed = playbook.triage_requires if incident.state in ("detected", "triage") else (step.requires_facts if step else ())
    wanted = []
    for fact_id in needed:
        fact = playbook.find_fact(fact_id)
        if fact_id not in answered and fact is not None:
            choices = f" ({' | '.join(fact.choices)})" if fact.choices else ""
            wanted.append((f"le fait {fact_id}{choices} : {fact.ask('fr')}" if fr else f"fact {fact_id}{choices}: {fact.ask('en')}"))
    if step is not None:
        done = {m.item_id for m in incident.marks if m.step_id == step.id}
        wanted += [(f"la case {i.id} : {i.label('fr')}" if fr else f"item {i.id}: {i.label('en')}") for i in step.checklist if i.id not in done]
        if step.reply and step.id not in (now_stands if now_stands is not None else situation(incident, playbook)).published:
            wanted.append(f"la déclaration {step.reply}, publiée" if fr else f"the statement {step.reply}, published")
    if incident.state == "resolved" and incident.review is None:
        wanted.append("le retour d'expérience (crisis review)" if fr else "the post-incident review (crisis review)")
    return wanted


def event_dict(event: Event, lang: str = "en") -> dict[str, Any]:
    """One stored event as plain data, with its sentence in `lang`."""
    shown = {"seq": event.seq, "at": event.at.isoformat(), "actor": event.actor, "kind": event.kind, "data": event.data,
             "hash": event.hash, "says": describe(event.typed(), lang)}
    if "_by" in event.data:  # someone acted for the actor: who typed it is part of the record
        shown["by"] = event.data["_by"]
    return shown
