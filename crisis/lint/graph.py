"""The playbook's machine as Mermaid `stateDiagram-v2` text, drawn from the lifecycle's own edges."""

from __future__ import annotations

from itertools import product

from crisis.incident.lifecycle import Edge, edges
from crisis.playbook.model import Playbook, all_hold


def mermaid(playbook: Playbook, lang: str = "en") -> str:
    """Mermaid text for `crisis playbook graph`: paste it into any Mermaid renderer."""
    lines = ["stateDiagram-v2", f"    %% {playbook.id} ({playbook.title(lang)}), version {playbook.version}", "    [*] --> detected"]
    lines.append("    state responding {")
    for step in playbook.steps:
        lines.append(f"        {step.id} : {step.id} — {_label(step.title(lang))}")
    lines.append("    }")
    seen = set()
    for edge in edges(playbook):
        if edge.dest is None or not _possible(playbook, edge):
            continue
        source, dest = (_node(edge.source), _node(edge.dest))
        routes = [c for c in edge.checks if c.routing and c.guard.name == "step_applies" and c.step is not None and c.step.when]
        label = edge.trigger + "".join(f" [{_when(c.step)}]" for c in routes)  # type: ignore[arg-type]
        if (source, dest, label) not in seen:
            seen.add((source, dest, label))
            lines.append(f"    {source} --> {dest} : {label}")
    lines += ["    closed --> [*]",
              "    note right of monitoring",
              "        escalate, from any open state, raises the escalation level",
              "    end note"]
    return "\n".join(lines) + "\n"


def _possible(playbook: Playbook, edge: Edge) -> bool:
    """Whether some answers to the facts involved take this route, assuming they do not change on the way."""
    source = playbook.find_step(edge.source.split(".", 1)[1]) if edge.source.startswith("responding.") else None
    tests = [(True, source)] if source is not None and source.when else []
    tests += [(c.guard.name == "step_applies", c.step) for c in edge.checks if c.routing]
    keys = sorted({c.key for _, step in tests for c in step.when})  # type: ignore[union-attr]
    domains = []
    for key in keys:
        fact = playbook.find_fact(key)
        if fact is None or fact.type not in ("bool", "choice"):
            return True  # signals and open-ended facts: any route may be taken
        domains.append((True, False) if fact.type == "bool" else fact.choices)
    return any(all(all_hold(step.when, dict(zip(keys, values))) == wanted for wanted, step in tests)  # type: ignore[union-attr]
               for values in product(*domains))


def _node(state: str) -> str:
    return state.split(".", 1)[1] if state.startswith("responding.") else state


def _when(step) -> str:
    return ", ".join(f"{c.key} {'=' if c.op == 'eq' else c.op} {str(c.value).lower()}" for c in step.when)


def _label(text: str) -> str:
    return text.replace(":", " ").replace(";", ",")
