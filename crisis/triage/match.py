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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from crisis.errors import ContentError
from crisis.playbook.model import Detection
from crisis.triage.fold import fold, fold_with_offsets, original_span
from crisis.triage.lexicon import common_words, stems
from crisis.triage.query import Node, Phrase, QueryError, Term, clauses, evaluate, parse_query, place, positive_atoms, atoms

# Words too common to say what a text is about (the service's close-text rule uses them too).
STOPWORDS = frozenset("""
a an and are as at be been by c d de des du en est et from has have is it l la le les leur leurs ma mes mon
my n ne no not of on or our ours pas qu que qui s sa se ses son sur t the their them they this to tu un une
us vos votre vous was we were what who you your ce ca cet cette ils elle elles il je j y on avec pour par
""".split())
_CACHE_LIMIT = 200_000
INFLECTIONS = frozenset({"s", "e", "es"})  # French and English plural and feminine endings
_PIECE = re.compile(r"\S+")
EXACT, STEM, WILDCARD, TYPO = "exact", "stem", "wildcard", "typo"


@dataclass(frozen=True)
class TermHit:
    """One term of the clause and the words of the text it met: how (exact, stem, wildcard, typo), the stem, the score."""

    term: str
    words: str
    span: tuple[int, int]
    how: str
    score: float
    stem: str = ""

    def as_dict(self) -> dict:
        return {"term": self.term, "words": self.words, "span": list(self.span), "how": self.how, "score": round(self.score, 1),
                **({"stem": self.stem} if self.stem else {})}


@dataclass(frozen=True)
class Match:
    """Why a text matches: which clause (`phrase`), how closely (0-100), where in the text, and term by term."""

    playbook_id: str
    phrase: str
    lang: str
    score: float
    span: tuple[int, int]
    excerpt: str
    hits: tuple[TermHit, ...] = ()

    def as_dict(self) -> dict:
        return {"playbook": self.playbook_id, "phrase": self.phrase, "lang": self.lang, "score": round(self.score, 1),
                "span": list(self.span), "excerpt": self.excerpt, "terms": [h.as_dict() for h in self.hits]}


@dataclass(frozen=True)
class Verdict:
    """A playbook's answer for one text: its best clause, what cancels it (an exclusion, or a more specific playbook)."""

    playbook_id: str
    match: Match
    excluded_by: Match | None = None
    specificity: int = 0
    lost_to: str | None = None

    @property
    def matched(self) -> bool:
        return self.excluded_by is None and self.lost_to is None

    def as_dict(self) -> dict:
        return {"playbook": self.playbook_id, "matched": self.matched, "match": self.match.as_dict(), "specificity": self.specificity,
                "excluded_by": self.excluded_by.as_dict() if self.excluded_by else None, "lost_to": self.lost_to}


@dataclass(frozen=True)
class Clause:
    playbook_id: str
    lang: str
    node: Node
    source: str
    min_score: int


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


