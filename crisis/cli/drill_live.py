"""`crisis drill start|status|decide|end|history` and `schedule|schedules|unschedule`: live exercises in the
workspace, on the wall clock, and the schedules `crisis tick` starts them by. Commands of the `drill` group."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from crisis.cli import context
from crisis.cli.params import Actor, Json


def register(app: typer.Typer) -> None:
    for command in (start, status, decide, end, history, schedule, schedules, unschedule):
        app.command()(command)


ScenarioArg = Annotated[str, typer.Argument(metavar="SCENARIO", help="A scenario id or a .yaml file.", show_default=False)]


def start(scenario: ScenarioArg,
          speed: Annotated[int, typer.Option("--speed", help="1, 2, 5 or 10: how much faster than real time the scenario runs.")] = 1,
          facilitator: Annotated[str | None, typer.Option("--facilitator", help="Who runs the exercise (default: --as or CRISIS_USER).")] = None,
          seed: Annotated[int, typer.Option("--seed", help="Seed of the simulated traffic.")] = 0, as_: Actor = None) -> None:
    """Start a live exercise in the workspace: every `crisis tick` then fires the injects that are due.

    Every incident, mention, page and reply it causes is marked as a drill; messages and decision
    points reach the facilitator through the outbox, marked as an exercise in French and English;
    nothing is ever published (a webhook publication is recorded as "drill: not sent").

    Example: crisis drill start catalogue_2012 --speed 10 --facilitator marc
    """
    from crisis.cli.drills import scenario_paths
    from crisis.drill.live import start_drill
    from crisis.drill.loader import load_scenario

    sc = load_scenario(scenario_paths(scenario)[0])
    who = context.actor(facilitator or as_)  # the facilitator signs: bound to who runs the command like any actor
    with context.unit_of_work() as session:
        row = start_drill(session, context.clock(), sc, facilitator=who, speed=speed, seed=seed)
        run_id, started = row.id, row.started_at
    typer.echo(f"drill #{run_id} started: {sc.id} at speed {speed}, facilitator {who}, T+0 = {started:%Y-%m-%d %H:%M} UTC")
    typer.echo("Next: run `crisis tick` every minute (cron, systemd timer); `crisis drill status` shows where it stands", err=True)


def status(as_json: Json = False) -> None:
    """Show the running exercise as the facilitator needs it: injects sent and to come, decisions pending, objectives met so far.

    Example: crisis drill status
    """
    from datetime import timedelta

    from crisis.drill.live import drill_offset, get_running, scenario_of, score_run
    from crisis.drill.scenario import format_offset

    runtime, lang = context.runtime(), context.settings().lang
    with context.unit_of_work() as session:
        row = get_running(session)
        sc = scenario_of(runtime, row)
        offset = drill_offset(row, context.clock().now())
        card = score_run(session, row, sc, runtime.playbooks)
        view = {"drill": row.id, "scenario": sc.id, "at": format_offset(offset - offset % timedelta(minutes=1)),
                "incident": row.incident_ref, "sent": sorted(row.fired, key=row.fired.get), "skipped": list(row.skipped),
                "to_come": [f"{format_offset(i.at)} {i.id}" for i in sc.injects if i.id not in row.fired and i.id not in row.skipped],
                "pending_decisions": [i.id for i in sc.decision_points() if i.id in row.fired and i.id not in row.decisions],
                "decisions": row.decisions, "objectives": [r.as_dict(lang) for r in card.results], "score_so_far": card.score}
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    lines = [f"drill #{view['drill']} {view['scenario']} at {view['at']}, incident {view['incident'] or 'not opened yet'}",
             f"  sent: {', '.join(view['sent']) or 'nothing yet'}", f"  to come: {', '.join(view['to_come'][:8]) or 'nothing'}",
             f"  decisions pending: {', '.join(view['pending_decisions']) or 'none'}", "  objectives so far:"]
    lines += [f"    {o['rating'] or '-'}  {o['title']}" for o in view["objectives"]]
    typer.echo("\n".join(lines))


def decide(point: Annotated[str, typer.Argument(help="The decision point's id, as `drill status` lists it.", show_default=False)],
           option: Annotated[str, typer.Argument(help="The option's id.", show_default=False)], as_: Actor = None) -> None:
    """Answer a decision point of the running exercise before its deadline (after it, the default stands).

    Example: crisis drill decide delete_mocking keep_and_answer --as claire
    """
    from crisis.drill.live import decide as decide_point

    who = context.actor(as_)
    with context.unit_of_work() as session:
        decide_point(context.runtime(), session, who, point, option)
    typer.echo(f"{point}: {option} decided by {who}")


def end(report: Annotated[Path | None, typer.Option("--report", help="Write the after-action report here (Markdown).")] = None,
        as_: Actor = None) -> None:
    """End the running exercise: its scorecard, the hot-wash questions and the after-action report with its improvement plan.

    Example: crisis drill end --report aar.md
    """
    from crisis.drill.live import after_action_report, end_drill

    who, runtime, lang = context.actor(as_), context.runtime(), context.settings().lang
    with context.unit_of_work() as session:
        row, card, sc = end_drill(runtime, session, who)
        text = after_action_report(session, row, card, sc, lang=lang)
        run_id = row.id
    typer.echo(f"drill #{run_id} ended: {sc.id}, score {card.score:g}/100")
    for r in card.results:
        typer.echo(f"  {r.rating or '-'}  {r.objective.title(lang)}: {r.proof}")
    typer.echo("Hot wash:\n" + "\n".join(f"  {n}. {q(lang)}" for n, q in enumerate(sc.hot_wash, 1)))
    if report is not None:
        report.write_text(text, encoding="utf-8")
        typer.echo(f"After-action report written to {report}", err=True)


def history(as_json: Json = False) -> None:
    """List the live exercises run in the workspace, with their scores.

    Example: crisis drill history
    """
    from crisis.drill.live import list_runs

    with context.unit_of_work() as session:
        rows = [{"drill": r.id, "scenario": r.scenario_id, "facilitator": r.facilitator, "speed": r.speed, "status": r.status,
                 "started_at": r.started_at.isoformat(), "ended_at": r.ended_at.isoformat() if r.ended_at else None, "score": r.score,
                 "incident": r.incident_ref} for r in list_runs(session)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("No drill run yet.", err=True)
    for r in rows:
        typer.echo(f"#{r['drill']:<4} {r['started_at'][:16]}  {r['scenario']:<26} {r['status']:<8} "
                   + (f"score {r['score']:g}" if r["score"] is not None else "") + f"  facilitator {r['facilitator']}")


def schedule(scenario: ScenarioArg,
             cron: Annotated[str | None, typer.Option("--cron", help='A cron expression, read in the window\'s time zone, e.g. "0 10 1 */3 *".')] = None,
             every: Annotated[str | None, typer.Option("--every", help="A period from now, e.g. 90d.")] = None,
             window: Annotated[str | None, typer.Option("--window", help='When a drill may start, e.g. "Mon-Fri 09:00-18:00 Europe/Paris".')] = None,
             unannounced: Annotated[bool, typer.Option("--unannounced", help="Start at a random moment inside the window (needs --window).")] = False,
             facilitator: Annotated[str | None, typer.Option("--facilitator", help="Who runs it (default: --as or CRISIS_USER).")] = None,
             seed: Annotated[int, typer.Option("--seed", help="Seed of the unannounced draws and of the simulated traffic.")] = 0,
             as_: Actor = None) -> None:
    """Schedule a scenario as a recurring live exercise: `crisis tick` starts it when due, once per occasion.

    Example: crisis drill schedule catalogue_2012 --every 90d --window "Mon-Fri 09:00-18:00 Europe/Paris" --unannounced
    """
    from crisis.cli.drills import scenario_paths
    from crisis.drill.live import add_schedule
    from crisis.drill.loader import load_scenario

    sc = load_scenario(scenario_paths(scenario)[0])
    who = context.actor(facilitator or as_)  # the facilitator signs: bound to who runs the command like any actor
    with context.unit_of_work() as session:
        row, first = add_schedule(session, context.clock(), sc.id, facilitator=who, cron=cron, every=every, window=window,
                                  unannounced=unannounced, seed=seed)
        schedule_id = row.id
    typer.echo(f"schedule #{schedule_id}: {sc.id}, next drill {'(unannounced) ' if unannounced else ''}at {first:%Y-%m-%d %H:%M} UTC")


def schedules(show_all: Annotated[bool, typer.Option("--all", help="Also the removed schedules, with who removed them and when.")] = False,
              as_json: Json = False) -> None:
    """List the drill schedules in force with the start of each one's next drill (--all: the removed ones too).

    Example: crisis drill schedules --all
    """
    from crisis.drill.live import list_schedules

    with context.unit_of_work() as session:
        rows = [{"schedule": r.id, "scenario": r.scenario_id, "cron": r.cron, "every_s": r.every_s, "window": r.window,
                 "unannounced": r.unannounced, "facilitator": r.facilitator, "last_due_at": r.last_due_at.isoformat() if r.last_due_at else None,
                 "next_due_at": nxt.isoformat() if nxt else None, "removed_by": r.removed_by,
                 "removed_at": r.removed_at.isoformat() if r.removed_at else None}
                for r, nxt in list_schedules(session, removed=show_all)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("No drill scheduled.", err=True)
    for r in rows:
        when = r["cron"] or f"every {r['every_s'] // 3600}h"
        state = f"removed by {r['removed_by']} {r['removed_at'][:16]}" if r["removed_at"] else f"next {r['next_due_at'][:16]}"
        typer.echo(f"#{r['schedule']:<3} {r['scenario']:<26} {when}{' in ' + r['window'] if r['window'] else ''}"
                   f"{' unannounced' if r['unannounced'] else ''}; {state}")


def unschedule(schedule_id: Annotated[int, typer.Argument(metavar="ID", help="The schedule's number, as `drill schedules` lists it.")],
               as_: Actor = None) -> None:
    """Stop a drill schedule, signed: no drill is due from it any more; `drill schedules --all` still lists it with who
    removed it and when, and the runs it started stay in the history.

    Example: crisis drill unschedule 1 --as marc
    """
    from crisis.drill.live import remove_schedule

    who = context.actor(as_)
    with context.unit_of_work() as session:
        scenario = remove_schedule(session, context.clock(), who, schedule_id).scenario_id
    typer.echo(f"schedule #{schedule_id} ({scenario}) removed by {who}")
