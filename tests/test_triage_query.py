"""Listening queries: the grammar and each operator, errors at the playbook's file:line:column, stems, the specificity rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisis.errors import ContentError
from crisis.playbook.loader import parse_playbook
from crisis.playbook.model import Detection, QueryText
from crisis.triage.fold import fold
from crisis.triage.lexicon import stems
from crisis.triage.match import Matcher
from crisis.triage.query import All, Any_, Field, Near, Not, Phrase, QueryError, Term, lint_queries, parse_query

ROOT = Path(__file__).resolve().parent.parent


def matcher(en: str, *, fr: str | None = None, exclude: tuple[str, ...] = ()) -> Matcher:
    queries = {"en": QueryText(en, 1, 1)} | ({"fr": QueryText(fr, 1, 1)} if fr else {})
    return Matcher({"pb": Detection({}, {"en": exclude} if exclude else {}, 88, queries=queries)})


def hits(query: str, text: str, **fields) -> bool:
    return bool(matcher(query).matching(text, fields=fields or None))


def test_the_grammar_builds_the_tree_a_listening_tool_would():
    """NEAR binds tighter than NOT, NOT than AND (or juxtaposition), AND than OR; parentheses group."""
    tree = parse_query('(compte OR account) NEAR/4f pirat* AND NOT "life hack" OR lang:fr rating:<=2 avis')
    assert isinstance(tree, Any_) and len(tree.children) == 2
    first, second = tree.children
    assert isinstance(first, All) and isinstance(first.children[1], Not) and first.children[1].child == Phrase(("life", "hack"), '"life hack"')
    near = first.children[0]
    assert isinstance(near, Near) and near.distance == 4 and near.ordered and near.right == Term("pirat", "pirat*", prefix=True)
    assert isinstance(second, All) and second.children[:2] == (Field("lang", "=", "fr", "lang:fr"), Field("rating", "<=", 2, "rating:<=2"))
    assert parse_query("ORANGE OR NEARLY").children == (Term("orange", "ORANGE"), Term("nearly", "NEARLY"))  # words, not operators


@pytest.mark.parametrize("query,text,expected", [
    ("scam AND owner", "the owner runs a scam", True),
    ("scam AND owner", "what a scam", False),
    ("scam owner", "owner: total scam", True),  # juxtaposition is AND
    ("scam OR fraud", "pure fraud", True),
    ("scam AND NOT movie", "a scam movie tonight", False),
    ("scam AND NOT movie", "a scam, no refund", True),
    ("(scam OR fraud) AND (owner OR manager)", "the manager is a fraud", True),
    ("(scam OR fraud) AND (owner OR manager)", "the manager is great", False),
    ('"shame on you"', "shame on you Acme", True),
    ('"shame on you"', "shame, you did it on purpose", False),  # a phrase is its words in order, side by side
])
def test_each_operator(query, text, expected):
    """AND, juxtaposition, OR, NOT, parentheses and exact phrases decide as a comms team expects."""
    assert hits(query, text) is expected


@pytest.mark.parametrize("text,expected", [
    ("account was hacked", True),  # 1 word between
    ("hacked account", True),  # the other order
    ("account of my friend who never posts was hacked", False),  # 6 words between
])
def test_near_matches_either_order_within_n_words(text, expected):
    assert hits('account NEAR/3 "hacked"', text) is expected


def test_near_f_keeps_the_order():
    """NEAR/nf: the left side first."""
    assert hits('account NEAR/3f "hacked"', "account got hacked")
    assert not hits('account NEAR/3f "hacked"', "hacked account")


@pytest.mark.parametrize("text,expected", [("piraté", True), ("piratage", True), ("PIRATÉÉÉS", True), ("pirouette", False), ("pi", False)])
def test_a_trailing_wildcard_meets_every_word_that_starts_so(text, expected):
    assert hits("pirat*", text) is expected


@pytest.mark.parametrize("query,fields,expected", [
    ("avis AND rating:<=2", {"rating": 1}, True),
    ("avis AND rating:<=2", {"rating": 4}, False),
    ("avis AND rating:<=2", {}, False),  # a field the mention lacks does not hold
    ("avis AND platform:google", {"platform": "Google"}, True),
    ("avis AND lang:fr", {"lang": "en"}, False),
    ("avis AND own_account:true", {"own_account": True}, True),
    ("avis AND author_followers:>=10000", {"author_followers": 12_000}, True),
    ("avis AND author_followers:>=10000", {"author_followers": 9_999}, False),
])
def test_field_filters_read_the_mention(query, fields, expected):
    """The fields of a listening export: platform, lang, rating, own_account, author_followers."""
    assert hits(query, "un avis", **fields) is expected


@pytest.mark.parametrize("word,stem", [
    ("piraté", "pirat"), ("piratée", "pirat"), ("piratés", "pirat"), ("pirater", "pirat"), ("piratage", "piratag"),
    ("voleurs", "voleur"), ("arnaques", "arnaqu"), ("arnaquer", "arnaqu"), ("comptes", "compt"),
])
def test_french_stems(word, stem):
    """Snowball French on the folded word, run twice so a lost accent's ending goes too; piratage keeps its own stem."""
    assert stems(fold(word))[0] == stem


