"""What an exercise designer's reviewer would find in a scenario: unknown playbooks, personas, pools,
templates and facts; offsets past the end; conditions that can never hold; plays naming what the
scenario lacks. Reads the playbooks and the template files; changes nothing."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from crisis.drill.play import Play
from crisis.drill.roster import DrillRoster
from crisis.drill.scenario import (
    Amplify, Article, Condition, DecisionPoint, FactKnown, Inject, Message, Objective, Post, Scenario, Wave, format_offset, parse_offset,
)
from crisis.errors import ContentError
from crisis.playbook.loader import load_playbook, parse_fact_value
from crisis.playbook.model import Playbook


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    message: str
    level: str = "error"  # error or warning

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.level}: {self.message}"


class _Review:
    """The scenario under review, its playbooks, and the findings so far."""

    def __init__(self, scenario: Scenario, playbooks_dir: Path, templates_dir: Path) -> None:
        self.scenario, self.templates_dir, self.findings = scenario, templates_dir, []
        self.playbooks: dict[str, Playbook] = {}
        for pid in scenario.playbooks:
            path = playbooks_dir / f"{pid}.yaml"
            if not path.is_file():
                known = ", ".join(sorted(p.stem for p in playbooks_dir.glob("*.yaml"))) or "none"
                self.add(scenario.lines.get("playbooks", 1), f"unknown playbook {pid!r}; known playbooks: {known}")
                continue
            try:
                self.playbooks[pid] = load_playbook(path)
            except ContentError as exc:
                self.add(scenario.lines.get("playbooks", 1), f"playbook {pid!r} does not load: {exc.message}")

    def add(self, line: int, message: str, level: str = "error") -> None:
        self.findings.append(Finding(self.scenario.path, line, message, level))

    def persona(self, line: int, persona: str | None, where: str) -> None:
        if persona is not None and self.scenario.find_persona(persona) is None:
            known = ", ".join(p.id for p in self.scenario.personas) or "none"
            self.add(line, f"{where}: unknown persona {persona!r}; declared personas: {known}")

    def template(self, name: str) -> bool:
        return any(next((self.templates_dir / pid).glob(f"{name}.*txt.j2"), None) is not None for pid in self.playbooks)

    def step_possible(self, step) -> bool:
        """Whether a step's `when` can hold with the values the scenario's fact injects reveal."""
        revealed: dict[str, list] = {}
        for inject in self.scenario.injects:
            if isinstance(inject.body, FactKnown):
                revealed.setdefault(inject.body.key, []).append(inject.body.value)
        return all(any(c.holds({c.key: v}) for v in revealed.get(c.key, ())) for c in step.when)

    def template_blocked_by(self, name: str) -> list[str]:
        """The steps that publish template `name`, when none of them can apply in this scenario (else [])."""
        steps = [s for pb in self.playbooks.values() for s in pb.steps if s.reply == name]
        return [] if not steps or any(self.step_possible(s) for s in steps) else [s.id for s in steps]

    def fact(self, line: int, key: str, value: object, where: str, *, playbook: str | None = None) -> None:
        owners = [pb for pid, pb in self.playbooks.items() if playbook in (None, pid)]
        facts = [f for pb in owners for f in pb.facts if f.id == key]
        if not facts:
            known = ", ".join(sorted({f.id for pb in owners for f in pb.facts})) or "none"
            self.add(line, f"{where}: unknown fact {key!r}; the playbook's facts: {known}")
            return
        if facts[0].type == "date" and isinstance(value, str) and value.startswith("T+"):
            try:
                parse_offset(value)  # the drill's own date: its start plus the offset
            except ValueError as exc:
                self.add(line, f"{where}: {exc}")
            return
        try:
            parse_fact_value(facts[0], str(value).lower() if isinstance(value, bool) else str(value))
        except ValueError as exc:
            self.add(line, f"{where}: {value!r} does not fit fact {key!r} ({facts[0].type}): {exc}")

    def condition(self, inject: Inject | None, c: Condition, where: str) -> None:
        at = inject.at if inject is not None else None
        levels = {lv for pb in self.playbooks.values() for lv in pb.escalation_levels}
        steps = {s.id for pb in self.playbooks.values() for s in pb.steps}
        if c.key == "published" and c.arg is not None and self.playbooks and not self.template(c.arg):
            self.add(c.line, f"{where}: unknown template {c.arg!r} in the templates of {', '.join(self.playbooks)}")
        elif c.key == "published" and c.arg is not None and self.template_blocked_by(c.arg):
            self.add(c.line, f"{where}: unreachable: {c.arg!r} is the reply of step {', '.join(self.template_blocked_by(c.arg))}, "
                             "whose `when` no fact revealed by this scenario satisfies")
        elif c.key == "escalated_to" and self.playbooks and c.arg not in levels:
            self.add(c.line, f"{where}: {c.arg!r} is not an escalation level; expected one of: {', '.join(sorted(levels))}")
        elif c.key == "step" and self.playbooks and c.arg not in steps:
            self.add(c.line, f"{where}: {c.arg!r} is not a step of {', '.join(self.playbooks)}")
        elif c.key == "fact":
            self.fact(c.line, c.arg or "", c.value, where)
        elif c.key == "fired":
            other = self.scenario.find_inject(c.arg or "")
            if other is None:
                self.add(c.line, f"{where}: unknown inject {c.arg!r}")
            elif at is not None and other.at >= at:
                self.add(c.line, f"{where}: unreachable: inject {c.arg!r} fires at {format_offset(other.at)}, not before {format_offset(at)}")
        elif c.key == "decided":
            point = self.scenario.find_inject(c.arg or "")
            if point is None or not isinstance(point.body, DecisionPoint):
                self.add(c.line, f"{where}: {c.arg!r} is not a decision point of this scenario")
            elif c.value not in {o.id for o in point.body.options}:
                self.add(c.line, f"{where}: {c.value!r} is not an option of {c.arg!r}: {', '.join(o.id for o in point.body.options)}")
            elif at is not None and point.at >= at:
                self.add(c.line, f"{where}: unreachable: decision {c.arg!r} is only put at {format_offset(point.at)}")


def check_scenario(scenario: Scenario, playbooks_dir: Path, templates_dir: Path) -> list[Finding]:
    """Every problem found in `scenario`; an empty list means it is fit to play."""
    review = _Review(scenario, playbooks_dir, templates_dir)
    end = format_offset(scenario.duration)
    if scenario.background is not None and scenario.background.pool not in scenario.pools:
        review.add(scenario.background.line, f"background: unknown pool {scenario.background.pool!r}; declared pools: {', '.join(scenario.pools) or 'none'}")
    for before, inject in zip(scenario.injects, scenario.injects[1:]):
        if inject.at < before.at:
            review.add(inject.line, f"inject {inject.id} at {format_offset(inject.at)} comes after {before.id} at "
                                    f"{format_offset(before.at)}: keep the MEL in time order, it is read as a timeline", "warning")
    for inject in scenario.injects:
        where, body, line = f"inject {inject.id}", inject.body, inject.line
        if inject.at > scenario.duration:
            review.add(line, f"{where}: at {format_offset(inject.at)} is beyond the drill's duration ({end})")
        if isinstance(body, (Post, Article, Message)):
            review.persona(line, body.persona, where)
        elif isinstance(body, Wave):
            for persona in body.personas:
                review.persona(line, persona, where)
            if body.pool not in scenario.pools:
                review.add(line, f"{where}: unknown pool {body.pool!r}; declared pools: {', '.join(scenario.pools) or 'none'}")
            if inject.at + body.over > scenario.duration:
                review.add(line, f"{where}: the wave runs past the drill's end ({end}); the rest is cut", "warning")
        elif isinstance(body, FactKnown):
            if body.playbook not in scenario.playbooks:
                review.add(line, f"{where}: playbook {body.playbook!r} is not one this scenario exercises ({', '.join(scenario.playbooks)})")
            elif body.playbook in review.playbooks:
                review.fact(line, body.key, body.value, where, playbook=body.playbook)
        elif isinstance(body, DecisionPoint):
            review.persona(line, body.asked_by, where)
            if inject.at + body.deadline > scenario.duration:
                review.add(line, f"{where}: its deadline falls after the drill's end ({end}); the default would never be taken")
        elif isinstance(body, Amplify):
            wave = scenario.find_inject(body.wave)
            if wave is None or not isinstance(wave.body, Wave):
                review.add(line, f"{where}: {body.wave!r} is not a wave of this scenario")
            elif not wave.at < inject.at < wave.at + wave.body.over:
                review.add(line, f"{where}: unreachable: wave {body.wave!r} runs from {format_offset(wave.at)} to "
                                 f"{format_offset(wave.at + wave.body.over)}, so nothing is left to amplify at {format_offset(inject.at)}")
        for c in (*inject.when, *inject.unless):
            review.condition(inject, c, where)
        both = {(c.key, c.arg, repr(c.value)) for c in inject.when} & {(c.key, c.arg, repr(c.value)) for c in inject.unless}
        if both:
            review.add(line, f"{where}: unreachable: the same condition is in both `if` and `unless` ({', '.join(k for k, _, _ in both)})")
    _facts_the_team_needs(review)
    levels = {lv for pb in review.playbooks.values() for lv in pb.escalation_levels}
    for level in scenario.silent_levels:
        if review.playbooks and level not in levels:
            review.add(scenario.lines.get("silent_levels", 1), f"silent_levels: {level!r} is not an escalation level; expected one of: {', '.join(sorted(levels))}")
    for objective in scenario.objectives:
        _objective(review, objective)
    used = {getattr(i.body, "persona", None) for i in scenario.injects} | {getattr(i.body, "asked_by", None) for i in scenario.injects} \
        | {p for i in scenario.injects if isinstance(i.body, Wave) for p in i.body.personas} \
        | {o.args.get("persona") for o in scenario.objectives}
    for persona in scenario.personas:
        if persona.language not in scenario.languages:
            review.add(persona.line, f"persona {persona.id} writes in {persona.language}, not a language of the scenario "
                                     f"({', '.join(scenario.languages)})", "warning")
        if persona.id not in used:
            review.add(persona.line, f"persona {persona.id} writes no inject", "warning")
    return review.findings


def _facts_the_team_needs(review: _Review) -> None:
    """Warn of every fact triage or an applicable step asks that no inject ever makes known: a
    scripted team answers only what the scenario tells it."""
    scenario = review.scenario
    values = {i.body.key: i.body.value for i in sorted(scenario.injects, key=lambda i: i.at) if isinstance(i.body, FactKnown)}
    for pid, pb in review.playbooks.items():
        steps = [s for s in pb.steps if all(c.holds(values) for c in s.when)]
        needed = dict.fromkeys([*pb.triage_requires, *(f for s in steps for f in s.requires_facts)])
        for key in needed:
            if key not in values:
                review.add(scenario.lines.get("injects", 1), f"playbook {pid} asks for fact {key!r} but no inject makes it known; "
                                                             "add a `fact` inject (what the team sees at once goes at T+0:00)", "warning")


def _objective(review: _Review, objective: Objective) -> None:
    where, line, args, scenario = f"objective {objective.id}", objective.line, objective.args, review.scenario
    if objective.since is not None and scenario.find_inject(objective.since) is None:
        review.add(line, f"{where}: `from` names no inject of this scenario: {objective.since!r}")
    if objective.within is not None and objective.within > scenario.duration:
        review.add(line, f"{where}: `within` is longer than the drill ({format_offset(scenario.duration)}); it can never be missed", "warning")
    if objective.expect == "published" and "template" in args and review.playbooks and not review.template(str(args["template"])):
        review.add(line, f"{where}: unknown template {args['template']!r} in the templates of {', '.join(review.playbooks)}")
    elif objective.expect == "published" and "template" in args and review.template_blocked_by(str(args["template"])):
        review.add(line, f"{where}: can never be met: {args['template']!r} is the reply of step "
                         f"{', '.join(review.template_blocked_by(str(args['template'])))}, whose `when` no fact revealed by this scenario satisfies")
    if objective.expect == "playbook" and args.get("playbook") not in scenario.playbooks:
        review.add(line, f"{where}: {args.get('playbook')!r} is not a playbook this scenario exercises")
    if objective.expect == "escalated":
        levels = {lv for pb in review.playbooks.values() for lv in pb.escalation_levels}
        if review.playbooks and args.get("level") not in levels:
            review.add(line, f"{where}: {args.get('level')!r} is not an escalation level; expected one of: {', '.join(sorted(levels))}")
    level = args.get("level", 1)
    if objective.expect == "paged" and (isinstance(level, bool) or not isinstance(level, int) or level < 1):
        review.add(line, f"{where}: paged.level {level!r} is not a level of an escalation policy; expected 1 (the first level paged), 2…")
    if objective.expect == "severity_reached" and args.get("severity") not in ("SEV1", "SEV2", "SEV3", "SEV4"):
        review.add(line, f"{where}: {args.get('severity')!r} is not a severity")
    if objective.expect == "checked":
        items = {i.id for pb in review.playbooks.values() for s in pb.steps for i in s.checklist}
        if review.playbooks and args.get("item") not in items:
            review.add(line, f"{where}: {args.get('item')!r} is not a checklist item of {', '.join(review.playbooks)}")
    if objective.expect == "answered":
        review.persona(line, args.get("persona"), where)
    if objective.expect == "decided":
        point = scenario.find_inject(str(args.get("point")))
        if point is None or not isinstance(point.body, DecisionPoint):
            review.add(line, f"{where}: {args.get('point')!r} is not a decision point of this scenario")
    for key in ("severity", "level", "template", "playbook", "persona", "point", "item"):
        if key in EXPECTS_ARG.get(objective.expect, ()) and key not in args:
            review.add(line, f"{where}: {objective.expect} needs {key!r}")


EXPECTS_ARG = {"checked": ("item",), "severity_reached": ("severity",), "escalated": ("level",), "answered": ("persona",), "decided": ("point",), "playbook": ("playbook",)}


def _named_steps(play: Play) -> list[tuple[int, str, str]]:
    """(line, where, step) for each step a play's action names: `on: step_entered` with `step:`, `when: {state: responding.STEP}`."""
    named = []
    for action in play.actions:
        where = f"action {action.do} (as {action.actor})"
        if action.on == "step_entered" and action.on_arg:
            named.append((action.line, f"{where}: step", action.on_arg))
        wait = action.waits_for
        if wait is not None and wait.state and "." in wait.state:
            named.append((wait.line, f"{where}: when.state {wait.state}", wait.state.split(".", 1)[1]))
    return named


