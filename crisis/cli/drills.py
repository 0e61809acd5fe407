"""`crisis drill`: list and check the fire-drill scenarios and scripted teams of the workspace."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from crisis.cli import context
from crisis.cli.params import Actor, Json
from crisis.errors import ContentError

app = typer.Typer(help="Fire drills: the scenarios and scripted teams a team rehearses with.", no_args_is_help=True)


def _scenario_paths(given: str | None) -> list[Path]:
    from crisis.drill.loader import find_scenario_path, list_scenarios

    folder = context.settings().drills_dir
    if given is None:
        return list_scenarios(folder) + sorted((folder / "teams").glob("*.yaml"))
    path = Path(given)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return [path]
    if (folder / "teams" / f"{given}.yaml").is_file() and not (folder / f"{given}.yaml").is_file():
        return [folder / "teams" / f"{given}.yaml"]
    return [find_scenario_path(folder, given)]


def _check_file(path: Path) -> tuple[int, list[str]]:
    """(errors, lines to print) for one scenario or play file."""
    from crisis.drill.check import check_play_roster, check_play_steps, check_scenario
    from crisis.drill.roster import simulation_roster
    from crisis.drill.loader import load_scenario
    from crisis.drill.play import load_play

    settings = context.settings()
    try:
        if path.parent.name == "teams":
            play = load_play(path)
            findings = check_play_steps(play, _playbooks(settings.playbooks_dir)) + check_play_roster(play, simulation_roster(settings, play))
            return len(findings), [str(f) for f in findings] or [f"{path}: ok"]
        findings = check_scenario(load_scenario(path), settings.playbooks_dir, settings.templates_dir)
    except ContentError as exc:
        return 1, [exc.message]
    return sum(f.level == "error" for f in findings), [str(f) for f in findings] or [f"{path}: ok"]


def _playbooks(folder: Path) -> dict:
    """The workspace's playbooks that load, by id (a broken one is `playbook check`'s to report)."""
    from crisis.playbook.loader import list_playbooks, load_playbook

    found = {}
    for path in list_playbooks(folder):
        try:
            playbook = load_playbook(path)
        except ContentError:
            continue
        found[playbook.id] = playbook
    return found


def _plays_against_scenarios() -> list[str]:
    """Warnings for plays naming injects, decision points or options a scenario lacks."""
    from crisis.drill.check import check_play
    from crisis.drill.loader import list_scenarios, load_scenario
    from crisis.drill.play import load_play

    folder, lines = context.settings().drills_dir, []
    playbooks = _playbooks(context.settings().playbooks_dir)
    for play_path in sorted((folder / "teams").glob("*.yaml")):
        for scenario_path in list_scenarios(folder):
            try:
                lines += [f"{f}\n" for f in check_play(load_play(play_path), load_scenario(scenario_path), playbooks=playbooks)]
            except ContentError:
                continue  # already reported above
    return lines


@app.command()
def check(scenario: Annotated[str | None, typer.Argument(metavar="[FILE]", help="A scenario id or a .yaml file; default: every scenario and team.")] = None) -> None:
    """Check drill scenarios as an exercise reviewer would: file:line:column errors, unknown playbooks,
    personas, pools, templates and facts, offsets beyond the duration, conditions that can never hold.

    FILE is a scenario id, a team id (drills/teams/) or a .yaml path. Without it, every scenario and
    team is checked, and each team against each scenario. Exits 5 if any error is found (warnings
    alone exit 0).

    Example: crisis drill check catalogue_2012
    """
    paths = _scenario_paths(scenario)
    if not paths:
        raise ContentError(f"no drill scenarios in {context.settings().drills_dir}", hint="run `crisis init` to get the shipped ones")
    errors = 0
    for path in paths:
        count, lines = _check_file(path)
        errors += count
        typer.echo("\n".join(lines))
    if scenario is None:
        typer.echo("\n".join(_plays_against_scenarios()), nl=False)
    if errors:
        raise ContentError(f"{errors} error(s) in {len(paths)} file(s)", hint="fix them before the team rehearses with them")


@app.command("list")
def list_(as_json: Json = False) -> None:
    """List the drill scenarios (shipped, or the workspace's own) with their length and objectives.

    Example: crisis drill list
    """
    from crisis.drill.loader import list_scenarios, load_scenario
    from crisis.drill.scenario import format_offset
    from crisis.playbook.durations import format_duration

    settings = context.settings()
    rows = []
    for path in list_scenarios(settings.drills_dir):
        try:
            sc = load_scenario(path)
        except ContentError as exc:
            rows.append({"id": path.stem, "error": exc.message})
            continue
        rows.append({"id": sc.id, "title": sc.title(settings.lang), "languages": list(sc.languages), "playbooks": list(sc.playbooks),
                     "duration": format_duration(sc.duration), "difficulty": sc.difficulty, "injects": len(sc.injects),
                     "decision_points": [i.id for i in sc.decision_points()],
                     "objectives": [{"id": o.id, "title": o.title(settings.lang), "weight": o.weight,
                                     "within": format_offset(o.within) if o.within else None} for o in sc.objectives], "error": None})
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    typer.echo(f"Drill scenarios in {settings.drills_dir}:", err=True)
    for r in rows:
        if r["error"]:
            typer.echo(f"{r['id']:<24} INVALID: {r['error']}")
            continue
        typer.echo(f"{r['id']:<24} {r['title']}  ({r['duration']}, {r['difficulty']}, {'/'.join(r['languages'])}, "
                   f"{', '.join(r['playbooks'])}; {_count(r['injects'], 'inject')}, {_count(len(r['decision_points']), 'decision point')})")
        for o in r["objectives"]:
            typer.echo(f"    {o['weight']:>3}  {o['title']}" + (f" (within {o['within'][2:]})" if o["within"] else ""))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@app.command()
def show(scenario: Annotated[str, typer.Argument(metavar="SCENARIO", help="A scenario id or a .yaml file.", show_default=False)],
         as_json: Json = False) -> None:
    """Show a scenario's master events list: each inject at its offset, who sends it, its conditions,
    the decision points with their options, and the objectives.

    Example: crisis drill show catalogue_2012
    """
    from crisis.drill.loader import load_scenario
    from crisis.drill.scenario import DecisionPoint, format_offset

    settings = context.settings()
    sc, lang = load_scenario(_scenario_paths(scenario)[0]), settings.lang
    rows = [{"id": i.id, "at": format_offset(i.at), "kind": i.kind, "what": _summary(i.body, lang),
             "if": [_condition(c) for c in i.when], "unless": [_condition(c) for c in i.unless],
             "options": [f"{o.id}{' (good)' if o.id == i.body.good else ''}{' (default)' if o.id == i.body.default else ''}"
                         for o in i.body.options] if isinstance(i.body, DecisionPoint) else []} for i in sc.injects]
    if as_json:
        typer.echo(json.dumps({"id": sc.id, "title": sc.title(lang), "injects": rows}, ensure_ascii=False, indent=2))
        return
    out = [f"{sc.id}: {sc.title(lang)} ({sc.brand}, {', '.join(sc.playbooks)})", f"  {sc.summary(lang)}"]
    for r in rows:
        cond = (f"  if {', '.join(r['if'])}" if r["if"] else "") + (f"  unless {', '.join(r['unless'])}" if r["unless"] else "")
        out.append(f"  {r['at']:<10} {r['kind']:<8} {r['id']}: {r['what']}{cond}")
        out += [f"{'':<22}- {option}" for option in r["options"]]
    out.append("  objectives:")
    out += [f"    {o.weight:>3}  {o.title(lang)}" for o in sc.objectives]
    typer.echo("\n".join(out))


def _condition(c) -> str:
    """A condition as the scenario file writes it: `published: any`, `decided: delete_mocking=delete`."""
    if c.key in ("decided", "fact"):
        return f"{c.key}: {c.arg}={str(c.value).lower() if isinstance(c.value, bool) else c.value}"
    if c.key in ("acknowledged", "deleted_critic"):
        return f"{c.key}: {str(c.value).lower()}"
    return f"{c.key}: {c.arg or 'any'}"


def _summary(body, lang: str) -> str:
    """One line saying what an inject brings."""
    from crisis.drill.scenario import Amplify, Article, DecisionPoint, FactKnown, Message, Post, Wave
    from crisis.playbook.durations import format_duration as d

    match body:
        case Post():
            return f"{body.persona}: {body.text[:70]}"
        case Wave():
            return f"{body.count} mentions over {d(body.over)}, peak at {d(body.peak)}, from pool {body.pool}"
        case Article():
            return f"{body.persona}: {body.headline}"
        case Message():
            return f"{body.channel} from {body.persona}: {(body.subject or body.text)[:70]}"
        case FactKnown():
            return f"{body.key} = {str(body.value)[:40]}: {body.text(lang)[:70]}"
        case DecisionPoint():
            return f"{body.question(lang)[:90]} (deadline {d(body.deadline)})"
        case Amplify():
            return f"wave {body.wave} × {body.factor}"
    return ""


@app.command()
def run(scenario: Annotated[str, typer.Argument(metavar="SCENARIO", help="A scenario id or a .yaml file.", show_default=False)],
        team: Annotated[str, typer.Option("--team", help="The scripted team (drills/teams/ID.yaml or a path).", show_default=False)],
        seed: Annotated[int, typer.Option("--seed", help="Seed of the simulated traffic: the same seed gives the same run.")] = 0,
        as_json: Json = False) -> None:
    """Simulate a drill: the scenario played by a scripted team on a virtual clock, in a throwaway database.

    Mentions go through the real ingest and triage, the team's moves through the same services as
    the CLI's commands, deadlines and paging through `crisis tick`. Paging uses the workspace's
    oncall.yaml when the team is on it, else the drill roster drills/oncall.yaml; pages go to
    recording notifiers, marked as an exercise: nothing is sent and the workspace's database is
    not touched. Prints the scorecard: each objective rated P/S/M/U with the time it was met and
    the timeline event that proves it, the score out of 100, the rule-breakings named, the moves
    the rules refused, and what paging gave the team (first page, first acknowledgement, levels
    paged when nobody answered). The same scenario, team and seed give the same scorecard and
    timeline hashes.

    Example: crisis drill run catalogue_2012 --team diligent --seed 7
    """
    from crisis.drill.loader import load_scenario
    from crisis.drill.play import find_play_path, load_play
    from crisis.drill.simulator import run_drill

    settings = context.settings()
    sc = load_scenario(_scenario_paths(scenario)[0])
    play = load_play(find_play_path(settings.drills_dir, team))
    result = run_drill(sc, play, seed=seed, settings=settings)
    if as_json:
        typer.echo(json.dumps(result.as_dict(settings.lang), ensure_ascii=False, indent=2))
        return
    typer.echo(scorecard_text(result, settings.lang))


def scorecard_text(result, lang: str) -> str:
    """A simulated run's scorecard as the facilitator reads it."""
    card, exp = result.scorecard, result.play.expected
    lines = [f"{card.scenario} played by team {result.play.id} (seed {result.seed}), T+0 = {result.start:%Y-%m-%d %H:%M} UTC, "
             f"{result.mentions:,} mentions injected",
             f"Score: {card.score:g}/100 (this team is expected to score {exp.score_min}-{exp.score_max})", ""]
    for r in card.results:
        met = f"met at {r.as_dict(lang)['met_at']}" if r.met_at is not None else ""
        lines.append(f"  {r.rating or '-'}  {r.objective.weight:>3}  {r.objective.title(lang)}")
        lines.append(f"           {met + ': ' if met else ''}{r.proof}")
    lines += ["", "Rule-breakings: " + (", ".join(card.breaches) or "none")]
    if card.refusals:
        lines.append(f"Moves the rules refused ({len(card.refusals)}):")
        lines += [f"  {line}" for line in card.refusals]
    lines += paging_lines(card.extra.get("paging"), roster=result.paging, recorded=result.notifications)
    lines.append(f"Timeline: {len(result.hashes)} events, sha256 {result.timeline_digest}")
    return "\n".join(lines)


def paging_lines(paging: dict | None, *, roster: str = "", recorded: int | None = None) -> list[str]:
    """The scorecard's paging figures: first page, first acknowledgement, the levels beyond the first paged."""
    if not paging:
        return []
    if roster.startswith("paging: none"):
        return [f"Paging: nobody was paged, {roster.removeprefix('paging: none ')[1:-1]}"]
    lines = [f"Paging ({roster.removeprefix('paging: ')}):" if roster else "Paging:"]
    first, ack = paging["first_page"], paging["first_ack"]
    if first is None:
        return lines + ["  nobody was paged (no route of the roster serves this incident)"]
    lines.append(f"  first page at {first['at']}, {first['after_detection_min']} min after detection: level {first['level']} of "
                 f"{first['levels']} ({', '.join(first['people']) or 'nobody on call'})")
    lines.append(f"  first acknowledged at {ack['at']} by {ack['by']} (level {ack['level']}), {ack['after_first_page_min']} min after the first page"
                 if ack else "  no page was ever acknowledged")
    for row in paging["escalations"]:
        lines.append(f"  level {row['level']} paged at {row['at']} ({', '.join(row['people'])}): {row['cause']}")
    if paging["exhausted"]:
        lines.append(f"  every level paged without an acknowledgement (paging exhausted) at {', '.join(paging['exhausted'])}")
    if recorded is not None:
        lines.append(f"  {paging['pages']} page(s), {recorded} message(s) kept by the recording notifiers, each marked as an exercise; nothing sent")
    return lines


ScenarioArg = Annotated[str, typer.Argument(metavar="SCENARIO", help="A scenario id or a .yaml file.", show_default=False)]


@app.command()
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
    from crisis.drill.live import start_drill
    from crisis.drill.loader import load_scenario

    sc = load_scenario(_scenario_paths(scenario)[0])
    who = context.actor(facilitator or as_)  # the facilitator signs: bound to who runs the command like any actor
    with context.unit_of_work() as session:
        row = start_drill(session, context.clock(), sc, facilitator=who, speed=speed, seed=seed)
        run_id, started = row.id, row.started_at
    typer.echo(f"drill #{run_id} started: {sc.id} at speed {speed}, facilitator {who}, T+0 = {started:%Y-%m-%d %H:%M} UTC")
    typer.echo("Next: run `crisis tick` every minute (cron, systemd timer); `crisis drill status` shows where it stands", err=True)


@app.command()
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


@app.command()
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


@app.command()
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


@app.command()
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


@app.command()
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
    from crisis.drill.live import add_schedule
    from crisis.drill.loader import load_scenario

    sc = load_scenario(_scenario_paths(scenario)[0])
    who = context.actor(facilitator or as_)  # the facilitator signs: bound to who runs the command like any actor
    with context.unit_of_work() as session:
        row, first = add_schedule(session, context.clock(), sc.id, facilitator=who, cron=cron, every=every, window=window,
                                  unannounced=unannounced, seed=seed)
        schedule_id = row.id
    typer.echo(f"schedule #{schedule_id}: {sc.id}, next drill {'(unannounced) ' if unannounced else ''}at {first:%Y-%m-%d %H:%M} UTC")


@app.command()
def schedules(as_json: Json = False) -> None:
    """List the drill schedules with the start of each one's next drill.

    Example: crisis drill schedules
    """
    from crisis.drill.live import list_schedules

    with context.unit_of_work() as session:
        rows = [{"schedule": r.id, "scenario": r.scenario_id, "cron": r.cron, "every_s": r.every_s, "window": r.window,
                 "unannounced": r.unannounced, "facilitator": r.facilitator, "last_due_at": r.last_due_at.isoformat() if r.last_due_at else None,
                 "next_due_at": nxt.isoformat()} for r, nxt in list_schedules(session)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("No drill scheduled.", err=True)
    for r in rows:
        when = r["cron"] or f"every {r['every_s'] // 3600}h"
        typer.echo(f"#{r['schedule']:<3} {r['scenario']:<26} {when}{' in ' + r['window'] if r['window'] else ''}"
                   f"{' unannounced' if r['unannounced'] else ''}; next {r['next_due_at'][:16]}")


@app.command()
def unschedule(schedule_id: Annotated[int, typer.Argument(metavar="ID", help="The schedule's number, as `drill schedules` lists it.")]) -> None:
    """Remove a drill schedule; the runs it started stay in the history.

    Example: crisis drill unschedule 1
    """
    from crisis.drill.live import remove_schedule

    with context.unit_of_work() as session:
        scenario = remove_schedule(session, schedule_id).scenario_id
    typer.echo(f"schedule #{schedule_id} ({scenario}) removed")
