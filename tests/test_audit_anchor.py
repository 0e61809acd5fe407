"""`crisis audit anchor` keeps the heads of every timeline outside the database (a file, a webhook, a git commit);
`audit verify --anchor` then finds what was deleted, truncated or rewritten before the anchor. And a fixed clock
(CRISIS_NOW, `tick --now`) is refused outside tests and rehearsals."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crisis.cli import app
from tests.test_audit_tamper import KEY, mallory
from tests.test_replies_cli import Hook


@pytest.fixture
def anchored(workspace, cli, tmp_path):
    """INC-0001 (3 events) and INC-0002 (1 event), anchored in a JSON Lines file."""
    cli("open", "-p", "bad_buzz", "-t", "Catalogue photo")
    cli("ack", "1")
    cli("fact", "1", "origin_platform", "x")
    cli("open", "-p", "bad_buzz", "-t", "Second wave")
    path = tmp_path / "anchors.jsonl"
    result = cli("audit", "anchor", "--to", str(path))
    assert result.stdout == f"anchored 2 incident(s) at 2026-11-20T10:00:00+00:00 in {path}\n"
    assert "the anchor is not signed: set CRISIS_AUDIT_KEY" in result.stderr
    return path


def test_an_anchor_lists_every_head_and_earlier_anchors_stay(anchored, cli):
    cli("ack", "2", now="2026-11-20T11:00:00+00:00")
    cli("audit", "anchor", "--to", str(anchored))
    first, second = (json.loads(line) for line in anchored.read_text(encoding="utf-8").splitlines())
    assert [(c["ref"], c["event_count"]) for c in first["chains"]] == [("INC-0001", 3), ("INC-0002", 1)]
    assert [(c["ref"], c["event_count"]) for c in second["chains"]] == [("INC-0001", 3), ("INC-0002", 2)]
    assert second["incidents"] == 2 and second["at"] == "2026-11-20T11:00:00+00:00" and second["signature"] is None
    assert cli("audit", "verify", "--anchor", str(anchored)).stdout == \
        "ok: 2 timeline(s), 5 event(s) verified, checked against the anchor of 2026-11-20T11:00:00+00:00\n"


def test_a_deleted_incident_is_found_by_the_anchor(anchored, cli, sql):
    """The issue's third evasion: INC-0002 deleted with everything it holds; its absence is invisible without the anchor."""
    for table in ("deadline", "event"):
        sql(f"DELETE FROM {table} WHERE incident_id = (SELECT id FROM incident WHERE number = 2)")
    sql("DELETE FROM incident WHERE number = 2")
    assert cli("audit", "verify").stdout.startswith("ok: 1 timeline(s)")
    result = cli("audit", "verify", "--anchor", str(anchored), code=8)
    assert "TAMPERED INC-0002 was anchored at 2026-11-20T10:00:00+00:00 with 1 event(s) and is gone: the incident was deleted" in result.stderr
    assert "the database holds 1 incident(s), fewer than the 2 anchored" in result.stderr


def test_a_truncated_timeline_with_its_head_fixed_is_found_by_the_anchor(anchored, cli, sql):
    """The issue's second evasion: the tail deleted and event_count, head_hash set to the new last event."""
    sql("DELETE FROM event WHERE seq = 3 AND incident_id = (SELECT id FROM incident WHERE number = 1)")
    sql("UPDATE incident SET event_count = 2, head_hash = (SELECT hash FROM event WHERE seq = 2 AND incident_id = incident.id) "
        "WHERE number = 1")
    sql("DELETE FROM fact_answer")  # the fact its last event set, so that the replay agrees too
    assert cli("audit", "verify").stdout.startswith("ok: 2 timeline(s), 3 event(s) verified")
    result = cli("audit", "verify", "--anchor", str(anchored), code=8)
    assert "TAMPERED INC-0001 has 2 event(s), below the 3 anchored at 2026-11-20T10:00:00+00:00: its timeline was truncated" in result.stderr


def test_a_rewritten_and_rehashed_timeline_is_found_by_the_anchor(anchored, cli, sql):
    """The issue's first evasion without a key: the chain verifies, the anchored head does not."""
    sql.recompute(1, edit=mallory)
    assert cli("audit", "verify").stdout.startswith("ok: 2 timeline(s)")
    assert "TAMPERED INC-0001 event #3 is not the one anchored at 2026-11-20T10:00:00+00:00" in \
        cli("audit", "verify", "--anchor", str(anchored), code=8).stderr


def test_a_signed_anchor_edited_to_match_is_found(workspace, cli, tmp_path, monkeypatch):
    """Signed under the key, an anchor edited to agree with a truncated database no longer verifies; without the key
    verify says it cannot check the signature rather than trusting it."""
    monkeypatch.setenv("CRISIS_AUDIT_KEY", KEY)
    cli("open", "-p", "bad_buzz", "-t", "Catalogue photo")
    path = tmp_path / "anchors.jsonl"
    cli("audit", "anchor", "--to", str(path))
    anchor = json.loads(path.read_text(encoding="utf-8"))
    assert anchor["key_id"].startswith("hmac-sha256:") and len(anchor["signature"]) == 64
    anchor["incidents"] = 0
    path.write_text(json.dumps(anchor) + "\n", encoding="utf-8")
    assert "anchors.jsonl: the anchor's signature does not verify: the anchor was edited" in \
        cli("audit", "verify", "--anchor", str(path), code=8).stderr
    monkeypatch.delenv("CRISIS_AUDIT_KEY")
    assert "1 keyed event(s) not checked" in cli("audit", "verify", "--anchor", str(path), code=1).stderr


