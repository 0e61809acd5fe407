"""A live exercise driven by `CRISIS_NOW` ticks from `drill start` to `drill end`: injects land on ticks, messages
reach the facilitator marked as an exercise, a webhook publication is recorded "drill: not sent" and the real
loopback webhook receives nothing, a decision left alone takes its default, the after-action report is written."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from oncall_peers import WebhookPeer
from test_drills_simulator import SMALL

T0 = datetime.fromisoformat("2026-11-20T10:00:00+00:00")


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def webhook():
    peer = WebhookPeer()
    peer.start()
    yield peer
    peer.stop()


def test_a_live_exercise_from_start_to_end(workspace, cli, webhook):
    (workspace / "drills" / "small_buzz.yaml").write_text(SMALL, encoding="utf-8")
    toml = workspace / "crisis.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + f'\n[replies]\ncontact = "care@acme.example"\nwebhook_url = "{webhook.url}"\n',
                    encoding="utf-8")
    started = cli("drill", "start", "small_buzz", "--speed", "10", "--facilitator", "marc", now=at(0))
    assert started.stdout.startswith("drill #1 started: small_buzz at speed 10")
    cli("drill", "start", "small_buzz", now=at(0.5), user="marc", code=4)  # one exercise at a time

    first = cli("tick", now=at(1))  # T+10m of drill time: the critic's post, the facts, the start of the wave
    assert "[EXERCICE / DRILL]" in first.stdout and "DRILL: this is a crisis exercise" in first.stdout
    shown = json.loads(cli("show", "INC-0001", "--json", now=at(1)).stdout)
    assert shown["is_drill"] is True and shown["playbook"] == "bad_buzz"

    cli("ack", "INC-0001", now=at(2), user="ana")
    for key, value in (("origin_platform", "x"), ("offending_content", "ad_campaign"), ("sensitive_stakes", "no"),
                       ("fault_kind", "our_content"), ("subject", "notre publicité"), ("person_harmed", "no")):
        cli("fact", "INC-0001", key, value, now=at(2), user="ana")
    cli("respond", "INC-0001", now=at(2.5), user="ana")
    for item in ("capture_evidence", "measure_spread", "list_influential_authors", "freeze_scheduled_posts", "never_delete_critics", "alert_comms_lead"):
        cli("check", "INC-0001", item, now=at(3), user="ana")
    cli("next", "INC-0001", now=at(3), user="ana")
    cli("reply", "draft", "INC-0001", "--channel", "x", "--set", "next_update_at=15 h", now=at(4), user="ana")
    cli("reply", "approve", "INC-0001", "R1", now=at(4.5), user="marc")
    cli("reply", "publish", "INC-0001", "R1", "--via", "webhook", now=at(5), user="ana")
    cli("tick", now=at(6))  # the outbox is delivered: the drill publication was never queued
    assert webhook.posts == []
    published = [e for e in json.loads(cli("timeline", "INC-0001", "--json", now=at(6)).stdout) if e["kind"] == "reply_published"]
    assert [e["data"]["via"] for e in published] == ["drill: not sent"]

    cli("tick", now=at(19))  # T+3h10m: the decision point is put to the team
    status = json.loads(cli("drill", "status", "--json", now=at(19)).stdout)
    assert status["pending_decisions"] == ["delete_mocking"] and "silence_noted" in status["skipped"], json.dumps(status)[:1500]
    cli("drill", "decide", "delete_mocking", "nonsense", now=at(19.5), user="claire", code=2)
    cli("tick", now=at(23))  # T+3h50m: nobody decided within 30 minutes, the default (delete) stands
    cli("drill", "decide", "delete_mocking", "keep", now=at(23.5), user="claire", code=4)
    cli("tick", now=at(31))  # T+5h10m: the consequence of deleting fires
    status = json.loads(cli("drill", "status", "--json", now=at(31)).stdout)
    assert status["decisions"]["delete_mocking"]["by_default"] is True and "censorship" in status["sent"]

    ended = cli("drill", "end", "--report", "aar.md", now=at(40), user="marc")
    assert ended.stdout.startswith("drill #1 ended: small_buzz, score ")
    report = (workspace / "aar.md").read_text(encoding="utf-8")
    assert "# After-action report" in report and "## Areas for improvement" in report and "## Improvement plan" in report
    assert "| Rehearse: Keep | marc |" in report  # the decision rated U becomes a corrective action with an owner and a due date
    history = json.loads(cli("drill", "history", "--json", now=at(41)).stdout)
    assert [(h["status"], h["incident"]) for h in history] == [("ended", "INC-0001")] and history[0]["score"] is not None
    cli("drill", "status", now=at(41), code=3)  # nothing running any more
    cli("tick", now=at(125))  # the hours of drill mentions are judged by the spike detector: no real incident comes of them
    assert [i["is_drill"] for i in json.loads(cli("list", "--json", now=at(125)).stdout)] == [True]
    assert webhook.posts == []

    cli("drill", "start", "small_buzz", "--speed", "10", "--facilitator", "marc", now=at(130))  # the next drill (after the tick at 125: a timeline never goes back in time): the plan followed up
    cli("tick", now=at(131))
    cli("tick", now=at(149))
    cli("drill", "decide", "delete_mocking", "keep", now=at(150), user="claire")
    cli("drill", "end", "--report", "aar2.md", now=at(152), user="marc")
    second = (workspace / "aar2.md").read_text(encoding="utf-8")
    assert "## Last drill's plan" in second and "- [x] Rehearse: Keep (marc, " in second
