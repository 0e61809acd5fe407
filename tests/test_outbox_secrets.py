"""Secrets stay secret: credentials and webhook tokens redacted from everything printed or recorded, webhooks
signed with CRISIS_WEBHOOK_SECRET, no SMTP password over plain TCP off this machine. Real peers on loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime

import pytest

from crisis.outbox.urls import redact_text, redact_url
from tests.oncall_peers import SmtpPeer, WebhookPeer
from tests.test_oncall_roster import install_roster

T0 = "2026-11-20T10:00:00+00:00"


def verify(secret: str, headers: dict[str, str], body: bytes, now: int, *, tolerance: int = 300) -> bool:
    """What a receiver does (the README's recipe): recompute the HMAC over "<timestamp>.<body>", compare in
    constant time, and refuse a timestamp more than five minutes away (a replay)."""
    stamp, signature = headers.get("X-Crisis-Timestamp", ""), headers.get("X-Crisis-Signature", "")
    expected = "v1=" + hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature) and stamp.isdigit() and abs(now - int(stamp)) <= tolerance


@pytest.mark.parametrize("url,shown", [
    ("https://hooks.slack.com/services/T01ABCDEF/B02GHIJKL/aBcDeFgHiJkLmNoPqRsTuVwX", "https://hooks.slack.com/services/***/***/***"),
    ("http://admin:hunter2@127.0.0.1:8080/hook", "http://***@127.0.0.1:8080/hook"),
    ("https://hook.eu1.make.com/abcdefghijklmnopqrstuvwxyz012345", "https://hook.eu1.make.com/***"),
    ("https://hooks.zapier.com/hooks/catch/123456/abcdef/", "https://hooks.zapier.com/hooks/catch/***/***/"),
    ("https://n8n.acme.example/webhook/3f2b1c4d-aaaa-bbbb-cccc-1234567890ab", "https://n8n.acme.example/webhook/***"),
    ("https://discord.com/api/webhooks/123/TokenWithCaps", "https://discord.com/api/webhooks/***/***"),
    ("https://example.com/hook?token=s3cret&x=1", "https://example.com/hook?***"),
])
def test_redact_url_keeps_the_host_and_hides_credentials_and_tokens(url, shown):
    assert redact_url(url) == shown


def test_redact_text_hides_every_url_in_a_library_message():
    text = "webhook unreachable: <urlopen error http://bob:pw@10.0.0.1/a1b2c3>, then https://x.example/T0K3N."
    assert redact_text(text) == "webhook unreachable: <urlopen error http://***@10.0.0.1/***>, then https://x.example/***."


def test_a_webhook_token_and_password_appear_nowhere_printed_or_recorded(workspace, cli):
    """`http://admin:hunter2@…/services/T01/B02/tok3n` answering 400: tick, outbox, show and the timeline never
    show hunter2 nor the token; the receiver got the credentials as HTTP Basic all the same."""
    peer = WebhookPeer()
    peer.status = 400
    peer.start()
    url = f"http://admin:hunter2@127.0.0.1:{peer.port}/services/T01SECRET/B02SECRET/tok3nSECRETxyz"
    install_roster(workspace, webhook=url)
    try:
        cli("open", "-p", "bad_buzz", "-t", "Catalogue photo", "--severity", "SEV1")
        ticked = cli("tick")
    finally:
        peer.stop()
    shown = f"http://***@127.0.0.1:{peer.port}/services/***/***/***"
    assert f"notification #3 webhook → {shown}: FAILED after 1 attempt(s): webhook {shown} answered HTTP 400" in ticked.stdout
    outputs = [ticked.stdout, ticked.stderr, cli("oncall", "outbox", "--json").stdout, cli("show", "INC-0001").stdout,
               cli("show", "INC-0001", "--json").stdout, cli("timeline", "INC-0001", "--json").stdout,
               cli("oncall", "outbox").stdout]
    assert shown in outputs[3]
    for out in outputs:
        assert "hunter2" not in out and "SECRET" not in out and "admin" not in out
    [(headers, _)] = peer.raw
    assert base64.b64decode(headers["Authorization"].removeprefix("Basic ")) == b"admin:hunter2"


def test_webhooks_are_signed_with_the_secret_from_the_environment(workspace, cli, monkeypatch):
    """X-Crisis-Signature is the HMAC-SHA256 of "<timestamp>.<body>"; the timestamp is the tick's clock;
    a receiver verifying it accepts the page and would reject a forged or altered body."""
    monkeypatch.setenv("CRISIS_WEBHOOK_SECRET", "whsec-test-0123456789")
    peer = WebhookPeer()
    peer.start()
    install_roster(workspace, webhook=peer.url)
    try:
        cli("open", "-p", "bad_buzz", "-t", "Catalogue photo", "--severity", "SEV1")
        cli("tick", "--now", T0)
    finally:
        peer.stop()
    [(headers, body)] = peer.raw
    now = int(datetime.fromisoformat(T0).timestamp())
    assert headers["X-Crisis-Timestamp"] == str(now)
    assert verify("whsec-test-0123456789", headers, body, now)
    assert not verify("whsec-test-0123456789", headers, body.replace(b"Catalogue", b"Catalog"), now), "an altered body"
    assert not verify("another-secret", headers, body, now), "a forger without the secret"
    assert not verify("whsec-test-0123456789", headers, body, now + 3600), "a replay an hour later"


def test_without_a_secret_webhooks_carry_no_signature(workspace, cli, monkeypatch):
    monkeypatch.delenv("CRISIS_WEBHOOK_SECRET", raising=False)
    peer = WebhookPeer()
    peer.start()
    install_roster(workspace, webhook=peer.url)
    try:
        cli("open", "-p", "bad_buzz", "-t", "Catalogue photo", "--severity", "SEV1")
        cli("tick")
    finally:
        peer.stop()
    [(headers, _)] = peer.raw
    assert "X-Crisis-Signature" not in headers and headers["Idempotency-Key"]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_no_smtp_password_over_plain_tcp_off_loopback_unless_allowed(workspace, cli, monkeypatch):
    """A server on this machine's network address, no STARTTLS: the login is refused before connecting and the
    page waits; CRISIS_SMTP_ALLOW_PLAINTEXT=yes lets it go."""
    peer = SmtpPeer(credentials=("crisis-bot", "s3cret"), host="192.0.2.2")
    try:
        peer.start()
    except OSError:
        pytest.skip("no network address besides loopback to listen on")
    for key, value in {**peer.env(), "CRISIS_SMTP_USER": "crisis-bot", "CRISIS_SMTP_PASSWORD": "s3cret"}.items():
        monkeypatch.setenv(key, value)
    install_roster(workspace)
    try:
        cli("open", "-p", "defamatory_review", "-t", "Fake review", "--severity", "SEV3")
        refused = cli("tick").stdout
        assert (peer.logins, peer.messages) == ([], [])
        monkeypatch.setenv("CRISIS_SMTP_ALLOW_PLAINTEXT", "yes")
        sent = cli("tick", now="2026-11-20T10:05:00+00:00").stdout
    finally:
        peer.stop()
    assert ("attempt 1 failed (SMTP 192.0.2.2:%d: refusing to send the SMTP password over plain TCP; set CRISIS_SMTP_STARTTLS=yes "
            "(or CRISIS_SMTP_ALLOW_PLAINTEXT=yes on a trusted network))" % peer.port) in refused
    assert "s3cret" not in refused and "sent (attempt 2)" in sent
    assert peer.logins[-1] == ("crisis-bot", True) and [to for to, _ in peer.messages] == [["ana@acme.example"]]
    assert json.loads(cli("oncall", "outbox", "--json").stdout)[0]["status"] == "sent"


@pytest.mark.parametrize("value", ["abc", "0", "600"])
def test_a_malformed_delivery_deadline_is_named_with_what_is_expected(workspace, cli, monkeypatch, value):
    monkeypatch.setenv("CRISIS_DELIVERY_DEADLINE", value)
    result = cli("tick", code=5)
    assert f"Error: CRISIS_DELIVERY_DEADLINE: '{value}' is not a number of seconds between 0 and 120" in result.stderr
    assert "Hint: e.g. CRISIS_DELIVERY_DEADLINE=20" in result.stderr
