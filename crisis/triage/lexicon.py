"""The common words of French and English: a word of a text that is one of them is not a typo.

"des valeurs" is one letter away from "des voleurs", "à suivre absolument" close to "à fuir
absolument": a fuzzy match that only swaps one ordinary word for another is a different sentence,
not a misspelling. The word lists are pyspellchecker's frequency dictionaries (built from film
subtitles), kept above a frequency floor so that rare words, where real typos land ("hake" for
"hacké"), still count as typos.
"""

from __future__ import annotations

from functools import cache, lru_cache

from spellchecker import SpellChecker

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
    """Each common word's share of the running words (folded; the higher of its languages'): how often a text has it."""
    shares: dict[str, float] = {}
    for lang in LANGUAGES:
        frequency = SpellChecker(language=lang, distance=1).word_frequency
        total = frequency.total_words
        floor = total * COMMON
        for word, count in frequency.dictionary.items():
            if count >= floor and (folded := fold(word)) and " " not in folded:
                shares[folded] = max(shares.get(folded, 0.0), count / total)
    return shares


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
