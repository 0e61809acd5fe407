"""Delivering the outbox: each due message through its channel's notifier, the outcome recorded.

Like every service it takes `(session, clock, …)` and never commits: the deliverer owns the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from crisis.clock import Clock
from crisis.incident import events
from crisis.incident.models import Incident
from crisis.incident.timeline import append_event
from crisis.outbox import queue
from crisis.outbox.backoff import Backoff
from crisis.outbox.models import Notification
from crisis.outbox.notifiers import DeliveryError, Notifier, Outgoing

DELIVERER = "outbox"


@dataclass(frozen=True)
class Delivery:
    """What one delivery attempt did: sent, retry (later), or failed (for good)."""

    notification_id: int
    ref: str | None
    channel: str
    target: str
    outcome: str
    attempts: int
    error: str | None = None
    next_attempt_at: datetime | None = None


def deliver(session: Session, clock: Clock, notifiers: Mapping[str, Notifier], *, backoff: Backoff = Backoff(),
            limit: int = 100) -> list[Delivery]:
    """Send the pending notifications that are due through `notifiers` (by channel), recording each outcome.

    A failure is retried after an exponential backoff and marked failed after `backoff.attempts`
    (or at once when the peer refuses for good). Each attempt of a notification tied to an
    incident is on its timeline. A notifier that raises anything but DeliveryError is a bug.
    """
    now = clock.now()
    results = []
    for notification in queue.due(session, now, channels=tuple(notifiers), limit=limit):
        notification.attempts += 1
        notification.last_attempt_at = now
        try:
            notifiers[notification.channel].send(outgoing(notification))
        except DeliveryError as exc:
            notification.last_error = str(exc)
            if exc.permanent or backoff.gives_up_after(notification.attempts):
                notification.status = "failed"
                outcome = "failed"
            else:
                notification.next_attempt_at = now + backoff.delay_after(notification.attempts)
                outcome = "retry"
        else:
            notification.status, notification.sent_at, notification.last_error = "sent", now, None
            outcome = "sent"
        results.append(_record(session, now, notification, outcome))
    return results


def outgoing(notification: Notification) -> Outgoing:
    return Outgoing(key=notification.idempotency_key, target=notification.target, subject=notification.subject,
                    body=notification.body, payload=notification.payload or {}, is_drill=notification.is_drill)


def _record(session: Session, now: datetime, notification: Notification, outcome: str) -> Delivery:
    incident = session.get(Incident, notification.incident_id) if notification.incident_id is not None else None
    retry_at = notification.next_attempt_at if outcome == "retry" else None
    if incident is not None:
        recorded = {"sent": events.NotificationSent, "retry": events.NotificationRetry, "failed": events.NotificationFailed}[outcome]
        append_event(session, incident, now, DELIVERER, recorded(
            notification=notification.id, kind_of=notification.kind, channel=notification.channel, target=notification.target,
            person=notification.person_id, attempt=notification.attempts, error=notification.last_error, next_attempt_at=retry_at))
    return Delivery(notification.id, incident.ref if incident else None, notification.channel, notification.target, outcome,
                    notification.attempts, notification.last_error, retry_at)
