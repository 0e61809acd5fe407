"""Hostile text stays text: what a stranger posts never writes to the responder's terminal."""

from __future__ import annotations

import json

from crisis.cli.terminal import printable
from tests.test_triage_ingest import NOON

ATTACK = "\x1b]0;PWNED\x07\x1b[2J\x9b31m\u202eelbat\u2066"  # set the window title, clear the screen, 8-bit CSI, RTL override


def test_printable_shows_c0_c1_and_bidi_overrides_as_escapes():
    assert printable(ATTACK) == "\\x1b]0;PWNED\\x07\\x1b[2J\\x9b31m\\u202eelbat\\u2066"
    assert printable("ligne 1\nligne 2\tfin") == "ligne 1\\nligne 2\\tfin"
    assert printable("ligne 1\nligne 2\tfin\x1b[2J", multiline=True) == "ligne 1\nligne 2\tfin\\x1b[2J"
    assert printable("Hôtel « Le Lac », 12 000 avis — 5 ★ 👍 עברית") == "Hôtel « Le Lac », 12 000 avis — 5 ★ 👍 עברית"


def test_a_mention_carrying_escape_sequences_cannot_rewrite_the_terminal_through_list(workspace, cli, tmp_path):
    path = tmp_path / "attack.jsonl"
    path.write_text(json.dumps({"id": "e1", "platform": "x", "created_at": "2026-11-20T09:00:00Z",
                                "text": f"@Acme compte piraté !! {ATTACK}"}, ensure_ascii=False) + "\n", encoding="utf-8")
    cli("ingest", str(path), now=NOON)
    listed = cli("list").stdout
    assert "INC-0001" in listed and "\\x1b]0;PWNED\\x07\\x1b[2J" in listed
    assert not any(c in listed for c in "\x1b\x07\x9b\u202e\u2066")
    cli("open", "--playbook", "hijacked_account", "--title", "Ad\r\nINC-9999  SEV1  closed\x1b[1A")
    listed = cli("list").stdout
    assert len(listed.splitlines()) == 2 and "Ad\\r\\nINC-9999  SEV1  closed\\x1b[1A" in listed
    assert json.loads(cli("list", "--json").stdout)[0]["title"].endswith(ATTACK + "” (x)")  # --json keeps the text as it came


def test_show_and_timeline_never_write_a_mentions_escape_sequences_to_the_terminal(workspace, cli):
    """A title carrying OSC (window title), a screen clear and a bidi override prints as visible escapes in show and timeline."""
    hostile = "Acme \x1b]0;pwned\x07\x1b[2J \u202eevil"
    cli("open", "--playbook", "rumour", "--title", hostile)
    for command in (("show", "INC-0001"), ("timeline", "INC-0001")):
        out = cli(*command).stdout
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out, command
    assert "\\x1b]0;pwned" in cli("show", "INC-0001").stdout
