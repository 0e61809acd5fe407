"""The post-incident review written as a file (`crisis review REF --file review.yaml`), read with every error
placed at file:line:column:

    what_happened: The ex-intern's password was reused on the Instagram account.
    what_gained: Two-factor authentication on every account, and a public thank-you to the followers who warned us.
    follow_ups:
      - {action: Move to individual logins, owner: ana, due: 2026-12-15}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from crisis.errors import ContentError
from crisis.incident.rules import FollowUp
from crisis.yamlfile import load_yaml, place

KEYS = ("what_happened", "what_gained", "follow_ups")
FOLLOW_UP_KEYS = ("action", "owner", "due")
MAX_TEXT = 20_000
HINT = ("a review file holds what_happened and what_gained (texts) and follow_ups, a list of "
        "{action: …, owner: PERSON, due: YYYY-MM-DD}")


@dataclass(frozen=True)
class ReviewFile:
    what_happened: str
    what_gained: str
    follow_ups: tuple[FollowUp, ...]


def load_review_file(path: Path) -> ReviewFile:
    """The review in `path`. Raises ContentError naming file:line:column and what to write instead."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(f"{path}: not UTF-8 text (byte {exc.start + 1})", hint="save it as UTF-8") from None
    except OSError as exc:
        raise ContentError(f"{path}: cannot be read ({exc.strerror or exc})", hint="check the path given to --file") from None
    return parse_review(text, str(path))


def parse_review(text: str, path: str) -> ReviewFile:
    """The review in YAML `text`; `path` names it in errors. Raises ContentError."""
    data, root = load_yaml(text.lstrip("\ufeff"), path)
    src = _Source(path, root)
    if not isinstance(data, dict):
        raise src.error((), f"expected a mapping with {', '.join(KEYS)}")
    _keys(src, data, (), KEYS)
    items = data["follow_ups"]
    if not isinstance(items, list) or not items:
        raise src.error(("follow_ups",), f"expected a list of follow-ups, got {_shown(items)}")
    follow_ups = []
    for i, item in enumerate(items):
        where = ("follow_ups", i)
        if not isinstance(item, dict):
            raise src.error(where, f"expected a mapping with {', '.join(FOLLOW_UP_KEYS)}, got {_shown(item)}")
        _keys(src, item, where, FOLLOW_UP_KEYS)
        follow_ups.append(FollowUp(_text(src, item, (*where, "action")), _text(src, item, (*where, "owner"), limit=200),
                                   _due(src, item["due"], (*where, "due"))))
    return ReviewFile(_text(src, data, ("what_happened",)), _text(src, data, ("what_gained",)), tuple(follow_ups))


class _Source:
    def __init__(self, path: str, root: Any) -> None:
        self.path, self.root = path, root

    def error(self, where: tuple, problem: str) -> ContentError:
        name = "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in where).lstrip(".") or "top level"
        return ContentError(f"{self.path}:{place(self.root, where)} {name}: {problem}", hint=HINT)


def _keys(src: _Source, data: dict, where: tuple, allowed: tuple[str, ...]) -> None:
    for key in data:
        if key not in allowed:
            raise src.error((*where, key), f"unknown key; expected {', '.join(allowed)}")
    for key in allowed:
        if key not in data:
            raise src.error(where, f"missing {key}")


def _text(src: _Source, data: dict, where: tuple, *, limit: int = MAX_TEXT) -> str:
    value = data[where[-1]]
    if not isinstance(value, str) or not value.strip():
        raise src.error(where, f"expected a text, got {_shown(value)}")
    if len(value) > limit or "\x00" in value:
        raise src.error(where, f"{len(value):,} characters (at most {limit:,}, no NUL)")
    return value.strip()


def _due(src: _Source, value: Any, where: tuple) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise src.error(where, f"{_shown(value)} is not a date; expected YYYY-MM-DD, e.g. 2026-12-15") from None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise src.error(where, f"expected a date YYYY-MM-DD, got {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    kind = {bool: "true/false", int: "the number", float: "the number", list: "a list", dict: "a mapping", type(None): "nothing"}
    text = repr(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""
    return f"{kind.get(type(value), type(value).__name__)} {text[:40]}".strip() if not isinstance(value, str) else text[:40]
