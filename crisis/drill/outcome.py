"""`DrillRun`: what a simulated drill produced, its scorecard, timeline hashes and pages, as the CLI,
the demo and the benchmarks read it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from crisis.drill.play import Play
from crisis.drill.scenario import Scenario
from crisis.drill.scorecard import Moment, Scorecard


@dataclass
class DrillRun:
    """What a simulated drill produced: its scorecard, its incident and the hashes of every timeline event."""

    scenario: Scenario
    play: Play
    seed: int
    start: datetime
    scorecard: Scorecard
    ref: str | None
    hashes: list[str]
    mentions: int
    fired: dict[str, timedelta]
    notifications: int = 0  # messages the recording notifiers kept (nothing leaves a simulation)
    real_incidents: int = 0  # incidents not marked as a drill: always 0
    moments: list[Moment] = field(default_factory=list)  # the drill incident's timeline, as the scorecard read it
    paging: str = ""  # which roster paged (the scorecard's line)
    pages: list[Any] = field(default_factory=list)  # the pages the recording notifiers kept (crisis.outbox.notifiers.Outgoing)

    @property
    def timeline_digest(self) -> str:
        return hashlib.sha256("".join(self.hashes).encode()).hexdigest()

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {**self.scorecard.as_dict(lang), "team": self.play.id, "seed": self.seed, "start": self.start.isoformat(),
                "incident": self.ref, "mentions": self.mentions, "events": len(self.hashes), "timeline_sha256": self.timeline_digest,
                "paging_roster": self.paging, "messages_recorded": self.notifications,
                "expected": {"min": self.play.expected.score_min, "max": self.play.expected.score_max,
                             "breaches": list(self.play.expected.breaches)}}
