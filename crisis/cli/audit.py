"""`crisis audit verify` and `crisis audit anchor`: check the timelines, and keep their heads outside the database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crisis.cli import context
from crisis.errors import CrisisError, TamperedError, UsageError

app = typer.Typer(help="Check that the timelines were not edited, and anchor them outside the database.", no_args_is_help=True)


@app.command()
def verify(ref: str | None = typer.Argument(None, metavar="[REF]", help="One incident; default: all."),
           anchor: Annotated[Path | None, typer.Option("--anchor", help="Also check the database against the last anchor "
                                                       "of this file (written by `crisis audit anchor --to`); default: "
                                                       "[audit] anchor in crisis.toml.")] = None) -> None:
    """Recompute each timeline's hash chain (HMAC for keyed events, with CRISIS_AUDIT_KEY), replay it against the
    incident, its replies and its deadlines, and name the first difference. With --anchor, an anchored incident
    deleted, truncated or rewritten is found too. Exits 8 if anything does not verify, 1 if keyed events could
    not be checked (no key, or another one).

    Example: crisis audit verify --anchor /srv/anchors/crisis.jsonl
    """
    from crisis.incident.anchor import check_anchor, parse_anchor, signature_problem
    from crisis.incident.anchor_store import read_anchors
    from crisis.incident.replay import replay_incident
    from crisis.incident.seal import audit_key
    from crisis.incident.service import get_incident, list_incidents
    from crisis.incident.timeline import check_chain, find_downgrades, list_events
    from crisis.replies.replay import replay_replies

    key = audit_key(context.runtime().env)
    configured = context.settings().anchor
    if anchor is None and configured is not None:
        if configured.is_file():
            anchor = configured
        else:
            typer.echo(f"note: no anchor yet at {configured} ([audit] anchor): run `crisis audit anchor`", err=True)
    anchored = parse_anchor(read_anchors(anchor), str(anchor)) if anchor else None
    with context.unit_of_work() as session:
        incidents = [get_incident(session, ref)] if ref else list_incidents(session)
        checks, breaks = [], []
        for incident in incidents:
            timeline = list_events(session, incident)
            checks.append(check := check_chain(session, incident, key=key, timeline=timeline))
            breaks.append(str(check.broken or replay_incident(session, incident, timeline=timeline)
                              or replay_replies(session, incident, timeline=timeline) or ""))
        breaks += [str(b) for b in find_downgrades(checks)]
        lost = check_anchor(session, anchored) if anchored else []
        if anchored and "roster" in anchored.get("logs", {}):
            from crisis.oncall.governance import check_roster_log_head

            lost += check_roster_log_head(session, anchored["logs"]["roster"], anchored["at"])
    breaks = [b for b in breaks if b]
    problem = signature_problem(anchored, key) if anchored else None
    if problem and problem[1]:
        lost.insert(0, f"{anchor}: {problem[0]}")
    for line in [f"BROKEN {b}" for b in breaks] + [f"TAMPERED {what}" for what in lost]:
        typer.echo(line, err=True)
    if breaks or lost:
        raise TamperedError(f"{len(breaks)} of {len(incidents)} timeline(s) do not verify" + (f"; {len(lost)} difference(s) "
                            f"with the anchor of {anchored['at']}" if lost else ""),
                            hint="restore the database from a backup and compare; the break names the first altered event")
    counted, keyed, fixed = (sum(getattr(c, name) for c in checks) for name in ("events", "keyed", "fixed_clock"))
    if fixed:
        typer.echo(f"note: {fixed} event(s) were written under a fixed clock (CRISIS_ALLOW_FIXED_CLOCK): a rehearsal or a test", err=True)
    unchecked = sum(c.unchecked for c in checks)
    if unchecked or problem:
        raise CrisisError(f"{unchecked} keyed event(s) not checked: they are sealed with an audit key this process does not hold"
                          if unchecked else f"{anchor}: {problem[0]}", hint="set CRISIS_AUDIT_KEY (or CRISIS_AUDIT_KEY_FILE) to the "
                          "workspace's audit key and verify again")
    also = f", checked against the anchor of {anchored['at']}" if anchored else ""
    typer.echo(f"ok: {len(incidents)} timeline(s), {counted} event(s) verified" + (f" ({keyed} keyed)" if keyed else "") + also)


@app.command("anchor")
def anchor_heads(to: Annotated[Path | None, typer.Option("--to", help="Append the anchor to this JSON Lines file "
                                                      "(default: [audit] anchor in crisis.toml).")] = None,
                 webhook: Annotated[str | None, typer.Option("--webhook", help="POST the anchor to this https:// URL "
                                                             "(signed with CRISIS_WEBHOOK_SECRET).")] = None,
                 git: Annotated[Path | None, typer.Option("--git", help="Commit the anchor in this git repository "
                                                          "(signed when it is configured to sign).")] = None) -> None:
    """Export the head of every timeline (reference, event count, head hash), the count of incidents and the head of
    the applied rosters' log, at the
    clock's time, HMAC-signed when CRISIS_AUDIT_KEY is set, to a file, a webhook or a git commit kept outside the
    database. `crisis audit verify --anchor FILE` then finds an incident deleted or a timeline truncated or
    rewritten since. Run it from cron, e.g. hourly.

    Example: crisis audit anchor --to /srv/anchors/crisis.jsonl --git /srv/anchors
    """
    from crisis.incident.anchor import build_anchor, dump_anchor
    from crisis.incident.anchor_store import append_anchor, commit_anchor
    from crisis.incident.seal import audit_key
    from crisis.oncall.governance import roster_log_head

    to = to or (context.settings().anchor if not (webhook or git) else None)
    if not (to or webhook or git):
        raise UsageError("where should the anchor go?", hint="pass --to FILE, --webhook URL or --git DIR (or several), or set "
                                                             "anchor in the [audit] section of crisis.toml")
    runtime = context.runtime()
    key = audit_key(runtime.env)
    with context.unit_of_work() as session:
        anchor = build_anchor(session, runtime.clock.now(), key=key, logs={"roster": roster_log_head(session)})
    line, what = dump_anchor(anchor), f"{anchor['incidents']} incident(s) at {anchor['at']}"
    if webhook:
        _post(runtime, webhook, anchor, what)
    if to:
        append_anchor(to, line)
        typer.echo(f"anchored {what} in {to}")
    if git:
        signed = commit_anchor(git, line, f"crisis audit anchor: {what}")
        typer.echo(f"anchored {what} in a {'signed' if signed else 'plain'} commit of {git}")
        if not signed:
            typer.echo(f"note: the commit is not signed; set user.signingkey and commit.gpgsign in {git} to sign it", err=True)
    if key is None:
        typer.echo("note: the anchor is not signed: set CRISIS_AUDIT_KEY to sign it", err=True)


def _post(runtime, url: str, anchor: dict, what: str) -> None:
    from crisis.outbox.notifiers import DeliveryError, Outgoing
    from crisis.outbox.urls import redact_url

    message = Outgoing(key=f"anchor-{anchor['at']}", target=url, subject="crisis audit anchor", body=what,
                       payload={"anchor": anchor}, at=runtime.clock.now())
    try:
        runtime.notifiers["webhook"].send(message)
    except DeliveryError as exc:
        raise (UsageError if exc.permanent else CrisisError)(f"the anchor was not delivered: {exc}",
                                                               hint="fix the URL, or keep the anchor in a file with --to") from None
    typer.echo(f"anchored {what} at {redact_url(url)}")
