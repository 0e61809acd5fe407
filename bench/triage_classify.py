"""Classification speed when the crisis is on: a stream where half the mentions match, varied texts.

    python bench/triage_classify.py [--seed 7] [--size 20000]

The matching half is built here from people's words about each shipped playbook's incidents (victims,
witnesses, journalists; French and English), composed from parts (who, which account or product, what
happened, what they add) with typos, held letters, capitals and missing accents, so that hardly two
texts repeat. The quiet half is the real airline tweets read at run time from ../shared/datasets/
(never copied). Figures, each beside its reference from the same run:
- crisis `Matcher.classify` (queries, spans and explanation included), cold then warm, against the
  goal of 20,000 texts/s and against `fold()` of the same texts, the least any matcher does;
- the cost of a match's spans, against `fold_with_offsets` of the whole text (the way spans were found before).
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from pathlib import Path

from crisis.playbook.loader import list_playbooks, load_playbook
from crisis.settings import shipped_content
from crisis.triage.fold import fold, fold_with_offsets
from crisis.triage.lexicon import common_words
from crisis.triage.match import Matcher

# ../shared/datasets beside the repository (or beside the folder of worktrees)
DATASETS = next((p / "shared" / "datasets" for p in Path(__file__).resolve().parents if (p / "shared" / "datasets").is_dir()),
                Path("../shared/datasets"))
GOAL = 20_000
BRANDS = ["@Orvia", "Orvia", "@maison_kerel", "Kerel", "@BluePine_help", "BluePine", "la marque", "this brand"]
PARTS: dict[str, list[tuple[list[str], ...]]] = {
    "hijacked_account": [
        (["{b}", "Alerte,", "Hum", "Attention :"], ["votre compte Instagram", "le compte Facebook de {b}", "la page de {b}", "le profil TikTok de {b}"],
         ["a été piraté", "est piratée", "s'est fait pirater", "semble hacké", "a été compromis"], ["??", ", ne cliquez sur rien", "depuis ce matin", "!!"]),
        (["{b}", "hey", "Heads up", "Uh"], ["your Instagram account", "the {b} twitter", "your page", "their TikTok account"],
         ["got hacked", "has been hacked", "was compromised", "has been taken over"], ["?", ", don't click anything", "since last night", "lol"]),
    ],
    "data_leak": [
        (["{b}", "Sérieux", "Bon,", "Info :"], ["mes données client", "les mots de passe des clients", "vos fichiers clients", "nos identifiants"],
         ["ont fuité", "sont en vente sur un forum", "circulent sur le dark web", "ont été volés"], ["??", ", merci de répondre", "depuis hier", "#fuite"]),
        (["{b}", "So", "Wow", "Breaking:"], ["my password for your site", "customer data", "card details of your users", "the customer database"],
         ["leaked", "is for sale on the dark web", "got stolen", "showed up in a breach dump"], ["?", ", thanks a lot", "this morning", "#databreach"]),
    ],
    "defamatory_review": [
        (["Hôtel à éviter,", "Franchement", "Resto infâme,", "Attention,"], ["le patron", "le gérant", "ces gens", "le personnel"],
         ["est un escroc", "sont des voleurs", "sont des arnaqueurs", "vole les clients"], [".", ", une honte", ", 1 étoile c'est trop", "!!"]),
        (["Avoid.", "Honestly", "Worst stay,", "Warning:"], ["the owner", "the manager", "the staff", "this shop"],
         ["is a crook", "are thieves", "is a fraud", "is a con artist"], [".", ", 1 star", ", never again", "!!"]),
    ],
    "rumour": [
        (["Info :", "Il paraît que", "On m'a dit que", "Paraît que"], ["{b}", "les produits {b}", "la marque", "les magasins {b}"],
         ["va fermer toutes ses boutiques", "contiennent du plomb", "est en faillite", "sont cancérigènes"], [", faites tourner", ", partagez", " ??", ""]),
        (["I heard", "Apparently", "People are saying", "Word is"], ["{b}", "their products", "the brand", "{b} stores"],
         ["is going bankrupt", "causes cancer", "is closing all stores", "is toxic"], [", share before they delete this", ", pass it on", "??", ""]),
    ],
    "activist_attack": [
        (["{b}", "Scandale :", "Regardez :", ""], ["les fournisseurs de {b}", "{b}", "les élevages de {b}", "l'usine de {b}"],
         ["entassent les poules en cage", "pollue la rivière", "exploitent le travail des enfants", "participe à la déforestation"],
         [", signez la pétition", ", boycott !", ", l'ONG publie son rapport", ", honte à vous"]),
        (["{b}", "Look:", "Again,", ""], ["{b}'s suppliers", "{b}", "the farms behind {b}", "{b}'s factories"],
         ["use child labour", "keep hens in battery cages", "fund deforestation", "pollute the river"],
         [", sign the petition", ", boycott them", ", the NGO report is out", ", shame on you"]),
    ],
    "bad_buzz": [
        (["{b}", "Sérieux", "Bravo", "Wow"], ["votre nouvelle pub", "ce tweet", "la campagne de {b}", "votre communiqué"],
         ["est sexiste", "est d'un mauvais goût incroyable", "est un naufrage", "est raciste"], [", retirez-la", ", qui a validé ça", "#fail", "!!"]),
        (["{b}", "Wow", "Yikes", "Seriously"], ["your new ad", "that tweet", "the {b} campaign", "your statement"],
         ["is tone deaf", "is so offensive", "is a PR disaster", "made it so much worse"], [", pull it", ", who approved this", "#fail", "lmao"]),
    ],
}


def garble(text: str, rng: random.Random) -> str:
    """A natural accident: one typo, held letters, capitals or lost accents, or nothing."""
    kind = rng.randrange(6)
    words = text.split()
    i = rng.randrange(len(words))
    w = words[i]
    if kind == 0 and len(w) > 5:
        at = rng.randrange(1, len(w) - 1)
        words[i] = w[:at] + w[at + 1:]
    elif kind == 1 and len(w) > 3:
        words[i] = w + w[-1] * 3
    elif kind == 2:
        return text.upper()
    elif kind == 3:
        return text.translate(str.maketrans("éèêàçù", "eeeacu"))
    return " ".join(words)


def incident_posts(size: int, rng: random.Random) -> list[tuple[str, str]]:
    posts: dict[str, str] = {}
    kinds = sorted(PARTS)
    while len(posts) < size:
        playbook = kinds[len(posts) % len(kinds)]
        who, what, did, add = rng.choice(PARTS[playbook])
        brand = rng.choice(BRANDS)
        tail = rng.choice(add)
        text = " ".join(p for p in (rng.choice(who), rng.choice(what), rng.choice(did)) if p) + (
            tail if tail[:1] in ("", ",", ".", "!", "?", " ") else " " + tail)
        text = garble(text.replace("{b}", brand), rng) + f" #{rng.randrange(10_000)}" * (rng.random() < 0.3)
        posts.setdefault(text, playbook)
    return list(posts.items())


def airline_tweets() -> list[str]:
    path = DATASETS / "twitter_us_airline_sentiment" / "Tweets.csv"
    with path.open(encoding="utf-8") as f:
        return list(dict.fromkeys(row["text"] for row in csv.DictReader(f)))


def timed(fn, texts: list[str]) -> tuple[list, float]:
    start = time.perf_counter()
    out = [fn(t) for t in texts]
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--size", type=int, default=20_000, help="texts in the stream (half of them incident posts)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    playbooks = [load_playbook(p) for p in list_playbooks(shipped_content() / "playbooks")]
    detect = {pb.id: pb.detect for pb in playbooks}
    quiet = airline_tweets()
    rng.shuffle(quiet)
    posts = incident_posts(args.size // 2, rng)
    stream = [t for t, _ in posts] + quiet[:args.size - len(posts)]
    rng.shuffle(stream)
    common_words()  # loaded once per process
    matcher = Matcher(detect)
    verdicts, cold_s = timed(matcher.classify, stream)
    _, warm_s = timed(matcher.classify, stream)
    _, fold_s = timed(fold, stream)
    matched = [t for t, v in zip(stream, verdicts) if any(x.matched for x in v)]
    print(f"{len(playbooks)} playbooks; stream of {len(stream):,} texts ({len(posts):,} incident posts, {len(stream) - len(posts):,} "
          f"airline tweets), {len(matched) / len(stream):.0%} matching")
    print(f"classify   cold {len(stream) / cold_s:>8,.0f} texts/s, warm {len(stream) / warm_s:>8,.0f} texts/s   "
          f"goal {GOAL:,}; fold() alone {len(stream) / fold_s:>8,.0f} texts/s")
    spans_matcher = matcher  # deep in the stream: its pieces and their offsets are known, as in a long ingest
    _, met_s = timed(spans_matcher.met, matched)
    _, full_s = timed(spans_matcher.classify, matched)
    _, offsets_s = timed(fold_with_offsets, matched)
    n = len(matched) or 1
    print(f"per matched text, warm: evaluate + spans + explanation {(full_s - met_s) / n * 1e6:>6.1f} µs; "
          f"fold_with_offsets of the whole text (before) {offsets_s / n * 1e6:>6.1f} µs")
    right = {t: pb for t, pb in posts}
    found = {t: next((x.playbook_id for x in v if x.matched), None) for t, v in zip(stream, verdicts) if t in right}
    by_playbook: dict[str, list[bool]] = {}
    for text, playbook in posts:
        by_playbook.setdefault(playbook, []).append(found[text] == playbook)
    print("generated incident posts to the right playbook: " + ", ".join(
        f"{pb} {sum(v) / len(v):.0%}" for pb, v in sorted(by_playbook.items())))


if __name__ == "__main__":
    main()
