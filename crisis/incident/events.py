"""The timeline's events: one immutable dataclass per kind (on the light base below), written by the services and read back by
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


# A lighter base than a frozen dataclass per kind: construction, immutability, equality, hash and repr are the base's,
# written once. Python 3.11 compiles each method a dataclass generates apart, and every command imports these kinds
# (`crisis show` too); `dataclasses.fields`, `replace` and `asdict` work on them as on any dataclass.
_event = dataclass(init=False, eq=False, repr=False)


@_event
class TimelineEvent:
    """What one timeline event recorded. Subclasses name their `kind`; fields ending in `_at` are instants.
    Built by keyword (or position) like a dataclass, immutable like a frozen one (`FrozenInstanceError`), equal to
    an event of the same kind with equal fields. Raises TypeError for an unknown or missing argument."""

    kind: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            KINDS[cls.kind] = cls

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = dataclasses.fields(self)
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__}() takes {len(fields)} positional arguments but {len(args)} were given")
        for f, value in zip(fields, args):
            if f.name in kwargs:
                raise TypeError(f"{type(self).__name__}() got multiple values for argument {f.name!r}")
            kwargs[f.name] = value
        for f in fields:
            if f.name in kwargs:
                value = kwargs.pop(f.name)
            elif f.default_factory is not dataclasses.MISSING:
                value = f.default_factory()
            elif f.default is not dataclasses.MISSING:
                value = f.default
            else:
                raise TypeError(f"{type(self).__name__}() missing required argument {f.name!r}")
            object.__setattr__(self, f.name, value)
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {next(iter(kwargs))!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr)
        return f"{self.__class__.__qualname__}({fields})"

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


@_event
class Unrecognised(TimelineEvent):
    """An event of a kind this version does not know (written by a newer one): shown by its kind."""

    name: str = ""
    payload: dict[str, Any] = dataclasses.field(default_factory=dict)

    def data(self) -> dict[str, Any]:
        return dict(self.payload)


# The lifecycle -------------------------------------------------------------------------------

@_event
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


@_event
class Transition(TimelineEvent):
    kind: ClassVar[str] = "transition"
    trigger: str = ""
    from_: str = ""
    to: str = ""
    note: str | None = None
    deadlines_met: list[str] = dataclasses.field(default_factory=list)
    deadlines_cancelled: list[str] = dataclasses.field(default_factory=list)
    deadlines_armed: list[dict[str, str]] = dataclasses.field(default_factory=list)


@_event
class Escalated(TimelineEvent):
    kind: ClassVar[str] = "escalated"
    from_: str = ""
    to: str = ""
    why: str = ""


@_event
class SeverityChanged(TimelineEvent):
    kind: ClassVar[str] = "severity_changed"
    from_: str = ""
    to: str = ""
    why: str = ""
    deadlines_moved: list[dict[str, str]] = dataclasses.field(default_factory=list)


@_event
class FactSet(TimelineEvent):
    kind: ClassVar[str] = "fact_set"
    fact: str = ""
    value: Any = None
    previous: Any = None


@_event
class Checked(TimelineEvent):
    kind: ClassVar[str] = "checked"
    step: str = ""
    item: str = ""


@_event
class Unchecked(TimelineEvent):
    kind: ClassVar[str] = "unchecked"
    step: str = ""
    item: str = ""


@_event
class ReviewRecorded(TimelineEvent):
    kind: ClassVar[str] = "review_recorded"
    what_happened: str = ""
    what_gained: str = ""
    follow_ups: list[dict[str, str]] = dataclasses.field(default_factory=list)


# Deadlines -----------------------------------------------------------------------------------

@_event
class DeadlineArmed(TimelineEvent):
    kind: ClassVar[str] = "deadline_armed"
    deadlines_armed: list[dict[str, str]] = dataclasses.field(default_factory=list)


@_event
class DeadlineBreached(TimelineEvent):
    kind: ClassVar[str] = "deadline_breached"
    deadline: str = ""
    due_at: datetime | None = None
    late_by_s: int = 0


@_event
class LimitationWarning(TimelineEvent):
    kind: ClassVar[str] = "limitation_warning"
    due_at: datetime | None = None
    note: str = ""


# Triage --------------------------------------------------------------------------------------

@_event
class MentionsAttached(TimelineEvent):
    """Mentions triage attached; each item: mention (platform:id), clause (the short label of the clause that matched:
    "query.fr#2" or the phrase), words (the words of the mention it met), score, why, created_at (when it was posted).
    Events written before clause labels carry the clause's text as phrase instead."""

    kind: ClassVar[str] = "mentions_attached"
    count: int = 0
    mentions: list[dict[str, Any]] = dataclasses.field(default_factory=list)


