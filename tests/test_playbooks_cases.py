"""Three real public cases run end to end through the CLI with the best-fitting playbook (a person harmed, an
operational failure, an NGO campaign); their statements are kept as golden files a reviewer reads as a diff
(regenerate with CRISIS_UPDATE_GOLDEN=1). Also: the approval matrix, the pre-approved holding statement, the right of
reply refused where the platform lets us answer, and the signature without a roster, all through the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from crisis.cli import context
from crisis.playbook.loader import load_playbook, parse_fact_value
from crisis.playbook.model import all_hold
from crisis.replies.manifest import load_manifest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "cases"
CONTACT = "care@example.org"

CASES = {
    "united_3411": {
        "title": "United Express flight 3411 (Chicago, 9 April 2017): a seated passenger dragged off the plane, injured",
        "source": "Widely reported from 10 April 2017; United's CEO first spoke of having to 're-accommodate' customers.",
        "playbook": "bad_buzz", "brand": "United", "lang": "en", "channel": "x",
        "facts": {
            "origin_platform": "x", "fault_kind": "staff_act", "subject": "the removal of a passenger from flight 3411 in Chicago",
            "offending_content": "none", "sensitive_stakes": "yes", "person_harmed": "yes",
            "harmed_who": "the passenger who was injured as he was removed from flight 3411", "brand_at_fault": "yes",
            "what_happened": "On Sunday, on flight 3411 from Chicago to Louisville, a passenger who had boarded and was seated was "
                             "forcibly removed by airport police, called by our staff to free seats for crew members. He was injured.",
            "fix": "From today, no passenger who has boarded will be made to give up their seat against their will, and we will not "
                   "call law enforcement to remove a seated passenger unless safety is at stake.",
            "gesture": "Every passenger on the flight is refunded.",
        },
        "values": {"next_update_at": "6 pm", "statement_url": "https://hub.united.com/statement-3411",
                   "signatory": "Oscar Munoz, Chief Executive Officer"},
        "extra": ["internal_note", "customer_qa"],
    },
    "kfc_uk_2018": {
        "title": "KFC UK (February 2018): a new delivery partner fails, most restaurants run out of chicken, over 600 closed",
        "source": "Widely reported from 17 February 2018; KFC later ran its 'FCK' apology, humour once the facts were owned.",
        "playbook": "service_outage", "brand": "KFC", "lang": "en", "channel": "x",
        "facts": {
            "service": "delivery of chicken to our restaurants across the UK", "customers_affected": "500000", "safety_risk": "no",
            "partner_at_fault": "yes", "status_page_url": "https://www.kfc.co.uk/restaurant-status",
            "workaround": "Our restaurant finder shows which restaurants are open today.", "restored": "yes",
            "cause": "We changed our delivery partner, and the new distribution network could not get fresh chicken to our "
                     "restaurants on time.",
            "gesture": "Our restaurant teams were paid in full during the closures, and every cancelled order is refunded.",
        },
        "values": {"next_update_at": "6 pm"},
        "extra": ["customer_qa"],
    },
    "nestle_kitkat_2010": {
        "title": "Nestlé and Greenpeace's KitKat campaign (March 2010): palm oil from a supplier clearing rainforest",
        "source": "Greenpeace report and video of 17 March 2010; Nestlé had a sustainable palm-oil policy, which the "
                  "supplier's practices breached; the brand's first replies defended the policy and censored comments.",
        "playbook": "activist_attack", "brand": "Nestlé", "lang": "en", "channel": "facebook",
        "facts": {
            "origin_platform": "youtube", "cause": "environment",
            "allegation": "palm oil in our products comes from Sinar Mas, a supplier that clears Indonesian rainforest and "
                          "orang-utan habitat",
            "organised_campaign": "yes", "undercover_footage": "yes", "already_acting": "yes", "policy_status": "policy_failed",
            "interim_step": "We have stopped buying palm oil from Sinar Mas.", "progress_report_on": "2010-05-17",
            "commitments_url": "https://www.nestle.com/csv/palm-oil",
        },
        "values": {"next_update_at": "5 pm"},
        "extra": ["internal_note", "customer_qa"],
    },
}


def show(cli) -> dict:
    return json.loads(cli("show", "1", "--json").stdout)


def draft(cli, playbook, name: str, case: dict, *, channel: str | None = None) -> tuple[str, str]:
    """Draft reply `name` in the case's language; returns (label, text)."""
    manifest = load_manifest(context.settings().templates_dir / playbook.id)
    declared = manifest.channels_of(name)
    channel = channel or ("website" if "website" in declared else declared[0])
    sets = [f"{k}={v}" for k, v in case["values"].items() if k in manifest.values] + [f"contact={CONTACT}"]
    out = cli("reply", "draft", "1", "--template", name, "--lang", case["lang"], "--channel", channel,
              *[arg for pair in sets for arg in ("--set", pair)])
    return out.stderr.split()[0], out.stdout.strip()


