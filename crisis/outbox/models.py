"""The outbox's rows: one per message to deliver, pages and publications alike.

No `from __future__ import annotations` here: SQLAlchemy would evaluate every column's annotation from its
string at import (every command pays it); only the names defined further down are quoted.
"""

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
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending, sent, failed, cancelled
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    person_id: Mapped[str | None] = mapped_column(String(64))  # the person paged, for a page
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    incident: Mapped[Incident | None] = relationship(lazy="selectin", viewonly=True)
