"""`tick(runtime)`: what runs on every tick, in order, each job a domain's own use case.

Deadlines, pagings and spikes run in one transaction (the pages they cause are written with them),
then the outbox is delivered in another, so that a page written now is sent now and a peer that
is down never undoes an escalation. `crisis tick`, a drill and the tests call the same function;
the CLI only prints the report. Every job is safe to run often: each deadline, page, spike hour
and message is acted on once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from crisis.errors import ContentError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from crisis.runtime import Runtime


@dataclass
class TickReport:
    """What one tick did, job by job."""

    at: datetime
    breaches: list[Any] = field(default_factory=list)  # crisis.incident.service.Breach
    paged: list[Any] = field(default_factory=list)  # crisis.oncall.service.Paged
    spikes: list[str] = field(default_factory=list)
    deliveries: list[Any] = field(default_factory=list)  # crisis.outbox.delivery.Delivery
    waiting: dict[str, int] = field(default_factory=dict)  # pending messages no notifier of this process can send, by channel
    broken: list[Any] = field(default_factory=list)  # ContentErrors of the content this tick ran without
    warnings: list[str] = field(default_factory=list)  # what a reviewer should know (a local roster that does not govern)

    @property
    def sent(self) -> int:
        return sum(d.outcome == "sent" for d in self.deliveries)


def _deadlines(runtime: Runtime, session: Session, report: TickReport) -> None:
    from crisis.incident.service import tick as breach_deadlines

    report.breaches += breach_deadlines(session, runtime.clock)


def _pagings(runtime: Runtime, session: Session, report: TickReport) -> None:
    from crisis.oncall.service import escalate_pagings

    report.paged += escalate_pagings(session, runtime.clock, runtime.roster)


def _spikes(runtime: Runtime, session: Session, report: TickReport) -> None:
    from crisis.triage.service import Tally
    from crisis.triage.volume import check_spikes, spike_brands

    brands = spike_brands(session, runtime.clock)
    if not brands:
        return  # no mention in the window: the playbooks need not even be read
    playbooks, broken = runtime.usable_playbooks
    report.broken += broken
    tally = Tally()
    for brand in brands:
        check_spikes(session, runtime.clock, "triage", playbooks=playbooks, brand=brand, rule=runtime.spike_rule,
                     tally=tally, lang=runtime.settings.lang)
    report.spikes += tally.spikes


def _drills(runtime: Runtime, session: Session, report: TickReport) -> None:
    from crisis.drill.live import advance_drills, start_due_drills

    start_due_drills(runtime, session)
    advance_drills(runtime, session, report)


JOBS: list[Callable[[Runtime, Session, TickReport], None]] = [_deadlines, _pagings, _spikes, _drills]


def tick(runtime: Runtime, *, jobs: list[Callable[[Runtime, Session, TickReport], None]] | None = None) -> TickReport:
    """Run every job (or only `jobs`) at the runtime clock's instant, then deliver the outbox. Raises what the jobs raise
    (a CrisisError); a job's failure rolls back the first transaction but never the deliveries already made."""
    report = TickReport(at=runtime.clock.now())
    runtime.remember_roster()
    runtime.roster  # noqa: B018  (loaded before the jobs' transaction; a broken file falls back to the last good one)
    if runtime.roster_problem is not None:
        report.broken.append(ContentError(str(runtime.roster_problem)))
    if runtime.roster_drift is not None:
        report.warnings.append(runtime.roster_drift)
    with runtime.unit_of_work() as session:
        for job in JOBS if jobs is None else jobs:
            job(runtime, session, report)
            report.paged += runtime.dispatch(session)  # what a job announced pages before the next job runs
    deliver_outbox(runtime, report)
    from crisis.oncall.heartbeat import record_heartbeat

    with runtime.unit_of_work() as session:  # a tick that ran to its end, for the watchdog
        record_heartbeat(session, runtime.clock)
    return report


def deliver_outbox(runtime: Runtime, report: TickReport) -> None:
    """Send what is due through the runtime's notifiers, with the roster's backoff."""
    from crisis.outbox import queue
    from crisis.outbox.backoff import Backoff
    from crisis.outbox.delivery import deliver

    notifiers = runtime.notifiers
    backoff = runtime.roster.backoff if runtime.roster else Backoff()
    report.deliveries += deliver(runtime.unit_of_work, runtime.clock, notifiers, backoff=backoff)  # each message in its own transactions
    with runtime.unit_of_work() as session:
        report.waiting.update(queue.count_waiting(session, channels=tuple(notifiers)))
