"""`crisis drill check` and `crisis drill list`, end to end: each broken fixture proves one message at its file:line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from crisis.cli import context

DATA = Path(__file__).parent / "data" / "drills"
BROKEN = sorted(p for p in DATA.glob("*.yaml") if p.read_text(encoding="utf-8").startswith("# expect:"))


@pytest.fixture
def drill_ws(tmp_path, monkeypatch, cli):
    """A workspace made by `crisis init` (drill commands need no database), the current directory."""
    for name in ("CRISIS_NOW", "CRISIS_LANG", "CRISIS_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CRISIS_DATABASE_URL", f"sqlite:///{tmp_path / 'crisis.db'}")
    context.settings.cache_clear()
    cli("init", str(tmp_path / "ws"), "--brand", "Acme")
    monkeypatch.chdir(tmp_path / "ws")
    context.settings.cache_clear()
    yield tmp_path / "ws"
    context.reset()


def expectation(path: Path) -> tuple[str, int]:
    """The message a fixture announces on its first line, and the line marked `# here`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    message = lines[0].removeprefix("# expect:").strip()
    return message, next(n for n, line in enumerate(lines, 1) if line.rstrip().endswith("# here"))


def test_the_fixtures_cover_the_defects_the_issue_names():
    """Unknown playbooks, personas, templates and facts, offsets past the end, unreachable conditions: one fixture each at least."""
    names = {p.stem for p in BROKEN}
    assert {"unknown_playbook", "unknown_persona", "unknown_template", "unknown_fact", "beyond_duration",
            "unreachable_fired", "unreachable_decided", "if_and_unless"} <= names


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_a_broken_scenario_is_named_at_its_line(drill_ws, cli, path):
    """Each defect is reported as file:line with what is wrong, exit 5, and no traceback."""
    message, line = expectation(path)
    result = cli("drill", "check", str(path), code=5, report=True)
    output = result.stdout + result.stderr
    assert f"{path}:{line}:" in output
    assert message in output
    assert "Traceback" not in output
    assert "Error: 1 error(s) in 1 file(s)" in result.stderr


def test_the_minimal_scenario_has_no_error_and_warns_of_facts_nobody_reveals(drill_ws, cli):
    """The base of the broken fixtures exits 0; a fact the playbook asks that no inject reveals is a warning at `injects:`."""
    lines = cli("drill", "check", str(DATA / "minimal.yaml")).stdout.splitlines()
    assert lines and all(": warning: " in line for line in lines)
    assert f"{DATA / 'minimal.yaml'}:15: warning: playbook defamatory_review asks for fact 'platform' but no inject makes it known" in lines[0]


def test_check_by_id_finds_the_workspace_scenario_and_names_the_known_ones(drill_ws, cli):
    """An unknown id is a not-found error listing the scenarios that exist."""
    shutil.copy(DATA / "minimal.yaml", drill_ws / "drills" / "minimal.yaml")
    assert str(drill_ws / "drills" / "minimal.yaml") in cli("drill", "check", "minimal").stdout
    assert cli("drill", "check", "late").stdout.strip().endswith("teams/late.yaml: ok")
    result = cli("drill", "check", "minimall", code=3)
    assert "no drill scenario 'minimall'" in result.stderr
    assert "catalogue_2012" in result.stderr and "minimal" in result.stderr


def test_a_broken_workspace_scenario_fails_the_whole_check_but_the_others_are_still_checked(drill_ws, cli):
    """Checking everything goes on past a bad file, then exits 5."""
    shutil.copy(DATA / "unknown_persona.yaml", drill_ws / "drills" / "unknown_persona.yaml")
    result = cli("drill", "check", code=5, report=True)
    assert "unknown persona 'reviewr'" in result.stdout
    assert re.search(r"catalogue_2012\.yaml: ok", result.stdout)
    assert re.search(r"teams/diligent\.yaml: ok", result.stdout)


