"""Simulated drills rehearse paging: the drill roster (or the workspace's) pages the scripted team through
recording notifiers, every page marked as an exercise and nothing sent; a team that sleeps through the page
sees the next level paged; the scorecard gives the paging figures and rates the paging objectives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crisis.cli import app
from crisis.drill.loader import parse_scenario
from crisis.drill.play import load_play
from crisis.drill.simulator import run_drill
from crisis.settings import load_settings
from tests.oncall_peers import SmtpPeer
from tests.test_drills_simulator import SMALL

ROOT = Path(__file__).resolve().parent.parent
TEAMS = ROOT / "drills" / "teams"
ASLEEP = SMALL.replace("difficulty: easy\n", "difficulty: easy\nsilent_levels: [community_manager]\n")
# The small scenario scored on paging: the journalist and decision objectives give way to two paging ones.
PAGING_OBJECTIVES = """
  - {id: page_ack, title: {fr: Page prise en compte, en: Page acknowledged}, expect: {page_acknowledged: true, within: 15m, grades: {S: 30m, M: 1h}}, weight: 10}
  - {id: level_two, title: {fr: Niveau 2 appelé, en: Level 2 paged}, expect: {paged: {level: 2}, within: 30m}, weight: 10}
"""
SCORED = SMALL.split("  - {id: keep, title:", 1)[0] + PAGING_OBJECTIVES.lstrip("\n")


def play(team: str, scenario: str = SMALL, **kwargs):
    return run_drill(parse_scenario(scenario, "small_buzz.yaml"), load_play(TEAMS / f"{team}.yaml"), seed=3, settings=load_settings(ROOT), **kwargs)


@pytest.fixture(scope="module")
def late_run():
    """The small scenario played once by the late team, which answers its pages 40 min after they arrive."""
    return play("late")


def ratings(run) -> dict[str, str | None]:
    return {r.objective.id: r.rating for r in run.scorecard.results}


def test_a_simulation_pages_the_drill_roster_and_nothing_leaves_the_machine(tmp_path, monkeypatch):
    """`crisis drill run --json` with SMTP configured: the pages are kept by the recording notifiers, the real SMTP peer gets nothing."""
    peer = SmtpPeer()
    peer.start()
    try:
        for name, value in peer.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.chdir(tmp_path)
        (tmp_path / "small_buzz.yaml").write_text(SMALL, encoding="utf-8")
        result = CliRunner().invoke(app, ["drill", "run", "small_buzz.yaml", "--team", "diligent", "--json"], catch_exceptions=False)
    finally:
        peer.stop()
    assert result.exit_code == 0 and peer.messages == []
    card = json.loads(result.stdout)
    assert card["paging_roster"] == f"paging: the drill roster {ROOT / 'drills' / 'oncall.yaml'}"
    first, ack = card["paging"]["first_page"], card["paging"]["first_ack"]
    assert first["level"] == 1 and first["people"] == ["ana"] and first["after_detection_min"] == 0
    assert ack["by"] == "ana" and ack["after_first_page_min"] == 3 and card["paging"]["escalations"] == []
    assert card["messages_recorded"] >= 1


def test_every_page_of_a_simulation_says_it_is_an_exercise_and_goes_nowhere(late_run):
    """Each page kept is marked [EXERCICE / DRILL] with the notice in French and English, to a `.invalid` address; the
    late team's breached deadlines run `tick`, whose volume watch never opens a real incident from drill mentions."""
    run = late_run
    assert run.pages and run.notifications == len(run.pages) and run.real_incidents == 0
    for page in run.pages:
        assert page.is_drill and page.subject.startswith("[EXERCICE / DRILL] ")
        assert "EXERCICE — ceci est un exercice de crise" in page.body and "DRILL — this is a crisis exercise" in page.body
        assert page.target.endswith("@exercice.invalid")
    assert {p.payload["person"] for p in run.pages} >= {"ana", "marc", "claire", "lea"}


def test_a_team_that_sleeps_through_the_page_gets_the_next_levels_paged(late_run):
    """The late team answers pages after 40 min: level 2 is paged 15 min after level 1, and the scorecard says why."""
    paging = late_run.scorecard.extra["paging"]
    assert paging["first_page"]["at"] == "T+0m"  # the first post at T+0:00 opens it at T+0
    assert paging["escalations"][0] == {"at": "T+15m", "level": 2, "people": ["marc"], "cause": "nobody acknowledged level 1 within 15 min"}
    assert paging["escalations"][1]["level"] == 3 and paging["escalations"][1]["people"] == ["claire", "lea"]
    assert paging["first_ack"]["at"] == "T+40m" and paging["first_ack"]["by"] == "ana"


