"""Scenario and play files read into frozen models: offsets, injects, conditions, objectives, teams; errors at file:line:column."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisis.drill.loader import parse_scenario
from crisis.drill.play import parse_play
from crisis.drill.scenario import DecisionPoint, format_offset, parse_offset
from crisis.errors import ContentError

DATA = Path(__file__).parent / "data" / "drills"
MINIMAL = (DATA / "minimal.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("text,expected", [
    ("T+0:00", timedelta(0)), ("T+0:05", timedelta(minutes=5)), ("T+1:48", timedelta(hours=1, minutes=48)),
    ("T+45m", timedelta(minutes=45)), ("T+2h30m", timedelta(hours=2, minutes=30)), ("T+2d3h", timedelta(days=2, hours=3)),
    ("T+4d", timedelta(days=4)), ("T+1d4:30", timedelta(days=1, hours=4, minutes=30)), (" T+36h ", timedelta(hours=36)),
])
def test_offsets_are_read_as_exercise_designers_write_them(text, expected):
    assert parse_offset(text) == expected


@pytest.mark.parametrize("text", ["T+", "T+5", "0:05", "T-0:05", "T+1:60", "T+1h:30", "T+2 days", "t+5m", ""])
def test_anything_else_is_refused_with_the_forms_to_write(text):
    with pytest.raises(ValueError, match="write it like T\\+0:05, T\\+45m, T\\+2h30m or T\\+2d3h"):
        parse_offset(text)


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)))
def test_an_offset_written_back_reads_the_same_to_the_minute(delta):
    minutes = timedelta(minutes=delta // timedelta(minutes=1))
    assert parse_offset(format_offset(minutes)) == minutes


def test_the_minimal_scenario_becomes_its_model():
    """Every part of the file lands in the model, lines kept for the findings."""
    sc = parse_scenario(MINIMAL, "minimal.yaml")
    assert (sc.id, sc.brand, sc.playbooks, sc.duration, sc.difficulty) == ("minimal", "Acme", ("defamatory_review",), timedelta(days=2), "easy")
    assert sc.personas[0].platform == "google_business" and sc.personas[0].disposition == "troll"
    assert sc.background.per_hour == 1 and sc.pools["ordinary"] == ("Très bon séjour",)
    decision = sc.find_inject("reply_tone")
    assert isinstance(decision.body, DecisionPoint) and decision.at == timedelta(hours=1)
    assert (decision.body.good, decision.body.default, decision.body.deadline) == ("yes_reply", "no_reply", timedelta(hours=2))
    insist = sc.find_inject("reviewer_insists")
    assert [(c.key, c.arg, c.value) for c in insist.when] == [("decided", "reply_tone", "no_reply")]
    reply = sc.objectives[0]
    assert (reply.expect, reply.args, reply.within, reply.grades) == ("published", {"template": "review_reply"}, timedelta(days=1), {"S": timedelta(hours=36)})
    assert insist.line == MINIMAL.splitlines().index("  - id: reviewer_insists") + 1


@pytest.mark.parametrize("old,new,message", [
    ("  - id: reply_tone\n    at: T+1h\n", "  - id: reply_tone\n    at: T+1h\n    post: {persona: reviewer, text: x}\n", "expected exactly one of: post, wave"),
    ("expect: {no_critic_deleted: true}", "expect: {no_critic_deleted: true, within: 2h}", "no_critic_deleted takes no `within`"),
    ("expect: {published: {template: review_reply}, within: 24h, grades: {S: 36h}}", "expect: {published: {template: review_reply}}", "published needs `within`"),
    ("expect: {no_critic_deleted: true}", "expect: {no_critic_deleted: true, from: first_review}", "`from` goes with `within`"),
    ("      options:\n        - {id: yes_reply, label: {fr: Oui, en: \"Yes\"}}\n", "      options:\n        - {id: no_reply, label: {fr: Oui, en: \"Yes\"}}\n", "at least two options with different ids"),
    ("duration: 2d", "duration: 2 days", "is not a duration"),
    ("duration: 2d", "duration: 2d\nstart: {weekday: sun, time: \"02:00\", timezone: Europe/Pariss}", "'Europe/Pariss' is not a time zone"),
    ("duration: 2d", "duration: 2d\nstart: {weekday: wed, time: 11:00, timezone: Europe/Paris}", 'quote the time: "11:00"'),
    ("difficulty: easy", "difficulty: brutal", "'brutal' is not a difficulty; expected one of: easy, medium, hard"),
    ("    if: {decided: {reply_tone: no_reply}}", "    if: {decided: {reply_tone: no_reply, other: yes_reply}}", "expected exactly one pair"),
])
def test_structural_errors_name_the_place_and_what_to_write(old, new, message):
    text = MINIMAL.replace(old, new, 1)
    assert text != MINIMAL
    with pytest.raises(ContentError, match=r"^m\.yaml:\d+:\d+: ") as caught:
        parse_scenario(text, "m.yaml")
    assert message in caught.value.message


def test_an_empty_scenario_says_what_it_needs():
    with pytest.raises(ContentError, match="the file is empty; a scenario needs"):
        parse_scenario("# nothing yet\n", "empty.yaml")


PLAY = """\
id: t
title: {fr: Équipe, en: Team}
summary: {fr: Résumé, en: Summary}
people:
  - {id: ana, roles: [community_manager]}
  - {id: marc, roles: [comms_lead]}
