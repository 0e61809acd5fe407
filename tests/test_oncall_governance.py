"""The roster that governs a database lives in it: `crisis oncall apply`, its hash-chained log, and every
client obeying the applied roster rather than its own oncall.yaml."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from crisis.cli import context
from crisis.clock import VirtualClock
from crisis.errors import ConflictError
from crisis.incident.chain import event_hash
from crisis.oncall.governance import apply_roster

DATA = Path(__file__).parent / "data" / "oncall"
ADMINS = "\nroster_admins: [comms_lead]\n"


def roster_text(*, admins: str = ADMINS, extra: str = "") -> str:
    return (DATA / "roster.yaml").read_text(encoding="utf-8").replace("WEBHOOK_URL", "http://127.0.0.1:9/hook") + admins + extra


def enter(monkeypatch, folder: Path) -> None:
    """Work from another workspace (same database): the next command reads its settings afresh."""
    monkeypatch.chdir(folder)
    context.reset()


def test_the_first_apply_is_loud_then_only_roster_admins_apply_and_history_verifies(workspace, cli):
    """The first roster of a database is applied by anyone, with a warning; the next ones only by a roster admin."""
    (workspace / "oncall.yaml").write_text(roster_text(admins=""), encoding="utf-8")
    refused = cli("oncall", "apply", code=5)
    assert "roster_admins: missing; applied to the database, a roster must name the roles that may apply the next one" in refused.stderr
    assert "Hint: add e.g. `roster_admins: [comms_lead]`" in refused.stderr

    (workspace / "oncall.yaml").write_text(roster_text(), encoding="utf-8")
    first = cli("oncall", "apply", "--as", "ana")
    assert "applied to the database as applied roster #1 by ana" in first.stdout
    assert "Warning: this is the first roster of this database: nobody could check that ana may apply it" in first.stderr
    assert "is already the roster applied to this database (#1" in cli("oncall", "apply", "--as", "ana").stdout

    (workspace / "oncall.yaml").write_text(roster_text(extra="# reviewed on Monday\n"), encoding="utf-8")
    by_ana = cli("oncall", "apply", "--as", "ana", code=4)
    assert by_ana.stderr.splitlines()[0] == ("Error: applying a roster needs the role comms_lead (roster_admins of the applied roster); "
                                             "ana holds community_manager")
    assert "Hint: ask claire to review and apply it" in by_ana.stderr
    assert "applied roster #2 by claire" in cli("oncall", "apply", "oncall.yaml", "--as", "claire").stdout

    log = json.loads(cli("oncall", "history", "--json").stdout)
    assert [(r["seq"], r["applied_by"]) for r in log["rosters"]] == [(1, "ana"), (2, "claire")]
    assert log["verified"] is True and log["rosters"][1]["sha256"] != log["rosters"][0]["sha256"]
    listed = cli("oncall", "history")
    assert "#2" in listed.stdout.splitlines()[1] and listed.stdout.rstrip().endswith("← governs")
    assert "hash chain verified: 2 roster(s)" in listed.stderr


def test_an_applied_roster_rewritten_in_the_database_is_detected(workspace, cli):
    """Changing an applied text, or who applied it, in the database breaks the log: `history` exits 8."""
    (workspace / "oncall.yaml").write_text(roster_text(), encoding="utf-8")
    cli("oncall", "apply", "--as", "claire")
    engine = create_engine(os.environ["CRISIS_DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE applied_roster SET text = replace(text, 'roles: [legal]', 'roles: [legal, comms_lead]')"))
    tampered = cli("oncall", "history", code=8, report=True)
    assert "#1: its text does not match its SHA-256: the text was changed after it was applied" in tampered.stderr
    forged = roster_text().replace("roles: [legal]", "roles: [legal, comms_lead]")
    with engine.begin() as conn:  # a careful forger fixes the SHA-256 too, and signs as someone else
        conn.execute(text("UPDATE applied_roster SET text = :t, sha256 = :s, applied_by = 'eve'"),
                     {"t": forged, "s": hashlib.sha256(forged.encode()).hexdigest()})
    rehashed = cli("oncall", "history", code=8, report=True)
    assert "#1: its hash does not match its content: who, when or what was rewritten" in rehashed.stderr
    engine.dispose()


def test_a_broken_file_to_apply_is_refused_with_its_place(workspace, cli):
    (workspace / "broken.yaml").write_text(roster_text().replace("{id: eve,", "{id: Eve,"), encoding="utf-8")
    refused = cli("oncall", "apply", "broken.yaml", "--as", "claire", code=5)
    assert refused.stderr.startswith("Error: broken.yaml:12:10: people[4].id: 'Eve' is not a valid id")
    assert cli("oncall", "history", code=0).stderr.startswith("No roster was ever applied to this database")


def test_a_workspace_without_oncall_yaml_cannot_dismiss_a_sev1_nor_stop_its_paging_once_a_roster_is_applied(
        workspace, cli, tmp_path, monkeypatch):
    """Two workspaces on one database: the one without a roster file obeys the roster the other applied."""
    (workspace / "oncall.yaml").write_text(roster_text(), encoding="utf-8")
    cli("oncall", "apply", "--as", "claire")
    cli("open", "-p", "hijacked_account", "-t", "Our X account posts crypto scams", "--severity", "SEV1", "--as", "ana")
    cli("init", str(tmp_path / "other"), "--brand", "Acme")
    enter(monkeypatch, tmp_path / "other")
    assert not (tmp_path / "other" / "oncall.yaml").exists()

    stranger = cli("dismiss", "1", "--note", "nothing to see", "--as", "mallory", code=4)
    assert "'mallory' is not on the on-call roster (applied roster #1)" in stranger.stderr
    assert "is not on the on-call roster" in cli("oncall", "ack", "1", "--as", "mallory", code=4).stderr
    no_role = cli("dismiss", "1", "--note", "nothing to see", "--as", "ana", code=4)
    assert "dismissing INC-0001 at SEV1 needs the role comms_lead or direction" in no_role.stderr
    lowered = cli("severity", "1", "SEV4", "--why", "calm", "--as", "mallory", code=4)
    assert "'mallory' is not on the on-call roster" in lowered.stderr

    paged = cli("tick", now="2026-11-20T10:11:00+00:00").stdout  # nobody acknowledged: the next level is paged
    assert "INC-0001: paged level 2 of cell (pass 1): david, eve" in paged
    assert json.loads(cli("show", "1", "--json").stdout)["state"] == "detected"


def test_with_an_audit_key_a_forged_roster_never_governs(workspace, cli, monkeypatch):
    """Keyed by CRISIS_AUDIT_KEY, the log cannot be re-signed with crisis's own function: a forged entry is refused
    (the one before governs), `history` exits 8, and without the key it says what it cannot check (exit 1)."""
    monkeypatch.setenv("CRISIS_AUDIT_KEY", "k" * 32)
    (workspace / "oncall.yaml").write_text(roster_text(), encoding="utf-8")
    cli("oncall", "apply", "--as", "claire")
    (workspace / "oncall.yaml").write_text(roster_text(extra="# reviewed on Monday\n"), encoding="utf-8")
    cli("oncall", "apply", "--as", "claire")
    cli("open", "-p", "hijacked_account", "-t", "Hacked", "--severity", "SEV1", "--as", "ana")

    forged = roster_text().replace("{id: ana, name: Ana Martin, roles: [community_manager]", "{id: ana, name: Ana Martin, roles: [comms_lead]")
    digest = hashlib.sha256(forged.encode()).hexdigest()
    engine = create_engine(os.environ["CRISIS_DATABASE_URL"])
    with engine.begin() as conn:  # the forger re-signs #2 with the plain hash, as crisis computes it without a key
        row = conn.execute(text("SELECT seq, path, applied_at, applied_by, os_user, db_user, prev_hash FROM applied_roster WHERE seq = 2")).one()
        at = row.applied_at if isinstance(row.applied_at, datetime) else datetime.fromisoformat(str(row.applied_at))
        plain = event_hash(row.prev_hash, "roster", 2, at.replace(tzinfo=timezone.utc), row.applied_by, "roster_applied",
                           {"sha256": digest, "path": row.path, "os_user": row.os_user, "db_user": row.db_user})
        conn.execute(text("UPDATE applied_roster SET text = :t, sha256 = :s, hash = :h, seal = NULL WHERE seq = 2"),
                     {"t": forged, "s": digest, "h": plain})
    engine.dispose()
    assert "dismissing INC-0001 at SEV1 needs the role" in cli("dismiss", "1", "--note", "x", "--as", "ana", code=4).stderr
    tampered = cli("oncall", "history", code=8, report=True)
    assert "#2: plain after keyed entries: it was written, or rewritten, without the audit key" in tampered.stderr

    monkeypatch.delenv("CRISIS_AUDIT_KEY")
    unkeyed = json.loads(cli("oncall", "history", "--json", code=8, report=True).stdout)
    assert unkeyed["unchecked"] == ["#1"] and unkeyed["verified"] is False  # the forgery still shows; #1 is not passed


def test_after_a_key_rotation_a_roster_applied_with_the_old_key_never_governs(workspace, cli, monkeypatch, tmp_path):
    """Someone who kept the retired audit key applies a roster after the rotation: crisis writes it (the key is valid), but
    every client holding the rotated key file trusts the roster before it, and `history` says why (exit 8)."""
    old, new = "o" * 32, "n" * 32
    monkeypatch.setenv("CRISIS_AUDIT_KEY", old)
    (workspace / "oncall.yaml").write_text(roster_text(), encoding="utf-8")
    cli("oncall", "apply", "--as", "claire")
    monkeypatch.delenv("CRISIS_AUDIT_KEY")
    (tmp_path / "audit.keys").write_text(f"{new}\n{old}\n", encoding="utf-8")
    monkeypatch.setenv("CRISIS_AUDIT_KEY_FILE", str(tmp_path / "audit.keys"))
    (workspace / "oncall.yaml").write_text(roster_text(extra="# reviewed after the rotation\n"), encoding="utf-8")
    cli("oncall", "apply", "--as", "claire")
    assert "hash chain verified: 2 roster(s)" in cli("oncall", "history").stderr  # #1 checked by the retired key

    monkeypatch.setenv("CRISIS_AUDIT_KEY", old)
    promoted = roster_text().replace("{id: ana, name: Ana Martin, roles: [community_manager]", "{id: ana, name: Ana Martin, roles: [comms_lead]")
    (workspace / "oncall.yaml").write_text(promoted, encoding="utf-8")
    cli("oncall", "apply", "--as", "claire")
    monkeypatch.delenv("CRISIS_AUDIT_KEY")
    cli("open", "-p", "hijacked_account", "-t", "Hacked", "--severity", "SEV1", "--as", "ana")
    assert "dismissing INC-0001 at SEV1 needs the role" in cli("dismiss", "1", "--note", "x", "--as", "ana", code=4).stderr
    found = cli("oncall", "history", code=8, report=True).stderr
    assert "#3: sealed with a retired audit key after an entry sealed with a newer one" in found


def test_a_keyed_log_is_not_checked_without_its_key(workspace, cli, monkeypatch):
    """Without the audit key, `history` never calls a keyed entry verified: exit 1, naming what it could not check."""
    monkeypatch.setenv("CRISIS_AUDIT_KEY", "k" * 32)
    (workspace / "oncall.yaml").write_text(roster_text(), encoding="utf-8")
    cli("oncall", "apply", "--as", "claire")
    assert "hash chain verified: 1 roster(s)" in cli("oncall", "history").stderr
    monkeypatch.delenv("CRISIS_AUDIT_KEY")
    unkeyed = cli("oncall", "history", code=1, report=True)
    assert "Error: roster(s) #1 are keyed with an audit key this process does not hold: not checked" in unkeyed.stderr
    (workspace / "oncall.yaml").write_text(roster_text(extra="# reviewed on Monday\n"), encoding="utf-8")
    assert "no audit key to extend it" in cli("oncall", "apply", "--as", "claire", code=4).stderr


def test_the_local_file_that_differs_is_reported_and_does_not_govern_and_a_broken_one_never_silences_paging(workspace, cli):
    """After an apply, editing oncall.yaml changes nothing until it is applied; `check` and `tick` say so."""
    (workspace / "oncall.yaml").write_text(roster_text(), encoding="utf-8")
    cli("oncall", "apply", "--as", "claire")
    cli("open", "-p", "hijacked_account", "-t", "Hacked", "--severity", "SEV1", "--as", "ana")
    relaxed = roster_text().replace("{id: ana, name: Ana Martin, roles: [community_manager]", "{id: ana, name: Ana Martin, roles: [comms_lead]")
    (workspace / "oncall.yaml").write_text(relaxed, encoding="utf-8")
    checked = cli("oncall", "check")
    assert "oncall.yaml differs from applied roster #1 (applied by claire on 2026-11-20 10:00 UTC): the applied roster governs, " \
           "not this file; review it, then run `crisis oncall apply` to apply it" in checked.stderr
    assert "dismissing INC-0001 at SEV1 needs the role" in cli("dismiss", "1", "--note", "x", "--as", "ana", code=4).stderr
    assert "Warning: " in (shown := cli("show", "1")).stderr and "differs from applied roster #1" in shown.stderr
    assert "INC-0001" in shown.stdout

    (workspace / "oncall.yaml").write_text("people: [{id: ana, roles: [", encoding="utf-8")  # broken: the applied roster still pages
    ticked = cli("tick", now="2026-11-20T10:11:00+00:00")
    assert "INC-0001: paged level 2 of cell (pass 1): david, eve" in ticked.stdout
    assert "Warning: " in ticked.stderr and "differs from applied roster #1" in ticked.stderr
    cli("open", "-p", "bad_buzz", "-t", "Another one", "--as", "bruno")  # a broken local file stops no command
    assert json.loads(cli("show", "2", "--json").stdout)["ref"] == "INC-0002"


def test_without_an_applied_roster_the_file_still_governs_as_before(workspace, cli):
    """One person on SQLite (or a team that never applied): the workspace's file governs, nothing is applied by itself."""
    (workspace / "oncall.yaml").write_text(roster_text(), encoding="utf-8")
    cli("open", "-p", "hijacked_account", "-t", "Hacked", "--severity", "SEV1", "--as", "ana")
    assert "is not on the on-call roster (oncall.yaml)" in cli("ack", "1", "--as", "mallory", code=4).stderr.replace(str(workspace) + "/", "")
    ticked = cli("tick")
    shared = "no roster is applied to this shared database: " in ticked.stderr
    assert shared == os.environ["CRISIS_DATABASE_URL"].startswith("postgresql")  # SQLite: one person, the file is the roster
    assert cli("oncall", "history").stderr.startswith("No roster was ever applied to this database")


