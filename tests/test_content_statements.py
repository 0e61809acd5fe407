"""The shipped statements read as a crisis professional would sign them: every template rendered with many sets of
facts (each branch, the sensitive cases, each sector), held to forbidden words per language and to the legal
invariants of docs/playbooks.md ("Style guide for statements")."""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta

from crisis.incident.deadlines import arm_limitations
from crisis.incident.models import Incident
from crisis.playbook.loader import list_playbooks, load_playbook
from crisis.replies.manifest import SAMPLES, load_manifest
from crisis.replies.render import check_replies, list_templates, render_template

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
PLAYBOOKS = {p.stem: load_playbook(p) for p in list_playbooks(ROOT / "playbooks")}
PRIVATE = ("internal_note", "customer_qa", "support_script")  # read by staff, not by the public

FORBIDDEN = {  # calques, euphemisms and slips the style guide rules out, per language
    "fr": ["ici d'ici", "revenir vers vous", "reviendrons vers vous", "reviens vers vous", "malencontreu", "malentendu", "incident isolé",
           "si certains ont été choqués", "ce que nous avons publié ou fait", "au sujet de le ", "au sujet de les ", "non affiché"],
    "en": ["come back to you", "put in question", "moved us forward", "unfortunate", "misunderstanding", "isolated incident",
           "if anyone was offended", "something we published or did", "not shown"],
}
HOTEL_WORDS = re.compile(r"\b(séjour|hôtel|chambres?|stay|hotel|rooms?)\b", re.IGNORECASE)
URL = re.compile(r"https?://\S+")


def fact_sets(playbook):
    """Samples for every fact (texts replaced by a marker, so that what is checked is the template's own words), then
    each yes/no fact flipped and each choice taken in turn, each with nothing done and with every step done."""
    base = {f.id: (f"[{f.id}]" if f.type == "text" else f.sample) for f in playbook.facts if f.sample is not None}
    sets = [base]
    for fact in playbook.facts:
        if fact.type == "bool":
            sets.append({**base, fact.id: not base.get(fact.id, False)})
        elif fact.type == "choice":
            sets += [{**base, fact.id: choice} for choice in fact.choices]
    everything = sorted({i.id for s in playbook.steps for i in s.checklist})
    replies = sorted({s.reply for s in playbook.steps if s.reply})
    flips = [base, *(s for s in sets[1:] if len(s) == len(base) and any(isinstance(v, bool) for v in s.values()))]
    return [(facts, [], []) for facts in sets] + [(facts, everything, replies) for facts in flips]


@functools.cache
def _renders(playbook_id: str) -> tuple:
    return tuple(_render_all(PLAYBOOKS[playbook_id]))


def renders(playbook):
    """(template file, facts, done, text) for every template of the playbook and every fact set, in the file's channel;
    declared values are markers too (a time and links keep their sample), so the words checked are the template's."""
    return _renders(playbook.id)


def _render_all(playbook):
    manifest = load_manifest(TEMPLATES / playbook.id)
    values = {v.id: (v.sample if v.id == "next_update_at" or "://" in v.sample["en"] else {"fr": f"[{v.id}]", "en": f"[{v.id}]"})
              for v in manifest.values.values()}
    for t in list_templates(TEMPLATES, playbook_id=playbook.id):
        channel = t.channel or next((c for c in manifest.channels_of(t.name) if not (t.path.parent / f"{t.name}.{c}.{t.lang}.txt.j2").exists()),
                                    "website")
        for facts, done, published in fact_sets(playbook):
            context = {**SAMPLES, "channel": channel, "lang": t.lang, "facts": facts, "done": done, "published": published,
                       **{k: v[t.lang] for k, v in values.items()}}
            yield t, facts, done, render_template(t.path, context)


@pytest.fixture(params=sorted(PLAYBOOKS))
def rendered(request):
    playbook = PLAYBOOKS[request.param]
    return playbook, renders(playbook)


def test_every_template_renders_with_every_branch_and_says_no_forbidden_word(rendered):
    """No calque ("ici d'ici", "come back to you"), no euphemism, no 12000 for 12 000, whatever the facts."""
    playbook, texts = rendered
    assert len(texts) >= 40
    for t, facts, _done, text in texts:
        lowered = text.lower()
        found = [word for word in FORBIDDEN[t.lang] if word in lowered]
        assert not found, f"{t.path.name} with {facts}: {found}"
        if t.lang == "fr":
            assert not re.search(r"\d{5,}", URL.sub("", text)), f"{t.path.name}: a French number without its thousands space"
        assert "{{" not in text and "{%" not in text


