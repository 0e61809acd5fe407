"""Matching mentions against every playbook's listening queries, explainably and fast.

Every term of every query goes into one index: its folded form, its French and English stems, its
prefix for a wildcard, and the deletion neighbourhood of its form (a typo within one or two edits finds
it with a few dictionary lookups; a common word of the text is never a typo of another, see `lexicon`).
A text is cut at whitespace; each piece is folded and looked up once per stream, so a text costs a few
dictionary lookups, and only the queries whose terms it met are evaluated. When several playbooks
match, the most specific wins (the one whose satisfied clause meets the most words of the text); the
others are kept as lost, to say why. Every match carries its playbook, clause, score and span.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from operator import itemgetter
from typing import Any, NamedTuple

from rapidfuzz import fuzz

from crisis.playbook.model import Detection
from crisis.triage.compile import Clause, compile_detection, compile_query, triggers
from crisis.triage.fold import fold, piece_spans
from crisis.triage.lexicon import COMMON, LANGUAGES, SHORTHANDS, common_words, stems, word_shares
from crisis.triage.query import Phrase, Term, atoms
from crisis.triage.verdicts import EXACT, STEM, TYPO, WILDCARD, Match, TermHit, Verdict, Words, said

__all__ = ["EXACT", "STEM", "STOPWORDS", "TYPO", "WILDCARD", "Match", "Matcher", "TermHit", "Verdict"]

# Words too common to say what a text is about (the service's close-text rule uses them too).
STOPWORDS = frozenset("""
a an and are as at be been by c d de des du en est et from has have is it l la le les leur leurs ma mes mon
my n ne no not of on or our ours pas qu que qui s sa se ses son sur t the their them they this to tu un une
us vos votre vous was we were what who you your ce ca cet cette ils elle elles il je j y on avec pour par
""".split())
_CACHE_LIMIT = 200_000
INFLECTIONS = frozenset({"s", "e", "es"})  # French and English plural and feminine endings
_PIECE = re.compile(r"\S+")


def _depth(token: str) -> int:
    """How many edits a word may carry and still be a typo of a term: none for short words."""
    return 0 if len(token) < 4 else 1 if len(token) < 6 else 2


def _deletions(token: str, depth: int) -> set[str]:
    """The token and every form of it with up to `depth` characters left out."""
    variants, layer = {token}, {token}
    for _ in range(depth):
        layer = {word[:i] + word[i + 1:] for word in layer for i in range(len(word))}
        variants |= layer
    return variants


class Matcher:
    """Every playbook's queries, indexed once; `classify` answers for one text at a time."""

    def __init__(self, detections: Mapping[str, Detection]) -> None:
        self.clauses: list[Clause] = []
        self.exclusions: list[Clause] = []
        for playbook_id, detect in sorted(detections.items()):
            found, excluded = compile_detection(playbook_id, detect)
            self.clauses += found
            self.exclusions += excluded
        self._units: dict[tuple[str, str], int] = {}  # (kind, folded form) → unit number; kinds: term, prefix, word
        self._unit_playbooks: list[set[str]] = []
        for clause in self.clauses + self.exclusions:
            for atom in atoms(clause.node):
                for key in _unit_keys(atom):
                    number = self._units.setdefault(key, len(self._units))
                    if number == len(self._unit_playbooks):
                        self._unit_playbooks.append(set())
                    self._unit_playbooks[number].add(clause.playbook_id)
        self._exact: dict[str, list[int]] = {}
        self._stem: dict[tuple[str, str], list[int]] = {}  # (language, stem) → term units
        self._prefix: dict[str, int] = {}
        for (kind, form), number in self._units.items():
            if kind == "prefix":
                self._prefix[form] = number
                continue
            self._exact.setdefault(form, []).append(number)
            if kind.startswith("term"):
                lang = kind.partition(":")[2]
                for stem_lang, stem in zip(LANGUAGES, stems(form)):
                    if lang in ("", stem_lang):
                        self._stem.setdefault((stem_lang, stem), []).append(number)
        self._stem_starts = frozenset(stem[:3] for _, stem in self._stem)
        self._prefix_lengths = sorted({len(p) for p in self._prefix})
        self._near: dict[str, set[str]] = {}  # deletion variant → term forms it may come from
        for form in self._exact:
            for variant in _deletions(form, _depth(form)):
                self._near.setdefault(variant, set()).add(form)
        lengths = [len(t) for t in self._exact] or [0]
        self._shortest, self._longest = min(lengths) - 2, max(lengths) + 2
        self._tokens: dict[str, tuple[tuple[int, float, str], ...]] = {}
        self._hows: dict[str, dict[int, str]] = {}
        self._chunks: dict[str, _Piece] = {}
        self._offsets: dict[str, tuple[tuple[str, int, int], ...]] = {}
        self._unit_cache: dict[Term | Phrase, tuple[int, ...]] = {}
        self._programs: list[tuple[Clause, Callable]] = []  # clauses then exclusions, each compiled against the units
        self._triggered: dict[int, list[int]] = {}  # unit → the programs it may make hold
        for clause in self.clauses + self.exclusions:
            number = len(self._programs)
            self._programs.append((clause, compile_query(clause.node, lambda atom, c=clause: self._locate(atom, c))))
            for unit in sorted({self._trigger_unit(atom) for atom in triggers(clause.node, self._trigger_cost) or ()}):
                self._triggered.setdefault(unit, []).append(number)
        self._first_exclusion = len(self.clauses)

    def _trigger_unit(self, atom: Term | Phrase) -> int:
        """The unit that announces a term, or a phrase by its rarest word."""
        if isinstance(atom, Term):
            return self.unit_of(atom)[0]
        best = min(range(len(atom.words)), key=lambda i: (_share(atom.words[i]), -len(atom.words[i])))
        return self.unit_of(atom)[best]

    def _trigger_cost(self, atom: Term | Phrase) -> float:
        """How often a text meets the term (its share of running words), or the phrase's rarest word: of two ways to
        announce a clause, the index takes the rarer ("hacked" rather than "you"). Only speed depends on it."""
        words = (atom.word,) if isinstance(atom, Term) else atom.words
        return min(map(_share, words)) * (3 if isinstance(atom, Term) and atom.prefix else 1)

    def _locate(self, atom: Term | Phrase, clause: Clause) -> int | Callable[[_Text], list[int]]:
        """Where a term (or a phrase's first word) was met in a text; a phrase's words follow each other and reach min_score."""
        units = self.unit_of(atom)
        if isinstance(atom, Term):
            return units[0]
        rest, bar = tuple(enumerate(units[1:], 1)), clause.min_score
        sizes = [len(word) for word in atom.words]
        total, spaces = sum(sizes) + len(sizes) - 1, 100.0 * (len(sizes) - 1)  # the spaces between words always match

        def phrase(text: _Text) -> list[int]:
            positions, scores = text.positions, text.scores
            found = []
            for p in positions.get(units[0], ()):
                for i, u in rest:
                    if p + i not in positions.get(u, ()):
                        break
                else:
                    if scores:  # as fuzz.ratio on the whole phrase would weigh them: a typo in a long word costs more
                        weighed = spaces
                        for i, u in enumerate(units):
                            weighed += scores.get((u, p + i), 100.0) * sizes[i]
                        if weighed / total < bar:
                            continue
                    found.append(p)
            return found
        phrase.first = units[0]
        return phrase

    @property
    def playbook_ids(self) -> list[str]:
        return sorted({clause.playbook_id for clause in self.clauses})

    def unit_of(self, atom: Term | Phrase) -> tuple[int, ...]:
        found = self._unit_cache.get(atom)
        if found is None:
            found = self._unit_cache[atom] = tuple(self._units[key] for key in _unit_keys(atom))
        return found

    def _token(self, token: str) -> tuple[tuple[int, float, str], ...]:
        """The units a folded word meets: (unit, score, how)."""
        found = self._tokens.get(token)
        if found is not None:
            return found
        hits: dict[int, tuple[float, str]] = {}
        for number in self._exact.get(token, ()):
            hits[number] = (100.0, EXACT)
        for number in self._exact.get(SHORTHANDS.get(token, ""), ()):
            hits.setdefault(number, (100.0, EXACT))
        # stemming is the dearest lookup: only for a word that starts like a term's stem (endings are all it changes)
        if token.isalpha() and len(token) >= 4 and token[:3] in self._stem_starts:
            for stem in zip(LANGUAGES, stems(token)):
                for number in self._stem.get(stem, ()):
                    hits.setdefault(number, (100.0, STEM))
        for length in self._prefix_lengths:
            if len(token) >= length and (number := self._prefix.get(token[:length])) is not None:
                hits.setdefault(number, (100.0, WILDCARD))
        if not token.isdigit() and self._shortest <= len(token) <= self._longest:
            if token in STOPWORDS or token in common_words():
                # an ordinary word is itself, never a typo of another ("valeurs" is not "voleurs"), but may be an inflection;
                # these are the inflections the deletion neighbourhood below would find, without its lookups
                forms = {form for form in _inflections(token) if form in self._exact}
            else:
                forms = set()
                # one deletion on the text's side against two on the term's: an edit, or a missing letter and an edit
                for variant in _deletions(token, min(1, _depth(token))):
                    forms.update(self._near.get(variant, ()))
                forms.discard(token)
                # people slip inside a word, rarely on its first letter ("vista" is not a typo of "insta"), but drop a mute h
                forms = {form for form in forms if form[0] == token[0] or form[1:] == token}
            for form in forms:
                score = fuzz.ratio(token, form)
                for number in self._exact[form]:
                    if number not in hits:
                        hits[number] = (score, TYPO)
        found = tuple((number, score, how) for number, (score, how) in hits.items())
        _remember(self._tokens, token, found)
        return found

    def _how(self, token: str) -> dict[int, str]:
        """Unit → how the folded word meets it (exact, stem, wildcard, typo)."""
        found = self._hows.get(token)
        if found is None:
            found = {number: how for number, _, how in self._token(token)}
            _remember(self._hows, token, found)
        return found

    def _chunk(self, chunk: str) -> _Piece:
        """A whitespace-separated piece of a text: how many folded words, (word, unit, score) for what they meet, and
        whether one of those units may make a clause hold (a text with no such piece cannot match)."""
        words = fold(chunk).split()
        found = tuple((offset, number, score) for offset, word in enumerate(words) for number, score, _ in self._token(word))
        entry = (len(words), found, any(number in self._triggered for _, number, _ in found))
        if len(chunk) < 40:
            _remember(self._chunks, chunk, entry)
        return entry

    def _pieces(self, text: str) -> list[_Piece]:
        """The pieces of `text`, each looked up once per stream (most pieces of a stream come back)."""
        chunks = text.split()
        pieces = list(map(self._chunks.get, chunks))
        if None in pieces:
            pieces = [piece or self._chunk(chunk) for piece, chunk in zip(pieces, chunks)]
        return pieces

    def met(self, text: str) -> tuple[dict[int, list[int]], dict[tuple[int, int], float]]:
        """Unit → positions of the folded words that met it, and the scores below 100 (typos) by (unit, position)."""
        return _met(self._pieces(text))

    def classify(self, text: str, *, fields: Mapping[str, Any] | Any | None = None) -> list[Verdict]:
        """The playbooks whose queries match `text` (excluded and outranked ones included, marked), the winner first.

        `fields`: the mention (or a mapping) whose platform, lang, rating, own_account and author_followers
        the field filters read; without it, a field filter does not hold.
        """
        pieces = self._pieces(text)
        if not any(map(_ALARMING, pieces)):  # most texts: their positions are never built
            return []
        positions, scores = _met(pieces)
        programs = sorted({n for unit in positions for n in self._triggered.get(unit, ())})
        ctx = _Text(positions, scores, fields)
        best: dict[str, tuple] = {}
        vetoes: dict[str, tuple] = {}
        for number in programs:
            clause, holds = self._programs[number]
            hits = holds(ctx)
            if not hits:
                continue
            if number >= self._first_exclusion:
                vetoes.setdefault(clause.playbook_id, (clause, hits))
                continue
            rank = (_specificity(hits), _score(hits, scores, self), len(clause.source))
            if clause.playbook_id not in best or rank > best[clause.playbook_id][0]:
                best[clause.playbook_id] = (rank, clause, hits)
        if not best:
            return []
        named = [hits for _, _, hits in best.values()] + [hits for _, hits in vetoes.values()]
        words = self._words(text, max(last for hits in named for _, _, last in hits))
        verdicts, winner = [], None
        for rank, clause, hits in sorted(best.values(), key=lambda f: (-f[0][0], -f[0][1], f[1].playbook_id)):
            veto = vetoes.get(clause.playbook_id)
            veto_match = self._explain(veto[0], veto[1], _score(veto[1], scores, self), scores, words, text) if veto else None
            match = self._explain(clause, hits, rank[1], scores, words, text)
            lost_to = None
            if veto is None:
                lost_to = winner.playbook_id if winner else None
                winner = winner or clause
            verdicts.append(Verdict(clause.playbook_id, match, veto_match, rank[0], lost_to))
        return sorted(verdicts, key=lambda v: (not v.matched, v.lost_to is None, -v.specificity, v.playbook_id))

    def matching(self, text: str, *, fields: Mapping[str, Any] | Any | None = None) -> list[Match]:
        """The match of the playbook `text` would open, if any (exclusions and the specificity rule applied)."""
        return [v.match for v in self.classify(text, fields=fields) if v.matched]

    def _words(self, text: str, last: int) -> Words:
        """The folded words of `text` up to position `last` (at least) with their spans in `text`, from the pieces' offsets
        (cached per piece)."""
        pieces, firsts, count = [], [], 0
        for piece in _PIECE.finditer(text):
            if count > last:
                break
            chunk = piece.group()
            found = self._offsets.get(chunk)
            if found is None:
                found = piece_spans(chunk)
                if len(chunk) < 40:
                    _remember(self._offsets, chunk, found)
            if found:
                pieces.append((piece.start(), found))
                firsts.append(count)
                count += len(found)
        return Words(pieces, firsts)

    def _explain(self, clause: Clause, hits: list, score: float, scores, words, text: str) -> Match:
        details = []
        for atom, first, last in hits:
            units = self.unit_of(atom)
            span = (words.at(first)[1], words.at(last)[2])
            quoted = text[span[0]:span[1]]
            if isinstance(atom, Phrase):
                worst = min((scores.get((u, first + i), 100.0) for i, u in enumerate(units)), default=100.0)
                details.append(TermHit(atom.source, quoted, span, EXACT if worst == 100 else TYPO, worst))
                continue
            token = words.at(first)[0]
            how = self._how(token).get(units[0], EXACT)
            stem = "/".join(dict.fromkeys(stems(token))) if how == STEM else ""
            details.append(TermHit(atom.source, quoted, span, how, scores.get((units[0], first), 100.0), stem))
        start = min((d.span[0] for d in details), default=0)
        end = max((d.span[1] for d in details), default=0)
        return Match(clause.playbook_id, clause.source, clause.lang, score, (start, end), text[start:end], tuple(details), clause.label,
                     said(text, [d.span for d in details]))