def compile_detection(playbook_id: str, detect: Detection) -> tuple[list[Clause], list[Clause]]:
    """A playbook's clauses (its queries' top-level alternatives, then its phrases) and its exclusions.

    Raises ContentError at the query's file:line:column when a query does not parse.
    """
    found: list[Clause] = []
    for lang, query in sorted(detect.queries.items()):
        try:
            node = parse_query(query.text)
        except QueryError as exc:
            raise place(exc, path=detect.path or playbook_id, where=f"detect.query.{lang}", line=query.line,
                        column=query.column, block=query.block) from None
        for clause in clauses(node):
            if not positive_atoms(clause):
                raise ContentError(f"{detect.path or playbook_id}:{query.line}:{query.column}: detect.query.{lang}: the clause "
                                   f"{clause.source!r} names no word to look for", hint="a field or a NOT narrows a search; add terms")
            found.append(Clause(playbook_id, lang, clause, clause.source, detect.min_score))
    excluded = []
    for table, into in ((detect.phrases, found), (detect.exclude, excluded)):
        for lang, texts in sorted(table.items()):
            for text in texts:
                if words := tuple(fold(text).split()):
                    into.append(Clause(playbook_id, lang, Phrase(words, text), text, detect.min_score))
    return found, excluded


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
        self._stem: dict[str, list[int]] = {}
        self._prefix: dict[str, int] = {}
        for (kind, form), number in self._units.items():
            if kind == "prefix":
                self._prefix[form] = number
                continue
            self._exact.setdefault(form, []).append(number)
            if kind == "term":
                for stem in set(stems(form)):
                    self._stem.setdefault(stem, []).append(number)
        self._prefix_lengths = sorted({len(p) for p in self._prefix})
        self._near: dict[str, set[str]] = {}  # deletion variant → term forms it may come from
        for form in self._exact:
            for variant in _deletions(form, _depth(form)):
                self._near.setdefault(variant, set()).add(form)
        lengths = [len(t) for t in self._exact] or [0]
        self._shortest, self._longest = min(lengths) - 2, max(lengths) + 2
        self._tokens: dict[str, tuple[tuple[int, float, str], ...]] = {}
        self._chunks: dict[str, tuple[int, tuple[tuple[int, int, float], ...]]] = {}
        self._offsets: dict[str, tuple[tuple[int, int], ...]] = {}
        self._by_playbook: dict[str, list[Clause]] = {}
        for clause in self.clauses:
            self._by_playbook.setdefault(clause.playbook_id, []).append(clause)

    @property
    def playbook_ids(self) -> list[str]:
        return sorted(self._by_playbook)

    def unit_of(self, atom: Term | Phrase) -> tuple[int, ...]:
        return tuple(self._units[key] for key in _unit_keys(atom))

    def _token(self, token: str) -> tuple[tuple[int, float, str], ...]:
        """The units a folded word meets: (unit, score, how)."""
        found = self._tokens.get(token)
        if found is not None:
            return found
        hits: dict[int, tuple[float, str]] = {}
        for number in self._exact.get(token, ()):
            hits[number] = (100.0, EXACT)
        if token.isalpha() and len(token) >= 4:
            for stem in set(stems(token)):
                for number in self._stem.get(stem, ()):
                    hits.setdefault(number, (100.0, STEM))
        for length in self._prefix_lengths:
            if len(token) >= length and (number := self._prefix.get(token[:length])) is not None:
                hits.setdefault(number, (100.0, WILDCARD))
        if not token.isdigit() and self._shortest <= len(token) <= self._longest:
            forms: set[str] = set()
            # one deletion on the text's side against two on the term's: an edit, or a missing letter and an edit
            for variant in _deletions(token, min(1, _depth(token))):
                forms.update(self._near.get(variant, ()))
            forms.discard(token)
            if forms and (token in STOPWORDS or token in common_words()):
                # an ordinary word is itself, never a typo of another ("valeurs" is not "voleurs"), but may be an inflection
                forms = {form for form in forms if _inflected(token, form)}
            for form in forms:
                score = fuzz.ratio(token, form)
                for number in self._exact[form]:
                    if number not in hits:
                        hits[number] = (score, TYPO)
        found = tuple((number, score, how) for number, (score, how) in hits.items())
        _remember(self._tokens, token, found)
        return found

    def _chunk(self, chunk: str) -> tuple[int, tuple[tuple[int, int, float], ...]]:
        """A whitespace-separated piece of a text: how many folded words, and (word, unit, score) for what they meet."""
        words = fold(chunk).split()
        entry = (len(words), tuple((offset, number, score) for offset, word in enumerate(words) for number, score, _ in self._token(word)))
        if len(chunk) < 40:
            _remember(self._chunks, chunk, entry)
        return entry

    def met(self, text: str) -> tuple[dict[int, list[int]], dict[tuple[int, int], float]]:
        """Unit → positions of the folded words that met it, and the scores below 100 (typos) by (unit, position)."""
        positions: dict[int, list[int]] = {}
        scores: dict[tuple[int, int], float] = {}
        chunks, position = self._chunks, 0
        for chunk in text.split():
            count, found = chunks.get(chunk) or self._chunk(chunk)
            for offset, number, score in found:
                positions.setdefault(number, []).append(position + offset)
                if score < 100:
                    scores[number, position + offset] = score
            position += count
        return positions, scores

    def classify(self, text: str, *, fields: Mapping[str, Any] | Any | None = None) -> list[Verdict]:
        """The playbooks whose queries match `text` (excluded and outranked ones included, marked), the winner first.

        `fields`: the mention (or a mapping) whose platform, lang, rating, own_account and author_followers
        the field filters read; without it, a field filter does not hold.
        """
        positions, scores = self.met(text)
        if not positions:
            return []
        touched = set().union(*(self._unit_playbooks[n] for n in positions))
        values = _fields(fields)
        found: list[tuple[tuple, Clause, list]] = []
        for playbook_id in sorted(touched):
            best = None
            for clause in self._by_playbook.get(playbook_id, ()):
                hits = evaluate(clause.node, _Met(self, clause, positions, scores), values)
                if hits:
                    rank = (_specificity(hits), _score(hits, scores, self), len(clause.source))
                    if best is None or rank > best[0]:
                        best = (rank, clause, hits)
            if best is not None:
                found.append(best)
        if not found:
            return []
        words = self._words(text)
        verdicts = []
        found.sort(key=lambda f: (-f[0][0], -f[0][1], f[1].playbook_id))
        winner = None
        for rank, clause, hits in found:
            veto = self._excluded(clause.playbook_id, positions, scores, values, words, text)
            verdict = Verdict(clause.playbook_id, self._explain(clause, hits, rank[1], scores, words, text), veto, rank[0])
            if verdict.excluded_by is None:
                if winner is None:
                    winner = verdict
                else:
                    verdict = Verdict(verdict.playbook_id, verdict.match, None, rank[0], winner.playbook_id)
            verdicts.append(verdict)
        return sorted(verdicts, key=lambda v: (not v.matched, v.lost_to is None, -v.specificity, v.playbook_id))

    def matching(self, text: str, *, fields: Mapping[str, Any] | Any | None = None) -> list[Match]:
        """The match of the playbook `text` would open, if any (exclusions and the specificity rule applied)."""
        return [v.match for v in self.classify(text, fields=fields) if v.matched]

    def _excluded(self, playbook_id, positions, scores, values, words, text) -> Match | None:
        for clause in self.exclusions:
            if clause.playbook_id == playbook_id and (hits := evaluate(clause.node, _Met(self, clause, positions, scores), values)):
                return self._explain(clause, hits, _score(hits, scores, self), scores, words, text)
        return None

    def _words(self, text: str) -> list[tuple[str, int, int]]:
        """Each folded word of `text` with its span in `text`: the pieces' offsets, cached per piece."""
        words = []
        for piece in _PIECE.finditer(text):
            chunk, start = piece.group(), piece.start()
            spans = self._offsets.get(chunk)
            if spans is None:
                spans = _piece_spans(chunk)
                if len(chunk) < 40:
                    _remember(self._offsets, chunk, spans)
            folded = fold(chunk).split() if spans else ()
            words.extend((word, start + s, start + e) for word, (s, e) in zip(folded, spans))
        return words

    def _explain(self, clause: Clause, hits: list, score: float, scores, words, text: str) -> Match:
        details = []
        for atom, first, last in hits:
            units = self.unit_of(atom)
            span = (words[first][1], words[last][2]) if last < len(words) else (0, 0)
            said = text[span[0]:span[1]]
            if isinstance(atom, Phrase):
                worst = min((scores.get((u, first + i), 100.0) for i, u in enumerate(units)), default=100.0)
                details.append(TermHit(atom.source, said, span, EXACT if worst == 100 else TYPO, worst))
                continue
            token = words[first][0] if first < len(words) else ""
            how = next((h for n, _, h in self._token(token) if n in units), EXACT)
            stem = "/".join(dict.fromkeys(stems(token))) if how == STEM else ""
            details.append(TermHit(atom.source, said, span, how, scores.get((units[0], first), 100.0), stem))
        start = min((d.span[0] for d in details), default=0)
        end = max((d.span[1] for d in details), default=0)
        return Match(clause.playbook_id, clause.source, clause.lang, score, (start, end), text[start:end], tuple(details))