def test_statements_are_signed_by_a_person_or_by_the_brand_alone(rendered):
    """Without a responder (no roster: no login as a signature), the brand signs alone; never ", for Acme"."""
    playbook, _texts = rendered
    manifest = load_manifest(TEMPLATES / playbook.id)
    facts = {f.id: f.sample for f in playbook.facts if f.sample is not None}
    for t in list_templates(TEMPLATES, playbook_id=playbook.id):
        context = {**SAMPLES, "responder": "", "channel": t.channel or "website", "lang": t.lang, "facts": facts,
                   **{v.id: v.sample[t.lang] for v in manifest.values.values()}}
        text = render_template(t.path, context)
        assert not re.search(r"^, (for|pour) ", text, re.MULTILINE), t.path.name
        last = text.splitlines()[-1]
        assert not last.startswith(("Ana", "ana")), t.path.name


def test_a_harm_case_thanks_nobody_in_public(rendered):
    """When a person was harmed, no public statement thanks the public: the person comes first."""
    playbook, texts = rendered
    if playbook.find_fact("person_harmed") is None:
        pytest.skip("no person-harmed fact in this playbook")
    harm = [(t, text) for t, facts, _d, text in texts if facts.get("person_harmed") is True and t.name not in PRIVATE]
    assert harm
    for t, text in harm:
        assert not re.search(r"\b(thank|merci)", text, re.IGNORECASE), f"{t.path.name} thanks people in a harm case:\n{text}"


def test_the_sector_names_the_visit_and_no_hotel_word_leaks_outside_hotels():
    """Review replies speak of a meal, an order, an appointment... from the declared sector; hotel words only for hotels."""
    playbook = PLAYBOOKS["defamatory_review"]
    seen = {}
    for t, facts, _d, text in renders(playbook):
        words = HOTEL_WORDS.findall(URL.sub("", text))
        if facts.get("sector") != "hotel":
            assert not words, f"{t.path.name} for a {facts.get('sector')}: {words}"
        if t.name == "review_reply" and t.channel is None and facts.get("known_customer") is False:
            seen[(t.lang, facts.get("sector"))] = text
    assert "un repas" in seen[("fr", "restaurant")] and "une commande" in seen[("fr", "online_shop")]
    assert "a meal" in seen[("en", "restaurant")] and "an appointment" in seen[("en", "service")]
    assert "un séjour" in seen[("fr", "hotel")] and "a stay" in seen[("en", "hotel")]


def test_review_replies_branch_on_customer_found_and_leave_room_for_the_fair_point():
    """A reviewer we cannot find gets no apology for an experience our records do not show (Trustpilot included); the
    fair point, when answered, is acknowledged in so many words."""
    texts = [(t, f, text) for t, f, _d, text in renders(PLAYBOOKS["defamatory_review"]) if t.name == "review_reply"]
    for t, facts, text in texts:
        sorry = re.search(r"sorry|désolés", text, re.IGNORECASE)
        if facts["known_customer"] is False or t.channel == "tripadvisor":  # Tripadvisor: nothing that implies a non-customer
            assert not sorry, f"{t.path.name} apologises for an experience our records do not show"
        else:
            assert sorry, t.path.name
        assert "[fair_point]" in text


def test_bad_buzz_names_what_is_at_fault_and_never_assumes_published_content():
    """An operational failure or an act of staff is never described as something we published."""
    for t, facts, _d, text in renders(PLAYBOOKS["bad_buzz"]):
        if facts.get("fault_kind") in ("staff_act", "operational_failure", "partner"):
            assert not re.search(r"what we publish|ce que nous publions|produced, approved and published|produit, validé et publié", text), \
                f"{t.path.name} for {facts['fault_kind']}"
        if t.name == "apology" and facts.get("fault_kind") == "partner" and t.channel is None:
            assert re.search(r"responsibility is ours|responsabilité est la nôtre", text)


def test_activist_attack_names_the_allegation_and_dates_the_progress_report():
    texts = [(t, f, text) for t, f, _d, text in renders(PLAYBOOKS["activist_attack"])]
    for t, facts, text in texts:
        if t.name in ("action_plan", "failure_acknowledged"):
            assert "[allegation]" in text and "[interim_step]" in text
            assert re.search(r"31 (March|mars) 2026", text), t.path.name
    failed = next(text for t, f, text in texts if t.name == "failure_acknowledged" and t.lang == "en")
    assert "it is true" in failed and "what we already do" not in failed


