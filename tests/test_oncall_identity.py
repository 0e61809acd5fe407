"""Identity is what the machine knows, not what you type: with `identity.bind`, the actor is the person the
applied roster maps to the OS user (os_user) or the PostgreSQL role (db_role); --as someone else needs a role
that may act for others."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from crisis.cli import context
from tests.conftest import POSTGRES_URL
from tests.test_replies_cli import QUALIFY

DATA = Path(__file__).parent / "data" / "oncall"
SCRIPT = Path(sys.executable).parent / "crisis"
PEOPLE = ("ana", "bruno", "claire", "david", "eve")


def bound_roster(bind: str, logins: dict[str, str]) -> str:
    """The tests' roster, each person mapped by `login` or `db_role`; the direction may act for others."""
    key = "login" if bind == "os_user" else "db_role"
    roster = (DATA / "roster.yaml").read_text(encoding="utf-8").replace("WEBHOOK_URL", "http://127.0.0.1:9/hook")
    for person, login in logins.items():
        roster = roster.replace(f"{{id: {person},", f"{{id: {person}, {key}: {login},")
    return roster + f"roster_admins: [comms_lead]\nidentity: {{bind: {bind}, may_act_for_others: [direction]}}\n"


@pytest.fixture
def bound(workspace: Path, cli, monkeypatch) -> Path:
    """The os_user roster applied to the database by claire (the first apply); nobody sets CRISIS_USER."""
    monkeypatch.delenv("CRISIS_USER")
    (workspace / "oncall.yaml").write_text(bound_roster("os_user", {p: p for p in PEOPLE}), encoding="utf-8")
    with (workspace / "crisis.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[replies]\ncontact = "care@acme.example"\n')
    context.settings.cache_clear()
    monkeypatch.setenv("LOGNAME", "claire")
    cli("oncall", "apply", "--as", "claire")  # the first roster of a database: nothing binds yet, the warning says so
    return workspace


def as_os_user(monkeypatch, login: str) -> None:
    """Run the next commands as this OS user: getpass reads LOGNAME first."""
    monkeypatch.setenv("LOGNAME", login)


def sev1_draft_by_bruno(cli, monkeypatch) -> None:
    """bruno opens a SEV1 bad buzz, qualifies it and drafts the holding statement (signed by his OS login)."""
    as_os_user(monkeypatch, "bruno")
    cli("open", "-p", "bad_buzz", "-t", "Naked man in the catalogue photo", "--channel", "x", "--severity", "SEV1")
    cli("ack", "1")
    for key, value in (("origin_platform", "x"), ("fault_kind", "our_content"), ("subject", "the photo in our winter catalogue"),
                       ("offending_content", "catalogue_or_website"), ("sensitive_stakes", "no"), ("person_harmed", "no")):
        cli("fact", "1", key, value)
    cli("respond", "1")
    for item in QUALIFY:
        cli("check", "1", item)
    cli("next", "1")
    cli("reply", "draft", "1", "--set", "next_update_at=3 pm")


def test_bruno_cannot_approve_his_own_sev1_draft_by_claiming_to_be_claire(bound, cli, monkeypatch):
    """The OS user is bruno: `--as claire` is refused with exit 10, naming who he is and whom he claimed to be."""
    sev1_draft_by_bruno(cli, monkeypatch)
    refused = cli("reply", "approve", "1", "R1", "--as", "claire", code=10)
    assert refused.stderr.splitlines() == [
        "Error: you are Bruno Leroy (bruno, OS user bruno); you claimed to be claire: only direction may act for someone else",
        "Hint: act as yourself (drop --as and CRISIS_USER), or ask claire to act"]
    assert cli("reply", "approve", "1", "R1", user="claire", code=10).stderr.startswith("Error: you are Bruno Leroy")
    assert "bruno wrote R1 and cannot approve it" in cli("reply", "approve", "1", "R1", code=4).stderr
    as_os_user(monkeypatch, "mallory")
    stranger = cli("reply", "approve", "1", "R1", "--as", "claire", code=10)
    assert stranger.stderr.startswith("Error: you are OS user 'mallory', whom the roster (applied roster #1) maps to nobody; "
                                      "you claimed to be claire")
    as_os_user(monkeypatch, "claire")
    approved = cli("reply", "approve", "1", "R1")
    assert approved.stdout.startswith("R1 ")
    events = [e for e in json.loads(cli("timeline", "1", "--json").stdout) if e["kind"].startswith("reply_")]
    assert [(e["kind"], e["actor"]) for e in events][:2] == [("reply_drafted", "bruno"), (events[1]["kind"], "claire")]


def test_only_a_role_that_may_act_for_others_passes_as_and_a_local_file_cannot_relax_the_binding(bound, cli, monkeypatch):
    """david (direction) may sign for claire; once applied, a local oncall.yaml with `bind: none` changes nothing."""
    as_os_user(monkeypatch, "david")
    on_behalf = cli("open", "-p", "hijacked_account", "-t", "Hacked", "--severity", "SEV1", "--as", "ana")
    assert "Note: david acts for ana (a role that may act for others); each event says so" in on_behalf.stderr
    opened = json.loads(cli("timeline", "1", "--json").stdout)[0]
    assert opened["actor"] == "ana" and opened["by"] == "david" and opened["data"]["_by"] == "david"
    assert "ana (by david)" in cli("timeline", "1").stdout.splitlines()[0]
    assert "ok: 1 timeline(s)" in cli("audit", "verify").stdout  # the mark is covered by the event's hash
    (bound / "oncall.yaml").write_text(bound_roster("none", {}), encoding="utf-8")
    as_os_user(monkeypatch, "bruno")
    assert cli("dismiss", "1", "--note", "a test post", "--as", "claire", code=10).stderr.startswith("Error: you are Bruno Leroy")
    relaxing = cli("oncall", "apply", code=4)  # bruno is no roster admin
    assert "applying a roster needs the role comms_lead" in relaxing.stderr


@pytest.mark.skipif(not SCRIPT.exists(), reason="the console script is installed by `pip install -e .`")
def test_the_installed_command_reads_the_os_user_from_its_environment(bound, cli, monkeypatch):
    """As a separate process, with the shell's LOGNAME and USER: bruno's `--as claire` is refused, claire's own ack works."""
    as_os_user(monkeypatch, "bruno")
    cli("open", "-p", "hijacked_account", "-t", "Hacked", "--severity", "SEV1")
    env = {k: v for k, v in os.environ.items() if k not in ("CRISIS_USER", "LOGNAME", "USER", "LNAME", "USERNAME")}
    env.update(LOGNAME="bruno", USER="bruno", CRISIS_NOW=cli.now)
    run = subprocess.run([str(SCRIPT), "dismiss", "1", "--note", "nothing", "--as", "claire"], cwd=bound, env=env,
                         capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout) == (10, "")
    assert "you are Bruno Leroy (bruno, OS user bruno); you claimed to be claire" in run.stderr
    env.update(LOGNAME="claire", USER="claire")
    own = subprocess.run([str(SCRIPT), "ack", "1"], cwd=bound, env=env, capture_output=True, text=True, timeout=60)
    assert own.returncode == 0, own.stderr


@pytest.fixture
def db_people(database_url: str) -> dict[str, str]:
    """One PostgreSQL login role per person (unique names: roles are shared by the whole server), dropped afterwards."""
    if not database_url.startswith("postgresql"):
        pytest.skip("database roles need PostgreSQL")
    tag = uuid.uuid4().hex[:8]
    roles = {p: f"crisis_{tag}_{p}" for p in PEOPLE}
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        for role in roles.values():
            conn.execute(text(f"CREATE ROLE {role} LOGIN"))
    yield roles
    context.reset()
    with admin.begin() as conn:
        for role in roles.values():
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
    admin.dispose()


def connect_as(monkeypatch, database_url: str, role: str) -> None:
    """The next commands connect to the same database and schema as `role`."""
    monkeypatch.setenv("CRISIS_DATABASE_URL", make_url(database_url).set(username=role).render_as_string(hide_password=False))
    context.reset()


def test_db_role_binds_the_actor_to_the_postgresql_role_it_connects_as(workspace, cli, monkeypatch, database_url, db_people):
    """bind: db_role: the actor is checked against current_user; bruno's role cannot sign as claire."""
    (workspace / "oncall.yaml").write_text(bound_roster("db_role", db_people), encoding="utf-8")
    cli("oncall", "apply", "--as", "claire")  # the first apply, as the database owner
    schema = dict(make_url(database_url).query)["options"].split("=", 1)[1]
    with create_engine(POSTGRES_URL).begin() as conn:
        for role in db_people.values():
            conn.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {role}"))
            conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}"))
            conn.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}"))
    monkeypatch.delenv("CRISIS_USER")
    connect_as(monkeypatch, database_url, db_people["bruno"])
    cli("open", "-p", "hijacked_account", "-t", "Hacked", "--severity", "SEV1")
    refused = cli("dismiss", "1", "--note", "nothing", "--as", "claire", code=10)
    assert refused.stderr.startswith(f"Error: you are Bruno Leroy (bruno, database role {db_people['bruno']}); you claimed to be claire")
    connect_as(monkeypatch, database_url, db_people["claire"])
    cli("ack", "1")
    timeline = json.loads(cli("timeline", "1", "--json").stdout)
    assert [e["actor"] for e in timeline if e["kind"] in ("opened", "transition")] == ["bruno", "claire"]


