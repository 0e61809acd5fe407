"""Simulated drills: the same run twice is the same byte for byte; decision defaults and conditions in play;
the rule-breaking team's moves go through the real services and are named; every shipped scenario
against every shipped team stays within the team's expected range (slow)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crisis.cli import app
from crisis.drill.loader import list_scenarios, load_scenario, parse_scenario
from crisis.drill.play import load_play
from crisis.drill.simulator import run_drill, simulation_start
from crisis.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
DRILLS = ROOT / "drills"
TEAMS = ("diligent", "late", "rule_breaker")

# A short bad buzz: one critic, the triage facts at once, a decision nobody answers in the late run,
# a consequence that fires only on the default, and a journalist's call.
SMALL = """
id: small_buzz
title: {fr: Petit bad buzz, en: Small backlash}
summary: {fr: Une publicité critiquée., en: A criticised ad.}
languages: [fr]
brand: Maison Lenoir
playbooks: [bad_buzz]
duration: 1d
difficulty: easy
personas:
  - {id: critic, name: Julien Roussel, handle: "@julien", platform: x, followers: 1850, language: fr, disposition: critic}
  - {id: journalist, name: Sophie Berthier, handle: "+33 1 00 00 00 00", platform: phone, followers: 0, language: fr, disposition: journalist}
pools:
  mockery: ["Qui a validé ça chez Maison Lenoir ?", "C'est une honte cette pub Maison Lenoir", "Retirez cette pub Maison Lenoir"]
injects:
  - {id: first_post, at: "T+0:00", post: {persona: critic, text: "Vous avez vu leur pub ? Qui a validé ça chez Maison Lenoir ?"}}
  - {id: f1, at: "T+0:00", fact: {playbook: bad_buzz, key: origin_platform, value: x, text: {fr: Sur X., en: On X.}}}
  - {id: f2, at: "T+0:00", fact: {playbook: bad_buzz, key: offending_content, value: ad_campaign, text: {fr: La pub., en: The ad.}}}
  - {id: f3, at: "T+0:00", fact: {playbook: bad_buzz, key: sensitive_stakes, value: false, text: {fr: Rien de sensible., en: Nothing sensitive.}}}
  - {id: f3b, at: "T+0:00", fact: {playbook: bad_buzz, key: fault_kind, value: our_content, text: {fr: Notre pub., en: Our ad.}}}
  - {id: f3c, at: "T+0:00", fact: {playbook: bad_buzz, key: subject, value: notre publicité, text: {fr: La pub., en: The ad.}}}
  - {id: f3d, at: "T+0:00", fact: {playbook: bad_buzz, key: person_harmed, value: false, text: {fr: Personne de lésé., en: Nobody harmed.}}}
  - {id: wave, at: "T+0:05", wave: {count: 60, over: 3h, peak: 40m, pool: mockery, platforms: [x, facebook], personas: [critic]}}
  - {id: f4, at: "T+0:30", fact: {playbook: bad_buzz, key: brand_at_fault, value: true, text: {fr: Faute., en: Fault.}}}
  - {id: f5, at: "T+0:30", fact: {playbook: bad_buzz, key: what_happened, value: "Une publicité a été publiée sans relecture.", text: {fr: Faits., en: Facts.}}}
  - {id: f6, at: "T+0:30", fact: {playbook: bad_buzz, key: fix, value: "Chaque publicité est relue par deux personnes.", text: {fr: Correction., en: Fix.}}}
  - {id: f7, at: "T+0:30", fact: {playbook: bad_buzz, key: gesture, value: "Nous reversons la recette du jour à une association.", text: {fr: Geste., en: Gesture.}}}
  - id: delete_mocking
    at: "T+3:00"
    decision:
      question: {fr: "Supprimer les commentaires moqueurs ?", en: Delete the mocking comments?}
      options:
        - {id: delete, label: {fr: Supprimer, en: Delete}}
        - {id: keep, label: {fr: Garder et répondre, en: Keep and answer}}
      good: keep
      why: {fr: "La suppression devient l'histoire.", en: The deletion becomes the story.}
      deadline: 30m
      default: delete
  - {id: censorship, at: "T+5:00", if: {decided: {delete_mocking: delete}}, post: {persona: critic, text: "Maison Lenoir supprime nos commentaires, c'est une honte"}}
  - {id: silence_noted, at: "T+1:00", unless: {published: any}, post: {persona: journalist, text: "Toujours pas un mot de Maison Lenoir, c'est une honte"}}
  - {id: call, at: "T+6:00", message: {persona: journalist, channel: phone, text: "Un commentaire dans la demi-heure ?"}}
