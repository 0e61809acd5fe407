"""The common words of French and English: a word of a text that is one of them is not a typo.

"des valeurs" is one letter away from "des voleurs", "à suivre absolument" close to "à fuir
absolument": a fuzzy match that only swaps one ordinary word for another is a different sentence,
not a misspelling. The word lists are pyspellchecker's frequency dictionaries (built from film
subtitles), kept above a frequency floor so that rare words, where real typos land ("hake" for
"hacké"), still count as typos.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from functools import cache, lru_cache
from importlib.metadata import version
from pathlib import Path

import orjson
from spellchecker import SpellChecker

from crisis.triage import fold as _fold_module
from crisis.triage.fold import fold

LANGUAGES = ("fr", "en")
# Texting shorthands that stand for a whole word of a phrase ("i know where u live")
SHORTHANDS = {"u": "you", "ur": "your", "r": "are", "ppl": "people", "pls": "please", "plz": "please", "bcp": "beaucoup", "ds": "dans"}
COMMON = 1e-6  # share of the running words: about the 18,000 most frequent French and 14,500 English words


@cache
def common_words() -> frozenset[str]:
    """The folded forms of the common words of every language in LANGUAGES (loaded once, about 0.5 s)."""
    return frozenset(word_shares())


@cache
def word_shares() -> dict[str, float]:
    """Each common word's share of the running words (folded; the higher of its languages'): how often a text has it.

    Kept in the user's cache folder once measured (loading the dictionaries takes about 0.5 s, at every start of
    an ingest; the cache 10 ms), under a name that changes with pyspellchecker's version, COMMON and the folding
    code; a cache that cannot be read or written is measured again, never an error."""
    path = shares_cache()
    shares = read_shares(path)
    if shares is None:
        shares = measured_shares()
        write_shares(path, shares)
    return shares


def measured_shares() -> dict[str, float]:
    """`word_shares` measured from pyspellchecker's frequency dictionaries."""
    shares: dict[str, float] = {}
    for lang in LANGUAGES:
        frequency = SpellChecker(language=lang, distance=1).word_frequency
        total = frequency.total_words
        floor = total * COMMON
        for word, count in frequency.dictionary.items():
            if count >= floor and (folded := fold(word)) and " " not in folded:
                shares[folded] = max(shares.get(folded, 0.0), count / total)
    return shares


def shares_cache() -> Path:
    """Where `word_shares` is kept: named after what it is measured from, so that a change measures it again."""
    import platformdirs

    key = hashlib.sha256(repr((version("pyspellchecker"), COMMON, LANGUAGES)).encode())
    for module in (_fold_module, sys.modules[__name__]):
        key.update(Path(module.__file__).read_bytes())
    return Path(platformdirs.user_cache_dir("crisis", appauthor=False)) / f"word-shares-{key.hexdigest()[:16]}.json"


def read_shares(path: Path) -> dict[str, float] | None:
    """The shares kept at `path`, or None when there are none or they cannot be read as such."""
    try:
        shares = orjson.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if type(shares) is not dict or not all(type(v) is float for v in shares.values()):
        return None
    return shares


def write_shares(path: Path, shares: dict[str, float]) -> None:
    """Keep `shares` at `path`, whole or not at all (written aside, then renamed); a folder that refuses it is left alone."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=".word-shares-", delete=False) as out:
            out.write(orjson.dumps(shares))
        os.replace(out.name, path)
    except OSError:
        return


@cache
def _stemmers():
    import snowballstemmer

    return snowballstemmer.stemmer("french"), snowballstemmer.stemmer("english")


@lru_cache(maxsize=100_000)
def stems(word: str) -> tuple[str, str]:
    """The French and English Snowball stems of a folded word: "pirate", "piratee", "pirates" and "pirater" give "pirat".

    Folded text has lost its accents, so the French stemmer sees "piratee" and stops at "pirate": it is
    run a second time, which takes the feminine and plural endings folding left behind. Words under 4
    letters are their own stem ("vol" is a flight as often as a theft).
    """
    if len(word) < 4 or not word.isalpha():
        return word, word
    french, english = _stemmers()
    once = french.stemWord(word)
    return french.stemWord(once) if len(once) >= 4 else once, english.stemWord(word)