def test_a_broken_play_is_named_at_its_line(drill_ws, cli):
    """A play naming someone outside its team is refused with file:line:column."""
    play = drill_ws / "drills" / "teams" / "diligent.yaml"
    text = play.read_text(encoding="utf-8").replace("{on: incident_opened, after: 5m, as: ana, do: ack}",
                                                    "{on: incident_opened, after: 5m, as: bob, do: ack}")
    play.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "as: bob" in row)
    result = cli("drill", "check", code=5, report=True)
    assert f"{play}:{line}:" in result.stdout
    assert "'bob' is not in this team's people: ana, marc, claire, lea" in result.stdout


def test_list_shows_shipped_and_workspace_scenarios_with_objectives_and_length(drill_ws, cli):
    """`drill list` gives each scenario's length, languages, playbooks, decision points and weighted objectives."""
    shutil.copy(DATA / "minimal.yaml", drill_ws / "drills" / "minimal.yaml")
    shutil.copy(DATA / "weights.yaml", drill_ws / "drills" / "weights.yaml")
    rows = {r["id"]: r for r in json.loads(cli("drill", "list", "--json").stdout)}
    assert rows["catalogue_2012"]["duration"] == "6d"
    assert rows["catalogue_2012"]["decision_points"] == ["delete_mocking", "competitor_joke", "game_proposal"]
    assert sum(o["weight"] for o in rows["catalogue_2012"]["objectives"]) == 100
    assert rows["minimal"]["objectives"][0] == {"id": "public_reply", "title": "Public reply within 24 hours", "weight": 60, "within": "T+1d"}
    assert "weights add up to 90" in rows["weights"]["error"]
    text = cli("drill", "list").stdout
    assert "minimal" in text and "(2d, easy, fr, defamatory_review; 3 injects, 1 decision point)" in text
    assert "weights                  INVALID:" in text


def test_the_example_in_the_docs_is_a_valid_scenario():
    """docs/drills.md's complete example loads and has no error; its only warnings are the facts it says it leaves out."""
    from crisis.drill.check import check_scenario
    from crisis.drill.loader import parse_scenario

    root = Path(__file__).resolve().parent.parent
    doc = (root / "docs" / "drills.md").read_text(encoding="utf-8")
    example = doc.split("`drills/review_storm.yaml`:", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    findings = check_scenario(parse_scenario(example, "review_storm.yaml"), root / "playbooks", root / "templates")
    assert [f for f in findings if f.level == "error"] == []
    assert findings and all("asks for fact" in f.message for f in findings)
    assert any("'review_url'" in f.message for f in findings) and any("'first_published_at'" in f.message for f in findings)


def test_show_prints_the_mel_in_time_order_with_conditions_and_options(drill_ws, cli):
    """`drill show` is the facilitator's view of the MEL: offsets, kinds, conditions, the good and default options."""
    text = cli("drill", "show", "catalogue_2012").stdout
    lines = text.splitlines()
    first, pickup = (next(n for n, line in enumerate(lines) if key in line) for key in ("first_link:", "trade_pickup:"))
    assert first < pickup and lines[pickup].split()[0] == "T+48m"
    assert "silence_doubles_wave: wave mockery_wave × 2.0  unless published: any" in text
    assert "if decided: delete_mocking=delete" in text
    assert "- keep_and_answer (good)" in text and "- delete (default)" in text
    rows = json.loads(cli("drill", "show", "hijacked_sunday_night", "--json").stdout)["injects"]
    assert rows[0] == {"id": "scam_post_fr", "at": "T+0m", "kind": "post", "if": [], "unless": [], "options": [],
                       "what": rows[0]["what"]} and rows[0]["what"].startswith("attacker: ")
    assert cli("drill", "show", "nothing_here", code=3).stderr.startswith("Error: no drill scenario 'nothing_here'")
    roster = cli("drill", "show", "oncall", code=3).stderr  # the drill roster beside the scenarios is not one of them
    assert "oncall.yaml there is the roster simulations page" in roster and "known scenarios: " in roster
    assert "oncall," not in roster.split("known scenarios: ")[1]


def _edit_diligent(ws: Path, old: str, new: str) -> tuple[Path, int]:
    """Replace one action of the workspace's diligent team; the path and the line of the new text."""
    play = ws / "drills" / "teams" / "diligent.yaml"
    text = play.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new)
    play.write_text(text, encoding="utf-8")
    return play, next(n for n, row in enumerate(text.splitlines(), 1) if new.splitlines()[0] in row)


