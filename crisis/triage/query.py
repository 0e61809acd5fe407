"""Listening queries, as comms teams write them in Brandwatch or Talkwalker: the grammar, the tree, its evaluation.

`(compte OR account) NEAR/4 (pirat* OR hack*) AND NOT "life hack"`: terms and "exact phrases", AND (or
juxtaposition), OR, NOT, parentheses, NEAR/n (either order) and NEAR/nf (in order), a trailing wildcard,
and the fields of a listening export (platform:, lang:, rating:<=2, own_account:true, author_followers:>=10000).
Pure: which words of a text a term meets is the matcher's business (`match`); here a text is the word
positions each term was met at.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from crisis.errors import ContentError
from crisis.triage.fold import fold

GRAMMAR = r"""
?start: or_
?or_: and_ (_OR and_)*
?and_: not_ (_AND? not_)*
?not_: _NOT not_ -> negation
     | near
?near: atom (NEAR atom)*
?atom: PHRASE -> phrase
     | FIELD -> field
     | WORD -> term
     | "(" or_ ")"
_OR.3: /OR(?![^\s()"])/
_AND.3: /AND(?![^\s()"])/
_NOT.3: /NOT(?![^\s()"])/
NEAR.3: /NEAR\/[0-9]+f?(?![^\s()"])/
FIELD.2: /[a-z_]+:(<=|>=|<|>)?[^\s()"]+/
PHRASE: /"[^"]*"/
WORD: /[^\s()"]+/
%ignore /\s+/
"""
_PARSER = Lark(GRAMMAR, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=False)
_READABLE = {"WORD": "a term", "PHRASE": 'an "exact phrase"', "FIELD": "a field filter (lang:fr)", "LPAR": "(", "RPAR": ")",
             "_OR": "OR", "_AND": "AND", "_NOT": "NOT", "NEAR": "NEAR/n", "$END": "the end of the query"}
FIELDS: dict[str, tuple[str, ...]] = {  # field → the comparisons it takes
    "platform": ("=",), "lang": ("=",), "own_account": ("=",), "rating": ("=", "<", "<=", ">", ">="),
    "author_followers": ("=", "<", "<=", ">", ">="),
}


@dataclass(frozen=True)
class Term:
    """A word (folded), matched with its stems and typos; `prefix`: a trailing wildcard, any word starting so."""

    word: str
    source: str
    prefix: bool = False
    lang: str = ""  # the query's language: its stems are that language's ("hacker" is French "hack", English "hacker")


@dataclass(frozen=True)
class Phrase:
    """Words in this order, next to each other (typos tolerated, no stems)."""

    words: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Field:
    name: str
    op: str
    value: Any
    source: str

    def holds(self, fields: Mapping[str, Any] | Any | None) -> bool:
        """Whether the mention's field (in a mapping, or an attribute of the mention) passes the filter."""
        actual = fields.get(self.name) if isinstance(fields, Mapping) else getattr(fields, self.name, None)
        if actual is None:
            return False
        if isinstance(self.value, int) and not isinstance(self.value, bool):
            try:
                actual = int(actual)
            except (TypeError, ValueError):
                return False
        elif isinstance(actual, str):
            actual = actual.lower()
        return {"=": actual == self.value, "<": actual < self.value, "<=": actual <= self.value,
                ">": actual > self.value, ">=": actual >= self.value}[self.op]


@dataclass(frozen=True)
class Not:
    child: Node
    source: str


@dataclass(frozen=True)
class All:
    children: tuple[Node, ...]
    source: str


@dataclass(frozen=True)
class Any_:
    children: tuple[Node, ...]
    source: str


@dataclass(frozen=True)
class Near:
    left: Node
    right: Node
    distance: int
    ordered: bool
    source: str


Node = Term | Phrase | Field | Not | All | Any_ | Near
Hit = tuple[Term | Phrase, int, int]  # the query's term, first and last word position it met


def positional(node: Node) -> bool:
    """Whether the node holds at places of the text (words, phrases, NEARs and ORs of them), not just overall."""
    if isinstance(node, Any_):
        return all(positional(child) for child in node.children)
    return isinstance(node, (Term, Phrase, Near))


class QueryError(ValueError):
    """A query that does not parse or cannot work, at its line and column (1-based) inside the query text."""

    def __init__(self, line: int, column: int, problem: str) -> None:
        super().__init__(problem)
        self.line, self.column, self.problem = line, column, problem


@v_args(meta=True)
class _Build(Transformer):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def _source(self, meta) -> str:
        return " ".join(self.text[meta.start_pos:meta.end_pos].split())

    def term(self, meta, children):
        token: Token = children[0]
        raw, prefix = str(token), str(token).endswith("*")
        words = fold(raw.rstrip("*")).split()
        if not words:
            raise QueryError(token.line, token.column, f"the term {raw!r} has no letter or digit to match")
        if "*" in raw.rstrip("*") or (prefix and len(words[-1]) < 3):
            raise QueryError(token.line, token.column, f"{raw!r}: a wildcard ends a term of at least 3 letters (pirat*)")
        if len(words) > 1:  # "e-mail" folds to two words: they must follow each other
            return Phrase(tuple(words), raw) if not prefix else QueryError(token.line, token.column, f"{raw!r}: a wildcard ends one word")
        return Term(words[0], raw, prefix)

    def phrase(self, meta, children):
        token: Token = children[0]
        words = tuple(fold(str(token)[1:-1]).split())
        if not words:
            raise QueryError(token.line, token.column, f"the phrase {token!s} has no letter or digit to match")
        return Phrase(words, str(token))

    def field(self, meta, children):
        token: Token = children[0]
        name, _, rest = str(token).partition(":")
        op = next((o for o in ("<=", ">=", "<", ">") if rest.startswith(o)), "=")
        raw = rest[len(op) if op != "=" else 0:]
        if name not in FIELDS:
            raise QueryError(token.line, token.column, f"unknown field {name!r}: expected one of {', '.join(FIELDS)}")
        if op not in FIELDS[name]:
            raise QueryError(token.line, token.column, f"{name} compares only with =")
        value: Any = raw.lower()
        if name == "own_account":
            if value not in ("true", "false"):
                raise QueryError(token.line, token.column, f"own_account takes true or false, not {raw!r}")
            value = value == "true"
        elif name in ("rating", "author_followers"):
            if not raw.isdigit():
                raise QueryError(token.line, token.column, f"{name} takes a whole number, not {raw!r}")
            value = int(raw)
        return Field(name, op, value, str(token))

    def negation(self, meta, children):
        return Not(children[0], self._source(meta))

    def and_(self, meta, children):
        return All(tuple(children), self._source(meta))

    def or_(self, meta, children):
        return Any_(tuple(children), self._source(meta))

    def near(self, meta, children):
        node = children[0]
        for i in range(1, len(children), 2):
            op, right = children[i], children[i + 1]
            for side in (node, right):
                if not positional(side):
                    raise QueryError(op.line, op.column, f"{op} joins words, phrases or (… OR …) of them, "
                                                         "not AND, NOT or a field: put those outside the NEAR")
            spec = str(op)[5:]
            node = Near(node, right, int(spec.rstrip("f")), spec.endswith("f"), f"{node.source} {op} {right.source}")
        return replace(node, source=self._source(meta))


def parse_query(text: str) -> Node:
    """The tree of a listening query. Raises QueryError (line and column inside `text`)."""
    try:
        tree = _PARSER.parse(text)
        return _Build(text).transform(tree)
    except UnexpectedEOF as exc:
        raise QueryError(text.count("\n") + 1, len(text.rsplit("\n", 1)[-1]) + 1,
                         f"the query ends too early: expected {_expected(exc.expected)}") from None
    except UnexpectedToken as exc:
        found = "the end of the query" if exc.token.type == "$END" else repr(str(exc.token))
        raise QueryError(exc.line if exc.line > 0 else 1, max(exc.column, 1),
                         f"unexpected {found}: expected {_expected(exc.expected)}") from None
    except UnexpectedCharacters as exc:
        raise QueryError(exc.line, exc.column, f"unexpected {text[exc.pos_in_stream]!r}: a phrase needs its closing quote, "
                                               "a parenthesis its partner") from None
    except UnexpectedInput as exc:  # any other lark refusal
        raise QueryError(getattr(exc, "line", 1), getattr(exc, "column", 1), "this query does not parse") from None
    except Exception as exc:  # lark wraps errors raised in the transformer
        inner = getattr(exc, "orig_exc", None)
        if isinstance(inner, QueryError):
            raise inner from None
        raise


def _expected(names) -> str:
    readable = sorted({_READABLE.get(n, n) for n in names if not n.startswith("__")})
    return ", ".join(readable[:6]) or "more"


def place(exc: QueryError, *, path: str, where: str, line: int, column: int, block: bool) -> ContentError:
    """The query error at its place in the playbook file: `path:line:column: where: problem`."""
    at_line = line + exc.line if block else line + exc.line - 1
    at_column = column + exc.column - 1 if (block or exc.line == 1) else exc.column
    return ContentError(f"{path}:{at_line}:{at_column}: {where}: {exc.problem}",
                        hint="see \"Detection queries\" in docs/playbooks.md for the syntax")


def in_language(node: Node, lang: str) -> Node:
    """The query with each term stemmed as `lang` words."""
    if isinstance(node, Term):
        return replace(node, lang=lang)
    if isinstance(node, Not):
        return replace(node, child=in_language(node.child, lang))
    if isinstance(node, Near):
        return replace(node, left=in_language(node.left, lang), right=in_language(node.right, lang))
    if isinstance(node, (All, Any_)):
        return replace(node, children=tuple(in_language(child, lang) for child in node.children))
    return node


def clauses(node: Node) -> tuple[Node, ...]:
    """The top-level alternatives of a query: each is explained (and opens an incident) on its own."""
    return node.children if isinstance(node, Any_) else (node,)


def atoms(node: Node) -> list[Term | Phrase]:
    """Every term and phrase of a query, the negated ones too."""
    if isinstance(node, (Term, Phrase)):
        return [node]
    if isinstance(node, Not):
        return atoms(node.child)
    if isinstance(node, Near):
        return atoms(node.left) + atoms(node.right)
    if isinstance(node, (All, Any_)):
        return [a for child in node.children for a in atoms(child)]
    return []


def positive_atoms(node: Node) -> list[Term | Phrase]:
    """The terms and phrases a text must (or may) contain for the query to hold: not those under a NOT."""
    if isinstance(node, (Term, Phrase)):
        return [node]
    if isinstance(node, Near):
        return positive_atoms(node.left) + positive_atoms(node.right)
    if isinstance(node, (All, Any_)):
        return [a for child in node.children for a in positive_atoms(child)]
    return []


@dataclass(frozen=True)
class QueryFinding:
    """What `playbook check` says of a query: at which line of the playbook file, and how serious."""

    line: int
    message: str
    level: str = "error"


def lint_queries(queries: Mapping[str, Any], *, common: Callable[[str], bool]) -> list[QueryFinding]:
    """Queries that can never match, a NOT that cancels nearly every mention, a clause evaluated an order of magnitude
    more often than its siblings (announced only by common words). `queries`: language → QueryText (text, line); `common(word)`: whether a word is in most texts.
    A query that does not parse is the loader's ContentError, not a finding."""
    findings: list[QueryFinding] = []
    for lang, query in sorted(queries.items()):
        try:
            tree = parse_query(query.text)
        except QueryError:
            continue
        for clause in clauses(tree):
            line = query.line + (query.block or 0) + query.text[:max(query.text.find(clause.source[:30]), 0)].count("\n")
            findings += _contradictions(clause, lang, line)
            for negated in _negated(clause):
                words = [negated.word] if isinstance(negated, Term) else list(negated.words)
                if (isinstance(negated, Term) and negated.prefix and len(negated.word) <= 3) or all(map(common, words)):
                    findings.append(QueryFinding(line, f"detect.query.{lang}: NOT {negated.source} cancels nearly every mention "
                                                       "(a word most texts hold): name what rules a mention out"))
            frequent = _frequent_trigger(clause, common)
            if frequent:
                findings.append(QueryFinding(line, f"detect.query.{lang}: {clause.source[:60]}… is evaluated on nearly every mention: "
                                                   f"every way it can match starts from a common word ({frequent}), an order of "
                                                   "magnitude more often than a clause announced by a distinctive word: add one", "warning"))
    return findings


def _negated(node: Node, under: bool = False) -> list[Term | Phrase]:
    if isinstance(node, (Term, Phrase)):
        return [node] if under else []
    if isinstance(node, Not):
        return _negated(node.child, True)
    if isinstance(node, (All, Any_)):
        return [a for child in node.children for a in _negated(child, under)]
    return []


def _contradictions(clause: Node, lang: str, line: int) -> list[QueryFinding]:
    """A term both required and excluded, or two field filters nothing satisfies: the clause can never match."""
    parts = clause.children if isinstance(clause, All) else (clause,)
    required = {a for part in parts if not isinstance(part, Not) for a in positive_atoms(part) if not isinstance(part, Any_)}
    found = []
    for part in parts:
        if isinstance(part, Not) and isinstance(part.child, (Term, Phrase)) and part.child in required:
            found.append(QueryFinding(line, f"detect.query.{lang}: {clause.source[:60]} can never match: it asks for "
                                            f"{part.child.source} and NOT {part.child.source}"))
    fields = [part for part in parts if isinstance(part, Field)]
    for name in {f.name for f in fields}:
        values = range(0, 10_000_001, 1) if name == "author_followers" else range(0, 11)
        same = [f for f in fields if f.name == name]
        if name in ("rating", "author_followers") and not any(all(f.holds({name: v}) for f in same) for v in
                                                              sorted({f.value + d for f in same for d in (-1, 0, 1)} | {values[0]})):
            found.append(QueryFinding(line, f"detect.query.{lang}: {clause.source[:60]} can never match: no {name} satisfies "
                                            + " AND ".join(f.source for f in same)))
        elif name not in ("rating", "author_followers") and len({f.value for f in same}) > 1:
            found.append(QueryFinding(line, f"detect.query.{lang}: {clause.source[:60]} can never match: {name} cannot be "
                                            + " and ".join(f.source for f in same)))
    return found


def _frequent_trigger(node: Node, common: Callable[[str], bool]) -> str:
    """The common word that announces a clause when all of its triggers are common words (or short wildcards), else ""."""
    def often(atom: Term | Phrase) -> bool:
        return (isinstance(atom, Term) and atom.prefix and len(atom.word) <= 3) or all(
            map(common, [atom.word] if isinstance(atom, Term) else atom.words))

    from crisis.triage.compile import triggers  # compile imports this module's tree

    picked = triggers(node, lambda atom: 50.0 if often(atom) else 1.0) or []
    return next((atom.source for atom in picked if often(atom)), "")
