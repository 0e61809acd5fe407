"""The rumour and data-leak playbooks: their branches walked through the CLI, the GDPR clock armed from the
awareness date and breached by tick, detection of typo'd mentions, and every template in every branch."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta

from crisis.playbook.loader import list_playbooks, load_playbook
from crisis.replies.channels import CHANNELS, breaches
from crisis.replies.manifest import SAMPLES, load_manifest
from crisis.replies.render import find_template, list_templates, parse_template, render_template, template_variables
from crisis.settings import LANGUAGES
from crisis.triage.match import Matcher
from tests.test_triage_ingest import mention

ROOT = Path(__file__).resolve().parent.parent
RUMOUR = load_playbook(ROOT / "playbooks" / "rumour.yaml")
LEAK = load_playbook(ROOT / "playbooks" / "data_leak.yaml")
MATCHER = Matcher({p.id: p.detect for p in map(load_playbook, list_playbooks(ROOT / "playbooks"))})
CONTACT = "care@acme.example"


def show(cli, ref: str = "1", **kw) -> dict:
    return json.loads(cli("show", ref, "--json", **kw).stdout)


def publish(cli, playbook_id: str, ref: str = "1") -> None:
    """The current step's statement, with every value the playbook's templates declare: drafted, approved, published."""
    manifest = load_manifest(ROOT / "templates" / playbook_id)
    values = [arg for v in manifest.values.values() for arg in ("--set", f"{v.id}={v.sample['en']}")]
    label = cli("reply", "draft", ref, *values, "--set", f"contact={CONTACT}", "--lang", "en").stderr.split()[0]
    cli("reply", "approve", ref, label, "--as", "bea")
    cli("reply", "publish", ref, label)


def walk(cli, playbook, triage: dict[str, str], later: dict[str, str]) -> list[str]:
    """Open an incident, answer triage, then work every step (facts, checklist, statement) to monitoring: the steps visited."""
    cli("open", "-p", playbook.id, "-t", f"{playbook.id} walked", "--channel", "x")
    cli("ack", "1")
    for fact_id, value in triage.items():
        cli("fact", "1", fact_id, value)
    cli("respond", "1")
    visited = []
    while (state := show(cli)["state"]).startswith("responding."):
        step = playbook.find_step(state.split(".", 1)[1])
        visited.append(step.id)
        for fact_id in step.requires_facts:
            cli("fact", "1", fact_id, later[fact_id])
        for item in step.checklist:
            cli("check", "1", item.id)
        if step.reply:
            publish(cli, playbook.id)
        cli("next" if "next" in show(cli)["allowed"] else "stabilize", "1")
    assert state == "monitoring"
    return visited


RUMOUR_TRIAGE = {"origin_platform": "facebook", "claim": "our cereal bars contain an additive banned in Europe",
                 "attributed_to_brand": "no", "health_or_safety": "no", "spreading": "yes", "spread_by": "ordinary_accounts",
                 "first_published_at": "2026-11-19"}
RUMOUR_LATER = {"the_facts": "Our bars contain no such additive.", "proof_url": "https://acme.example/facts",
                "action_taken": "We have withdrawn the batches concerned."}


@pytest.mark.parametrize("veracity,attributed,spreading,expected", [
    ("false_claim", "yes", "yes", ["verify_before_speaking", "holding_statement", "correct_the_record", "report_impersonation",
                                   "reach_sharers", "fact_checkers_and_press", "watch_for_relapse"]),
    ("true_claim", "no", "no", ["verify_before_speaking", "acknowledge_and_act", "reach_sharers", "watch_for_relapse"]),
])
def test_a_true_rumour_is_acknowledged_and_a_false_one_corrected(workspace, cli, veracity, attributed, spreading, expected):
    """The truth of the claim, answered at triage, decides the branch: never a correction of what is true; a fake in the
    brand's name is reported as impersonation; a rumour nobody shares gets no holding statement nor press work."""
    triage = {**RUMOUR_TRIAGE, "veracity": veracity, "attributed_to_brand": attributed, "spreading": spreading}
    assert walk(cli, RUMOUR, triage, RUMOUR_LATER) == expected
    published = [e for e in json.loads(cli("timeline", "1", "--json").stdout) if e["kind"] == "reply_published"]
    assert len(published) == sum(1 for s in expected if RUMOUR.find_step(s).reply)


def test_the_truth_answer_can_change_after_verification_and_the_branch_follows_it(workspace, cli):
    """Triage says false; verification finds it partly true: the response acknowledges instead of denying."""
    cli("open", "-p", "rumour", "-t", "bars", "--channel", "x")
    cli("ack", "1")
    for fact_id, value in {**RUMOUR_TRIAGE, "veracity": "false_claim", "spreading": "no"}.items():
        cli("fact", "1", fact_id, value)
    cli("respond", "1")
    for item in RUMOUR.find_step("verify_before_speaking").checklist:
        cli("check", "1", item.id)
    cli("fact", "1", "veracity", "partly_true")
    cli("next", "1")
    assert show(cli)["state"] == "responding.acknowledge_and_act"


