"""Matching folded mentions against every playbook's detection phrases, explainably.

Scoring every phrase against every text is what a reader would do by hand and what costs most.
Instead, the phrases' distinctive tokens go into an index of their deletion neighbourhoods
(a typo within one or two edits of a phrase token finds it with a few dictionary lookups), and
only the phrases a text's tokens point at are scored, with rapidfuzz, on word-aligned windows
around the tokens that hit. A text's word that is itself a common word is never a typo of a
different phrase word (see `lexicon`). Every match carries its playbook, phrase, score and span.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from rapidfuzz import fuzz

from crisis.playbook.model import Detection
from crisis.triage.fold import fold, fold_with_offsets, original_span
from crisis.triage.lexicon import common_words

# Words too common to point at a phrase by themselves; a phrase is still scored on all its words.
STOPWORDS = frozenset("""
a an and are as at be been by c d de des du en est et from has have is it l la le les leur leurs ma mes mon
my n ne no not of on or our ours pas qu que qui s sa se ses son sur t the their them they this to tu un une
us vos votre vous was we were what who you your ce ca cet cette ils elle elles il je j y on avec pour par
""".split())
_CACHE_LIMIT = 200_000
INFLECTIONS = frozenset({"s", "e", "es"})  # French and English plural and feminine endings
_NUMBER: tuple[int, tuple[tuple[int, int, str], ...]] = (1, ())


@dataclass(frozen=True)
class Phrase:
    """A detection phrase of a playbook (or an exclusion), as written and as folded."""

    playbook_id: str
    lang: str
    text: str
    folded: str
    tokens: tuple[str, ...]
    min_score: int
    exclude: bool = False


@dataclass(frozen=True)
class Match:
    """Why a text matches: which phrase, how closely (0-100), and where in the text."""

    playbook_id: str
    phrase: str
    lang: str
    score: float
    span: tuple[int, int]
    excerpt: str

    def as_dict(self) -> dict:
        return {"playbook": self.playbook_id, "phrase": self.phrase, "lang": self.lang, "score": round(self.score, 1),
                "span": list(self.span), "excerpt": self.excerpt}


@dataclass(frozen=True)
class Verdict:
    """A playbook's answer for one text: its best match, and the exclusion that cancels it, if any."""

    playbook_id: str
    match: Match
    excluded_by: Match | None = None

    @property
    def matched(self) -> bool:
        return self.excluded_by is None

    def as_dict(self) -> dict:
        return {"playbook": self.playbook_id, "matched": self.matched, "match": self.match.as_dict(),
                "excluded_by": self.excluded_by.as_dict() if self.excluded_by else None}


def _depth(token: str) -> int:
    """How many edits a token may carry and still point at a phrase: none for short words."""
    return 0 if len(token) < 4 else 1 if len(token) < 6 else 2


def _deletions(token: str, depth: int) -> set[str]:
    """The token and every form of it with up to `depth` characters left out."""
    variants, layer = {token}, {token}
    for _ in range(depth):
        layer = {word[:i] + word[i + 1:] for word in layer for i in range(len(word))}
        variants |= layer
    return variants


