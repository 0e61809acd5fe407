"""Reply templates: every shipped one renders within its channels' rules; injections and mistakes are refused by name and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisis.errors import ContentError, NotFoundError
from crisis.playbook.loader import list_playbooks, load_playbook
from crisis.replies.channels import CHANNELS, breaches
from crisis.replies.manifest import SAMPLES, load_manifest
from crisis.replies.render import check_replies, find_template, render_template

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOKS = {p.id: p for p in (load_playbook(path) for path in list_playbooks(ROOT / "playbooks"))}


def cases():
    for playbook in PLAYBOOKS.values():
        manifest = load_manifest(ROOT / "templates" / playbook.id)
        names = sorted({*manifest.channels, *(s.reply for s in playbook.steps if s.reply)})
        for name in names:
            for channel in manifest.channels_of(name):
                for lang in ("fr", "en"):
                    yield pytest.param(playbook.id, name, channel, lang, id=f"{playbook.id}-{name}-{channel}-{lang}")


def sample_context(playbook_id: str, channel: str, lang: str) -> dict:
    playbook, manifest = PLAYBOOKS[playbook_id], load_manifest(ROOT / "templates" / playbook_id)
    return {**SAMPLES, "channel": channel, "lang": lang, "facts": {f.id: f.sample for f in playbook.facts if f.sample is not None},
            **{v.id: v.sample[lang] for v in manifest.values.values()}}


@pytest.mark.parametrize("playbook_id,name,channel,lang", list(cases()))
def test_every_shipped_template_renders_within_its_channel_rules(playbook_id, name, channel, lang):
    """Each statement, in each channel it is written for and each language, renders with the samples and breaks nothing."""
    path = find_template(ROOT / "templates", playbook_id, name, channel=channel, lang=lang)
    text = render_template(path, sample_context(playbook_id, channel, lang))
    assert text and "{{" not in text and "None" not in text
    assert [line for line in text.splitlines() if "  " in line or line != line.strip()] == []
    assert [str(b) for b in breaches(CHANNELS[channel], text, allowed=(SAMPLES["contact"],))] == []


def test_every_step_statement_is_declared_for_at_least_one_channel():
    for playbook in PLAYBOOKS.values():
        manifest = load_manifest(ROOT / "templates" / playbook.id)
        assert [s.reply for s in playbook.steps if s.reply and not manifest.channels_of(s.reply)] == [], playbook.id


def test_the_shipped_templates_pass_the_static_checks():
    assert {pid: [str(f) for f in check_replies(pb, ROOT / "templates")] for pid, pb in PLAYBOOKS.items()} == {pid: [] for pid in PLAYBOOKS}


def test_the_channel_variant_is_found_before_the_base_template():
    templates = ROOT / "templates"
    assert find_template(templates, "defamatory_review", "review_reply", channel="tripadvisor", lang="fr").name == "review_reply.tripadvisor.fr.txt.j2"
    assert find_template(templates, "defamatory_review", "review_reply", channel="google_reviews", lang="fr").name == "review_reply.fr.txt.j2"
    with pytest.raises(NotFoundError, match="no template 'nope' for playbook bad_buzz in en"):
        find_template(templates, "bad_buzz", "nope", channel="x", lang="en")


def test_the_tripadvisor_reply_names_nobody_and_signs_as_the_management():
    context = {**sample_context("defamatory_review", "tripadvisor", "fr"), "author": "Jean Dupont", "responder": "Ana"}
    path = find_template(ROOT / "templates", "defamatory_review", "review_reply", channel="tripadvisor", lang="fr")
    text = render_template(path, context)
    assert "Jean" not in text and "Ana" not in text and text.endswith("La direction, Acme")
    assert breaches(CHANNELS["tripadvisor"], text, allowed=(SAMPLES["contact"],), names=("Jean Dupont", "Ana")) == []


def test_the_dsa_notice_carries_the_four_elements_the_legal_ground_and_the_prior_request():
    """DSA art. 16(2): explanation, exact location, notifier's name and e-mail, good faith; plus art. 29 and the prior request."""
    for lang, expected in {
        "fr": ["Explication motivée", "https://www.tripadvisor.fr/ShowUserReviews", "Claire Martin, general manager",
               "claire.martin@example.com", "de bonne foi", "exactes et complètes", "article 29", "Demande préalable à l'auteur",
               "2 avril 2025", "14 mars 2025"],
        "en": ["Substantiated explanation", "https://www.tripadvisor.fr/ShowUserReviews", "Claire Martin, general manager",
               "claire.martin@example.com", "in good faith", "accurate and complete", "article 29", "Prior request to the author",
               "2 April 2025", "14 March 2025"],
    }.items():
        path = find_template(ROOT / "templates", "defamatory_review", "host_notice", channel="email", lang=lang)
        text = render_template(path, sample_context("defamatory_review", "email", lang))
        assert [e for e in expected if e not in text] == []