def test_rumour_severity_rises_on_health_claims_and_media():
    assert RUMOUR.evaluate_severity({}) == "SEV3"
    assert RUMOUR.evaluate_severity({"spreading": True}) == "SEV2"
    assert RUMOUR.evaluate_severity({"health_or_safety": True}) == "SEV1"
    assert RUMOUR.evaluate_severity({"spread_by": "media"}) == "SEV1"
    assert RUMOUR.evaluate_severity({"press_pickup": True}) == "SEV1"


def test_rumour_arms_the_press_law_limitation_from_first_publication():
    assert RUMOUR.limitation is not None and RUMOUR.limitation.from_fact == "first_published_at"
    assert RUMOUR.limitation.period == relativedelta(months=3) and "first_published_at" in RUMOUR.triage_requires


LEAK_TRIAGE = {"discovered_how": "public_claim", "became_aware_on": "2026-11-20", "confirmed": "yes", "personal_data": "yes",
               "credentials_exposed": "yes"}
LEAK_LATER = {"data_exposed": "names, e-mail addresses and encrypted passwords", "sensitive_data": "no", "people_count": "12000",
              "what_happened": "An attacker copied part of our customer database.",
              "measures_taken": "We closed the flaw and reset every password concerned.", "high_risk": "yes", "goes_public": "yes"}


@pytest.mark.parametrize("triage,later,expected", [
    ({}, {}, ["contain", "holding_statement", "assess", "notify_authority", "inform_people", "public_statement", "monitor"]),
    ({"discovered_how": "internal_detection", "personal_data": "no", "credentials_exposed": "no"},
     {"high_risk": "no", "goes_public": "no", "people_count": "0"}, ["contain", "assess", "monitor"]),
])
def test_data_leak_steps_follow_what_got_out_and_who_knows(workspace, cli, triage, later, expected):
    """Contain first, always; the authority only for personal data, the people only at high risk, the public only if it is public."""
    assert walk(cli, LEAK, {**LEAK_TRIAGE, **triage}, {**LEAK_LATER, **later}) == expected


def test_the_gdpr_clock_is_armed_from_the_awareness_date_and_breached_by_tick_at_the_right_instant(workspace, cli):
    """72 hours from the day we became aware (counted from midnight in the workspace's time zone, Europe/Paris), warned 24 hours before: due at day + 48 h;
    tick records it once, with the note, and answering the date again moves it. The complaint that conditions
    cyber-insurance (L12-10-1) runs on the same 72 hours, with its own note."""
    cli("open", "-p", "data_leak", "-t", "customer data on a forum")  # at T0, 2026-11-20 10:00 UTC
    cli("fact", "1", "became_aware_on", "2026-11-19")
    limitations = [d for d in show(cli)["deadlines"] if d["deadline"] == "limitation"]
    assert [d["due_at"] for d in limitations] == ["2026-11-20T23:00:00+00:00"] * 2
    cli("fact", "1", "became_aware_on", "2026-11-20")  # a better answer replaces the warning
    armed = [d for d in show(cli)["deadlines"] if d["deadline"] == "limitation"]
    assert [d["due_at"] for d in armed] == ["2026-11-21T23:00:00+00:00"] * 2
    cli("ack", "1")
    before = cli("tick", "--now", "2026-11-21T22:59:00+00:00").stdout
    assert "limitation" not in before
    out = cli("tick", "--now", "2026-11-21T23:00:00+00:00").stdout
    assert out.splitlines() == ["INC-0001: limitation breached (due 2026-11-21 23:00 UTC)"] * 2
    events = json.loads(cli("timeline", "1", "--json", now="2026-11-22T00:00:00+00:00").stdout)
    warning = [e for e in events if e["kind"] == "limitation_warning"]
    assert len(warning) == 2 and "72" in warning[0]["data"]["note"] and "CNIL" in warning[0]["data"]["note"]
    assert "L12-10-1" in warning[1]["data"]["note"] and "72" in warning[1]["data"]["note"]
    assert cli("tick", "--now", "2026-11-22T06:00:00+00:00").stdout == ""


def test_data_leak_severity_and_the_gdpr_clock_in_the_playbook():
    assert LEAK.limitation is not None and LEAK.limitation.from_fact == "became_aware_on"
    assert LEAK.limitation.period == timedelta(hours=72) and "became_aware_on" in LEAK.triage_requires
    assert LEAK.evaluate_severity({"personal_data": True}) == "SEV2"
    assert LEAK.evaluate_severity({"discovered_how": "ransomware_claim"}) == "SEV1"
    assert LEAK.evaluate_severity({"people_count": 25000}) == "SEV1"