class Matcher:
    """Every playbook's phrases, indexed once; `classify` answers for one text at a time."""

    def __init__(self, detections: Mapping[str, Detection]) -> None:
        self.phrases: list[Phrase] = []
        for playbook_id, detect in sorted(detections.items()):
            for exclude, table in ((False, detect.phrases), (True, detect.exclude)):
                for lang, texts in sorted(table.items()):
                    for text in texts:
                        folded = fold(text)
                        if folded:
                            self.phrases.append(Phrase(playbook_id, lang, text, folded, tuple(folded.split()), detect.min_score, exclude))
        self._by_token: dict[str, set[tuple[int, str]]] = {}  # distinctive word → (phrase number, that word)
        self._keys: list[dict[str, int]] = []  # each phrase's distinctive words and their lengths
        self._budget: list[float] = []  # characters of distinctive words a text may lack and still reach the bar
        for number, phrase in enumerate(self.phrases):
            keys = {t for t in phrase.tokens if t not in STOPWORDS and len(t) >= 3} or set(phrase.tokens)
            self._keys.append({key: len(key) for key in keys})
            # fuzz.ratio = 2·M / (len(a) + len(b)): lacking x characters of the phrase costs about x / len(a);
            # twice the playbook's slack keeps every text that could still reach its bar
            self._budget.append(len(phrase.folded) * (100 - phrase.min_score) / 50)
            for token in keys:
                self._by_token.setdefault(token, set()).add((number, token))
        self._near: dict[str, set[str]] = {}  # deletion variant → phrase tokens it may come from
        for token in self._by_token:
            for variant in _deletions(token, _depth(token)):
                self._near.setdefault(variant, set()).add(token)
        self._tokens: dict[str, tuple[tuple[int, str], ...]] = {}  # folded word → (phrase number, key) it points at
        self._chunks: dict[str, tuple[int, tuple[tuple[int, int, str], ...]]] = {}  # raw chunk → (words, (word, phrase, key))
        lengths = [len(t) for t in self._by_token] or [0]
        self._shortest, self._longest = min(lengths) - 2, max(lengths) + 2

    @property
    def playbook_ids(self) -> list[str]:
        return sorted({p.playbook_id for p in self.phrases})

    def _phrases_near(self, token: str) -> tuple[tuple[int, str], ...]:
        found = self._tokens.get(token)
        if found is None:
            if token.isdigit() or not self._shortest <= len(token) <= self._longest:
                return ()  # not cached: numbers and long strings are mostly unique
            keys: set[str] = set()
            # one deletion on the text's side against two on the phrase's: an edit, or a missing letter and an edit
            for variant in _deletions(token, min(1, _depth(token))):
                keys.update(self._near.get(variant, ()))
            if keys - {token} and _is_word(token):
                # an ordinary word is itself, never a typo of another ("valeurs" is not "voleurs"), but may be an inflection
                keys = {key for key in keys if key == token or _inflected(token, key)}
            found = tuple(sorted({hit for key in keys for hit in self._by_token[key]}))
            _remember(self._tokens, token, found)
        return found

    def _chunk(self, chunk: str) -> tuple[int, tuple[tuple[int, int, str], ...]]:
        """A whitespace-separated piece of a text: how many folded words it makes, and what they point at."""
        if chunk.isascii() and chunk.isdigit():
            return _NUMBER  # not cached: numbers are mostly unique and point at nothing
        words = fold(chunk).split()
        entry = (len(words), tuple((offset, number, key) for offset, word in enumerate(words) for number, key in self._phrases_near(word)))
        _remember(self._chunks, chunk, entry)
        return entry

    def candidates(self, text: str) -> dict[int, tuple[list[int], bool]]:
        """Phrase number → (positions of the folded words that point at it, whether every distinctive word was met),
        for the phrases worth scoring.

        Folding never joins words across whitespace, so each raw piece of the text is folded and looked
        up once per stream: in a stream, most pieces have been seen before and cost one dictionary lookup.
        """
        hits: dict[int, list[int]] = {}
        seen: dict[int, set[str]] = {}
        chunks, position = self._chunks, 0
        for chunk in text.split():
            count, found = chunks.get(chunk) or self._chunk(chunk)
            for offset, number, key in found:
                hits.setdefault(number, []).append(position + offset)
                seen.setdefault(number, set()).add(key)
            position += count
        if not hits:
            return {}
        keys, budget, chosen = self._keys, self._budget, {}
        for number, positions in hits.items():
            lacking = sum(length for key, length in keys[number].items() if key not in seen[number])
            if lacking <= budget[number]:
                chosen[number] = (positions, lacking == 0)
        return chosen

    def classify(self, text: str) -> list[Verdict]:
        """The playbooks whose phrases match `text` (excluded ones included, marked), best first."""
        hits = self.candidates(text)
        if not hits:
            return []
        folded = fold(text)
        words = folded.split(" ")
        starts, ends = _token_bounds(words)
        best: dict[tuple[str, bool], tuple[float, Phrase, int, int]] = {}
        for number, (positions, complete) in hits.items():
            phrase = self.phrases[number]
            scored = _best_window(phrase, folded, words, starts, ends, positions, complete)
            if scored is None:
                continue
            key = (phrase.playbook_id, phrase.exclude)
            # on a tie, the longer phrase: "ransomware attack" says more (and opens at once) than "ransomware"
            if key not in best or (scored[0], len(phrase.tokens)) > (best[key][0], len(best[key][1].tokens)):
                best[key] = (scored[0], phrase, scored[1], scored[2])
        verdicts = []
        if not any(not exclude for _, exclude in best):
            return []
        _, origin = fold_with_offsets(text)
        for (playbook_id, exclude), found in best.items():
            if exclude:
                continue
            veto = best.get((playbook_id, True))
            verdicts.append(Verdict(playbook_id, _explain(found, text, origin), _explain(veto, text, origin) if veto else None))
        return sorted(verdicts, key=lambda v: (not v.matched, -v.match.score, v.playbook_id))

    def matching(self, text: str) -> list[Match]:
        """The best match of each playbook that matches `text`, exclusions applied."""
        return [v.match for v in self.classify(text) if v.matched]


def _is_word(token: str) -> bool:
    return token in STOPWORDS or token in common_words()


def _inflected(word: str, key: str) -> bool:
    """Whether two words differ by a plural or feminine ending only ("mentale" and "mental", "scams" and "scam")."""
    short, long = sorted((word, key), key=len)
    return len(short) >= 4 and long.startswith(short) and long[len(short):] in INFLECTIONS


def _remember(cache: dict, key: str, value) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value


def _token_bounds(words: list[str]) -> tuple[list[int], list[int]]:
    starts, ends, position = [], [], 0
    for word in words:
        starts.append(position)
        ends.append(position + len(word))
        position += len(word) + 1
    return starts, ends


def _best_window(phrase: Phrase, folded: str, words: list[str], starts: list[int], ends: list[int], positions: Iterable[int],
                 complete: bool) -> tuple[float, int, int] | None:
    """The best score of `phrase` on the word-aligned windows around the hits: (score, start, end).

    When a distinctive word of the phrase was not met, a window must hold a word that could be it
    misspelt: a word that is neither the phrase's nor an ordinary one ("a suivre absolument" is a
    different sentence from "à fuir absolument", not a typo of it).
    """
    k, count, best = len(phrase.tokens), len(starts), None
    for position in positions:
        for size in range(max(1, k - 1), k + 2):
            for first in range(max(0, position - size + 1), min(position, count - size) + 1):
                if not complete and all(w in phrase.tokens or _is_word(w) for w in words[first:first + size]):
                    continue
                start, end = starts[first], ends[first + size - 1]
                score = fuzz.ratio(phrase.folded, folded[start:end], score_cutoff=phrase.min_score)
                if score and (best is None or score > best[0]):
                    best = (score, start, end)
    return best


def _explain(found: tuple[float, Phrase, int, int], text: str, origin: list[int]) -> Match:
    score, phrase, start, end = found
    span = original_span(origin, text, start, end)
    return Match(phrase.playbook_id, phrase.text, phrase.lang, score, span, text[span[0]:span[1]])
