"""The timeline's events: one immutable dataclass per kind (on the light base of `crisis.incident.event_shape`),
written by the services and read back by `show`, `timeline`, reports and drill scoring alike.

An event is stored as its `kind` and a JSON `data` dict whose keys are the field names (`from_`
is stored as `from`); the hash chain covers that dict, so the stored shape never changes and
events written before these types existed still verify. Reading tolerates keys a newer version
added (missing ones read as their default) and kinds it does not know (`Unrecognised`).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, ClassVar

from crisis.incident.event_shape import KINDS, TimelineEvent, Unrecognised, event, parse_event

__all__ = ["KINDS", "TimelineEvent", "Unrecognised", "parse_event", "Opened", "Transition", "Escalated",
           "SeverityChanged", "FactSet", "Checked", "Unchecked", "ReviewRecorded", "DeadlineArmed",
           "DeadlineBreached", "LimitationWarning", "MentionsAttached", "SignalsRecorded", "Paged", "PagingClosed",
           "PagingAcknowledged", "PagingSuperseded", "PagingStopped", "PagingExhausted", "NotificationOutcome",
           "NotificationSent", "NotificationRetry", "NotificationFailed", "ReplyDrafted", "ReplyEdited",
           "ReplyApproved", "ReplyEndorsed", "ReplyRejected", "ReplyPublished", "DrillDecided", "DrillAnswered",
           "DrillMessageRemoved", "DrillMoveRefused", "DrillToneNoted"]


# The lifecycle -------------------------------------------------------------------------------

@event
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


@event
class Transition(TimelineEvent):
    kind: ClassVar[str] = "transition"
    trigger: str = ""
    from_: str = ""
    to: str = ""
    note: str | None = None
    deadlines_met: list[str] = dataclasses.field(default_factory=list)
    deadlines_cancelled: list[str] = dataclasses.field(default_factory=list)
    deadlines_armed: list[dict[str, str]] = dataclasses.field(default_factory=list)


@event
class Escalated(TimelineEvent):
    kind: ClassVar[str] = "escalated"
    from_: str = ""
    to: str = ""
    why: str = ""


@event
class SeverityChanged(TimelineEvent):
    kind: ClassVar[str] = "severity_changed"
    from_: str = ""
    to: str = ""
    why: str = ""
    deadlines_moved: list[dict[str, str]] = dataclasses.field(default_factory=list)


@event
class FactSet(TimelineEvent):
    kind: ClassVar[str] = "fact_set"
    fact: str = ""
    value: Any = None
    previous: Any = None


@event
class Checked(TimelineEvent):
    kind: ClassVar[str] = "checked"
    step: str = ""
    item: str = ""


@event
class Unchecked(TimelineEvent):
    kind: ClassVar[str] = "unchecked"
    step: str = ""
    item: str = ""


@event
class ReviewRecorded(TimelineEvent):
    kind: ClassVar[str] = "review_recorded"
    what_happened: str = ""
    what_gained: str = ""
    follow_ups: list[dict[str, str]] = dataclasses.field(default_factory=list)


# Deadlines -----------------------------------------------------------------------------------

@event
class DeadlineArmed(TimelineEvent):
    kind: ClassVar[str] = "deadline_armed"
    deadlines_armed: list[dict[str, str]] = dataclasses.field(default_factory=list)


@event
class DeadlineBreached(TimelineEvent):
    kind: ClassVar[str] = "deadline_breached"
    deadline: str = ""
    due_at: datetime | None = None
    late_by_s: int = 0


@event
class LimitationWarning(TimelineEvent):
    kind: ClassVar[str] = "limitation_warning"
    due_at: datetime | None = None
    note: str = ""


# Triage --------------------------------------------------------------------------------------

@event
class MentionsAttached(TimelineEvent):
    """Mentions triage attached; each item: mention (platform:id), clause (the short label of the clause that matched:
    "query.fr#2" or the phrase), words (the words of the mention it met), score, why, created_at (when it was posted).
    Events written before clause labels carry the clause's text as phrase instead."""

    kind: ClassVar[str] = "mentions_attached"
    count: int = 0
    mentions: list[dict[str, Any]] = dataclasses.field(default_factory=list)