objectives:
  - {id: ack, title: {fr: Pris en compte, en: Acknowledged}, expect: {acknowledged: true, within: 15m, grades: {S: 30m, M: 1h}}, weight: 20}
  - {id: holding, title: {fr: Déclaration, en: Statement}, expect: {published: {template: holding_statement}, within: 1h, grades: {S: 2h, M: 3h}}, weight: 20}
  - {id: four_eyes, title: {fr: Quatre yeux, en: Four eyes}, expect: {four_eyes: true}, weight: 20}
  - {id: nothing_deleted, title: {fr: Rien supprimé, en: Nothing deleted}, expect: {no_critic_deleted: true}, weight: 20}
  - {id: keep, title: {fr: Garder, en: Keep}, expect: {decided: {point: delete_mocking}, within: 30m, from: delete_mocking}, weight: 10}
  - {id: journalist, title: {fr: Journaliste, en: Journalist}, expect: {answered: {persona: journalist}, within: 30m, from: call, grades: {S: 1h, M: 3h}}, weight: 10}
"""


@pytest.fixture(scope="module")
def small_runs():
    """The small scenario played once by each shipped team (each run takes about a second)."""
    scenario, settings = parse_scenario(SMALL, "small_buzz.yaml"), load_settings(ROOT)
    return {team: run_drill(scenario, load_play(DRILLS / "teams" / f"{team}.yaml"), seed=3, settings=settings) for team in TEAMS}


def ratings(run) -> dict[str, str | None]:
    return {r.objective.id: r.rating for r in run.scorecard.results}


def test_the_same_scenario_team_and_seed_give_the_same_scorecard_and_timeline_byte_for_byte(tmp_path, monkeypatch):
    """`crisis drill run FILE --json` twice: identical output, the timeline's hash included."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "small_buzz.yaml").write_text(SMALL, encoding="utf-8")
    runner = CliRunner()
    outputs = [runner.invoke(app, ["drill", "run", "small_buzz.yaml", "--team", "diligent", "--seed", "7", "--json"], catch_exceptions=False)
               for _ in range(2)]
    assert [o.exit_code for o in outputs] == [0, 0]
    assert outputs[0].stdout == outputs[1].stdout
    card = json.loads(outputs[0].stdout)
    assert card["breaches"] == [] and card["events"] > 20 and len(card["timeline_sha256"]) == 64
    holding = next(o for o in card["objectives"] if o["id"] == "holding")
    assert holding["rating"] == "P" and holding["proof"].startswith("#") and "reply_published by ana" in holding["proof"]


