"""A drill scenario: the story, its personas, its master events list (MEL) of injects and its
objectives, as frozen dataclasses read from `drills/<id>.yaml`. Pure: no database, no clock."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from crisis.playbook.durations import format_duration
from crisis.playbook.model import Localized

DIFFICULTIES = ("easy", "medium", "hard")
DISPOSITIONS = ("critic", "angry_customer", "victim", "attacker", "fan", "troll", "journalist", "influencer", "ngo", "competitor",
                "legal", "agency", "colleague", "platform", "authority", "neutral")
CRITICS = ("critic", "angry_customer", "influencer", "ngo", "journalist", "troll", "victim")  # whose message must never be deleted
PLATFORMS = ("x", "facebook", "instagram", "linkedin", "tiktok", "youtube", "google_business", "tripadvisor",
             "trustpilot", "press", "email", "phone", "other")
CHANNELS = ("email", "phone", "sms", "chat", "memo", "platform")  # how a message reaches the team
VARIATIONS = ("typos", "hashtags", "elongation", "case", "emoji")  # how a wave varies its pool's texts
INJECT_KINDS = ("post", "wave", "article", "message", "fact", "decision", "amplify")
STATES = ("detected", "triage", "responding", "monitoring", "resolved", "closed", "dismissed")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RATINGS = {"P": 1.0, "S": 0.75, "M": 0.4, "U": 0.0}  # HSEEP: performed without / with some / with major challenges, unable
# What a condition may ask of the team's actions so far, and what each takes as its value.
CONDITIONS = {
    "acknowledged": "true or false",
    "published": "a template name, or any",
    "escalated_to": "an escalation level of the playbook",
    "severity": "a severity reached (SEV1 … SEV4)",
    "decided": "{decision point: option}",
    "fact": "{fact: value}",
    "step": "a step of the playbook reached",
    "state": "the incident's lifecycle state now (detected, triage, responding, monitoring, resolved, closed)",
    "fired": "an earlier inject's id",
    "deleted_critic": "true or false",
    "page_waiting": "true or false (a page of the incident waits for an acknowledgement)",
}
# The measurable expectations an objective may hold: timed ones take `within` and optional grades.
EXPECTATIONS = {
    "acknowledged": (), "severity_reached": ("severity",), "playbook": ("playbook",), "escalated": ("level",),
    "published": ("template",), "answered": ("persona",), "decided": ("point",), "review_filed": ("follow_ups",),
    "checked": ("item", "first"), "four_eyes": (), "contact_invited": (), "no_critic_deleted": (), "update_promises_kept": (),
    "paged": ("level",), "page_acknowledged": (),
}
TIMED = ("acknowledged", "severity_reached", "playbook", "escalated", "published", "answered", "decided", "review_filed", "checked",
         "paged", "page_acknowledged")

_OFFSET = re.compile(r"T\+(?:(?P<d>\d+)d)?(?:(?P<hh>\d+):(?P<mm>[0-5]\d)|(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?)")


def parse_offset(text: str) -> timedelta:
    """`T+0:05`, `T+2h`, `T+2d3h`, `T+1d4:30` → the time since the drill's start. Raises ValueError.

    >>> parse_offset("T+2d3h")
    datetime.timedelta(days=2, seconds=10800)
    """
    match = _OFFSET.fullmatch(text.strip())
    if match is None or match.group(0) == "T+":
        raise ValueError(f"{text!r} is not an offset; write it like T+0:05, T+45m, T+2h30m or T+2d3h")
    hours = int(match["hh"] or match["h"] or 0)
    minutes = int(match["mm"] or match["m"] or 0)
    return timedelta(days=int(match["d"] or 0), hours=hours, minutes=minutes)


def format_offset(delta: timedelta) -> str:
    """The offset back, as `T+1d2h30m` (`T+0m` at the start)."""
    return "T+" + (format_duration(delta) if delta else "0m")


@dataclass(frozen=True)
class Persona:
    """A simulated person or organisation who writes injects."""

    id: str
    name: str
    handle: str
    platform: str
    followers: int
    language: str
    disposition: str
    line: int = 0


@dataclass(frozen=True)
class Background:
    """The pattern of life: ordinary mentions at `per_hour`, drawn from a pool, among which the signal hides."""

    per_hour: int
    pool: str
    platforms: tuple[str, ...]
    line: int = 0


@dataclass(frozen=True)
class Condition:
    """One check on what the team did by the time an inject is due: `published: holding_statement`."""

    key: str
    arg: str | None
    value: Any
    line: int = 0


@dataclass(frozen=True)
class Post:
    """A single mention; `own_account` when the brand's own (hijacked) account wrote it."""

    persona: str
    text: str
    url: str | None = None
    own_account: bool = False


