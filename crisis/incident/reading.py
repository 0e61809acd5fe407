"""Reading an incident without changing it: what `show`, `list` and every service look up first.

Apart from the use cases of crisis.incident.service (which re-exports these) so that a command that only reads
imports neither the deadlines, the permissions nor the news of the services.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from crisis.errors import NotFoundError
from crisis.incident import events, lifecycle
from crisis.incident.models import Event, Incident, PlaybookVersion
from crisis.incident.rules import FollowUp, Situation
from crisis.incident.rules import Review as ReviewSnapshot
from crisis.playbook.loader import parse_playbook
from crisis.playbook.model import Playbook

__all__ = ["allowed_actions", "get_incident", "list_incidents", "pinned_playbook", "situation"]

_REF = re.compile(r"^(?:INC-)?0*(\d+)$", re.IGNORECASE)
_PINNED: dict[str, Playbook] = {}


def get_incident(session: Session, ref: str) -> Incident:
    """The incident `INC-0042` (or `42`). Raises NotFoundError."""
    match = _REF.match(ref.strip())
    ident = session.scalar(select(Incident.id).where(Incident.number == int(match[1]))) if match else None
    # by its key: an incident already in the session comes from there, without the four queries of its collections that
    # a SELECT of the row runs again (SQLAlchemy's selectin loads query before skipping what is loaded)
    incident = session.get(Incident, ident) if ident is not None else None
    if incident is None:
        raise NotFoundError(f"no incident {ref!r}", hint="run `crisis list` to see the incidents")
    return incident


def list_incidents(session: Session, *, open_only: bool = False, playbook_id: str | None = None) -> list[Incident]:
    query = select(Incident).order_by(Incident.number)
    if open_only:
        query = query.where(Incident.state.not_in(("resolved", "closed", "dismissed")))
    if playbook_id:
        query = query.where(Incident.playbook_id == playbook_id)
    return list(session.scalars(query))


def pinned_playbook(session: Session, incident: Incident) -> Playbook:
    """The playbook version the incident started on, parsed once per process."""
    if incident.playbook_version not in _PINNED:
        row = session.get(PlaybookVersion, incident.playbook_version)
        assert row is not None, "foreign key guarantees the pinned version"
        _PINNED[row.version] = parse_playbook(row.source, row.path)
    return _PINNED[incident.playbook_version]


def situation(incident: Incident, playbook: Playbook) -> Situation:
    """The incident as the lifecycle's guards see it."""
    review = None
    if incident.review is not None:
        review = ReviewSnapshot(incident.review.what_happened, incident.review.what_gained,
                                tuple(FollowUp(f.action, f.owner, f.due_on) for f in incident.review.follow_ups))
    return Situation(playbook=playbook, severity=incident.severity, level=incident.level,
                     facts={f.fact_id: f.value for f in incident.facts},
                     checked=frozenset((m.step_id, m.item_id) for m in incident.marks),
                     review=review, signals=incident.signals, lang=incident.lang, published=_published_steps(incident))


def _published_steps(incident: Incident) -> frozenset[str]:
    """The steps whose statement is published, read from the incident's own timeline."""
    session = object_session(incident)
    if session is None or incident.id is None:
        return frozenset()
    query = select(Event.kind, Event.data).where(Event.incident_id == incident.id,
                                                 Event.kind.in_((events.ReplyDrafted.kind, events.ReplyPublished.kind)))
    step_of, published = {}, set()
    for kind, data in session.execute(query):
        if kind == events.ReplyDrafted.kind:
            step_of[data["reply"]] = data.get("step")
        else:
            published.add(data["reply"])
    return frozenset(step for reply, step in step_of.items() if step and reply in published)


def allowed_actions(session: Session, incident: Incident) -> list[str]:
    playbook = pinned_playbook(session, incident)
    return lifecycle.allowed(playbook, incident.state, situation(incident, playbook))