def check_play_steps(play: Play, playbooks: Mapping[str, Playbook]) -> list[Finding]:
    """Errors for the steps a play waits for or is triggered by that no playbook of the workspace has, at their line."""
    steps = sorted({step.id for pb in playbooks.values() for step in pb.steps})
    findings = []
    for line, where, step in _named_steps(play):
        if step not in steps:
            near = difflib.get_close_matches(step, steps, n=3)
            hint = f"did you mean {', '.join(near)}?" if near else f"steps: {', '.join(steps) or 'none'}"
            findings.append(Finding(play.path, line, f"{where}: no playbook has a step {step!r}; {hint}"))
    return findings


def check_play_roster(play: Play, roster: DrillRoster) -> list[Finding]:
    """An error for each person of `play` the roster a simulation pages with does not list: their every move would be refused."""
    if roster.roster is None:
        return []
    missing = [m.id for m in play.people if roster.roster.find_person(m.id) is None]
    if not missing:
        return []
    return [Finding(play.path, play.lines.get("people", 1), f"people: {', '.join(missing)} not on the roster a simulation pages with "
                                                          f"({roster.roster.path}): every move of theirs would be refused; add them there")]


def check_play(play: Play, scenario: Scenario, *, playbooks: Mapping[str, Playbook] | None = None) -> list[Finding]:
    """What `play` names that `scenario` lacks: injects, decision points, personas to delete, and (given the
    playbooks) steps that none of the scenario's playbooks has."""
    findings = []
    if playbooks is not None:
        steps = {step.id for pid in scenario.playbooks if pid in playbooks for step in playbooks[pid].steps}
        for line, where, step in _named_steps(play):
            if step not in steps and any(step in {s.id for s in pb.steps} for pb in playbooks.values()):
                findings.append(Finding(play.path, line, f"{where}: scenario {scenario.id} plays {', '.join(scenario.playbooks)}, "
                                                         f"which has no step {step!r}: the move never comes due", "warning"))
    points = {i.id for i in scenario.decision_points()}
    for action in play.actions:
        where = f"action {action.do} (as {action.actor})"
        if action.on == "inject" and scenario.find_inject(action.on_arg or "") is None:
            findings.append(Finding(play.path, action.line, f"{where}: scenario {scenario.id} has no inject {action.on_arg!r}", "warning"))
        point, option = action.args.get("point"), action.args.get("option")
        if action.do == "decide" and point is not None and point not in points:
            findings.append(Finding(play.path, action.line, f"{where}: scenario {scenario.id} has no decision point {point!r}", "warning"))
        options = {o.id for i in scenario.decision_points() if point in (None, i.id) for o in i.body.options}  # type: ignore[union-attr]
        if action.do == "decide" and option not in ("good", "bad", "default") and option not in options:
            findings.append(Finding(play.path, action.line, f"{where}: {option!r} is not good, bad, default or an option of "
                                                            f"{point or 'any decision point'} in scenario {scenario.id}", "warning"))
        target = action.args.get("target")
        if action.do in ("delete", "hide") and target not in (None, "any_critic") and scenario.find_inject(str(target)) is None \
                and scenario.find_persona(str(target)) is None:
            findings.append(Finding(play.path, action.line, f"{where}: scenario {scenario.id} has no inject or persona {target!r}", "warning"))
    return findings
