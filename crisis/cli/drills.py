"""`crisis drill`: list and check the fire-drill scenarios and scripted teams of the workspace."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from crisis.cli import context
from crisis.cli.params import Json
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
    from crisis.drill.check import check_scenario
    from crisis.drill.loader import load_scenario
    from crisis.drill.play import load_play

    settings = context.settings()
    try:
        if path.parent.name == "teams":
            load_play(path)
            return 0, [f"{path}: ok"]
        findings = check_scenario(load_scenario(path), settings.playbooks_dir, settings.templates_dir)
    except ContentError as exc:
        return 1, [exc.message]
    return sum(f.level == "error" for f in findings), [str(f) for f in findings] or [f"{path}: ok"]


def _plays_against_scenarios() -> list[str]:
    """Warnings for plays naming injects, decision points or options a scenario lacks."""
    from crisis.drill.check import check_play
    from crisis.drill.loader import list_scenarios, load_scenario
    from crisis.drill.play import load_play

    folder, lines = context.settings().drills_dir, []
    for play_path in sorted((folder / "teams").glob("*.yaml")):
        for scenario_path in list_scenarios(folder):
            try:
                lines += [f"{f}\n" for f in check_play(load_play(play_path), load_scenario(scenario_path))]
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
