"""A play: a scripted team for simulated drills (`drills/teams/<id>.yaml`). Who does what, when or on
which event, as actions named like the CLI commands, and the outcome the team is expected to get."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from crisis.drill.loader import read_conditions, read_duration, read_localized, read_names, read_offset
from crisis.drill.scenario import STATES, Condition
from crisis.errors import ContentError, NotFoundError
from crisis.playbook.model import Localized
from crisis.yamlfile import NAME, Source, compose_yaml, read_int, read_list, read_mapping, read_name, read_pairs, read_scalar, read_text

# What sets an action off (besides an absolute `at`); `inject` and `step` narrow the ones that name them. The moves on
# `paged` are made only by the people paged; on `reply_endorsed`, only by those holding a role the approval still needs.
TRIGGERS = ("start", "incident_opened", "inject", "fact_known", "decision", "step_entered", "reply_drafted",
            "reply_approved", "reply_published", "escalated", "message", "paged", "reply_endorsed")
# What a move may wait for (`when:`): the current step done, or the facts it needs answered, the triage done, or `{state: NAME}`.
WAITS = ("step_done", "facts_answered", "triage_done")
STATE_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")
# Each action (as the CLI names it) → (required arguments, optional arguments).
ACTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ack": ((), ("note",)), "respond": ((), ("note",)), "next": ((), ("note",)), "stabilize": ((), ("note",)),
    "relapse": ((), ("note",)), "resolve": ((), ("note",)), "close": ((), ("note",)), "dismiss": ((), ("note",)),
    "fact": (("key",), ("value",)),                   # key: a fact id, or `known` for every fact known so far
    "check": (("item",), ()),                         # item: a checklist item, or `all` for the current step's
    "draft": ((), ("template", "text", "channel", "lang", "tone", "values")),  # template: a name, or `step`
    "approve": ((), ("reply",)), "reject": (("why",), ("reply",)), "publish": ((), ("reply", "via")),
    "escalate": ((), ("to", "why")), "severity": (("level", "why"), ()),
    "review": (("what", "gained"), ("follow_ups",)),
    "decide": (("option",), ("point",)),              # option: an id, good, bad or default; point: defaults to the one just put
    "delete": (("target",), ()), "hide": (("target",), ()),  # target: an inject id, a persona, or any_critic
    "answer": ((), ("persona", "text")),              # answer a journalist or a message to the team (default: its sender)
    "page_ack": ((), ()),
}
TEXTS = ("note", "text", "why", "what", "gained")  # a text, or {fr: …, en: …} taken in the scenario's language
TONES = ("neutral", "humour", "defensive")
BREACHES = ("self_approval", "critic_deleted", "humour_before_facts", "published_unapproved", "silence", "late_ack", "late_statement")


@dataclass(frozen=True)
class Member:
    id: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class FollowUp:
    """A corrective action of the post-incident review: what, who, due how long after the review."""

    action: str | Localized
    owner: str
    due: timedelta


@dataclass(frozen=True)
class Wait:
    """What a move waits for once due: `step_done` (the playbook lets the team leave the step it is in),
    `facts_answered` (the facts that step needs are answered), `triage_done` (the facts the response needs are
    answered), or `state` (the incident is in `state`: a lifecycle state, or `responding.<step>`)."""

    kind: str
    state: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Action:
    """One scripted move: `do` by `actor`, at `at` or `after` the trigger `on`, if the conditions hold; with
    `waits_for` (`when:`), once the incident is ready for it."""

    do: str
    actor: str
    args: dict[str, Any]
    at: timedelta | None = None
    on: str | None = None
    on_arg: str | None = None
    after: timedelta = timedelta(0)
    when: tuple[Condition, ...] = ()
    unless: tuple[Condition, ...] = ()
    line: int = 0
    waits_for: Wait | None = None


@dataclass(frozen=True)
class Expected:
    """What the play should score, and the rule-breakings the scorecard must name."""

    score_min: int
    score_max: int
    breaches: tuple[str, ...]
    outcome: Localized


@dataclass(frozen=True)
class Play:
    id: str
    title: Localized
    summary: Localized
    people: tuple[Member, ...]
    actions: tuple[Action, ...]
    expected: Expected
    path: str = ""
    lines: dict[str, int] = field(default_factory=dict)

    def member(self, member_id: str) -> Member | None:
        return next((m for m in self.people if m.id == member_id), None)


def _follow_up(src: Source, node: yaml.Node, where: str, people: dict[str, Member]) -> FollowUp:
    m = read_mapping(src, node, where, required=("action", "owner", "due"))
    owner = read_name(src, m["owner"], f"{where}.owner")
    if owner not in people:
        raise src.error(m["owner"], f"{where}.owner", f"{owner!r} is not in this team's people: {', '.join(people)}")
    action = read_localized(src, m["action"], f"{where}.action") if isinstance(m["action"], yaml.MappingNode) else read_text(src, m["action"], f"{where}.action")
    return FollowUp(action, owner, read_duration(src, m["due"], f"{where}.due"))


def _action(src: Source, node: yaml.Node, where: str, people: dict[str, Member]) -> Action:
    common = ("do", "as", "at", "on", "inject", "step", "after", "if", "unless", "when")
    m = read_mapping(src, node, where, required=("do", "as"), optional=(*common, *{a for r, o in ACTIONS.values() for a in (*r, *o)}))
    do = read_text(src, m["do"], f"{where}.do")
    if do not in ACTIONS:
        raise src.error(m["do"], f"{where}.do", f"{do!r} is not an action; expected one of: {', '.join(ACTIONS)}")
    required, optional = ACTIONS[do]
    for key, value in m.items():
        if key not in common and key not in (*required, *optional):
            raise src.error(value, f"{where}.{key}", f"`{do}` takes no {key}; it takes: {', '.join((*required, *optional)) or 'nothing'}")
    for key in required:
        if key not in m:
            raise src.error(node, where, f"`{do}` needs {key!r}")
    actor = read_name(src, m["as"], f"{where}.as")
    if actor not in people:
        raise src.error(m["as"], f"{where}.as", f"{actor!r} is not in this team's people: {', '.join(people)}")
    if ("at" in m) == ("on" in m):
        raise src.error(node, where, "say when: either `at: T+…` or `on: TRIGGER` (with an optional `after`)")
    on = read_text(src, m["on"], f"{where}.on") if "on" in m else None
    if on is not None and on not in TRIGGERS:
        raise src.error(m["on"], f"{where}.on", f"{on!r} is not a trigger; expected one of: {', '.join(TRIGGERS)}")
    on_arg = next((read_name(src, m[k], f"{where}.{k}") for k in ("inject", "step") if k in m), None)
    if "inject" in m and on != "inject" or "step" in m and on != "step_entered":
        raise src.error(m.get("inject") or m["step"], where, "`inject:` goes with `on: inject`, `step:` with `on: step_entered`")
    if on == "inject" and on_arg is None:
        raise src.error(node, where, "`on: inject` needs `inject: ID`")
    args: dict[str, Any] = {}
    for key in (*required, *optional):
        if key not in m:
            continue
        value, here = m[key], f"{where}.{key}"
        if key in TEXTS:
            args[key] = read_localized(src, value, here) if isinstance(value, yaml.MappingNode) else read_text(src, value, here)
        elif key == "follow_ups":
            args[key] = tuple(_follow_up(src, n, f"{here}[{i}]", people) for i, n in enumerate(read_list(src, value, here)))
        elif key == "values":
            args[key] = {k: read_text(src, v, f"{here}.{k}") for k, v in read_pairs(src, value, here).items()}
        else:
            args[key] = read_scalar(src, value, here)
    if do == "draft":
        if ("template" in args) == ("text" in args):
            raise src.error(node, where, "`draft` needs either `template` (a name, or `step`) or `text` (a reply the team writes itself)")
        if "tone" in args and args["tone"] not in TONES:
            raise src.error(m["tone"], f"{where}.tone", f"expected one of: {', '.join(TONES)}")
    return Action(do, actor, args, read_offset(src, m["at"], f"{where}.at") if "at" in m else None, on, on_arg,
                  read_duration(src, m["after"], f"{where}.after") if "after" in m else timedelta(0),
                  read_conditions(src, m["if"], f"{where}.if") if "if" in m else (),
                  read_conditions(src, m["unless"], f"{where}.unless") if "unless" in m else (), node.start_mark.line + 1,
                  _wait(src, m["when"], f"{where}.when") if "when" in m else None)


def _wait(src: Source, node: yaml.Node, where: str) -> Wait:
    """`when: step_done` (or another of WAITS), or `when: {state: responding.recover}`. Raises ContentError."""
    line = node.start_mark.line + 1
    if isinstance(node, yaml.ScalarNode):
        kind = read_text(src, node, where)
        if kind not in WAITS:
            raise src.error(node, where, f"{kind!r} is not something a move can wait for; expected {', '.join(WAITS)} or {{state: NAME}}")
        return Wait(kind, None, line)
    m = read_mapping(src, node, where, required=("state",))
    state = read_text(src, m["state"], f"{where}.state")
    top, _, step = state.partition(".")
    if not STATE_NAME.match(state) or top not in STATES or (step and top != "responding"):
        raise src.error(m["state"], f"{where}.state", f"{state!r} is not a lifecycle state; expected one of: {', '.join(STATES)}, "
                                                      "or responding.STEP (a step of the scenario's playbook)")
    return Wait("state", state, line)


def parse_play(text: str, path: str) -> Play:
    """Build a play from YAML text; `path` is only used in messages. Raises ContentError."""
    src = Source(path)
    root = compose_yaml(text, path)
    if root is None:
        raise ContentError(f"{path}: the file is empty; a play needs id, title, summary, people, actions, expected")
    top = read_mapping(src, root, "", required=("id", "title", "summary", "people", "actions", "expected"))
    people: dict[str, Member] = {}
    for i, node in enumerate(read_list(src, top["people"], "people")):
        pm = read_mapping(src, node, f"people[{i}]", required=("id", "roles"))
        member = Member(read_name(src, pm["id"], f"people[{i}].id"), read_names(src, pm["roles"], f"people[{i}].roles"))
        if member.id in people:
            raise src.error(node, "people", f"{member.id!r} is declared twice")
        people[member.id] = member
    if not people:
        raise src.error(top["people"], "people", "a team needs at least one person")
    actions = tuple(_action(src, n, f"actions[{i}]", people) for i, n in enumerate(read_list(src, top["actions"], "actions")))
    em = read_mapping(src, top["expected"], "expected", required=("score", "outcome"), optional=("breaches",))
    sm = read_mapping(src, em["score"], "expected.score", required=("min", "max"))
    low, high = read_int(src, sm["min"], "expected.score.min", 0, 100), read_int(src, sm["max"], "expected.score.max", 0, 100)
    if low > high:
        raise src.error(em["score"], "expected.score", f"min {low} is above max {high}")
    expected = Expected(low, high, read_names(src, em["breaches"], "expected.breaches", BREACHES, "rule-breaking") if "breaches" in em else (),
                        read_localized(src, em["outcome"], "expected.outcome"))
    return Play(read_name(src, top["id"], "id"), read_localized(src, top["title"], "title"), read_localized(src, top["summary"], "summary"),
                tuple(people.values()), actions, expected, path, {key.value: key.start_mark.line + 1 for key, _ in root.value})


def load_play(path: Path) -> Play:
    """Read and validate one play file. Raises ContentError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path}: cannot be read ({exc})") from exc
    play = parse_play(text, str(path))
    if play.id != path.stem:
        raise ContentError(f"{path}:1:1: id: {play.id!r} differs from the file name; name the file {play.id}.yaml")
    return play


def find_play_path(drills_dir: Path, play_id: str) -> Path:
    """`drills/teams/<play_id>.yaml`, or a path given as such. Raises NotFoundError naming the known plays."""
    given = Path(play_id)
    if given.suffix == ".yaml" and given.is_file():
        return given
    path = drills_dir / "teams" / f"{play_id}.yaml"
    if not NAME.match(play_id) or not path.is_file():
        known = ", ".join(p.stem for p in sorted((drills_dir / "teams").glob("*.yaml"))) or "none"
        raise NotFoundError(f"no team play {play_id!r} in {drills_dir / 'teams'}", hint=f"known plays: {known}")
    return path