def test_a_page_reaches_only_the_people_it_names_and_the_next_level_answers_when_level_one_sleeps():
    """Level 1 asleep (silent_levels): marc's `on: paged` moves wait for his own page at level 2, 15 min later."""
    run = play("diligent", ASLEEP)
    paging = run.scorecard.extra["paging"]
    assert paging["escalations"][0]["at"] == "T+15m" and paging["escalations"][0]["people"] == ["marc"]
    assert paging["first_ack"] == {**paging["first_ack"], "at": "T+20m", "by": "marc", "level": 2}
    assert run.scorecard.refusals == ()


def test_the_paging_objectives_rate_what_paging_gave_the_team():
    """`page_acknowledged` and `paged: {level: 2}`: the diligent team acknowledges at once (P) so level 2 is never paged (U);
    the late team is paged at level 2 in time (P) and acknowledges 40 min after the page (M)."""
    diligent, late = play("diligent", SCORED), play("late", SCORED)
    assert (ratings(diligent)["page_ack"], ratings(diligent)["level_two"]) == ("P", "U")
    assert (ratings(late)["page_ack"], ratings(late)["level_two"]) == ("M", "P")
    level_two = next(r for r in late.scorecard.results if r.objective.id == "level_two")
    assert level_two.met_at is not None and "paged by oncall at T+15m" in level_two.proof


def test_the_paging_figures_are_printed_under_the_scorecard(tmp_path, monkeypatch):
    """The text scorecard names the roster, the first page, its acknowledgement and each level paged beyond the first."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "small_buzz.yaml").write_text(SMALL, encoding="utf-8")
    out = CliRunner().invoke(app, ["drill", "run", "small_buzz.yaml", "--team", "late"], catch_exceptions=False).stdout
    assert f"Paging (the drill roster {ROOT / 'drills' / 'oncall.yaml'}):" in out
    assert "  first page at T+0m, 0 min after detection: level 1 of 3 (ana)" in out
    assert "  first acknowledged at T+40m by ana (level 3), 40 min after the first page" in out
    assert "  level 2 paged at T+15m (marc): nobody acknowledged level 1 within 15 min" in out
    assert "each marked as an exercise; nothing sent" in out


WORKSPACE_ROSTER = """
people:
  - {id: ana, name: Ana Martin, roles: [community_manager], email: ana@acme.example}
  - {id: marc, name: Marc Petit, roles: [comms_lead], email: marc@acme.example}
  - {id: claire, name: Claire Roy, roles: [direction], email: claire@acme.example}
  - {id: lea, name: Léa Blanc, roles: [legal], email: lea@acme.example}
policies:
  - id: slow
    levels:
      - {delay_minutes: 20, targets: [{person: ana}]}
      - {delay_minutes: 20, targets: [{person: marc}]}
routes:
  - {policy: slow}
"""


@pytest.fixture
def drill_ws(tmp_path, monkeypatch, cli):
    """A workspace made by `crisis init`, the current directory, with the small scenario in its drills."""
    from crisis.cli import context

    for name in ("CRISIS_NOW", "CRISIS_LANG", "CRISIS_USER", "CRISIS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    context.settings.cache_clear()
    cli("init", str(tmp_path / "ws"), "--brand", "Acme")
    monkeypatch.chdir(tmp_path / "ws")
    context.settings.cache_clear()
    (tmp_path / "ws" / "drills" / "small_buzz.yaml").write_text(SMALL, encoding="utf-8")
    yield tmp_path / "ws"
    context.reset()


def test_the_workspace_roster_pages_when_the_team_is_on_it(drill_ws, cli):
    """The workspace's oncall.yaml, naming the team, governs: its 20-minute level is what the late team sleeps through."""
    (drill_ws / "oncall.yaml").write_text(WORKSPACE_ROSTER, encoding="utf-8")
    card = json.loads(cli("drill", "run", "small_buzz", "--team", "late", "--json").stdout)
    assert card["paging_roster"] == f"paging: the workspace roster {drill_ws / 'oncall.yaml'}"
    assert card["paging"]["escalations"][0] == {"at": "T+20m", "level": 2, "people": ["marc"],
                                                "cause": "nobody acknowledged level 1 within 20 min"}


