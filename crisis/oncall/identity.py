"""Who the roster says you are: how the actor of a command is bound to something real, who may act for
others, who may apply the next roster. Pure: the entry point passes the OS user and database role it found.

    identity: {bind: os_user, may_act_for_others: [comms_lead]}   # none (default), os_user or db_role
    roster_admins: [comms_lead]                                    # who may `crisis oncall apply` the next roster
    people:
      - {id: bruno, name: Bruno Leroy, roles: [community_manager], login: bruno, db_role: crisis_bruno}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from crisis.errors import ContentError, IdentityError, RefusedError

BINDS = ("none", "os_user", "db_role")
KEYS = {"os_user": ("login", "OS user"), "db_role": ("db_role", "database role")}
LOGIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,62}$")  # an OS login or a PostgreSQL role name


@dataclass(frozen=True)
class Identity:
    """How actors are bound: `bind` says to what; holders of `may_act_for_others` may pass --as someone else."""

    bind: str = "none"
    may_act_for_others: tuple[str, ...] = ()


class Member(Protocol):
    id: str
    name: str
    roles: tuple[str, ...]
    login: str | None
    db_role: str | None


class Governed(Protocol):
    path: str
    identity: Identity
    roster_admins: tuple[str, ...]

    @property
    def people(self) -> Sequence[Member]: ...


def parse_identity(value: Any, roles: set[str], error: Callable[[str, str], ContentError]) -> Identity:
    """The `identity:` section; `roles` are those the roster knows. Raises ContentError through `error(where, problem)`."""
    if value is None:
        return Identity()
    if not isinstance(value, dict):
        raise error("identity", "expected a mapping such as {bind: os_user, may_act_for_others: [comms_lead]}")
    for key in value:
        if key not in ("bind", "may_act_for_others"):
            raise error(f"identity.{key}", "unknown key; expected one of: bind, may_act_for_others")
    bind = value.get("bind", "none")
    if bind not in BINDS:
        raise error("identity.bind", f"{bind!r}: expected one of {', '.join(BINDS)}")
    return Identity(bind, role_list(value.get("may_act_for_others", []), roles, "identity.may_act_for_others", error))


def role_list(value: Any, roles: set[str], where: str, error: Callable[[str, str], ContentError]) -> tuple[str, ...]:
    """A list of roles someone holds or `roles:` declares. Raises ContentError through `error`."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise error(where, "expected a list of roles such as [comms_lead]")
    for i, role in enumerate(value):
        if role not in roles:
            raise error(f"{where}[{i}]", f"{role!r} is not a role of the roster; expected one of: {', '.join(sorted(roles)) or 'none'}")
    return tuple(value)


def login_of(value: Any, where: str, error: Callable[[str, str], ContentError]) -> str | None:
    """A person's `login:` or `db_role:`, checked. Raises ContentError through `error`."""
    if value is None:
        return None
    if not isinstance(value, str) or not LOGIN.match(value):
        raise error(where, f"{value!r}: expected an OS login or database role name (letters, digits, _ . @ -)")
    return value


def bind_actor(roster: Governed | None, claimed: str | None, *, os_user: str | None,
               db_user: str | None) -> tuple[str | None, str | None]:
    """(the actor a command signs as, who acts for them if someone else). Without binding, `claimed` as typed.
    With `bind: os_user` (or `db_role`), the person the roster maps to this OS user (database role); they may
    claim someone else only if they hold a role of `may_act_for_others`. Raises IdentityError naming who you are
    and whom you claimed to be."""
    mode = roster.identity.bind if roster is not None else "none"
    if mode == "none":
        return claimed, None
    key, what = KEYS[mode]
    if db_user is None and mode == "db_role":
        raise IdentityError(f"the roster ({roster.path}) binds actors to their database role, and this database has no roles (SQLite)",
                            hint="use PostgreSQL (CRISIS_DATABASE_URL) with one role per person, or apply a roster with identity.bind: os_user")
    found = os_user if mode == "os_user" else db_user
    person = next((p for p in roster.people if getattr(p, key) == found), None) if found else None
    claim = f"; you claimed to be {claimed}" if claimed else ""
    if person is None:
        raise IdentityError(f"you are {what} {found!r}, whom the roster ({roster.path}) maps to nobody{claim}",
                            hint=f"ask a roster admin to add `{key}: {found}` to your entry in oncall.yaml and apply it")
    if claimed is None or claimed == person.id:
        return person.id, None
    if set(person.roles) & set(roster.identity.may_act_for_others):
        return claimed, person.id
    allowed = " or ".join(roster.identity.may_act_for_others) or "nobody"
    raise IdentityError(f"you are {person.name} ({person.id}, {what} {found}){claim}: only {allowed} may act for someone else",
                        hint=f"act as yourself (drop --as and CRISIS_USER), or ask {claimed} to act")


def authorize_roster_change(governing: Governed | None, actor: str) -> None:
    """Return if `actor` may apply a new roster over `governing` (anyone on an empty database). Raises RefusedError
    naming the roles that may."""
    if governing is None:
        return
    person = next((p for p in governing.people if p.id == actor), None)
    if person is not None and set(person.roles) & set(governing.roster_admins):
        return
    admins = [p.id for p in governing.people if set(p.roles) & set(governing.roster_admins)]
    raise RefusedError(f"applying a roster needs the role {' or '.join(governing.roster_admins) or '(none named)'} "
                       f"(roster_admins of the applied roster); {actor} {'holds ' + (', '.join(person.roles) or 'no role') if person else 'is not on it'}",
                       hint=f"ask {', '.join(admins) or 'a database administrator'} to review and apply it: crisis oncall apply")


def check_governable(roster: Governed) -> None:
    """Refuse a roster nobody could replace: `roster_admins` must name a role someone holds. Raises ContentError."""
    if not roster.roster_admins:
        raise ContentError(f"{roster.path}: roster_admins: missing; applied to the database, a roster must name the roles "
                           "that may apply the next one", hint="add e.g. `roster_admins: [comms_lead]` at the top of the file")
    if not any(set(p.roles) & set(roster.roster_admins) for p in roster.people):
        raise ContentError(f"{roster.path}: roster_admins: nobody holds {' or '.join(roster.roster_admins)}: "
                           "nobody could apply the next roster", hint="give one of these roles to someone in people")
