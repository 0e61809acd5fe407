"""Cost of firing a trigger on crisis's flat lifecycle machine, beside transitions' HierarchicalMachine.

    python bench/lifecycle.py [--rounds 20000]

The reference is the same playbook built as a HierarchicalMachine (steps nested under
`responding`), fired the same way, in the same process: the choice FSM-NOTES.md measured.
"""

from __future__ import annotations

import argparse
import logging
import time

from transitions.extensions.nesting import HierarchicalMachine, NestedState

from crisis.incident.lifecycle import edges, machine_for
from crisis.incident.rules import Situation
from crisis.playbook.loader import load_playbook
from crisis.settings import shipped_content

logging.getLogger("transitions").setLevel(logging.WARNING)


class Subject:
    def __init__(self, state: str, situation: Situation) -> None:
        self.state, self.situation = state, situation


class Dotted(NestedState):
    separator = "."


class Nested(HierarchicalMachine):
    state_cls = Dotted


def nested_machine(playbook) -> Nested:
    states = ["detected", "triage", {"name": "responding", "children": [s.id for s in playbook.steps], "initial": playbook.steps[0].id},
              "monitoring", "resolved", "closed", "dismissed"]
    transitions = [{"trigger": e.trigger, "source": e.source, "dest": e.dest, "conditions": list(e.checks)} for e in edges(playbook)]
    return Nested(model=None, states=states, transitions=transitions, initial="detected", auto_transitions=False, send_event=True)


def per_trigger_us(fire, rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        fire()
    return (time.perf_counter() - start) / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20_000)
    args = parser.parse_args()
    playbook = load_playbook(shipped_content() / "playbooks" / "hijacked_account.yaml")
    done = frozenset(("contain", item.id) for item in playbook.step("contain").checklist)
    situation = Situation(playbook, "SEV2", "comms_lead", {}, done)
    flat, nested = machine_for(playbook), nested_machine(playbook)
    ours = per_trigger_us(lambda: flat.events["next"].trigger(Subject("responding.contain", situation)), args.rounds)
    theirs = per_trigger_us(lambda: nested.trigger_event(Subject("responding.contain", situation), "next"), args.rounds)
    print(f"flat machine (crisis):           {ours:7.1f} µs per `next` with guards, {args.rounds} rounds")
    print(f"reference HierarchicalMachine:   {theirs:7.1f} µs per `next`, same playbook and guards")
    print(f"ratio reference/crisis: {theirs / ours:.1f}×")


if __name__ == "__main__":
    main()
