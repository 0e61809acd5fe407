"""The timeline's events: one frozen dataclass per kind, written by the services and read back by
`show`, `timeline`, reports and drill scoring alike.

An event is stored as its `kind` and a JSON `data` dict whose keys are the field names (`from_`
is stored as `from`); the hash chain covers that dict, so the stored shape never changes and
events written before these types existed still verify. Reading tolerates keys a newer version
added (missing ones read as their default) and kinds it does not know (`Unrecognised`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

KINDS: dict[str, type[TimelineEvent]] = {}


@dataclass(frozen=True)
class TimelineEvent:
    """What one timeline event recorded. Subclasses name their `kind`; fields ending in `_at` are instants."""

    kind: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            KINDS[cls.kind] = cls

    def data(self) -> dict[str, Any]:
        """The JSON dict stored (and hashed) for this event."""
        return {_key(f.name): _dump(getattr(self, f.name)) for f in dataclasses.fields(self)}


def parse_event(kind: str, data: dict[str, Any]) -> TimelineEvent:
    """The typed event for a stored `kind` and `data`; `Unrecognised` for a kind this version does not know."""
    cls = KINDS.get(kind)
    if cls is None:
        return Unrecognised(name=kind, payload=dict(data))
    values = {}
    for f in dataclasses.fields(cls):
        if _key(f.name) in data:
            raw = data[_key(f.name)]
            values[f.name] = _instant(raw) if f.name.endswith("_at") else raw
    return cls(**values)


_STORED = {"from_": "from", "kind_of": "kind"}  # field names that would clash with Python or with `kind`


def _key(name: str) -> str:
    return _STORED.get(name, name)


def _dump(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_dump(v) for v in value]
    return value


def _instant(raw: Any) -> Any:
    return datetime.fromisoformat(raw) if isinstance(raw, str) else raw


@dataclass(frozen=True)
class Unrecognised(TimelineEvent):
    """An event of a kind this version does not know (written by a newer one): shown by its kind."""

    name: str = ""
    payload: dict[str, Any] = dataclasses.field(default_factory=dict)

    def data(self) -> dict[str, Any]:
        return dict(self.payload)


# The lifecycle -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Opened(TimelineEvent):
    kind: ClassVar[str] = "opened"
    playbook: str = ""
    version: str = ""
    title: str = ""
    severity: str = ""
    severity_why: str = ""
    level: str = ""
    brand: str | None = None
    channel: str | None = None
    is_drill: bool = False
    deadlines_armed: list[dict[str, str]] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class Transition(TimelineEvent):
    kind: ClassVar[str] = "transition"
    trigger: str = ""
    from_: str = ""
    to: str = ""
    note: str | None = None
    deadlines_met: list[str] = dataclasses.field(default_factory=list)
    deadlines_cancelled: list[str] = dataclasses.field(default_factory=list)
    deadlines_armed: list[dict[str, str]] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class Escalated(TimelineEvent):
    kind: ClassVar[str] = "escalated"
    from_: str = ""
    to: str = ""
    why: str = ""


@dataclass(frozen=True)
class SeverityChanged(TimelineEvent):
    kind: ClassVar[str] = "severity_changed"
    from_: str = ""
    to: str = ""
    why: str = ""
    deadlines_moved: list[dict[str, str]] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class FactSet(TimelineEvent):
    kind: ClassVar[str] = "fact_set"
    fact: str = ""
    value: Any = None
    previous: Any = None


@dataclass(frozen=True)
class Checked(TimelineEvent):
    kind: ClassVar[str] = "checked"
    step: str = ""
    item: str = ""


@dataclass(frozen=True)
class Unchecked(TimelineEvent):
    kind: ClassVar[str] = "unchecked"
    step: str = ""
    item: str = ""


@dataclass(frozen=True)
class ReviewRecorded(TimelineEvent):
    kind: ClassVar[str] = "review_recorded"
    what_happened: str = ""
    what_gained: str = ""
    follow_ups: list[dict[str, str]] = dataclasses.field(default_factory=list)


# Deadlines -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeadlineArmed(TimelineEvent):
    kind: ClassVar[str] = "deadline_armed"
    deadlines_armed: list[dict[str, str]] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class DeadlineBreached(TimelineEvent):
    kind: ClassVar[str] = "deadline_breached"
    deadline: str = ""
    due_at: datetime | None = None
    late_by_s: int = 0


@dataclass(frozen=True)
class LimitationWarning(TimelineEvent):
    kind: ClassVar[str] = "limitation_warning"
    due_at: datetime | None = None
    note: str = ""


# Triage --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MentionsAttached(TimelineEvent):
    """Mentions triage attached; each item: mention (platform:id), clause (the short label of the clause that matched:
    "query.fr#2" or the phrase), words (the words of the mention it met), score, why, created_at (when it was posted).
    Events written before clause labels carry the clause's text as phrase instead."""

    kind: ClassVar[str] = "mentions_attached"
    count: int = 0
    mentions: list[dict[str, Any]] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class SignalsRecorded(TimelineEvent):
    kind: ClassVar[str] = "signals_recorded"
    signals: dict[str, Any] = dataclasses.field(default_factory=dict)
    previous: dict[str, Any] = dataclasses.field(default_factory=dict)
    why: str = ""


# Paging and delivery -------------------------------------------------------------------------

