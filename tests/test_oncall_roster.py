"""The roster: loading with clear errors, `crisis oncall check` and `crisis oncall now`, and permissions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "oncall"
ROOT = Path(__file__).resolve().parent.parent


def install_roster(workspace: Path, name: str = "roster.yaml", webhook: str = "http://127.0.0.1:9/hook") -> None:
    text = (DATA / name).read_text(encoding="utf-8").replace("WEBHOOK_URL", webhook)
    (workspace / "oncall.yaml").write_text(text, encoding="utf-8")


@pytest.mark.parametrize("name,message", [
    ("unknown_member.yaml", "4:113: rotations[0] (community).members[1]: 'zoe' is not a person of the roster; expected one of: ana"),
    ("bad_timezone.yaml", "4:65: rotations[0] (community).timezone: 'Europe/Pariss' is not a time zone; expected an IANA name such as Europe/Paris or UTC"),
    ("no_level.yaml", "4:39: policies[0] (standard).levels: a policy needs at least one level"),
    ("bad_email.yaml", "2:68: people[0] (ana).email: 'ana.example.org' is not an e-mail address; expected name@domain.tld"),
])
def test_a_broken_roster_is_refused_naming_the_entry_the_key_and_what_is_expected(workspace, cli, name, message):
    """`oncall check` and every command that loads the roster say which entry, which key, what is expected."""
    shutil.copy(DATA / name, workspace / "oncall.yaml")
    for args in (("oncall", "check"), ("open", "-p", "bad_buzz", "-t", "x"), ("tick",)):
        result = cli(*args, code=5)
        assert f"oncall.yaml:{message}" in result.stderr, result.stderr  # file:line:column: entry.key: what is expected
        assert "Hint: fix the roster, then run `crisis oncall check`" in result.stderr


def test_check_reports_roles_nobody_holds_gaps_and_levels_paging_nobody(workspace, cli):
    install_roster(workspace, "gaps.yaml")
    result = cli("oncall", "check", "--days", "7", code=5, report=True)
    out = result.stdout
    assert "warning: roles.comms_lead: nobody holds this role" in out
    assert "error: playbook bad_buzz: permissions.close, permissions.dismiss need(s) the role comms_lead or direction, " \
           "which nobody on the roster holds" in out
    assert "error: playbook hijacked_account: steps.inform.approve need(s) the role comms_lead, which nobody on the roster holds" in out
    assert "warning: rotations.community: nobody on call from 2026-11-20 11:00 CET to 2026-11-25 08:00 CET" in out
    assert "error: policies.standard.levels[0]: pages nobody now (rotation community)" in out
    assert "error: policies.standard.levels[1]: pages nobody now (role legal)" in out
    assert "error: routes" not in out  # SEV1-SEV3 are all routed
    assert f"oncall.yaml: {out.count('error: ')} error(s)" in result.stderr


def test_the_shipped_example_roster_checks_clean(workspace, cli):
    """`crisis init` ships oncall.example.yaml: five people, a weekly rotation with an override, no finding."""
    assert (workspace / "oncall.example.yaml").is_file()
    out = cli("oncall", "check", "oncall.example.yaml").stdout
    assert out.strip().endswith("ok (5 people, 1 rotation(s), 3 policy(ies), 4 route(s); 0 warning(s))")


def test_now_shows_the_override_and_whom_each_level_pages(workspace, cli):
    install_roster(workspace)
    view = json.loads(cli("oncall", "now", "--at", "2026-11-22T02:00:00+01:00", "--json").stdout)
    assert view["rotations"] == [{"rotation": "community", "timezone": "Europe/Paris", "person": "bruno", "name": "Bruno Leroy",
                                  "override": True, "since": "2026-11-21T17:00:00+00:00", "until": "2026-11-23T08:00:00+00:00"}]
    cell = view["routes"][0]
    assert (cell["escalation_levels"], cell["severities"], cell["policy"]) == (["crisis_cell"], ["*"], "cell")
    assert [lv["people"] for lv in cell["levels"]] == [["bruno", "claire"], ["david", "eve"]]
    before = json.loads(cli("oncall", "now", "--at", "2026-11-21T17:59:00+01:00", "--json").stdout)["rotations"][0]
    assert (before["person"], before["override"]) == ("ana", False)  # ana's week, until bruno takes the weekend
    after = json.loads(cli("oncall", "now", "--at", "2026-11-23T09:00:00+01:00", "--json").stdout)["rotations"][0]
    assert (after["person"], after["override"], after["since"]) == ("bruno", False, "2026-11-23T08:00:00+00:00")  # his own week
    text = cli("oncall", "now", "--at", "2026-11-22T02:00:00+01:00").stdout
    assert "community          Bruno Leroy (bruno)  since Sat 2026-11-21 18:00 CET  until Mon 2026-11-23 09:00 CET  [override]" in text


def test_without_a_roster_oncall_commands_say_how_to_get_one(workspace, cli):
    result = cli("oncall", "now", code=5)
    assert "no oncall.yaml in" in result.stderr and "copy oncall.example.yaml to oncall.yaml" in result.stderr


def test_closing_without_the_role_is_refused_naming_the_role_and_who_holds_it(workspace, cli):
    """Anyone on the roster works the incident; closing needs the playbook's role; strangers are refused."""
    install_roster(workspace)
    cli("open", "-p", "hijacked_account", "-t", "hacked", "--as", "ana")
    result = cli("ack", "1", "--as", "mallory", code=4)
    assert "'mallory' is not on the on-call roster" in result.stderr
    assert "Hint: act as someone on it with --as ID (ana, bruno, claire, david, eve)" in result.stderr
    cli("ack", "1", "--as", "ana")
    refused = cli("close", "1", "--as", "ana", code=4)
    assert refused.stderr.splitlines()[0] == ("Error: closing INC-0001 needs the role comms_lead or direction (playbook hijacked_account); "
                                              "ana holds community_manager")
    assert "e.g. crisis close INC-0001 --as claire" in refused.stderr
    by_lead = cli("close", "1", "--as", "claire", code=4)  # the role is there: now the lifecycle speaks
    assert "close is not possible in state triage" in by_lead.stderr