def test_a_workspace_roster_without_the_team_leaves_the_paging_to_the_drill_roster_and_says_so(drill_ws, cli):
    """The shipped teams are not the workspace's people: the copied drill roster pages, and the scorecard says why."""
    (drill_ws / "oncall.yaml").write_text(WORKSPACE_ROSTER.replace("id: lea", "id: leo").replace("marc", "max"), encoding="utf-8")
    out = cli("drill", "run", "small_buzz", "--team", "diligent").stdout
    assert f"Paging (the drill roster {drill_ws / 'drills' / 'oncall.yaml'} (the workspace roster does not list marc, lea)):" in out
    assert "first acknowledged at T+3m by ana (level 1)" in out


def test_a_broken_drill_roster_is_named_with_its_line_and_no_traceback(drill_ws, cli):
    """The drill roster is read by the roster's own parser: a bad entry stops the run with file:line, exit 5, stdout empty."""
    path = drill_ws / "drills" / "oncall.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("roles: [comms_lead]", "roles: comms_lead"), encoding="utf-8")
    result = cli("drill", "run", "small_buzz", "--team", "diligent", code=5, report=True)
    assert result.stdout == "" and f"{path}:" in result.stderr and "Traceback" not in result.stderr


def test_without_any_roster_the_scorecard_says_nobody_was_paged(drill_ws, cli):
    """A workspace made before the drill roster shipped (no drills/oncall.yaml, no oncall.yaml): the run goes on and says why."""
    (drill_ws / "drills" / "oncall.yaml").unlink()
    out = cli("drill", "run", "small_buzz", "--team", "diligent").stdout
    assert f"Paging: nobody was paged, no oncall.yaml in the workspace nor in {drill_ws / 'drills'}" in out
    assert "first page at" not in out and "Rule-breakings: none" in out


def test_the_after_action_report_tells_what_paging_gave_the_team_in_french_and_english(late_run):
    """The report's on-call section: the first page, its acknowledgement and the levels paged after, in the report's language."""
    from datetime import date

    from crisis.drill.aar import render_aar

    run, scenario = late_run, parse_scenario(SMALL, "small_buzz.yaml")
    fr = render_aar(scenario, run.scorecard, lang="fr", facilitator="marc", held_on=date(2026, 1, 5), plan=[])
    en = render_aar(scenario, run.scorecard, lang="en", facilitator="marc", held_on=date(2026, 1, 5), plan=[])
    assert "## Astreinte\n\n- Première alerte à T+0m, 0 min après la détection : niveau 1 sur 3 (ana).\n" in fr
    assert "- Prise en compte à T+40m par ana (niveau 3), 40 min après la première alerte.\n- Niveau 2 appelé à T+15m (marc).\n" in fr
    assert "## On call\n\n- First page at T+0m, 0 min after detection: level 1 of 3 (ana).\n" in en
    assert "- Level 2 paged at T+15m (marc): nobody acknowledged level 1 within 15 min.\n" in en


SCRIPT = Path(sys.executable).parent / "crisis"


@pytest.mark.skipif(not SCRIPT.exists(), reason="the console script is installed by `pip install -e .`")
def test_the_installed_command_pages_in_a_fresh_workspace_and_sends_nothing(tmp_path):
    """`crisis init` then `crisis drill run` as separate processes, SMTP configured on loopback: the drill roster copied
    by init pages the team by e-mail, the SMTP server receives nothing, and the workspace's own database stays untouched."""
    smtp = SmtpPeer()
    smtp.start()
    try:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("CRISIS_")}, **smtp.env()}
        assert subprocess.run([str(SCRIPT), "init", "ws", "--brand", "Acme"], cwd=tmp_path, env=env, capture_output=True).returncode == 0
        (tmp_path / "ws" / "drills" / "small_buzz.yaml").write_text(SMALL, encoding="utf-8")
        done = subprocess.run([str(SCRIPT), "drill", "run", "small_buzz", "--team", "late", "--json"], cwd=tmp_path / "ws", env=env,
                              capture_output=True, text=True, timeout=120)
    finally:
        smtp.stop()
    assert done.returncode == 0, done.stderr
    card = json.loads(done.stdout)
    assert card["paging_roster"] == f"paging: the drill roster {tmp_path / 'ws' / 'drills' / 'oncall.yaml'}"
    assert card["paging"]["escalations"] and card["messages_recorded"] > 0
    assert smtp.messages == []
    assert not (tmp_path / "ws" / "crisis.db").exists()
