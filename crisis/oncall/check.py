"""`crisis oncall check`: what a reviewer of the roster would find before the night it is needed.

Errors: a policy level that pages nobody, a role a playbook requires that nobody holds (approval
matrices included: each role of `approve.also` needs a holder), an
incident kind and severity no route pages for. Warnings: declared roles nobody holds, gaps in a
rotation, routes naming unknown playbooks, policies no route uses, people who can only be paged
on the console, people a bound identity cannot reach, no roster_admins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from crisis.oncall.roster import Roster
from crisis.playbook.model import SEVERITIES, Playbook

PAGED_SEVERITIES = SEVERITIES[:-1]  # SEV4 is a weak signal: nobody is paged for it


@dataclass(frozen=True)
class Finding:
    level: str  # error, warning
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.where}: {self.message}"


def check_roster(roster: Roster, playbooks: list[Playbook], now: datetime, *, days: int = 28) -> list[Finding]:
    """Everything worth fixing in `roster`, for these playbooks, over the next `days` days."""
    found: list[Finding] = []
    held = {role for person in roster.people for role in person.roles}
    for role in roster.roles:
        if role not in held:
            found.append(Finding("warning", f"roles.{role}", "nobody holds this role"))
    for playbook in playbooks:
        needs = [(f"permissions.{action}", permission.roles) for action, permission in playbook.permissions.items()]
        needs += [(f"steps.{step.id}.approve", step.approve.roles) for step in playbook.steps if step.approve]
        # the approval matrix: each role of `also` must approve as well, so each one needs a holder of its own
        needs += [(f"steps.{step.id}.approve.also[{i}]", (role,)) for step in playbook.steps if step.approve
                  for i, entry in enumerate(step.approve.also) for role in entry.roles]
        unheld: dict[tuple[str, ...], list[str]] = {}
        for where, roles in needs:
            if not set(roles) & held:
                unheld.setdefault(roles, []).append(where)
        for roles, places in unheld.items():
            found.append(Finding("error", f"playbook {playbook.id}", f"{', '.join(places)} need(s) the role {' or '.join(roles)}, "
                                                                    "which nobody on the roster holds"))
        for severity in PAGED_SEVERITIES:
            if roster.policy_for(playbook.id, severity, playbook.level_for(severity)) is None:
                found.append(Finding("error", "routes", f"a {severity} {playbook.id} incident pages nobody: no route serves it"))
    end = now + timedelta(days=days)
    for rotation in roster.rotations:
        zone = ZoneInfo(rotation.timezone)
        for lo, hi in rotation.gaps(now, end):
            found.append(Finding("warning", f"rotations.{rotation.id}", f"nobody on call from {_local(lo, zone)} to "
                                 f"{_local(hi, zone) if hi < end else 'the end of the next ' + str(days) + ' days'}"))
    known = {playbook.id for playbook in playbooks}
    for i, route in enumerate(roster.routes):
        for name in route.playbooks:
            if name not in known:
                found.append(Finding("warning", f"routes[{i}].playbooks", f"{name!r} is not a playbook of this workspace "
                                                                         f"({', '.join(sorted(known)) or 'none'}): the route never serves it"))
    used = {route.policy for route in roster.routes}
    for policy in roster.policies:
        if policy.id not in used:
            found.append(Finding("warning", f"policies.{policy.id}", "no route uses this policy: it never pages"))
        for i, level in enumerate(policy.levels):
            if not roster.targets_people(level.targets, now):
                found.append(Finding("error", f"policies.{policy.id}.levels[{i}]",
                                     f"pages nobody now ({', '.join(str(t) for t in level.targets)})"))
    found += _identity(roster)
    for person in roster.people:
        if not (person.email or person.webhook):
            found.append(Finding("warning", f"people.{person.id}", "no email nor webhook: pages reach only the console running tick"))
    return found


def _identity(roster: Roster) -> list[Finding]:
    """How actors are bound, and who could apply the next roster."""
    found = []
    bind = roster.identity.bind
    if bind != "none":
        key = "login" if bind == "os_user" else "db_role"
        for person in roster.people:
            if getattr(person, key) is None:
                found.append(Finding("warning", f"people.{person.id}", f"no {key}: with identity.bind {bind}, {person.id} can act "
                                     "only through someone who may act for others"))
    if not roster.roster_admins:
        found.append(Finding("warning", "roster_admins", "none named: `crisis oncall apply` refuses this roster (it must name "
                             "the roles that may apply the next one)"))
    return found


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