def test_the_demo_plays_the_catalogue_case_with_the_diligent_team_and_points_to_the_other_modes(tmp_path, monkeypatch):
    """`crisis demo` (the README's first command): the 2012 catalogue scenario, its scorecard within the team's range."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo"], catch_exceptions=False)
    assert result.exit_code == 0
    play = load_play(DRILLS / "teams" / "diligent.yaml")
    score = float(result.stdout.split("Score: ", 1)[1].split("/", 1)[0])
    assert play.expected.score_min <= score <= play.expected.score_max
    assert "catalogue_2012 played by team diligent" in result.stdout and "Rule-breakings: none" in result.stdout
    assert "Holding statement published within the hour of the alert" in result.stdout
    assert "crisis drill run" in result.stderr and "crisis drill start" in result.stderr and "crisis drill schedule" in result.stderr


def test_another_seed_gives_other_traffic_but_the_same_story():
    """A seed changes the mentions, not the MEL: the diligent team meets the same objectives."""
    scenario, settings = parse_scenario(SMALL, "small_buzz.yaml"), load_settings(ROOT)
    play = load_play(DRILLS / "teams" / "diligent.yaml")
    a, b = (run_drill(scenario, play, seed=seed, settings=settings) for seed in (1, 2))
    assert a.timeline_digest != b.timeline_digest
    assert ratings(a) == ratings(b)


def test_a_decision_left_unanswered_takes_its_default_and_its_consequence_fires(small_runs):
    """The late team decides 13 h after the point: the default (delete) is taken at the deadline, the censorship post fires."""
    late = small_runs["late"]
    assert "censorship" in late.fired and ratings(late)["keep"] == "U"
    proof = next(r for r in late.scorecard.results if r.objective.id == "keep").proof
    assert "drill_decided by drill at T+3h30m" in proof


def test_a_good_decision_in_time_keeps_the_consequence_from_firing(small_runs):
    diligent = small_runs["diligent"]
    assert "censorship" not in diligent.fired and ratings(diligent)["keep"] == "P"


def test_silence_fires_its_inject_only_when_nothing_was_published(small_runs):
    assert "silence_noted" in small_runs["late"].fired
    assert "silence_noted" not in small_runs["diligent"].fired


def test_the_rule_breaking_team_is_refused_and_named(small_runs):
    """Self-approval and unapproved publication are refused by the real reply services; the deletion and the joke are named."""
    breaker = small_runs["rule_breaker"]
    assert {"self_approval", "published_unapproved", "critic_deleted", "humour_before_facts"} <= set(breaker.scorecard.breaches)
    assert any("approve refused" in r and "cannot approve" in r for r in breaker.scorecard.refusals)
    assert any("publish refused" in r and "only once approved" in r for r in breaker.scorecard.refusals)
    assert ratings(breaker)["four_eyes"] == "U" and ratings(breaker)["nothing_deleted"] == "U"
    assert breaker.scorecard.score < small_runs["diligent"].scorecard.score


def test_every_incident_of_a_simulation_is_a_drill_and_starts_at_its_documented_instant(small_runs):
    """Triage opens the incident from the drill's mentions as a drill; T+0 is the scenario's start, else Monday 5 Jan 2026 09:00 UTC."""
    run = small_runs["diligent"]
    assert run.ref == "INC-0001" and run.real_incidents == 0
    assert run.start.isoformat() == "2026-01-05T09:00:00+00:00" == simulation_start(parse_scenario(SMALL, "small_buzz.yaml")).isoformat()
    catalogue = simulation_start(load_scenario(DRILLS / "catalogue_2012.yaml"))
    assert catalogue.isoformat() == "2026-01-07T10:00:00+00:00"  # a Wednesday, 11:00 in Paris


def test_what_the_mel_puts_at_t0_happens_at_t0_not_at_the_next_mention():
    """The first post and the facts at T+0:00 open the incident at T+0 itself (they waited for the next mention, 5 min in)."""
    run = run_drill(parse_scenario(SMALL, "small_buzz.yaml"), load_play(DRILLS / "teams" / "diligent.yaml"), seed=0,
                    settings=load_settings(ROOT))
    opened = next(m for m in run.moments if m.event.kind == "opened")
    assert opened.at == run.start
    acked = next(m for m in run.moments if m.event.kind == "transition" and m.event.trigger == "acknowledge")
    assert acked.at - run.start == timedelta(minutes=5)  # the diligent team acknowledges 5 min after the opening


def test_drill_run_names_an_unknown_team_with_the_known_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["drill", "run", "catalogue_2012", "--team", "heroes"])
    assert result.exit_code != 0 and result.stdout == ""
    assert "heroes" in result.stderr and "diligent" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("team", TEAMS)
@pytest.mark.parametrize("scenario_path", list_scenarios(DRILLS), ids=lambda p: p.stem)
def test_each_shipped_scenario_with_each_shipped_team_scores_within_its_range(scenario_path, team):
    play = load_play(DRILLS / "teams" / f"{team}.yaml")
    run = run_drill(load_scenario(scenario_path), play, seed=0, settings=load_settings(ROOT))
    card = run.scorecard
    assert play.expected.score_min <= card.score <= play.expected.score_max, card.as_dict("en")
    assert set(play.expected.breaches) <= set(card.breaches), card.breaches
    if team == "diligent":
        assert not {"self_approval", "published_unapproved", "critic_deleted", "humour_before_facts"} & set(card.breaches)
    if team in ("diligent", "late"):  # they wait for their steps (`when:`): nothing they try is refused
        assert card.refusals == (), card.refusals


WAITING = """
id: waiting
title: {fr: Équipe qui attend, en: Waiting team}
summary: {fr: Passe à l'étape suivante quand l'étape est faite., en: Moves on when the step is done.}
people:
  - {id: ana, roles: [community_manager]}
  - {id: marc, roles: [comms_lead]}
