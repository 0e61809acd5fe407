"""YAML → Playbook. Every error names the file, line and column, the key, and what is expected."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from crisis.errors import ContentError
from crisis.playbook.durations import parse_duration, parse_period, shortest
from crisis.playbook.model import (
    QueryText,
    FACT_TYPES,
    OPERATORS,
    PERMISSION_ACTIONS,
    STEP_ACTIONS,
    STEP_GUARDS,
    SEVERITIES,
    SLA_KINDS,
    Approval,
    ApprovalEntry,
    Preapproval,
    ChecklistItem,
    Condition,
    Detection,
    Fact,
    Limitation,
    Localized,
    Permission,
    Playbook,
    SeverityRule,
    Step,
)
from crisis.settings import LANGUAGES
from crisis.yamlfile import NAME, compose_yaml, find_named_file, read_mapping, read_named_file
from crisis.yamlfile import kind_of as _kind
from crisis.yamlfile import Source as _Source
from crisis.yamlfile import read_int as _int
from crisis.yamlfile import read_list as _list
from crisis.yamlfile import read_name as _name
from crisis.yamlfile import read_scalar as _scalar
from crisis.yamlfile import read_text as _text

LIFECYCLE_STATES = ("detected", "triage", "responding", "monitoring", "resolved", "closed", "dismissed")
SIGNALS = {  # measured by triage, usable in conditions beside the facts
    "mentions_per_hour": int,
    "author_followers": int,
    "own_account_post": bool,
    "press_pickup": bool,
    "rating": int,
    "platforms": int,
}
CALLBACK_KEYS = ("before", "after", "prepare", "conditions", "unless", "on_exit", "callbacks", "finalize_event")


def _mapping(src: _Source, node: yaml.Node, where: str, required: Iterable[str] = (), optional: Iterable[str] = ()) -> dict[str, yaml.Node]:
    for key, value in node.value if isinstance(node, yaml.MappingNode) else ():
        name = key.value if isinstance(key, yaml.ScalarNode) else None
        if name in CALLBACK_KEYS:
            raise src.error(key, f"{where}.{name}" if where else str(name),
                            f"playbooks cannot attach code to transitions ({_scalar(src, value, name) if isinstance(value, yaml.ScalarNode) else '…'!s} is never run); "
                            f"name a registered action in on_enter ({', '.join(STEP_ACTIONS)}) or a guard in guards ({', '.join(STEP_GUARDS)})")
    return read_mapping(src, node, where, required, optional)


def _names(src: _Source, node: yaml.Node, where: str, known: Iterable[str] | None = None, what: str = "name") -> tuple[str, ...]:
    known = tuple(known) if known is not None else None
    names = []
    for i, item in enumerate(_list(src, node, where)):
        value = _text(src, item, f"{where}[{i}]")
        if known is not None and value not in known:
            dotted = " (dotted paths to Python code are never run)" if "." in value else ""
            raise src.error(item, f"{where}[{i}]", f"{value!r} is not a registered {what}{dotted}; expected one of: {', '.join(sorted(known))}")
        if not NAME.match(value):
            raise src.error(item, f"{where}[{i}]", f"{value!r} is not a valid name: lowercase letters, digits and _")
        names.append(value)
    return tuple(names)


def _localized(src: _Source, node: yaml.Node, where: str) -> Localized:
    m = _mapping(src, node, where, required=LANGUAGES)
    return Localized(**{lang: _text(src, m[lang], f"{where}.{lang}") for lang in LANGUAGES})


def _severity(src: _Source, node: yaml.Node, where: str) -> str:
    value = _scalar(src, node, where)
    if value not in SEVERITIES:
        raise src.error(node, where, f"{value!r} is not a severity; expected one of: {', '.join(SEVERITIES)}")
    return value


def _duration(src: _Source, node: yaml.Node, where: str) -> timedelta:
    value = _scalar(src, node, where)
    try:
        return parse_duration(str(value)) if isinstance(value, str) else parse_duration(f"{value!r}")
    except ValueError as exc:
        raise src.error(node, where, str(exc)) from None


def _per_severity(src: _Source, node: yaml.Node, where: str) -> dict[str, timedelta]:
    m = _mapping(src, node, where, optional=SEVERITIES)
    return {sev: _duration(src, value, f"{where}.{sev}") for sev, value in m.items()}


def _conditions(src: _Source, node: yaml.Node, where: str, facts: dict[str, Fact]) -> tuple[Condition, ...]:
    m = _mapping(src, node, where, optional=(*facts, *SIGNALS))
    if not m:
        raise src.error(node, where, f"expected at least one condition on a fact ({', '.join(facts) or 'none declared'}) or a signal ({', '.join(SIGNALS)})")
    conditions = []
    for key, value in m.items():
        if isinstance(value, yaml.MappingNode):
            for op, operand in _mapping(src, value, f"{where}.{key}", optional=OPERATORS).items():
                conditions.append(Condition(key, op, _scalar(src, operand, f"{where}.{key}.{op}") if op != "in"
                                            else tuple(_scalar(src, v, f"{where}.{key}.in") for v in _list(src, operand, f"{where}.{key}.in"))))
        else:
            conditions.append(Condition(key, "eq", _scalar(src, value, f"{where}.{key}")))
    return tuple(conditions)


def _fact(src: _Source, node: yaml.Node, where: str) -> Fact:
    m = _mapping(src, node, where, required=("id", "type", "ask"), optional=("choices", "sample"))
    fact_type = _text(src, m["type"], f"{where}.type")
    if fact_type not in FACT_TYPES:
        raise src.error(m["type"], f"{where}.type", f"{fact_type!r} is not a fact type; expected one of: {', '.join(FACT_TYPES)}")
    choices = _names(src, m["choices"], f"{where}.choices") if "choices" in m else ()
    if (fact_type == "choice") != bool(choices):
        raise src.error(node, where, "a fact of type choice needs `choices`, and only it may have them")
    fact = Fact(_name(src, m["id"], f"{where}.id"), fact_type, _localized(src, m["ask"], f"{where}.ask"), choices, None, node.start_mark.line + 1)
    if "sample" not in m:
        return fact
    raw = _scalar(src, m["sample"], f"{where}.sample")
    try:  # the sample is typed exactly as a responder's answer would be
        sample = parse_fact_value(fact, str(raw).lower() if isinstance(raw, bool) else str(raw))
    except ValueError as exc:
        raise src.error(m["sample"], f"{where}.sample", f"{raw!r} does not fit a {fact_type} fact: {exc}") from None
    return replace(fact, sample=sample)


def _step(src: _Source, node: yaml.Node, where: str, facts: dict[str, Fact]) -> Step:
    m = _mapping(src, node, where, required=("id", "title"),
                 optional=("checklist", "requires_facts", "when", "due", "reply", "approve", "preapproved", "guards", "on_enter"))
    step_id = _name(src, m["id"], f"{where}.id")
    if step_id in LIFECYCLE_STATES:
        raise src.error(m["id"], f"{where}.id", f"{step_id!r} is a lifecycle state; give the step another name")
    items = []
    for i, item_node in enumerate(_list(src, m["checklist"], f"{where}.checklist") if "checklist" in m else ()):
        im = _mapping(src, item_node, f"{where}.checklist[{i}]", required=("id", *LANGUAGES))
        items.append(ChecklistItem(_name(src, im["id"], f"{where}.checklist[{i}].id"),
                                   Localized(**{lang: _text(src, im[lang], f"{where}.checklist[{i}].{lang}") for lang in LANGUAGES})))
    _unique(src, [(i.id, item_node) for i, item_node in zip(items, m["checklist"].value if "checklist" in m else ())], f"{where}.checklist")
    approve = _approval(src, m["approve"], f"{where}.approve", facts) if "approve" in m else None
    preapproved = _preapproval(src, m["preapproved"], f"{where}.preapproved") if "preapproved" in m else None
    if preapproved is not None and "reply" not in m:
        raise src.error(m["preapproved"], f"{where}.preapproved", "only a step with a `reply` can have a pre-approved statement")
    return Step(
        id=step_id,
        title=_localized(src, m["title"], f"{where}.title"),
        checklist=tuple(items),
        requires_facts=_names(src, m["requires_facts"], f"{where}.requires_facts", facts, "fact of this playbook") if "requires_facts" in m else (),
        when=_conditions(src, m["when"], f"{where}.when", facts) if "when" in m else (),
        due=_per_severity(src, m["due"], f"{where}.due") if "due" in m else {},
        reply=_name(src, m["reply"], f"{where}.reply") if "reply" in m else None,
        approve=approve,
        preapproved=preapproved,
        guards=_names(src, m["guards"], f"{where}.guards", STEP_GUARDS, "guard") if "guards" in m else (),
        on_enter=_names(src, m["on_enter"], f"{where}.on_enter", STEP_ACTIONS, "action") if "on_enter" in m else (),
        line=node.start_mark.line + 1,
    )


def _approval(src: _Source, node: yaml.Node, where: str, facts: dict[str, Fact]) -> Approval:
    """`{roles, from, also: [{roles, at, when}]}`: one holder of `roles` approves from `from`; each line of `also`
    adds roles that approve as well, at a severity (`at: SEV1`) and/or on facts (`when: {sensitive_stakes: true}`)."""
    am = _mapping(src, node, where, required=("roles",), optional=("from", "also"))
    also = []
    for i, entry in enumerate(_list(src, am["also"], f"{where}.also") if "also" in am else ()):
        em = _mapping(src, entry, f"{where}.also[{i}]", required=("roles",), optional=("at", "when"))
        if "at" not in em and "when" not in em:
            raise src.error(entry, f"{where}.also[{i}]", "say when these roles approve too: `at: SEVn`, `when: {FACT: VALUE}`, or both")
        also.append(ApprovalEntry(_names(src, em["roles"], f"{where}.also[{i}].roles"),
                                  _severity(src, em["at"], f"{where}.also[{i}].at") if "at" in em else None,
                                  _conditions(src, em["when"], f"{where}.also[{i}].when", facts) if "when" in em else ()))
    return Approval(_names(src, am["roles"], f"{where}.roles"),
                    _severity(src, am["from"], f"{where}.from") if "from" in am else SEVERITIES[-1], tuple(also))


def _preapproval(src: _Source, node: yaml.Node, where: str) -> Preapproval:
    """`{version, approved_by, templates: {FILE: SHA256}}`."""
    pm = _mapping(src, node, where, required=("version", "approved_by", "templates"))
    if not isinstance(pm["templates"], yaml.MappingNode):
        raise src.error(pm["templates"], f"{where}.templates", f"expected a mapping of file names to SHA-256, found {_kind(pm['templates'])}")
    templates = {}
    for key, value in pm["templates"].value:
        name = _text(src, key, f"{where}.templates")
        digest = _text(src, value, f"{where}.templates.{name}")
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise src.error(value, f"{where}.templates.{name}", "expected the file's SHA-256, 64 hexadecimal digits (sha256sum FILE)")
        templates[name] = digest
    if not templates:
        raise src.error(pm["templates"], f"{where}.templates", "list each approved template file with its SHA-256")
    return Preapproval(_text(src, pm["version"], f"{where}.version"), _text(src, pm["approved_by"], f"{where}.approved_by"), templates)


def _unique(src: _Source, pairs: list[tuple[str, yaml.Node]], where: str) -> None:
    seen = set()
    for value, node in pairs:
        if value in seen:
            raise src.error(node, where, f"{value!r} is declared twice")
        seen.add(value)


def parse_playbook(text: str, path: str) -> Playbook:
    """Build a playbook from YAML text; `path` is only used in messages. Raises ContentError."""
    src = _Source(path, text)
    root = compose_yaml(text, path)
    if root is None:
        raise ContentError(f"{path}: the file is empty; a playbook needs at least id, title, steps")
    top = _mapping(src, root, "", required=("id", "title", "summary", "severity", "steps", "sla", "escalation"),
                   optional=("detect", "facts", "triage", "relapse_to", "limitation", "permissions"))
    facts_list = [_fact(src, n, f"facts[{i}]") for i, n in enumerate(_list(src, top["facts"], "facts"))] if "facts" in top else []
    _unique(src, [(f.id, n) for f, n in zip(facts_list, top["facts"].value if "facts" in top else ())], "facts")
    facts = {fact.id: fact for fact in facts_list}

    sm = _mapping(src, top["severity"], "severity", required=("default",), optional=("rules",))
    rules = []
    for i, rule_node in enumerate(_list(src, sm["rules"], "severity.rules") if "rules" in sm else ()):
        rm = _mapping(src, rule_node, f"severity.rules[{i}]", required=("when", "then"))
        rules.append(SeverityRule(_conditions(src, rm["when"], f"severity.rules[{i}].when", facts),
                                  _severity(src, rm["then"], f"severity.rules[{i}].then"), rule_node.start_mark.line + 1))

    step_nodes = _list(src, top["steps"], "steps")
    if not step_nodes:
        raise src.error(top["steps"], "steps", "a playbook needs at least one step")
    steps = tuple(_step(src, n, f"steps[{i}]", facts) for i, n in enumerate(step_nodes))
    _unique(src, [(s.id, n) for s, n in zip(steps, step_nodes)], "steps")

    triage_requires: tuple[str, ...] = ()
    if "triage" in top:
        tm = _mapping(src, top["triage"], "triage", optional=("requires_facts",))
        if "requires_facts" in tm:
            triage_requires = _names(src, tm["requires_facts"], "triage.requires_facts", facts, "fact of this playbook")

    unconditional = [s.id for s in steps if not s.when]
    if "relapse_to" in top:
        relapse_to = _name(src, top["relapse_to"], "relapse_to")
        if relapse_to not in unconditional:
            raise src.error(top["relapse_to"], "relapse_to", f"expected a step that always applies (no `when`): {', '.join(unconditional)}")
    elif unconditional:
        relapse_to = unconditional[0]
    else:
        raise src.error(top["steps"], "relapse_to", "every step is conditional: name the step a relapse returns to in `relapse_to`")

    slam = _mapping(src, top["sla"], "sla", required=("acknowledge",), optional=SLA_KINDS)
    sla = {kind: _per_severity(src, node, f"sla.{kind}") for kind, node in slam.items()}

    em = _mapping(src, top["escalation"], "escalation", required=("levels", "by_severity"))
    levels = _names(src, em["levels"], "escalation.levels")
    if not levels:
        raise src.error(em["levels"], "escalation.levels", "expected at least one level, lowest first")
    bm = _mapping(src, em["by_severity"], "escalation.by_severity", required=SEVERITIES)
    by_severity = {}
    for sev, node in bm.items():
        level = _text(src, node, f"escalation.by_severity.{sev}")
        if level not in levels:
            raise src.error(node, f"escalation.by_severity.{sev}", f"{level!r} is not a level; expected one of: {', '.join(levels)}")
        by_severity[sev] = level
    limitations = _limitations(src, top["limitation"], facts) if "limitation" in top else ()

    return Playbook(
        id=_name(src, top["id"], "id"),
        version=hashlib.sha256(text.encode()).hexdigest()[:12],
        title=_localized(src, top["title"], "title"),
        summary=_localized(src, top["summary"], "summary"),
        detect=_detection(src, top["detect"]) if "detect" in top else Detection({}, {}, 100),
        default_severity=_severity(src, sm["default"], "severity.default"),
        severity_rules=tuple(rules),
        facts=tuple(facts_list),
        triage_requires=triage_requires,
        steps=steps,
        relapse_to=relapse_to,
        sla=sla,
        escalation_levels=levels,
        escalation_by_severity=by_severity,
        limitation=limitations[0] if limitations else None,
        limitations=limitations,
        path=path,
        source=text,
        permissions=_permissions(src, top["permissions"]) if "permissions" in top else {},
    )


def _permissions(src: _Source, node: yaml.Node) -> dict[str, Permission]:
    """`permissions: {close: {roles: [comms_lead]}, dismiss: {roles: [direction], from: SEV1}}`."""
    found = {}
    for action, value in _mapping(src, node, "permissions", optional=PERMISSION_ACTIONS).items():
        where = f"permissions.{action}"
        pm = _mapping(src, value, where, required=("roles",), optional=("from",))
        roles = _names(src, pm["roles"], f"{where}.roles")
        if not roles:
            raise src.error(pm["roles"], f"{where}.roles", "expected at least one role; leave the action out to let anyone on the roster do it")
        found[action] = Permission(action, roles, _severity(src, pm["from"], f"{where}.from") if "from" in pm else SEVERITIES[-1])
    return found


def _detection(src: _Source, node: yaml.Node) -> Detection:
    m = _mapping(src, node, "detect", optional=("query", "phrases", "exclude", "min_score"))
    if "query" not in m and "phrases" not in m:
        raise src.error(node, "detect", "expected a query (a listening query per language) or phrases")

    def per_language(key: str) -> dict[str, tuple[str, ...]]:
        lm = _mapping(src, m[key], f"detect.{key}", optional=LANGUAGES)
        return {lang: tuple(_text(src, p, f"detect.{key}.{lang}[{i}]") for i, p in enumerate(_list(src, v, f"detect.{key}.{lang}")))
                for lang, v in lm.items()}

    queries = {}
    if "query" in m:
        for lang, q in _mapping(src, m["query"], "detect.query", optional=LANGUAGES).items():
            block = isinstance(q, yaml.ScalarNode) and q.style in ("|", ">")
            quoted = isinstance(q, yaml.ScalarNode) and q.style in ("'", '"')
            column = q.start_mark.column + 1 + quoted
            if block:  # the query's lines start below the `|`, at the block's indentation
                below = src.lines[q.start_mark.line + 1:q.start_mark.line + 2] or [""]
                column = len(below[0]) - len(below[0].lstrip(" ")) + 1
            queries[lang] = QueryText(_text(src, q, f"detect.query.{lang}"), q.start_mark.line + 1, column, block)
    return Detection(per_language("phrases") if "phrases" in m else {}, per_language("exclude") if "exclude" in m else {},
                     _int(src, m["min_score"], "detect.min_score", 0, 100) if "min_score" in m else 88, node.start_mark.line + 1,
                     queries, src.path)


def _limitations(src: _Source, node: yaml.Node, facts: dict[str, Fact]) -> tuple[Limitation, ...]:
    """One limitation (a mapping) or several (a list of mappings, each with its `id`)."""
    if not isinstance(node, yaml.SequenceNode):
        return (_limitation(src, node, facts, "limitation"),)
    found = tuple(_limitation(src, item, facts, f"limitation[{i}]") for i, item in enumerate(_list(src, node, "limitation")))
    ids = [rule.id for rule in found]
    for i, rule in enumerate(found):
        if ids.count(rule.id) > 1 or (len(found) > 1 and rule.id == "limitation"):
            raise src.error(node.value[i], f"limitation[{i}]", "each limitation of a list needs its own `id`")
    return found


def _limitation(src: _Source, node: yaml.Node, facts: dict[str, Fact], where: str) -> Limitation:
    m = _mapping(src, node, where, required=("from_fact", "period", "warn_before", "note"), optional=("id",))
    fact = _text(src, m["from_fact"], f"{where}.from_fact")
    if fact not in facts or facts[fact].type != "date":
        raise src.error(m["from_fact"], f"{where}.from_fact", f"{fact!r} must be a declared fact of type date")
    try:
        period = parse_period(_text(src, m["period"], f"{where}.period"))
    except ValueError as exc:
        raise src.error(m["period"], f"{where}.period", f"{exc}, or in calendar months or years (3mo, 1y)") from None
    warn = _duration(src, m["warn_before"], f"{where}.warn_before")
    if warn >= shortest(period):
        raise src.error(m["warn_before"], f"{where}.warn_before", "must be shorter than the period")
    rule_id = _name(src, m["id"], f"{where}.id") if "id" in m else "limitation"
    return Limitation(fact, period, warn, _localized(src, m["note"], f"{where}.note"), rule_id)


def load_playbook(path: Path) -> Playbook:
    """Read and validate one playbook file. Raises ContentError."""
    return read_named_file(path, parse_playbook)


def list_playbooks(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yaml"))


def find_playbook_path(folder: Path, playbook_id: str) -> Path:
    """The file of playbook `playbook_id`. Raises NotFoundError naming the ones that exist."""
    return find_named_file(folder, playbook_id, "playbook")


def parse_fact_value(fact: Fact, raw: str) -> Any:
    """A responder's answer, typed as the fact declares. Raises ValueError with what is expected."""
    text = raw.strip()
    match fact.type:
        case "bool":
            lowered = text.lower()
            if lowered in ("yes", "y", "true", "oui", "o", "1"):
                return True
            if lowered in ("no", "n", "false", "non", "0"):
                return False
            raise ValueError("expected yes or no")
        case "int":
            try:
                return int(text)
            except ValueError:
                raise ValueError("expected a whole number") from None
        case "date":
            try:
                return date.fromisoformat(text).isoformat()
            except ValueError:
                raise ValueError("expected a date as YYYY-MM-DD") from None
        case "choice":
            if text not in fact.choices:
                raise ValueError(f"expected one of: {', '.join(fact.choices)}")
            return text
        case "url":
            if not re.match(r"^https?://\S+$", text):
                raise ValueError("expected an http(s) URL")
            return text
    if not text:
        raise ValueError("expected a text")
    return text
