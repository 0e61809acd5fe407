"""A playbook's detection cut into labelled clauses; each clause compiled into a plain function of one text, and the
terms that announce it.

The matcher (`match`) evaluates a clause only when one of its trigger terms was met, then runs the
compiled clause: ORs of plain terms are a single set intersection, NEARs pair the places their sides hold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from typing import Any

from crisis.errors import ContentError
from crisis.playbook.model import Detection
from crisis.triage.fold import fold
from crisis.triage.query import (All, Any_, Field, Hit, Near, Node, Not, Phrase, QueryError, Term, clauses, in_language, parse_query,
                                 place, positional, positive_atoms)

LABEL_LIMIT = 60


@dataclass(frozen=True)
class Clause:
    """One alternative of a playbook's detection. `label` names it shortly and stably where it is stored and told:
    "query.fr#2" (the second top-level alternative of the French query), or the phrase itself."""

    playbook_id: str
    lang: str
    node: Node
    source: str
    min_score: int
    label: str = ""


def compile_detection(playbook_id: str, detect: Detection) -> tuple[list[Clause], list[Clause]]:
    """A playbook's clauses (its queries' top-level alternatives, then its phrases) and its exclusions.

    Raises ContentError at the query's file:line:column when a query does not parse.
    """
    found: list[Clause] = []
    for lang, query in sorted(detect.queries.items()):
        try:
            node = in_language(parse_query(query.text), lang)
        except QueryError as exc:
            raise place(exc, path=detect.path or playbook_id, where=f"detect.query.{lang}", line=query.line,
                        column=query.column, block=query.block) from None
        for number, clause in enumerate(clauses(node), 1):
            if not positive_atoms(clause):
                raise ContentError(f"{detect.path or playbook_id}:{query.line}:{query.column}: detect.query.{lang}: the clause "
                                   f"{clause.source!r} names no word to look for", hint="a field or a NOT narrows a search; add terms")
            found.append(Clause(playbook_id, lang, clause, clause.source, detect.min_score, f"query.{lang}#{number}"))
    excluded: list[Clause] = []
    for table, into in ((detect.phrases, found), (detect.exclude, excluded)):
        for lang, texts in sorted(table.items()):
            for text in texts:
                if words := tuple(fold(text).split()):
                    label = text if len(text) <= LABEL_LIMIT else text[:LABEL_LIMIT - 1] + "…"
                    into.append(Clause(playbook_id, lang, Phrase(words, text), text, detect.min_score, label))
    return found, excluded


def triggers(node: Node, cost: Callable[[Term | Phrase], float] = lambda atom: 1.0) -> list[Term | Phrase] | None:
    """Terms of which at least one must be met for `node` to hold, or None when it may hold with none (a NOT, a
    field): the index evaluates a clause only when a trigger is met, so of two ways it picks the cheaper (`cost`:
    how often a term is met, e.g. high for a common word)."""
    if isinstance(node, (Term, Phrase)):
        return [node]
    if isinstance(node, Near):
        found = [t for t in (triggers(node.left, cost), triggers(node.right, cost)) if t is not None]
    elif isinstance(node, Any_):
        found = [triggers(child, cost) for child in node.children]
        return None if any(t is None for t in found) else [a for t in found for a in t]
    elif isinstance(node, All):
        found = [t for t in (triggers(child, cost) for child in node.children) if t is not None]
    else:
        return None
    return min(found, key=lambda atoms: sum(map(cost, atoms)), default=None)


Locate = Callable[[Term | Phrase], Any]  # a term → its unit in ctx.positions; a phrase → ctx → the positions of its first word


def compile_query(node: Node, locate: Locate) -> Callable[[Any], list[Hit] | None]:
    """`node` as a function of one text: the terms that make it hold and where (maybe none, under a NOT), or None.

    `locate(term)` gives the key of `ctx.positions` (unit → word positions) where the term's meetings are;
    `locate(phrase)` a function of `ctx` giving the positions where the whole phrase starts (its attribute
    `first`, if any, is the key of `ctx.positions` the phrase cannot start without).
    """
    if positional(node):
        spans = _compile_spans(node, locate)

        def holds(ctx):
            # the tightest place, then the leftmost: the words named never depend on how the units happen to be numbered
            found = spans(ctx)
            return list(min(found, key=lambda at: (at[1] - at[0], at[0]))[2]) if found else None
        return holds
    if isinstance(node, Field):
        return lambda ctx: [] if node.holds(ctx.fields) else None
    if isinstance(node, Not):
        inner = compile_query(node.child, locate)
        return lambda ctx: [] if inner(ctx) is None else None
    parts = [compile_query(child, locate) for child in node.children]
    if isinstance(node, Any_):
        def any_holds(ctx):
            for part in parts:
                if (found := part(ctx)) is not None:
                    return found
            return None
        return any_holds

    def all_hold(ctx):
        hits: list[Hit] = []
        for part in parts:
            found = part(ctx)
            if found is None:
                return None
            hits.extend(found)
        return hits
    return all_hold


def _compile_spans(node: Node, locate: Locate) -> Callable[[Any], list[tuple[int, int, tuple[Hit, ...]]]]:
    """Every place a positional node holds in a text: (first word, last word, the terms met there)."""
    if isinstance(node, (Term, Phrase)):
        return _compile_spans(Any_((node,), node.source), locate)
    if isinstance(node, Any_):
        # the plain terms of an OR are looked up together: one set intersection instead of a call per term
        terms: dict[int, Term] = {}
        phrases: dict[int | None, list] = {}  # a phrase's first word's unit (None: not known) → the phrases it starts
        others = []
        for child in node.children:
            if isinstance(child, Term):
                terms.setdefault(locate(child), child)
            elif isinstance(child, Phrase):
                at = locate(child)
                phrases.setdefault(getattr(at, "first", None), []).append((child, at, len(child.words) - 1))
            else:
                others.append(_compile_spans(child, locate))
        wanted, firsts, anywhere = frozenset(terms), frozenset(phrases) - {None}, phrases.get(None, [])

        def any_spans(ctx):
            found = []
            positions = ctx.positions
            for unit in wanted.intersection(positions):
                term = terms[unit]
                found.extend((p, p, ((term, p, p),)) for p in positions[unit])
            # only the phrases whose first word the text met: an OR of thirty phrases costs one set intersection
            for phrase, at, last in chain(*map(phrases.__getitem__, firsts.intersection(positions)), anywhere):
                found.extend((p, p + last, ((phrase, p, p + last),)) for p in at(ctx))
            for part in others:
                found.extend(part(ctx))
            return found
        return any_spans
    assert isinstance(node, Near)
    left_of, right_of, distance, ordered = _compile_spans(node.left, locate), _compile_spans(node.right, locate), node.distance, node.ordered

    def near(ctx):
        left = left_of(ctx)
        right = right_of(ctx) if left else ()
        found = []
        for a_start, a_end, a_hits in left:
            for b_start, b_end, b_hits in right:
                if b_start > a_end:
                    close = b_start - a_end - 1 <= distance
                else:
                    close = not ordered and a_start > b_end and a_start - b_end - 1 <= distance
                if close:
                    found.append((min(a_start, b_start), max(a_end, b_end), a_hits + b_hits))
        return found
    return near
