"""The incident's rows: the incident, its timeline, facts, checklist marks, deadlines, review.

No `from __future__ import annotations` here: SQLAlchemy would evaluate every column's annotation from its
string at import (every command pays it); only the names defined further down are quoted.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crisis.incident.events import TimelineEvent, parse_event
from crisis.db import Base, UTCDateTime


def format_ref(number: int) -> str:
    return f"INC-{number:04d}"


class PlaybookVersion(Base):
    """The exact playbook text an incident started on: it keeps running on it until closed."""

    __tablename__ = "playbook_version"

    version: Mapped[str] = mapped_column(String(12), primary_key=True)
    playbook_id: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    first_used_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Incident(Base):
    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    playbook_id: Mapped[str] = mapped_column(String(64), index=True)
    playbook_version: Mapped[str] = mapped_column(ForeignKey("playbook_version.version"))
    title: Mapped[str] = mapped_column(String(300))
    brand: Mapped[str | None] = mapped_column(String(120))
    channel: Mapped[str | None] = mapped_column(String(40))
    lang: Mapped[str] = mapped_column(String(2))
    severity: Mapped[str] = mapped_column(String(4))
    level: Mapped[str] = mapped_column(String(64))  # escalation level, one of the playbook's
    state: Mapped[str] = mapped_column(String(120), index=True)
    signals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_drill: Mapped[bool] = mapped_column(default=False)
    opened_by: Mapped[str] = mapped_column(String(120))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    event_count: Mapped[int] = mapped_column(default=0)
    head_hash: Mapped[str] = mapped_column(String(64))  # hash of the last event: a deleted tail shows
    row_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": row_version}

    facts: Mapped[list["FactAnswer"]] = relationship(back_populates="incident", lazy="selectin", cascade="all, delete-orphan")
    marks: Mapped[list["ChecklistMark"]] = relationship(back_populates="incident", lazy="selectin", cascade="all, delete-orphan")
    deadlines: Mapped[list["Deadline"]] = relationship(back_populates="incident", lazy="selectin", cascade="all, delete-orphan",
                                                     order_by="Deadline.id")
    review: Mapped["Review | None"] = relationship(back_populates="incident", lazy="selectin", cascade="all, delete-orphan")

    @property
    def ref(self) -> str:
        return format_ref(self.number)


class Event(Base):
    """One line of the timeline; append only, each carrying the hash of the one before."""

    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("incident_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def typed(self) -> TimelineEvent:
        """What this event recorded, as its typed dataclass."""
        return parse_event(self.kind, self.data)


class FactAnswer(Base):
    __tablename__ = "fact_answer"
    __table_args__ = (UniqueConstraint("incident_id", "fact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    fact_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON)
    set_by: Mapped[str] = mapped_column(String(120))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)

    incident: Mapped[Incident] = relationship(back_populates="facts")


class ChecklistMark(Base):
    __tablename__ = "checklist_mark"
    __table_args__ = (UniqueConstraint("incident_id", "step_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    step_id: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str] = mapped_column(String(64))
    done_by: Mapped[str] = mapped_column(String(120))
    done_at: Mapped[datetime] = mapped_column(UTCDateTime)

    incident: Mapped[Incident] = relationship(back_populates="marks")


class Deadline(Base):
    """A due time armed on entering a state; met or cancelled on leaving it, breached by tick."""

    __tablename__ = "deadline"
    __table_args__ = (Index("ix_deadline_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    kind: Mapped[str] = mapped_column(String(40))  # acknowledge, first_response, step, limitation
    step_id: Mapped[str | None] = mapped_column(String(64))
    armed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="armed")  # armed, met, breached, cancelled
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    incident: Mapped[Incident] = relationship(back_populates="deadlines")

    @property
    def name(self) -> str:
        return f"step {self.step_id}" if self.kind == "step" else self.kind


class Review(Base):
    """The post-incident review (RETEX): what happened, what was gained, follow-ups."""

    __tablename__ = "review"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), unique=True)
    what_happened: Mapped[str] = mapped_column(Text)
    what_gained: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    incident: Mapped[Incident] = relationship(back_populates="review")
    follow_ups: Mapped[list["FollowUpRow"]] = relationship(lazy="selectin", cascade="all, delete-orphan", order_by="FollowUpRow.id")


class FollowUpRow(Base):
    __tablename__ = "follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id"))
    action: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(120))
    due_on: Mapped[date] = mapped_column(Date)
