"""Writing to the outbox. Delivery (notifiers, retries) reads it after the cause has committed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisis.oncall.models import Notification


def enqueue(session: Session, now: datetime, *, kind: str, channel: str, target: str, subject: str, body: str,
            idempotency_key: str, payload: dict[str, Any] | None = None, incident_id: int | None = None,
            is_drill: bool = False) -> Notification:
    """Queue one message in the caller's transaction; the same key queued twice is the same message."""
    existing = session.scalar(select(Notification).where(Notification.idempotency_key == idempotency_key))
    if existing is not None:
        return existing
    notification = Notification(kind=kind, channel=channel, target=target, subject=subject, body=body, payload=payload or {},
                                idempotency_key=idempotency_key, incident_id=incident_id, is_drill=is_drill, status="pending",
                                attempts=0, created_at=now, next_attempt_at=now)
    session.add(notification)
    return notification


def due(session: Session, now: datetime, *, limit: int = 100) -> list[Notification]:
    """Pending messages whose next attempt is due, oldest first."""
    query = (select(Notification).where(Notification.status == "pending", Notification.next_attempt_at <= now)
             .order_by(Notification.next_attempt_at, Notification.id).limit(limit))
    return list(session.scalars(query))
