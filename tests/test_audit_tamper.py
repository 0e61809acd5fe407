"""Every way the issue found to rewrite a timeline quietly, each tried behind crisis's back with SQL on SQLite and
PostgreSQL: `audit verify` replays replies and deadlines, the audit key catches a recomputed chain, the anchor
catches a deleted incident and a truncated or rewritten timeline."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import pytest

from tests.test_replies_cli import bad_buzz_at_the_holding_statement

KEY = "k3y-for-the-audit-0123456789abcdef"
HOLD = ("--lang", "fr", "--set", "next_update_at=15 h")


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


REPLY_CHANGES = [
    ("UPDATE reply SET text = 'Nous ne commentons pas.' WHERE number = 2", "reply R2 has a text that does not match its hash"),
    (f"UPDATE reply SET text = 'Nous ne commentons pas.', text_hash = '{sha('Nous ne commentons pas.')}' WHERE number = 2",
     "reply R2 has text hash"),
    ("UPDATE reply SET status = 'approved', decided_by = 'bea' WHERE number = 3", "reply R3 has status 'approved' in the database but 'draft'"),
    ("UPDATE reply SET status = 'draft' WHERE number = 1", "reply R1 has status 'draft' in the database but 'published'"),
    ("UPDATE reply SET decided_by = 'mallory' WHERE number = 2", "reply R2 was decided by 'mallory' in the database but by 'bea'"),
    ("UPDATE reply SET published_by = 'mallory' WHERE number = 1", "reply R1 has publisher 'mallory' in the database but 'ana'"),
    ("UPDATE reply SET author = 'bea' WHERE number = 3", "reply R3 has author 'bea' in the database but 'ana'"),
    ("DELETE FROM reply WHERE number = 3", "reply R3 is on its timeline but not in the database: it was deleted"),
]


def test_a_reply_changed_without_an_event_is_found(with_replies, sql):
    """The chain verifies, but a reply's row says what no reply event said: replayed and named (exit 8). Each change is
    tried alone on the same incident, the replies restored between two."""
    kept = [row._asdict() for row in sql("SELECT * FROM reply ORDER BY id")]
    for change, message in REPLY_CHANGES:
        sql(change)
        result = with_replies("audit", "verify", code=8)
        assert "BROKEN INC-0001" in result.stderr and message in result.stderr, (change, result.stderr)
        sql("DELETE FROM reply")
        for row in kept:
            sql(f"INSERT INTO reply ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})", **row)
        assert with_replies("audit", "verify").stdout.startswith("ok: 1 timeline(s)")


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


def mallory(seq, actor, data):
    return ("mallory", data) if seq == 2 else (actor, data)


@pytest.fixture
def keyed(workspace, cli, monkeypatch):
    """Two incidents written under an audit key: INC-0001 opened and acknowledged, then INC-0002 opened."""
    monkeypatch.setenv("CRISIS_AUDIT_KEY", KEY)
    cli("open", "-p", "bad_buzz", "-t", "Catalogue photo")
    cli("ack", "1")
    cli("open", "-p", "bad_buzz", "-t", "Second wave")
    assert cli("audit", "verify").stdout == "ok: 2 timeline(s), 3 event(s) verified (3 keyed)\n"
    return cli


def test_without_a_key_a_recomputed_chain_still_verifies(workspace, cli, sql):
    """The issue's first evasion, without a key: crisis's own function recomputes every hash and the chain holds.
    Only the key (below) or an anchor (further down) catches it."""
    cli("open", "-p", "bad_buzz", "-t", "Catalogue photo")
    cli("ack", "1")
    sql.recompute(1, edit=mallory)
    assert cli("audit", "verify").stdout.startswith("ok: 1 timeline(s), 2 event(s) verified")


def test_with_a_key_an_event_rewritten_and_rehashed_is_found(keyed, sql):
    """Rewritten and rehashed with crisis's own function, a keyed event no longer matches its HMAC."""
    sql.recompute(1, edit=mallory, start=2)
    assert "BROKEN INC-0001 event #2: its content does not match its hash: the transition event" in keyed("audit", "verify", code=8).stderr
    sql.recompute(1, edit=mallory)
    assert "BROKEN INC-0001 event #1: its content does not match its hash: the opened event" in keyed("audit", "verify", code=8).stderr


