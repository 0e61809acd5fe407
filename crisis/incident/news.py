"""What the incident services announce to the rest of the system, in the caller's transaction.

The incident core knows nothing of paging: its services announce news (an incident opened, got
worse, was acknowledged, went quiet) on the session, and the unit of work hands it to whoever
reacts (the on-call's paging, see `crisis.oncall.reactions`) before it commits. Without a unit
of work that dispatches (a bare transaction in a test, a throwaway drill database without a
roster), news is simply dropped with the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_KEY = "crisis.news"


@dataclass(frozen=True)
class News:
    incident_id: int


@dataclass(frozen=True)
class IncidentOpened(News):
    cause: str


@dataclass(frozen=True)
class IncidentWorsened(News):
    """Severity rose, the level went up or a deadline was breached; `advance` moves paging to its next level."""

    cause: str
    advance: bool = False


@dataclass(frozen=True)
class IncidentAcknowledged(News):
    actor: str


@dataclass(frozen=True)
class IncidentQuieted(News):
    """Resolved, closed or dismissed: nobody needs paging any more."""

    actor: str
    state: str


def announce(session: Any, news: News) -> None:
    """Announce `news` on the session (an SQLAlchemy Session: its `info` dict lives as long as the transaction's work)."""
    session.info.setdefault(_KEY, []).append(news)


def take_news(session: Any) -> list[News]:
    """The news announced since the last call, oldest first; the session forgets it."""
    return session.info.pop(_KEY, [])