def test_an_applied_roster_this_client_cannot_load_never_silences_paging(workspace, cli, monkeypatch):
    """Applied where plain-HTTP webhooks are allowed, roster #2 does not load on a client where they are not:
    there the roster before it governs, paging goes on, and tick names the problem (exit 9)."""
    (workspace / "oncall.yaml").write_text(roster_text(), encoding="utf-8")
    cli("oncall", "apply", "--as", "claire")
    monkeypatch.setenv("CRISIS_WEBHOOK_ALLOW_HTTP", "yes")
    (workspace / "oncall.yaml").write_text(roster_text().replace("http://127.0.0.1:9/hook", "http://hooks.acme.example/cell"),
                                           encoding="utf-8")
    cli("oncall", "apply", "--as", "claire", now="2026-11-20T10:01:00+00:00")
    monkeypatch.delenv("CRISIS_WEBHOOK_ALLOW_HTTP")
    cli("open", "-p", "hijacked_account", "-t", "Hacked", "--severity", "SEV1", "--as", "ana")
    degraded = cli("tick", now="2026-11-20T10:12:00+00:00", code=9, report=True)
    assert "INC-0001: paged level 2 of cell (pass 1): david, eve" in degraded.stdout
    assert "applied roster #2 is broken since 2026-11-20 10:01 UTC (applied roster #2:" in degraded.stderr
    assert "paging goes on with the roster applied on 2026-11-20 10:00 UTC" in degraded.stderr