def test_the_right_of_reply_request_carries_what_the_decree_requires():
    path = find_template(ROOT / "templates", "defamatory_review", "right_of_reply", channel="email", lang="fr")
    text = render_template(path, {**sample_context("defamatory_review", "email", "fr"), "author": "Voyageur75"})
    for element in ("directeur de la publication", "Références : https://", "Conditions d'accès", "Voyageur75", "un écrit",
                    "Passage contesté", "Réponse dont l'insertion est demandée", "Aucune réservation", "trois mois", "trois jours"):
        assert element in text, element


# --- refusals -------------------------------------------------------------------------------------

INJECTIONS = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{{ brand.__class__ }}",
    "{{ (brand|string).__class__.__mro__ }}",
    "{{ facts.__init__.__globals__ }}",
    "{{ facts.items.__self__ }}",
    "{{ brand.__str__() }}",
    "{{ brand.mro() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{% set n = namespace(x=1) %}{{ n.x }}",
    "{{ cycler('a', 'b').next() }}",
    "{{ joiner() }}",
    "{{ lipsum.__globals__ }}",
    "{{ self.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ range.__self__ }}",
    "{{ dict(a=1) }}",
    "{{ '{0.__class__.__mro__}'.format(brand) }}",
    "{{ '{0:>99999999}'.format(brand) }}",
    "{{ '{x.__class__}'.format_map({'x': brand}) }}",
    "{{ brand|attr('__class__') }}",
    "{{ brand['__class__'] }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{% include '/etc/passwd' %}",
    "{% import 'other.txt.j2' as other %}",
    "{% extends 'base.txt.j2' %}",
]
RUNTIME_INJECTIONS = [  # built at run time, out of reach of the static check: the sandbox stops them
    "{{ brand['__cla' ~ 'ss__'] }}",
    "{% set a = '__cla' ~ 'ss__' %}{{ facts[a] }}",
    "{{ 'x' * 100000000 }}",
    "{{ 9 ** 99999999 }}",
]


def write(folder: Path, text: str, name: str = "probe.en.txt.j2") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_payloads_are_refused_before_anything_runs(tmp_path, payload):
    """Refused naming the template and the line; the canary on line 1 shows the template never started."""
    calls = []
    path = write(tmp_path, "{{ canary() }}\nA polite line.\n" + payload + "\n")
    with pytest.raises(ContentError) as refused:
        render_template(path, {"brand": "Acme", "facts": {}, "canary": lambda: calls.append(1) or ""})
    assert refused.value.message.startswith(f"{path}:3: refused: ")
    assert "was not run" in refused.value.message
    assert calls == []


@pytest.mark.parametrize("payload", RUNTIME_INJECTIONS)
def test_injections_built_at_run_time_are_stopped_by_the_sandbox(tmp_path, payload):
    path = write(tmp_path, "Hello.\n" + payload + "\n")
    with pytest.raises(ContentError) as refused:
        render_template(path, {"brand": "Acme", "facts": {}})
    assert refused.value.message.startswith(f"{path}:2: refused: ")


def test_a_syntax_error_is_named_with_file_and_line(tmp_path):
    path = write(tmp_path, "Hello {{ brand }}\n{% if facts.x %}\nno end\n")
    with pytest.raises(ContentError, match=rf"^{path}:2: template syntax error: Unexpected end of template. Jinja was looking for"):
        render_template(path, {"brand": "Acme", "facts": {}})


def test_a_missing_variable_or_fact_is_named_with_the_template_and_line(tmp_path):
    path = write(tmp_path, "Hello {{ brand }},\n\nWe come back by {{ next_update }}.\n")
    with pytest.raises(ContentError, match=rf"^{path}:3: variable 'next_update' is not defined$"):
        render_template(path, {"brand": "Acme", "facts": {}})
    path = write(tmp_path, "Hello,\n{{ facts.gesture }}\n")
    with pytest.raises(ContentError, match=rf"^{path}:2: fact 'gesture' is not answered"):
        render_template(path, {"facts": {"fix": "x"}})


def test_a_manifest_naming_an_unknown_channel_is_reported_by_the_check(tmp_path):
    folder = tmp_path / "bad_buzz"
    folder.mkdir()
    (folder / "replies.yaml").write_text("replies:\n  holding_statement: {channels: [x, myspace]}\n", encoding="utf-8")
    findings = [str(f) for f in check_replies(PLAYBOOKS["bad_buzz"], tmp_path)]
    assert findings == [f"{folder / 'replies.yaml'}:0: error: {folder / 'replies.yaml'}: replies.holding_statement.channels: "
                        "unknown channel 'myspace'; expected one of: x, facebook, instagram, linkedin, tiktok, google_reviews, "
                        "tripadvisor, trustpilot, email, website"]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200) | st.sampled_from(["{{ brand.__class__ }}", "{% include '/etc/passwd' %}", "{0.__class__}", "%s%s%n"]))
def test_a_fact_or_value_is_printed_as_text_never_evaluated(value):
    """What a responder or a mention brings in is data: template syntax inside it is printed as it is."""
    path = ROOT / "templates" / "bad_buzz" / "correction.en.txt.j2"
    context = {**sample_context("bad_buzz", "facebook", "en"), "responder": "Ana"}
    context["facts"] = {**context["facts"], "what_happened": value}
    assert value.strip() in render_template(path, context) or not value.strip()
