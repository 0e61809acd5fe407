"""Reading the team's YAML files (playbooks, roster, reply manifests) with errors placed at file:line:column."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml

from crisis.errors import ContentError

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it: same results, faster


def compose_yaml(text: str, path: str) -> yaml.Node | None:
    """The YAML node tree of `text` (None for an empty file), positions kept. Raises ContentError."""
    try:
        return yaml.compose(text, Loader=LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        place = f"{mark.line + 1}:{mark.column + 1}:" if mark else ""
        raise ContentError(f"{path}:{place} invalid YAML: {exc.problem or exc.context}",
                           hint="check the indentation and quoting around that line") from None
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: invalid YAML: {exc}") from None


def load_yaml(text: str, path: str) -> tuple[Any, yaml.Node | None]:
    """The data of `text` with its node tree (for placing later errors). Raises ContentError."""
    root = compose_yaml(text, path)
    try:
        return (yaml.constructor.SafeConstructor().construct_document(root) if root is not None else None), root
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark or exc.context_mark
        place = f"{mark.line + 1}:{mark.column + 1}:" if mark else ""
        raise ContentError(f"{path}:{place} a YAML tag (!!…) crisis does not read; write plain YAML: texts, numbers, true/false, "
                           "dates, lists and mappings") from None


_TAGS = {"str": "a text", "int": "a whole number", "bool": "true or false", "float": "a number",
         "null": "nothing", "timestamp": "a date", "map": "a mapping", "seq": "a list"}


class Source:
    """The file being read, to place every error at its line and column."""

    def __init__(self, path: str) -> None:
        self.path = path

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
        return yaml.constructor.SafeConstructor().construct_object(node)
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