@dataclass(frozen=True)
class Wave:
    """`count` mentions over `over`, rising to a peak at `peak` then decaying, from a pool with variations."""

    count: int
    over: timedelta
    peak: timedelta
    pool: str
    platforms: tuple[str, ...]
    personas: tuple[str, ...] = ()
    variations: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Article:
    persona: str
    headline: str
    text: str
    url: str | None = None


@dataclass(frozen=True)
class Message:
    """Something that reaches the team itself: an e-mail from legal, a journalist's call, a leaked memo."""

    persona: str
    channel: str
    text: str
    subject: str | None = None


@dataclass(frozen=True)
class FactKnown:
    """A fact that becomes known (the photo is authentic); the team still has to record it."""

    playbook: str
    key: str
    value: Any
    text: Localized


@dataclass(frozen=True)
class Option:
    id: str
    label: Localized


@dataclass(frozen=True)
class DecisionPoint:
    """A question put to the team; `default` is taken when `deadline` passes unanswered."""

    question: Localized
    options: tuple[Option, ...]
    good: str
    why: Localized
    deadline: timedelta
    default: str
    asked_by: str | None = None


@dataclass(frozen=True)
class Amplify:
    """What is left of wave `wave` is multiplied by `factor` (2: it doubles; 0.5: it decays faster)."""

    wave: str
    factor: float


@dataclass(frozen=True)
class Inject:
    """One line of the MEL: what happens at `at`, if `when` all hold and none of `unless` does."""

    id: str
    at: timedelta
    kind: str
    body: Post | Wave | Article | Message | FactKnown | DecisionPoint | Amplify
    when: tuple[Condition, ...] = ()
    unless: tuple[Condition, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class Objective:
    """What the team should achieve, measured from the timeline, rated P/S/M/U and weighted.

    A timed expectation is P within `within` (counted from T+0, or from the inject `since` fires),
    then S and M up to the `grades` given, U after or never; an expectation without time is P when
    it holds over the whole drill, U otherwise."""

    id: str
    title: Localized
    expect: str
    args: dict[str, Any]
    weight: int
    within: timedelta | None = None
    grades: dict[str, timedelta] = field(default_factory=dict)
    since: str | None = None
    line: int = 0


@dataclass(frozen=True)
class Start:
    """When the story begins in local time, e.g. a Sunday at 02:00 in Europe/Paris."""

    weekday: str | None
    time: str
    timezone: str


@dataclass(frozen=True)
class Scenario:
    id: str
    version: str
    title: Localized
    summary: Localized
    languages: tuple[str, ...]
    brand: str
    playbooks: tuple[str, ...]
    duration: timedelta
    difficulty: str
    personas: tuple[Persona, ...]
    pools: dict[str, tuple[str, ...]]
    background: Background | None
    injects: tuple[Inject, ...]
    objectives: tuple[Objective, ...]
    start: Start | None = None
    silent_levels: tuple[str, ...] = ()  # escalation levels whose pages nobody answers (the on-call asleep)
    hot_wash: tuple[Localized, ...] = ()  # the questions put to the team in the debrief right after
    path: str = ""
    lines: dict[str, int] = field(default_factory=dict)  # top-level key → line, for findings

    def find_persona(self, persona_id: str) -> Persona | None:
        return next((p for p in self.personas if p.id == persona_id), None)

    def find_inject(self, inject_id: str) -> Inject | None:
        return next((i for i in self.injects if i.id == inject_id), None)

    def decision_points(self) -> tuple[Inject, ...]:
        return tuple(i for i in self.injects if i.kind == "decision")