def test_with_a_key_a_chain_recomputed_without_its_seals_is_found(keyed, sql):
    """Dropping the key's mark to pass as a pre-key history: after a keyed event in the chain, or after the first keyed
    event of the database, a plain event is a downgrade."""
    sql.recompute(1, edit=mallory, unseal_from=2, start=2)
    assert "BROKEN INC-0001 event #2: is not keyed though event #1 before it is" in keyed("audit", "verify", code=8).stderr



def test_with_a_key_a_whole_timeline_recomputed_as_a_pre_key_history_is_found(keyed, sql):
    """INC-0002, written after INC-0001's keyed events, rewritten whole as plain events: a downgrade all the same."""
    sql.recompute(2, unseal_from=1)
    assert "BROKEN INC-0002 event #1: is not keyed though it was written after the first keyed event of the database" in \
        keyed("audit", "verify", code=8).stderr


def test_verify_without_the_key_says_it_cannot_check_keyed_events(keyed, monkeypatch):
    """Removing the key does not make keyed events pass: verify says it could not check them (exit 1), with another key too."""
    monkeypatch.delenv("CRISIS_AUDIT_KEY")
    result = keyed("audit", "verify", code=1)
    assert "3 keyed event(s) not checked" in result.stderr and "Hint: set CRISIS_AUDIT_KEY" in result.stderr
    monkeypatch.setenv("CRISIS_AUDIT_KEY", "another-key-of-32-characters-000")
    assert "3 keyed event(s) not checked" in keyed("audit", "verify", code=1).stderr


def test_a_keyed_database_is_not_extended_without_the_key(keyed, monkeypatch):
    """A machine without the key cannot write plain events after keyed ones (they would read as a downgrade)."""
    monkeypatch.delenv("CRISIS_AUDIT_KEY")
    refused = keyed("fact", "1", "origin_platform", "x", code=4)
    assert "the timelines of this database are keyed, and this process has no audit key to extend them" in refused.stderr
    refused = keyed("open", "-p", "bad_buzz", "-t", "Third", code=4)
    assert "Hint: set CRISIS_AUDIT_KEY" in refused.stderr


