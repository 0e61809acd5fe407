"""The outbox: every page or publication is a row written in the same transaction as its cause.

`enqueue` writes one (the same idempotency key queued twice is the same message); `due` reads
the pending ones whose next attempt has come, locking them on PostgreSQL so that two deliverers
never send the same row at once; delivery itself is `crisis.outbox.delivery.deliver`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisis.outbox.models import Notification

CHANNELS = ("console", "smtp", "webhook")
STATUSES = ("pending", "sent", "failed")


def enqueue(session: Session, now: datetime, *, kind: str, channel: str, target: str, subject: str, body: str,
            idempotency_key: str, payload: dict[str, Any] | None = None, incident_id: int | None = None,
            is_drill: bool = False, person_id: str | None = None) -> Notification:
    """Queue one message in the caller's transaction; the same key queued twice is the same message.

    `channel` is one of CHANNELS: "webhook" with a URL target, "smtp" with an e-mail address,
    "console" with a person id. `person_id` names the person paged, when it is a page.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown outbox channel {channel!r}; expected one of {', '.join(CHANNELS)}")
    existing = session.scalar(select(Notification).where(Notification.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    notification = Notification(kind=kind, channel=channel, target=target, subject=subject, body=body, payload=payload or {},
                                idempotency_key=idempotency_key, incident_id=incident_id, is_drill=is_drill, status="pending",
                                attempts=0, created_at=now, next_attempt_at=now, person_id=person_id)
    session.add(notification)
    return notification


def due(session: Session, now: datetime, *, channels: tuple[str, ...] = CHANNELS, limit: int = 100) -> list[Notification]:
    """Pending messages on `channels` whose next attempt is due, oldest first, locked for this transaction."""
    query = (select(Notification).where(Notification.status == "pending", Notification.next_attempt_at <= now,
                                        Notification.channel.in_(channels))
             .order_by(Notification.next_attempt_at, Notification.id).limit(limit).with_for_update(skip_locked=True))
    return list(session.scalars(query))


def count_waiting(session: Session, *, channels: tuple[str, ...]) -> dict[str, int]:
    """Pending messages on channels this process cannot deliver (e.g. no SMTP configured), by channel."""
    query = (select(Notification.channel, func.count()).where(Notification.status == "pending", Notification.channel.not_in(channels))
             .group_by(Notification.channel))
    return {channel: count for channel, count in session.execute(query)}


def list_notifications(session: Session, *, status: str | None = None, incident_id: int | None = None,
                       limit: int | None = None) -> list[Notification]:
    """The outbox, newest first, optionally only one status or one incident's messages."""
    query = select(Notification).order_by(Notification.created_at.desc(), Notification.id.desc())
    if status is not None:
        query = query.where(Notification.status == status)
    if incident_id is not None:
        query = query.where(Notification.incident_id == incident_id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))