def run_case(cli, case: dict) -> list[tuple[str, str]]:
    """Open, triage and walk the incident through every step that applies, publishing each statement (approved by a
    second person); returns (reply, text) in the order they went out, then the internal texts."""
    playbook = load_playbook(context.settings().playbooks_dir / f"{case['playbook']}.yaml")
    facts = case["facts"]
    typed = {k: parse_fact_value(playbook.find_fact(k), v) for k, v in facts.items()}
    cli("open", "-p", playbook.id, "-t", case["title"], "--brand", case["brand"], "--channel", case["channel"])
    cli("ack", "1")
    answered = set()
    for fact_id in playbook.triage_requires:
        cli("fact", "1", fact_id, facts[fact_id])
        answered.add(fact_id)
    cli("respond", "1")
    statements = []
    while (state := show(cli)["state"]).startswith("responding."):
        step = playbook.find_step(state.split(".", 1)[1])
        for fact_id in step.requires_facts:
            if fact_id not in answered:
                cli("fact", "1", fact_id, facts[fact_id])
                answered.add(fact_id)
        for item in step.checklist:
            cli("check", "1", item.id)
        if step.reply:
            label, text = draft(cli, playbook, step.reply, case)
            cli("reply", "approve", "1", label, "--as", "bea")
            cli("reply", "publish", "1", label)
            statements.append((step.reply, text))
        later = playbook.steps[playbook.steps.index(step) + 1:]
        cli("next" if any(all_hold(s.when, typed) for s in later) else "stabilize", "1")
    for name in case["extra"]:
        statements.append((name, draft(cli, playbook, name, case, channel="email")[1]))
    return statements


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_real_case_runs_through_its_playbook_and_reads_as_its_golden_file(workspace, cli, name):
    """The statements of a real case, drafted and published through the CLI, match the reviewed golden file."""
    case = CASES[name]
    statements = run_case(cli, case)
    text = f"# {case['title']}\n\nPlaybook: {case['playbook']}. Language: {case['lang']}. {case['source']}\n" + "".join(
        f"\n## {reply}\n\n{body}\n" for reply, body in statements)
    golden = GOLDEN / f"{name}.md"
    if os.environ.get("CRISIS_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"no golden file {golden}: run with CRISIS_UPDATE_GOLDEN=1 and review it"
    assert text == golden.read_text(encoding="utf-8")
    assert show(cli)["state"] == "monitoring"


def test_the_harm_case_puts_the_passenger_first_and_thanks_nobody(workspace, cli):
    statements = dict(run_case(cli, CASES["united_3411"]))
    apology = statements["apology"]
    assert "We apologise first to the passenger who was injured as he was removed from flight 3411" in apology
    assert "thank" not in apology.lower() and "Every passenger on the flight is refunded" not in apology
    assert "re-accommodate" not in " ".join(statements.values())


def test_the_operational_failure_owns_the_partner_failure(workspace, cli):
    statements = dict(run_case(cli, CASES["kfc_uk_2018"]))
    assert "you chose us, so the responsibility is ours" in statements["resolution"]
    assert "DHL" not in " ".join(statements.values())
    assert "https://www.kfc.co.uk/restaurant-status" in statements["holding_statement"]


ROSTER = """\
people:
  - {id: ana, name: Ana Martin, roles: [community_manager]}
  - {id: bea, name: Bea Durand, roles: [comms_lead]}
  - {id: carl, name: Carl Petit, roles: [legal]}
  - {id: dora, name: Dora Lemaire, roles: [direction]}
"""


@pytest.fixture
def roster(workspace: Path) -> Path:
    (workspace / "oncall.yaml").write_text(ROSTER, encoding="utf-8")
    context.settings.cache_clear()
    return workspace


def test_at_sev1_with_a_person_harmed_legal_and_direction_approve_as_well(roster, cli):
    """The approval matrix: the comms lead's approval is recorded but the statement stays a draft until legal and
    direction have approved too; only then can it be published."""
    facts = CASES["united_3411"]["facts"]
    cli("open", "-p", "bad_buzz", "-t", "Passenger dragged off flight 3411", "--brand", "United")
    for key in ("origin_platform", "fault_kind", "subject", "offending_content", "sensitive_stakes", "person_harmed", "brand_at_fault",
                "what_happened", "harmed_who"):
        cli("fact", "1", key, facts[key])
    label, _ = draft(cli, load_playbook(roster / "playbooks" / "bad_buzz.yaml"), "update", CASES["united_3411"])
    cli("reply", "approve", "1", label, "--as", "bea")
    refused = cli("reply", "publish", "1", label, code=4)
    assert f"{label} is a draft" in refused.stderr
    cli("reply", "approve", "1", label, "--as", "carl")
    assert json.loads(cli("reply", "list", "1", "--json").stdout)[0]["status"] == "draft"
    cli("reply", "approve", "1", label, "--as", "dora")
    cli("reply", "publish", "1", label)
    events = json.loads(cli("timeline", "1", "--json").stdout)
    assert [(e["actor"], e["data"]["missing"]) for e in events if e["kind"] == "reply_endorsed"] == \
        [("bea", ["legal", "direction"]), ("carl", ["direction"])]
    assert [e["actor"] for e in events if e["kind"] == "reply_approved"] == ["dora"]


def test_a_pre_approved_holding_statement_goes_out_under_the_on_calls_own_approval(roster, cli, tmp_path, monkeypatch):
    """At night, at SEV1, the on-call approves and publishes the pre-approved text alone; an edited text is not
    pre-approved any more and needs the four eyes."""
    cli("open", "-p", "service_outage", "-t", "App down", "--brand", "Acme")
    for key, value in (("service", "online ordering in our app"), ("customers_affected", "20000"), ("safety_risk", "no"),
                       ("partner_at_fault", "no"), ("status_page_url", "https://status.example.com"), ("workaround", "none")):
        cli("fact", "1", key, value)
    label, text = draft(cli, load_playbook(roster / "playbooks" / "service_outage.yaml"), "holding_statement", CASES["kfc_uk_2018"])
    assert show(cli)["severity"] == "SEV1" and text.endswith("Ana, for Acme")
    cli("reply", "approve", "1", label, "--as", "ana")
    cli("reply", "publish", "1", label)
    rule = [e for e in json.loads(cli("timeline", "1", "--json").stdout) if e["kind"] == "reply_approved"][0]["data"]["rule"]
    assert rule.startswith("pre-approved statement, version 2026-11 v1")
    script = tmp_path / "editor.py"
    script.write_text("import sys\np = sys.argv[1]\nt = open(p).read().replace('Our teams', 'All our teams')\nopen(p, 'w').write(t)\n")
    monkeypatch.setenv("EDITOR", f"python3 {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    edited = cli("reply", "draft", "1", "--template", "holding_statement", "--lang", "en", "--channel", "website", "--set",
                 "next_update_at=6 pm", "--edit").stderr.split()[0]
    assert "ana wrote" in cli("reply", "approve", "1", edited, "--as", "ana", code=4).stderr


def test_the_right_of_reply_is_refused_where_the_platform_lets_us_answer(workspace, cli):
    """Decree 2007-1527 art. 1: no right of reply on Tripadvisor, Google, Trustpilot or Facebook; allowed elsewhere."""
    playbook = load_playbook(workspace / "playbooks" / "defamatory_review.yaml")
    cli("open", "-p", "defamatory_review", "-t", "One-star review")
    for fact in playbook.facts:
        if fact.sample is not None:
            cli("fact", "1", fact.id, str(fact.sample).lower() if fact.type == "bool" else str(fact.sample))
    sets = ["--set", f"contact={CONTACT}", "--set", "reply_text=No booking matches the date given."]
    refused = cli("reply", "draft", "1", "--template", "right_of_reply", "--lang", "en", *sets, code=4)
    assert "no right_of_reply when platform is tripadvisor: the online right of reply does not apply" in refused.stderr
    assert refused.stdout == ""
    cli("fact", "1", "platform", "other")
    text = cli("reply", "draft", "1", "--template", "right_of_reply", "--lang", "en", *sets).stdout
    assert "Request sent by e-mail" in text and "Registered letter" not in text


def test_without_a_roster_the_brand_signs_alone_never_a_login(workspace, cli):
    cli("open", "-p", "bad_buzz", "-t", "Catalogue photo", "--brand", "Acme")
    cli("fact", "1", "subject", "the photo in our winter catalogue")
    cli("fact", "1", "person_harmed", "no")
    text = cli("reply", "draft", "1", "--template", "holding_statement", "--lang", "en", "--channel", "facebook", "--set",
               "next_update_at=3 pm", "--set", f"contact={CONTACT}").stdout.strip()
    assert text.splitlines()[-1] == "Acme" and "ana" not in text.lower().split()
