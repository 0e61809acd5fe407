"""`crisis drill`: list, check and simulate the fire-drill scenarios and scripted teams of the workspace (the live
exercises and their schedules: `drill_live`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from crisis.cli import context, drill_live
from crisis.cli.params import Json
from crisis.errors import ContentError

app = typer.Typer(help="Fire drills: the scenarios and scripted teams a team rehearses with.", no_args_is_help=True)
drill_live.register(app)  # the live exercises and their schedules


def scenario_paths(given: str | None) -> list[Path]:
    """The scenario (or scripted team) files `given` names, by id or path; all of them for None. Raises NotFoundError."""
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
    paths = scenario_paths(scenario)
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
    sc, lang = load_scenario(scenario_paths(scenario)[0]), settings.lang
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
    sc = load_scenario(scenario_paths(scenario)[0])
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

