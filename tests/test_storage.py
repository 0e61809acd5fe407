"""Storage: optimistic locking between two responders, a locked database, migrations in step with the models."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from crisis.clock import VirtualClock
from crisis.db import SCHEMA_HEADS, Base, open_engine, transaction
from crisis.errors import ConflictError
from crisis.incident import service
from crisis.playbook.loader import load_playbook

PLAYBOOK = load_playbook(Path(__file__).resolve().parent.parent / "playbooks" / "hijacked_account.yaml")


def test_two_responders_at_once_one_wins_the_other_is_told(database_url):
    """Both read the incident in `detected`; the first acknowledges; the second's action is refused as a conflict."""
    engine = open_engine(database_url)
    clock = VirtualClock(datetime(2026, 11, 20, 10, tzinfo=timezone.utc))
    with transaction(engine) as session:
        service.open_incident(session, clock, "ana", PLAYBOOK, title="hacked")
    with pytest.raises(ConflictError, match="the incident changed while you were acting on it"):
        with transaction(engine) as bob:
            seen = service.get_incident(bob, "1")  # Bob reads the incident...
            with transaction(engine) as ana:
                service.fire(ana, clock, "ana", "1", "acknowledge")  # ...Ana acknowledges and commits first
            service.fire(bob, clock, "bob", "1", "dismiss")
            assert seen.state == "dismissed"  # decided on what Bob saw; the commit will find it stale
    with transaction(engine) as session:
        incident = service.get_incident(session, "1")
        assert (incident.state, incident.event_count) == ("triage", 2)
    engine.dispose()


def test_a_locked_database_is_reported_and_nothing_is_written(workspace, cli, database_url, monkeypatch):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite file locking")
    cli("open", "-p", "hijacked_account", "-t", "hacked")
    monkeypatch.setenv("CRISIS_LOCK_TIMEOUT_MS", "100")
    from crisis.cli import context

    context.reset()
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = cli("ack", "1", code=6)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "is locked by another crisis process" in result.stderr and "Hint: wait for it to finish and retry" in result.stderr
    assert cli("show", "1", "--json").stdout.count('"kind": "transition"') == 0


def test_the_migrations_build_exactly_the_models(database_url):
    """Upgrading an empty database to head leaves nothing for alembic to autogenerate."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.config import Config

    import crisis.db

    config = Config()
    config.set_main_option("script_location", str(Path(crisis.db.__file__).with_name("migrations")))
    assert set(ScriptDirectory.from_config(config).get_heads()) == SCHEMA_HEADS
    engine = open_engine(database_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()
