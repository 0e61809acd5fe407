"""Every reader and loader, fed hostile input, reads it or refuses it with a CrisisError: never a traceback.

A sample runs here (hypothesis, and 400 cases of the hostile corpus of tests/hostile.py);
bench/fuzz_inputs.py runs 100,000 and the 100 MB lines.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisis.errors import CrisisError
from tests.hostile import BILLION_LAUGHS, TOKENS, cases, run, seeds

TARGETS = sorted(seeds())
FOLDER: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def folder(tmp_path_factory):
    FOLDER[:] = [tmp_path_factory.mktemp("fuzz")]


def read_or_refuse(target: str, data: bytes) -> str:
    try:
        return f"read: {run(target, data, FOLDER[0])}"
    except CrisisError as exc:
        return f"refused: {exc.message}"


@pytest.mark.parametrize("target", TARGETS)
def test_each_seed_is_read_as_it_is(target):
    for seed in seeds()[target]:
        assert read_or_refuse(target, seed).startswith("read: "), target


def test_a_sample_of_the_hostile_corpus_gives_only_our_errors():
    stream, seen = cases(random.Random(2026)), set()
    for _ in range(400):
        target, data = next(stream)
        seen.add((target, read_or_refuse(target, data).split(":")[0]))
    assert {t for t, _ in seen} == set(TARGETS)
    assert ("playbook", "refused") in seen and ("roster", "refused") in seen


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(target=st.sampled_from(TARGETS), data=st.data())
def test_hypothesis_mutations_of_each_seed_give_only_our_errors(target, data):
    seed = data.draw(st.sampled_from(seeds()[target]))
    at = data.draw(st.integers(0, len(seed)))
    insert = data.draw(st.one_of(st.sampled_from(TOKENS), st.binary(max_size=40),
                                 st.text(max_size=20).map(lambda t: t.encode("utf-8", "surrogatepass"))))
    cut = data.draw(st.integers(at, len(seed)))
    read_or_refuse(target, seed[:at] + insert + seed[cut:])


@pytest.mark.parametrize("target", ["playbook", "roster", "manifest", "review"])
def test_yaml_bombs_tags_and_loops_are_refused_at_their_line(target):
    assert "expand to more than 100,000 values" in read_or_refuse(target, (BILLION_LAUGHS + "x: *i\n").encode())
    tag = b"!!python/object/apply:os.system [touch /tmp/crisis-pwned]"
    if target == "playbook":  # the loader walks the nodes it knows: the tag is named where it stands, never constructed
        tagged = read_or_refuse(target, seeds()["playbook"][0].replace(b"min_score: 88", b"min_score: !!python/name:os.system", 1))
        assert tagged.startswith("refused: ") and re.search(r":\d+:14: detect\.min_score: expected a whole number", tagged), tagged
    else:
        tagged = read_or_refuse(target, b"a: " + tag + b"\n")
        assert tagged.startswith("refused: ") and ":1:4: a YAML tag (!!…) crisis does not read" in tagged
    assert "an alias refers to the value that contains it" in read_or_refuse(target, b"a: &a {b: *a}\n")
    assert "nested more than 64 levels deep" in read_or_refuse(target, b"[" * 1000 + b"]" * 1000)
    assert not Path("/tmp/crisis-pwned").exists()
