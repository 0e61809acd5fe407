"""The plain records a report is built from: what the database holds, with no ORM attached.

The service reads the rows into these; `build` turns them into an `IncidentReport`. Nothing here
reads a database or a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class EventRecord:
    """One timeline event as stored: the chain fields travel with it."""

    seq: int
    at: datetime
    actor: str
    kind: str
    data: dict[str, Any]
    hash: str
    prev_hash: str


@dataclass(frozen=True)
class IncidentRecord:
    ref: str
    title: str
    playbook_id: str
    playbook_title: str
    playbook_version: str
    brand: str | None
    channel: str | None
    lang: str
    severity: str
    level: str
    levels: tuple[str, ...]  # the playbook's escalation levels, lowest first
    state: str
    is_drill: bool
    opened_at: datetime
    opened_by: str
    head_hash: str


@dataclass(frozen=True)
class VolumeBucket:
    """Mentions of one hour on one platform, aggregated by the database."""

    hour_at: datetime
    platform: str
    negative: int
    other: int


@dataclass(frozen=True)
class AuthorReach:
    author: str
    platform: str
    followers: int | None
    mentions: int


@dataclass(frozen=True)
class MentionRecord:
    """A captured mention, with the fields it was ingested with."""

    platform: str
    source_id: str
    author: str | None
    author_followers: int | None
    text: str
    url: str | None
    created_at: datetime
    ingested_at: datetime
    sha256: str
    captured_by: str | None = None


@dataclass(frozen=True)
class ReplyRecord:
    label: str
    channel: str
    lang: str
    text: str
    sha256: str
    status: str
    author: str
    approver: str | None
    published_by: str | None
    published_at: datetime | None
    rejected_why: str | None


@dataclass(frozen=True)
class DeadlineRecord:
    name: str
    kind: str
    armed_at: datetime
    due_at: datetime
    status: str  # armed, met, breached, cancelled
    closed_at: datetime | None


@dataclass(frozen=True)
class FollowUpRecord:
    action: str
    owner: str
    due_on: date


@dataclass(frozen=True)
class ReviewRecord:
    what_happened: str
    what_gained: str
    author: str
    recorded_at: datetime
    follow_ups: tuple[FollowUpRecord, ...]


@dataclass(frozen=True)
class LegalRule:
    """A legal clock the playbook arms (e.g. 3 months from first publication), and its note."""

    period: timedelta
    warn_before: timedelta
    note: str


@dataclass(frozen=True)
class SpikeRecord:
    hour_at: datetime
    count: int
    why: str
    baseline: float | None = None  # the 7-day mean per hour the spike was judged against


@dataclass(frozen=True)
class PersonRecord:
    id: str
    name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class IncidentInputs:
    """Everything one incident report reads, gathered by `crisis.report.service`."""

    incident: IncidentRecord
    events: tuple[EventRecord, ...]
    volume: tuple[VolumeBucket, ...]
    mention_count: int
    first_mention_at: datetime | None
    top_authors: tuple[AuthorReach, ...]
    press: tuple[MentionRecord, ...]
    evidence: tuple[MentionRecord, ...]
    replies: tuple[ReplyRecord, ...]
    deadlines: tuple[DeadlineRecord, ...]
    review: ReviewRecord | None
    spikes: tuple[SpikeRecord, ...] = ()
    legal: LegalRule | None = None
    people: tuple[PersonRecord, ...] = ()
    chain_break: str | None = None  # what `audit verify` said, None when the chain verifies
    press_count: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def json_ready(value: Any) -> Any:
    """Dataclass fields turned plain for JSON: datetimes and dates as ISO 8601 text, tuples as lists."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value