@_event
class SignalsRecorded(TimelineEvent):
    kind: ClassVar[str] = "signals_recorded"
    signals: dict[str, Any] = dataclasses.field(default_factory=dict)
    previous: dict[str, Any] = dataclasses.field(default_factory=dict)
    why: str = ""


# Paging and delivery -------------------------------------------------------------------------

@_event
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


@_event
class PagingClosed(TimelineEvent):
    """A paging that ended; its kind says how (acknowledged, superseded, stopped, exhausted)."""

    policy: str = ""
    level: int = 0
    round: int = 0
    why: str = ""

    @property
    def outcome(self) -> str:
        return self.kind.split("_", 1)[1]


@_event
class PagingAcknowledged(PagingClosed):
    kind: ClassVar[str] = "paging_acknowledged"


@_event
class PagingSuperseded(PagingClosed):
    kind: ClassVar[str] = "paging_superseded"


@_event
class PagingStopped(PagingClosed):
    kind: ClassVar[str] = "paging_stopped"


@_event
class PagingExhausted(PagingClosed):
    kind: ClassVar[str] = "paging_exhausted"


PAGING_CLOSED = {cls.kind.split("_", 1)[1]: cls for cls in (PagingAcknowledged, PagingSuperseded, PagingStopped, PagingExhausted)}


@_event
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


@_event
class NotificationSent(NotificationOutcome):
    kind: ClassVar[str] = "notification_sent"


@_event
class NotificationRetry(NotificationOutcome):
    kind: ClassVar[str] = "notification_retry"


@_event
class NotificationFailed(NotificationOutcome):
    kind: ClassVar[str] = "notification_failed"


# Replies -------------------------------------------------------------------------------------

@_event
class ReplyDrafted(TimelineEvent):
    kind: ClassVar[str] = "reply_drafted"
    reply: str = ""
    template: str = ""
    channel: str = ""
    lang: str = ""
    step: str | None = None
    hash: str = ""


@_event
class ReplyEdited(TimelineEvent):
    kind: ClassVar[str] = "reply_edited"
    reply: str = ""
    hash: str = ""
    previous_hash: str = ""


@_event
class ReplyApproved(TimelineEvent):
    kind: ClassVar[str] = "reply_approved"
    reply: str = ""
    hash: str = ""
    author: str = ""
    rule: str = ""


@_event
class ReplyEndorsed(TimelineEvent):
    """One approval of an approval matrix recorded; the reply stays a draft until the `missing` roles approve too."""

    kind: ClassVar[str] = "reply_endorsed"
    reply: str = ""
    hash: str = ""
    author: str = ""
    rule: str = ""
    missing: list[str] = dataclasses.field(default_factory=list)


@_event
class ReplyRejected(TimelineEvent):
    kind: ClassVar[str] = "reply_rejected"
    reply: str = ""
    hash: str = ""
    why: str = ""


@_event
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

@_event
class DrillDecided(TimelineEvent):
    """A decision point of a drill settled: the option taken, by the team or by default when its deadline passed."""

    kind: ClassVar[str] = "drill_decided"
    point: str = ""
    option: str = ""
    good: str = ""
    by_default: bool = False


@_event
class DrillAnswered(TimelineEvent):
    """The team answered a message that reached it during a drill (a journalist's call, legal's e-mail)."""

    kind: ClassVar[str] = "drill_answered"
    persona: str = ""
    channel: str = ""
    text: str = ""


@_event
class DrillMessageRemoved(TimelineEvent):
    """The team deleted or hid a message on a platform during a drill; `critic` when its author was one."""

    kind: ClassVar[str] = "drill_message_removed"
    how: str = ""
    mention: str = ""
    persona: str = ""
    disposition: str = ""
    critic: bool = False


@_event
class DrillMoveRefused(TimelineEvent):
    """A scripted move the rules refused (self-approval, publishing unapproved), kept so the scorecard names it."""

    kind: ClassVar[str] = "drill_move_refused"
    move: str = ""
    reason: str = ""
    breach: str | None = None


@_event
class DrillToneNoted(TimelineEvent):
    """A reply drafted in a tone the trade warns against at this stage (humour before the facts are acknowledged)."""

    kind: ClassVar[str] = "drill_tone_noted"
    reply: str = ""
    tone: str = ""
    breach: str | None = None
