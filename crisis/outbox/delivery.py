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
from time import sleep
from typing import TypeVar

from sqlalchemy.orm import Session

from crisis.clock import Clock
from crisis.errors import ConflictError, StorageError
from crisis.outbox import queue
from crisis.outbox.backoff import Backoff
from crisis.outbox.models import Notification
from crisis.outbox.notifiers import DeliveryError, Notifier, Outgoing
from crisis.outbox.urls import redact_text, redact_url

T = TypeVar("T")
UnitOfWork = Callable[[], AbstractContextManager[Session]]
RETRY_WAITS_S = (0.1, 0.3, 1.0, None)  # a busy database: tried again after these waits, then the error stands
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
            limit: int = 500, workers: int = WORKERS, lease: timedelta = LEASE) -> list[Delivery]:
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
    steps = _Steps(unit_of_work)

    def take_turn() -> bool:
        with lock:
            left[0] -= 1
            return left[0] >= 0

    def work() -> None:
        while take_turn():
            delivery = _deliver_one(steps, clock, notifiers, backoff=backoff, lease=lease)
            if delivery is None:
                return
            with lock:
                results.append(delivery)

    with ThreadPoolExecutor(max_workers=max(1, min(workers, limit)), thread_name_prefix="outbox") as pool:
        for future in [pool.submit(work) for _ in range(max(1, min(workers, limit)))]:
            future.result()
    return sorted(results, key=lambda d: d.notification_id)


class _Steps:
    """The database steps of delivery, one short transaction each, one at a time in this process (the sending
    runs in parallel; the transactions gain nothing from competing for the database, and SQLite takes one
    writer at a time). A busy database is tried again a few times: a message sent must be marked, or it
    would be sent again once its lease ends."""

    def __init__(self, unit_of_work: UnitOfWork) -> None:
        self.unit_of_work, self.lock = unit_of_work, Lock()

    def run(self, step: Callable[[Session], T]) -> T:
        for wait in RETRY_WAITS_S:
            try:
                with self.lock, self.unit_of_work() as session:
                    return step(session)
            except ConflictError:
                raise
            except StorageError:
                if wait is None:
                    raise
                sleep(wait)
        raise AssertionError("unreachable: the last wait is None")


def _deliver_one(steps: _Steps, clock: Clock, notifiers: Mapping[str, Notifier], *, backoff: Backoff,
                 lease: timedelta) -> Delivery | None:
    def take(session: Session) -> tuple[Outgoing, str | None, int, str, int] | None:
        notification = queue.claim(session, clock.now(), channels=tuple(notifiers), lease=lease)
        if notification is None:
            return None
        return (outgoing(notification, at=clock.now()), notification.incident.ref if notification.incident else None,
                notification.id, notification.channel, notification.attempts)

    claimed = steps.run(take)
    if claimed is None:
        return None
    message, ref, nid, channel, attempts = claimed
    error, permanent = None, False
    try:
        notifiers[channel].send(message)
    except DeliveryError as exc:
        error, permanent = str(exc), exc.permanent
    except Exception as exc:  # a notifier's bug must not leave the other pages unsent: this one fails, named
        error, permanent = redact_text(f"internal error while sending ({exc.__class__.__name__}: {exc}); please report it"), True
    now = clock.now()
    if error is None:
        outcome, retry_at = "sent", None
        steps.run(lambda session: queue.mark_sent(session, nid, now))
    elif permanent or backoff.gives_up_after(attempts):
        outcome, retry_at = "failed", None
        steps.run(lambda session: queue.mark_failed(session, nid, error))
    else:
        outcome, retry_at = "retry", now + backoff.delay_after(attempts)
        steps.run(lambda session: queue.mark_retry(session, nid, error, retry_at))
    return Delivery(nid, ref, channel, redact_url(message.target) if channel == "webhook" else message.target, outcome, attempts,
                    error, retry_at)


def outgoing(notification: Notification, *, at: datetime | None = None) -> Outgoing:
    return Outgoing(key=notification.idempotency_key, target=notification.target, subject=notification.subject,
                    body=notification.body, payload=notification.payload or {}, is_drill=notification.is_drill, at=at)