@pytest.mark.parametrize("text,playbook,phrase", [
    ("Attention fuitte de donées chez Acme !!", "data_leak", "fuite de données"),
    ("Vos clients ont été piratéééés, mes donnés ont fuité", "data_leak", "vos clients ont été piratés"),
    ("J'ai reçu un faux mail à vôtre nom", "data_leak", "faux mail à votre nom"),
    ("Acme custmer data leakd on a forum", "data_leak", "customer data leaked"),
    ("massive DATA BREECH at Acme", "data_leak", "data breach"),
    ("Acme passwords leakd everywhere", "data_leak", "passwords leaked"),
    ("C'est un faux comuniqué, pas Acme", "rumour", "faux communiqué"),
    ("capture d'écran trukée qui circule", "rumour", "capture d'écran truquée"),
    ("that docterd screenshot of Acme", "rumour", "doctored screenshot"),
    ("Acme fake press relese going round", "rumour", "fake press release"),
    ("Acme bars gave me fod poisoning", "product_recall", "food poisoning"),  # a product made someone ill: product safety first
])
def test_typod_mentions_in_both_languages_match_the_new_playbooks(text, playbook, phrase):
    """The typo'd form of what the playbook looks for matches it; the match's span is the text's own words."""
    verdict = next(v for v in MATCHER.classify(text) if v.playbook_id == playbook)
    assert verdict.matched and verdict.match.score >= 75
    assert text[verdict.match.span[0]:verdict.match.span[1]] == verdict.match.excerpt and verdict.match.hits


@pytest.mark.parametrize("text", [
    "Reset my password please, I can't log in", "J'ai changé mon mot de passe, merci pour l'aide",
    "La fuite d'eau est réparée, merci à votre plombier", "Great data plan, thanks!", "Le document est prêt, merci",
    "Votre service client est au top", "Great flight, thanks for the upgrade", "Loved the new screenshot feature",
    "Une belle information sur votre site", "Quel beau communiqué de presse, bravo", "the glass of wine in the lounge was lovely",
    "April fools! Our fake press release made you laugh", "Ce n'est pas une rumeur, c'est un vrai succès",
    "Concours : RT et partagez au maximum pour gagner", "C'est un montage vidéo génial, bravo", "How do you protect your customers' data?",
])
def test_ordinary_sentences_match_neither_new_playbook(text):
    assert {"rumour", "data_leak"}.isdisjoint(m.playbook_id for m in MATCHER.matching(text))


def test_ingested_mentions_open_a_rumour_and_a_leak_and_praise_opens_nothing(workspace, cli, tmp_path):
    """End to end: a phrase of several words opens its incident at once; ordinary mentions open nothing."""
    at = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    texts = ["Acme : fuitte de donées, vos clients ont été piratés", "That doctored screenshot of Acme is going round",
             "Merci Acme pour la livraison rapide", "Acme, reset my password please", "Le document est prêt, merci Acme"]
    path = tmp_path / "mentions.jsonl"
    path.write_text("\n".join(mention(f"m{n}", t, at + timedelta(minutes=n)) for n, t in enumerate(texts)) + "\n", encoding="utf-8")
    cli("ingest", str(path))
    opened = {i["playbook"] for i in json.loads(cli("list", "--json").stdout)}
    assert opened == {"data_leak", "rumour"}


@pytest.mark.parametrize("playbook", [RUMOUR, LEAK], ids=["rumour", "data_leak"])
def test_every_template_renders_in_every_channel_language_and_branch(playbook):
    """Beyond the samples `check` uses: every combination of the bool and choice facts the templates branch on, each
    text within its channel's limits and rules, no placeholder left."""
    manifest = load_manifest(ROOT / "templates" / playbook.id)
    samples = {f.id: f.sample for f in playbook.facts}
    files = list_templates(ROOT / "templates", playbook_id=playbook.id)
    used = set().union(*(template_variables(parse_template(t.path))[1] for t in files))
    branching = [f for f in playbook.facts if f.type in ("bool", "choice") and f.id in used]
    names = sorted({t.name for t in files})
    assert set(names) == set(manifest.channels)
    for combo in itertools.product(*[(True, False) if f.type == "bool" else f.choices for f in branching]):
        facts = {**samples, **{f.id: value for f, value in zip(branching, combo)}}
        for name in names:
            for channel, lang in itertools.product(manifest.channels_of(name), LANGUAGES):
                context = {**SAMPLES, "channel": channel, "lang": lang, "facts": facts, **{v.id: v.sample[lang] for v in manifest.values.values()}}
                text = render_template(find_template(ROOT / "templates", playbook.id, name, channel=channel, lang=lang), context)
                assert not breaches(CHANNELS[channel], text, allowed=(SAMPLES["contact"],)), (name, channel, lang, combo, text)
                assert "{{" not in text and "None" not in text, (name, channel, lang, text)
                assert not any("  " in line or " ." in line or line != line.rstrip() for line in text.splitlines()), (name, channel, lang, text)