def test_the_host_notice_claims_no_prior_request_the_timeline_does_not_show():
    """Without the private request's date (a fact) or the request sent from crisis, section 5 and its attachment are
    absent; with either, they are there. An unknown author prints no line at all."""
    claims = re.compile(r"prior request|copy of the request|demande préalable|copie de la demande", re.IGNORECASE)
    for t, facts, _d, text in renders(PLAYBOOKS["defamatory_review"]):
        if t.name != "host_notice":
            continue
        assert "Author (display name)" not in text and "Auteur (nom affiché)" not in text
        if "author_request_sent_on" in facts:
            assert claims.search(text) and re.search(r"2 (April|avril) 2025", text)
    playbook = PLAYBOOKS["defamatory_review"]
    facts = {f.id: f.sample for f in playbook.facts if f.sample is not None and f.id != "author_request_sent_on"}
    for lang in ("fr", "en"):
        path = TEMPLATES / "defamatory_review" / f"host_notice.{lang}.txt.j2"
        bare = render_template(path, {**SAMPLES, "channel": "email", "lang": lang, "facts": facts})
        assert not claims.search(bare)
        sent = render_template(path, {**SAMPLES, "channel": "email", "lang": lang, "facts": facts, "published": ["author_request"]})
        assert claims.search(sent)
        named = render_template(path, {**SAMPLES, "channel": "email", "lang": lang, "facts": facts, "author": "Jean D."})
        assert "Jean D." in named


def test_the_data_leak_statement_asserts_only_what_the_timeline_shows_done():
    done_words = re.compile(r"we have notified|nous avons notifié|we have informed each|nous avons informé chacune", re.IGNORECASE)
    for t, facts, done, text in renders(PLAYBOOKS["data_leak"]):
        if t.name != "public_statement" or t.channel == "x":
            continue
        if not done:
            assert not done_words.search(text), f"{t.path.name} asserts a step not done"
        elif facts.get("personal_data") and facts.get("high_risk"):
            assert len(done_words.findall(text)) == 2


def test_every_press_law_limitation_counts_calendar_months():
    """A limitation of a month or more is written in calendar months (3mo, 1y), never as a number of days."""
    long = [(p.id, rule.id) for p in PLAYBOOKS.values() for rule in p.limitations
            if isinstance(rule.period, timedelta) and rule.period >= timedelta(days=28)]
    assert long == []
    assert {rule.id: rule.period for rule in PLAYBOOKS["abusive_comments"].limitations} == \
        {"press_offence": relativedelta(months=3), "discriminatory_offence": relativedelta(years=1)}
    for name in ("data_leak", "hijacked_account"):
        assert "complaint_for_insurance" in {rule.id for rule in PLAYBOOKS[name].limitations}


@pytest.mark.parametrize("tz,due", [("UTC", "2026-05-13T00:00:00+00:00"), ("Europe/Paris", "2026-05-12T22:00:00+00:00")])
def test_three_months_from_28_february_end_on_28_may_in_the_workspace_zone(tz, due):
    """Published 28 February: barred 28 May at midnight in the workspace's zone; warned 15 days before."""
    incident = Incident(deadlines=[])
    now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    armed = arm_limitations(incident, PLAYBOOKS["defamatory_review"], "first_published_at", "2026-02-28", now, tz=tz)
    assert [d.due_at.isoformat() for d in armed] == [due]


def test_abusive_comments_arms_both_press_law_limitations():
    incident = Incident(deadlines=[])
    now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    armed = arm_limitations(incident, PLAYBOOKS["abusive_comments"], "first_published_at", "2026-02-28", now)
    assert {d.step_id: d.due_at.date().isoformat() for d in armed} == {"press_offence": "2026-05-13", "discriminatory_offence": "2027-01-29"}


def test_a_pre_approved_template_edited_since_is_reported_by_the_check(tmp_path):
    """Changing one word of a pre-approved holding statement withdraws its pre-approval until it is approved again."""
    import shutil

    shutil.copytree(TEMPLATES / "service_outage", tmp_path / "service_outage")
    assert [str(f) for f in check_replies(PLAYBOOKS["service_outage"], tmp_path) if f.level == "error"] == []
    path = tmp_path / "service_outage" / "holding_statement.en.txt.j2"
    path.write_text(path.read_text(encoding="utf-8").replace("Our teams are on it.", "Our teams are on it, do not worry."), encoding="utf-8")
    findings = [f.message for f in check_replies(PLAYBOOKS["service_outage"], tmp_path)]
    assert any("pre-approved version 2026-11 v1 covers holding_statement.en.txt.j2, which has changed since" in m for m in findings)


def test_followers_hear_when_their_private_messages_may_have_been_read():
    """A hijack that exposed private messages (GDPR art. 33) says so to the followers who wrote to the account."""
    for t, facts, _d, text in renders(PLAYBOOKS["hijacked_account"]):
        if t.name == "followers_notice" and t.channel is None:
            says = bool(re.search(r"private messages|messages privés", text))
            assert says == (facts.get("private_messages_exposed") is True), t.path.name
