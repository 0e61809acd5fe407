"""Who may act: with a roster, only the people on it act on incidents, and an action the playbook
reserves to roles (`permissions:`) needs one of them. Without a roster, anyone may act.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from crisis.errors import RefusedError
from crisis.playbook.model import Playbook


class Member(Protocol):
    id: str
    name: str
    roles: tuple[str, ...]


class Roster(Protocol):
    """Who may act: the people of the on-call roster with their roles (crisis.oncall.roster.Roster is one)."""

    path: Path | None

    @property
    def people(self) -> Sequence[Member]: ...

    def find_person(self, person_id: str) -> Member | None: ...

    def roles_of(self, person_id: str) -> tuple[str, ...]: ...

    def holders(self, role: str) -> Sequence[Member]: ...

WORDS = {  # action → what the refusal calls it
    "acknowledge": "acknowledging", "respond": "starting the response to", "next": "moving on the steps of",
    "stabilize": "stabilising", "relapse": "reopening the response to", "resolve": "resolving", "close": "closing",
    "dismiss": "dismissing", "reopen": "reopening", "escalate": "escalating", "check": "ticking the checklist of",
    "fact": "answering the facts of", "severity": "changing the severity of", "review": "writing the review of",
    "approve": "approving a statement on", "publish": "publishing a statement on",
}
COMMANDS = {"acknowledge": "ack", "severity": "severity", "check": "check", "fact": "fact", "review": "review"}


def authorize(roster: Roster | None, playbook: Playbook, *, actor: str, action: str, severity: str, ref: str) -> None:
    """Return if `actor` may do `action` on incident `ref` at `severity`. Raises RefusedError naming
    the role needed and who holds it."""
    if roster is None:
        return
    person = roster.find_person(actor)
    if person is None:
        known = ", ".join(p.id for p in roster.people) or "nobody yet"
        raise RefusedError(f"{actor!r} is not on the on-call roster ({roster.path}): only the people it lists act on incidents",
                           hint=f"act as someone on it with --as ID ({known}), or add {actor} to people in oncall.yaml")
    needed = playbook.roles_for(action, severity)
    if not needed or set(needed) & set(person.roles):
        return
    holders = [p for p in roster.people if set(needed) & set(p.roles)]
    what = f"{WORDS.get(action, action)} {ref}" + (f" at {severity}" if playbook.permissions[action].from_severity != "SEV4" else "")
    held = ", ".join(person.roles) or "no role"
    if holders:
        names = ", ".join(f"{p.name} ({p.id}: {', '.join(r for r in p.roles if r in needed)})" for p in holders)
        hint = f"held by {names}: ask one of them, e.g. crisis {COMMANDS.get(action, action)} {ref} --as {holders[0].id}"
    else:
        hint = f"nobody on the roster holds {' or '.join(needed)}: give the role to someone in {roster.path}"
    raise RefusedError(f"{what} needs the role {' or '.join(needed)} (playbook {playbook.id}); {actor} holds {held}", hint=hint)