def test_db_role_on_sqlite_is_refused_with_what_to_do(workspace, cli, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite has no roles")
    (workspace / "oncall.yaml").write_text(bound_roster("db_role", {p: p for p in PEOPLE}), encoding="utf-8")
    refused = cli("open", "-p", "bad_buzz", "-t", "x", code=10)
    assert "binds actors to their database role, and this database has no roles (SQLite)" in refused.stderr


WRITING = [  # every command that signs a change, with arguments it accepts on an open INC-0001
    ("open", "-p", "bad_buzz", "-t", "x"), ("ack", "1"), ("respond", "1"), ("next", "1"), ("stabilize", "1"), ("relapse", "1"),
    ("resolve", "1"), ("close", "1"), ("dismiss", "1", "--note", "x"), ("reopen", "1"), ("do", "1", "acknowledge"),
    ("escalate", "1"), ("check", "1", "capture_evidence"), ("fact", "1", "subject", "x"), ("severity", "1", "SEV4", "--why", "x"),
    ("review", "1", "--what", "x", "--gained", "y", "--follow-up", "a; ana; 2026-12-01"), ("oncall", "ack", "1"), ("oncall", "apply"),
    ("reply", "draft", "1"), ("reply", "approve", "1", "R1"), ("reply", "reject", "1", "R1", "--why", "x"),
    ("reply", "publish", "1", "R1"), ("drill", "start", "catalogue_2012"), ("drill", "start", "catalogue_2012", "--facilitator", "claire"),
    ("drill", "schedule", "catalogue_2012", "--every", "1d"), ("drill", "schedule", "catalogue_2012", "--every", "1d", "--facilitator", "claire"),
    ("drill", "decide", "x", "go"), ("drill", "end"), ("drill", "unschedule", "1"),
]


@pytest.mark.parametrize("args", WRITING, ids=lambda args: " ".join(args[:2]))
def test_every_writing_command_refuses_a_claimed_identity(bound, cli, monkeypatch, args):
    """bruno's OS login signing as claire is refused by each command that writes, before anything is written."""
    as_os_user(monkeypatch, "bruno")
    cli("open", "-p", "bad_buzz", "-t", "Naked man in the catalogue photo", "--severity", "SEV1")
    before = json.loads(cli("timeline", "1", "--json").stdout)
    refused = cli(*args, "--as", "claire", code=10)
    assert refused.stderr.startswith("Error: you are Bruno Leroy (bruno, OS user bruno); you claimed to be claire")
    assert json.loads(cli("timeline", "1", "--json").stdout) == before
