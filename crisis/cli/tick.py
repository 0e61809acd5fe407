"""`crisis tick`: breach the deadlines that are due and escalate, page the next on-call levels, check volume
spikes, deliver the outbox."""

from __future__ import annotations

from typing import Annotated

import typer

from crisis.cli import context
from crisis.errors import DegradedRun, UsageError


def register(app: typer.Typer) -> None:
    app.command("tick")(tick)


def tick(now: Annotated[str | None, typer.Option("--now", help="Act as if it were this ISO time (tests and rehearsals only: "
                                                 "needs CRISIS_ALLOW_FIXED_CLOCK=yes).")] = None,
         ping: Annotated[str | None, typer.Option("--ping", help="After the tick, GET this URL: a dead man's switch (Healthchecks.io, "
                                                  "a cron monitor) that pages you when the pings stop.")] = None) -> None:
    """Record every deadline due by now as breached and escalate its incident; page the next level of
    every policy nobody acknowledged in time; compare the last complete hour of ingested mentions with
    its baseline (a crisis spike raises severity); deliver the notifications that are due (with
    retries). Safe to run often: each deadline, page and spike hour is acted on once.

    Run it from cron or a systemd timer, e.g. every minute (or run `crisis watch`). With --ping, an
    outside service notices when cron stops running it; `crisis show` warns when the last tick is
    more than 10 minutes old while deadlines are armed.

    Example: crisis tick --now 2026-11-22T14:30:00+01:00
    """
    from crisis.scheduler import tick as run_tick

    runtime = context.runtime()
    if now:
        runtime.clock = context.fixed_clock(now, "--now")
    if ping:
        from crisis.outbox.urls import check_url, http_allowed

        if problem := check_url(ping, allow_http=http_allowed(runtime.env)):
            raise UsageError(f"--ping: {problem}")
    report = run_tick(runtime)
    print_report(report)
    if ping:
        _ping(ping)
    if report.broken:
        raise DegradedRun("this tick ran without " + "; ".join(exc.message for exc in report.broken),
                          hint="fix it: deadlines, pages and deliveries went on, but what it names took no part")


def _ping(url: str) -> None:
    """Tell the dead man's switch this tick ran; a switch that does not answer never fails the tick itself."""
    import urllib.error
    import urllib.request

    from crisis.outbox.urls import redact_url

    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            answer.read(1024)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        typer.echo(f"Warning: the dead man's switch {redact_url(url)} did not take the ping ({exc}); the tick itself ran", err=True)


def print_report(report) -> None:
    """The tick's report: one line per thing done on stdout, the summary and what waits for a notifier on stderr."""
    for b in report.breaches:
        escalation = f"; escalated to {b.escalated_to}" if b.escalated_to else ""
        typer.echo(f"{b.ref}: {b.deadline} breached (due {b.due_at.strftime('%Y-%m-%d %H:%M UTC')}){escalation}")
    for p in report.paged:
        typer.echo(f"{p.ref}: paged level {p.level} of {p.policy} (pass {p.round}): {', '.join(p.people) or 'nobody'} — {p.cause}")
    for spike in report.spikes:
        typer.echo(f"spike: {spike}")
    for d in report.deliveries:
        where = f"{d.ref} " if d.ref else ""
        if d.outcome == "sent":
            typer.echo(f"{where}notification #{d.notification_id} {d.channel} → {d.target}: sent (attempt {d.attempts})")
        elif d.outcome == "retry":
            typer.echo(f"{where}notification #{d.notification_id} {d.channel} → {d.target}: attempt {d.attempts} failed ({d.error}); "
                       f"retry at {d.next_attempt_at:%H:%M:%S} UTC")  # type: ignore[str-format]
        else:
            typer.echo(f"{where}notification #{d.notification_id} {d.channel} → {d.target}: FAILED after {d.attempts} attempt(s): {d.error}")
    for warning in report.warnings:
        typer.echo(f"Warning: {warning}", err=True)
    for channel, count in report.waiting.items():
        typer.echo(f"{count} {channel} notification(s) wait for a notifier: set CRISIS_SMTP_HOST (and CRISIS_SMTP_PORT…)", err=True)
    typer.echo(f"tick at {report.at.isoformat(timespec='seconds')}: {len(report.breaches)} deadline(s) breached, "
               f"{len(report.paged)} page(s) sent out, {len(report.spikes)} spike(s), {report.sent} of {len(report.deliveries)} "
               "notification(s) delivered", err=True)