def test_check_counts_the_approval_matrix_roles_and_shows_when_tick_last_ran(workspace, cli):
    """Without a legal holder, the `approve.also` matrix (legal must approve too at SEV1) cannot be met: an error.
    The heartbeat: never ran, ran 5 min ago, then silent for 30 min."""
    without_legal = roster_text().replace("  - {id: eve, name: Ève Laurent, roles: [legal], email: eve@acme.example}\n", "")
    (workspace / "oncall.yaml").write_text(without_legal, encoding="utf-8")
    failed = cli("oncall", "check", code=5, report=True)
    assert "error: playbook bad_buzz: steps.establish_facts.approve.also[0], " in failed.stdout
    assert "need(s) the role legal, which nobody on the roster holds" in failed.stdout
    assert "Warning: crisis tick has never run on this database" in failed.stderr

    (workspace / "oncall.yaml").write_text(roster_text(), encoding="utf-8")
    cli("tick", now="2026-11-20T10:00:00+00:00")
    cli("oncall", "apply", "--as", "claire")
    fresh = cli("oncall", "check", now="2026-11-20T10:05:00+00:00")
    assert "applied roster #1 (applied by claire on 2026-11-20 10:00 UTC) governs this database; " in fresh.stdout
    assert "crisis tick last ran 2026-11-20 10:00 UTC (5 min ago)" in fresh.stdout and "Warning: crisis tick" not in fresh.stderr
    late = cli("oncall", "check", now="2026-11-20T10:30:00+00:00")
    assert "Warning: crisis tick last ran 2026-11-20 10:00 UTC, 30 min ago: deadlines are not watched" in late.stderr


