"""Folding: the form of a text that matching compares, with the way back to the original characters.

Folding removes what people vary without meaning anything different: case, accents, letters
held for emphasis ("scandaaaale"), light leetspeak inside words ("h4ck3d", "$cam"), punctuation
and spacing. `fold` is the fast form used on every mention; `fold_with_offsets` gives the same
string plus, for each folded character, where it came from, to show the span of a match.
"""

from __future__ import annotations

import re
import unicodedata

# Digits and signs people put in place of letters; applied only inside a word that has letters,
# so "50 mentions" and "4 stars" keep their numbers.
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
_LEET_TABLE = str.maketrans(_LEET)
_WORD = re.compile(r"[^\W_]+(?:[@$!]+[^\W_]+)*|\$[^\W_]+")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_HAS_LEET = re.compile(r"[013457@$!]")
_ELONGATED = re.compile(r"([^\W\d_])\1{2,}")  # a letter three times or more: emphasis, not spelling


# Combining marks of the Latin, Greek and Cyrillic scripts (the accents of fr and en, and then some);
# any other mark is not a word character, so it separates words the same way on every pass.
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def _base(text: str) -> str:
    """Case and accents away: casefold, decompose, drop the combining marks."""
    if text.isascii():
        return text.lower()
    return _MARKS.sub("", unicodedata.normalize("NFKD", text.casefold())).casefold()


def _unleet(word: str) -> str:
    if _HAS_LEET.search(word) and _HAS_LETTER.search(word):
        return word.translate(_LEET_TABLE)
    return word


def fold(text: str) -> str:
    """The folded text: lower case, no accents, no emphasis, no leetspeak, words separated by one space.

    >>> fold("SCANDAAAALE !!! Vous avez été h4ck3s ?")
    'scandale vous avez ete hackes'
    """
    if text.isalpha() and text.isascii():  # one plain word, the commonest piece of a text: only case and held letters
        return _ELONGATED.sub(r"\1", text.lower())
    base = _base(text)
    words = _WORD.findall(base)
    if _HAS_LEET.search(base):
        words = [word if word.isalpha() or word.isdigit() else _unleet(word) for word in words]
    # after leetspeak, so "o0o" is held too; a run never spans two words, which one space separates
    return _ELONGATED.sub(r"\1", " ".join(words))


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """`fold(text)` and, for each of its characters, the index in `text` it comes from.

    Slower than `fold`: used only to explain a match, never on the whole stream.
    """
    pieces: list[tuple[str, int]] = []  # (base character, original index)
    for index, ch in enumerate(text):
        for out in _base(ch):
            pieces.append((out, index))
    base = "".join(p for p, _ in pieces)
    folded: list[str] = []
    origin: list[int] = []
    for m in _WORD.finditer(base):
        word = _unleet(m.group())
        # collapse runs of three or more, keeping the index of the first of each run
        kept = [i for i in range(len(word))
                if not (i >= 1 and word[i] == word[i - 1] and _HAS_LETTER.match(word[i]) and _run_len(word, i) >= 3)]
        if not kept:
            continue
        if folded:
            folded.append(" ")
            origin.append(pieces[m.start()][1])
        for i in kept:
            folded.append(word[i])
            origin.append(pieces[m.start() + i][1])
    result = "".join(folded)
    if result != fold(text):  # per-character folding differs from whole-text folding (rare ligatures): stay correct
        return fold(text), _spread(len(fold(text)), len(text))
    return result, origin


def _run_len(word: str, i: int) -> int:
    start = i
    while start > 0 and word[start - 1] == word[i]:
        start -= 1
    end = i
    while end + 1 < len(word) and word[end + 1] == word[i]:
        end += 1
    return end - start + 1


def _spread(folded_len: int, text_len: int) -> list[int]:
    return [min(text_len - 1, i * text_len // max(folded_len, 1)) for i in range(folded_len)]


def original_span(origin: list[int], text: str, start: int, end: int) -> tuple[int, int]:
    """The span of `text` that the folded characters [start, end) come from."""
    if not origin or start >= end:
        return (0, 0)
    first, last = origin[start], origin[end - 1]
    while last + 1 < len(text) and (text[last + 1].isalnum() or unicodedata.combining(text[last + 1])):
        last += 1  # finish the word: a held letter or a trailing accent belongs to it
    return first, last + 1


def piece_spans(piece: str) -> tuple[tuple[str, int, int], ...]:
    """Each folded word of a whitespace-free piece of text and where it comes from in it: (word, start, end);
    the whole piece when folding cannot say (`fold` of the span always holds the word)."""
    folded, origin = fold_with_offsets(piece)
    spans, position = [], 0
    for word in folded.split(" ") if folded else ():
        start, end = original_span(origin, piece, position, position + len(word))
        if word not in fold(piece[start:end]).split():
            start, end = 0, len(piece)
        spans.append((word, start, end))
        position += len(word) + 1
    return tuple(spans)
