"""The mentions a scenario injects, expanded from its MEL: single posts, waves on a rise-and-decay
curve with varied texts, and background traffic. Pure and seeded: the same scenario and seed give
the same mentions, to the second and the letter. The simulator feeds them to the real ingest."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crisis.drill.scenario import Article, Background, Inject, Post, Scenario, Wave

EMOJI = ("😂", "😳", "🤦", "😡", "🙄", "👀", "🔥")
VOWELS = "aeiouy"
SHAPE = 2.0  # gamma shape of a wave: mode at `peak`, a quick rise then a long tail, as shares decay


@dataclass(frozen=True)
class SimulatedMention:
    """One mention an inject brings, `at` its offset from T+0; fields named as triage's records."""

    id: str
    at: timedelta
    platform: str
    text: str
    author: str
    author_followers: int
    url: str | None = None
    lang: str | None = None
    own_account: bool = False

    def as_record(self, start: datetime) -> dict[str, Any]:
        """The mention as a JSON Lines record of `crisis ingest`, dated from the drill's `start`."""
        record = {"id": self.id, "platform": self.platform, "text": self.text, "created_at": (start + self.at).isoformat(),
                  "author": self.author, "author_followers": self.author_followers}
        record.update({k: v for k, v in (("url", self.url), ("lang", self.lang), ("own_account", self.own_account)) if v})
        return record


def _rng(seed: int, name: str) -> random.Random:
    return random.Random(f"{seed}|{name}")  # a str seed is hashed with SHA-512: stable across runs and machines


def vary_text(text: str, variations: tuple[str, ...], hashtags: tuple[str, ...], rng: random.Random) -> str:
    """`text` as people would retype it: a typo, an elongated word, shouting, a hashtag, an emoji."""
    words = text.split(" ")
    if "typos" in variations and rng.random() < 0.3:
        i = rng.randrange(len(words))
        word = words[i]
        if len(word) >= 4 and word.isalpha():
            j = rng.randrange(1, len(word) - 2)
            words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2:] if rng.random() < 0.5 else word[:j] + word[j + 1:]
    if "elongation" in variations and rng.random() < 0.2:
        i = rng.randrange(len(words))
        word = words[i]
        if word and word[-1].lower() in VOWELS:
            words[i] = word + word[-1] * rng.randint(2, 4)
    varied = " ".join(words)
    if "case" in variations:
        roll = rng.random()
        varied = varied.upper() if roll < 0.1 else varied.lower() if roll < 0.25 else varied
    if "hashtags" in variations and hashtags and rng.random() < 0.4:
        tag = rng.choice(hashtags)
        varied = varied if tag.lower() in varied.lower() else f"{varied} {tag}"
    if "emoji" in variations and rng.random() < 0.3:
        varied = f"{varied} {rng.choice(EMOJI)}"
    return varied


def wave_offsets(wave: Wave, rng: random.Random) -> list[timedelta]:
    """`wave.count` offsets from the wave's start, sorted, on a gamma curve whose mode is `peak`, cut at `over`."""
    scale, limit, found = wave.peak.total_seconds() / (SHAPE - 1), wave.over.total_seconds(), []
    while len(found) < wave.count:
        seconds = rng.gammavariate(SHAPE, scale) if scale > 0 else rng.uniform(0, limit)
        if seconds < limit:
            found.append(timedelta(seconds=int(seconds)))
    return sorted(found)


def expand_inject(scenario: Scenario, inject: Inject, *, seed: int) -> list[SimulatedMention]:
    """The mentions a post, an article or a wave brings (none for other kinds), in time order."""
    body = inject.body
    if isinstance(body, Article):  # a press article is a mention on the press platform: triage reads it as a press pick-up
        persona = scenario.find_persona(body.persona)
        assert persona is not None, "drill check names unknown personas"
        return [SimulatedMention(f"drill-{inject.id}", inject.at, persona.platform, f"{body.headline}. {body.text}", persona.handle,
                                 persona.followers, body.url, persona.language)]
    if isinstance(body, Post):
        persona = scenario.find_persona(body.persona)
        assert persona is not None, "drill check names unknown personas"
        return [SimulatedMention(f"drill-{inject.id}", inject.at, persona.platform, body.text, persona.handle, persona.followers,
                                 body.url, persona.language, body.own_account)]
    if not isinstance(body, Wave):
        return []
    rng, pool = _rng(seed, inject.id), scenario.pools[body.pool]
    personas = [scenario.find_persona(p) for p in body.personas]
    mentions = []
    for n, offset in enumerate(wave_offsets(body, rng)):
        platform = rng.choice(body.platforms)
        persona = rng.choice(personas) if personas and rng.random() < 0.2 else None
        author, followers = ((persona.handle, persona.followers) if persona is not None
                             else (f"@{platform}_{rng.randrange(10**6):06d}", int(rng.lognormvariate(5, 1.5))))
        text = vary_text(rng.choice(pool), body.variations, body.hashtags, rng)
        mentions.append(SimulatedMention(f"drill-{inject.id}-{n}", inject.at + offset, platform, text, author, followers))
    return mentions


def amplify(mentions: list[SimulatedMention], at: timedelta, factor: float, *, seed: int, name: str) -> list[SimulatedMention]:
    """What is left of a wave after `at`, multiplied by `factor`: kept with probability `factor` below 1,
    copied (new ids, times spread over what is left) above 1. Mentions before `at` stay as they are."""
    rng = _rng(seed, name)
    before = [m for m in mentions if m.at < at]
    after = [m for m in mentions if m.at >= at]
    if factor <= 1:
        return before + [m for m in after if rng.random() < factor]
    extra = round(len(after) * (factor - 1))
    copies = [rng.choice(after) for _ in range(extra)] if after else []
    spread = [SimulatedMention(f"{m.id}-x{n}", m.at + timedelta(seconds=rng.randrange(600)), m.platform, m.text, m.author,
                               m.author_followers, m.url, m.lang) for n, m in enumerate(copies)]
    return before + sorted(after + spread, key=lambda m: m.at)


def background_mentions(scenario: Scenario, background: Background, *, seed: int) -> list[SimulatedMention]:
    """Ordinary traffic at `per_hour`, a Poisson process over the whole drill, from the background's pool."""
    rng, pool, mentions = _rng(seed, "background"), scenario.pools[background.pool], []
    rate, end, t = background.per_hour / 3600, scenario.duration.total_seconds(), 0.0
    while rate > 0:
        t += rng.expovariate(rate)
        if t >= end:
            break
        platform = rng.choice(background.platforms)
        mentions.append(SimulatedMention(f"drill-bg-{len(mentions)}", timedelta(seconds=int(t)), platform, rng.choice(pool),
                                         f"@{platform}_{rng.randrange(10**6):06d}", int(rng.lognormvariate(5, 1.5))))
    return mentions
