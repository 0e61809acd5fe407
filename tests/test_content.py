"""The shipped content is product: every playbook loads, passes the reviewer's check and draws."""

from __future__ import annotations

from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta

from crisis.lint.playbook import check_playbook
from crisis.lint.graph import mermaid
from crisis.playbook.loader import list_playbooks, load_playbook

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = list_playbooks(ROOT / "playbooks")


def test_the_four_kinds_are_shipped():
    assert {p.stem for p in SHIPPED} >= {"defamatory_review", "hijacked_account", "bad_buzz", "activist_attack"}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_playbook_passes_check_without_finding(path):
    findings = check_playbook(load_playbook(path), ROOT / "templates")
    assert [str(f) for f in findings] == []


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_playbook_draws_every_step(path):
    playbook = load_playbook(path)
    text = mermaid(playbook)
    assert text.startswith("stateDiagram-v2\n")
    for step in playbook.steps:
        assert f"\n        {step.id} : " in text
    assert "resolved --> closed : close" in text


def test_activist_attack_branches_on_whether_the_brand_already_acts():
    playbook = load_playbook(ROOT / "playbooks" / "activist_attack.yaml")
    assert "already_acting" in playbook.triage_requires
    branches = {c.value for s in playbook.steps for c in s.when if c.key == "already_acting"}
    assert branches == {True, False}


def test_defamatory_review_arms_the_press_law_limitation():
    playbook = load_playbook(ROOT / "playbooks" / "defamatory_review.yaml")
    assert playbook.limitation is not None and playbook.limitation.from_fact == "first_published_at"
    assert playbook.limitation.period == relativedelta(months=3)  # calendar months: 28 February → 28 May


@pytest.mark.parametrize("already_acting,branch", [("no", "act_now"), ("yes", "show_what_we_do")])
def test_the_activist_branch_is_taken_through_the_cli(workspace, cli, already_acting, branch):
    """After the common steps, `next` enters the branch that matches the triage answer, and only it."""
    import json

    playbook = load_playbook(workspace / "playbooks" / "activist_attack.yaml")
    cli("open", "-p", "activist_attack", "-t", "Duck pâté: cruelty video shared by an NGO")
    cli("ack", "1")
    samples = {"bool": "no", "date": "2026-11-19", "int": "1", "url": "https://example.org/a", "text": "text"}
    for fact_id in playbook.triage_requires:
        fact = playbook.find_fact(fact_id)
        cli("fact", "1", fact_id, already_acting if fact_id == "already_acting" else
            (fact.choices[0] if fact.choices else samples[fact.type]))
    cli("respond", "1")
    while True:
        state = json.loads(cli("show", "1", "--json").stdout)["state"]
        step = playbook.find_step(state.split(".", 1)[1])
        if step.when:
            break
        for item in step.checklist:
            cli("check", "1", item.id)
        for fact_id in step.requires_facts:
            fact = playbook.find_fact(fact_id)
            cli("fact", "1", fact_id, fact.choices[0] if fact.choices else samples[fact.type])
        if step.reply:  # a step with a statement is left only once it is published
            label = cli("reply", "draft", "1", "--set", "next_update_at=15:00", "--set", "contact=care@example.org").stderr.split()[0]
            cli("reply", "approve", "1", label, "--as", "bea")
            cli("reply", "publish", "1", label)
        cli("next", "1")
    assert step.id == branch
