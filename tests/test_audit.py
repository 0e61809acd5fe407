"""The timeline is hash-chained: an edited or deleted row is found and named by `audit verify`."""

from __future__ import annotations

import pytest

from tests.tamper import Sql


@pytest.fixture
def three_events(workspace, cli, database_url):
    """INC-0001 opened, acknowledged, a fact set; INC-0002 opened. Tampered with SQL, on SQLite and PostgreSQL."""
    cli("open", "-p", "hijacked_account", "-t", "hacked")
    cli("ack", "1")
    cli("fact", "1", "platform", "x")
    cli("open", "-p", "hijacked_account", "-t", "other")
    assert cli("audit", "verify").stdout == "ok: 2 timeline(s), 4 event(s) verified\n"
    sql = Sql(database_url)
    yield sql
    sql.engine.dispose()


def test_an_edited_event_is_named(three_events, cli):
    three_events("UPDATE event SET actor = 'mallory' WHERE incident_id = 1 AND seq = 2")
    result = cli("audit", "verify", code=8)
    assert "BROKEN INC-0001 event #2: its content does not match its hash: the transition event at 2026-11-20T10:00:00+00:00 was edited" in result.stderr
    assert "1 of 2 timeline(s) do not verify" in result.stderr
    cli("audit", "verify", "INC-0002")


def test_a_deleted_event_in_the_middle_is_named(three_events, cli):
    three_events("DELETE FROM event WHERE incident_id = 1 AND seq = 2")
    assert "INC-0001 event #2: missing (the next event is #3): an event was deleted" in cli("audit", "verify", "1", code=8).stderr


def test_a_deleted_last_event_is_found(three_events, cli):
    three_events("DELETE FROM event WHERE incident_id = 1 AND seq = 3")
    assert "INC-0001 event #3: missing: the incident records 3 events and the chain ends at #2" in cli("audit", "verify", code=8).stderr


def test_a_rehashed_forgery_breaks_the_next_link(three_events, cli):
    """Recomputing an edited event's own hash is not enough: the next event points at the old one."""
    from datetime import datetime, timezone

    from crisis.incident.chain import event_hash

    (prev, at, data), = three_events("SELECT prev_hash, at, data FROM event WHERE incident_id = 1 AND seq = 2")
    at = (datetime.fromisoformat(at) if isinstance(at, str) else at).replace(tzinfo=None).replace(tzinfo=timezone.utc)
    forged = event_hash(prev, "INC-0001", 2, at, "mallory", "transition", three_events.data(data))
    three_events("UPDATE event SET actor = 'mallory', hash = :h WHERE incident_id = 1 AND seq = 2", h=forged)
    assert "INC-0001 event #3: does not follow the event before it" in cli("audit", "verify", code=8).stderr


@pytest.mark.parametrize("change,message", [
    ("UPDATE incident SET state = 'dismissed' WHERE number = 1", "the incident's state is 'dismissed' but its timeline ends at 'triage'"),
    ("UPDATE incident SET severity = 'SEV4' WHERE number = 1", "the incident's severity is 'SEV4' but its timeline ends at"),
    ("UPDATE incident SET level = 'crisis_cell' WHERE number = 1", "the incident's level is 'crisis_cell' but its timeline ends at"),
    ("UPDATE fact_answer SET value = '\"instagram\"' WHERE fact_id = 'platform'", "fact platform is 'instagram' in the incident but 'x' on its timeline"),
])
def test_a_change_made_without_an_event_is_found_by_replaying_the_timeline(three_events, cli, change, message):
    """The chain verifies, but the row says something the timeline never recorded: `audit verify` replays it and says so."""
    three_events(change)
    result = cli("audit", "verify", code=8)
    assert "BROKEN INC-0001" in result.stderr and message in result.stderr and "changed without an event" in result.stderr
