"""The outbox: every page or publication is a row written in the same transaction as its cause.

`enqueue` writes one (the same idempotency key queued twice is the same message). A deliverer
`claim`s one due message at a time in a short transaction of its own (a conditional UPDATE, its
row picked with FOR UPDATE SKIP LOCKED on PostgreSQL), which leases it: no other deliverer takes it
until the lease ends, and a claim left by a killed process is taken again then. After sending, one
`mark_*` records the outcome. None of this touches the incident, so it never conflicts with a responder.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crisis.outbox.models import Notification

CHANNELS = ("console", "smtp", "webhook")
STATUSES = ("pending", "sent", "failed", "cancelled")


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


def claim(session: Session, now: datetime, *, channels: tuple[str, ...] = CHANNELS,
          lease: timedelta = timedelta(minutes=5)) -> Notification | None:
    """Take the oldest due pending message on `channels` for this deliverer, or None when none is left.

    The claim counts the attempt and moves its next attempt to `now + lease`, in one statement, so two
    deliverers (threads or processes) never take the same message while the lease runs.
    """
    oldest = (select(Notification.id).where(Notification.status == "pending", Notification.next_attempt_at <= now,
                                            Notification.channel.in_(channels))
              .order_by(Notification.next_attempt_at, Notification.id).limit(1).with_for_update(skip_locked=True))
    claimed = session.scalar(update(Notification)
                             .where(Notification.id == oldest.scalar_subquery(), Notification.status == "pending",
                                    Notification.next_attempt_at <= now)
                             .values(attempts=Notification.attempts + 1, last_attempt_at=now, next_attempt_at=now + lease)
                             .returning(Notification.id).execution_options(synchronize_session=False))
    return session.get(Notification, claimed) if claimed is not None else None


def mark_sent(session: Session, notification_id: int, now: datetime) -> None:
    """Record that the peer took the message (a message already sent or failed stays as it is)."""
    _mark(session, notification_id, status="sent", sent_at=now, last_error=None)


def mark_retry(session: Session, notification_id: int, error: str, retry_at: datetime) -> None:
    """Record a failed attempt; the message is due again at `retry_at`."""
    _mark(session, notification_id, last_error=error, next_attempt_at=retry_at)


def mark_failed(session: Session, notification_id: int, error: str) -> None:
    """Record that the message will not be delivered: the peer refused it for good, or the attempts ran out."""
    _mark(session, notification_id, status="failed", last_error=error)


def cancel_pending(session: Session, *, incident_id: int, kind: str, why: str) -> int:
    """Cancel the incident's messages of `kind` not sent yet (pages nobody needs once it is acknowledged or
    quiet); how many were cancelled."""
    return session.execute(update(Notification).where(Notification.incident_id == incident_id, Notification.kind == kind,
                                                      Notification.status == "pending")
                           .values(status="cancelled", last_error=why).execution_options(synchronize_session=False)).rowcount


def _mark(session: Session, notification_id: int, **values: object) -> None:
    session.execute(update(Notification).where(Notification.id == notification_id, Notification.status == "pending")
                    .values(**values).execution_options(synchronize_session=False))


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
