"""The layers and library owners of DESIGN.md, read from the imports as they stand."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "crisis"

# Layer of each module (by dotted prefix, most specific wins). A module may import only its own layer or lower.
LAYERS = {
    "crisis": 0, "crisis.errors": 0, "crisis.clock": 0, "crisis.settings": 0, "crisis.yamlfile": 1,
    "crisis.playbook": 1,
    "crisis.incident": 1, "crisis.incident.models": 2, "crisis.incident.service": 3, "crisis.incident.reading": 3, "crisis.incident.timeline": 3,
    "crisis.incident.deadlines": 3, "crisis.incident.detail": 3,
    "crisis.incident.seal": 2, "crisis.incident.anchor_store": 2, "crisis.incident.replay": 3, "crisis.incident.anchor": 3,
    "crisis.replies.replay": 3,
    "crisis.triage": 1, "crisis.triage.readers": 2, "crisis.triage.models": 2, "crisis.triage.service": 3, "crisis.triage.volume": 3,
    "crisis.triage.storage": 2,
    "crisis.replies": 1, "crisis.replies.render": 2, "crisis.replies.models": 2, "crisis.replies.service": 3,
    "crisis.oncall": 1, "crisis.oncall.models": 2, "crisis.oncall.heartbeat": 3, "crisis.oncall.governance": 3, "crisis.oncall.service": 3, "crisis.oncall.reactions": 3,
    "crisis.outbox": 1, "crisis.outbox.urls": 0, "crisis.outbox.models": 2, "crisis.outbox.notifiers": 2, "crisis.outbox.recording": 2, "crisis.outbox.queue": 3, "crisis.outbox.delivery": 3,
    "crisis.lint": 2,
    "crisis.drill": 1, "crisis.drill.roster": 1, "crisis.drill.outcome": 1, "crisis.drill.models": 2, "crisis.drill.simulator": 3, "crisis.drill.service": 3, "crisis.drill.live": 3,
    "crisis.report": 1, "crisis.report.render": 2, "crisis.report.service": 3,
    "crisis.db": 2, "crisis.migrations": 2,
    "crisis.runtime": 3, "crisis.scheduler": 3,
    "crisis.cli": 4, "crisis.__main__": 4,
    "crisis.report.evidence": 2, "crisis.report.chart": 2, "crisis.report.period_service": 3, "crisis.report.evidence_service": 3,
}
OWNERS = {  # third-party library → the only modules allowed to import it
    "transitions": ("crisis.incident.lifecycle",),
    "typer": ("crisis.cli",),
    "rich": ("crisis.cli",),
    "jinja2": ("crisis.replies.render", "crisis.report.render"),
    "sqlalchemy": ("crisis.db", "crisis.migrations", "crisis.runtime", "crisis.scheduler", "crisis.incident.replay", "crisis.incident.anchor",
                   "crisis.incident.reading",
                   "crisis.replies.replay") + tuple(
        f"crisis.{domain}.{role}" for domain in ("incident", "triage", "replies", "oncall", "outbox", "drill", "report")
        for role in ("models", "storage", "service", "timeline", "detail", "volume", "heartbeat", "governance", "queue", "delivery", "reactions", "simulator", "live",
                     "period_service", "evidence_service")),
    "pygal": ("crisis.report.chart",),
    "alembic": ("crisis.db", "crisis.migrations"),
    "click": (),
    "twitter_text": ("crisis.replies.channels",),
    "spellchecker": ("crisis.triage.lexicon",),
    "rapidfuzz": ("crisis.triage.match", "crisis.triage.service"),
    "croniter": ("crisis.drill.schedule",),
    "yaml": ("crisis.yamlfile", "crisis.playbook.loader", "crisis.oncall.roster", "crisis.drill.loader", "crisis.drill.play"),
}
# Between domains, one direction (DESIGN.md): playbook ← incident ← {triage, replies, oncall} ← {drill, report} ← cli;
# the outbox is plumbing shared by paging and publishing. Each domain → the domains it must never import.
FORBIDDEN = {
    "playbook": ("incident", "triage", "replies", "oncall", "outbox", "lint", "drill", "report", "runtime", "scheduler"),
    "incident": ("triage", "replies", "oncall", "outbox", "lint", "drill", "report", "runtime", "scheduler"),
    "triage": ("replies", "oncall", "outbox", "drill", "report", "runtime", "scheduler"),
    "replies": ("triage", "oncall", "drill", "report", "runtime", "scheduler"),
    "oncall": ("triage", "replies", "drill", "report", "runtime", "scheduler"),
    "outbox": ("triage", "replies", "oncall", "drill", "report", "runtime", "scheduler"),
    "lint": ("drill", "report", "runtime", "scheduler"),
    "drill": ("report",),
}


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append((name, path))
    return found


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def layer_of(module: str) -> int | None:
    best = max((prefix for prefix in LAYERS if module == prefix or module.startswith(prefix + ".")), key=len, default=None)
    return LAYERS[best] if best else None


def owned_by(module: str, owners: tuple[str, ...]) -> bool:
    return any(module == o or module.startswith(o + ".") for o in owners)


def violations(module: str, path: Path) -> list[str]:
    """What in `path` (the source of `module`) breaks the layers, the domain directions or the library owners."""
    own, found = layer_of(module), []
    if own is None:
        return [f"{module} has no layer in tests/test_architecture.py: give it one from DESIGN.md"]
    domain = module.split(".")[1] if module.count(".") >= 1 else ""
    for name in sorted(imports(path)):
        top = name.split(".")[0]
        if top == "crisis":
            target, parts = layer_of(name), name.split(".")
            if name.startswith("crisis.cli") and own != 4:
                found.append(f"{module} imports {name}: nothing outside the CLI imports crisis.cli")
            elif target is not None and target > own:
                found.append(f"{module} (layer {own}) imports {name} (layer {target}): imports only go down")
            elif len(parts) > 1 and parts[1] in FORBIDDEN.get(domain, ()):
                found.append(f"{module} imports {name}: the {domain} domain never imports the {parts[1]} domain")
        elif top in OWNERS and not owned_by(module, OWNERS[top]):
            found.append(f"{module} imports {top}, which only {', '.join(OWNERS[top]) or 'nobody (use typer)'} may import")
    return found


@pytest.mark.parametrize("module,path", modules(), ids=[m for m, _ in modules()])
def test_imports_respect_layers_domains_and_owners(module, path):
    assert violations(module, path) == []


@pytest.mark.parametrize("scratch,source,broken", [
    ("crisis.incident.scratch", "from crisis.oncall.roster import Roster\n", "the incident domain never imports the oncall domain"),
    ("crisis.incident.scratch", "from crisis.replies.models import Reply\n", "layer 1) imports crisis.replies.models.Reply (layer 2)"),
    ("crisis.playbook.scratch", "import crisis.triage.match\n", "the playbook domain never imports the triage domain"),
    ("crisis.triage.scratch", "from crisis.oncall import roster\n", "the triage domain never imports the oncall domain"),
    ("crisis.replies.scratch", "from crisis.cli import context\n", "nothing outside the CLI imports crisis.cli"),
    ("crisis.playbook.scratch", "import yaml\n", "imports yaml, which only"),
])
def test_a_deliberate_back_import_is_caught(tmp_path, scratch, source, broken):
    """The rules above are not vacuous: a scratch module importing the wrong way is reported."""
    path = tmp_path / "scratch.py"
    path.write_text(source, encoding="utf-8")
    assert any(broken in v for v in violations(scratch, path)), violations(scratch, path)


WALL_CLOCK = re.compile(r"\b(datetime\.(now|utcnow|today)|date\.today|time\.time|time\.monotonic)\(")


def test_only_the_clock_reads_the_wall_clock():
    offenders = [f"{path.relative_to(PACKAGE.parent)}:{n}: {line.strip()}"
                 for _, path in modules() if path.name != "clock.py"
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if WALL_CLOCK.search(line)]
    assert offenders == []


def test_the_cli_changes_nothing_through_the_session():
    offenders = [f"{path}:{n}" for module, path in modules() if module.startswith("crisis.cli")
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"\bsession\.(add|delete|execute|merge|commit)\(", line)]
    assert offenders == []


def test_services_never_commit():
    offenders = [f"{path}:{n}" for module, path in modules() if not module.startswith("crisis.cli") and module != "crisis.db"
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if re.search(r"\.(commit|rollback)\(", line)]
    assert offenders == []


