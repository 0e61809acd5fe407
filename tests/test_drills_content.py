"""The shipped drills: every scenario and team loads and passes `crisis drill check`, and each says what the issue asks of it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from crisis.drill.check import check_play, check_scenario
from crisis.drill.loader import list_scenarios, load_scenario
from crisis.drill.play import load_play
from crisis.drill.scenario import DecisionPoint, FactKnown, Post, Wave

ROOT = Path(__file__).resolve().parent.parent
DRILLS = ROOT / "drills"
SCENARIOS = list_scenarios(DRILLS)
TEAMS = sorted((DRILLS / "teams").glob("*.yaml"))


def scenario(name: str):
    return load_scenario(DRILLS / f"{name}.yaml")


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenario_passes_check_without_finding(path):
    """No error and no warning: shipped content is the example others copy."""
    assert check_scenario(load_scenario(path), ROOT / "playbooks", ROOT / "templates") == []


@pytest.mark.parametrize("path", TEAMS, ids=[p.stem for p in TEAMS])
def test_shipped_team_fits_every_shipped_scenario(path):
    """A shipped play names nothing a shipped scenario lacks, and states its expected outcome."""
    play = load_play(path)
    assert play.expected.outcome.fr and play.expected.outcome.en
    for scenario_path in SCENARIOS:
        assert check_play(play, load_scenario(scenario_path)) == []


def test_the_whole_shipped_set_passes_through_the_cli(cli, tmp_path, monkeypatch):
    """`crisis drill check` on the content `crisis init` copies (teams included) exits 0."""
    from crisis.cli import context

    monkeypatch.setenv("CRISIS_DATABASE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    context.settings.cache_clear()
    cli("init", str(tmp_path / "ws"))
    assert sorted(p.name for p in (tmp_path / "ws" / "drills" / "teams").glob("*.yaml")) == [p.name for p in TEAMS]
    monkeypatch.chdir(tmp_path / "ws")
    context.settings.cache_clear()
    out = cli("drill", "check").stdout
    context.reset()
    assert out.count(": ok") == len(SCENARIOS) + len(TEAMS)


def test_the_issue_s_scenarios_are_shipped():
    """The catalogue photo, fake reviews, a hijacked account, the activist campaign in both branches, one in English."""
    kinds = {p.stem: load_scenario(p) for p in SCENARIOS}
    assert kinds["catalogue_2012"].playbooks == ("bad_buzz",) and kinds["catalogue_2012"].languages == ("fr",)
    assert kinds["hotel_fake_reviews"].playbooks == ("defamatory_review",)
    assert kinds["hijacked_sunday_night"].languages == ("fr", "en")
    assert any(s.languages == ("en",) for s in kinds.values())


def test_the_catalogue_follows_the_public_timeline_of_4_january_2012():
    """11:00 link, 11:48 trade newsroom, noon agency alert, four days later a competitor's parody; three decision points."""
    sc = scenario("catalogue_2012")
    assert (sc.start.weekday, sc.start.time, sc.start.timezone) == ("wed", "11:00", "Europe/Paris")
    at = {i.id: i.at for i in sc.injects}
    assert at["first_link"] == timedelta(0)
    assert at["trade_pickup"] == timedelta(minutes=48)
    assert at["agency_alert"] == timedelta(hours=1)
    assert at["competitor_parody"] == timedelta(days=4)
    points = {i.id: i.body for i in sc.decision_points()}
    assert list(points) == ["delete_mocking", "competitor_joke", "game_proposal"]
    assert points["delete_mocking"].good == "keep_and_answer" and points["delete_mocking"].default == "delete"
    assert points["competitor_joke"].good == "no_reply_in_kind"
    assert sum(i.body.count for i in sc.injects if isinstance(i.body, Wave) and i.id == "comments_under_apology") >= 1000


def test_the_catalogue_branches_on_what_the_team_does():
    """Silence by T+2h15 brings the press and doubles the wave; deleting critics brings the Streisand effect."""
    sc = scenario("catalogue_2012")
    silence = sc.find_inject("silence_doubles_wave")
    assert [(c.key, c.arg) for c in silence.unless] == [("published", None)] and silence.body.factor == 2
    assert [(c.key, c.value) for c in sc.find_inject("team_deleted_a_critic").when] == [("deleted_critic", True)]
    assert [(c.key, c.arg, c.value) for c in sc.find_inject("censorship_backlash").when] == [("decided", "delete_mocking", "delete")]


def test_the_hijacked_account_starts_sunday_2am_with_level_1_asleep_and_the_mailbox_first():
    sc = scenario("hijacked_sunday_night")
    assert (sc.start.weekday, sc.start.time) == ("sun", "02:00")
    assert sc.silent_levels == ("community_manager",)
    assert all(i.body.own_account for i in sc.injects if isinstance(i.body, Post) and i.body.persona == "attacker")
    mailbox = next(o for o in sc.objectives if o.expect == "checked")
    assert mailbox.args == {"item": "secure_mailbox", "first": True}


def test_the_activist_campaign_plays_both_branches_with_the_takedown_decision():
    """The two twins differ in the already_acting fact and in what the team must publish."""
    branches = {}
    for name in ("activist_pate_acting", "activist_pate_not_acting"):
        sc = scenario(name)
        fact = next(i.body for i in sc.injects if isinstance(i.body, FactKnown) and i.body.key == "already_acting")
        published = {o.args.get("template") for o in sc.objectives if o.expect == "published"}
        takedown = sc.find_inject("takedown_request").body
        assert isinstance(takedown, DecisionPoint) and takedown.good == "refuse" and takedown.default == "request_takedown"
        branches[fact.value] = published
    assert "existing_commitments" in branches[True] and "action_plan" in branches[False]


@pytest.mark.parametrize("path", [*SCENARIOS, *TEAMS], ids=[p.stem for p in [*SCENARIOS, *TEAMS]])
def test_no_calque_in_the_shipped_text(path):
    """French without "revenir vers vous" or "ici d'ici", English without "come back to you"."""
    text = path.read_text(encoding="utf-8").lower()
    for calque in ("revenir vers vous", "reviendrons vers vous", "ici d'ici", "come back to you"):
        assert calque not in text


def test_the_teams_expect_what_the_issue_says():
    """Diligent breaks nothing; late acknowledges at 40 min; the rule-breaker's breaches are named."""
    teams = {p.stem: load_play(p) for p in TEAMS}
    assert set(teams) >= {"diligent", "late", "rule_breaker"}
    assert teams["diligent"].expected.breaches == () and teams["diligent"].expected.score_min >= 80
    late_ack = next(a for a in teams["late"].actions if a.do == "ack" and a.on == "incident_opened")
    assert late_ack.after == timedelta(minutes=40)
    assert {"self_approval", "critic_deleted", "humour_before_facts"} <= set(teams["rule_breaker"].expected.breaches)
    assert any(a.do == "draft" and a.args.get("tone") == "humour" for a in teams["rule_breaker"].actions)
    assert teams["rule_breaker"].expected.score_max < teams["late"].expected.score_max < teams["diligent"].expected.score_max + 1


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_each_scenario_brings_its_hot_wash_questions(path):
    """The debrief's questions ship with the story, in both languages, asked as questions."""
    questions = load_scenario(path).hot_wash
    assert len(questions) >= 3
    assert all(q.fr.endswith(" ?") and q.en.endswith("?") for q in questions)
