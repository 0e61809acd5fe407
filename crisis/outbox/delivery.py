"""Delivering the outbox: each due message claimed, sent through its channel's notifier and marked, each
step in a short transaction of its own, several messages at once so that a slow peer delays only its own.

Unlike a service, `deliver` owns its transactions: it takes a unit-of-work factory, not the caller's
session, because a message must be recorded as claimed before it is sent and as sent right after.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock

from sqlalchemy.orm import Session

from crisis.clock import Clock
from crisis.outbox import queue
from crisis.outbox.backoff import Backoff
from crisis.outbox.models import Notification
from crisis.outbox.notifiers import DeliveryError, Notifier, Outgoing
from crisis.outbox.urls import redact_text, redact_url

UnitOfWork = Callable[[], AbstractContextManager[Session]]
WORKERS = 8  # messages in flight at once; a peer that hangs holds one worker until its deadline
LEASE = timedelta(minutes=5)  # longer than any delivery deadline: a live claim is never taken twice


@dataclass(frozen=True)
class Delivery:
    """What one delivery attempt did: sent, retry (later), or failed (for good). `target` is redacted."""

    notification_id: int
    ref: str | None
    channel: str
    target: str
    outcome: str
    attempts: int
    error: str | None = None
    next_attempt_at: datetime | None = None


def deliver(unit_of_work: UnitOfWork, clock: Clock, notifiers: Mapping[str, Notifier], *, backoff: Backoff = Backoff(),
            limit: int = 100, workers: int = WORKERS, lease: timedelta = LEASE) -> list[Delivery]:
    """Send up to `limit` pending notifications that are due through `notifiers` (by channel), `workers` at once.

    Each message is claimed (leased for `lease`) in one transaction from `unit_of_work()`, sent, then
    marked in another: a message is sent at most once unless the process dies between sending and
    marking (the idempotency key covers that one). A failure is retried after an exponential backoff
    and marked failed after `backoff.attempts`, or at once when the peer refuses for good; a message
    that cannot be sent never stops the others. Outcomes stay on the notification row, not the timeline.
    Raises StorageError when the database fails; the results are ordered by notification id.
    """
    results: list[Delivery] = []
    lock, left = Lock(), [limit]

    def take_turn() -> bool:
        with lock:
            left[0] -= 1
            return left[0] >= 0

    def work() -> None:
        while take_turn():
            delivery = _deliver_one(unit_of_work, clock, notifiers, backoff=backoff, lease=lease)
            if delivery is None:
                return
            with lock:
                results.append(delivery)

    with ThreadPoolExecutor(max_workers=max(1, min(workers, limit)), thread_name_prefix="outbox") as pool:
        for future in [pool.submit(work) for _ in range(max(1, min(workers, limit)))]:
            future.result()
    return sorted(results, key=lambda d: d.notification_id)


def _deliver_one(unit_of_work: UnitOfWork, clock: Clock, notifiers: Mapping[str, Notifier], *, backoff: Backoff,
                 lease: timedelta) -> Delivery | None:
    with unit_of_work() as session:
        notification = queue.claim(session, clock.now(), channels=tuple(notifiers), lease=lease)
        if notification is None:
            return None
        message, ref = outgoing(notification, at=clock.now()), notification.incident.ref if notification.incident else None
        nid, channel, attempts = notification.id, notification.channel, notification.attempts
    error, permanent = None, False
    try:
        notifiers[channel].send(message)
    except DeliveryError as exc:
        error, permanent = str(exc), exc.permanent
    except Exception as exc:  # a notifier's bug must not leave the other pages unsent: this one fails, named
        error, permanent = redact_text(f"internal error while sending ({exc.__class__.__name__}: {exc}); please report it"), True
    now = clock.now()
    with unit_of_work() as session:
        if error is None:
            queue.mark_sent(session, nid, now)
            outcome, retry_at = "sent", None
        elif permanent or backoff.gives_up_after(attempts):
            queue.mark_failed(session, nid, error)
            outcome, retry_at = "failed", None
        else:
            retry_at = now + backoff.delay_after(attempts)
            queue.mark_retry(session, nid, error, retry_at)
            outcome = "retry"
    return Delivery(nid, ref, channel, redact_url(message.target) if channel == "webhook" else message.target, outcome, attempts,
                    error, retry_at)


def outgoing(notification: Notification, *, at: datetime | None = None) -> Outgoing:
    return Outgoing(key=notification.idempotency_key, target=notification.target, subject=notification.subject,
                    body=notification.body, payload=notification.payload or {}, is_drill=notification.is_drill, at=at)
