"""`crisis tick`: breach the deadlines that are due and escalate, page the next on-call levels, check volume
spikes, deliver the outbox."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from crisis.cli import context


def register(app: typer.Typer) -> None:
    app.command("tick")(tick)


def tick(now: Annotated[str | None, typer.Option("--now", help="Act as if it were this ISO time (default: the clock).")] = None) -> None:
    """Record every deadline due by now as breached and escalate its incident; page the next level of
    every policy nobody acknowledged in time; compare the last complete hour of ingested mentions with
    its baseline (a crisis spike raises severity); deliver the notifications that are due (with
    retries). Safe to run often: each deadline, page and spike hour is acted on once.

    Run it from cron or a systemd timer, e.g. every minute (or run `crisis watch`).

    Example: crisis tick --now 2026-11-22T14:30:00+01:00
    """
    from crisis.clock import VirtualClock

    clock = VirtualClock(context.parse_instant(now, "--now")) if now else context.clock()
    run_tick(clock)


def run_tick(clock) -> None:
    """One tick at `clock`'s instant: deadlines and escalations in one transaction, then delivery in another,
    so that a page written now is sent now and a peer that is down never undoes the escalation."""
    from crisis.incident.service import tick as breach_deadlines
    from crisis.outbox import queue as outbox
    from crisis.outbox.backoff import Backoff
    from crisis.outbox.notifiers import notifiers_from_env
    from crisis.oncall.service import escalate_pagings
    from crisis.outbox.delivery import deliver

    roster = context.roster()
    with context.unit_of_work() as session:
        breaches = breach_deadlines(session, clock, roster=roster)
        paged = escalate_pagings(session, clock, roster)
        spikes = _check_spikes(session, clock, roster)
    for b in breaches:
        escalation = f"; escalated to {b.escalated_to}" if b.escalated_to else ""
        typer.echo(f"{b.ref}: {b.deadline} breached (due {b.due_at.strftime('%Y-%m-%d %H:%M UTC')}){escalation}")
    for p in paged:
        typer.echo(f"{p.ref}: paged level {p.level} of {p.policy} (pass {p.round}): {', '.join(p.people) or 'nobody'} — {p.cause}")
    for spike in spikes:
        typer.echo(f"spike: {spike}")
    notifiers = notifiers_from_env(os.environ, write=lambda text: typer.echo(text, nl=False))
    deliveries = deliver(context.unit_of_work, clock, notifiers, backoff=roster.backoff if roster else Backoff())
    with context.unit_of_work() as session:
        waiting = outbox.count_waiting(session, channels=tuple(notifiers))
    for d in deliveries:
        where = f"{d.ref} " if d.ref else ""
        if d.outcome == "sent":
            typer.echo(f"{where}notification #{d.notification_id} {d.channel} → {d.target}: sent (attempt {d.attempts})")
        elif d.outcome == "retry":
            typer.echo(f"{where}notification #{d.notification_id} {d.channel} → {d.target}: attempt {d.attempts} failed ({d.error}); "
                       f"retry at {d.next_attempt_at:%H:%M:%S} UTC")  # type: ignore[str-format]
        else:
            typer.echo(f"{where}notification #{d.notification_id} {d.channel} → {d.target}: FAILED after {d.attempts} attempt(s): {d.error}")
    for channel, count in waiting.items():
        typer.echo(f"{count} {channel} notification(s) wait for a notifier: set CRISIS_SMTP_HOST (and CRISIS_SMTP_PORT…)", err=True)
    sent = sum(d.outcome == "sent" for d in deliveries)
    typer.echo(f"tick at {clock.now().isoformat(timespec='seconds')}: {len(breaches)} deadline(s) breached, "
               f"{len(paged)} unacknowledged page(s) escalated, {len(spikes)} spike(s), {sent} of {len(deliveries)} notification(s) delivered", err=True)


def _check_spikes(session, clock, roster) -> list[str]:
    """The spike detector over every brand with recent matching mentions, as `crisis ingest` runs it at its end."""
    from crisis.triage.service import Tally, check_spikes, spike_brands

    brands = spike_brands(session, clock)
    if not brands:
        return []  # no mention in the window: the playbooks need not even be read
    playbooks, rule, tally = context.playbooks(), context.spike_rule(), Tally()
    for brand in brands:
        check_spikes(session, clock, "triage", playbooks=playbooks, brand=brand, rule=rule, tally=tally, roster=roster,
                     lang=context.settings().lang)
    return tally.spikes
