"""The outbox against hostile titles and misbehaving peers, all real on loopback: a CR/LF in a title, a
message that cannot be sent among good ones, a redirect, a forbidden scheme, a peer that dribbles."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from crisis.clock import VirtualClock
from crisis.db import open_engine, transaction
from crisis.outbox.delivery import deliver
from crisis.outbox.notifiers import SmtpNotifier, WebhookNotifier
from crisis.outbox.queue import enqueue
from crisis.outbox.urls import check_url
from tests.oncall_peers import HOST, DribblingPeer, SmtpPeer, WebhookPeer
from tests.test_oncall_roster import install_roster

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def outbox(database_url):
    """A migrated engine and a clock, to queue messages as paging and publishing do."""
    engine = open_engine(database_url)
    yield engine, VirtualClock(T0)
    engine.dispose()


def queue(engine, clock, *messages: tuple[str, str]) -> None:
    """Queue (channel, target) messages, keyed m0, m1, … in that order."""
    with transaction(engine) as session:
        for i, (channel, target) in enumerate(messages):
            enqueue(session, clock.now(), kind="page", channel=channel, target=target, subject=f"page {i}", body="Acknowledge.",
                    idempotency_key=f"m{i}")


def statuses(engine) -> dict[str, tuple[str, int, str | None]]:
    from sqlalchemy import select

    from crisis.outbox.models import Notification

    with transaction(engine) as session:
        return {n.idempotency_key: (n.status, n.attempts, n.last_error) for n in session.scalars(select(Notification))}


def test_a_title_with_cr_lf_injects_no_header_and_never_stops_e_mail_paging(workspace, cli, monkeypatch):
    """`open --title $'Ad\\r\\nBcc: x@evil'`: the page goes out with the title on one line, no Bcc, and later pages too."""
    peer = SmtpPeer()
    for key, value in peer.env().items():
        monkeypatch.setenv(key, value)
    install_roster(workspace)
    peer.start()
    try:
        cli("open", "-p", "defamatory_review", "-t", "Ad\r\nBcc: x@evil.example", "--severity", "SEV3")
        first = cli("tick")
        cli("open", "-p", "defamatory_review", "-t", "Second fake review", "--severity", "SEV3")
        second = cli("tick")
    finally:
        peer.stop()
    assert "INC-0001 notification #1 smtp → ana@acme.example: sent (attempt 1)" in first.stdout
    assert "INC-0002 notification #2 smtp → ana@acme.example: sent (attempt 1)" in second.stdout
    [(to1, mail1), (to2, _)] = peer.messages
    assert to1 == to2 == ["ana@acme.example"], "nobody else received the page"
    assert mail1["Bcc"] is None and mail1["Subject"] == "[SEV3] INC-0001 Ad Bcc: x@evil.example — on-call level 1"


def test_a_message_that_cannot_be_sent_is_failed_with_its_reason_and_the_others_go_out(outbox):
    """A recipient with a line break in it: failed at once, named; the messages queued before and after are delivered."""
    engine, clock = outbox
    peer = SmtpPeer()
    peer.start()
    try:
        queue(engine, clock, ("smtp", "ana@acme.example"), ("smtp", "bad@acme.example\r\nBcc: x@evil.example"), ("smtp", "bruno@acme.example"))
        done = deliver(lambda: transaction(engine), clock, {"smtp": SmtpNotifier(HOST, peer.port)})
    finally:
        peer.stop()
    assert [(d.notification_id, d.outcome) for d in done] == [(1, "sent"), (2, "failed"), (3, "sent")]
    assert statuses(engine)["m1"] == ("failed", 1, "'bad@acme.example\\r\\nBcc: x@evil.example' is not an e-mail address")
    assert sorted(to for (to,), _ in peer.messages) == ["ana@acme.example", "bruno@acme.example"]


def test_a_webhook_answering_302_is_not_followed_and_the_page_is_failed_not_sent(outbox):
    """A redirected POST would lose its body: the 302 is a failure naming the redirect; nothing is fetched."""
    engine, clock = outbox
    peer = WebhookPeer()
    peer.status, peer.location = 302, "ftp://files.example.com/drop?token=abc123"
    peer.start()
    try:
        queue(engine, clock, ("webhook", peer.url))
        [done] = deliver(lambda: transaction(engine), clock, {"webhook": WebhookNotifier()})
    finally:
        peer.stop()
    assert (done.outcome, peer.gets, sum(peer.keys.values())) == ("failed", [], 1)
    assert done.error == (f"webhook {peer.url} answered HTTP 302 (redirect to ftp://files.example.com/drop?***): "
                          "a POST is never redirected; set the final URL in the configuration")
    assert statuses(engine)["m0"][0] == "failed"


@pytest.mark.parametrize("url,problem", [
    ("https://hooks.slack.com/services/T0/B0/x", None),
    ("http://127.0.0.1:8080/hook", None),
    ("http://localhost/hook", None),
    ("http://[::1]:9/hook", None),
    ("file:///etc/passwd", "scheme 'file' is not allowed; use an https:// URL"),
    ("ftp://files.example.com/drop", "scheme 'ftp' is not allowed; use an https:// URL"),
    ("gopher://127.0.0.1/", "scheme 'gopher' is not allowed; use an https:// URL"),
    ("http://hooks.example.com/x", "plain http:// to hooks.example.com would send pages unencrypted; use https:// "
                                   "(or set CRISIS_WEBHOOK_ALLOW_HTTP=yes on a trusted network)"),
    ("https:///no-host", "the URL names no host; expected https://host/path"),
    ("https://hooks.example.com/a b", "a URL cannot contain spaces, line breaks or control characters"),
    ("https://hooks.example.com:99999/x", "not a valid URL; expected https://host/path"),
])
def test_check_url_allows_https_and_loopback_http_only(url, problem):
    assert check_url(url) == problem


def test_http_off_loopback_needs_the_setting_that_allows_it():
    assert check_url("http://hooks.example.com/x", allow_http=True) is None
    assert check_url("file:///etc/passwd", allow_http=True) == "scheme 'file' is not allowed; use an https:// URL"


@pytest.mark.parametrize("url,problem", [
    ("file:///etc/passwd", "'file:///etc/passwd': scheme 'file' is not allowed; use an https:// URL"),
    ("ftp://files.example.com/drop", "'ftp://files.example.com/drop': scheme 'ftp' is not allowed; use an https:// URL"),
    ("http://hooks.example.com/crisis", "'http://hooks.example.com/crisis': plain http:// to hooks.example.com would send pages "
                                        "unencrypted; use https:// (or set CRISIS_WEBHOOK_ALLOW_HTTP=yes on a trusted network)"),
])
def test_a_roster_webhook_with_a_forbidden_scheme_is_refused_at_load_with_file_line_column(workspace, cli, url, problem):
    install_roster(workspace, webhook=url)
    result = cli("oncall", "check", code=5)
    assert f"oncall.yaml:10:97: people[2] (claire).webhook: {problem}" in result.stderr
    assert "Hint: fix the roster, then run `crisis oncall check`" in result.stderr


def test_http_to_a_host_off_loopback_is_refused_unless_allowed(outbox, monkeypatch):
    """The roster accepts it with CRISIS_WEBHOOK_ALLOW_HTTP=yes; the notifier refuses it without, before any request."""
    engine, clock = outbox
    peer = WebhookPeer(host="192.0.2.2")  # this machine's own network address: not loopback
    try:
        peer.start()
    except OSError:
        pytest.skip("no network address besides loopback to listen on")
    try:
        queue(engine, clock, ("webhook", peer.url), ("webhook", peer.url.replace("/hook", "/other")))
        [refused] = deliver(lambda: transaction(engine), clock, {"webhook": WebhookNotifier()}, limit=1)
        [allowed] = deliver(lambda: transaction(engine), clock, {"webhook": WebhookNotifier(allow_http=True)})
    finally:
        peer.stop()
    assert refused.outcome == "failed" and "plain http:// to 192.0.2.2 would send pages unencrypted" in refused.error
    assert allowed.outcome == "sent" and len(peer.posts) == 1


def test_a_stored_file_url_is_never_opened(outbox):
    """A row queued before the checks existed: `file:///etc/passwd` is failed, not "sent"."""
    engine, clock = outbox
    queue(engine, clock, ("webhook", "file:///etc/passwd"))
    [done] = deliver(lambda: transaction(engine), clock, {"webhook": WebhookNotifier()})
    assert (done.outcome, done.error) == ("failed", "webhook file:///etc/passwd refused: scheme 'file' is not allowed; use an https:// URL")


def test_a_dribbling_peer_is_cut_at_the_deadline_and_delays_only_its_own_messages(outbox):
    """A peer answering one byte every 0.25 s: each delivery to it ends at the 1.5 s deadline and is retried;
    the six pages to the fast peer, queued after them, were all received before the first slow one ended."""
    engine, clock = outbox
    fast = WebhookPeer()
    slow = DribblingPeer(every=0.25, count=40, watch=lambda: sum(fast.keys.values()))
    fast.start()
    slow.start()
    try:
        queue(engine, clock, ("webhook", slow.url), ("webhook", slow.url + "2"), *[("webhook", fast.url)] * 6)
        done = deliver(lambda: transaction(engine), clock, {"webhook": WebhookNotifier(deadline=1.5)}, workers=3)
    finally:
        fast.stop()
        slow.stop()
    outcomes = {d.notification_id: d.outcome for d in done}
    assert outcomes == {1: "retry", 2: "retry", 3: "sent", 4: "sent", 5: "sent", 6: "sent", 7: "sent", 8: "sent"}
    assert [d.error for d in done[:2]] == [f"webhook {slow.url} did not answer within the 1.5 s deadline",
                                           f"webhook {slow.url[:-4]}*** did not answer within the 1.5 s deadline"]
    assert slow.cut_at == [6, 6], "both slow deliveries were cut, after the fast peer had all six"
    assert statuses(engine)["m0"][:2] == ("pending", 1)
