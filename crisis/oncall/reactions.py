"""Paging as a reaction to what the incident services announce (see `crisis.incident.news`).

The unit of work calls `react` for each piece of news before it commits, so a page is written in
the same transaction as its cause, and the incident core never calls paging itself.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from crisis.clock import Clock
from crisis.incident.models import Incident
from crisis.incident.news import IncidentAcknowledged, IncidentOpened, IncidentQuieted, IncidentWorsened, News
from crisis.oncall import service as oncall
from crisis.oncall.roster import Roster


def react(session: Session, clock: Clock, roster: Roster | None, news: News) -> oncall.Paged | None:
    """Page, acknowledge or stop the paging of the incident the news is about. Without a roster nobody
    is paged, but an acknowledgement or a quiet incident still stops a paging started with one."""
    incident = session.get(Incident, news.incident_id)
    assert incident is not None, "news is announced about a flushed incident"
    match news:
        case IncidentOpened(cause=cause) if roster is not None:
            return oncall.page(session, clock.now(), incident, roster, cause=cause)
        case IncidentWorsened(cause=cause, advance=advance) if roster is not None:
            return oncall.page(session, clock.now(), incident, roster, cause=cause, advance=advance)
        case IncidentAcknowledged(actor=actor):
            oncall.acknowledge(session, clock, actor, incident, roster=roster, required=False)
        case IncidentQuieted(actor=actor, state=state):
            oncall.stop_paging(session, clock, actor, incident, why=f"incident {state}")
    return None