def test_a_history_written_before_the_key_and_keyed_events_verify_together(workspace, cli, monkeypatch, tmp_path):
    """Events hashed before the key was set keep verifying beside the keyed ones; the key may come from a file."""
    cli("open", "-p", "bad_buzz", "-t", "Catalogue photo")
    (tmp_path / "audit.key").write_text(KEY + "\n", encoding="utf-8")
    monkeypatch.setenv("CRISIS_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    cli("ack", "1")
    cli("fact", "1", "origin_platform", "x")
    assert cli("audit", "verify").stdout == "ok: 1 timeline(s), 3 event(s) verified (2 keyed)\n"
    events = json.loads(cli("timeline", "1", "--json").stdout)
    assert [e["data"].get("_seal", "plain")[:12] for e in events] == ["plain", "hmac-sha256:", "hmac-sha256:"]


def test_a_rotated_key_keeps_checking_what_the_old_one_sealed(keyed, sql, monkeypatch, tmp_path):
    """Rotation: the key file's first line seals new events, the lines below (the keys it replaced) still check the events
    they sealed, forgeries included; the new key alone cannot check them (exit 1), and a retired key never seals."""
    new = "n3w-key-after-the-intern-left-0123456789"
    (tmp_path / "audit.keys").write_text(f"# rotated on 2026-11-29: the first line seals\n{new}\n{KEY}\n", encoding="utf-8")
    monkeypatch.delenv("CRISIS_AUDIT_KEY")
    monkeypatch.setenv("CRISIS_AUDIT_KEY_FILE", str(tmp_path / "audit.keys"))
    keyed("fact", "1", "origin_platform", "x")
    assert keyed("audit", "verify").stdout == "ok: 2 timeline(s), 4 event(s) verified (4 keyed)\n"
    seals = [e["data"]["_seal"] for e in json.loads(keyed("timeline", "1", "--json").stdout)]
    assert seals[0] == seals[1] != seals[2]  # the new event names the new key
    monkeypatch.setenv("CRISIS_AUDIT_KEY", new)  # the new key alone: the old seals cannot be checked, never passed as verified
    assert "3 keyed event(s) not checked" in keyed("audit", "verify", code=1).stderr
    monkeypatch.delenv("CRISIS_AUDIT_KEY")
    sql.recompute(1, edit=mallory, start=2)  # #2 was sealed by the retired key: found by it, not skipped as unchecked
    assert "BROKEN INC-0001 event #2: its content does not match its hash" in keyed("audit", "verify", code=8).stderr
    (tmp_path / "audit.keys").write_text(f"{new}\nshort\n", encoding="utf-8")
    assert "audit.keys):2: the audit key is shorter than 16 bytes" in keyed("audit", "verify", code=5).stderr


def test_an_old_key_used_after_the_rotation_is_found(keyed, monkeypatch, tmp_path):
    """Someone who kept the retired key writes after the rotation: in a timeline that already holds an event sealed with
    the new key, and in one that does not (found against the database's first event under the new key)."""
    new = "n3w-key-after-the-intern-left-0123456789"
    (tmp_path / "audit.keys").write_text(f"{new}\n{KEY}\n", encoding="utf-8")
    monkeypatch.delenv("CRISIS_AUDIT_KEY")
    monkeypatch.setenv("CRISIS_AUDIT_KEY_FILE", str(tmp_path / "audit.keys"))
    keyed("fact", "1", "origin_platform", "x")  # INC-0001 #3, under the new key
    monkeypatch.setenv("CRISIS_AUDIT_KEY", KEY)  # the old key, kept by someone who left
    keyed("fact", "2", "origin_platform", "tiktok")  # INC-0002 #2: its chain knows only the old key
    monkeypatch.delenv("CRISIS_AUDIT_KEY")
    found = keyed("audit", "verify", code=8).stderr
    assert "BROKEN INC-0002 event #2: is sealed with a retired audit key though it was written after the database's first event " \
           "sealed with the current one" in found
    monkeypatch.setenv("CRISIS_AUDIT_KEY", KEY)
    keyed("fact", "1", "origin_platform", "youtube")  # INC-0001 #4, after its own event under the new key
    monkeypatch.delenv("CRISIS_AUDIT_KEY")
    assert "BROKEN INC-0001 event #4: is sealed with a key retired before the one of an event before it" in \
        keyed("audit", "verify", code=8).stderr


def test_a_short_or_unreadable_key_is_refused_with_its_fix(workspace, cli, monkeypatch, tmp_path):
    monkeypatch.setenv("CRISIS_AUDIT_KEY", "short")
    result = cli("open", "-p", "bad_buzz", "-t", "Catalogue photo", code=5)
    assert "CRISIS_AUDIT_KEY: the audit key is shorter than 16 bytes" in result.stderr and "secrets.token_hex" in result.stderr
    monkeypatch.delenv("CRISIS_AUDIT_KEY")
    monkeypatch.setenv("CRISIS_AUDIT_KEY_FILE", str(tmp_path / "missing.key"))
    assert "the audit key cannot be read (FileNotFoundError)" in cli("audit", "verify", code=5).stderr


def test_an_evidence_pack_of_a_keyed_timeline_is_checked_with_the_key(keyed, tmp_path, monkeypatch):
    """The pack's chain is checked with the key; without it, the pack says which events it could not check (exit 1)."""
    pack = tmp_path / "INC-0001.zip"
    keyed("evidence", "export", "1", "-o", str(pack))
    assert keyed("evidence", "verify", str(pack)).stdout.startswith(f"ok: {pack}:")
    monkeypatch.delenv("CRISIS_AUDIT_KEY")
    assert "2 keyed event(s) of the timeline were not checked" in keyed("evidence", "verify", str(pack), code=1).stderr