@pytest.mark.parametrize("word,stem", [("hacked", "hack"), ("hacking", "hack"), ("scammed", "scam"), ("leaks", "leak"),
                                       ("thieves", "thiev"), ("accounts", "account")])
def test_english_stems(word, stem):
    assert stems(fold(word))[1] == stem


def test_a_term_meets_its_inflections_in_its_own_language_only():
    """A French term meets piratée and pirater; an English "hacker" is not the French verb "hacker" (stem hack)."""
    french = matcher("breach", fr="compte NEAR/3 piraté")
    assert [h.how for h in french.matching("compte piratée")[0].hits] == ["exact", "stem"]
    assert french.matching("mon compte, ils vont le pirater")[0].hits[1].stem == "pirat"
    assert not matcher("account NEAR/3 hacker").matching("my account, hacking away")


def test_typos_are_tolerated_on_terms_and_explained():
    found = matcher('account NEAR/3 "hacked"').matching("my acount got hackd")[0]
    assert [(h.words, h.how) for h in found.hits] == [("acount", "typo"), ("hackd", "typo")]
    assert not matcher("insta NEAR/3 hacked").matching("Vista hacked")  # a first letter is rarely the slip


def test_the_most_specific_playbook_wins_and_the_others_say_why():
    """The stated rule: the playbook whose satisfied clause meets the most terms opens the incident."""
    two = Matcher({
        "bad_buzz": Detection({}, {}, 88, queries={"en": QueryText('boycott OR "shame on you"', 1, 1)}),
        "activist_attack": Detection({}, {}, 88, queries={"en": QueryText("(cruelty OR deforestation) NEAR/8 (boycott OR funds)", 1, 1)}),
    })
    winner, loser = two.classify("Acme funds deforestation, shame on you")
    assert (winner.playbook_id, winner.matched, winner.specificity) == ("activist_attack", True, 2)
    assert (loser.playbook_id, loser.matched, loser.lost_to, loser.specificity) == ("bad_buzz", False, "activist_attack", 1)
    assert [m.playbook_id for m in two.matching("boycott Acme, shame on you")] == ["bad_buzz"]  # no cause: a bad buzz


def test_an_exclusion_cancels_and_says_so():
    verdict = matcher("hacked", exclude=("life hack",)).classify("life hack: I hacked my calendar")[0]
    assert not verdict.matched and verdict.excluded_by.phrase == "life hack"


VALID = (ROOT / "tests" / "data" / "playbooks" / "valid.yaml").read_text(encoding="utf-8")
BROKEN = VALID.replace("severity:\n", """detect:
  query:
    fr: |
      compte NEAR/4 (piraté OR hacké
      OR "pris le contrôle"
    en: "account AND AND hacked"
severity:
""", 1)


