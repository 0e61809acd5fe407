"""The playbook's machine as Mermaid `stateDiagram-v2` text, drawn from the lifecycle's own edges."""

from __future__ import annotations

from crisis.incident.lifecycle import edges
from crisis.playbook.model import Playbook


def mermaid(playbook: Playbook, lang: str = "en") -> str:
    """Mermaid text for `crisis playbook graph`: paste it into any Mermaid renderer."""
    lines = ["stateDiagram-v2", f"    %% {playbook.id} ({playbook.title(lang)}), version {playbook.version}", "    [*] --> detected"]
    lines.append("    state responding {")
    for step in playbook.steps:
        lines.append(f"        {step.id} : {step.id} — {_label(step.title(lang))}")
    lines.append("    }")
    seen = set()
    for edge in edges(playbook):
        if edge.dest is None:
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


def _node(state: str) -> str:
    return state.split(".", 1)[1] if state.startswith("responding.") else state


def _when(step) -> str:
    return ", ".join(f"{c.key} {'=' if c.op == 'eq' else c.op} {str(c.value).lower()}" for c in step.when)


def _label(text: str) -> str:
    return text.replace(":", " ").replace(";", ",")
