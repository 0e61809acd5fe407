"""`crisis demo`: the shipped 2012 catalogue drill played by the diligent team on a virtual clock, and its scorecard."""

from __future__ import annotations

from typing import Annotated

import typer

from crisis.cli import context

SCENARIO, TEAM = "catalogue_2012", "diligent"


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(team: Annotated[str, typer.Option("--team", help="Another scripted team: late, rule_breaker.")] = TEAM) -> None:
    """Rehearse the 2012 catalogue-photo bad buzz with a scripted team, in a few seconds, and print its scorecard.

    Six days of the crisis (about 10,000 mentions, the press, the agency's alert, decision points)
    replay on a virtual clock in a throwaway database: every mention goes through the real triage,
    every move through the same services as the CLI's commands. Nothing is sent and your own
    incidents are not touched.

    Example: crisis demo --team rule_breaker
    """
    from crisis.cli.drills import scorecard_text
    from crisis.drill.loader import find_scenario_path, load_scenario
    from crisis.drill.play import find_play_path, load_play
    from crisis.drill.simulator import run_drill

    settings = context.settings()
    scenario = load_scenario(find_scenario_path(settings.drills_dir, SCENARIO))
    play = load_play(find_play_path(settings.drills_dir, team))
    typer.echo(f"crisis demo: {scenario.title(settings.lang)}", err=True)
    typer.echo(f"Team {play.id}: {play.summary(settings.lang)}\n", err=True)
    result = run_drill(scenario, play, seed=0, settings=settings)
    typer.echo(scorecard_text(result, settings.lang))
    typer.echo("\nNext:\n"
               f"  crisis drill show {SCENARIO}          the master events list, inject by inject\n"
               f"  crisis demo --team late                  the same crisis, answered late\n"
               f"  crisis init my-workspace && cd my-workspace   your own playbooks, roster and drills, then:\n"
               f"  crisis drill run {SCENARIO} --team rule_breaker   simulate any scenario with any scripted team\n"
               f"  crisis drill start {SCENARIO} --speed 5 --facilitator YOU   a live exercise with your team; `crisis tick` plays it\n"
               f"  crisis drill schedule {SCENARIO} --every 90d --window \"Mon-Fri 09:00-18:00 Europe/Paris\" --unannounced", err=True)
