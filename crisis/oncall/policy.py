"""Escalation policies and the routes that say which policy serves which playbook, severity and
escalation level.

A policy is an ordered list of levels. Paging starts at the first level; every target of a level
is paged together; if nobody acknowledges within the level's delay, the next level is paged;
after the last level the whole policy starts again, `repeat` more times, then stops (exhausted).
With `ack_timeout_minutes`, an acknowledged page whose incident is still not being responded to
(detected or triage) that long after the acknowledgement is paged again.
"""

from __future__ import annotations

from dataclasses import dataclass

TARGET_KINDS = ("person", "role", "rotation")


@dataclass(frozen=True)
class Target:
    kind: str  # person, role (every holder), rotation (whoever is on call)
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Level:
    delay_minutes: int  # how long this level has to acknowledge before the next one is paged
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class EscalationPolicy:
    id: str
    levels: tuple[Level, ...]
    repeat: int = 0  # how many times the whole policy is paged again after its last level
    ack_timeout_minutes: int | None = None  # re-page if the response has not started this long after an acknowledgement

    def after(self, level: int, round_: int) -> tuple[int, int] | None:
        """The (level, round) paged after `level` in `round_`, or None when the policy is exhausted."""
        if level + 1 < len(self.levels):
            return level + 1, round_
        return (0, round_ + 1) if round_ < self.repeat else None


@dataclass(frozen=True)
class Route:
    """`policy` serves these playbooks, severities and escalation levels (each: all if empty)."""

    policy: str
    playbooks: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()  # the incident's escalation level, as its playbook names it (crisis_cell…)

    def serves(self, playbook_id: str, severity: str, level: str | None = None) -> bool:
        return ((not self.playbooks or playbook_id in self.playbooks) and (not self.severities or severity in self.severities)
                and (not self.levels or level in self.levels))
