"""YAML → Scenario. Each error names the file, line and column, the key, and what is expected;
cross-references (playbooks, templates, facts, offsets past the end) are left to drill/check.py."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from crisis.drill.scenario import (
    CHANNELS, CONDITIONS, DIFFICULTIES, DISPOSITIONS, EXPECTATIONS, INJECT_KINDS, PLATFORMS, TIMED, VARIATIONS, WEEKDAYS,
    Amplify, Article, Background, Condition, DecisionPoint, FactKnown, Inject, Message, Objective, Option, Persona, Post,
    STATES, Scenario, Start, Wave, parse_offset,
)
from crisis.errors import ContentError, NotFoundError
from crisis.playbook.durations import parse_duration
from crisis.playbook.model import SEVERITIES, Localized
from crisis.settings import LANGUAGES
from crisis.yamlfile import (
    Source, compose_yaml, find_named_file, read_int, read_list, read_mapping, read_name, read_named_file, read_pairs, read_scalar,
    read_text,
)


def read_localized(src: Source, node: yaml.Node, where: str) -> Localized:
    m = read_mapping(src, node, where, required=LANGUAGES)
    return Localized(**{lang: read_text(src, m[lang], f"{where}.{lang}") for lang in LANGUAGES})


def read_choice(src: Source, node: yaml.Node, where: str, choices: tuple[str, ...], what: str) -> str:
    value = read_text(src, node, where)
    if value not in choices:
        article = "an" if what[0] in "aeiou" else "a"
        raise src.error(node, where, f"{value!r} is not {article} {what}; expected one of: {', '.join(choices)}")
    return value


def read_names(src: Source, node: yaml.Node, where: str, choices: tuple[str, ...] | None = None, what: str = "name") -> tuple[str, ...]:
    if choices is not None:
        return tuple(read_choice(src, n, f"{where}[{i}]", choices, what) for i, n in enumerate(read_list(src, node, where)))
    return tuple(read_name(src, n, f"{where}[{i}]") for i, n in enumerate(read_list(src, node, where)))


def read_duration(src: Source, node: yaml.Node, where: str) -> timedelta:
    try:
        return parse_duration(str(read_scalar(src, node, where)))
    except ValueError as exc:
        raise src.error(node, where, str(exc)) from None


def read_offset(src: Source, node: yaml.Node, where: str) -> timedelta:
    try:
        return parse_offset(read_text(src, node, where))
    except ValueError as exc:
        raise src.error(node, where, str(exc)) from None


def read_conditions(src: Source, node: yaml.Node, where: str) -> tuple[Condition, ...]:
    """`{published: holding_statement, decided: {delete_mocking: keep}}`: every key must hold. Raises ContentError."""
    m = read_mapping(src, node, where, optional=CONDITIONS)
    if not m:
        raise src.error(node, where, f"expected at least one condition: {', '.join(CONDITIONS)}")
    found = []
    for key, value in m.items():
        line, here = value.start_mark.line + 1, f"{where}.{key}"
        if key in ("decided", "fact"):
            pairs = read_pairs(src, value, here)
            if len(pairs) != 1:
                raise src.error(value, here, f"expected exactly one pair: {CONDITIONS[key]}")
            (arg, operand), = pairs.items()
            found.append(Condition(key, arg, read_scalar(src, operand, f"{here}.{arg}"), line))
        elif key in ("acknowledged", "deleted_critic", "page_waiting"):
            found.append(Condition(key, None, read_flag(src, value, here), line))
        elif key == "severity":
            found.append(Condition(key, read_choice(src, value, here, SEVERITIES, "severity"), True, line))
        elif key == "state":
            found.append(Condition(key, read_choice(src, value, here, STATES, "lifecycle state"), True, line))
        else:
            name = read_text(src, value, here)
            found.append(Condition(key, None if (key == "published" and name == "any") else read_name(src, value, here), True, line))
    return tuple(found)


def _persona(src: Source, node: yaml.Node, where: str) -> Persona:
    m = read_mapping(src, node, where, required=("id", "name", "handle", "platform", "followers", "language", "disposition"))
    return Persona(read_name(src, m["id"], f"{where}.id"), read_text(src, m["name"], f"{where}.name"),
                   read_text(src, m["handle"], f"{where}.handle"), read_choice(src, m["platform"], f"{where}.platform", PLATFORMS, "platform"),
                   read_int(src, m["followers"], f"{where}.followers", 0, 10**10),
                   read_choice(src, m["language"], f"{where}.language", LANGUAGES, "language"),
                   read_choice(src, m["disposition"], f"{where}.disposition", DISPOSITIONS, "disposition"), node.start_mark.line + 1)


def read_flag(src: Source, node: yaml.Node, where: str) -> bool:
    flag = read_scalar(src, node, where)
    if not isinstance(flag, bool):
        raise src.error(node, where, "expected true or false")
    return flag


def _optional(src: Source, m: dict[str, yaml.Node], key: str, where: str, read: Any = read_text) -> Any:
    return read(src, m[key], f"{where}.{key}") if key in m else None


def _post(src: Source, node: yaml.Node, where: str) -> Post:
    m = read_mapping(src, node, where, required=("persona", "text"), optional=("url", "own_account"))
    return Post(read_name(src, m["persona"], f"{where}.persona"), read_text(src, m["text"], f"{where}.text"),
                _optional(src, m, "url", where), bool(_optional(src, m, "own_account", where, read_flag)))


def _wave(src: Source, node: yaml.Node, where: str) -> Wave:
    m = read_mapping(src, node, where, required=("count", "over", "peak", "pool", "platforms"), optional=("personas", "variations", "hashtags"))
    hashtags = read_list(src, m["hashtags"], f"{where}.hashtags") if "hashtags" in m else []
    wave = Wave(read_int(src, m["count"], f"{where}.count", 1, 1_000_000), read_duration(src, m["over"], f"{where}.over"),
                read_duration(src, m["peak"], f"{where}.peak"), read_name(src, m["pool"], f"{where}.pool"),
                read_names(src, m["platforms"], f"{where}.platforms", PLATFORMS, "platform"),
                _optional(src, m, "personas", where, read_names) or (),
                read_names(src, m["variations"], f"{where}.variations", VARIATIONS, "variation") if "variations" in m else (),
                tuple(read_text(src, n, f"{where}.hashtags[{i}]") for i, n in enumerate(hashtags)))
    if wave.peak >= wave.over:
        raise src.error(m["peak"], f"{where}.peak", "the peak must come before the end of the wave (`over`)")
    return wave


def _article(src: Source, node: yaml.Node, where: str) -> Article:
    m = read_mapping(src, node, where, required=("persona", "headline", "text"), optional=("url",))
    return Article(read_name(src, m["persona"], f"{where}.persona"), read_text(src, m["headline"], f"{where}.headline"),
                   read_text(src, m["text"], f"{where}.text"), _optional(src, m, "url", where))


def _message(src: Source, node: yaml.Node, where: str) -> Message:
    m = read_mapping(src, node, where, required=("persona", "channel", "text"), optional=("subject",))
    return Message(read_name(src, m["persona"], f"{where}.persona"), read_choice(src, m["channel"], f"{where}.channel", CHANNELS, "channel"),
                   read_text(src, m["text"], f"{where}.text"), _optional(src, m, "subject", where))


def _fact(src: Source, node: yaml.Node, where: str) -> FactKnown:
    m = read_mapping(src, node, where, required=("playbook", "key", "value", "text"))
    return FactKnown(read_name(src, m["playbook"], f"{where}.playbook"), read_name(src, m["key"], f"{where}.key"),
                     read_scalar(src, m["value"], f"{where}.value"), read_localized(src, m["text"], f"{where}.text"))


def _amplify(src: Source, node: yaml.Node, where: str) -> Amplify:
    m = read_mapping(src, node, where, required=("wave", "factor"))
    factor = read_scalar(src, m["factor"], f"{where}.factor")
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 <= factor <= 20:
        raise src.error(m["factor"], f"{where}.factor", "expected a number from 0 to 20 (2 doubles what is left, 0.5 halves it)")
    return Amplify(read_name(src, m["wave"], f"{where}.wave"), float(factor))


def _decision(src: Source, node: yaml.Node, where: str) -> DecisionPoint:
    m = read_mapping(src, node, where, required=("question", "options", "good", "why", "deadline", "default"), optional=("asked_by",))
    options = []
    for i, on in enumerate(read_list(src, m["options"], f"{where}.options")):
        om = read_mapping(src, on, f"{where}.options[{i}]", required=("id", "label"))
        options.append(Option(read_name(src, om["id"], f"{where}.options[{i}].id"), read_localized(src, om["label"], f"{where}.options[{i}].label")))
    ids = tuple(o.id for o in options)
    if len(ids) < 2 or len(set(ids)) != len(ids):
        raise src.error(m["options"], f"{where}.options", "expected at least two options with different ids")
    return DecisionPoint(read_localized(src, m["question"], f"{where}.question"), tuple(options),
                         read_choice(src, m["good"], f"{where}.good", ids, "option of this decision point"),
                         read_localized(src, m["why"], f"{where}.why"), read_duration(src, m["deadline"], f"{where}.deadline"),
                         read_choice(src, m["default"], f"{where}.default", ids, "option of this decision point"),
                         _optional(src, m, "asked_by", where, read_name))


_BODIES = {"post": _post, "wave": _wave, "article": _article, "message": _message, "fact": _fact, "decision": _decision, "amplify": _amplify}


def _inject(src: Source, node: yaml.Node, where: str) -> Inject:
    m = read_mapping(src, node, where, required=("id", "at"), optional=(*INJECT_KINDS, "if", "unless"))
    kinds = [k for k in INJECT_KINDS if k in m]
    if len(kinds) != 1:
        raise src.error(node, where, f"expected exactly one of: {', '.join(INJECT_KINDS)}; found {', '.join(kinds) or 'none'}")
    kind = kinds[0]
    return Inject(read_name(src, m["id"], f"{where}.id"), read_offset(src, m["at"], f"{where}.at"), kind,
                  _BODIES[kind](src, m[kind], f"{where}.{kind}"),
                  read_conditions(src, m["if"], f"{where}.if") if "if" in m else (),
                  read_conditions(src, m["unless"], f"{where}.unless") if "unless" in m else (), node.start_mark.line + 1)


def _objective(src: Source, node: yaml.Node, where: str) -> Objective:
    m = read_mapping(src, node, where, required=("id", "title", "expect", "weight"))
    em = read_mapping(src, m["expect"], f"{where}.expect", optional=(*EXPECTATIONS, "within", "grades", "from"))
    kinds = [k for k in EXPECTATIONS if k in em]
    if len(kinds) != 1:
        raise src.error(m["expect"], f"{where}.expect", f"expected exactly one of: {', '.join(EXPECTATIONS)}")
    kind, here = kinds[0], f"{where}.expect.{kinds[0]}"
    wanted = EXPECTATIONS[kind]
    if wanted:
        am = read_mapping(src, em[kind], here, optional=wanted)
        args = {k: read_scalar(src, v, f"{here}.{k}") for k, v in am.items()}
    else:
        if read_scalar(src, em[kind], here) is not True:
            raise src.error(em[kind], here, "expected true (this expectation takes no argument)")
        args = {}
    timed = kind in TIMED
    if timed != ("within" in em):
        raise src.error(m["expect"], f"{where}.expect", f"{kind} {'needs' if timed else 'takes no'} `within`")
    if "from" in em and not timed:
        raise src.error(em["from"], f"{where}.expect.from", f"{kind} is not timed: `from` goes with `within`")
    within = read_duration(src, em["within"], f"{where}.expect.within") if "within" in em else None
    grades = {}
    if "grades" in em:
        gm = read_mapping(src, em["grades"], f"{where}.expect.grades", optional=("S", "M"))
        grades = {g: read_duration(src, v, f"{where}.expect.grades.{g}") for g, v in gm.items()}
        bounds = [within, grades.get("S"), grades.get("M")]
        known = [b for b in bounds if b is not None]
        if within is None or known != sorted(known) or len(set(known)) != len(known):
            raise src.error(em["grades"], f"{where}.expect.grades", "grades need `within` and must grow: within < S < M")
    return Objective(read_name(src, m["id"], f"{where}.id"), read_localized(src, m["title"], f"{where}.title"), kind, args,
                     read_int(src, m["weight"], f"{where}.weight", 1, 100), within, grades,
                     read_name(src, em["from"], f"{where}.expect.from") if "from" in em else None, node.start_mark.line + 1)


def _start(src: Source, node: yaml.Node) -> Start:
    m = read_mapping(src, node, "start", required=("time", "timezone"), optional=("weekday",))
    if m["time"].tag.endswith(":int"):  # YAML 1.1 reads 11:00 as 660 (base 60)
        raise src.error(m["time"], "start.time", f"quote the time: \"{m['time'].value}\" (unquoted, YAML reads it as a number)")
    time = read_text(src, m["time"], "start.time")
    if not (len(time) == 5 and time[2] == ":" and time[:2].isdigit() and time[3:].isdigit() and int(time[:2]) < 24 and int(time[3:]) < 60):
        raise src.error(m["time"], "start.time", f"{time!r} is not a time of day; write it like \"02:00\" (quoted)")
    zone = read_text(src, m["timezone"], "start.timezone")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise src.error(m["timezone"], "start.timezone", f"{zone!r} is not a time zone; use an IANA name: Europe/Paris, Europe/London, UTC") from None
    return Start(read_choice(src, m["weekday"], "start.weekday", WEEKDAYS, "weekday") if "weekday" in m else None, time, zone)


def _unique(src: Source, items: list, nodes: list[yaml.Node], where: str) -> None:
    seen: set[str] = set()
    for item, node in zip(items, nodes):
        if item.id in seen:
            raise src.error(node, where, f"{item.id!r} is declared twice")
        seen.add(item.id)


def parse_scenario(text: str, path: str) -> Scenario:
    """Build a scenario from YAML text; `path` is only used in messages. Raises ContentError."""
    src = Source(path)
    root = compose_yaml(text, path)
    if root is None:
        raise ContentError(f"{path}: the file is empty; a scenario needs at least id, title, playbooks, injects, objectives")
    top = read_mapping(src, root, "", required=("id", "title", "summary", "languages", "brand", "playbooks", "duration", "difficulty",
                                                "personas", "injects", "objectives"), optional=("pools", "background", "start", "silent_levels", "hot_wash"))
    persona_nodes, inject_nodes, objective_nodes = (read_list(src, top[k], k) for k in ("personas", "injects", "objectives"))
    personas = [_persona(src, n, f"personas[{i}]") for i, n in enumerate(persona_nodes)]
    injects = [_inject(src, n, f"injects[{i}]") for i, n in enumerate(inject_nodes)]
    objectives = [_objective(src, n, f"objectives[{i}]") for i, n in enumerate(objective_nodes)]
    for items, nodes, where in ((personas, persona_nodes, "personas"), (injects, inject_nodes, "injects"), (objectives, objective_nodes, "objectives")):
        _unique(src, items, nodes, where)
    if not injects:
        raise src.error(top["injects"], "injects", "a scenario needs at least one inject")
    if not objectives:
        raise src.error(top["objectives"], "objectives", "a scenario needs at least one objective to be scored against")
    total = sum(o.weight for o in objectives)
    if total != 100:
        raise src.error(top["objectives"], "objectives", f"the weights add up to {total}; they must add up to 100")
    pools: dict[str, tuple[str, ...]] = {}
    for name, node in (read_pairs(src, top["pools"], "pools") if "pools" in top else {}).items():
        pools[name] = tuple(read_text(src, t, f"pools.{name}[{i}]") for i, t in enumerate(read_list(src, node, f"pools.{name}")))
        if not pools[name]:
            raise src.error(node, f"pools.{name}", "a pool needs at least one text")
    background = None
    if "background" in top:
        bm = read_mapping(src, top["background"], "background", required=("per_hour", "pool", "platforms"))
        background = Background(read_int(src, bm["per_hour"], "background.per_hour", 0, 100_000), read_name(src, bm["pool"], "background.pool"),
                                read_names(src, bm["platforms"], "background.platforms", PLATFORMS, "platform"), top["background"].start_mark.line + 1)
    playbooks = read_names(src, top["playbooks"], "playbooks")
    if not playbooks:
        raise src.error(top["playbooks"], "playbooks", "name at least one playbook the drill exercises")
    languages = read_names(src, top["languages"], "languages", LANGUAGES, "language")
    if not languages:
        raise src.error(top["languages"], "languages", f"name the language(s) of the content: {', '.join(LANGUAGES)}")
    return Scenario(
        id=read_name(src, top["id"], "id"), version=hashlib.sha256(text.encode()).hexdigest()[:12],
        title=read_localized(src, top["title"], "title"), summary=read_localized(src, top["summary"], "summary"),
        languages=languages, brand=read_text(src, top["brand"], "brand"), playbooks=playbooks,
        duration=read_duration(src, top["duration"], "duration"),
        difficulty=read_choice(src, top["difficulty"], "difficulty", DIFFICULTIES, "difficulty"),
        personas=tuple(personas), pools=pools, background=background, injects=tuple(injects), objectives=tuple(objectives),
        start=_start(src, top["start"]) if "start" in top else None,
        silent_levels=read_names(src, top["silent_levels"], "silent_levels") if "silent_levels" in top else (),
        hot_wash=tuple(read_localized(src, n, f"hot_wash[{i}]") for i, n in enumerate(read_list(src, top["hot_wash"], "hot_wash")))
        if "hot_wash" in top else (), path=path,
        lines={key.value: key.start_mark.line + 1 for key, _ in root.value},
    )


def load_scenario(path: Path) -> Scenario:
    """Read and validate one scenario file. Raises ContentError."""
    return read_named_file(path, parse_scenario)


def list_scenarios(folder: Path) -> list[Path]:
    """The scenario files of a drills folder (the teams/ subfolder holds plays, and oncall.yaml the drill roster)."""
    return sorted(p for p in folder.glob("*.yaml") if p.name != "oncall.yaml")


def find_scenario_path(folder: Path, scenario_id: str) -> Path:
    """The file of scenario `scenario_id`. Raises NotFoundError naming the ones that exist."""
    if scenario_id == "oncall":  # drills/oncall.yaml is the drill roster, not a scenario
        known = ", ".join(p.stem for p in list_scenarios(folder)) or "none"
        raise NotFoundError(f"no drill scenario 'oncall' in {folder}: oncall.yaml there is the roster simulations page",
                            hint=f"known scenarios: {known}; check the roster with: crisis oncall check {folder / 'oncall.yaml'}")
    return find_named_file(folder, scenario_id, "drill scenario")
