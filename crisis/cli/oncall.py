"""`crisis oncall now|check|apply|history|outbox|ack` and `crisis watch`: the roster and the one applied to the
database, who is on call, the outbox."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from crisis.cli import context
from crisis.cli.params import Actor, Json, Ref
from crisis.errors import ContentError, UsageError

app = typer.Typer(help="The on-call roster: who is on call, what it pages, what the outbox holds.", no_args_is_help=True)

RosterPath = Annotated[Path | None, typer.Option("--roster", help="A roster file (default: the workspace's oncall.yaml).")]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="oncall")
    root.command("watch")(watch)


def _roster(path: Path | None):
    from crisis.oncall.roster import ROSTER_FILE, load_roster

    if path is not None:
        roster = load_roster(path)
        if roster is None:
            raise ContentError(f"{path}: no such file")
        return roster
    roster = context.roster()
    if roster is None:
        where = context.settings().workspace
        raise ContentError(f"no {ROSTER_FILE} in {where or 'this directory (no workspace)'}: nobody is on call and anyone may act",
                           hint="copy oncall.example.yaml to oncall.yaml in the workspace and edit it")
    return roster


def _local(instant: datetime | None, zone: str) -> str:
    from zoneinfo import ZoneInfo

    return "—" if instant is None else instant.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M %Z")


@app.command()
def now(at: Annotated[str | None, typer.Option("--at", help="An ISO instant (default: now).")] = None,
        roster_path: RosterPath = None, as_json: Json = False) -> None:
    """Show who is on call in each rotation, and whom each route's policy pages, level by level.

    Example: crisis oncall now --at 2026-12-25T03:00+01:00
    """
    roster = _roster(roster_path)
    instant = context.parse_instant(at, "--at") if at else context.clock().now()
    rotations = []
    for rotation in roster.rotations:
        shift = rotation.shift_at(instant)
        person = roster.find_person(shift.person) if shift else None
        rotations.append({"rotation": rotation.id, "timezone": rotation.timezone, "person": shift.person if shift else None,
                          "name": person.name if person else None, "override": bool(shift and shift.override),
                          "since": shift.start_at.isoformat() if shift else None,
                          "until": shift.end_at.isoformat() if shift and shift.end_at else None})
    routes = []
    for route in roster.routes:
        policy = roster.find_policy(route.policy)
        assert policy is not None, "the loader checks every route's policy"
        routes.append({"playbooks": list(route.playbooks) or ["*"], "severities": list(route.severities) or ["*"],
                       "escalation_levels": list(route.levels) or ["*"], "policy": policy.id,
                       "repeat": policy.repeat,
                       "levels": [{"level": i + 1, "delay_minutes": level.delay_minutes, "targets": [str(t) for t in level.targets],
                                   "people": [p.id for p in roster.targets_people(level.targets, instant)]}
                                  for i, level in enumerate(policy.levels)]})
    if as_json:
        typer.echo(json.dumps({"at": instant.isoformat(), "rotations": rotations, "routes": routes}, ensure_ascii=False, indent=2))
        return
    typer.echo(f"On call at {instant.strftime('%Y-%m-%d %H:%M UTC')}")
    for r in rotations:
        if r["person"] is None:
            typer.echo(f"  {r['rotation']:<18} NOBODY (a gap in the rotation)")
            continue
        mark = "  [override]" if r["override"] else ""
        typer.echo(f"  {r['rotation']:<18} {r['name']} ({r['person']})  since {_local(_at(r['since']), r['timezone'])}"
                   f"  until {_local(_at(r['until']), r['timezone'])}{mark}")
    for route in routes:
        at_level = f" at escalation level {'/'.join(route['escalation_levels'])}" if route["escalation_levels"] != ["*"] else ""
        typer.echo(f"{'/'.join(route['severities'])} of {', '.join(route['playbooks'])}{at_level} → policy {route['policy']}"
                   + (f" (repeated {route['repeat']} time(s))" if route["repeat"] else ""))
        for level in route["levels"]:
            typer.echo(f"  level {level['level']}: {', '.join(level['people']) or 'NOBODY'}  ({', '.join(level['targets'])}; "
                       f"next level after {level['delay_minutes']} min)")


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@app.command()
def check(path: Annotated[Path | None, typer.Argument(help="The roster file (default: the workspace's oncall.yaml, "
                                                          "else the roster applied to the database).")] = None,
          days: Annotated[int, typer.Option("--days", min=1, max=366, help="How far ahead to look for gaps.")] = 28) -> None:
    """Check the roster: unknown people, bad time zones or contacts, roles nobody holds (approval matrices
    included), gaps in a rotation, policies that page nobody, incidents no route pages for, identities
    not bound. Says whether the workspace's file is the roster applied to the database, and when tick last ran.

    Exits 5 on an error (warnings alone exit 0).

    Example: crisis oncall check --days 60
    """
    from crisis.oncall.check import check_roster
    from crisis.oncall.governance import find_newest, label
    from crisis.oncall.heartbeat import heartbeat_warning, last_heartbeat
    from crisis.oncall.roster import ROSTER_FILE, load_roster
    from crisis.playbook.loader import list_playbooks, load_playbook

    workspace = context.settings().workspace
    local = workspace / ROSTER_FILE if workspace is not None else None
    roster = _roster(path) if path is not None or local is None or not local.is_file() else load_roster(local)
    playbooks = [load_playbook(p) for p in list_playbooks(context.settings().playbooks_dir)]
    now = context.clock().now()
    findings = check_roster(roster, playbooks, now, days=days)
    for finding in findings:
        typer.echo(str(finding))
    drift = context.runtime().roster_drift
    with context.unit_of_work() as session:
        beat, newest = last_heartbeat(session), find_newest(session)
        if newest is not None and drift is None:
            typer.echo(f"{label(newest)} (applied by {newest.applied_by} on {newest.applied_at:%Y-%m-%d %H:%M} UTC) "
                       "governs this database" + (f"; {local} is the same text" if local is not None and local.is_file() else ""))
    late = heartbeat_warning(beat, now)
    if beat is not None and late is None:
        typer.echo(f"crisis tick last ran {beat:%Y-%m-%d %H:%M} UTC ({int((now - beat).total_seconds() // 60)} min ago)")
    for warning in (drift, late):
        if warning:
            typer.echo(f"Warning: {warning}", err=True)
    errors = sum(f.level == "error" for f in findings)
    if errors:
        raise ContentError(f"{roster.path}: {errors} error(s)", hint="fix them before the night they are needed")
    typer.echo(f"{roster.path}: ok ({len(roster.people)} people, {len(roster.rotations)} rotation(s), "
               f"{len(roster.policies)} policy(ies), {len(roster.routes)} route(s); {len(findings)} warning(s))")


@app.command()
def apply(path: Annotated[Path | None, typer.Argument(help="The reviewed roster (default: the workspace's oncall.yaml).")] = None,
          as_: Actor = None) -> None:
    """Apply a reviewed roster to the database: from now on it governs every client sharing the database,
    whatever their own oncall.yaml says. Stored with its SHA-256, who applied it and when, on a hash-chained
    log (`crisis oncall history`). The first roster of a database may be applied by anyone; the next ones
    only by a holder of a role its `roster_admins:` names.

    Exits 5 on an invalid file, 4 when you may not apply it, 10 when you are not who you claim to be.

    Example: crisis oncall apply oncall.yaml --as claire
    """
    from crisis.oncall.governance import apply_roster, find_newest, label
    from crisis.oncall.roster import ROSTER_FILE

    if path is None:
        workspace = context.settings().workspace
        if workspace is None:
            raise UsageError("no workspace here: name the roster file to apply", hint="crisis oncall apply path/to/oncall.yaml")
        path = workspace / ROSTER_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path}: cannot be read ({exc.strerror if isinstance(exc, OSError) else exc})",
                           hint="name an existing oncall.yaml, e.g. crisis oncall apply oncall.yaml") from None
    runtime = context.runtime()
    with context.unit_of_work() as session:
        first = find_newest(session) is None
    who = context.actor(as_, bind=not first)  # the first roster of a database is anyone's to apply: nothing binds yet
    with context.unit_of_work() as session:
        row, new = apply_roster(session, context.clock(), who, text, str(path), os_user=context.os_user(), db_user=runtime.database_user)
        first, seq, sha = row.seq == 1 and new, row.seq, row.sha256
    if not new:
        typer.echo(f"{path} is already the roster applied to this database (#{seq}, sha256 {sha[:12]}): nothing changed")
        return
    typer.echo(f"{path} applied to the database as {label(row)} by {who} (sha256 {sha[:12]}); it governs every client from now on")
    if first:
        typer.echo(f"Warning: this is the first roster of this database: nobody could check that {who} may apply it. From now on "
                   "only the roles its roster_admins names may apply the next one; check it with `crisis oncall history`", err=True)


@app.command()
def history(as_json: Json = False) -> None:
    """List the rosters applied to the database, oldest first (who, when, SHA-256), and verify their hash chain.

    Exits 8 when an entry was changed or deleted after it was applied, 1 when entries are keyed with an audit key
    (CRISIS_AUDIT_KEY) this process does not hold, so they cannot be checked here.

    Example: crisis oncall history --json
    """
    from crisis.errors import TamperedError
    from crisis.oncall.governance import list_applied, verify_applied

    with context.unit_of_work() as session:
        rows = [{"seq": r.seq, "applied_at": r.applied_at.isoformat(), "applied_by": r.applied_by, "os_user": r.os_user,
                 "db_user": r.db_user, "path": r.path, "sha256": r.sha256, "hash": r.hash} for r in list_applied(session)]
        problems, unchecked = verify_applied(session)
    if as_json:
        typer.echo(json.dumps({"rosters": rows, "verified": not problems and not unchecked, "problems": problems,
                               "unchecked": unchecked}, ensure_ascii=False, indent=2))
    elif not rows:
        typer.echo("No roster was ever applied to this database: each workspace's oncall.yaml governs its own commands.", err=True)
    for r in rows if not as_json else ():
        who = ", ".join(x for x in (f"OS user {r['os_user']}" if r["os_user"] else "", f"database role {r['db_user']}" if r["db_user"] else "") if x)
        typer.echo(f"#{r['seq']:<3} {r['applied_at'][:16].replace('T', ' ')} UTC  {r['applied_by']}{f' ({who})' if who else ''}  "
                   f"sha256 {r['sha256'][:12]}  {r['path']}" + ("  ← governs" if r is rows[-1] else ""))
    if problems:
        raise TamperedError(f"the log of applied rosters was altered: {'; '.join(problems)}",
                            hint="restore the database from a backup you trust, then apply the reviewed roster again")
    if unchecked:
        from crisis.errors import CrisisError

        raise CrisisError(f"roster(s) {', '.join(unchecked)} are keyed with an audit key this process does not hold: not checked",
                          hint="set CRISIS_AUDIT_KEY (or CRISIS_AUDIT_KEY_FILE) as on the machine that applied them")
    if rows and not as_json:
        typer.echo(f"hash chain verified: {len(rows)} roster(s)", err=True)


@app.command()
def outbox(status: Annotated[str | None, typer.Option("--status", help="pending, sent or failed.")] = None,
           ref: Annotated[str | None, typer.Option("--ref", help="Only this incident's notifications.")] = None,
           limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many, newest first.")] = 50,
           as_json: Json = False) -> None:
    """List the outbox: every page and publication, its status, attempts and last error.

    Example: crisis oncall outbox --status failed
    """
    from crisis.cli.views import notification_dict
    from crisis.incident.service import get_incident
    from crisis.outbox.queue import STATUSES, list_notifications

    if status is not None and status not in STATUSES:
        raise UsageError(f"--status {status!r}: expected one of {', '.join(STATUSES)}")
    with context.unit_of_work() as session:
        incident_id = get_incident(session, ref).id if ref else None
        rows = [notification_dict(n) for n in list_notifications(session, status=status, incident_id=incident_id, limit=limit)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("The outbox is empty." if status is None else f"No {status} notification.", err=True)
        return
    from crisis.cli.terminal import console, printable, styled

    lines = [printable(f"#{n['id']:<4} {n['created_at'][:16].replace('T', ' ')}  {n['status'].upper():<7} {n['kind']:<7} "
                       f"{n['channel']:<7} {n['target']:<28} attempts {n['attempts']}" + (f"  {n['ref']}" if n["ref"] else "")
                       + ("  [DRILL]" if n["is_drill"] else "") + (f"  last error: {n['last_error']}" if n["last_error"] else ""))
             for n in rows]  # a peer's error message is text from outside
    if (out := console()) is not None:
        out.print(styled("\n".join(lines)), soft_wrap=True)
        return
    for line in lines:
        typer.echo(line)


@app.command()
def ack(ref: Ref, as_: Actor = None) -> None:
    """Acknowledge the page of an incident: the escalation stops (anyone on the roster may).

    Example: crisis oncall ack INC-0001 --as ana
    """
    from crisis.oncall.service import acknowledge_page

    who = context.actor(as_)
    with context.unit_of_work() as session:
        incident, stopped = acknowledge_page(session, context.clock(), who, ref, roster=context.roster())
        ref = incident.ref
    typer.echo(f"{ref}: page acknowledged by {who}; escalation stopped ({len(stopped)} paging(s))")


def watch(interval: Annotated[float, typer.Option("--interval", min=0.0, help="Seconds between ticks.")] = 60.0,
          count: Annotated[int | None, typer.Option("--count", min=1, help="Stop after this many ticks (default: run until stopped).")] = None) -> None:
    """Tick in a loop: deadlines, escalations and deliveries, every --interval seconds. Stop with Ctrl-C.

    Example: crisis watch --interval 30
    """
    import time

    from crisis.cli.tick import print_report
    from crisis.scheduler import tick

    done = 0
    try:
        while count is None or done < count:
            context.end_command()  # each tick reads the roster and the clock afresh
            print_report(tick(context.runtime()))
            done += 1
            if count is None or done < count:
                time.sleep(interval)
    except KeyboardInterrupt:
        typer.echo(f"watch stopped after {done} tick(s)", err=True)

