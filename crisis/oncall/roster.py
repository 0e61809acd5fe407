"""The roster in the workspace's `oncall.yaml`: people, their roles and contacts.

    people:
      - {id: ana, name: Ana Martin, roles: [community_manager], email: ana@example.org, timezone: Europe/Paris}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from crisis.errors import ContentError

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROSTER_FILE = "oncall.yaml"


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    roles: tuple[str, ...]
    email: str | None = None
    webhook: str | None = None
    timezone: str = "UTC"


@dataclass(frozen=True)
class Roster:
    people: tuple[Person, ...] = ()
    path: str = field(default="", compare=False)

    def find_person(self, person_id: str) -> Person | None:
        return next((p for p in self.people if p.id == person_id), None)

    def roles_of(self, person_id: str) -> tuple[str, ...]:
        person = self.find_person(person_id)
        return person.roles if person else ()

    def holders(self, role: str) -> list[Person]:
        return [p for p in self.people if role in p.roles]


def load_roster(path: Path) -> Roster | None:
    """The roster at `path`, or None if the workspace has none. Raises ContentError naming the entry and key."""
    if not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path}: cannot be read ({exc})") from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise ContentError(f"{path}:{mark.line + 1 if mark else '?'}: invalid YAML: {exc.problem}") from None
    if not isinstance(data, dict) or not isinstance(data.get("people", []), list):
        raise ContentError(f"{path}: expected a mapping with a `people` list")
    people = []
    for i, entry in enumerate(data.get("people", [])):
        where = f"{path}: people[{i}]"
        if not isinstance(entry, dict):
            raise ContentError(f"{where}: expected a mapping with id, name, roles")
        unknown = set(entry) - {"id", "name", "roles", "email", "webhook", "timezone"}
        if unknown:
            raise ContentError(f"{where}: unknown key {sorted(unknown)[0]!r}; expected id, name, roles, email, webhook, timezone")
        person_id, roles = entry.get("id"), entry.get("roles", [])
        if not isinstance(person_id, str) or not NAME.match(person_id):
            raise ContentError(f"{where}.id: {person_id!r} is not a valid id: lowercase letters, digits and _")
        if not isinstance(roles, list) or not all(isinstance(r, str) and NAME.match(r) for r in roles):
            raise ContentError(f"{where}.roles: expected a list of role names such as [community_manager, comms_lead]")
        email = entry.get("email")
        if email is not None and not (isinstance(email, str) and EMAIL.match(email)):
            raise ContentError(f"{where}.email: {email!r} is not an e-mail address")
        if any(p.id == person_id for p in people):
            raise ContentError(f"{where}.id: {person_id!r} appears twice")
        people.append(Person(person_id, str(entry.get("name") or person_id), tuple(roles), email, entry.get("webhook"),
                             str(entry.get("timezone", "UTC"))))
    return Roster(tuple(people), str(path))
