"""Broken playbooks, one per file in tests/data/playbooks, each refused with the message a writer needs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from crisis.errors import ContentError
from crisis.lint.playbook import check_playbook
from crisis.playbook.loader import load_playbook

DATA = Path(__file__).parent / "data" / "playbooks"

LOAD_ERRORS = {
    "bad_yaml": "bad_yaml.yaml:20:4: invalid YAML: did not find expected '-' indicator",
    "unknown_key": "unknown_key.yaml:13:1: stepz: unknown key; expected one of: id, title, summary",
    "wrong_type": "wrong_type.yaml:18:17: steps[0].due.SEV1: expected a single value, found a list",
    "bad_duration": "bad_duration.yaml:18:17: steps[0].due.SEV1: '15' is not a duration; write it like 15m, 4h, 1h30m or 2d",
    "unknown_guard": "unknown_guard.yaml:18:14: steps[0].guards[0]: 'magic_approval' is not a registered guard; expected one of: crisis_cell_convened",
    "after_os_system": "after_os_system.yaml:18:5: steps[0].after: playbooks cannot attach code to transitions (os.system is never run)",
    "dotted_action": "dotted_action.yaml:18:16: steps[0].on_enter[0]: 'os.system' is not a registered action (dotted paths to Python code are never run)",
    "yes_as_bool": "yes_as_bool.yaml:19:9: steps[1].id: expected a text, found true or false (YAML reads on/off/yes/no as booleans: quote it)",
    "unknown_condition": "unknown_condition.yaml:12:15: severity.rules[0].when.colour: unknown key; expected one of: known_customer, platform, mentions_per_hour",
    "missing_language": "missing_language.yaml:2:8: title: missing key 'en'",
    "duplicate_step": "duplicate_step.yaml:19:5: steps: 'evidence' is declared twice",
    "bad_sample": "bad_sample.yaml:6:114: facts[1].sample: 'trustpilot' does not fit a choice fact: expected one of: google, tripadvisor",
    "unknown_level": "unknown_level.yaml:25:42: escalation.by_severity.SEV2: 'legal' is not a level; expected one of: community_manager, comms_lead, crisis_cell",
}

CHECK_ERRORS = {
    "unknown_template": "unknown_template.yaml:19: error: step reply replies with template 'no_such_template', but ",
    "late_fact": "late_fact.yaml:19: error: step reply branches on fact platform, which no earlier step or triage requires",
    "impossible_rule": "impossible_rule.yaml:12: error: severity rule → SEV2 can never fire",
    "impossible_branch": "impossible_branch.yaml:19: error: step reply can never apply: its `when` asks for a value its fact cannot take",
    "self_excluding": "self_excluding.yaml:10: error: detect: the exclusion 'est une arnaque' matches the phrase \"c'est une arnaque\" (fr) itself",
}


def test_every_broken_playbook_is_covered():
    assert {p.stem for p in DATA.glob("*.yaml")} == {"valid", *LOAD_ERRORS, *CHECK_ERRORS}


@pytest.mark.parametrize("name", sorted(LOAD_ERRORS))
def test_load_refuses_with_file_line_column_key_and_expectation(name):
    with pytest.raises(ContentError) as refused:
        load_playbook(DATA / f"{name}.yaml")
    assert LOAD_ERRORS[name] in refused.value.message
    assert refused.value.message.startswith(str(DATA / name))


@pytest.mark.parametrize("name", sorted(CHECK_ERRORS))
def test_check_finds_what_a_reviewer_would(name, tmp_path):
    findings = [str(f) for f in check_playbook(load_playbook(DATA / f"{name}.yaml"), tmp_path)]
    assert any(CHECK_ERRORS[name] in f for f in findings), findings


def test_the_valid_one_passes():
    assert check_playbook(load_playbook(DATA / "valid.yaml"), DATA) == []


def test_a_broken_playbook_in_a_workspace_fails_check_and_open_with_exit_5(workspace, cli):
    shutil.copy(DATA / "after_os_system.yaml", workspace / "playbooks")
    result = cli("playbook", "check", code=5, report=True)
    assert "after_os_system.yaml:18:5: steps[0].after: playbooks cannot attach code" in result.stdout
    assert "hijacked_account.yaml: ok" in result.stdout
    assert result.stderr.startswith("Error: 1 error(s) in ")
    result = cli("open", "-p", "after_os_system", "-t", "x", code=5)
    assert "os.system is never run" in result.stderr
    assert cli("list", "--json").stdout == "[]\n"  # nothing half-written


def test_playbook_file_must_carry_its_own_id(tmp_path):
    (tmp_path / "other.yaml").write_text((DATA / "valid.yaml").read_text())
    with pytest.raises(ContentError, match="id: 'valid' differs from the file name; name the file valid.yaml"):
        load_playbook(tmp_path / "other.yaml")
