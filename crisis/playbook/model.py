"""The playbook as crisis uses it: frozen dataclasses, built only by `loader`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from crisis.playbook.durations import Period

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")  # most severe first
FACT_TYPES = ("bool", "text", "int", "date", "choice", "url")
OPERATORS = ("eq", "gte", "gt", "lte", "lt", "in")
SLA_KINDS = ("acknowledge", "first_response")
# Actions a playbook's `permissions` may reserve to roles (with an oncall.yaml); the lifecycle's triggers and the rest.
# What a step may name (the lifecycle implements each one: crisis.incident.rules).
STEP_GUARDS = ("crisis_cell_convened",)
STEP_ACTIONS = ("convene_crisis_cell",)
PERMISSION_ACTIONS = ("acknowledge", "respond", "next", "stabilize", "relapse", "resolve", "close", "dismiss", "reopen",
                      "escalate", "check", "fact", "severity", "review", "approve", "publish")


def severity_rank(severity: str) -> int:
    """0 for SEV1 (a crisis) … 3 for SEV4 (a weak signal): lower is more severe."""
    return SEVERITIES.index(severity)


def most_severe(*severities: str) -> str:
    return min(severities, key=severity_rank)


@dataclass(frozen=True)
class Localized:
    """A text in every language crisis speaks."""

    fr: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


@dataclass(frozen=True)
class Condition:
    """One structured test on a fact or a signal: `{mentions_per_hour: {gte: 50}}`."""

    key: str
    op: str
    value: Any

    def holds(self, values: Mapping[str, Any]) -> bool:
        if values.get(self.key) is None:
            return False
        actual = values[self.key]
        try:
            match self.op:
                case "eq":
                    return actual == self.value
                case "in":
                    return actual in self.value
                case "gte":
                    return actual >= self.value
                case "gt":
                    return actual > self.value
                case "lte":
                    return actual <= self.value
                case "lt":
                    return actual < self.value
        except TypeError:
            return False
        raise AssertionError(f"unknown operator {self.op}")


def all_hold(conditions: tuple[Condition, ...], values: Mapping[str, Any]) -> bool:
    return all(condition.holds(values) for condition in conditions)


@dataclass(frozen=True)
class SeverityRule:
    when: tuple[Condition, ...]
    then: str
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Fact:
    id: str
    type: str
    ask: Localized
    choices: tuple[str, ...] = ()
    sample: Any = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    label: Localized


@dataclass(frozen=True)
class ApprovalEntry:
    """A line of the approval matrix: `roles` must also approve when the incident is `at` this severity or above
    and every condition of `when` holds (e.g. SEV1 → direction; `sensitive_stakes: true` → legal)."""

    roles: tuple[str, ...]
    at: str | None = None
    when: tuple[Condition, ...] = ()

    def applies(self, severity: str, values: Mapping[str, Any]) -> bool:
        return (self.at is None or severity_rank(severity) <= severity_rank(self.at)) and all_hold(self.when, values)


@dataclass(frozen=True)
class Approval:
    roles: tuple[str, ...]
    from_severity: str
    also: tuple[ApprovalEntry, ...] = ()  # the approval matrix: roles that approve as well, per severity and per fact

    def extra_roles(self, severity: str, values: Mapping[str, Any]) -> tuple[str, ...]:
        """Each role of the matrix that must approve too, now: every one of them, beside one holder of `roles`."""
        return tuple(dict.fromkeys(role for entry in self.also if entry.applies(severity, values) for role in entry.roles))


@dataclass(frozen=True)
class Preapproval:
    """A statement approved in advance (typically the holding statement): its version, who approved it, and the
    SHA-256 of each template file approved. While the files are unchanged and the draft is not edited (only the
    declared values and facts vary), the on-call may approve their own draft, at any hour and severity."""

    version: str
    approved_by: str
    templates: Mapping[str, str]  # file name → SHA-256 of its text


@dataclass(frozen=True)
class Permission:
    """`action` needs one of `roles` at `from_severity` and above (SEV4: always)."""

    action: str
    roles: tuple[str, ...]
    from_severity: str = "SEV4"

    def applies(self, severity: str) -> bool:
        return severity_rank(severity) <= severity_rank(self.from_severity)


@dataclass(frozen=True)
class Step:
    id: str
    title: Localized
    checklist: tuple[ChecklistItem, ...] = ()
    requires_facts: tuple[str, ...] = ()
    when: tuple[Condition, ...] = ()
    due: Mapping[str, timedelta] = field(default_factory=dict)
    reply: str | None = None
    approve: Approval | None = None
    preapproved: Preapproval | None = None
    guards: tuple[str, ...] = ()
    on_enter: tuple[str, ...] = ()
    line: int = field(default=0, compare=False)

    @property
    def state(self) -> str:
        return f"responding.{self.id}"


@dataclass(frozen=True)
class QueryText:
    """A listening query as written in the playbook (parsed by triage, not here), and where it starts in the file.

    `block`: a `|` or `>` block, whose query line n sits on file line `line + n`; else the query starts at `line:column`.
    """

    text: str
    line: int
    column: int
    block: bool = False


@dataclass(frozen=True)
class Detection:
    """What recognises a playbook's incidents in a mention stream: listening queries per language, plain phrases
    (a simple form of a query), and the phrases that rule one out."""

    phrases: Mapping[str, tuple[str, ...]]
    exclude: Mapping[str, tuple[str, ...]]
    min_score: int
    line: int = 0
    queries: Mapping[str, QueryText] = field(default_factory=dict)
    path: str = ""

    @property
    def active(self) -> bool:
        return bool(self.phrases or self.queries)


@dataclass(frozen=True)
class Limitation:
    """A legal deadline counted from a date fact, e.g. 3 calendar months from first publication; `id` names it
    among the playbook's limitations (defamation, discriminatory defamation, an insurer's complaint deadline)."""

    from_fact: str
    period: Period
    warn_before: timedelta
    note: Localized
    id: str = "limitation"


@dataclass(frozen=True)
class Playbook:
    id: str
    version: str  # hash of the source: an incident is pinned to the version it started on
    title: Localized
    summary: Localized
    detect: Detection
    default_severity: str
    severity_rules: tuple[SeverityRule, ...]
    facts: tuple[Fact, ...]
    triage_requires: tuple[str, ...]
    steps: tuple[Step, ...]
    relapse_to: str
    sla: Mapping[str, Mapping[str, timedelta]]
    escalation_levels: tuple[str, ...]
    escalation_by_severity: Mapping[str, str]
    limitation: Limitation | None
    path: str
    source: str = field(repr=False, compare=False)
    permissions: Mapping[str, Permission] = field(default_factory=dict)
    limitations: tuple[Limitation, ...] = ()  # every legal deadline; `limitation` is the first of them

    def step(self, step_id: str) -> Step:
        return next(step for step in self.steps if step.id == step_id)

    def find_step(self, step_id: str) -> Step | None:
        return next((step for step in self.steps if step.id == step_id), None)

    def find_fact(self, fact_id: str) -> Fact | None:
        return next((fact for fact in self.facts if fact.id == fact_id), None)

    def level_rank(self, level: str) -> int:
        return self.escalation_levels.index(level)

    def level_for(self, severity: str) -> str:
        return self.escalation_by_severity[severity]

    def roles_for(self, action: str, severity: str) -> tuple[str, ...]:
        """The roles `action` needs at `severity` (one of them suffices); empty: anyone on the roster."""
        permission = self.permissions.get(action)
        return permission.roles if permission is not None and permission.applies(severity) else ()

    def evaluate_severity(self, values: Mapping[str, Any]) -> str:
        """The most severe of the default and every rule that holds for these facts and signals."""
        matched = [rule.then for rule in self.severity_rules if all_hold(rule.when, values)]
        return most_severe(self.default_severity, *matched)
