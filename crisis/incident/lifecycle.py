"""The incident lifecycle: one `transitions` machine per playbook version, never on the rows.

States: detected → triage → responding.<step>… → monitoring → resolved → closed, and dismissed.
The playbook's steps are the children of `responding`, flattened into leaf states named
`responding.<step>` (a flat machine is several times cheaper to import and fire than the
library's HierarchicalMachine, and every stored state is a leaf by construction). A trigger is
fired against a short-lived subject holding the state and a `Situation` snapshot; the caller
stores the new state. This module is the only importer of `transitions`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from transitions.core import Machine, MachineError

from crisis.errors import RefusedError, UsageError
from crisis.incident.rules import GUARDS, Guard, Situation, step_applies
from crisis.playbook.model import Playbook, Step

logging.getLogger("transitions").setLevel(logging.WARNING)

TRIGGERS = ("acknowledge", "respond", "next", "stabilize", "relapse", "resolve", "close", "dismiss", "reopen", "escalate")

_APPLIES = Guard("step_applies", lambda s, step: step_applies(s, step),  # type: ignore[arg-type]
                 lambda s, step: f"step {step.id} does not apply to this incident")  # type: ignore[union-attr]
_SKIPPED = Guard("step_skipped", lambda s, step: not step_applies(s, step),  # type: ignore[arg-type]
                 lambda s, step: f"step {step.id} applies to this incident: run `crisis next` to move on to it")  # type: ignore[union-attr]


@dataclass(frozen=True)
class Check:
    """A guard bound to a step, as a `transitions` condition. Routing checks only pick the destination."""

    guard: Guard
    step: Step | None = None
    routing: bool = False

    def __call__(self, event) -> bool:
        return self.holds(event.model.situation)

    def holds(self, situation: Situation) -> bool:
        return bool(self.guard.test(situation, self.step))

    def refusal(self, situation: Situation) -> str:
        return self.guard.refusal(situation, self.step)


class _Machine(Machine):
    @staticmethod
    def resolve_callable(func, event_data):
        # Never resolve names or dotted paths: every callback is one of our own Check objects.
        if not callable(func):
            raise TypeError(f"refusing to resolve callback {func!r}")
        return func


class _Subject:
    __slots__ = ("state", "situation")

    def __init__(self, state: str, situation: Situation) -> None:
        self.state = state
        self.situation = situation


@dataclass(frozen=True)
class Edge:
    trigger: str
    source: str
    dest: str | None  # None: an internal transition, the state stays
    checks: tuple[Check, ...]


def edges(playbook: Playbook) -> list[Edge]:
    """Every transition of the playbook's machine, in the order they are tried."""
    steps = playbook.steps
    leave = [tuple(Check(GUARDS[name], step) for name in ("checklist_complete", "facts_answered", "reply_published", *step.guards)) for step in steps]

    def route(into: int, skipping: range) -> tuple[Check, ...]:
        return (Check(_APPLIES, steps[into], True), *(Check(_SKIPPED, steps[k], True) for k in skipping))

    def can_skip(skipping: range) -> bool:  # only a conditional step can be passed over
        return all(steps[k].when for k in skipping)

    result = [Edge("acknowledge", "detected", "triage", ())]
    result += [Edge("dismiss", source, "dismissed", ()) for source in ("detected", "triage")]
    result += [Edge("respond", "triage", step.state, (Check(GUARDS["triage_facts_answered"]), *route(j, range(j))))
               for j, step in enumerate(steps) if can_skip(range(j))]
    for i, step in enumerate(steps):
        result += [Edge("next", step.state, steps[j].state, (*leave[i], *route(j, range(i + 1, j))))
                   for j in range(i + 1, len(steps)) if can_skip(range(i + 1, j))]
        if can_skip(range(i + 1, len(steps))):
            result.append(Edge("stabilize", step.state, "monitoring",
                               (*leave[i], *(Check(_SKIPPED, steps[k], True) for k in range(i + 1, len(steps))))))
    result += [
        Edge("relapse", "monitoring", playbook.step(playbook.relapse_to).state, ()),
        Edge("resolve", "monitoring", "resolved", ()),
        Edge("close", "resolved", "closed", (Check(GUARDS["review_complete"]),)),
        *(Edge("reopen", source, "triage", ()) for source in ("resolved", "dismissed")),
        *(Edge("escalate", source, None, (Check(GUARDS["below_top_level"]),))
          for source in ("detected", "triage", *(step.state for step in steps), "monitoring")),
    ]
    return result


_MACHINES: dict[tuple[str, str], _Machine] = {}


def machine_for(playbook: Playbook) -> _Machine:
    """The machine of this playbook version, built once per process."""
    key = (playbook.id, playbook.version)
    if key not in _MACHINES:
        transitions = [{"trigger": e.trigger, "source": e.source, "dest": e.dest, "conditions": list(e.checks)}
                       for e in edges(playbook)]
        _MACHINES[key] = _Machine(model=None, states=leaf_states(playbook), transitions=transitions, initial="detected",
                                  auto_transitions=False, send_event=True, ignore_invalid_triggers=False)
    return _MACHINES[key]


def leaf_states(playbook: Playbook) -> list[str]:
    return ["detected", "triage", *(s.state for s in playbook.steps), "monitoring", "resolved", "closed", "dismissed"]


def fire(playbook: Playbook, state: str, trigger: str, situation: Situation) -> str:
    """The state after `trigger`. Raises RefusedError with the reason and the actions allowed now."""
    if trigger not in TRIGGERS:
        raise UsageError(f"unknown action {trigger!r}", hint=f"actions: {', '.join(TRIGGERS)}")
    subject = _Subject(state, situation)
    try:
        moved = machine_for(playbook).events[trigger].trigger(subject)
    except MachineError:
        moved = False
    if not moved:
        reason, hint = _why_refused(playbook, state, trigger, situation)
        raise RefusedError(reason, hint=hint, allowed=tuple(allowed(playbook, state, situation)))
    return subject.state


def permits(playbook: Playbook, state: str, trigger: str, situation: Situation) -> bool:
    """Whether `trigger` would succeed now (fired on a throwaway subject: nothing is stored)."""
    try:
        return bool(machine_for(playbook).events[trigger].trigger(_Subject(state, situation)))
    except MachineError:
        return False


def allowed(playbook: Playbook, state: str, situation: Situation) -> list[str]:
    """The triggers that would succeed now, in lifecycle order."""
    candidates = set(machine_for(playbook).get_triggers(state))
    return [trigger for trigger in TRIGGERS if trigger in candidates and permits(playbook, state, trigger, situation)]


def _why_refused(playbook: Playbook, state: str, trigger: str, situation: Situation) -> tuple[str, str | None]:
    tried = [e for e in edges(playbook) if e.trigger == trigger and e.source == state]
    if not tried and trigger == "next" and state.startswith("responding."):
        return f"{state.split('.', 1)[1]} is the last step that applies to this incident", "run `crisis stabilize` once it is done"
    if not tried:
        sources = sorted({e.source for e in edges(playbook) if e.trigger == trigger})
        return f"{trigger} is not possible in state {state}; it starts from: {', '.join(sources)}", None
    for routing in (False, True):
        for edge in tried:
            failing = [c for c in edge.checks if c.routing == routing and not c.holds(situation)]
            if failing:
                return f"{trigger} refused: {failing[0].refusal(situation)}", failing[0].guard.hint
    return f"{trigger} refused in state {state}", None
