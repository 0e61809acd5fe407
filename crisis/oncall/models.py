"""On-call rows: the outbox of notifications, and the pagings that walk an escalation policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crisis.db import Base, UTCDateTime
from crisis.incident.models import Incident


class Notification(Base):
    """One message to deliver: pending until a notifier confirms it, retried with backoff, failed at the end."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # page, publish
    channel: Mapped[str] = mapped_column(String(20))  # console, smtp, webhook
    target: Mapped[str] = mapped_column(String(300))  # a person id, an e-mail address, a URL
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    is_drill: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    person_id: Mapped[str | None] = mapped_column(String(64))  # the person paged, for a page
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    incident: Mapped[Incident | None] = relationship(lazy="selectin", viewonly=True)


class Paging(Base):
    """One run of an escalation policy for an incident: the level paged last, the round, when it moves on.

    Active until acknowledged, superseded by another policy, stopped with the incident, or
    exhausted (every level of every round paged and nobody acknowledged).
    """

    __tablename__ = "paging"
    __table_args__ = (Index("ix_paging_status_next_at", "status", "next_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    cause: Mapped[str] = mapped_column(Text)  # what started it: opened, severity rose, a deadline breached…
    level: Mapped[int] = mapped_column(default=0)  # index of the level paged last
    round: Mapped[int] = mapped_column(default=0)  # 0 for the first pass, 1 for the first repeat…
    status: Mapped[str] = mapped_column(String(12), default="active")  # active, acknowledged, superseded, stopped, exhausted
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the next level is paged if nobody acknowledges
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(120))
