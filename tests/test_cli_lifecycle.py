"""A responder walks incidents through the CLI, end to end on a real database."""

from __future__ import annotations

import json

import pytest

from tests.conftest import T0

CONTAIN = ["secure_mailbox", "change_password", "revoke_sessions_and_apps", "enable_2fa", "remove_unknown_admins", "pause_scheduled_posts"]


def show(cli, ref="INC-0001", **kw) -> dict:
    return json.loads(cli("show", ref, "--json", **kw).stdout)


def test_hijacked_account_walked_from_detection_to_closed(workspace, cli):
    """Every trigger of the generic lifecycle, with the playbook's steps, ends closed with a verified chain."""
    out = cli("open", "--playbook", "hijacked_account", "--title", "Instagram posts a crypto scam", "--channel", "instagram").stdout
    assert "INC-0001 opened" in out and "SEV2" in out
    cli("ack", "INC-0001")
    for key, value in (("platform", "instagram"), ("attacker_posted", "no"), ("still_locked_out", "yes")):
        cli("fact", "INC-0001", key, value)
    cli("respond", "INC-0001")
    assert show(cli)["state"] == "responding.contain"
    for item in CONTAIN:
        cli("check", "INC-0001", item)
    cli("next", "INC-0001")
    for item in ["contact_platform_support", "capture_attacker_content", "remove_attacker_content", "check_ads_and_orders"]:
        cli("check", "INC-0001", item)
    for key, value in (("payment_or_ads_at_risk", "no"), ("became_aware_on", "2026-11-20"), ("private_messages_exposed", "no")):
        cli("fact", "INC-0001", key, value)
    cli("next", "INC-0001")
    for step_items in (["warn_followers", "answer_affected_people", "brief_internal_teams"],
                       ["report_to_platform", "report_to_authorities"],
                       ["inventory_accounts", "individual_logins", "offboarding_check"]):
        for item in step_items:
            cli("check", "INC-0001", item)
        if "warn_followers" in step_items:
            publish_statement(cli, "INC-0001")
        cli("next" if "offboarding_check" not in step_items else "stabilize", "INC-0001")
    cli("relapse", "INC-0001", "--note", "attacker back through a forgotten app")
    assert show(cli)["state"] == "responding.contain"
    for verb in ("next", "next", "next", "next", "stabilize", "resolve"):
        cli(verb, "INC-0001")
    cli("review", "INC-0001", "--what", "A former intern's password", "--gained", "2FA everywhere",
        "--follow-up", "Individual logins; ana; 2026-12-15")
    out = cli("close", "INC-0001").stdout
    assert "→ closed" in out
    view = show(cli)
    assert view["state"] == "closed" and view["allowed"] == []
    assert all(d["status"] != "armed" for d in view["deadlines"])
    assert "ok: 1 timeline(s)" in cli("audit", "verify").stdout


def test_skipping_the_containment_checklist_is_refused_with_the_reason(workspace, cli):
    """`next` before the checklist is complete names the open items and the actions allowed now; nothing is written."""
    cli("open", "-p", "hijacked_account", "-t", "hacked")
    cli("ack", "1")
    for key, value in (("platform", "x"), ("attacker_posted", "no"), ("still_locked_out", "no")):
        cli("fact", "1", key, value)
    cli("respond", "1")
    cli("check", "1", "secure_mailbox")
    before = show(cli, "1")
    result = cli("next", "1", code=4)
    assert "the checklist of step contain is not complete (5 of 6 open)" in result.stderr
    assert "revoke_sessions_and_apps" in result.stderr and "secure_mailbox:" not in result.stderr
    assert "Allowed now: no lifecycle action" in result.stderr  # the crisis cell is already convened
    assert "Hint: tick each item once it is done: crisis check REF ITEM" in result.stderr
    after = show(cli, "1")
    assert after["state"] == "responding.contain" and after["events"] == before["events"]


def test_respond_needs_the_triage_facts(workspace, cli):
    cli("open", "-p", "hijacked_account", "-t", "hacked")
    cli("ack", "1")
    result = cli("respond", "1", code=4)
    assert "starting the response needs these facts answered" in result.stderr
    assert "attacker_posted: Did the attacker post" in result.stderr


def test_a_trigger_from_the_wrong_state_names_the_states_it_starts_from(workspace, cli):
    cli("open", "-p", "hijacked_account", "-t", "hacked")
    result = cli("resolve", "1", code=4)
    assert "resolve is not possible in state detected; it starts from: monitoring" in result.stderr
    assert "Allowed now: acknowledge, dismiss, escalate" in result.stderr


def test_close_needs_the_post_incident_review(workspace, cli):
    cli("open", "-p", "hijacked_account", "-t", "hacked")
    cli("dismiss", "1", "--note", "our own test post")
    cli("reopen", "1")
    for key, value in (("platform", "x"), ("attacker_posted", "no"), ("still_locked_out", "no"), ("payment_or_ads_at_risk", "no"),
                       ("became_aware_on", "2026-11-20"), ("private_messages_exposed", "no")):
        cli("fact", "1", key, value)
    cli("respond", "1")
    for item in CONTAIN:
        cli("check", "1", item)
    cli("next", "1")
    assert show(cli, "1")["state"] == "responding.recover"


