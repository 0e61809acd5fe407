"""Conditions on the team's actions that fire and that don't, decision points' defaults, and HSEEP scoring, on the shipped scenarios."""

from __future__ import annotations

import doctest
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

import crisis.drill.scoring
from crisis.drill.conditions import TeamState, fires, settle
from crisis.drill.loader import load_scenario
from crisis.drill.scoring import rate_held, rate_timed, score

DRILLS = Path(__file__).resolve().parent.parent / "drills"
CATALOGUE = load_scenario(DRILLS / "catalogue_2012.yaml")
SILENT = TeamState(acknowledged=True, state="triage")


def inject(name, scenario=CATALOGUE):
    return scenario.find_inject(name)


def test_silence_brings_the_press_and_doubles_the_wave_and_any_reply_prevents_it():
    assert fires(inject("silence_noted"), SILENT) and fires(inject("silence_doubles_wave"), SILENT)
    replied = replace(SILENT, published=frozenset({"holding_statement"}))
    assert not fires(inject("silence_noted"), replied) and not fires(inject("silence_doubles_wave"), replied)


def test_only_the_holding_statement_makes_the_wave_decay_faster():
    assert fires(inject("statement_calms"), replace(SILENT, published=frozenset({"holding_statement"})))
    assert not fires(inject("statement_calms"), replace(SILENT, published=frozenset({"apology"})))
    assert not fires(inject("statement_calms"), SILENT)


def test_deleting_a_critic_or_deciding_to_brings_the_streisand_effect():
    assert fires(inject("team_deleted_a_critic"), replace(SILENT, deleted_critic=True))
    assert not fires(inject("team_deleted_a_critic"), SILENT)
    assert fires(inject("censorship_backlash"), replace(SILENT, decisions={"delete_mocking": "delete"}))
    assert not fires(inject("censorship_backlash"), replace(SILENT, decisions={"delete_mocking": "keep_and_answer"}))
    assert not fires(inject("censorship_backlash"), SILENT)


def test_level_two_reached_keeps_the_silence_wave_away_on_the_hijacked_account():
    hijack = load_scenario(DRILLS / "hijacked_sunday_night.yaml")
    assert fires(inject("silence_grows", hijack), replace(SILENT, levels=frozenset({"community_manager"})))
    assert not fires(inject("silence_grows", hijack), replace(SILENT, levels=frozenset({"community_manager", "comms_lead"})))


def test_every_if_must_hold():
    hotel = load_scenario(DRILLS / "hotel_fake_reviews.yaml")
    fair = inject("article_fair", hotel)
    both = replace(SILENT, fired=frozenset({"journalist_email"}), published=frozenset({"review_reply"}))
    assert fires(fair, both)
    assert not fires(fair, replace(both, fired=frozenset()))
    assert not fires(fair, replace(both, published=frozenset()))


def test_a_decision_point_takes_its_default_when_nobody_answers_in_time():
    point = inject("delete_mocking")  # put at T+3:30, 30 min to answer, default: delete
    nobody = settle(point, None)
    assert (nobody.option, nobody.at, nobody.by_default) == ("delete", timedelta(hours=4), True)
    late = settle(point, ("keep_and_answer", timedelta(hours=4, minutes=1)))
    assert (late.option, late.by_default) == ("delete", True)
    in_time = settle(point, ("keep_and_answer", timedelta(hours=3, minutes=45)))
    assert (in_time.option, in_time.at, in_time.by_default) == ("keep_and_answer", timedelta(hours=3, minutes=45), False)
    assert in_time.is_good(point.body) and not nobody.is_good(point.body)
    with pytest.raises(ValueError, match="'remove' is not an option of delete_mocking; expected one of: delete, hide, keep_and_answer"):
        settle(point, ("remove", timedelta(hours=3, minutes=40)))


def test_ratings_follow_the_grades_and_the_score_weighs_them():
    assert doctest.testmod(crisis.drill.scoring).failed == 0
    golden = next(o for o in CATALOGUE.objectives if o.id == "golden_hour")  # within 1h, S 2h, M 3h
    assert [rate_timed(golden, timedelta(minutes=m)) for m in (60, 61, 180, 181)] == ["P", "S", "M", "U"]
    assert rate_timed(golden, None) == "U" and rate_held(True) == "P" and rate_held(False) == "U"
    ids = [o.id for o in CATALOGUE.objectives]
    assert score(CATALOGUE.objectives, dict.fromkeys(ids, "P")) == 100.0
    assert score(CATALOGUE.objectives, dict.fromkeys(ids, "U")) == 0.0
    mixed = {**dict.fromkeys(ids, "P"), "golden_hour": "S", "nothing_deleted": "U"}  # 15 × 0.75 and 15 × 0 lost
    assert score(CATALOGUE.objectives, mixed) == 81.2
    unrated = {**dict.fromkeys(ids, "P"), "journalist_answered": None, "nothing_deleted": "U"}  # 15 of 95 lost
    assert score(CATALOGUE.objectives, unrated) == 84.2
    with pytest.raises(ValueError, match="has no rating"):
        score(CATALOGUE.objectives, {})
    with pytest.raises(ValueError, match="'A' is not a rating"):
        score(CATALOGUE.objectives, {**dict.fromkeys(ids, "P"), "four_eyes": "A"})