@dataclass(frozen=True)
class Paged(TimelineEvent):
    kind: ClassVar[str] = "paged"
    policy: str = ""
    level: int = 0
    of: int = 0
    round: int = 0
    rounds: int = 0
    cause: str = ""
    targets: list[str] = dataclasses.field(default_factory=list)
    people: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    next_level_at: datetime | None = None


@dataclass(frozen=True)
class PagingClosed(TimelineEvent):
    """A paging that ended; its kind says how (acknowledged, superseded, stopped, exhausted)."""

    policy: str = ""
    level: int = 0
    round: int = 0
    why: str = ""

    @property
    def outcome(self) -> str:
        return self.kind.split("_", 1)[1]


@dataclass(frozen=True)
class PagingAcknowledged(PagingClosed):
    kind: ClassVar[str] = "paging_acknowledged"


@dataclass(frozen=True)
class PagingSuperseded(PagingClosed):
    kind: ClassVar[str] = "paging_superseded"


@dataclass(frozen=True)
class PagingStopped(PagingClosed):
    kind: ClassVar[str] = "paging_stopped"


@dataclass(frozen=True)
class PagingExhausted(PagingClosed):
    kind: ClassVar[str] = "paging_exhausted"


PAGING_CLOSED = {cls.kind.split("_", 1)[1]: cls for cls in (PagingAcknowledged, PagingSuperseded, PagingStopped, PagingExhausted)}


@dataclass(frozen=True)
class NotificationOutcome(TimelineEvent):
    """One delivery attempt, as timelines written before deliveries moved to the outbox rows recorded it."""

    notification: int = 0
    kind_of: str = ""
    channel: str = ""
    target: str = ""
    person: str | None = None
    attempt: int = 0
    error: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class NotificationSent(NotificationOutcome):
    kind: ClassVar[str] = "notification_sent"


@dataclass(frozen=True)
class NotificationRetry(NotificationOutcome):
    kind: ClassVar[str] = "notification_retry"


@dataclass(frozen=True)
class NotificationFailed(NotificationOutcome):
    kind: ClassVar[str] = "notification_failed"


# Replies -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReplyDrafted(TimelineEvent):
    kind: ClassVar[str] = "reply_drafted"
    reply: str = ""
    template: str = ""
    channel: str = ""
    lang: str = ""
    step: str | None = None
    hash: str = ""


@dataclass(frozen=True)
class ReplyEdited(TimelineEvent):
    kind: ClassVar[str] = "reply_edited"
    reply: str = ""
    hash: str = ""
    previous_hash: str = ""


@dataclass(frozen=True)
class ReplyApproved(TimelineEvent):
    kind: ClassVar[str] = "reply_approved"
    reply: str = ""
    hash: str = ""
    author: str = ""
    rule: str = ""


@dataclass(frozen=True)
class ReplyEndorsed(TimelineEvent):
    """One approval of an approval matrix recorded; the reply stays a draft until the `missing` roles approve too."""

    kind: ClassVar[str] = "reply_endorsed"
    reply: str = ""
    hash: str = ""
    author: str = ""
    rule: str = ""
    missing: list[str] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class ReplyRejected(TimelineEvent):
    kind: ClassVar[str] = "reply_rejected"
    reply: str = ""
    hash: str = ""
    why: str = ""


@dataclass(frozen=True)
class ReplyPublished(TimelineEvent):
    """A statement published; `idempotency_key` is set when it went out by webhook."""

    kind: ClassVar[str] = "reply_published"
    reply: str = ""
    hash: str = ""
    via: str = ""
    channel: str = ""
    lang: str = ""
    text: str = ""
    deadlines_met: list[str] = dataclasses.field(default_factory=list)
    idempotency_key: str | None = None

    def data(self) -> dict[str, Any]:
        data = super().data()
        if self.idempotency_key is None:
            del data["idempotency_key"]  # stored only for a webhook publication, as before
        return data


# Drills: moves of a rehearsal that no service of a real incident makes ----------------------

@dataclass(frozen=True)
class DrillDecided(TimelineEvent):
    """A decision point of a drill settled: the option taken, by the team or by default when its deadline passed."""

    kind: ClassVar[str] = "drill_decided"
    point: str = ""
    option: str = ""
    good: str = ""
    by_default: bool = False


@dataclass(frozen=True)
class DrillAnswered(TimelineEvent):
    """The team answered a message that reached it during a drill (a journalist's call, legal's e-mail)."""

    kind: ClassVar[str] = "drill_answered"
    persona: str = ""
    channel: str = ""
    text: str = ""


@dataclass(frozen=True)
class DrillMessageRemoved(TimelineEvent):
    """The team deleted or hid a message on a platform during a drill; `critic` when its author was one."""

    kind: ClassVar[str] = "drill_message_removed"
    how: str = ""
    mention: str = ""
    persona: str = ""
    disposition: str = ""
    critic: bool = False


@dataclass(frozen=True)
class DrillMoveRefused(TimelineEvent):
    """A scripted move the rules refused (self-approval, publishing unapproved), kept so the scorecard names it."""

    kind: ClassVar[str] = "drill_move_refused"
    move: str = ""
    reason: str = ""
    breach: str | None = None


@dataclass(frozen=True)
class DrillToneNoted(TimelineEvent):
    """A reply drafted in a tone the trade warns against at this stage (humour before the facts are acknowledged)."""

    kind: ClassVar[str] = "drill_tone_noted"
    reply: str = ""
    tone: str = ""
    breach: str | None = None