def test_a_file_that_is_no_anchor_is_named_with_its_line(workspace, cli, tmp_path):
    path = tmp_path / "anchors.jsonl"
    path.write_text('{"format": "crisis-anchor/1", "at": "x", "incidents": 0, "chains": []}\n{"not": "an anchor"}\n', encoding="utf-8")
    result = cli("audit", "verify", "--anchor", str(path), code=5)
    assert f"{path}:2:1: not an anchor written by `crisis audit anchor`" in result.stderr
    assert "missing.jsonl: cannot read the anchors (FileNotFoundError)" in \
        cli("audit", "verify", "--anchor", str(tmp_path / "missing.jsonl"), code=5).stderr
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    assert "empty.jsonl: holds no anchor" in cli("audit", "verify", "--anchor", str(tmp_path / "empty.jsonl"), code=5).stderr


def test_the_anchor_goes_to_a_webhook_signed(workspace, cli, monkeypatch):
    """POSTed as JSON with the outbox's signature headers; a scheme other than https (or http to loopback) is refused."""
    monkeypatch.setenv("CRISIS_WEBHOOK_SECRET", "whsec-anchor-0123456789")
    cli("open", "-p", "bad_buzz", "-t", "Catalogue photo")
    hook = Hook()
    try:
        assert cli("audit", "anchor", "--webhook", hook.url).stdout.startswith("anchored 1 incident(s)")
        (headers, body), = hook.received
    finally:
        hook.close()
    assert body["anchor"]["chains"][0]["ref"] == "INC-0001" and body["anchor"]["incidents"] == 1
    raw = json.dumps({"text": f"crisis audit anchor\n1 incident(s) at {body['anchor']['at']}", "idempotency_key": body["idempotency_key"],
                      "is_drill": False, "anchor": body["anchor"]}, ensure_ascii=False).encode()
    expected = hmac.new(b"whsec-anchor-0123456789", headers["X-Crisis-Timestamp"].encode() + b"." + raw, hashlib.sha256).hexdigest()
    assert headers["X-Crisis-Signature"] == f"v1={expected}"
    refused = cli("audit", "anchor", "--webhook", "ftp://example.com/anchors", code=2)
    assert "scheme 'ftp' is not allowed" in refused.stderr


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=True).stdout


def test_the_anchor_goes_to_a_git_commit_plain_or_signed(workspace, cli, tmp_path):
    """A plain commit when the repository does not sign (and it says so); `-S` when it does (an SSH signing key here)."""
    repo = tmp_path / "anchors"
    git(tmp_path, "init", "-q", str(repo))
    cli("open", "-p", "bad_buzz", "-t", "Catalogue photo")
    result = cli("audit", "anchor", "--git", str(repo))
    assert f"in a plain commit of {repo}" in result.stdout and "the commit is not signed" in result.stderr
    assert git(repo, "log", "--format=%s").strip() == "crisis audit anchor: 1 incident(s) at 2026-11-20T10:00:00+00:00"
    assert json.loads((repo / "crisis-anchors.jsonl").read_text(encoding="utf-8"))["chains"][0]["ref"] == "INC-0001"

    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "signer")], check=True)
    for key, value in (("gpg.format", "ssh"), ("user.signingkey", str(tmp_path / "signer")), ("commit.gpgsign", "true"),
                       ("user.email", "lead@acme.example"), ("user.name", "Lead")):
        git(repo, "config", key, value)
    assert f"in a signed commit of {repo}" in cli("audit", "anchor", "--git", str(repo)).stdout
    assert "SSH SIGNATURE" in git(repo, "cat-file", "commit", "HEAD")
    assert len((repo / "crisis-anchors.jsonl").read_text(encoding="utf-8").splitlines()) == 2
    assert "not a git repository" in cli("audit", "anchor", "--git", str(tmp_path), code=2).stderr


def test_anchor_needs_a_destination(workspace, cli):
    assert "where should the anchor go?" in cli("audit", "anchor", code=2).stderr


# A fixed clock ---------------------------------------------------------------------------------------------------

def run_without_the_switch(*args: str, now: str) -> object:
    env = {"CRISIS_NOW": now, "CRISIS_ALLOW_FIXED_CLOCK": None}
    return CliRunner().invoke(app, list(args), env=env)


