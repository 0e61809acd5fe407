"""What the team has done so far, as the MEL's conditions read it, and the decision points'
deadlines and defaults. Pure: the simulator and the live mode fill a TeamState from the
timeline and ask which injects fire; the same rules answer both."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from crisis.drill.scenario import Condition, DecisionPoint, Inject
from crisis.incident import events as ev
from crisis.playbook.model import severity_rank


@dataclass(frozen=True)
class TeamState:
    """The team's actions by a given time: what `if:` and `unless:` conditions are checked against."""

    acknowledged: bool = False
    published: frozenset[str] = frozenset()  # templates of the published replies ("" for the team's own text)
    levels: frozenset[str] = frozenset()  # escalation levels reached
    severity: str | None = None  # the most severe reached
    decisions: dict[str, str] = field(default_factory=dict)  # decision point → option taken (by the team or by default)
    facts: dict[str, Any] = field(default_factory=dict)  # facts the team recorded
    steps: frozenset[str] = frozenset()  # playbook steps reached
    state: str = "detected"  # the incident's lifecycle state now
    fired: frozenset[str] = frozenset()  # injects that have fired
    deleted_critic: bool = False
    page_waiting: bool = False  # a page waits for an acknowledgement


def page_waiting(events: list) -> bool:
    """Whether the last page of a timeline (typed events, in order) waits for an acknowledgement: no paging
    was acknowledged, stopped, superseded or exhausted since."""
    for event in reversed(events):
        if isinstance(event, ev.Paged):
            return True
        if isinstance(event, tuple(ev.PAGING_CLOSED.values())):
            return False
    return False


def holds(condition: Condition, team: TeamState) -> bool:
    """Whether one condition holds for `team`."""
    match condition.key:
        case "acknowledged" | "deleted_critic" | "page_waiting":
            return getattr(team, condition.key) is condition.value
        case "published":
            return bool(team.published) if condition.arg is None else condition.arg in team.published
        case "escalated_to":
            return condition.arg in team.levels
        case "severity":
            return team.severity is not None and severity_rank(team.severity) <= severity_rank(condition.arg or "SEV4")
        case "decided":
            return team.decisions.get(condition.arg or "") == condition.value
        case "fact":
            return condition.arg in team.facts and team.facts[condition.arg] == condition.value
        case "step":
            return condition.arg in team.steps
        case "state":
            return team.state == condition.arg
        case "fired":
            return condition.arg in team.fired
    raise ValueError(f"unknown condition {condition.key!r}")  # the loader lets none through: a bug if reached


def fires(inject: Inject, team: TeamState) -> bool:
    """Whether `inject` fires at its offset: every `if` holds and no `unless` does."""
    return all(holds(c, team) for c in inject.when) and not any(holds(c, team) for c in inject.unless)


@dataclass(frozen=True)
class Decision:
    """The outcome of a decision point: the option, when it was taken, and whether by default."""

    point: str
    option: str
    at: timedelta
    by_default: bool

    def is_good(self, point: DecisionPoint) -> bool:
        return not self.by_default and self.option == point.good


def deadline_of(inject: Inject) -> timedelta:
    """When the default of a decision point is taken, from T+0."""
    assert isinstance(inject.body, DecisionPoint)
    return inject.at + inject.body.deadline


def settle(inject: Inject, answer: tuple[str, timedelta] | None) -> Decision:
    """The decision taken at `inject`: the team's `answer` (option, offset) if it came in time and
    names an option, else the default at the deadline. A late answer does not undo the default.
    Raises ValueError for an option the decision point does not offer (the CLI says which exist)."""
    point = inject.body
    assert isinstance(point, DecisionPoint)
    if answer is not None:
        option, at = answer
        if option not in {o.id for o in point.options}:
            raise ValueError(f"{option!r} is not an option of {inject.id}; expected one of: {', '.join(o.id for o in point.options)}")
        if inject.at <= at <= deadline_of(inject):
            return Decision(inject.id, option, at, by_default=False)
    return Decision(inject.id, point.default, deadline_of(inject), by_default=True)
