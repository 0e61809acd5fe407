"""`templates/<playbook>/replies.yaml`: the channels each reply is written for, and the values a
responder gives when drafting (beside the incident's facts and fields), with samples for checks.

    values:
      next_update_at:
        ask: {fr: Heure du prochain point, en: Time of the next update}
        sample: {fr: "15 h", en: "3 pm"}
    replies:
      holding_statement: {channels: [x, facebook, instagram, linkedin, website]}
      right_of_reply:
        channels: [email]
        refuse:                    # the law excludes it where the person can answer under the message
          when: {platform: [google_business, tripadvisor, trustpilot, facebook]}
          why: {fr: "…", en: "…"}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path


from crisis.errors import ContentError
from crisis.yamlfile import load_yaml
from crisis.replies.channels import CHANNELS
from crisis.settings import LANGUAGES

MANIFEST = "replies.yaml"
# What every template may use beside the declared values: the incident's fields, its facts, the responder, and
# the values a responder may always give (the author and text of the mention answered, the brand's contact).
FIELDS = ("ref", "title", "channel", "lang", "severity", "brand", "facts", "responder", "done", "published")
FREE_VALUES = ("author", "mention", "contact")
SAMPLES = {"ref": "INC-0042", "title": "Sample incident", "severity": "SEV2", "brand": "Acme", "responder": "Ana",
           "author": "", "mention": "", "contact": "contact@example.com",
           "done": [], "published": []}  # the check renders as if nothing were done yet: a statement then claims nothing
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Value:
    id: str
    ask: dict[str, str]
    sample: dict[str, str]


@dataclass(frozen=True)
class Refusal:
    """A reply that may not be drafted when a fact has one of `values`, and why (e.g. no right of reply where the
    platform lets us answer under the message)."""

    fact: str
    values: tuple[str, ...]
    why: dict[str, str]

    def applies(self, facts: dict) -> bool:
        return facts.get(self.fact) in self.values


@dataclass(frozen=True)
class Manifest:
    path: str
    channels: dict[str, tuple[str, ...]] = field(default_factory=dict)  # reply name → channels it is written for
    values: dict[str, Value] = field(default_factory=dict)
    refusals: dict[str, Refusal] = field(default_factory=dict)  # reply name → when it is refused

    def channels_of(self, reply: str) -> tuple[str, ...]:
        return self.channels.get(reply, ())


def load_manifest(folder: Path) -> Manifest:
    """The manifest in a playbook's template folder; an absent file declares nothing. Raises ContentError."""
    path = folder / MANIFEST
    if not path.is_file():
        return Manifest(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path}: cannot be read ({exc})") from exc
    data = load_yaml(text, str(path))[0] or {}
    if not isinstance(data, dict) or set(data) - {"values", "replies"}:
        raise ContentError(f"{path}: expected a mapping with `values` and `replies`")
    for section in ("values", "replies"):
        if not isinstance(data.get(section) or {}, dict):
            raise ContentError(f"{path}: {section}: expected a mapping of names, got {type(data[section]).__name__}")
    values = {}
    for value_id, spec in (data.get("values") or {}).items():
        where = f"{path}: values.{value_id}"
        if not (isinstance(value_id, str) and NAME.match(value_id)) or not isinstance(spec, dict):
            raise ContentError(f"{where}: expected a name with `ask` and `sample`, each in {' and '.join(LANGUAGES)}")
        for key in ("ask", "sample"):
            if not isinstance(spec.get(key), dict) or set(spec[key]) != set(LANGUAGES) or not all(
                    isinstance(v, str) for v in spec[key].values()):
                raise ContentError(f"{where}.{key}: expected a text in each of {', '.join(LANGUAGES)}")
        values[value_id] = Value(value_id, {k: str(v) for k, v in spec["ask"].items()}, {k: str(v) for k, v in spec["sample"].items()})
    channels, refusals = {}, {}
    for reply, spec in (data.get("replies") or {}).items():
        where = f"{path}: replies.{reply}"
        listed = spec.get("channels") if isinstance(spec, dict) else None
        if not (isinstance(reply, str) and NAME.match(reply)) or not isinstance(listed, list) or not listed:
            raise ContentError(f"{where}: expected {{channels: [...]}} naming at least one of: {', '.join(CHANNELS)}")
        unknown = [c for c in listed if not isinstance(c, str) or c not in CHANNELS]
        if unknown:
            raise ContentError(f"{where}.channels: unknown channel {unknown[0]!r}; expected one of: {', '.join(CHANNELS)}")
        channels[reply] = tuple(listed)
        if isinstance(spec, dict) and "refuse" in spec:
            refusals[reply] = _refusal(spec["refuse"], f"{where}.refuse")
    return Manifest(str(path), channels, values, refusals)


def _refusal(spec: object, where: str) -> Refusal:
    """`{when: {fact: [values]}, why: {fr, en}}`. Raises ContentError."""
    when = spec.get("when") if isinstance(spec, dict) else None
    why = spec.get("why") if isinstance(spec, dict) else None
    if not (isinstance(when, dict) and len(when) == 1 and isinstance(next(iter(when.values())), list)) \
            or not (isinstance(why, dict) and set(why) == set(LANGUAGES)):
        raise ContentError(f"{where}: expected {{when: {{FACT: [VALUES]}}, why: {{fr: ..., en: ...}}}}")
    fact, values = next(iter(when.items()))
    return Refusal(str(fact), tuple(str(v) for v in values), {k: str(v) for k, v in why.items()})