def test_crisis_now_is_refused_outside_tests_and_rehearsals(workspace, cli):
    """The issue's fifth evasion: a new incident backdated to 2019 after 2026 events. Refused (exit 4), nothing written."""
    cli("open", "-p", "bad_buzz", "-t", "Catalogue photo")
    result = run_without_the_switch("open", "-p", "bad_buzz", "-t", "Backdated", now="2019-01-01T00:00:00+00:00")
    assert result.exit_code == 4 and result.stdout == ""
    assert "CRISIS_NOW would run this command at a time of your choosing, which could backdate a real incident" in result.stderr
    assert "Hint: unset CRISIS_NOW; rehearse with `crisis drill run`" in result.stderr
    result = CliRunner().invoke(app, ["tick", "--now", "2019-01-01T00:00"], env={"CRISIS_NOW": None, "CRISIS_ALLOW_FIXED_CLOCK": None})
    assert result.exit_code == 4 and "--now would run this command at a time of your choosing" in result.stderr
    assert [i["ref"] for i in json.loads(cli("list", "--json").stdout)] == ["INC-0001"]


def test_every_event_written_under_the_switch_says_so(workspace, cli):
    """Where the switch allows a fixed clock (the tests), each event carries the mark, and verify counts them."""
    cli("open", "-p", "bad_buzz", "-t", "Catalogue photo")
    cli("ack", "1", now="2026-11-20T10:05:00+00:00")
    assert [e["data"]["_clock"] for e in json.loads(cli("timeline", "1", "--json").stdout)] == ["fixed", "fixed"]
    assert "note: 2 event(s) were written under a fixed clock" in cli("audit", "verify").stderr


SCRIPT = Path(sys.executable).parent / "crisis"


@pytest.mark.skipif(not SCRIPT.exists(), reason="the console script is installed by `pip install -e .`")
def test_the_installed_command_refuses_crisis_now_too(workspace, cli):
    """The console script, run as cron or a shell would, without the switch: nothing is written."""
    env = {k: v for k, v in os.environ.items() if k != "CRISIS_ALLOW_FIXED_CLOCK"}
    done = subprocess.run([str(SCRIPT), "open", "-p", "bad_buzz", "-t", "Backdated"], capture_output=True, text=True,
                          env={**env, "CRISIS_NOW": "2019-01-01T00:00:00Z"}, timeout=60)
    assert (done.returncode, done.stdout) == (4, "") and "could backdate a real incident" in done.stderr
    assert "Traceback" not in done.stderr and json.loads(cli("list", "--json").stdout) == []


def test_the_workspace_anchor_path_is_the_default_of_both_commands(workspace, cli, sql):
    """`[audit] anchor` in crisis.toml: `audit anchor` appends there and `audit verify` checks against it unasked."""
    from crisis.cli import context

    with (workspace / "crisis.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[audit]\nanchor = "anchors.jsonl"\n')
    context.settings.cache_clear()
    cli("open", "-p", "bad_buzz", "-t", "Catalogue photo")
    assert f"no anchor yet at {workspace / 'anchors.jsonl'}" in cli("audit", "verify").stderr
    assert cli("audit", "anchor").stdout.endswith(f"in {workspace / 'anchors.jsonl'}\n")
    sql("DELETE FROM deadline")
    sql("DELETE FROM event")
    sql("DELETE FROM incident")
    assert "TAMPERED INC-0001 was anchored" in cli("audit", "verify", code=8).stderr


def test_an_unknown_audit_setting_is_named_with_its_line(workspace, cli):
    from crisis.cli import context

    with (workspace / "crisis.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[audit]\nanchors = "anchors.jsonl"\n')
    context.settings.cache_clear()
    result = cli("audit", "verify", code=5)
    assert "crisis.toml:" in result.stderr and "audit.anchors: unknown key" in result.stderr and "keys of [audit]: anchor" in result.stderr


def test_the_roster_log_rewritten_end_to_end_is_found_by_the_anchor(workspace, cli, tmp_path, sql):
    """An applied roster's log rebuilt from scratch verifies on its own (every hash recomputed); the anchor kept its head."""
    from tests.test_oncall_governance import roster_text

    (workspace / "oncall.yaml").write_text(roster_text(), encoding="utf-8")
    cli("oncall", "apply", "--as", "claire")
    path = tmp_path / "anchors.jsonl"
    cli("audit", "anchor", "--to", str(path))
    assert json.loads(path.read_text(encoding="utf-8"))["logs"]["roster"]["count"] == 1
    assert "checked against the anchor" in cli("audit", "verify", "--anchor", str(path)).stdout

    sql("DELETE FROM applied_roster")  # then a forged roster applied as the first one, with a chain of its own
    (workspace / "oncall.yaml").write_text(roster_text().replace("roles: [legal]", "roles: [legal, comms_lead]"), encoding="utf-8")
    cli("oncall", "apply", "--as", "mallory")
    assert "hash chain verified: 1 roster(s)" in cli("oncall", "history").stderr
    result = cli("audit", "verify", "--anchor", str(path), code=8)
    assert "TAMPERED applied roster #1 is not the one anchored at 2026-11-20T10:00:00+00:00: the roster log was rewritten" in result.stderr
    sql("DELETE FROM applied_roster")
    assert "the roster log ends at #0, below the #1 anchored" in cli("audit", "verify", "--anchor", str(path), code=8).stderr
