"""Reading the team's YAML files (playbooks, roster, reply manifests, reviews) with errors placed at file:line:column.

Only plain data comes out: a `!!python` tag or any unknown tag is refused at its line, a value YAML
recognises but Python cannot hold (`2026-02-30`, a 5,000-digit number) is named at its line, and a
document whose anchors and aliases expand past `MAX_NODES` (the "billion laughs"), that refers to
itself, or that nests deeper than `MAX_DEPTH` is refused before anything walks it; a file over
`MAX_CHARS` is not parsed at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from crisis.errors import ContentError, NotFoundError

Named = TypeVar("Named")

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it: same results, faster
MAX_NODES = 100_000  # values once aliases are expanded: a big playbook has a few thousand
MAX_DEPTH = 64  # levels of nesting: a playbook has under ten
MAX_CHARS = 1_000_000  # characters in one file: the largest shipped playbook has 26,000


class _Unreadable(Exception):
    """A value YAML recognises but Python cannot hold (`2026-02-30`, a 5,000-digit number), with its node."""

    def __init__(self, node: yaml.Node, problem: str) -> None:
        super().__init__(problem)
        self.node, self.problem = node, problem


class _Constructor(yaml.constructor.SafeConstructor):
    """SafeConstructor whose value errors carry the node they come from."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError, TypeError) as exc:
            value = f"{node.value[:40]!r} " if isinstance(node, yaml.ScalarNode) else ""
            raise _Unreadable(node, f"{value}cannot be read: {exc}") from None


def compose_yaml(text: str, path: str) -> yaml.Node | None:
    """The YAML node tree of `text` (None for an empty file), positions kept, its size bounded. Raises ContentError."""
    if len(text) > MAX_CHARS:
        raise ContentError(f"{path}: {len(text):,} characters, more than a crisis file holds (at most {MAX_CHARS:,})",
                           hint="check that this is the file you meant; split a very long file in several")
    try:
        root = yaml.compose(text, Loader=LOADER)
    except RecursionError:
        raise ContentError(f"{path}: invalid YAML: nested too deeply (more than {MAX_DEPTH} levels)") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        place = f"{mark.line + 1}:{mark.column + 1}:" if mark else ""
        raise ContentError(f"{path}:{place} invalid YAML: {exc.problem or exc.context}",
                           hint="check the indentation and quoting around that line") from None
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: invalid YAML: {exc}") from None
    if root is not None:
        _bounded(root, path)
    return root


def load_yaml(text: str, path: str) -> tuple[Any, yaml.Node | None]:
    """The data of `text` with its node tree (for placing later errors). Raises ContentError."""
    root = compose_yaml(text, path)
    try:
        return (_Constructor().construct_document(root) if root is not None else None), root
    except _Unreadable as exc:
        raise ContentError(f"{path}:{_mark(exc.node)} {exc.problem}", hint="write a value that exists, e.g. a date as YYYY-MM-DD") from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark or exc.context_mark
        place = f"{mark.line + 1}:{mark.column + 1}:" if mark else ""
        raise ContentError(f"{path}:{place} a YAML tag (!!…) crisis does not read; write plain YAML: texts, numbers, true/false, "
                           "dates, lists and mappings") from None


_TAGS = {"str": "a text", "int": "a whole number", "bool": "true or false", "float": "a number",
         "null": "nothing", "timestamp": "a date", "map": "a mapping", "seq": "a list"}


class Source:
    """The file being read, to place every error at its line and column."""

    def __init__(self, path: str, text: str = "") -> None:
        self.path = path
        self.lines = text.splitlines()  # for errors that point inside a multi-line value (a detection query)

    def error(self, node: yaml.Node, where: str, problem: str) -> ContentError:
        mark = node.start_mark
        return ContentError(f"{self.path}:{mark.line + 1}:{mark.column + 1}: {where}: {problem}")


def kind_of(node: yaml.Node) -> str:
    """What a node holds, in words: `a text`, `a list`…"""
    return _TAGS.get(node.tag.rsplit(":", 1)[-1], node.tag)


def read_mapping(src: Source, node: yaml.Node, where: str, required: Iterable[str] = (), optional: Iterable[str] = ()) -> dict[str, yaml.Node]:
    """The keys of a mapping node, each checked against the allowed ones. Raises ContentError."""
    if not isinstance(node, yaml.MappingNode):
        raise src.error(node, where, f"expected a mapping, found {kind_of(node)}")
    required, allowed = tuple(required), (*required, *optional)
    found: dict[str, yaml.Node] = {}
    for key, value in node.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else None
        if name in found:
            raise src.error(key, where, f"key {name!r} appears twice")
        if name not in allowed:
            raise src.error(key, f"{where}.{name}" if where else str(name), f"unknown key; expected one of: {', '.join(allowed)}")
        found[name] = value
    for name in required:
        if name not in found:
            raise src.error(node, where or "top level", f"missing key {name!r}")
    return found


