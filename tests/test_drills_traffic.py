"""The mentions a scenario injects: seeded, on a rise-and-decay curve, varied, amplified, readable by the real ingest reader."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from crisis.drill.loader import load_scenario
from crisis.drill.traffic import EMOJI, amplify, background_mentions, expand_inject, vary_text
from crisis.triage.readers import Mention, read_mentions

DRILLS = Path(__file__).resolve().parent.parent / "drills"
CATALOGUE = load_scenario(DRILLS / "catalogue_2012.yaml")
WAVE = CATALOGUE.find_inject("mockery_wave")  # 2,500 mentions over 12 h, peak at 3 h


def test_the_same_seed_gives_the_same_mentions_and_another_seed_others():
    first = expand_inject(CATALOGUE, WAVE, seed=1)
    assert first == expand_inject(CATALOGUE, WAVE, seed=1)
    assert first != expand_inject(CATALOGUE, WAVE, seed=2)


def test_a_wave_brings_its_count_inside_its_period_rising_to_its_peak_then_decaying():
    mentions = expand_inject(CATALOGUE, WAVE, seed=1)
    assert len(mentions) == 2500 and len({m.id for m in mentions}) == 2500
    assert all(WAVE.at <= m.at < WAVE.at + WAVE.body.over for m in mentions)
    assert [m.at for m in mentions] == sorted(m.at for m in mentions)
    per_hour = Counter(int((m.at - WAVE.at) / timedelta(hours=1)) for m in mentions)
    busiest = max(per_hour, key=per_hour.get)
    assert busiest in (2, 3), f"the busiest hour should hold the 3 h peak: {sorted(per_hour.items())}"
    assert per_hour[0] < per_hour[busiest] / 2, "it rises"
    assert per_hour[11] < per_hour[busiest] / 3, "it decays"


def test_variations_retype_the_pool_and_without_them_the_pool_is_kept_verbatim():
    pool = set(CATALOGUE.pools["mockery"])
    varied = [m.text for m in expand_inject(CATALOGUE, WAVE, seed=1)]
    assert sum(t not in pool for t in varied) > len(varied) / 3
    assert any(t.endswith(EMOJI) for t in varied) and any(t.endswith("#hommenu") for t in varied)
    silence = CATALOGUE.find_inject("silence_comments")  # typos and hashtags only: no emoji, no shouting
    plain = [m.text for m in expand_inject(CATALOGUE, silence, seed=1)]
    assert not any(t.endswith(EMOJI) or t.isupper() for t in plain)


def test_vary_text_changes_at_most_two_words_and_appends_only_a_hashtag_or_an_emoji():
    import random

    rng = random.Random(4)
    words = "Retirez cette photo, il y a des enfants dessus".split()
    for _ in range(300):
        varied = vary_text(" ".join(words), ("typos", "elongation", "hashtags", "emoji"), ("#hommenu",), rng).split()
        assert sum(a != b for a, b in zip(words, varied)) <= 2
        assert all(extra == "#hommenu" or extra in EMOJI for extra in varied[len(words):])


def test_amplify_doubles_or_thins_what_is_left_and_keeps_what_came_before():
    mentions = expand_inject(CATALOGUE, WAVE, seed=1)
    at = WAVE.at + timedelta(hours=4)
    before = [m for m in mentions if m.at < at]
    after = len(mentions) - len(before)
    doubled = amplify(mentions, at, 2.0, seed=1, name="silence_doubles_wave")
    assert doubled[:len(before)] == before and len(doubled) == len(before) + 2 * after
    assert len({m.id for m in doubled}) == len(doubled)
    thinned = amplify(mentions, at, 0.5, seed=1, name="statement_calms")
    assert thinned[:len(before)] == before
    assert 0.4 * after < len(thinned) - len(before) < 0.6 * after


def test_background_traffic_runs_at_its_rate_over_the_whole_drill():
    mentions = background_mentions(CATALOGUE, CATALOGUE.background, seed=3)
    expected = 20 * 24 * 6
    assert 0.9 * expected < len(mentions) < 1.1 * expected
    assert mentions[-1].at < CATALOGUE.duration and {m.text for m in mentions} <= set(CATALOGUE.pools["ordinary"])


def test_a_post_keeps_its_persona_and_the_hijacker_s_post_is_marked_own_account():
    hijack = load_scenario(DRILLS / "hijacked_sunday_night.yaml")
    [scam] = expand_inject(hijack, hijack.find_inject("scam_post_fr"), seed=0)
    assert (scam.author, scam.platform, scam.own_account, scam.lang) == ("@atelierboreal", "instagram", True, "fr")
    assert expand_inject(hijack, hijack.find_inject("ransom"), seed=0) == []


def test_the_records_are_read_by_the_real_ingest_reader_without_a_reject(tmp_path):
    start = datetime(2012, 1, 4, 10, 0, tzinfo=timezone.utc)
    mentions = expand_inject(CATALOGUE, WAVE, seed=1)[:200] + expand_inject(CATALOGUE, CATALOGUE.find_inject("first_link"), seed=1)
    path = tmp_path / "drill.jsonl"
    path.write_text("".join(json.dumps(m.as_record(start), ensure_ascii=False) + "\n" for m in mentions), encoding="utf-8")
    read = list(read_mentions(str(path)))
    assert all(isinstance(r, Mention) for r in read), [r for r in read if not isinstance(r, Mention)][:3]
    assert read[0].created_at == start + mentions[0].at and read[-1].url == "https://www.maison-lenoir.example/enfant/pull-raye-marin"
