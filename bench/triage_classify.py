"""Classification speed and recall: crisis's token index against scoring every phrase against every text.

    python bench/triage_classify.py [--seed 7] [--per-phrase 12]

Texts: a typo set built here from every shipped playbook phrase (deletions, insertions,
substitutions, swaps, missing accents, held letters, capitals, leetspeak, two typos at once,
inside French and English carrier sentences), plus the real tweets of the airline set read at
run time from ../shared/datasets/ (never copied). The reference is what the issue names:
`rapidfuzz.process.cdist(texts, phrases, scorer=fuzz.partial_ratio, workers=1)` on the same
texts, folded the same way (its folding is not timed; ours is), with the same bars and exclusions.
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from crisis.playbook.loader import list_playbooks, load_playbook
from crisis.settings import shipped_content
from crisis.triage.fold import fold
from crisis.triage.lexicon import common_words
from crisis.triage.match import Matcher

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
CARRIERS = {
    "en": ["@brand {} !!", "omg {} seriously", "{}, unbelievable", "just saw this: {}", "I can't believe it, {} lol",
           "hey @support {} what is going on", "{} #fail"],
    "fr": ["@marque {} !!", "franchement {}", "{}, incroyable", "je viens de voir ça : {}", "sérieux {} ??",
           "allo @service client {} c'est quoi ça", "{} #honte"],
}
NEIGHBOURS = "azertyuiopqsdfghjklmwxcvbn"
LEET = {"o": "0", "e": "3", "a": "4", "i": "1", "s": "5"}
ACCENTS = str.maketrans("éèêëàâäîïôöûüùç", "eeeeaaaiioouuuc")


def typo(phrase: str, rng: random.Random) -> str:
    words = phrase.split()
    long = [i for i, w in enumerate(words) if len(w) >= 4] or list(range(len(words)))
    i = rng.choice(long)
    w = words[i]
    kind = rng.randrange(9)
    at = rng.randrange(1, max(2, len(w) - 1))
    if kind == 0:
        w = w[:at] + w[at + 1:]
    elif kind == 1:
        w = w[:at] + rng.choice(NEIGHBOURS) + w[at:]
    elif kind == 2:
        w = w[:at] + rng.choice(NEIGHBOURS) + w[at + 1:]
    elif kind == 3 and at + 1 < len(w):
        w = w[:at] + w[at + 1] + w[at] + w[at + 2:]
    elif kind == 4:
        return phrase.translate(ACCENTS)
    elif kind == 5:
        vowel = next((k for k, c in enumerate(w) if c in "aeiou"), at)
        w = w[:vowel] + w[vowel] * 4 + w[vowel + 1:]
    elif kind == 6:
        return phrase.upper()
    elif kind == 7:
        w = "".join(LEET.get(c, c) if rng.random() < 0.5 else c for c in w)
    else:
        w = w[:at] + w[at + 1:]
        at2 = rng.randrange(0, max(1, len(w)))
        w = w[:at2] + rng.choice(NEIGHBOURS) + w[at2 + 1:]
    words[i] = w
    return " ".join(words)


def typo_set(matcher: Matcher, per_phrase: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    cases = []
    for phrase in matcher.phrases:
        if phrase.exclude:
            continue
        for _ in range(per_phrase):
            carrier = rng.choice(CARRIERS[phrase.lang])
            cases.append((carrier.format(typo(phrase.text, rng)), phrase.playbook_id))
    return cases


def airline_tweets() -> list[tuple[str, str]]:
    path = DATASETS / "twitter_us_airline_sentiment" / "Tweets.csv"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as f:
        seen, out = set(), []
        for row in csv.DictReader(f):
            if row["text"] not in seen:
                seen.add(row["text"])
                out.append((row["text"], row["airline_sentiment"]))
        return out


def brute_force(matcher: Matcher, texts: list[str]) -> tuple[list[set[str]], float]:
    """Every phrase scored against every (pre-folded) text; a playbook matches unless one of its exclusions does."""
    phrases = matcher.phrases
    folded = [fold(t) for t in texts]  # not timed: the reference gets its folding for free
    start = time.perf_counter()
    scores = process.cdist(folded, [p.folded for p in phrases], scorer=fuzz.partial_ratio, workers=1)
    bars = np.array([p.min_score for p in phrases])
    hits = scores >= bars
    results = []
    for row in hits:
        found, vetoed = set(), set()
        for number in np.flatnonzero(row):
            phrase = phrases[number]
            (vetoed if phrase.exclude else found).add(phrase.playbook_id)
        results.append(found - vetoed)
    return results, time.perf_counter() - start


def indexed(matcher: Matcher, texts: list[str]) -> tuple[list[set[str]], float]:
    start = time.perf_counter()
    results = [{m.playbook_id for m in matcher.matching(t)} for t in texts]
    return results, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-phrase", type=int, default=12)
    args = parser.parse_args()
    playbooks = [load_playbook(p) for p in list_playbooks(shipped_content() / "playbooks")]
    detect = {pb.id: pb.detect for pb in playbooks}
    cases = typo_set(Matcher(detect), args.per_phrase, args.seed)
    tweets = airline_tweets()
    texts = [t for t, _ in cases] + [t for t, _ in tweets]
    phrases = sum(1 for p in Matcher(detect).phrases)
    print(f"{len(playbooks)} playbooks, {phrases} phrases and exclusions; {len(cases):,} typo texts + {len(tweets):,} airline tweets")

    start = time.perf_counter()
    common_words()  # loaded once per process, at the first near miss
    lexicon_s = time.perf_counter() - start
    print(f"common words        {lexicon_s:>9.2f} s        (loaded once per process)")
    typos, stream = [t for t, _ in cases], [t for t, _ in tweets]
    matcher = Matcher(detect)  # cold: its cache of text pieces starts empty, as in a fresh `crisis ingest`
    rows = []
    if stream:
        stream_ours, cold_s = indexed(matcher, stream)
        _, warm_s = indexed(matcher, stream)
        stream_ref, ref_s = brute_force(matcher, stream)
        rows.append(("airline tweets", len(stream), cold_s, warm_s, ref_s))
    ours, typo_s = indexed(Matcher(detect), typos)  # a fresh matcher: every text a typo'd phrase, all scored
    ref, typo_ref_s = brute_force(matcher, typos)
    rows.append(("typo set", len(typos), typo_s, None, typo_ref_s))
    for name, n, cold_s, warm_s, ref_s in rows:
        warm = f", warm {n / warm_s:>7,.0f} (deep in a stream)" if warm_s else ""
        print(f"{name:<15} {n:>6,} texts: crisis {n / cold_s:>7,.0f} texts/s cold{warm}; brute force {n / ref_s:>6,.0f} texts/s "
              f"(folding not counted): {ref_s / cold_s:.1f}× cold")
    recall_ours = sum(pb in ours[i] for i, (_, pb) in enumerate(cases)) / len(cases)
    recall_ref = sum(pb in ref[i] for i, (_, pb) in enumerate(cases)) / len(cases)
    print(f"recall on the typo set: crisis {recall_ours:.1%}, brute force {recall_ref:.1%}")
    if tweets:
        praise = [i for i, (_, s) in enumerate(tweets) if s in ("positive", "neutral")]
        print(f"praise and neutral tweets matched: crisis {sum(bool(stream_ours[i]) for i in praise)}, "
              f"brute force {sum(bool(stream_ref[i]) for i in praise)} of {len(praise):,}")


if __name__ == "__main__":
    main()