actions:
  - {on: incident_opened, after: 5m, as: ana, do: ack}
  - {on: inject, inject: journalist_call, after: 15m, as: marc, do: answer}
  - {at: T+1h, as: ana, do: draft, template: step}
  - {on: decision, after: 10m, as: marc, do: decide, option: good}
  - at: T+2d
    as: marc
    do: review
    what: {fr: Ce qui s'est passé, en: What happened}
    gained: Ce que la marque y a gagné
    follow_ups: [{action: Exercice de nuit, owner: ana, due: 90d}]
expected:
  score: {min: 80, max: 100}
  breaches: []
  outcome: {fr: Tout en P, en: All P}
"""


def test_a_play_becomes_its_model():
    play = parse_play(PLAY, "t.yaml")
    assert [m.id for m in play.people] == ["ana", "marc"]
    ack, answer, draft, decide, review = play.actions
    assert (ack.do, ack.actor, ack.on, ack.after) == ("ack", "ana", "incident_opened", timedelta(minutes=5))
    assert (answer.on, answer.on_arg) == ("inject", "journalist_call")
    assert draft.at == timedelta(hours=1) and draft.args == {"template": "step"}
    assert decide.args == {"option": "good"}
    assert review.args["what"].fr == "Ce qui s'est passé" and review.args["gained"] == "Ce que la marque y a gagné"
    assert review.args["follow_ups"][0].owner == "ana" and review.args["follow_ups"][0].due == timedelta(days=90)
    assert (play.expected.score_min, play.expected.score_max) == (80, 100)


@pytest.mark.parametrize("old,new,message", [
    ("as: ana, do: ack}", "as: ana, do: acknowledge}", "'acknowledge' is not an action; expected one of: ack,"),
    ("as: ana, do: ack}", "as: bob, do: ack}", "'bob' is not in this team's people: ana, marc"),
    ("{on: incident_opened, after: 5m, as: ana, do: ack}", "{after: 5m, as: ana, do: ack}", "either `at: T+…` or `on: TRIGGER`"),
    ("{on: incident_opened, after: 5m", "{on: opened, after: 5m", "'opened' is not a trigger"),
    ("{on: inject, inject: journalist_call,", "{on: inject,", "`on: inject` needs `inject: ID`"),
    ("do: draft, template: step}", "do: draft}", "`draft` needs either `template`"),
    ("do: decide, option: good}", "do: decide}", "`decide` needs 'option'"),
    ("do: ack}", "do: ack, option: good}", "`ack` takes no option"),
    ("owner: ana, due: 90d", "owner: zoe, due: 90d", "'zoe' is not in this team's people"),
    ("score: {min: 80, max: 100}", "score: {min: 90, max: 80}", "min 90 is above max 80"),
    ("breaches: []", "breaches: [lying]", "'lying' is not a rule-breaking"),
])
def test_play_errors_name_the_place(old, new, message):
    with pytest.raises(ContentError, match=r"^t\.yaml:\d+:\d+: ") as caught:
        parse_play(PLAY.replace(old, new, 1), "t.yaml")
    assert message in caught.value.message


SCALARS = st.one_of(st.sampled_from(["yes", "~", "0x1F", "1_000", "0o17", "1e3", "-5", "T+", "T+99d", "[]", "{}", "[a, b]", "{a: 1}",
                                     "2012-01-04", "12:30", "\"\"", "&a x", "*a", "!!python/object:os.system x", "|", ">-"]),
                  st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12))


VALUES = re.compile(r"\b([a-z_]+): ([^,{}\[\]\n]*)")


@settings(max_examples=400, deadline=None)
@given(position=st.integers(0, 10_000), value=SCALARS, which=st.sampled_from(["scenario", "play"]))
def test_any_value_changed_gives_a_model_or_a_content_error_never_a_traceback(position, value, which):
    """Whatever lands in any `key: value` of a scenario or a play, the loaders answer with a ContentError at most."""
    text = MINIMAL if which == "scenario" else PLAY
    spots = list(VALUES.finditer(text))
    spot = spots[position % len(spots)]
    changed = text[:spot.start(2)] + value + text[spot.end(2):]
    try:
        (parse_scenario if which == "scenario" else parse_play)(changed, "fuzz.yaml")
    except ContentError as exc:
        assert exc.message.startswith("fuzz.yaml")


def test_yaml_whole_numbers_in_any_notation_are_read():
    """0x3C is 60: YAML's notations for integers are read, not refused with a traceback."""
    sc = parse_scenario(MINIMAL.replace("weight: 60", "weight: 0x3C"), "m.yaml")
    assert sc.objectives[0].weight == 60


def test_a_python_tag_is_refused_at_its_place_in_both_readers():
    """`!!python/object` never runs: the node reader and the document reader both answer with a ContentError."""
    from crisis.yamlfile import load_yaml

    with pytest.raises(ContentError, match=r"^m\.yaml:\d+:\d+: .*the tag 'tag:yaml.org,2002:python/object:os.system' is not plain YAML"):
        parse_scenario(MINIMAL.replace("deadline: 2h", "deadline: !!python/object:os.system x"), "m.yaml")
    with pytest.raises(ContentError, match=r"^r\.yaml:1:4: a YAML tag \(!!…\) crisis does not read"):
        load_yaml("a: !!python/object:os.system x\n", "r.yaml")
