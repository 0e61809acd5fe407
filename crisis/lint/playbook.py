"""What a reviewer would find in a playbook: unreachable or dead-end steps, missing templates, facts asked too late."""

from __future__ import annotations

from pathlib import Path

from crisis.incident.lifecycle import edges, leaf_states
from crisis.playbook.finding import Finding
from crisis.playbook.model import Condition, Playbook, severity_rank
from crisis.replies.render import check_replies
from crisis.settings import LANGUAGES
from crisis.triage.match import Matcher

FINAL = ("closed",)


def check_playbook(playbook: Playbook, templates_dir: Path) -> list[Finding]:
    """Every problem found in `playbook` and its templates; an empty list means it is fit to run. The templates
    are read (syntax, variables, each rendered with the samples) only when every one the steps name exists."""
    missing = _templates(playbook, templates_dir)
    replies = [] if missing else check_replies(playbook, templates_dir)
    return [*_reachability(playbook), *_facts_in_time(playbook), *missing, *_rules(playbook), *_detection(playbook), *_queries(playbook),
            *replies]


def _possible(playbook: Playbook, condition: Condition) -> bool:
    fact = playbook.find_fact(condition.key)
    if fact is None:
        return True  # a signal: any value may come
    values = {"bool": (True, False), "choice": fact.choices}.get(fact.type)
    return values is None or any(condition.holds({condition.key: v}) for v in values)


def _reachability(playbook: Playbook) -> list[Finding]:
    findings = []
    impossible = {step.id for step in playbook.steps if not all(_possible(playbook, c) for c in step.when)}
    for step in playbook.steps:
        if step.id in impossible:
            findings.append(Finding(playbook.path, step.line, f"step {step.id} can never apply: its `when` asks for a value its fact cannot take"))
    usable = [e for e in edges(playbook) if e.dest is not None and not (e.dest.startswith("responding.") and e.dest.split(".", 1)[1] in impossible)]
    reached, frontier = {"detected"}, ["detected"]
    while frontier:
        state = frontier.pop()
        for edge in usable:
            if edge.source == state and edge.dest not in reached:
                reached.add(edge.dest)  # type: ignore[arg-type]
                frontier.append(edge.dest)  # type: ignore[arg-type]
    for state in leaf_states(playbook):
        step = playbook.find_step(state.split(".", 1)[1]) if state.startswith("responding.") else None
        line = step.line if step else 1
        if state not in reached and (step is None or step.id not in impossible):
            findings.append(Finding(playbook.path, line, f"state {state} is unreachable from detected"))
        if state not in FINAL and not any(e.source == state for e in usable):
            findings.append(Finding(playbook.path, line, f"state {state} has no way out"))
    return findings


def _facts_in_time(playbook: Playbook) -> list[Finding]:
    """A fact a branch depends on must be answered before the branch is chosen."""
    findings, answered = [], set(playbook.triage_requires)
    for step in playbook.steps:
        for condition in step.when:
            if playbook.find_fact(condition.key) and condition.key not in answered:
                findings.append(Finding(playbook.path, step.line, f"step {step.id} branches on fact {condition.key}, which no earlier "
                                        "step or triage requires: list it in triage.requires_facts or an earlier step's requires_facts"))
        answered.update(step.requires_facts)
    return findings


def _templates(playbook: Playbook, templates_dir: Path) -> list[Finding]:
    findings = []
    for step in playbook.steps:
        if step.reply is None:
            continue
        for lang in LANGUAGES:
            path = templates_dir / playbook.id / f"{step.reply}.{lang}.txt.j2"
            if not path.is_file():
                findings.append(Finding(playbook.path, step.line, f"step {step.id} replies with template {step.reply!r}, "
                                        f"but {path} does not exist"))
    return findings


def _rules(playbook: Playbook) -> list[Finding]:
    findings = []
    default = playbook.default_severity
    for rule in playbook.severity_rules:
        if not all(_possible(playbook, c) for c in rule.when):
            findings.append(Finding(playbook.path, rule.line, f"severity rule → {rule.then} can never fire: it asks for a value "
                                    "its fact cannot take"))
        if severity_rank(rule.then) >= severity_rank(default):
            findings.append(Finding(playbook.path, rule.line, f"severity rule → {rule.then} never changes anything: "
                                    f"the default is already {default}", "warning"))
    seen: dict[str, str] = {}
    for step in playbook.steps:
        for item in step.checklist:
            if item.id in seen:
                findings.append(Finding(playbook.path, step.line, f"checklist item {item.id} appears in steps {seen[item.id]} and {step.id}", "warning"))
            seen.setdefault(item.id, step.id)
    return findings


def _queries(playbook: Playbook) -> list[Finding]:
    """The detection queries' own findings (triage/query.py): never matching, cancelled by a NOT, far costlier."""
    from crisis.triage.match import STOPWORDS
    from crisis.triage.query import lint_queries

    found = lint_queries(playbook.detect.queries, common=lambda word: len(word) < 3 or word in STOPWORDS)
    return [Finding(playbook.path, f.line, f.message, f.level) for f in found]


def _detection(playbook: Playbook) -> list[Finding]:
    """An exclusion close enough to one of the playbook's own phrases cancels every mention that uses it."""
    matcher = Matcher({playbook.id: playbook.detect})
    findings = []
    for lang, phrases in sorted(playbook.detect.phrases.items()):
        for phrase in phrases:
            verdict = next(iter(matcher.classify(phrase)), None)
            if verdict is not None and verdict.excluded_by is not None:
                findings.append(Finding(playbook.path, playbook.detect.line, f"detect: the exclusion {verdict.excluded_by.phrase!r} "
                                        f"matches the phrase {phrase!r} ({lang}) itself (score {verdict.excluded_by.score:.0f}): "
                                        "no mention using that phrase would ever open an incident"))
    return findings
