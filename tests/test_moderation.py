"""The moderation playbook: its lexicon catches typo'd abuse, leaves swearing in praise alone, and its facts branch."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from rapidfuzz import fuzz

from crisis.playbook.loader import list_playbooks, load_playbook
from crisis.triage.fold import fold
from crisis.triage.match import Matcher

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOKS = {pb.id: pb for pb in map(load_playbook, list_playbooks(ROOT / "playbooks"))}
MATCHER = Matcher({pb_id: pb.detect for pb_id, pb in PLAYBOOKS.items()})
ABUSE = "abusive_comments"


def show(cli, ref: str) -> dict:
    return json.loads(cli("show", ref, "--json").stdout)


@pytest.mark.parametrize("text,phrase", [
    ("b4nde de c0nn4rds, rendez l'argent", "bande de connards"),  # leetspeak
    ("Bande de conards vous etes nuls", "bande de connards"),  # a letter missing
    ("espece de connaaaard", "espèce de connard"),  # accent missing, letters held
    ("sal4 arabe", "sale arabe"),
    ("on sai ou tu abites", "on sait où tu habites"),  # threat, two letters missing
    ("fais gaffe a toi, on sait ou tu bosses", "fais gaffe à toi"),
    ("voici son adrese perso", "voici son adresse"),  # doxxing
    ("fuk you @acme", "fuck you"),
    ("you fucking idi0ts", "fucking idiots"),
    ("go fuck yourslef", "go fuck yourself"),
    ("k1ll yourself", "kill yourself"),
    ("I wil find you", "i will find you"),  # threat
    ("i kno where u live", "i know where you live"),
    ("f4ggot", "faggot"),
    ("her home adress is 12 Elm St", "her home address"),  # doxxing
])
def test_typod_and_leetspeak_abuse_matches_with_the_phrase_named(text, phrase):
    """Insults, slurs, threats and doxxing in both languages, misspelt, match the moderation playbook by name."""
    verdicts = [v for v in MATCHER.classify(text) if v.matched]
    assert verdicts and verdicts[0].playbook_id == ABUSE, [v.as_dict() for v in verdicts]
    # the phrase itself, or a query clause that says the same words (the more specific wins)
    assert verdicts[0].match.phrase == phrase or fuzz.ratio(fold(verdicts[0].match.excerpt), fold(phrase)) >= 85


@pytest.mark.parametrize("text", [
    "fucking awesome flight, thank you @Acme!!",
    "putain c'est trop bien, merci Acme",
    "Fucking love this airline",
    "holy shit best service ever",
    "merde alors, trop bien ce colis",
    "mort de rire, je suis mort 😂 meilleure pub de l'année",
    "You killed it guys, killer deal",
    "we will find you a seat on the next flight",
    "would it kill you to answer the phone?",
    "Le vol a du retard, encore",
    "Je ne m'attarde pas, merci pour tout",
    "Youuuupi ma commande est arrivée",
    "Le Niger signe avec Acme pour les énergies renouvelables #Niger",
    "On the road to the sale, see you there",
])
def test_swearing_in_praise_and_ordinary_sentences_do_not_match(text):
    """Swearing that targets nobody, and ordinary words near a slur, never reach the moderation playbook."""
    assert ABUSE not in {v.playbook_id for v in MATCHER.classify(text) if v.matched}


def test_a_raid_in_one_thread_opens_one_moderation_incident_that_says_why(workspace, cli, tmp_path):
    """Abusive comments under one brand post open one incident; the timeline names each mention, phrase and reason."""
    at = datetime(2026, 11, 20, 10, 40, tzinfo=timezone.utc)
    comments = ["Bande de conards, 3 semaines que j'attends mon remboursement !!", "Sam retourne dans ton pays, espece de conasse",
                "fuk you Acme, your store staff are a joke", "on sait ou tu bosses Sam, fais gaffe a toi",
                "fucking awesome jacket tho"]  # praise in the same thread: stored, not attached
    path = tmp_path / "raid.jsonl"
    path.write_text("\n".join(json.dumps({"id": f"c{i}", "platform": "ig", "text": text, "in_reply_to": "post-1",
                                          "created_at": (at + timedelta(minutes=i)).isoformat()}, ensure_ascii=False)
                              for i, text in enumerate(comments)) + "\n", encoding="utf-8")
    out = cli("ingest", str(path), now="2026-11-20T11:00:00+00:00").stdout
    assert out.startswith("read 5, ingested 5, duplicates 0, rejected 0\nmatched 4\nincidents opened 1: INC-0001\n")
    [incident] = json.loads(cli("list", "--json").stdout)
    assert incident["playbook"] == ABUSE and incident["severity"] == "SEV3"
    timeline = json.loads(cli("timeline", "INC-0001", "--json").stdout)
    assert timeline[0]["actor"] == "triage"
    attached = next(e for e in timeline if e["kind"] == "mentions_attached")["data"]["mentions"]
    assert [(m["mention"], m["clause"], m["why"]) for m in attached] == [
        ("ig:c0", "bande de connards", "opened it"),
        ("ig:c1", MATCHER.matching("retourne dans ton pays")[0].clause, "same thread (ig:post-1)"),  # a query clause, by its label
        ("ig:c2", "fuck you", "same thread (ig:post-1)"),
        ("ig:c3", "fais gaffe à toi", "same thread (ig:post-1)"),
    ]
    assert attached[1]["clause"].startswith("query.fr#") and attached[1]["words"] == "retourne dans ton pays"


def _triage(cli, ref: str, **facts: str) -> None:
    cli("ack", ref)
    for key, value in facts.items():
        cli("fact", ref, key, value)
    cli("respond", ref)


def _finish_step(cli, ref: str, items: list[str]) -> str:
    for item in items:
        cli("check", ref, item)
    cli("next", ref)
    return show(cli, ref)["state"]


EVIDENCE = ["imminent_danger_first", "capture_comments", "record_capture_details", "capture_the_wave", "consider_formal_record"]
MODERATE = ["apply_house_rules", "never_silence_critics", "hide_rather_than_delete", "report_rule_breaches",
            "block_repeat_offenders_only", "filters_during_raid", "log_moderation"]


def test_a_legitimate_criticism_inside_the_abuse_is_answered_on_its_substance(workspace, cli):
    """Triage facts branch: a critique wrapped in insults leads past moderation to the answer on the merits, whose
    draft names the critique and never the abuse; a lone insult at the brand goes from moderation to follow-up."""
    cli("open", "-p", ABUSE, "-t", "Insults and a refund complaint under the launch post", "--channel", "facebook")
    _triage(cli, "1", platform="facebook", abuse_kind="insult", target="brand", safety_threat="no",
            legitimate_criticism="yes", wave="no")
    assert show(cli, "1")["state"] == "responding.keep_evidence"
    assert _finish_step(cli, "1", EVIDENCE) == "responding.moderate"
    cli("fact", "1", "house_rules_url", "https://acme.example/house-rules")
    cli("fact", "1", "illegal_content", "no")
    assert _finish_step(cli, "1", MODERATE) == "responding.answer_substance"  # no wave: no public reminder
    draft = cli("reply", "draft", "1", "--lang", "en", "--set", "critique=the refund of your order",
                "--set", "what_we_do=Your refund left this morning.", "--set", "contact=care@acme.example", "--set", "author=Riley")
    text = cli("reply", "show", "1", draft.stderr.split()[0]).stdout
    assert "Your point about the refund of your order is fair" in text and "https://acme.example/house-rules" in text

    cli("open", "-p", ABUSE, "-t", "A lone insult at the brand", "--channel", "x")
    _triage(cli, "2", platform="x", abuse_kind="insult", target="brand", safety_threat="no", legitimate_criticism="no", wave="no")
    _finish_step(cli, "2", EVIDENCE)
    cli("fact", "2", "house_rules_url", "https://acme.example/house-rules")
    cli("fact", "2", "illegal_content", "no")
    assert _finish_step(cli, "2", MODERATE) == "responding.follow_up"  # a troll is not fed: nothing public


def test_a_threat_against_a_staff_member_raises_severity_and_protects_supports_and_notifies(workspace, cli):
    """A threat to someone's safety is SEV1 and runs the protection, the private support and the notice to the host."""
    cli("open", "-p", ABUSE, "-t", "Threats against the Lyon store manager", "--channel", "instagram")
    _triage(cli, "1", platform="instagram", abuse_kind="threat", target="staff_member", safety_threat="yes",
            legitimate_criticism="no", wave="yes")
    view = show(cli, "1")
    assert view["severity"] == "SEV1" and view["state"] == "responding.keep_evidence"
    _finish_step(cli, "1", EVIDENCE)
    cli("fact", "1", "house_rules_url", "https://acme.example/house-rules")
    cli("fact", "1", "illegal_content", "yes")
    assert _finish_step(cli, "1", MODERATE) == "responding.protect_people"
    cli("open", "-p", ABUSE, "-t", "Racist slurs under the recruitment post", "--channel", "facebook")
    _triage(cli, "2", platform="facebook", abuse_kind="hate", target="group", safety_threat="no", legitimate_criticism="no", wave="no")
    assert show(cli, "2")["severity"] == "SEV2"  # a protected group targeted
    steps = [s["id"] for s in json.loads(cli("playbook", "show", ABUSE, "--json").stdout)["steps"]]
    assert steps.index("protect_people") < steps.index("house_rules_reminder") < steps.index("support_target") < steps.index("notice_to_host")
