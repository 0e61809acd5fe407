"""The period review's figures (a month, a quarter), from one record per incident (pure).

Drill incidents never count in the real figures: they get their own section.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from crisis.report.records import json_ready

OUTCOMES = {"resolved": "resolved", "closed": "resolved", "dismissed": "dismissed"}
TIMES = ("time_to_acknowledge", "time_to_first_response", "time_to_resolve")


@dataclass(frozen=True)
class IncidentLine:
    """One incident as the period review sees it; times in seconds from its opening."""

    ref: str
    playbook_id: str
    severity: str
    state: str
    is_drill: bool
    opened_at: datetime
    time_to_acknowledge: int | None
    time_to_first_response: int | None
    time_to_resolve: int | None
    escalations: int
    deadlines_met: int
    deadlines_breached: int


@dataclass(frozen=True)
class OpenFollowUp:
    ref: str
    action: str
    owner: str
    due_on: date
    overdue: bool


@dataclass(frozen=True)
class Figures:
    """The real (or the drill) incidents of one period, counted."""

    incidents: int
    by_playbook: dict[str, int]
    by_severity: dict[str, int]
    by_outcome: dict[str, int]
    times: dict[str, dict[str, int | None]]  # name → {median, p90, count}
    deadlines_met_pct: float | None
    deadlines: int
    escalations: int
    escalated_incidents: int


@dataclass(frozen=True)
class Change:
    """A figure against the previous period: `better` is None when neither direction is better."""

    name: str
    now: float | None
    before: float | None
    delta: float | None
    better: bool | None


@dataclass(frozen=True)
class PeriodReview:
    lang: str
    start: date
    end: date
    generated_at: datetime
    real: Figures
    drills: Figures
    previous: Figures
    comparison: tuple[Change, ...]
    busiest_days: tuple[tuple[date, int], ...]
    weeks: tuple[tuple[str, int], ...]
    follow_ups: tuple[OpenFollowUp, ...]


def figures(lines: list[IncidentLine]) -> Figures:
    """The counts, the median and 90th percentile times and the deadlines met of these incidents."""
    met = sum(line.deadlines_met for line in lines)
    settled = met + sum(line.deadlines_breached for line in lines)
    return Figures(
        incidents=len(lines),
        by_playbook=dict(Counter(line.playbook_id for line in lines).most_common()),
        by_severity=dict(sorted(Counter(line.severity for line in lines).items())),
        by_outcome=dict(Counter(OUTCOMES.get(line.state, "open") for line in lines).most_common()),
        times={name: _spread([getattr(line, name) for line in lines]) for name in TIMES},
        deadlines_met_pct=None if not settled else round(100 * met / settled, 1), deadlines=settled,
        escalations=sum(line.escalations for line in lines), escalated_incidents=sum(line.escalations > 0 for line in lines))


def _spread(values: list[int | None]) -> dict[str, int | None]:
    known = sorted(v for v in values if v is not None)
    if not known:
        return {"median": None, "p90": None, "count": 0}
    p90 = statistics.quantiles(known, n=10, method="inclusive")[-1] if len(known) > 1 else known[0]
    return {"median": int(statistics.median(known)), "p90": int(p90), "count": len(known)}


def build_period_review(lines: list[IncidentLine], previous: list[IncidentLine], follow_ups: list[OpenFollowUp], *,
                        start: date, end: date, now: datetime, lang: str) -> PeriodReview:
    """The review of the incidents opened from `start` to `end` (both included), `previous` being those of the period
    of the same length just before."""
    real = [line for line in lines if not line.is_drill]
    current, before = figures(real), figures([line for line in previous if not line.is_drill])
    days = Counter(line.opened_at.date() for line in real)
    weeks: Counter[str] = Counter()
    first_monday = start - timedelta(days=start.weekday())
    week = first_monday
    while week <= end:
        weeks[week.isoformat()] = 0
        week += timedelta(days=7)
    for line in real:
        monday = line.opened_at.date() - timedelta(days=line.opened_at.weekday())
        weeks[monday.isoformat()] += 1
    return PeriodReview(lang=lang, start=start, end=end, generated_at=now, real=current, drills=figures([l for l in lines if l.is_drill]),
                        previous=before, comparison=_compare(current, before),
                        busiest_days=tuple(sorted(days.items(), key=lambda kv: (-kv[1], kv[0]))[:5]),
                        weeks=tuple(sorted(weeks.items())), follow_ups=tuple(sorted(follow_ups, key=lambda f: f.due_on)))


def _compare(now: Figures, before: Figures) -> tuple[Change, ...]:
    def change(name: str, a: float | None, b: float | None, lower_is_better: bool | None) -> Change:
        delta = None if a is None or b is None else round(a - b, 1)
        better = None if delta is None or delta == 0 or lower_is_better is None else (delta < 0) == lower_is_better
        return Change(name, a, b, delta, better)

    return (change("incidents", now.incidents, before.incidents, None),
            *(change(f"{name}_median", now.times[name]["median"], before.times[name]["median"], True) for name in TIMES),
            change("deadlines_met_pct", now.deadlines_met_pct, before.deadlines_met_pct, False),
            change("escalations", now.escalations, before.escalations, True))


def period_dict(review: PeriodReview) -> dict[str, Any]:
    """The review as JSON-ready data."""
    return json_ready(asdict(review))
