"""The outbox delivered to real peers on loopback: an SMTP server (aiosmtpd), a webhook receiver
(http.server), a peer down then up, a peer that never comes back; through `crisis tick` end to end."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.oncall_peers import SmtpPeer, WebhookPeer
from tests.test_oncall_roster import install_roster


@pytest.fixture
def smtp(monkeypatch):
    peer = SmtpPeer()
    for key, value in peer.env().items():
        monkeypatch.setenv(key, value)
    yield peer
    peer.stop()


@pytest.fixture
def webhook():
    peer = WebhookPeer()
    yield peer
    peer.stop()


def at(minutes: int, start: str = "2026-11-22T01:00:00+00:00") -> str:
    return (datetime.fromisoformat(start) + timedelta(minutes=minutes)).isoformat()


def timeline(cli, ref="INC-0001") -> list[dict]:
    return json.loads(cli("timeline", ref, "--json").stdout)


def test_the_smtp_server_receives_the_page_with_the_ref_and_what_to_do(workspace, cli, smtp, webhook):
    install_roster(workspace, webhook=webhook.url)
    smtp.start()
    cli("open", "-p", "defamatory_review", "-t", "Fake one-star review on Google", "--severity", "SEV3")
    out = cli("tick").stdout
    assert "INC-0001 notification #1 smtp → ana@acme.example: sent (attempt 1)" in out
    [(recipients, mail)] = smtp.messages
    assert recipients == ["ana@acme.example"]
    assert mail["Subject"] == "[SEV3] INC-0001 Fake one-star review on Google — on-call level 1"
    assert mail["From"] == "crisis@acme.example" and mail["X-Crisis-Idempotency-Key"].startswith("page:INC-0001:")
    body = mail.get_content()
    assert "Ana Martin, you are on call for INC-0001 (defamatory_review, SEV3, state detected)." in body
    assert "1. Acknowledge (this stops the escalation): crisis oncall ack INC-0001 --as YOUR_ID" in body
    assert "If nobody acknowledges by 2026-11-20 11:15 CET, the next level is paged." in body  # in ana's time zone
    cli("tick", now="2026-11-20T10:01:00+00:00")
    assert len(smtp.messages) == 1, "a sent page is never sent again"
    [row] = json.loads(cli("oncall", "outbox", "--json").stdout)
    assert (row["status"], row["target"], row["attempts"], row["last_error"]) == ("sent", "ana@acme.example", 1, None)
    assert not [e for e in timeline(cli) if e["kind"].startswith("notification_")], "delivery never writes on the incident"


def test_the_webhook_receives_slack_compatible_json_with_an_idempotency_key(workspace, cli, smtp, webhook):
    install_roster(workspace, webhook=webhook.url)
    smtp.start()
    webhook.start()
    cli("open", "-p", "bad_buzz", "-t", "Catalogue photo", "--severity", "SEV1", "--drill")
    cli("tick")
    [(headers, document)] = webhook.posts
    assert document["text"].startswith("[EXERCICE / DRILL] [SEV1] INC-0001 Catalogue photo — on-call level 1\nEXERCICE — ceci est un exercice")
    assert headers["Idempotency-Key"] == document["idempotency_key"] and document["is_drill"] is True
    assert (document["incident"], document["person"], document["level"]) == ("INC-0001", "claire", 1)
    assert sorted(to for (to,), _ in smtp.messages) == ["ana@acme.example", "claire@acme.example"]
    assert all(mail["X-Crisis-Drill"] == "yes" for _, mail in smtp.messages)


def test_a_publication_queued_by_another_part_goes_through_the_same_outbox(database_url, webhook):
    """`enqueue(channel="webhook", target=URL)` then `deliver`: the payload is posted as given, with its key."""
    from crisis.clock import VirtualClock
    from crisis.db import open_engine, transaction
    from crisis.outbox.notifiers import WebhookNotifier
    from crisis.outbox.queue import enqueue
    from crisis.outbox.delivery import deliver

    webhook.start()
    clock, engine = VirtualClock(datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)), open_engine(database_url)
    with transaction(engine) as session:
        enqueue(session, clock.now(), kind="publish", channel="webhook", target=webhook.url, subject="reply 3", body="Hello",
                idempotency_key="reply:3:publish", payload={"reply_id": 3, "text": "We hear you.", "channel": "x"})
    [delivery] = deliver(lambda: transaction(engine), clock, {"webhook": WebhookNotifier()})
    engine.dispose()
    assert (delivery.outcome, delivery.ref) == ("sent", None)
    [(headers, document)] = webhook.posts
    assert document == {"text": "We hear you.", "idempotency_key": "reply:3:publish", "is_drill": False, "reply_id": 3, "channel": "x"}
    assert headers["Idempotency-Key"] == "reply:3:publish"


def test_a_sev1_at_2am_on_sunday_with_the_mail_server_down_for_20_minutes(workspace, cli, smtp, webhook):
    """The night as a new user would run it: each page received exactly once, retries on the timeline,
    the escalation stopped by an acknowledgement, a closing refused to someone without the role."""
    install_roster(workspace, webhook=webhook.url)
    roster = (workspace / "oncall.yaml").read_text(encoding="utf-8").replace("attempts: 4", "attempts: 10")
    (workspace / "oncall.yaml").write_text(roster, encoding="utf-8")
    webhook.start()
    out = cli("open", "-p", "bad_buzz", "-t", "Naked man in the catalogue photo", "--severity", "SEV1", now=at(0)).stdout
    assert "INC-0001 opened" in out
    ticks = {}
    for minute in range(0, 34, 2):
        if minute == 20:
            smtp.start()
        ticks[minute] = cli("tick", now=at(minute)).stdout
    cli("oncall", "ack", "INC-0001", "--as", "bruno", now=at(34))
    for minute in range(36, 62, 2):
        cli("tick", now=at(minute))
    paged = [(e["at"][11:16], e["data"]["level"], [p["person"] for p in e["data"]["people"]]) for e in timeline(cli) if e["kind"] == "paged"]
    assert paged == [("01:00", 1, ["bruno", "claire"]), ("01:10", 2, ["david", "eve"]), ("01:26", 1, ["bruno", "claire"]),
                     ("02:00", 1, ["bruno", "claire"])]  # after the ack, only the first-response breach pages again
    received = sorted(mail["X-Crisis-Idempotency-Key"] for _, mail in smtp.messages)
    assert len(received) == len(set(received)) == 2 + 2 + 2 + 2, "every e-mail page received exactly once"
    assert len(webhook.posts) == 3 and all(h["Idempotency-Key"] for h, _ in webhook.posts)
    first = [(minute, line.split(": ", 1)[1][:26]) for minute, out in ticks.items() for line in out.splitlines()
             if line.startswith("INC-0001 notification #1 ")]
    assert first == [(0, "attempt 1 failed (SMTP 127"), (2, "attempt 2 failed (SMTP 127"), (4, "attempt 3 failed (SMTP 127"),
                     (8, "attempt 4 failed (SMTP 127"), (16, "attempt 5 failed (SMTP 127"), (26, "sent (attempt 6)")]  # doubling
    outbox = json.loads(cli("oncall", "outbox", "--json", now=at(60)).stdout)
    assert {n["status"] for n in outbox} == {"sent"}
    refused = cli("close", "INC-0001", "--as", "bruno", now=at(60), code=4)
    assert "closing INC-0001 needs the role comms_lead or direction (playbook bad_buzz); bruno holds community_manager" in refused.stderr
    assert "Hint: held by Claire Dubois (claire: comms_lead), David Moreau (david: direction)" in refused.stderr


def test_a_peer_that_never_comes_back_is_marked_failed_and_shown(workspace, cli, smtp, webhook):
    install_roster(workspace, webhook=webhook.url)
    webhook.status = 503
    webhook.start()
    smtp.start()
    cli("open", "-p", "bad_buzz", "-t", "Catalogue photo", "--severity", "SEV1", now=at(0))
    outputs = [cli("tick", now=at(minute)).stdout for minute in (0, 1, 3, 7)]
    assert "notification #3 webhook → http://127.0.0.1" in outputs[0] and "attempt 1 failed (webhook" in outputs[0]
    assert "answered HTTP 503); retry at 01:01:00 UTC" in outputs[0]
    assert "FAILED after 4 attempt(s): webhook" in outputs[-1]
    failed = json.loads(cli("oncall", "outbox", "--status", "failed", "--json", now=at(8)).stdout)
    assert [(n["id"], n["channel"], n["person"], n["attempts"]) for n in failed] == [(3, "webhook", "claire", 4)]
    shown = cli("show", "INC-0001", now=at(8)).stdout
    assert "pages      2 delivered, 0 pending, 1 FAILED  (crisis oncall outbox --ref INC-0001)" in shown
    assert "FAILED #3 webhook → http://127.0.0.1" in shown and "after 4 attempt(s): webhook" in shown
    assert len(smtp.messages) == 2  # the e-mails went out all the same


def test_without_an_smtp_server_configured_pages_wait_and_tick_says_so(workspace, cli, monkeypatch):
    install_roster(workspace)
    monkeypatch.delenv("CRISIS_SMTP_HOST", raising=False)
    cli("open", "-p", "defamatory_review", "-t", "Fake review", "--severity", "SEV3")
    result = cli("tick")
    assert "1 smtp notification(s) wait for a notifier: set CRISIS_SMTP_HOST" in result.stderr
    assert json.loads(cli("oncall", "outbox", "--json").stdout)[0]["status"] == "pending"


def test_watch_ticks_and_delivers(workspace, cli, smtp):
    install_roster(workspace)
    smtp.start()
    cli("open", "-p", "defamatory_review", "-t", "Fake review", "--severity", "SEV3")
    result = cli("watch", "--interval", "0", "--count", "2")
    assert "sent (attempt 1)" in result.stdout and len(smtp.messages) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback: no TLS in the test peer
def test_smtp_credentials_come_from_the_environment_and_a_refused_login_fails_at_once(workspace, cli, monkeypatch):
    """CRISIS_SMTP_USER/PASSWORD log in; a wrong password is a permanent refusal: failed, not retried."""
    peer = SmtpPeer(credentials=("crisis-bot", "s3cret"))
    for key, value in {**peer.env(), "CRISIS_SMTP_USER": "crisis-bot", "CRISIS_SMTP_PASSWORD": "wrong"}.items():
        monkeypatch.setenv(key, value)
    install_roster(workspace)
    peer.start()
    try:
        cli("open", "-p", "defamatory_review", "-t", "Fake review", "--severity", "SEV3")
        out = cli("tick").stdout
        assert "FAILED after 1 attempt(s): SMTP 127.0.0.1" in out and "answered 535" in out
        monkeypatch.setenv("CRISIS_SMTP_PASSWORD", "s3cret")
        cli("open", "-p", "defamatory_review", "-t", "Another fake review", "--severity", "SEV3")
        assert "sent (attempt 1)" in cli("tick").stdout
    finally:
        peer.stop()
    assert {user for user, _ in peer.logins} == {"crisis-bot"}
    assert [ok for _, ok in peer.logins] == [False] * (len(peer.logins) - 1) + [True]  # smtplib tries PLAIN, then LOGIN
    assert [to for to, _ in peer.messages] == [["ana@acme.example"]]


def test_a_timeline_recorded_with_delivery_events_stays_readable_and_verified(workspace, cli, database_url):
    """Timelines written before delivery left the timeline still hold `notification_*` events: told, and verified."""
    from crisis.db import open_engine, transaction
    from crisis.incident.service import get_incident
    from crisis.incident.events import parse_event
    from crisis.incident.timeline import append_event

    cli("open", "-p", "defamatory_review", "-t", "Fake review", "--severity", "SEV3")
    engine = open_engine(database_url)
    with transaction(engine) as session:
        incident = get_incident(session, "INC-0001")
        at = datetime(2026, 11, 20, 10, 0, 30, tzinfo=timezone.utc)
        append_event(session, incident, at, "outbox", parse_event("notification_retry", {
            "notification": 1, "kind": "page", "channel": "smtp", "target": "ana@acme.example", "person": "ana", "attempt": 1,
            "error": "SMTP 127.0.0.1:25 unreachable", "next_attempt_at": "2026-11-20T10:01:30+00:00"}))
        append_event(session, incident, at + timedelta(minutes=1), "outbox", parse_event("notification_sent", {
            "notification": 1, "kind": "page", "channel": "smtp", "target": "ana@acme.example", "person": "ana", "attempt": 2,
            "error": None, "next_attempt_at": None}))
    engine.dispose()
    story = cli("timeline", "INC-0001").stdout
    assert "notification #1 smtp → ana@acme.example attempt 1 failed: SMTP 127.0.0.1:25 unreachable; retry at" in story
    assert "notification #1 smtp → ana@acme.example delivered (attempt 2)" in story
    assert "ok: 1 timeline(s)" in cli("audit", "verify").stdout


def test_pages_still_queued_are_cancelled_when_the_incident_is_acknowledged(workspace, cli):
    """A peer down: pages wait for a retry. Once someone acknowledges, the waiting pages are cancelled, never sent late."""
    install_roster(workspace)
    cli("open", "--playbook", "bad_buzz", "--title", "Catalogue photo", "--severity", "SEV1", now="2026-11-20T10:00:00+00:00")
    assert {n["status"] for n in json.loads(cli("oncall", "outbox", "--json").stdout)} == {"pending"}
    cli("oncall", "ack", "INC-0001", "--as", "claire", now="2026-11-20T10:02:00+00:00")
    waiting = {n["id"]: (n["status"], n["last_error"]) for n in json.loads(cli("oncall", "outbox", "--json").stdout)}
    assert waiting and all(s == "cancelled" and "paging acknowledged" in e for s, e in waiting.values()), waiting
    cli("tick", "--now", "2026-11-20T10:30:00+00:00")  # a later breach may page anew; the cancelled ones stay unsent
    after = {n["id"]: n["status"] for n in json.loads(cli("oncall", "outbox", "--json").stdout)}
    assert all(after[i] == "cancelled" for i in waiting)
