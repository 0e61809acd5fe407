"""Opening, listing and reading incidents: open, list, show, timeline."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from crisis.cli import context
from crisis.cli.params import Actor, Json, Ref


def register(app: typer.Typer) -> None:
    app.command("open")(open_)
    app.command("list")(list_)
    app.command("show")(show)
    app.command("timeline")(timeline)


def open_(
    playbook: Annotated[str, typer.Option("--playbook", "-p", help="Playbook id, e.g. hijacked_account.", show_default=False)],
    title: Annotated[str, typer.Option("--title", "-t", help="What is happening, in one line.", show_default=False)],
    severity: Annotated[str | None, typer.Option(help="SEV1…SEV4; default: the playbook's assessment.")] = None,
    channel: Annotated[str | None, typer.Option(help="Where it started: x, facebook, instagram, tripadvisor…")] = None,
    brand: Annotated[str | None, typer.Option(help="The brand concerned (default: the workspace's).")] = None,
    drill: Annotated[bool, typer.Option("--drill", help="Mark it as an exercise: kept apart in metrics.")] = False,
    as_: Actor = None,
) -> None:
    """Open an incident in state detected, pinned to the playbook's current version.

    Example: crisis open --playbook hijacked_account --title "Instagram account posts crypto scam" --as ana
    """
    from crisis.incident.service import open_incident

    settings, who = context.settings(), context.actor(as_)
    pb = context.playbook(playbook)
    with context.unit_of_work() as session:
        incident = open_incident(session, context.clock(), who, pb, title=title, severity=severity, channel=channel,
                                 brand=brand or settings.brand, lang=settings.lang, is_drill=drill, roster=context.roster())
        ref, sev, level = incident.ref, incident.severity, incident.level
    typer.echo(f"{ref} opened: {pb.title(settings.lang)} at {sev}, escalation level {level}")
    typer.echo(f"Next: crisis ack {ref}")


def list_(
    open_only: Annotated[bool, typer.Option("--open", help="Only incidents not yet resolved, closed or dismissed.")] = False,
    playbook: Annotated[str | None, typer.Option("--playbook", "-p", help="Only incidents of this playbook.")] = None,
    as_json: Json = False,
) -> None:
    """List incidents, oldest first.

    Example: crisis list --open
    """
    from crisis.incident.detail import incident_summary
    from crisis.incident.reading import list_incidents

    with context.unit_of_work() as session:
        rows = [incident_summary(i) for i in list_incidents(session, open_only=open_only, playbook_id=playbook)]
    if playbook and not rows:
        context.playbook(playbook)  # an unknown playbook is an error (exit 3), not an empty list
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("No incidents." if not open_only else "No open incidents.", err=True)
        return
    from crisis.cli.terminal import PIPE_TITLE_WIDTH, cells, console, cut, printable, width

    if (out := console()) is not None:
        return _list_table(out, rows)
    columns = width()  # a terminal under NO_COLOR: each line fits it; a pipe: titles cut to a sane width
    for r in rows:
        drill = " [DRILL]" if r["is_drill"] else ""
        head = f"{r['ref']}  {r['severity']}  {r['state']:<28} {r['playbook']:<18} "
        room = max(columns - cells(head) - len(drill), 8) if columns else PIPE_TITLE_WIDTH
        typer.echo(f"{head}{cut(printable(r['title']), room)}{drill}")


_HEADERS = {"en": ("incident", "severity", "state", "playbook", "title"), "fr": ("incident", "gravité", "état", "playbook", "titre")}


def _list_table(out, rows: list[dict]) -> None:
    """`list` on a terminal: a table as wide as the window, severities in colour, one line per incident."""
    from rich.table import Table
    from rich.text import Text

    from crisis.cli.terminal import SEVERITY_STYLES, printable

    lang = context.settings().lang
    headers, drill = _HEADERS.get(lang, _HEADERS["en"]), "[EXERCICE] " if lang == "fr" else "[DRILL] "
    fixed = [max(len(headers[n]), *(len(r[key]) for r in rows)) for n, key in enumerate(("ref", "severity", "state", "playbook"))]
    table = Table(box=None, pad_edge=False, header_style="bold", show_edge=False)
    for n, header in enumerate(headers[:4]):
        table.add_column(header, no_wrap=True, overflow="ellipsis", max_width=fixed[n], min_width=fixed[n] if n < 2 else None)
    # the title takes what is left of the window (two columns between cells), so that no row ever wraps
    table.add_column(headers[4], no_wrap=True, overflow="ellipsis", min_width=10, max_width=max(out.width - sum(fixed) - 2 * 4, 10))
    for r in rows:
        title = Text(printable(r["title"]))
        if r["is_drill"]:
            title = Text.assemble((drill, "bold magenta"), title)
        table.add_row(r["ref"], Text(r["severity"], SEVERITY_STYLES.get(r["severity"], "")), r["state"], r["playbook"], title)
    out.print(table)


def show(ref: Ref, as_json: Json = False) -> None:
    """Show an incident: state, step, severity, deadlines, checklist, facts, last events, actions allowed now.

    Example: crisis show INC-0001
    """
    from crisis.cli.terminal import console, cut, print_styled, printable, width
    from crisis.cli.views import incident_detail, show_text
    from crisis.incident.reading import get_incident
    from crisis.oncall.governance import roster_drift
    from crisis.oncall.heartbeat import last_heartbeat

    with context.unit_of_work() as session:
        view = incident_detail(session, get_incident(session, ref), context.clock().now())
        beat = last_heartbeat(session)
        drift = roster_drift(session, context.runtime().roster_path)
    _warn_if_unwatched(view, beat, context.clock().now(), drift)
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    settings = context.settings()
    titled = {**view, "title": printable(view["title"])}  # a title stays on its one line, whatever it holds
    text = printable(show_text(titled, zone=settings.timezone, lang=settings.lang), multiline=True)
    if (out := console()) is not None:
        print_styled(out, text)
        return
    if (columns := width()) is not None:  # a terminal under NO_COLOR: the title line still fits the window
        first, _, rest = text.partition("\n")
        text = cut(first, columns) + ("\n" + rest if rest else "")
    typer.echo(text)


def timeline(ref: Ref, as_json: Json = False) -> None:
    """Print the whole timeline of an incident, oldest event first, in the workspace's time zone.

    Example: crisis timeline INC-0001 --json
    """
    from crisis.cli.terminal import console, printable
    from crisis.cli.views import local
    from crisis.incident.detail import event_dict
    from crisis.incident.reading import get_incident
    from crisis.incident.timeline import list_events

    with context.unit_of_work() as session:
        incident = get_incident(session, ref)
        events = [event_dict(e, incident.lang) for e in list_events(session, incident)]
    if as_json:
        typer.echo(json.dumps(events, ensure_ascii=False, indent=2))
        return
    zone = context.settings().timezone  # the workspace's clock on the wall; --json keeps UTC
    lines = [f"#{e['seq']:<3} {local(e['at'], zone)}  {printable(_signed(e)):<12} {printable(e['says'])}" for e in events]
    if (out := console()) is not None:
        from crisis.cli.terminal import styled

        out.print(styled("\n".join(lines)), soft_wrap=True)
        return
    for line in lines:
        typer.echo(line)


def _signed(event: dict) -> str:
    """Who an event names: its actor, and who acted for them if someone did."""
    return f"{event['actor']} (by {event['by']})" if "by" in event else event["actor"]


def _warn_if_unwatched(view: dict, beat, now, drift: str | None) -> None:
    """Say on stderr when deadlines are armed and `crisis tick` has not run lately (breaches would go unseen), and
    when the workspace's roster file is not the one that governs."""
    from crisis.cli.terminal import warn
    from crisis.oncall.heartbeat import heartbeat_warning

    if drift:
        warn(drift)
    if view["is_drill"] or not any(d["status"] == "armed" for d in view["deadlines"]):
        return
    if (stopped := heartbeat_warning(beat, now)) is not None:
        warn(stopped)
