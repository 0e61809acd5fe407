"""Reading the team's YAML files (playbooks, roster, reply manifests, reviews) with errors placed at file:line:column.

Only plain data comes out: a `!!python` tag or any unknown tag is refused at its line, a value YAML
recognises but Python cannot hold (`2026-02-30`, a 5,000-digit number) is named at its line, and a
document whose anchors and aliases expand past `MAX_NODES` (the "billion laughs"), that refers to
itself, or that nests deeper than `MAX_DEPTH` is refused before anything walks it; a file over
`MAX_CHARS` is not parsed at all.
"""

from __future__ import annotations

from typing import Any

import yaml

from crisis.errors import ContentError

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it: same results, faster
MAX_NODES = 100_000  # values once aliases are expanded: a big playbook has a few thousand
MAX_DEPTH = 64  # levels of nesting: a playbook has under ten
MAX_CHARS = 1_000_000  # characters in one file: the largest shipped playbook has 26,000


class _Constructor(yaml.constructor.SafeConstructor):
    """SafeConstructor whose value errors (a date that does not exist, a number too long) carry the node's place."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError, TypeError) as exc:
            raise yaml.constructor.ConstructorError(None, None, f"{node.value!r} cannot be read: {exc}"
                                                    if isinstance(node, yaml.ScalarNode) else str(exc), node.start_mark) from None


def _place(exc: yaml.MarkedYAMLError, path: str) -> str:
    mark = exc.problem_mark or exc.context_mark
    return f"{path}:{mark.line + 1}:{mark.column + 1}:" if mark else f"{path}:"


def compose_yaml(text: str, path: str) -> yaml.Node | None:
    """The YAML node tree of `text` (None for an empty file), positions kept, its size bounded. Raises ContentError."""
    if len(text) > MAX_CHARS:
        raise ContentError(f"{path}: {len(text):,} characters, more than a crisis file holds (at most {MAX_CHARS:,})",
                           hint="check that this is the file you meant; split a very long file in several")
    try:
        root = yaml.compose(text, Loader=LOADER)
    except yaml.MarkedYAMLError as exc:
        raise ContentError(f"{_place(exc, path)} invalid YAML: {exc.problem or exc.context}",
                           hint="check the indentation and quoting around that line") from None
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: invalid YAML: {exc}") from None
    except RecursionError:
        raise ContentError(f"{path}: invalid YAML: nested too deeply (more than {MAX_DEPTH} levels)") from None
    if root is not None:
        _bounded(root, path)
    return root


def construct(node: yaml.Node, path: str) -> Any:
    """The plain data of `node`. Raises ContentError at the node's line for an unknown tag or a value Python cannot hold."""
    try:
        return _Constructor().construct_document(node)
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context or ""
        if problem.startswith("could not determine a constructor for the tag"):
            tag = problem.rpartition(" ")[2].strip("'").replace("tag:yaml.org,2002:", "!!")
            problem = f"the tag {tag} is refused: crisis reads only plain data"
        raise ContentError(f"{_place(exc, path)} {problem}",
                           hint="only plain YAML data is read: texts, numbers, true/false, dates, lists and mappings") from None


def load_yaml(text: str, path: str) -> tuple[Any, yaml.Node | None]:
    """The data of `text` with its node tree (for placing later errors). Raises ContentError."""
    root = compose_yaml(text, path)
    return (construct(root, path) if root is not None else None), root


def place(root: yaml.Node | None, steps: tuple[str | int, ...]) -> str:
    """`line:column:` of the value `steps` lead to from `root` (keys and list indexes), as deep as it exists; "" without a tree."""
    node = root
    for step in steps:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == step), node)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
    return f"{node.start_mark.line + 1}:{node.start_mark.column + 1}:" if node is not None else ""


def _bounded(root: yaml.Node, path: str) -> None:
    """Refuse a tree that expands past MAX_NODES, refers to itself or nests past MAX_DEPTH, without expanding it."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    open_: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            raise ContentError(f"{path}:{node.start_mark.line + 1}:{node.start_mark.column + 1}: nested more than {MAX_DEPTH} levels deep",
                               hint="a crisis file is a few levels deep: check the indentation")
        children = _children(node)
        if done:
            open_.discard(id(node))
            sizes[id(node)] = min(1 + sum(sizes[id(c)] for c in children), MAX_NODES + 1)
            if sizes[id(node)] > MAX_NODES:
                raise ContentError(f"{path}:{node.start_mark.line + 1}:{node.start_mark.column + 1}: its anchors and aliases expand "
                                   f"to more than {MAX_NODES:,} values", hint="write the values out, or use fewer aliases of aliases")
            continue
        if id(node) in sizes:
            continue
        if id(node) in open_:
            raise ContentError(f"{path}:{node.start_mark.line + 1}:{node.start_mark.column + 1}: an alias refers to the value "
                               "that contains it (a loop)", hint="an alias can only repeat a value defined before and outside it")
        open_.add(id(node))
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []
