"""Folding and matching: typos in French and English, exclusions, explainable spans, the index's recall."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from crisis.playbook.loader import list_playbooks, load_playbook
from crisis.playbook.model import Detection
from crisis.triage.fold import fold, fold_with_offsets
from crisis.triage.lexicon import common_words
from crisis.triage.match import Matcher

PLAYBOOKS = {pb.id: pb for pb in map(load_playbook, list_playbooks(Path(__file__).resolve().parent.parent / "playbooks"))}
MATCHER = Matcher({pb_id: pb.detect for pb_id, pb in PLAYBOOKS.items()})


@pytest.mark.parametrize("text,folded", [
    ("SCANDAAAALE !!!", "scandale"),
    ("Vous avez été PIRATÉS", "vous avez ete pirates"),
    ("h4ck3d, $cam, sc@m", "hacked scam scam"),
    ("50 mentions, 4 stars", "50 mentions 4 stars"),
    ("c'est   une\tarnaque", "c est une arnaque"),
    ("Straße ﬁne", "strasse fine"),
])
def test_folding_removes_case_accents_emphasis_and_leetspeak(text, folded):
    """Folding keeps the words and numbers and drops what people vary for emphasis."""
    assert fold(text) == folded


@given(st.text(max_size=200))
def test_folding_is_idempotent(text):
    """Folding a folded text changes nothing."""
    assert fold(fold(text)) == fold(text)


@given(st.text(max_size=200))
def test_the_offsets_point_back_into_the_original_text(text):
    """The explaining form folds the same and maps each folded character to a character of the text."""
    folded, origin = fold_with_offsets(text)
    assert folded == fold(text)
    assert len(origin) == len(folded) and all(0 <= i < len(text) for i in origin)


@pytest.mark.parametrize("text,playbook,word,how", [
    ("Votre compte a été haké !!", "hijacked_account", "haké", "typo"),
    ("your acount was hackd, dont click", "hijacked_account", "hackd", "typo"),
    ("Faux aviss partout sur ce site", "defamatory_review", "Faux aviss", "typo"),
    ("SCANDAAAALE cette pub", "bad_buzz", "SCANDAAAALE", "stem"),
    ("B0YC0TT them until they stop", "bad_buzz", "B0YC0TT", "stem"),
    ("who aproved this?? disgraceful", "bad_buzz", "disgraceful", "exact"),
    ("the ownr is a thief", "defamatory_review", "ownr", "typo"),
    ("c'est une arnaqe", "defamatory_review", "c'est une arnaqe", "typo"),
])
def test_typos_in_both_languages_match_with_clause_score_and_span(text, playbook, word, how):
    """A mention with typos matches its playbook; the match names the clause, each term's words and their exact span."""
    verdict = next(v for v in MATCHER.classify(text) if v.playbook_id == playbook)
    assert verdict.matched and verdict.match.score >= 75
    hit = next(h for h in verdict.match.hits if h.words == word)
    assert hit.how == how and text[hit.span[0]:hit.span[1]] == word
    start, end = verdict.match.span
    assert text[start:end] == verdict.match.excerpt and fold(verdict.match.excerpt)


@pytest.mark.parametrize("text,playbook,exclusion", [
    ("Great life hack: you got hacked lol", "hijacked_account", "life hack"),
    ("Pas une arnaque du tout, c'est une arnaque de le dire", "defamatory_review", "pas une arnaque"),
    ("Not a scam, it's a scam to claim otherwise", "defamatory_review", "not a scam"),
])
def test_an_exclusion_cancels_the_playbook_and_says_so(text, playbook, exclusion):
    verdict = next(v for v in MATCHER.classify(text) if v.playbook_id == playbook)
    assert not verdict.matched and verdict.excluded_by is not None and verdict.excluded_by.phrase == exclusion
    assert playbook not in {m.playbook_id for m in MATCHER.matching(text)}


@pytest.mark.parametrize("text", [
    "Merci pour le service client au top", "Great flight, thanks for the upgrade!", "10 growth hack ideas",
    "Who's coming to the hackathon?", "Recette du jour, bon appétit",
])
def test_praise_and_noise_match_nothing(text):
    assert MATCHER.matching(text) == []


def test_competition_is_not_a_petition():
    """Matching is word-aligned: a phrase inside a longer word does not count."""
    assert MATCHER.matching("the competition starts today") == []


def _typo(word: str, kind: int, at: int) -> str:
    at %= len(word)
    if kind == 0:
        return word[:at] + word[at + 1:]
    if kind == 1:
        return word[:at] + "x" + word[at:]
    if kind == 2:
        return word[:at] + "x" + word[at + 1:]
    return word[:at] + word[at + 1:at + 2] + word[at:at + 1] + word[at + 2:] if at + 1 < len(word) else word


PHRASE_DETECT = {  # the phrases of the playbooks before queries: `phrases:` keeps working as the simple form of a query
    "defamatory_review": Detection({"fr": ("faux avis", "avis mensonger", "des escrocs", "des voleurs", "à fuir absolument"),
                                    "en": ("fake review", "it's a scam", "avoid at all costs", "never again")}, {}, 88),
    "hijacked_account": Detection({"fr": ("compte piraté", "vous avez été piratés", "message bizarre de votre compte"),
                                   "en": ("account hacked", "your account was hacked", "weird message from your account")}, {}, 88),
    "data_leak": Detection({"fr": ("fuite de données", "données volées"), "en": ("data breach", "stolen credentials")}, {}, 88),
}
PHRASE_MATCHER = Matcher(PHRASE_DETECT)
PHRASES = [(c.playbook_id, c.source, fold(c.source), c.min_score) for c in PHRASE_MATCHER.clauses]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PHRASES), st.integers(0, 3), st.integers(0, 40), st.sampled_from(["", "omg ", "vraiment ", "@brand "]),
       st.sampled_from(["", " !!", " today", " ce matin"]))
def test_the_index_finds_every_typo_that_full_scoring_would(phrase, kind, at, before, after):
    """Whenever full scoring of the typo'd phrase reaches the playbook's bar, the index finds the playbook too, unless
    the typo changed the first letter of the word (people slip inside a word: "vista" is not a typo of "insta")."""
    playbook_id, _, folded, min_score = phrase
    words = folded.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    if kind in (1, 2, 3) and at % len(words[longest]) == 0:
        return
    words[longest] = _typo(words[longest], kind, at)
    typo = " ".join(w for w in words if w)
    if not typo or fuzz.ratio(folded, typo) < min_score or len(typo.split()) != len(folded.split()):
        return
    if words[longest] in common_words() and words[longest] not in folded.split():
        return  # "ever again" is a different sentence, not a typo of "never again": see the next test
    found = {v.playbook_id for v in PHRASE_MATCHER.classify(before + typo + after)}
    assert playbook_id in found


@pytest.mark.parametrize("text", [
    "L'écologie est héritière des valeurs de gauche",  # "des voleurs"
    "A suivre absolument, un pseudo-chat avec une journaliste",  # "à fuir absolument"
    "La réponse sera écologie = environnement + social. Donc faux mais bon",  # "faux avis"
    "Will I ever again find a seat this comfy?",  # "never again"
    "vuelos24 sells too cheap, are they legit or is it a scam?",  # a question, not an accusation
    "Flying into Boston tonight, thanks for the upgrade",  # "into" is not "intox" (an x is no English plural)
])
def test_an_ordinary_sentence_one_letter_away_from_a_phrase_is_not_a_typo(text):
    """Real praise and neutral tweets that came within a letter of a phrase: an ordinary word is never a typo of another."""
    assert MATCHER.matching(text) == []