def test_a_query_error_names_the_playbook_file_line_and_column():
    """The loader keeps the query's text and place; triage parses it and refuses at the place in the file (exit 5)."""
    playbook = parse_playbook(BROKEN, "broken.yaml")
    with pytest.raises(ContentError) as refused:
        Matcher({playbook.id: playbook.detect})
    assert str(refused.value).startswith("broken.yaml:14:22: detect.query.en: unexpected 'AND'") and refused.value.exit_code == 5
    fixed_en = parse_playbook(BROKEN.replace("AND AND", "AND"), "broken.yaml")
    with pytest.raises(ContentError) as refused:
        Matcher({fixed_en.id: fixed_en.detect})
    assert str(refused.value).startswith("broken.yaml:13:") and "expected )" in str(refused.value)  # the block's 2nd line


@pytest.mark.parametrize("query,line,column,problem", [
    ('"unclosed', 1, 1, "closing quote"),
    ("a NEAR/3 (b AND c)", 1, 3, "NEAR/3 joins words"),
    ("rating:<=x avis", 1, 1, "rating takes a whole number"),
    ("colour:red avis", 1, 1, "unknown field 'colour'"),
    ("a OR\n  p*", 2, 3, "a wildcard ends a term of at least 3 letters"),
])
def test_query_errors_say_where_and_what_to_do(query, line, column, problem):
    with pytest.raises(QueryError) as refused:
        parse_query(query)
    assert (refused.value.line, refused.value.column) == (line, column) and problem in refused.value.problem


def test_a_clause_with_no_word_to_look_for_is_refused():
    with pytest.raises(ContentError, match="names no word to look for"):
        matcher("rating:<=2 OR scam")


def test_check_names_a_query_that_can_never_match_a_cancelling_not_and_a_costly_clause():
    found = lint_queries({"en": QueryText("(scam AND NOT scam) OR (fraud AND NOT the) OR (rating:<=1 rating:>=4 scam) OR "
                                          '"you are" OR thief', 10, 5)}, common=lambda w: w in {"the", "you", "are"})
    messages = [f.message for f in found]
    assert any("can never match: it asks for scam and NOT scam" in m for m in messages)
    assert any("NOT the cancels nearly every mention" in m for m in messages)
    assert any("no rating satisfies rating:<=1 AND rating:>=4" in m for m in messages)
    assert any('"you are"… is evaluated on nearly every mention' in m for m in messages)
    assert not any(m.startswith("detect.query.en: thief") for m in messages) and {f.line for f in found} == {10}


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.sampled_from(["account hacked", "compte piraté", "SCANDAAAALE", "h4ck3d account"]),
       st.text(max_size=40))
def test_spans_stay_exact_on_arbitrary_unicode(before, said, after):
    """Whatever surrounds it, every term names a span of the original text whose folding holds the words it met."""
    m = matcher('(account NEAR/2 "hacked") OR scandale', fr="compte NEAR/2 pirat*")
    text = f"{before} {said} {after}"
    for verdict in m.classify(text):
        match = verdict.match
        assert text[match.span[0]:match.span[1]] == match.excerpt
        for hit in match.hits:
            assert text[hit.span[0]:hit.span[1]] == hit.words and fold(hit.words)
            assert match.span[0] <= hit.span[0] <= hit.span[1] <= match.span[1]
    assert m.classify(text), text  # the said words are always found, whatever the Unicode around them


def test_crisis_triage_refuses_a_broken_query_with_its_place_and_exit_5(workspace, cli):
    """End to end: a workspace playbook whose query does not parse stops `crisis triage` with file:line:column, stdout clean."""
    path = workspace / "playbooks" / "rumour.yaml"
    text = path.read_text(encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.strip().startswith("rumour OR rumor"))
    path.write_text(text.replace("rumour OR rumor", "rumour OR OR rumor", 1), encoding="utf-8")
    refused = cli("triage", "a hoax about Acme", code=5)
    assert refused.stderr.startswith(f"Error: {path}:{line}:17: detect.query.en: unexpected 'OR': expected")
    assert 'Hint: see "Detection queries" in docs/playbooks.md' in refused.stderr
