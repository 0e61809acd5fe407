"""Reading the team's YAML files (playbooks, roster, reply manifests) with errors placed at file:line:column."""

from __future__ import annotations

from typing import Any

import yaml

from crisis.errors import ContentError

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
    return (yaml.constructor.SafeConstructor().construct_document(root) if root is not None else None), root