class _Met:
    """The positions where a query's term (or a phrase's first word) was met in one text; phrases meet their min_score."""

    __slots__ = ("matcher", "clause", "positions", "scores")

    def __init__(self, matcher: Matcher, clause: Clause, positions, scores) -> None:
        self.matcher, self.clause, self.positions, self.scores = matcher, clause, positions, scores

    def __call__(self, atom: Term | Phrase) -> list[int]:
        units = self.matcher.unit_of(atom)
        if isinstance(atom, Term):
            return self.positions.get(units[0], [])
        starts = self.positions.get(units[0], [])
        found = []
        for p in starts:
            if all(p + i in self.positions.get(u, ()) for i, u in enumerate(units[1:], 1)):
                worst = sum(self.scores.get((u, p + i), 100.0) for i, u in enumerate(units)) / len(units)
                if worst >= self.clause.min_score:
                    found.append(p)
        return found


def _unit_keys(atom: Term | Phrase) -> tuple[tuple[str, str], ...]:
    if isinstance(atom, Term):
        return (("prefix" if atom.prefix else "term", atom.word),)
    return tuple(("word", word) for word in atom.words)


def _specificity(hits: list) -> int:
    """How many words of the text the clause accounts for: the stated rule between two matching playbooks."""
    return len({(first + i) for atom, first, last in hits for i in range(last - first + 1)})


def _score(hits: list, scores, matcher: Matcher) -> float:
    worst = 100.0
    for atom, first, last in hits:
        for i, unit in enumerate(matcher.unit_of(atom)):
            worst = min(worst, scores.get((unit, first + i), 100.0))
    return worst


def _fields(fields: Mapping[str, Any] | Any | None) -> Mapping[str, Any] | None:
    if fields is None or isinstance(fields, Mapping):
        return fields
    return {name: getattr(fields, name, None) for name in ("platform", "lang", "rating", "own_account", "author_followers")}


def _piece_spans(chunk: str) -> tuple[tuple[int, int], ...]:
    """Where each folded word of a whitespace-free piece comes from in it; the whole piece when folding cannot say."""
    folded, origin = fold_with_offsets(chunk)
    spans, position = [], 0
    for word in folded.split(" ") if folded else ():
        span = original_span(origin, chunk, position, position + len(word))
        if word not in fold(chunk[span[0]:span[1]]).split():
            span = (0, len(chunk))
        spans.append(span)
        position += len(word) + 1
    return tuple(spans)


def _inflected(word: str, key: str) -> bool:
    """Whether two words differ by a plural or feminine ending only ("mentale" and "mental", "scams" and "scam")."""
    short, long = sorted((word, key), key=len)
    return len(short) >= 4 and long.startswith(short) and long[len(short):] in INFLECTIONS


def _remember(cache: dict, key: str, value) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