def test_dismissing_a_serious_incident_needs_the_role(workspace, cli):
    install_roster(workspace)
    cli("open", "-p", "hijacked_account", "-t", "hacked", "--severity", "SEV1", "--as", "ana")
    result = cli("dismiss", "1", "--as", "ana", code=4)
    assert result.stderr.splitlines()[0] == ("Error: dismissing INC-0001 at SEV1 needs the role comms_lead or direction "
                                             "(playbook hijacked_account); ana holds community_manager")
    assert "Hint: held by Claire Dubois (claire: comms_lead), David Moreau (david: direction): ask one of them, " \
           "e.g. crisis dismiss INC-0001 --as claire" in result.stderr
    cli("ack", "1", "--as", "ana")  # anyone on the roster may acknowledge
    cli("dismiss", "1", "--note", "our own test post", "--as", "claire")


@pytest.mark.parametrize("block,message", [
    ("permissions:\n  delete_posts: {roles: [comms_lead]}\n", "permissions.delete_posts: unknown key; expected one of: acknowledge,"),
    ("permissions:\n  close: {roles: []}\n", "permissions.close.roles: expected at least one role"),
    ("permissions:\n  dismiss: {roles: [direction], from: SEV5}\n", "permissions.dismiss.from: 'SEV5' is not a severity"),
])
def test_a_playbook_permission_that_makes_no_sense_is_refused_with_its_place(block, message):
    from crisis.errors import ContentError
    from crisis.playbook.loader import parse_playbook

    text = (Path(__file__).parent / "data" / "playbooks" / "valid.yaml").read_text(encoding="utf-8") + "\n" + block
    with pytest.raises(ContentError, match=r"^valid\.yaml:\d+:\d+: ") as refused:
        parse_playbook(text, "valid.yaml")
    assert message in refused.value.message


def test_a_playbook_permission_applies_from_its_severity_up():
    from crisis.playbook.loader import parse_playbook

    text = (Path(__file__).parent / "data" / "playbooks" / "valid.yaml").read_text(encoding="utf-8")
    playbook = parse_playbook(text + "\npermissions:\n  dismiss: {roles: [direction, comms_lead], from: SEV2}\n", "valid.yaml")
    assert [playbook.roles_for("dismiss", sev) for sev in ("SEV1", "SEV2", "SEV3")] == [("direction", "comms_lead")] * 2 + [()]
    assert playbook.roles_for("check", "SEV1") == ()