def test_a_play_waiting_for_a_step_no_playbook_has_is_named_at_its_line(drill_ws, cli):
    """`when: {state: responding.STEP}` with a misspelt step: an error at the play's file:line, with the near names, exit 5."""
    play, line = _edit_diligent(drill_ws, "{on: step_entered, after: 10m, as: ana, do: check, item: all}",
                                "{on: step_entered, after: 10m, as: ana, do: check, item: all, when: {state: responding.holding_statment}}")
    result = cli("drill", "check", "diligent", code=5, report=True)
    assert f"{play}:{line}: error: action check (as ana): when.state responding.holding_statment: no playbook has a step " \
           "'holding_statment'; did you mean holding_statement" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr and "Error: 1 error(s) in 1 file(s)" in result.stderr


def test_a_play_triggered_by_an_unknown_step_is_named_at_its_line(drill_ws, cli):
    """`on: step_entered` with `step:` naming no playbook's step is an error too, in the whole-workspace check."""
    play, line = _edit_diligent(drill_ws, "{on: step_entered, after: 10m, as: ana, do: check, item: all}",
                                "{on: step_entered, step: contian, after: 10m, as: ana, do: check, item: all}")
    result = cli("drill", "check", code=5, report=True)
    assert f"{play}:{line}: error: action check (as ana): step: no playbook has a step 'contian'; did you mean contain" in result.stdout


def test_a_play_waiting_for_a_step_of_another_playbook_is_a_warning_against_that_scenario(drill_ws, cli):
    """A step that exists, but not in a scenario's playbooks: the move never comes due there; a warning per scenario, exit 0."""
    play, line = _edit_diligent(drill_ws, "{on: step_entered, after: 10m, as: ana, do: check, item: all}",
                                "{on: step_entered, after: 10m, as: ana, do: check, item: all, when: {state: responding.contain}}")
    out = cli("drill", "check").stdout
    assert f"{play}:{line}: warning: action check (as ana): when.state responding.contain: scenario catalogue_2012 plays bad_buzz, " \
           "which has no step 'contain': the move never comes due" in out
    assert "scenario hijacked_sunday_night" not in out  # its playbook has the step


@pytest.mark.parametrize("when, message", [
    ("{state: respondng}", "'respondng' is not a lifecycle state; expected one of: detected, triage, responding"),
    ("{state: triage.contain}", "'triage.contain' is not a lifecycle state"),
    ("step_finished", "'step_finished' is not something a move can wait for; expected step_done, facts_answered, triage_done or {state: NAME}"),
    ("{step: contain}", ".when.step: unknown key; expected one of: state"),
])
def test_a_wait_the_language_lacks_is_refused_with_file_line_column(drill_ws, cli, when, message):
    """Unknown states and waits stop the play from loading: file:line:column and what is expected, exit 5."""
    play, line = _edit_diligent(drill_ws, "{on: step_entered, after: 10m, as: ana, do: check, item: all}",
                                f"{{on: step_entered, after: 10m, as: ana, do: check, item: all, when: {when}}}")
    result = cli("drill", "check", "diligent", code=5, report=True)
    assert re.search(rf"{re.escape(str(play))}:{line}:\d+: ", result.stdout), result.stdout
    assert message in result.stdout and "Traceback" not in result.stdout + result.stderr


def test_a_team_whose_people_are_not_on_the_roster_it_would_be_paged_with_is_an_error(drill_ws, cli):
    """A new person in a team, missing from the drill roster: every move of theirs would be refused, so check says where to add them."""
    play, line = _edit_diligent(drill_ws, "  - {id: lea, roles: [legal]}", "  - {id: lea, roles: [legal]}\n  - {id: hugo, roles: [legal]}")
    people = next(n for n, row in enumerate(play.read_text(encoding="utf-8").splitlines(), 1) if row.startswith("people:"))
    result = cli("drill", "check", "diligent", code=5, report=True)
    assert f"{play}:{people}: error: people: hugo not on the roster a simulation pages with ({drill_ws / 'drills' / 'oncall.yaml'}): " \
           "every move of theirs would be refused; add them there" in result.stdout