def test_a_plural_or_feminine_form_is_the_same_word():
    """The ordinary-word rule spares inflections: "débile mentale" is "débile mental", "reviews" is "review"."""
    assert {m.phrase for m in MATCHER.matching("toi tu es un débile mentale")} == {"débile mental"}
    assert {m.phrase for m in PHRASE_MATCHER.matching("so many fake reviews on this page")} == {"fake review"}


def test_a_misspelling_that_is_no_word_still_matches():
    """The rule spares real typos: "vooleurs" and "valeurz" are nobody's words."""
    assert {m.phrase for m in PHRASE_MATCHER.matching("des vooleurs, ces gens")} == {"des voleurs"}
    assert {m.phrase for m in PHRASE_MATCHER.matching("à fuiiir absolumant")} == {"à fuir absolument"}


@given(st.text(max_size=200))
def test_folding_never_joins_words_across_whitespace(text):
    """The matcher folds each whitespace-separated piece on its own: the pieces must fold to the whole."""
    assert fold(text) == " ".join(piece for piece in map(fold, text.split()) if piece)


def test_on_a_tie_the_longer_phrase_is_the_match():
    """A one-word phrase waits for the brand and a volume; the phrase that contains it opens at once: it must win."""
    matcher = Matcher({"leak": Detection({"en": ("ransomware", "ransomware attack")}, {}, 88)})
    assert [m.phrase for m in matcher.matching("a ransomware attack on Acme")] == ["ransomware attack"]


def test_a_matcher_with_its_own_phrases():
    """Any playbook's detect block works, exclusions per language included."""
    matcher = Matcher({"recall": Detection({"fr": ("rappel produit",), "en": ("product recall",)}, {"en": ("recall the meeting",)}, 85)})
    assert [m.phrase for m in matcher.matching("Rappel produit urgent !!")] == ["rappel produit"]
    assert matcher.matching("please recall the meeting notes") == []


def test_the_common_words_are_kept_once_measured_and_measured_again_when_the_cache_is_bad(tmp_path, monkeypatch):
    """The word shares read back from the cache are the measured ones; a damaged or foreign cache is measured again."""
    from crisis.triage import lexicon

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = lexicon.shares_cache()
    assert path.is_relative_to(tmp_path) and lexicon.read_shares(path) is None
    measured = lexicon.measured_shares()
    lexicon.write_shares(path, measured)
    assert lexicon.read_shares(path) == measured and measured.get("piratage", 0) < measured["compte"] and "voleurs" in measured
    for damaged in (b'{"compte": 0.001, "pira', b'["compte"]', b'{"compte": "often"}'):
        path.write_bytes(damaged)
        assert lexicon.read_shares(path) is None
    (tmp_path / "file").write_text("")
    lexicon.write_shares(tmp_path / "file" / "shares.json", measured)  # a folder that cannot be made: left alone, no error


@pytest.mark.parametrize("objects", ["(compte OR instagram)", "(instagram OR compte)", "(instagram OR profil OR compte OR page)"])
@pytest.mark.parametrize("others", [0, 1, 40])
def test_a_match_names_the_tightest_words_whatever_the_other_playbooks(objects, others):
    """Of two places a NEAR holds, the explanation names the tightest ("Instagram … piraté", not "compte … piraté"),
    however the query orders its words and however many terms other playbooks bring (they renumber the units)."""
    from crisis.playbook.model import QueryText
    detections = {"hijacked_account": Detection({}, {}, 88, queries={"fr": QueryText(f"{objects} NEAR/6 pirat*", 1, 1, block=False)})}
    for n in range(others):
        detections[f"other_{n}"] = Detection({"en": tuple(f"word{n}x{k} thing{k}" for k in range(n % 7 + 1))}, {}, 88)
    found = Matcher(detections).matching("@Acme votre compte Instagram a été piraté, ne cliquez sur rien")
    assert [m.words for m in found if m.playbook_id == "hijacked_account"] == ["Instagram … piraté"]
