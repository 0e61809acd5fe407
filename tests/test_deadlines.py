"""Deadlines armed on entry, settled on exit, breached once by tick on the injected clock."""

from __future__ import annotations

import json

from tests.test_cli_lifecycle import CONTAIN, show


def deadlines(cli, ref="1", **kw) -> dict[str, dict]:
    return {d["deadline"]: d for d in show(cli, ref, **kw)["deadlines"]}


def test_open_arms_acknowledge_and_first_response_per_severity(workspace, cli):
    cli("open", "-p", "hijacked_account", "-t", "hacked", "--severity", "SEV3")
    armed = deadlines(cli)
    assert armed["acknowledge"]["due_at"] == "2026-11-20T11:00:00+00:00"  # SEV3: 1h
    assert armed["first_response"]["due_at"] == "2026-11-21T10:00:00+00:00"  # SEV3: 24h
    assert armed["acknowledge"]["seconds_left"] == 3600


def test_tick_breaches_escalates_once_and_twice_changes_nothing(workspace, cli):
    cli("open", "-p", "hijacked_account", "-t", "hacked")  # SEV2: acknowledge within 15 minutes
    assert cli("tick", "--now", "2026-11-20T10:14:59+00:00").stdout == ""
    out = cli("tick", "--now", "2026-11-20T10:20:00+00:00").stdout
    assert out == "INC-0001: acknowledge breached (due 2026-11-20 10:15 UTC); escalated to crisis_cell\n"
    before = show(cli, "1", now="2026-11-20T10:20:00+00:00")
    assert before["level"] == "crisis_cell" and [e["kind"] for e in before["events"]][-2:] == ["deadline_breached", "escalated"]
    assert cli("tick", "--now", "2026-11-20T10:20:00+00:00").stdout == ""
    assert show(cli, "1", now="2026-11-20T10:20:00+00:00")["events"] == before["events"]


def test_a_breach_at_the_top_level_is_recorded_without_escalating(workspace, cli):
    cli("open", "-p", "hijacked_account", "-t", "hacked", "--severity", "SEV1")
    out = cli("tick", "--now", "2026-11-20T12:00:00+00:00").stdout
    assert out.splitlines() == ["INC-0001: acknowledge breached (due 2026-11-20 10:10 UTC)",
                                "INC-0001: first_response breached (due 2026-11-20 11:00 UTC)"]
    assert show(cli, "1")["deadlines"][0]["status"] == "breached"


def test_leaving_a_state_settles_its_deadlines(workspace, cli):
    cli("open", "-p", "hijacked_account", "-t", "hacked")
    cli("ack", "1", now="2026-11-20T10:05:00+00:00")
    assert set(deadlines(cli)) == {"first_response"}
    for key, value in (("platform", "x"), ("attacker_posted", "no"), ("still_locked_out", "no")):
        cli("fact", "1", key, value)
    cli("respond", "1", now="2026-11-20T10:06:00+00:00")
    assert deadlines(cli)["step contain"]["due_at"] == "2026-11-20T10:36:00+00:00"  # SEV2: 30m
    for item in CONTAIN:
        cli("check", "1", item)
    cli("next", "1", now="2026-11-20T10:30:00+00:00")
    events = json.loads(cli("timeline", "1", "--json").stdout)
    assert events[-1]["data"]["deadlines_met"] == ["step contain"]
    assert [d["deadline"] for d in events[-1]["data"]["deadlines_armed"]] == ["step recover"]
    assert cli("tick", "--now", "2026-11-20T10:40:00+00:00").stdout == ""  # the contain deadline no longer exists


def test_closing_cancels_every_armed_deadline(workspace, cli):
    cli("open", "-p", "hijacked_account", "-t", "hacked")
    cli("dismiss", "1", "--note", "a test post by the agency")
    assert deadlines(cli) == {}
    assert cli("tick", "--now", "2027-01-01T00:00:00+00:00").stdout == ""


def test_tick_rejects_a_time_that_is_not_iso(workspace, cli):
    result = cli("tick", "--now", "tomorrow", code=2)
    assert "--now: 'tomorrow' is not an ISO 8601 time" in result.stderr
