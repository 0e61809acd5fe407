"""What a match says, and where: the playbook's verdict on a text, its clause's match, term by term, with the spans
of the original text the words were met at. Pure: stdlib only; `crisis.triage.match` writes them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

EXACT, STEM, WILDCARD, TYPO = "exact", "stem", "wildcard", "typo"  # how a term met a word
_NO_WORD = re.compile(r"[\W_]*")


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
    """Why a text matches: which clause (its text `phrase`, its short `clause` label), how closely (0-100), where in
    the text, and term by term."""

    playbook_id: str
    phrase: str
    lang: str
    score: float
    span: tuple[int, int]
    excerpt: str
    hits: tuple[TermHit, ...] = ()
    clause: str = ""
    words: str = ""  # the words of the text the clause met, in their order, "…" where others lie between: "compte … piraté"

    def as_dict(self) -> dict:
        return {"playbook": self.playbook_id, "phrase": self.phrase, "clause": self.clause, "lang": self.lang,
                "score": round(self.score, 1), "span": list(self.span), "excerpt": self.excerpt,
                "terms": [h.as_dict() for h in self.hits]}


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


class Words:
    """The folded words of one text, by position: (word, start, end in the text), looked up only for the words a match names."""

    __slots__ = ("pieces", "firsts")

    def __init__(self, pieces: list[tuple[int, tuple[tuple[str, int, int], ...]]], firsts: list[int]) -> None:
        self.pieces, self.firsts = pieces, firsts

    def at(self, position: int) -> tuple[str, int, int]:
        i = bisect_right(self.firsts, position) - 1
        start, found = self.pieces[i]
        word, s, e = found[position - self.firsts[i]]
        return word, start + s, start + e


def said(text: str, spans: list[tuple[int, int]]) -> str:
    """The words at `spans` of `text`, in their order, joined as written, or by "…" where other words lie between."""
    joined, end = "", -1
    for start, stop in sorted(spans):
        if stop <= end:
            continue
        if end < 0:
            joined = text[start:stop]
        elif start <= end:
            joined += text[end:stop]
        else:
            joined += (text[end:start] if _NO_WORD.fullmatch(text[end:start]) else " … ") + text[start:stop]
        end = stop
    return " ".join(joined.split())
