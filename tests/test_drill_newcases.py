"""The two scenarios written from public cases through the documented format only (docs/drills.md):
franchise_kitchen_video (misconduct_video, the 2009 prank video in a franchised pizza kitchen) and
telecom_customer_leak (data_leak, the 2024 customer-file leak of an internet provider). Each is played by
the three shipped teams; the diligent one scores highest and makes no refused move."""
from __future__ import annotations

from pathlib import Path

import pytest

from crisis.drill.loader import load_scenario
from crisis.drill.play import load_play
from crisis.drill.simulator import run_drill
from crisis.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
DRILLS = ROOT / "drills"
NEW = ("franchise_kitchen_video", "telecom_customer_leak")


def play(scenario: str, team: str):
    return run_drill(load_scenario(DRILLS / f"{scenario}.yaml"), load_play(DRILLS / "teams" / f"{team}.yaml"), seed=0,
                     settings=load_settings(ROOT))


def test_a_late_first_statement_is_named_late_statement_in_a_playbook_without_holding_statement():
    """misconduct_video opens with its own `statement`: the late team's S on it is a late statement, as a holding statement's would be."""
    card = play("franchise_kitchen_video", "late").scorecard
    statement = next(r for r in card.results if r.objective.id == "statement_in_time")
    assert statement.rating == "S"
    assert "late_statement" in card.breaches


def test_the_notification_to_the_authority_goes_to_legal_and_direction_without_a_refused_move():
    """The comms lead holds no role of the CNIL notification's rule: his approval is passed on, not refused nor named a self-approval."""
    run = play("telecom_customer_leak", "diligent")
    assert run.scorecard.refusals == () and "self_approval" not in run.scorecard.breaches
    drafted = {m.event.reply: m.event.template for m in run.moments if m.event.kind == "reply_drafted"}
    approved = {drafted[m.event.reply]: m.actor for m in run.moments if m.event.kind == "reply_approved"}
    assert approved["authority_notification"] in ("claire", "lea")  # direction or legal, never marc
    assert approved["holding_statement"] == "marc"
    cnil = next(r for r in run.scorecard.results if r.objective.id == "cnil_within_72h")
    assert cnil.rating == "P"
    published = [m.event.text for m in run.moments if m.event.kind == "reply_published"]
    assert all("contact@ondinetelecom.example" in t for t in published if "contact@" in t)  # "Ondine Télécom": no accent in a domain


@pytest.mark.slow
@pytest.mark.parametrize("scenario", NEW)
def test_each_new_scenario_orders_the_teams_and_the_diligent_team_is_never_refused(scenario):
    cards = {team: play(scenario, team).scorecard for team in ("diligent", "late", "rule_breaker")}
    assert cards["diligent"].score > cards["late"].score > cards["rule_breaker"].score, {t: c.score for t, c in cards.items()}
    assert cards["diligent"].score >= 80 and cards["diligent"].refusals == () and cards["diligent"].breaches == ()
    assert cards["late"].refusals == () and {"late_ack", "late_statement"} <= set(cards["late"].breaches)
    assert {"self_approval", "published_unapproved", "critic_deleted", "humour_before_facts"} <= set(cards["rule_breaker"].breaches)
    decided = {r.objective.id: r.rating for r in cards["rule_breaker"].results if r.objective.expect == "decided"}
    assert decided and set(decided.values()) == {"U"}  # the wrong option at every decision point


def test_the_private_contact_is_asked_of_public_replies_not_of_the_notification_to_the_authority():
    """`contact_invited` reads the public replies: the CNIL notification (an e-mail) carries the DPO's contact, not the brand's."""
    import re

    from crisis.drill.loader import parse_scenario

    text = (DRILLS / "telecom_customer_leak.yaml").read_text(encoding="utf-8")
    text = text.replace("    expect: {decided: {point: talk_to_seller}, within: 1h, from: talk_to_seller}\n    weight: 10",
                        "    expect: {decided: {point: talk_to_seller}, within: 1h, from: talk_to_seller}\n    weight: 5")
    text += ("  - id: private_channel\n    title: {fr: Contact, en: Contact}\n    expect: {contact_invited: true}\n    weight: 5\n")
    run = run_drill(parse_scenario(text, "telecom_customer_leak.yaml"), load_play(DRILLS / "teams" / "diligent.yaml"), seed=0,
                    settings=load_settings(ROOT))
    result = next(r for r in run.scorecard.results if r.objective.id == "private_channel")
    published = {m.seq: m.event for m in run.moments if m.event.kind == "reply_published"}
    assert any(e.channel == "email" for e in published.values())  # the notification and the notice went out by e-mail
    if result.rating == "U":  # the X public statement points to its page (280 characters), not to the address
        blamed = published[int(re.match(r"#(\d+)", result.proof).group(1))]
        assert blamed.channel != "email", result.proof
    else:
        assert "public reply" in result.proof
