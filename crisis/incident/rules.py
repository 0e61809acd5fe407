"""The rules of the trade a playbook may name: guards that hold a transition, actions on entry.

Playbooks name these and nothing else: a name that is not registered here is refused when the
playbook loads, so no playbook can make crisis run arbitrary code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from crisis.playbook.model import STEP_ACTIONS, Playbook, Step, all_hold


@dataclass(frozen=True)
class FollowUp:
    action: str
    owner: str
    due_on: date


@dataclass(frozen=True)
class Review:
    what_happened: str
    what_gained: str
    follow_ups: tuple[FollowUp, ...]


@dataclass(frozen=True)
class Situation:
    """An incident as the guards see it: a snapshot, read before a trigger is fired."""

    playbook: Playbook
    severity: str
    level: str
    facts: Mapping[str, Any]
    checked: frozenset[tuple[str, str]]  # (step id, item id)
    review: Review | None = None
    signals: Mapping[str, Any] | None = None
    lang: str = "en"
    published: frozenset[str] = frozenset()  # ids of the steps whose statement has been published

    def values(self) -> dict[str, Any]:
        """What conditions test: the answered facts and the measured signals."""
        return {**(self.signals or {}), **self.facts}

    def open_items(self, step: Step) -> list[str]:
        return [item.id for item in step.checklist if (step.id, item.id) not in self.checked]

    def missing_facts(self, fact_ids: tuple[str, ...]) -> list[str]:
        return [fact_id for fact_id in fact_ids if self.facts.get(fact_id) is None]


@dataclass(frozen=True)
class Guard:
    """A rule that must hold; `refusal` says, in the trade's words, why it does not."""

    name: str
    test: Callable[[Situation, Step | None], bool]
    refusal: Callable[[Situation, Step | None], str]
    hint: str | None = None


def _checklist_refusal(s: Situation, step: Step | None) -> str:
    assert step is not None
    items = s.open_items(step)
    labels = "".join(f"\n  - {item}: {step_item_label(step, item, s.lang)}" for item in items)
    return f"the checklist of step {step.id} is not complete ({len(items)} of {len(step.checklist)} open):{labels}"


def step_item_label(step: Step, item_id: str, lang: str) -> str:
    return next(item.label(lang) for item in step.checklist if item.id == item_id)


def _facts_refusal(fact_ids: Callable[[Situation, Step | None], tuple[str, ...]], when: str):
    def refusal(s: Situation, step: Step | None) -> str:
        missing = s.missing_facts(fact_ids(s, step))
        questions = "".join(f"\n  - {f}: {s.playbook.find_fact(f).ask(s.lang)}" for f in missing)  # type: ignore[union-attr]
        return f"{when} needs these facts answered:{questions}"

    return refusal


def _review_complete(s: Situation, _: Step | None) -> bool:
    r = s.review
    return bool(r and r.what_happened.strip() and r.what_gained.strip() and r.follow_ups)


def _review_refusal(s: Situation, _: Step | None) -> str:
    if s.review is None:
        return "closing needs the post-incident review (what happened, what was gained, follow-ups)"
    missing = [name for name, ok in (("what happened", s.review.what_happened.strip()),
                                      ("what was gained", s.review.what_gained.strip()),
                                      ("at least one follow-up with an owner and a due date", s.review.follow_ups)) if not ok]
    return f"the post-incident review is missing: {', '.join(missing)}"


GUARDS: dict[str, Guard] = {
    guard.name: guard
    for guard in (
        Guard("checklist_complete", lambda s, step: not s.open_items(step), _checklist_refusal,  # type: ignore[arg-type]
              "tick each item once it is done: crisis check REF ITEM"),
        Guard(
            "facts_answered",
            lambda s, step: not s.missing_facts(step.requires_facts),  # type: ignore[union-attr]
            _facts_refusal(lambda s, step: step.requires_facts, "leaving this step"),  # type: ignore[union-attr]
            "answer each one: crisis fact REF KEY VALUE",
        ),
        Guard(
            "triage_facts_answered",
            lambda s, _: not s.missing_facts(s.playbook.triage_requires),
            _facts_refusal(lambda s, _: s.playbook.triage_requires, "starting the response"),
            "answer each one: crisis fact REF KEY VALUE",
        ),
        Guard("review_complete", _review_complete, _review_refusal,
              "crisis review REF --what ... --gained ... --follow-up 'ACTION; OWNER; YYYY-MM-DD'"),
        Guard(
            "crisis_cell_convened",
            lambda s, _: s.level == s.playbook.escalation_levels[-1],
            lambda s, _: f"the crisis cell must be convened first (escalation level is {s.level}); run `crisis escalate`",
        ),
        Guard(
            "reply_published",
            lambda s, step: step is None or step.reply is None or step.id in s.published,
            lambda s, step: f"step {step.id} needs its statement ({step.reply}) published before it is left",  # type: ignore[union-attr]
            "draft it, have it approved, publish it: crisis reply draft REF, crisis reply approve REF ID, crisis reply publish REF ID",
        ),
        Guard(
            "below_top_level",
            lambda s, _: s.level != s.playbook.escalation_levels[-1],
            lambda s, _: f"the incident is already at the top escalation level ({s.level})",
        ),
    )
}


# The guards a playbook may name in a step's `guards`; the others are applied by the lifecycle itself.


def step_applies(s: Situation, step: Step) -> bool:
    """Whether a branch step is taken, given the facts answered so far."""
    return all_hold(step.when, s.values())


@dataclass(frozen=True)
class Escalate:
    """An effect of an action: raise the escalation level to `level`."""

    level: str
    why: str


Action = Callable[[Situation, Step], tuple[Escalate, ...]]

ACTIONS: dict[str, Action] = {
    "convene_crisis_cell": lambda s, step: (
        Escalate(s.playbook.escalation_levels[-1], f"step {step.id} convenes the crisis cell"),
    ),
}
assert set(ACTIONS) == set(STEP_ACTIONS), "every action a playbook may name is implemented here, and no other"