actions:
  - {on: incident_opened, after: 5m, as: ana, do: ack}
  - {on: fact_known, after: 5m, as: ana, do: fact, key: known}
  - {on: fact_known, after: 1m, as: ana, do: respond, when: triage_done}
  - {on: step_entered, after: 20m, as: ana, do: check, item: all}
  - {on: step_entered, after: 1m, as: ana, do: next, when: step_done}
  - {on: step_entered, after: 2m, as: ana, do: draft, template: step, when: facts_answered}
  - {on: reply_drafted, after: 5m, as: marc, do: approve}
  - {on: reply_approved, after: 2m, as: ana, do: publish}
expected:
  score: {min: 0, max: 100}
  outcome: {fr: Aucun coup refusé., en: No refused move.}
"""


def _transitions(run, trigger: str):
    return [m for m in run.moments if m.event.kind == "transition" and m.event.trigger == trigger]


def test_a_move_waiting_for_its_step_is_made_as_soon_as_the_step_is_done_and_never_refused():
    """`next` due 1 min into a step waits for the checklist ticked at 20 min (and the statement published), then moves on."""
    from crisis.drill.play import parse_play

    scenario, settings = parse_scenario(SMALL, "small_buzz.yaml"), load_settings(ROOT)
    run = run_drill(scenario, parse_play(WAITING, "waiting.yaml"), seed=3, settings=settings)
    assert run.scorecard.refusals == ()
    nexts, checks = _transitions(run, "next"), [m for m in run.moments if m.event.kind == "checked"]
    assert len(nexts) >= 2 and _transitions(run, "respond")
    for move in nexts:  # each `next` leaves a step whose last item was ticked at that very instant or before, never earlier
        left = move.event.from_.split(".", 1)[1]
        ticked = [c.at for c in checks if c.event.step == left]
        assert ticked and max(ticked) <= move.at
    first_step = nexts[0].event.from_
    entered = next(m.at for m in run.moments if m.event.kind == "transition" and m.event.to == first_step)
    assert nexts[0].at - entered >= timedelta(minutes=20)  # it waited: due at +1 min, made once the checklist was done


def test_the_same_move_on_a_timer_without_when_is_refused():
    """Without `when:` the team tries `next` 1 min into the step and the lifecycle refuses it: the contrast `when:` removes."""
    from crisis.drill.play import parse_play

    scenario, settings = parse_scenario(SMALL, "small_buzz.yaml"), load_settings(ROOT)
    timer = WAITING.replace("do: next, when: step_done", "do: next").replace("do: respond, when: triage_done", "do: respond")
    run = run_drill(scenario, parse_play(timer, "timer.yaml"), seed=3, settings=settings)
    assert any("next refused: the checklist of step" in r for r in run.scorecard.refusals), run.scorecard.refusals


def test_the_shipped_diligent_and_late_teams_make_no_refused_move(small_runs):
    """The diligent and late teams wait for their steps (`when:`); only the rule-breaking team is refused, for its breaches."""
    assert small_runs["diligent"].scorecard.refusals == () and small_runs["late"].scorecard.refusals == ()
    refused = small_runs["rule_breaker"].scorecard.refusals
    assert refused and all(" approve refused: " in r or " publish refused: " in r or " close refused: " in r for r in refused), refused


def test_a_move_waiting_for_a_state_is_made_the_moment_the_incident_reaches_it():
    """`when: {state: responding.holding_statement}` on a move due at T+1m: made when the incident enters that step, not before."""
    from crisis.drill.play import parse_play

    scenario, settings = parse_scenario(SMALL, "small_buzz.yaml"), load_settings(ROOT)
    text = WAITING.replace("expected:", "  - {at: \"T+0:01\", as: marc, do: severity, level: SEV1, why: wave, "
                                        "when: {state: responding.holding_statement}}\nexpected:")
    run = run_drill(scenario, parse_play(text, "state.yaml"), seed=3, settings=settings)
    entered = next(m for m in run.moments if m.event.kind == "transition" and m.event.to == "responding.holding_statement")
    raised = [m for m in run.moments if m.event.kind == "severity_changed" and m.actor == "marc"]
    assert raised and raised[0].at == entered.at and run.scorecard.refusals == ()