@event
class SignalsRecorded(TimelineEvent):
    kind: ClassVar[str] = "signals_recorded"
    signals: dict[str, Any] = dataclasses.field(default_factory=dict)
    previous: dict[str, Any] = dataclasses.field(default_factory=dict)
    why: str = ""


# Paging and delivery -------------------------------------------------------------------------

@event
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


@event
class PagingClosed(TimelineEvent):
    """A paging that ended; its kind says how (acknowledged, superseded, stopped, exhausted)."""

    policy: str = ""
    level: int = 0
    round: int = 0
    why: str = ""

    @property
    def outcome(self) -> str:
        return self.kind.split("_", 1)[1]


@event
class PagingAcknowledged(PagingClosed):
    kind: ClassVar[str] = "paging_acknowledged"


@event
class PagingSuperseded(PagingClosed):
    kind: ClassVar[str] = "paging_superseded"


@event
class PagingStopped(PagingClosed):
    kind: ClassVar[str] = "paging_stopped"


@event
class PagingExhausted(PagingClosed):
    kind: ClassVar[str] = "paging_exhausted"


PAGING_CLOSED = {cls.kind.split("_", 1)[1]: cls for cls in (PagingAcknowledged, PagingSuperseded, PagingStopped, PagingExhausted)}


@event
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


@event
class NotificationSent(NotificationOutcome):
    kind: ClassVar[str] = "notification_sent"


@event
class NotificationRetry(NotificationOutcome):
    kind: ClassVar[str] = "notification_retry"


@event
class NotificationFailed(NotificationOutcome):
    kind: ClassVar[str] = "notification_failed"


# Replies -------------------------------------------------------------------------------------

@event
class ReplyDrafted(TimelineEvent):
    kind: ClassVar[str] = "reply_drafted"
    reply: str = ""
    template: str = ""
    channel: str = ""
    lang: str = ""
    step: str | None = None
    hash: str = ""


@event
class ReplyEdited(TimelineEvent):
    kind: ClassVar[str] = "reply_edited"
    reply: str = ""
    hash: str = ""
    previous_hash: str = ""


@event
class ReplyApproved(TimelineEvent):
    kind: ClassVar[str] = "reply_approved"
    reply: str = ""
    hash: str = ""
    author: str = ""
    rule: str = ""


@event
class ReplyEndorsed(TimelineEvent):
    """One approval of an approval matrix recorded; the reply stays a draft until the `missing` roles approve too."""

    kind: ClassVar[str] = "reply_endorsed"
    reply: str = ""
    hash: str = ""
    author: str = ""
    rule: str = ""
    missing: list[str] = dataclasses.field(default_factory=list)


@event
class ReplyRejected(TimelineEvent):
    kind: ClassVar[str] = "reply_rejected"
    reply: str = ""
    hash: str = ""
    why: str = ""


@event
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

@event
class DrillDecided(TimelineEvent):
    """A decision point of a drill settled: the option taken, by the team or by default when its deadline passed."""

    kind: ClassVar[str] = "drill_decided"
    point: str = ""
    option: str = ""
    good: str = ""
    by_default: bool = False


@event
class DrillAnswered(TimelineEvent):
    """The team answered a message that reached it during a drill (a journalist's call, legal's e-mail)."""

    kind: ClassVar[str] = "drill_answered"
    persona: str = ""
    channel: str = ""
    text: str = ""


@event
class DrillMessageRemoved(TimelineEvent):
    """The team deleted or hid a message on a platform during a drill; `critic` when its author was one."""

    kind: ClassVar[str] = "drill_message_removed"
    how: str = ""
    mention: str = ""
    persona: str = ""
    disposition: str = ""
    critic: bool = False


@event
class DrillMoveRefused(TimelineEvent):
    """A scripted move the rules refused (self-approval, publishing unapproved), kept so the scorecard names it."""

    kind: ClassVar[str] = "drill_move_refused"
    move: str = ""
    reason: str = ""
    breach: str | None = None


@event
class DrillToneNoted(TimelineEvent):
    """A reply drafted in a tone the trade warns against at this stage (humour before the facts are acknowledged)."""

    kind: ClassVar[str] = "drill_tone_noted"
    reply: str = ""
    tone: str = ""
    breach: str | None = None