_Piece = tuple[int, tuple[tuple[int, int, float], ...], bool]
_ALARMING = itemgetter(2)


def _met(pieces: list[_Piece]) -> tuple[dict[int, list[int]], dict[tuple[int, int], float]]:
    """See `Matcher.met`."""
    positions: dict[int, list[int]] = {}
    scores: dict[tuple[int, int], float] = {}
    position = 0
    for count, found, _ in pieces:
        for offset, number, score in found:
            positions.setdefault(number, []).append(position + offset)
            if score < 100:
                scores[number, position + offset] = score
        position += count
    return positions, scores


class _Text(NamedTuple):
    """One text as the compiled clauses read it: unit → word positions, typo scores, the mention's fields."""

    positions: dict[int, list[int]]
    scores: dict[tuple[int, int], float]
    fields: Mapping[str, Any] | Any | None  # a mapping, or an object with the fields as attributes (a Mention)


def _share(word: str) -> float:
    """How often people write `word`: its share of the running words, at least that of the rarest common word; a little
    word (of fewer than 3 letters, or a stopword) counts as the most frequent, whatever its spelling."""
    if len(word) < 3 or word in STOPWORDS:
        return 1.0
    return max(word_shares().get(word, 0.0), COMMON)


def _unit_keys(atom: Term | Phrase) -> tuple[tuple[str, str], ...]:
    if isinstance(atom, Term):
        return (("prefix" if atom.prefix else f"term:{atom.lang}", atom.word),)
    return tuple(("word", word) for word in atom.words)


def _specificity(hits: list) -> int:
    """How many of the clause's terms and phrases the text meets: the stated rule between two matching playbooks
    (a cause NEAR a boycott, two terms, is more specific than "shame on you", one phrase)."""
    return len({atom for atom, _, _ in hits})


def _score(hits: list, scores, matcher: Matcher) -> float:
    """The clause's score: its worst word (100 unless a typo was tolerated)."""
    if not scores:
        return 100.0
    worst = 100.0
    for atom, first, last in hits:
        for i, unit in enumerate(matcher.unit_of(atom)):
            worst = min(worst, scores.get((unit, first + i), 100.0))
    return worst


def _inflections(word: str) -> tuple[str, ...]:
    """The words that differ from `word` by a plural or feminine ending only ("mentale" and "mental", "scams" and
    "scam"), within the edits the deletion neighbourhood reaches (it never finds a term two letters shorter than the word)."""
    longer = tuple(word + ending for ending in INFLECTIONS) if len(word) >= 4 else ()
    shorter = word[:-1] if len(word) >= 5 and word[-1:] in INFLECTIONS else None
    return longer + ((shorter,) if shorter else ())


def _remember(cache: dict, key: str, value) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
