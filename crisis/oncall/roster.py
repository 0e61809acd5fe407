"""The roster in the workspace's `oncall.yaml`: people, roles, rotations, escalation policies, routes.

    roles: {community_manager: Watches the channels, answers first}
    people:
      - {id: ana, name: Ana Martin, roles: [community_manager], email: ana@example.org, timezone: Europe/Paris}
    rotations:
      - {id: community, length: weekly, handoff: "09:00", timezone: Europe/Paris, start: 2026-11-16,
         members: [ana, bruno], overrides: [{person: bruno, from: "2026-12-24 18:00", to: "2026-12-26 09:00"}]}
    policies:
      - {id: standard, repeat: 1, levels: [{delay_minutes: 15, targets: [{rotation: community}]},
                                           {delay_minutes: 30, targets: [{role: comms_lead}]}]}
    routes:
      - {severities: [SEV1, SEV2, SEV3], policy: standard}
    delivery: {attempts: 10, first_retry_seconds: 30, max_retry_seconds: 600}
    identity: {bind: os_user, may_act_for_others: [comms_lead]}   # see crisis/oncall/identity.py
    roster_admins: [comms_lead]

Every error names the file, line and column, the entry (with its id), the key, and what is expected.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from crisis.errors import ContentError
from crisis.yamlfile import load_yaml
from crisis.outbox.backoff import Backoff
from crisis.outbox.urls import check_url, http_allowed, redact_url
from crisis.oncall.identity import Identity, login_of, parse_identity, role_list
from crisis.oncall.policy import TARGET_KINDS, EscalationPolicy, Level, Route, Target
from crisis.oncall.rotations import LENGTHS, Override, Rotation
from crisis.playbook.durations import parse_duration
from crisis.playbook.model import SEVERITIES

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROSTER_FILE = "oncall.yaml"
SECTIONS = ("roles", "people", "rotations", "policies", "routes", "delivery", "identity", "roster_admins")
PERSON_KEYS = ("id", "name", "roles", "email", "webhook", "timezone", "login", "db_role")
ROTATION_KEYS = ("id", "length", "handoff", "timezone", "start", "end", "members", "overrides")


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    roles: tuple[str, ...]
    email: str | None = None
    webhook: str | None = None
    timezone: str = "UTC"
    login: str | None = None  # the OS user this person logs in as (identity.bind: os_user)
    db_role: str | None = None  # the PostgreSQL role this person connects as (identity.bind: db_role)

    def contacts(self) -> list[tuple[str, str]]:
        """(channel, address) pairs a page goes to: e-mail and webhook, else the console."""
        found = [("smtp", self.email)] if self.email else []
        found += [("webhook", self.webhook)] if self.webhook else []
        return found or [("console", self.id)]


@dataclass(frozen=True)
class Roster:
    people: tuple[Person, ...] = ()
    path: str = field(default="", compare=False)
    roles: dict[str, str] = field(default_factory=dict)  # declared roles and what they do
    rotations: tuple[Rotation, ...] = ()
    policies: tuple[EscalationPolicy, ...] = ()
    routes: tuple[Route, ...] = ()
    backoff: Backoff = Backoff()
    identity: Identity = Identity()
    roster_admins: tuple[str, ...] = ()  # the roles that may apply the next roster to the database

    def find_person(self, person_id: str) -> Person | None:
        return next((p for p in self.people if p.id == person_id), None)

    def roles_of(self, person_id: str) -> tuple[str, ...]:
        person = self.find_person(person_id)
        return person.roles if person else ()

    def holders(self, role: str) -> list[Person]:
        return [p for p in self.people if role in p.roles]

    def find_rotation(self, rotation_id: str) -> Rotation | None:
        return next((r for r in self.rotations if r.id == rotation_id), None)

    def find_policy(self, policy_id: str) -> EscalationPolicy | None:
        return next((p for p in self.policies if p.id == policy_id), None)

    def policy_for(self, playbook_id: str, severity: str, level: str | None = None) -> EscalationPolicy | None:
        """The policy of the first route serving this playbook, severity and escalation level; None pages nobody."""
        route = next((r for r in self.routes if r.serves(playbook_id, severity, level)), None)
        return self.find_policy(route.policy) if route else None

    def targets_people(self, targets: tuple[Target, ...], at: datetime) -> list[Person]:
        """Everyone the targets name at `at`, once each, in the order named."""
        found: list[Person] = []
        for target in targets:
            if target.kind == "person":
                people = [self.find_person(target.name)]
            elif target.kind == "role":
                people = list(self.holders(target.name))
            else:
                rotation = self.find_rotation(target.name)
                on_call = rotation.on_call(at) if rotation else None
                people = [self.find_person(on_call)] if on_call else []
            found += [p for p in people if p is not None and p not in found]
        return found


def load_roster(path: Path) -> Roster | None:
    """The roster at `path`, or None if the workspace has none. Raises ContentError naming the entry and key."""
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path}: cannot be read ({exc})") from exc
    return parse_roster_text(text, str(path))


def parse_roster_text(text: str, path: str) -> Roster:
    """Build a roster from YAML text; errors start with `path:line:column:`. Raises ContentError."""
    data, root = load_yaml(text, path)
    data = data or {}
    return parse_roster(data, path, root=root)


def parse_roster(data: Any, path: str, *, root: yaml.Node | None = None) -> Roster:
    """Build a roster from parsed YAML; `path` (and the composed `root`, for lines) are used in messages.
    Raises ContentError."""
    r = _Reader(path, root)
    if not isinstance(data, dict) or not isinstance(data.get("people", []), list):
        raise r.error("top level", "expected a mapping with a `people` list (and optionally roles, rotations, policies, routes, delivery)")
    r.keys(data, "top level", SECTIONS)
    roles = _roles(r, data.get("roles"))
    people = _people(r, data.get("people") or [], roles)
    known = {p.id for p in people}
    rotations = tuple(_rotation(r, entry, f"rotations[{i}]", known) for i, entry in enumerate(r.seq(data, "rotations")))
    r.unique([x.id for x in rotations], "rotations")
    held = {role for p in people for role in p.roles} | set(roles)
    policies = tuple(_policy(r, entry, f"policies[{i}]", known, held, {x.id for x in rotations})
                     for i, entry in enumerate(r.seq(data, "policies")))
    r.unique([x.id for x in policies], "policies")
    routes = tuple(_route(r, entry, f"routes[{i}]", {x.id for x in policies}) for i, entry in enumerate(r.seq(data, "routes")))
    identity = parse_identity(data.get("identity"), held, r.error)
    admins = role_list(data.get("roster_admins") or [], held, "roster_admins", r.error)
    return Roster(tuple(people), path, roles, rotations, policies, routes, _backoff(r, data.get("delivery")), identity, admins)


class _Reader:
    """Places every error at its entry and key, and says what is expected."""

    def __init__(self, path: str, root: yaml.Node | None = None) -> None:
        self.path, self.root = path, root

    def error(self, where: str, problem: str) -> ContentError:
        mark = _locate(self.root, where) if self.root is not None else None
        place = f"{self.path}:{mark.line + 1}:{mark.column + 1}:" if mark else f"{self.path}:"
        return ContentError(f"{place} {where}: {problem}", hint="fix the roster, then run `crisis oncall check`")

    def keys(self, entry: dict, where: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> None:
        for key in entry:
            if key not in allowed:
                raise self.error(f"{where}.{key}", f"unknown key; expected one of: {', '.join(allowed)}")
        for key in required:
            if key not in entry:
                raise self.error(where, f"missing key {key!r}")

    def mapping(self, entry: Any, where: str, what: str) -> dict:
        if not isinstance(entry, dict):
            raise self.error(where, f"expected a mapping with {what}")
        return entry

    def seq(self, data: dict, key: str) -> list:
        value = data.get(key) or []
        if not isinstance(value, list):
            raise self.error(key, "expected a list")
        return value

    def name(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not NAME.match(value):
            raise self.error(where, f"{value!r} is not a valid id: lowercase letters, digits and _, starting with a letter")
        return value

    def names(self, value: Any, where: str, known: set[str] | None = None, what: str = "") -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.error(where, f"expected a list{f' of {what}' if what else ''}")
        found = tuple(self.name(v, f"{where}[{i}]") for i, v in enumerate(value))
        for i, v in enumerate(found):
            if known is not None and v not in known:
                raise self.error(f"{where}[{i}]", f"{v!r} is not {what}; expected one of: {', '.join(sorted(known)) or 'none declared'}")
        return found

    def zone(self, value: Any, where: str) -> str:
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            raise self.error(where, f"{value!r} is not a time zone; expected an IANA name such as Europe/Paris or UTC") from None
        return str(value)

    def unique(self, ids: list[str], where: str) -> None:
        for i, value in enumerate(ids):
            if value in ids[:i]:
                raise self.error(f"{where}[{i}].id", f"{value!r} appears twice")


def _locate(root: yaml.Node, where: str):
    """The YAML mark of the node `where` names (`rotations[0] (community).members[1]`), as deep as it exists."""
    node = root
    if where != "top level":
        for token in re.findall(r"\[\d+\]|[^.\[\]]+", re.sub(r" \([^)]*\)", "", where)):
            if token.startswith("[") and isinstance(node, yaml.SequenceNode) and int(token[1:-1]) < len(node.value):
                node = node.value[int(token[1:-1])]
            elif isinstance(node, yaml.MappingNode) and (found := [v for k, v in node.value if getattr(k, "value", None) == token]):
                node = found[0]
            else:
                break
    return node.start_mark


def _roles(r: _Reader, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, list):
        return {r.name(v, f"roles[{i}]"): "" for i, v in enumerate(value)}
    if not isinstance(value, dict):
        raise r.error("roles", "expected a mapping of role names to what each role does")
    return {r.name(k, f"roles.{k}"): str(v or "") for k, v in value.items()}


def _people(r: _Reader, entries: list, declared: dict[str, str]) -> list[Person]:
    people: list[Person] = []
    for i, entry in enumerate(entries):
        where = f"people[{i}]"
        entry = r.mapping(entry, where, "id, name, roles")
        r.keys(entry, where, PERSON_KEYS, ("id",))
        person_id = r.name(entry.get("id"), f"{where}.id")
        where = f"people[{i}] ({person_id})"
        roles = entry.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(x, str) and NAME.match(x) for x in roles):
            raise r.error(f"{where}.roles", "expected a list of role names such as [community_manager, comms_lead]")
        if declared:
            r.names(roles, f"{where}.roles", set(declared), "a role declared under roles")
        email = entry.get("email")
        if email is not None and not (isinstance(email, str) and EMAIL.match(email)):
            raise r.error(f"{where}.email", f"{email!r} is not an e-mail address; expected name@domain.tld")
        webhook = entry.get("webhook")
        problem = check_url(webhook, allow_http=http_allowed(os.environ)) if webhook is not None else None
        if problem:
            raise r.error(f"{where}.webhook", f"{redact_url(str(webhook))!r}: {problem}")
        if any(p.id == person_id for p in people):
            raise r.error(f"{where}.id", f"{person_id!r} appears twice")
        tz = r.zone(entry["timezone"], f"{where}.timezone") if "timezone" in entry else "UTC"
        logins = {key: login_of(entry.get(key), f"{where}.{key}", r.error) for key in ("login", "db_role")}
        for key, value in logins.items():
            if value is not None and any(getattr(p, key) == value for p in people):
                raise r.error(f"{where}.{key}", f"{value!r} is already another person's {key}: each person logs in as themself")
        people.append(Person(person_id, str(entry.get("name") or person_id), tuple(roles), email, webhook, tz, **logins))
    return people


def _rotation(r: _Reader, entry: Any, where: str, known: set[str]) -> Rotation:
    entry = r.mapping(entry, where, "id, length, handoff, timezone, start, members")
    r.keys(entry, where, ROTATION_KEYS, ("id", "members"))
    rotation_id = r.name(entry["id"], f"{where}.id")
    where = f"{where} ({rotation_id})"
    members = r.names(entry["members"], f"{where}.members", known, "a person of the roster")
    if not members:
        raise r.error(f"{where}.members", "expected at least one person, in the order they take the shift")
    zone = r.zone(entry.get("timezone", "UTC"), f"{where}.timezone")
    length = _length(r, entry.get("length", "weekly"), f"{where}.length")
    handoff = _clock_time(r, entry.get("handoff", "09:00"), f"{where}.handoff")
    start = _date(r, entry.get("start", date(2026, 1, 5)), f"{where}.start")
    end = _date(r, entry["end"], f"{where}.end") if "end" in entry else None
    if end is not None and end <= start:
        raise r.error(f"{where}.end", f"{end} is not after start {start}")
    overrides = []
    for j, o in enumerate(r.seq(entry, "overrides")):
        ow = f"{where}.overrides[{j}]"
        o = r.mapping(o, ow, "person, from, to")
        r.keys(o, ow, ("person", "from", "to"), ("person", "from", "to"))
        person = r.name(o["person"], f"{ow}.person")
        if person not in known:
            raise r.error(f"{ow}.person", f"{person!r} is not a person of the roster; expected one of: {', '.join(sorted(known))}")
        begin, finish = _instant(r, o["from"], f"{ow}.from", zone), _instant(r, o["to"], f"{ow}.to", zone)
        if finish <= begin:
            raise r.error(f"{ow}.to", f"{o['to']} is not after from {o['from']}")
        overrides.append(Override(person, begin, finish))
    return Rotation(rotation_id, members, length, handoff, zone, start, tuple(overrides), end)


def _length(r: _Reader, value: Any, where: str) -> timedelta:
    if isinstance(value, str) and value in LENGTHS:
        return LENGTHS[value]
    try:
        length = parse_duration(str(value))
    except ValueError:
        length = None
    if length is None or length % timedelta(hours=1) or length < timedelta(hours=1):
        raise r.error(where, f"{value!r} is not a shift length; expected daily, weekly, or whole hours or days such as 12h or 3d")
    return length


def _clock_time(r: _Reader, value: Any, where: str) -> time:
    if isinstance(value, int) and 0 <= value < 24 * 60:
        return time(value // 60, value % 60)  # YAML 1.1 reads an unquoted 18:00 as the base-60 number 1080
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise r.error(where, f"{value!r} is not a time of day; expected HH:MM such as \"09:00\"") from None


def _date(r: _Reader, value: Any, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise r.error(where, f"{value!r} is not a date; expected YYYY-MM-DD") from None


def _instant(r: _Reader, value: Any, where: str, zone: str) -> datetime:
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time(0, 0))
    if not isinstance(value, datetime):
        try:
            value = datetime.fromisoformat(str(value))
        except ValueError:
            raise r.error(where, f"{value!r} is not a date and time; expected \"YYYY-MM-DD HH:MM\" (in the rotation's time zone)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(ZoneInfo("UTC"))


def _policy(r: _Reader, entry: Any, where: str, people: set[str], roles: set[str], rotations: set[str]) -> EscalationPolicy:
    entry = r.mapping(entry, where, "id, levels, repeat")
    r.keys(entry, where, ("id", "levels", "repeat", "ack_timeout_minutes"), ("id",))
    policy_id = r.name(entry["id"], f"{where}.id")
    where = f"{where} ({policy_id})"
    repeat = entry.get("repeat", 0)
    if not isinstance(repeat, int) or isinstance(repeat, bool) or not 0 <= repeat <= 20:
        raise r.error(f"{where}.repeat", f"{repeat!r}: expected how many times the policy is paged again after its last level, 0 to 20")
    raw_levels = entry.get("levels")
    if not isinstance(raw_levels, list) or not raw_levels:
        raise r.error(f"{where}.levels", "a policy needs at least one level: {delay_minutes: 15, targets: [{rotation: ID}]}")
    known = {"person": people, "role": roles, "rotation": rotations}
    levels = []
    for j, level in enumerate(raw_levels):
        lw = f"{where}.levels[{j}]"
        level = r.mapping(level, lw, "delay_minutes and targets")
        r.keys(level, lw, ("delay_minutes", "targets"), ("delay_minutes", "targets"))
        delay = level["delay_minutes"]
        if not isinstance(delay, int) or isinstance(delay, bool) or not 1 <= delay <= 24 * 60:
            raise r.error(f"{lw}.delay_minutes", f"{delay!r}: expected whole minutes, 1 to 1440, before the next level is paged")
        targets = level["targets"]
        if not isinstance(targets, list) or not targets:
            raise r.error(f"{lw}.targets", "expected a list of targets such as [{person: ana}, {role: legal}, {rotation: community}]")
        found = []
        for k, target in enumerate(targets):
            tw = f"{lw}.targets[{k}]"
            if not isinstance(target, dict) or len(target) != 1 or next(iter(target)) not in TARGET_KINDS:
                raise r.error(tw, f"expected one of {{person: ID}}, {{role: NAME}}, {{rotation: ID}}, found {target!r}")
            kind, name = next(iter(target.items()))
            if r.name(name, f"{tw}.{kind}") not in known[kind]:
                what = {"person": "a person of the roster", "role": "a role someone holds or roles declares", "rotation": "a rotation"}[kind]
                raise r.error(f"{tw}.{kind}", f"{name!r} is not {what}; expected one of: {', '.join(sorted(known[kind])) or 'none declared'}")
            found.append(Target(kind, name))
        levels.append(Level(delay, tuple(found)))
    timeout = entry.get("ack_timeout_minutes")
    if timeout is not None and (not isinstance(timeout, int) or isinstance(timeout, bool) or not 1 <= timeout <= 7 * 24 * 60):
        raise r.error(f"{where}.ack_timeout_minutes", f"{timeout!r}: expected whole minutes, 1 to 10080, after which an acknowledged "
                                                      "page is sent again if the response has not started")
    return EscalationPolicy(policy_id, tuple(levels), repeat, timeout)


def _route(r: _Reader, entry: Any, where: str, policies: set[str]) -> Route:
    entry = r.mapping(entry, where, "policy, and optionally playbooks, severities and levels")
    r.keys(entry, where, ("policy", "playbooks", "severities", "levels"), ("policy",))
    policy = r.name(entry["policy"], f"{where}.policy")
    if policy not in policies:
        raise r.error(f"{where}.policy", f"{policy!r} is not a policy; expected one of: {', '.join(sorted(policies)) or 'none declared'}")
    playbooks = r.names(entry["playbooks"], f"{where}.playbooks") if "playbooks" in entry else ()
    severities = entry.get("severities", [])
    if not isinstance(severities, list) or any(s not in SEVERITIES for s in severities):
        raise r.error(f"{where}.severities", f"{severities!r}: expected a list of severities among {', '.join(SEVERITIES)}")
    levels = r.names(entry["levels"], f"{where}.levels") if "levels" in entry else ()
    return Route(policy, playbooks, tuple(severities), levels)


def _backoff(r: _Reader, value: Any) -> Backoff:
    if value is None:
        return Backoff()
    value = r.mapping(value, "delivery", "attempts, first_retry_seconds, max_retry_seconds")
    keys = ("attempts", "first_retry_seconds", "max_retry_seconds")
    r.keys(value, "delivery", keys)
    for key in keys:
        if key in value and (not isinstance(value[key], int) or isinstance(value[key], bool) or value[key] < 1):
            raise r.error(f"delivery.{key}", f"{value[key]!r}: expected a whole number of at least 1")
    default = Backoff()
    return Backoff(value.get("attempts", default.attempts), value.get("first_retry_seconds", default.first_delay_s),
                   value.get("max_retry_seconds", default.max_delay_s))