def read_pairs(src: Source, node: yaml.Node, where: str) -> dict[str, yaml.Node]:
    """A mapping whose keys are the author's own names (pools, values): each a valid name, once. Raises ContentError."""
    if not isinstance(node, yaml.MappingNode):
        raise src.error(node, where, f"expected a mapping, found {kind_of(node)}")
    found: dict[str, yaml.Node] = {}
    for key, value in node.value:
        name = read_name(src, key, where)
        if name in found:
            raise src.error(key, where, f"key {name!r} appears twice")
        found[name] = value
    return found


def read_scalar(src: Source, node: yaml.Node, where: str) -> Any:
    """A single value, typed as YAML reads it. Raises ContentError for a list or a mapping."""
    if not isinstance(node, yaml.ScalarNode):
        raise src.error(node, where, f"expected a single value, found {kind_of(node)}")
    try:
        return _Constructor().construct_object(node)
    except _Unreadable as exc:
        raise src.error(node, where, exc.problem) from None
    except yaml.constructor.ConstructorError:
        raise src.error(node, where, f"the tag {node.tag!r} is not plain YAML; crisis reads texts, numbers, true/false and dates only") from None


def read_text(src: Source, node: yaml.Node, where: str) -> str:
    """A non-empty text. Raises ContentError (with the on/off/yes/no hint for a boolean)."""
    if not isinstance(node, yaml.ScalarNode) or not node.tag.endswith(":str"):
        hint = " (YAML reads on/off/yes/no as booleans: quote it)" if node.tag.endswith(":bool") else ""
        raise src.error(node, where, f"expected a text, found {kind_of(node)}{hint}")
    if not node.value.strip():
        raise src.error(node, where, "must not be empty")
    return node.value


def read_name(src: Source, node: yaml.Node, where: str) -> str:
    """An identifier (`^[a-z][a-z0-9_]*$`). Raises ContentError."""
    value = read_text(src, node, where)
    if not NAME.match(value):
        raise src.error(node, where, f"{value!r} is not a valid name: lowercase letters, digits and _, starting with a letter")
    return value


def read_int(src: Source, node: yaml.Node, where: str, lo: int, hi: int) -> int:
    """A whole number from `lo` to `hi`. Raises ContentError."""
    value = read_scalar(src, node, where) if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":int") else None
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:  # YAML ints include 0x1F, 0o17, 1_000
        raise src.error(node, where, f"expected a whole number from {lo} to {hi}, found {getattr(node, 'value', '…')!r}")
    return value


def read_list(src: Source, node: yaml.Node, where: str) -> list[yaml.Node]:
    """The items of a list node. Raises ContentError."""
    if not isinstance(node, yaml.SequenceNode):
        raise src.error(node, where, f"expected a list, found {kind_of(node)}")
    return node.value


def place(root: yaml.Node | None, steps: tuple[str | int, ...]) -> str:
    """`line:column:` of the value `steps` lead to from `root` (keys and list indexes), as deep as it exists; "" without a tree."""
    node = root
    for step in steps:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == step), node)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
    return _mark(node) if node is not None else ""


def _mark(node: yaml.Node) -> str:
    return f"{node.start_mark.line + 1}:{node.start_mark.column + 1}:"


def _bounded(root: yaml.Node, path: str) -> None:
    """Refuse a tree that expands past MAX_NODES, refers to itself or nests past MAX_DEPTH, without expanding it."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    open_: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            raise ContentError(f"{path}:{_mark(node)} nested more than {MAX_DEPTH} levels deep",
                               hint="a crisis file is a few levels deep: check the indentation")
        children = _children(node)
        if done:
            open_.discard(id(node))
            sizes[id(node)] = min(1 + sum(sizes[id(c)] for c in children), MAX_NODES + 1)
            if sizes[id(node)] > MAX_NODES:
                raise ContentError(f"{path}:{_mark(node)} its anchors and aliases expand to more than {MAX_NODES:,} values",
                                   hint="write the values out, or use fewer aliases of aliases")
            continue
        if id(node) in sizes:
            continue
        if id(node) in open_:
            raise ContentError(f"{path}:{_mark(node)} an alias refers to the value that contains it (a loop)",
                               hint="an alias can only repeat a value defined before and outside it")
        open_.add(id(node))
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def read_named_file(path: Path, parse: Callable[[str, str], Named]) -> Named:
    """Read one content file (a playbook, a scenario) with `parse(text, path)`; its `id` must be its file name.
    Raises ContentError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path}: cannot be read ({exc})") from exc
    item = parse(text, str(path))
    item_id = getattr(item, "id")
    if item_id != path.stem:
        raise ContentError(f"{path}:1:1: id: {item_id!r} differs from the file name; name the file {item_id}.yaml")
    return item


def find_named_file(folder: Path, item_id: str, what: str) -> Path:
    """The file `folder/<item_id>.yaml` of a `what` (playbook, drill scenario). Raises NotFoundError naming the ones that exist."""
    path = folder / f"{item_id}.yaml"
    if not NAME.match(item_id) or not path.is_file():
        known = ", ".join(p.stem for p in sorted(folder.glob("*.yaml"))) or "none"
        raise NotFoundError(f"no {what} {item_id!r} in {folder}", hint=f"known: {known}")
    return path
