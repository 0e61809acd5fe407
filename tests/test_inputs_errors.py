"""Tracebacks found by the probes, each now an error with its exit code, its place and a hint (crisis CLI end to end)."""

from __future__ import annotations

import pytest

from tests.test_cli_lifecycle import _walk_to_resolved

REVIEW = "what_happened: Intern password reused\nwhat_gained: 2FA everywhere\nfollow_ups:\n"


@pytest.mark.parametrize("follow_ups,message", [
    ("  3\n", "review.yaml:4:3: follow_ups: expected a list of follow-ups, got the number 3"),
    ("  - {action: Individual logins, owner: ana, due: 2026-02-30}\n",
     "review.yaml:4:50: '2026-02-30' cannot be read: day is out of range for month\nHint: write a value that exists"),
    ("  - {action: Individual logins, owner: ana, due: next week}\n",
     "review.yaml:4:50: follow_ups[0].due: 'next week' is not a date; expected YYYY-MM-DD, e.g. 2026-12-15"),
    ("  - {action: Individual logins, owner: [ana], due: 2026-12-15}\n",
     "review.yaml:4:40: follow_ups[0].owner: expected a text, got a list"),
    ("  - {action: Individual logins, owner: ana, due: 2026-12-15, when: now}\n",
     "review.yaml:4:68: follow_ups[0].when: unknown key; expected action, owner, due"),
    ("  - !!python/object/apply:os.system [echo pwned]\n",
     "review.yaml:4:5: a YAML tag (!!…) crisis does not read; write plain YAML"),
])
def test_a_bad_review_file_is_named_at_its_line_and_nothing_is_recorded(workspace, cli, tmp_path, follow_ups, message):
    _walk_to_resolved(cli)
    review = tmp_path / "review.yaml"
    review.write_text(REVIEW + follow_ups, encoding="utf-8")
    result = cli("review", "1", "--file", str(review), code=5)
    assert result.stderr.startswith(f"Error: {tmp_path}/{message}")
    assert "closing needs the post-incident review" in cli("close", "1", code=4).stderr


def test_a_review_file_that_cannot_be_read(workspace, cli, tmp_path):
    cli("open", "-p", "hijacked_account", "-t", "hacked")
    (tmp_path / "latin1.yaml").write_bytes(REVIEW.encode() + "  - {action: Réunion, owner: ana, due: 2026-12-15}\n".encode("latin-1"))
    assert cli("review", "1", "--file", str(tmp_path / "latin1.yaml"), code=5).stderr.startswith(
        f"Error: {tmp_path}/latin1.yaml: not UTF-8 text (byte 93)\nHint: save it as UTF-8")
    assert cli("review", "1", "--file", str(tmp_path / "nope.yaml"), code=5).stderr.startswith(
        f"Error: {tmp_path}/nope.yaml: cannot be read (No such file or directory)")


def test_init_in_a_place_that_cannot_be_written_or_on_a_file_name(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("init", "/proc/x", code=2)
    assert result.stderr.startswith("Error: /proc/x: the workspace cannot be created there (")
    assert "Hint: choose a folder you can write to" in result.stderr
    result = cli("init", "acme/crisis.toml", code=2)
    assert result.stderr == ("Error: acme/crisis.toml: crisis init takes the folder of the workspace, not a file\n"
                             "Hint: crisis init acme (it writes crisis.toml there)\n")
    assert not (tmp_path / "acme").exists()


def test_a_python_tag_in_the_roster_is_a_content_error(workspace, cli):
    (workspace / "oncall.yaml").write_text("people:\n  - !!python/object/apply:os.system [touch pwned]\n", encoding="utf-8")
    result = cli("oncall", "check", code=5)
    assert "oncall.yaml:2:5: a YAML tag (!!…) crisis does not read" in result.stderr
    assert not (workspace / "pwned").exists()


def test_a_template_with_an_unknown_filter_is_named_by_playbook_check_and_draft(workspace, cli):
    template = workspace / "templates" / "hijacked_account" / "followers_notice.en.txt.j2"
    template.write_text("Dear followers of {{ brand | nosuchfilter }},\nour account was taken over.\n", encoding="utf-8")
    result = cli("playbook", "check", "hijacked_account", code=5, report=True)
    assert f"{template}:1: error: no filter named 'nosuchfilter'" in result.stdout
    cli("open", "-p", "hijacked_account", "-t", "hacked")
    drafted = cli("reply", "draft", "1", "--template", "followers_notice", "--lang", "en", "--channel", "facebook",
                  "--set", "next_update_at=3 pm", code=5)
    assert drafted.stderr.startswith(f"Error: {template}:1: no filter named 'nosuchfilter'\nHint: see the filters at ")
