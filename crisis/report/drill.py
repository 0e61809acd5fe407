"""The after-action report of a drill, as a value the drills code fills from its scorecard (pure).

`crisis.report.render.render_drill(review, fmt)` renders it in Markdown, HTML or JSON, with the
scenario's injects marked on the same volume chart as an incident's key moments.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from crisis.report.build import IncidentReport, Marker, report_dict
from crisis.report.records import json_ready


@dataclass(frozen=True)
class ObjectiveRating:
    """One objective of the scenario, its HSEEP rating (P, S, M, U, as crisis.drill.scoring gives them) and what was seen."""

    objective: str
    rating: str
    note: str = ""


@dataclass(frozen=True)
class ImprovementAction:
    action: str
    owner: str
    due_on: date


@dataclass(frozen=True)
class DrillReview:
    scenario: str
    playbook_id: str
    run_at: datetime
    lang: str
    objectives: tuple[ObjectiveRating, ...]
    strengths: tuple[str, ...]
    improvements: tuple[str, ...]  # areas for improvement
    plan: tuple[ImprovementAction, ...]
    injects: tuple[Marker, ...]  # the scenario's key injects, marked on the chart
    incident: IncidentReport | None = None  # the drill incident's own report, when the run opened one
    score: float | None = None  # the weighted score out of 100


def drill_dict(review: DrillReview) -> dict[str, Any]:
    """The after-action report as JSON-ready data."""
    data = json_ready({k: v for k, v in asdict(review).items() if k != "incident"})
    data["incident"] = report_dict(review.incident) if review.incident else None
    return data
