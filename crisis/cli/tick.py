"""`crisis tick`: breach the deadlines that are due and escalate, once per deadline."""

from __future__ import annotations

from typing import Annotated

import typer

from crisis.cli import context


def register(app: typer.Typer) -> None:
    app.command("tick")(tick)


def tick(now: Annotated[str | None, typer.Option("--now", help="Act as if it were this ISO time (default: the clock).")] = None) -> None:
    """Record every deadline due by now as breached and escalate its incident. Safe to run often.

    Run it from cron or a systemd timer, e.g. every minute.

    Example: crisis tick --now 2026-11-22T14:30:00+01:00
    """
    from crisis.clock import VirtualClock
    from crisis.incident.service import tick as run_tick

    clock = VirtualClock(context.parse_instant(now, "--now")) if now else context.clock()
    with context.unit_of_work() as session:
        breaches = run_tick(session, clock)
    for b in breaches:
        escalation = f"; escalated to {b.escalated_to}" if b.escalated_to else ""
        typer.echo(f"{b.ref}: {b.deadline} breached (due {b.due_at.strftime('%Y-%m-%d %H:%M UTC')}){escalation}")
    typer.echo(f"tick at {clock.now().isoformat(timespec='seconds')}: {len(breaches)} deadline(s) breached", err=True)
