"""Every way the issue found to rewrite a timeline quietly, each tried behind crisis's back with SQL on SQLite and
PostgreSQL: `audit verify` replays replies and deadlines, the audit key catches a recomputed chain, the anchor
catches a deleted incident and a truncated or rewritten timeline."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, text

from tests.test_replies_cli import bad_buzz_at_the_holding_statement

KEY = "k3y-for-the-audit-0123456789abcdef"
HOLD = ("--lang", "fr", "--set", "next_update_at=15 h")


class Sql:
    """Statements run straight on the test's database, as someone with its password would."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.sqlite = url.startswith("sqlite")

    def __call__(self, statement: str, **params):
        with self.engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return result.all() if result.returns_rows else None

    def instant(self, at: datetime):
        """`at` as this backend stores a UTCDateTime."""
        return at.replace(tzinfo=None) if self.sqlite else at

    def data(self, raw):
        return json.loads(raw) if isinstance(raw, str) else raw


@pytest.fixture
def sql(workspace, database_url):
    runner = Sql(database_url)
    yield runner
    runner.engine.dispose()


@pytest.fixture
def with_replies(workspace, cli):
    """INC-0001 with R1 published, R2 approved, R3 a draft; its timeline verifies."""
    bad_buzz_at_the_holding_statement(cli)
    for _ in range(3):
        cli("reply", "draft", "1", *HOLD)
    cli("reply", "approve", "1", "R1", "--as", "bea")
    cli("reply", "approve", "1", "R2", "--as", "bea")
    cli("reply", "publish", "1", "R1")
    assert cli("audit", "verify").stdout.startswith("ok: 1 timeline(s)")
    return cli


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@pytest.mark.parametrize("change,message", [
    ("UPDATE reply SET text = 'Nous ne commentons pas.' WHERE number = 2", "reply R2 has a text that does not match its hash"),
    (f"UPDATE reply SET text = 'Nous ne commentons pas.', text_hash = '{sha('Nous ne commentons pas.')}' WHERE number = 2",
     "reply R2 has text hash"),
    ("UPDATE reply SET status = 'approved', decided_by = 'bea' WHERE number = 3", "reply R3 has status 'approved' in the database but 'draft'"),
    ("UPDATE reply SET status = 'draft' WHERE number = 1", "reply R1 has status 'draft' in the database but 'published'"),
    ("UPDATE reply SET decided_by = 'mallory' WHERE number = 2", "reply R2 was decided by 'mallory' in the database but by 'bea'"),
    ("UPDATE reply SET published_by = 'mallory' WHERE number = 1", "reply R1 has publisher 'mallory' in the database but 'ana'"),
    ("UPDATE reply SET author = 'bea' WHERE number = 3", "reply R3 has author 'bea' in the database but 'ana'"),
    ("DELETE FROM reply WHERE number = 3", "reply R3 is on its timeline but not in the database: it was deleted"),
])
def test_a_reply_changed_without_an_event_is_found(with_replies, sql, change, message):
    """The chain verifies, but a reply's row says what no reply event said: replayed and named (exit 8)."""
    sql(change)
    result = with_replies("audit", "verify", code=8)
    assert "BROKEN INC-0001" in result.stderr and message in result.stderr, result.stderr


def test_a_reply_added_without_an_event_is_found(with_replies, sql):
    """A reply row nobody drafted on the timeline (inserted to pass for a published statement) is named."""
    sql("INSERT INTO reply (incident_id, number, template, template_path, channel, lang, text, text_hash, status, author, "
        "drafted_at, row_version) SELECT incident_id, 9, template, template_path, channel, lang, text, text_hash, 'published', "
        "author, drafted_at, 1 FROM reply WHERE number = 1")
    assert "reply R9 is in the database but never drafted on its timeline" in with_replies("audit", "verify", code=8).stderr


def test_swapping_an_approved_text_before_publishing_is_refused_then_found(with_replies, sql):
    """The issue's swap: R2's text replaced after its approval (its hash recomputed) cannot be published, and verify names it."""
    swapped = "Nous ne commentons pas les rumeurs."
    sql("UPDATE reply SET text = :text, text_hash = :digest WHERE number = 2", text=swapped, digest=sha(swapped))
    refused = with_replies("reply", "publish", "1", "R2", code=4)
    assert "R2's text is not the text that was approved" in refused.stderr
    assert "reply R2 has text hash" in with_replies("audit", "verify", code=8).stderr


@pytest.fixture
def with_deadlines(workspace, cli):
    """INC-0001 acknowledged (acknowledge met, first response armed); its timeline verifies."""
    cli("open", "-p", "bad_buzz", "-t", "Catalogue photo", "--channel", "x")
    cli("ack", "1")
    assert cli("audit", "verify").stdout.startswith("ok: 1 timeline(s)")
    return cli


@pytest.mark.parametrize("change,message", [
    ("UPDATE deadline SET status = 'met' WHERE kind = 'first_response'", "deadline first_response's status is 'met' in the incident but 'armed'"),
    ("UPDATE deadline SET status = 'armed' WHERE kind = 'acknowledge'", "deadline acknowledge's status is 'armed' in the incident but 'met'"),
    ("UPDATE deadline SET status = 'cancelled' WHERE kind = 'first_response'", "deadline first_response's status is 'cancelled'"),
    ("DELETE FROM deadline WHERE kind = 'first_response'", "the incident has 1 deadline(s) but its timeline arms 2"),
    ("UPDATE deadline SET due_at = :later WHERE kind = 'first_response'", "deadline first_response's due time is"),
])
def test_a_deadline_changed_without_an_event_is_found(with_deadlines, sql, change, message):
    """A deadline met, re-armed, cancelled, deleted or pushed back in the database alone is named (exit 8)."""
    sql(change, **({"later": sql.instant(datetime(2026, 12, 24, tzinfo=timezone.utc))} if ":later" in change else {}))
    result = with_deadlines("audit", "verify", code=8)
    assert "BROKEN INC-0001" in result.stderr and message in result.stderr and "changed without an event" in result.stderr, result.stderr


def test_deadlines_moved_by_a_severity_change_and_breached_by_tick_replay(with_deadlines):
    """The legitimate moves verify: a severity change reschedules, tick breaches, a transition meets and arms."""
    cli = with_deadlines
    cli("severity", "1", "SEV1", "--why", "a journalist picked it up")
    cli("tick", now="2026-11-23T10:00:00+00:00")
    cli("fact", "1", "origin_platform", "x")
    assert cli("audit", "verify").stdout.startswith("ok: 1 timeline(s)")