def test_closing_without_review_is_refused_then_accepted_with_a_review_file(workspace, cli, tmp_path):
    _walk_to_resolved(cli)
    result = cli("close", "1", code=4)
    assert "closing needs the post-incident review" in result.stderr
    review = tmp_path / "review.yaml"
    review.write_text("what_happened: Intern password reused\nwhat_gained: 2FA everywhere\n"
                      "follow_ups:\n  - {action: Individual logins, owner: ana, due: 2026-12-15}\n", encoding="utf-8")
    cli("review", "1", "--file", str(review))
    cli("close", "1")
    assert show(cli, "1")["review"]["follow_ups"] == [{"action": "Individual logins", "owner": "ana", "due_on": "2026-12-15"}]


def test_a_review_without_follow_ups_is_refused(workspace, cli):
    cli("open", "-p", "hijacked_account", "-t", "hacked")
    result = cli("review", "1", "--what", "x", "--gained", "y", code=2)
    assert "at least one --follow-up" in result.stderr
    result = cli("review", "1", "--what", "x", "--gained", "y", "--follow-up", "do it; ana; next week", code=2)
    assert "'next week' is not a date" in result.stderr


def test_a_fact_that_raises_severity_escalates(workspace, cli):
    """attacker_posted=yes makes a hijack SEV1: the crisis cell is convened and deadlines tighten."""
    cli("open", "-p", "hijacked_account", "-t", "hacked")
    ack_due = [d for d in show(cli, "1")["deadlines"] if d["deadline"] == "acknowledge"][0]["due_at"]
    cli("fact", "1", "attacker_posted", "oui")
    view = show(cli, "1")
    assert (view["severity"], view["level"]) == ("SEV1", "crisis_cell")
    new_due = [d for d in view["deadlines"] if d["deadline"] == "acknowledge"][0]["due_at"]
    assert (ack_due, new_due) == ("2026-11-20T10:15:00+00:00", "2026-11-20T10:10:00+00:00")
    kinds = [e["kind"] for e in view["events"]]
    assert kinds[-3:] == ["fact_set", "severity_changed", "escalated"]


def test_bad_fact_values_and_unknown_things_get_clear_errors(workspace, cli):
    cli("open", "-p", "hijacked_account", "-t", "hacked")
    assert "fact attacker_posted: 'maybe': expected yes or no" in cli("fact", "1", "attacker_posted", "maybe", code=2).stderr
    assert "asks no fact 'color'" in cli("fact", "1", "color", "red", code=3).stderr
    assert "no incident 'INC-0404'" in cli("show", "INC-0404", code=3).stderr
    assert "no playbook 'nope'" in cli("open", "-p", "nope", "-t", "x", code=3).stderr
    assert "unknown action 'fly'" in cli("do", "1", "fly", code=2).stderr
    assert "who is acting?" in cli("ack", "1", user="", code=2).stderr


def test_checking_an_item_of_another_step_names_its_step(workspace, cli):
    _walk_to(cli, "responding.contain")
    result = cli("check", "1", "report_to_platform", code=3)
    assert "belongs to step report, not the current step contain" in result.stderr


def test_escalate_climbs_one_level_then_refuses_at_the_top(workspace, cli):
    cli("open", "-p", "hijacked_account", "-t", "hacked", "--severity", "SEV3")
    assert show(cli, "1")["level"] == "community_manager"
    cli("escalate", "1", "--why", "influencer retweet")
    assert show(cli, "1")["level"] == "comms_lead"
    cli("escalate", "1")
    assert "already at the top escalation level (crisis_cell)" in cli("escalate", "1", code=4).stderr


def test_list_and_timeline(workspace, cli):
    cli("open", "-p", "hijacked_account", "-t", "first")
    cli("open", "-p", "hijacked_account", "-t", "second", "--drill")
    cli("dismiss", "1")
    rows = json.loads(cli("list", "--open", "--json").stdout)
    assert [(r["ref"], r["is_drill"]) for r in rows] == [("INC-0002", True)]
    assert "INC-0001" in cli("list").stdout
    events = json.loads(cli("timeline", "1", "--json").stdout)
    assert [e["kind"] for e in events] == ["opened", "transition"]
    assert events[1]["data"]["to"] == "dismissed" and events[1]["data"]["deadlines_met"] == ["acknowledge"]


def publish_statement(cli, ref: str) -> None:
    """The statement a step requires: drafted by ana, approved by bea (four eyes), published by hand."""
    label = cli("reply", "draft", ref, "--set", "next_update_at=15:00", "--set", "contact=care@acme.example").stderr.split()[0]
    cli("reply", "approve", ref, label, "--as", "bea")
    cli("reply", "publish", ref, label)


def _walk_to(cli, target: str) -> None:
    cli("open", "-p", "hijacked_account", "-t", "hacked")
    cli("ack", "1")
    for key, value in (("platform", "x"), ("attacker_posted", "no"), ("still_locked_out", "no"), ("payment_or_ads_at_risk", "no"),
                       ("became_aware_on", "2026-11-20"), ("private_messages_exposed", "no")):
        cli("fact", "1", key, value)
    cli("respond", "1")
    assert show(cli, "1")["state"] == target


def _walk_to_resolved(cli) -> None:
    _walk_to(cli, "responding.contain")
    from crisis.playbook.loader import load_playbook
    from pathlib import Path

    playbook = load_playbook(Path("playbooks/hijacked_account.yaml"))
    for n, step in enumerate(playbook.steps):
        for item in step.checklist:
            cli("check", "1", item.id)
        if step.reply:
            publish_statement(cli, "1")
        cli("next" if n < len(playbook.steps) - 1 else "stabilize", "1")
    cli("resolve", "1")