def test_two_applies_at_once_one_wins_the_other_is_refused(workspace, cli, database_url):
    """Both read an empty log and take #1: the second to commit gets a ConflictError, the log keeps one entry."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: the second apply waits, then sees the first")
    cli("oncall", "history")  # the schema
    engine, clock = create_engine(database_url), VirtualClock(datetime(2026, 11, 20, 10, tzinfo=timezone.utc))
    outcome: dict[str, object] = {}

    def other() -> None:
        with Session(engine) as session:
            try:
                apply_roster(session, clock, "bruno", roster_text(extra="# bruno's\n"), "theirs.yaml")
                session.commit()
            except ConflictError as exc:
                outcome["refused"] = exc.message
    with Session(engine) as first:
        apply_roster(first, clock, "claire", roster_text(), "oncall.yaml")
        racing = threading.Thread(target=other)
        racing.start()
        with engine.connect() as watcher:  # until the other apply waits on #1 (it read an empty log)
            for _ in range(200):
                if watcher.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                        "AND wait_event_type = 'Lock'")).scalar():
                    break
                time.sleep(0.05)
        first.commit()
    racing.join(timeout=30)
    engine.dispose()
    assert outcome == {"refused": "another roster was applied to this database while you were applying this one"}
    assert [r["applied_by"] for r in json.loads(cli("oncall", "history", "--json").stdout)["rosters"]] == ["claire"]
