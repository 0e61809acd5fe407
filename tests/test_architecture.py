"""The layers and library owners of DESIGN.md, read from the imports as they stand."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "crisis"

# Layer of each module (by dotted prefix, most specific wins). A module may import only its own layer or lower.
LAYERS = {
    "crisis.errors": 0, "crisis.clock": 0, "crisis.settings": 0, "crisis": 0, "crisis.yamlfile": 1,
    "crisis.playbook": 1, "crisis.oncall.roster": 1, "crisis.incident.lifecycle": 1, "crisis.incident.rules": 1, "crisis.incident.chain": 1,
    "crisis.db": 2, "crisis.migrations": 2, "crisis.incident.models": 2, "crisis.oncall.models": 2,
    "crisis.incident.service": 3, "crisis.incident.timeline": 3, "crisis.incident.deadlines": 3, "crisis.outbox": 1, "crisis.outbox.queue": 3, "crisis.outbox.delivery": 3, "crisis.outbox.models": 2,
    "crisis.cli": 4, "crisis.__main__": 4,
    "crisis.triage": 1, "crisis.triage.fold": 1, "crisis.triage.match": 1, "crisis.triage.lexicon": 1, "crisis.triage.spikes": 1,
    "crisis.triage.readers": 2, "crisis.triage.models": 2, "crisis.triage.service": 3,
    "crisis.replies": 1, "crisis.replies.channels": 1, "crisis.replies.manifest": 1,
    "crisis.replies.render": 2, "crisis.replies.models": 2, "crisis.replies.service": 3,
    "crisis.oncall.rotations": 1, "crisis.oncall.policy": 1, "crisis.outbox.backoff": 1, "crisis.oncall.messages": 1,
    "crisis.oncall.permissions": 1, "crisis.oncall.check": 1, "crisis.outbox.notifiers": 2, "crisis.oncall.service": 3,
}
OWNERS = {  # third-party library → the only modules allowed to import it
    "transitions": ("crisis.incident.lifecycle",),
    "typer": ("crisis.cli",),
    "rich": ("crisis.cli",),
    "jinja2": ("crisis.replies.render", "crisis.report.render"),
    "sqlalchemy": ("crisis.db", "crisis.migrations", "crisis.incident.models", "crisis.incident.service", "crisis.incident.timeline",
                   "crisis.oncall.models", "crisis.outbox.models", "crisis.outbox.queue", "crisis.outbox.delivery", "crisis.triage.models", "crisis.triage.service", "crisis.replies.models", "crisis.replies.service",
                   "crisis.oncall.service"),
    "alembic": ("crisis.db", "crisis.migrations"),
    "click": (),
    "twitter_text": ("crisis.replies.channels",),
    "spellchecker": ("crisis.triage.lexicon",),
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


@pytest.mark.parametrize("module,path", modules(), ids=[m for m, _ in modules()])
def test_imports_respect_layers_and_owners(module, path):
    own = layer_of(module)
    assert own is not None, f"{module} has no layer in tests/test_architecture.py: give it one from DESIGN.md"
    for name in imports(path):
        top = name.split(".")[0]
        if top == "crisis":
            target = layer_of(name)
            if name.startswith("crisis.cli") and own != 4:
                pytest.fail(f"{module} imports {name}: nothing outside the CLI imports crisis.cli")
            if target is not None and target > own:
                pytest.fail(f"{module} (layer {own}) imports {name} (layer {target}): imports only go down")
        elif top in OWNERS and not owned_by(module, OWNERS[top]):
            pytest.fail(f"{module} imports {top}, which only {', '.join(OWNERS[top]) or 'nobody (use typer)'} may import")


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


LAYERS.setdefault("crisis.incident.review_file", 1)  # the review file reader: pure, like incident.rules (DESIGN.md L1)
