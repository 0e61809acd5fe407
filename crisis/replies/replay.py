"""Replaying a timeline against the incident's replies: each reply's status, text, author, approver and
publisher must be what its reply events say, and its text must be the text those events hashed."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisis.incident import events
from crisis.incident.chain import Break
from crisis.incident.models import Event, Incident
from crisis.incident.timeline import list_events
from crisis.replies.models import Reply
from crisis.replies.service import text_hash


@dataclass
class ToldReply:
    """A reply as the timeline tells it; `approvers` are who may stand as its approver of record."""

    status: str
    hash: str
    author: str
    decided_by: str | None = None
    approvers: set[str] = field(default_factory=set)
    published_by: str | None = None


def replay_replies(session: Session, incident: Incident, *, timeline: list[Event] | None = None) -> Break | None:
    """The first reply whose row says what the events of its incident's `timeline` (read if not given) do not, or None."""
    told: dict[str, ToldReply] = {}
    for event in list_events(session, incident) if timeline is None else timeline:
        match event.typed():
            case events.ReplyDrafted(reply=label, hash=digest):
                told[label] = ToldReply("draft", digest, event.actor)
            case events.ReplyEdited(reply=label, hash=digest) if label in told:
                told[label].hash = digest
            case events.ReplyEndorsed(reply=label) if label in told:
                told[label].approvers.add(event.actor)
            case events.ReplyApproved(reply=label) if label in told:
                told[label].status, told[label].decided_by = "approved", event.actor
                told[label].approvers.add(event.actor)
            case events.ReplyRejected(reply=label) if label in told:
                told[label].status, told[label].decided_by, told[label].approvers = "rejected", event.actor, {event.actor}
            case events.ReplyPublished(reply=label, hash=digest, text=text) if label in told:
                told[label].status, told[label].published_by = "published", event.actor
                if text_hash(text) != digest or digest != told[label].hash:
                    return _changed(incident, label, "was published with a text that is not the one approved")
    rows = {reply.label: reply for reply in session.scalars(select(Reply).where(Reply.incident_id == incident.id))}
    for label in sorted({*told, *rows}):
        reply, replayed = rows.get(label), told.get(label)
        if reply is None or replayed is None:
            where = "on its timeline but not in the database: it was deleted" if reply is None else \
                "in the database but never drafted on its timeline: it was added"
            return _changed(incident, label, f"is {where}")
        if text_hash(reply.text) != reply.text_hash:
            return _changed(incident, label, "has a text that does not match its hash: its text was replaced")
        stored = {"status": reply.status, "text hash": reply.text_hash, "author": reply.author, "publisher": reply.published_by}
        expected = {"status": replayed.status, "text hash": replayed.hash, "author": replayed.author, "publisher": replayed.published_by}
        for what in stored:
            if stored[what] != expected[what]:
                return _changed(incident, label, f"has {what} {stored[what]!r} in the database but {expected[what]!r} on its "
                                                 "timeline: it was changed without an event")
        if replayed.decided_by is not None and reply.decided_by not in replayed.approvers:
            return _changed(incident, label, f"was decided by {reply.decided_by!r} in the database but by "
                                             f"{replayed.decided_by!r} on its timeline: it was changed without an event")
    return None


def _changed(incident: Incident, label: str, what: str) -> Break:
    return Break(incident.ref, incident.event_count, f"reply {label} {what}")
