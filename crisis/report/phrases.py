"""The labels the report's chart puts on its time axis, in French or English (the timeline's sentences are the
story's: crisis.incident.story)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crisis.report.build import Happening

LABELS = {
    "fr": {"opened": "Ouverture", "escalated": "Escalade\u202f: {level_to}", "reply_published": "Déclaration {reply}",
           "monitoring": "Stabilisé", "resolved": "Résolu"},
    "en": {"opened": "Opened", "escalated": "Escalated: {level_to}", "reply_published": "Statement {reply}",
           "monitoring": "Stabilised", "resolved": "Resolved"},
}


def chart_label(h: Happening, lang: str) -> str:
    """A short label for a key moment (opened, escalated, a statement, stabilised, resolved), in `lang`."""
    labels = LABELS.get(lang, LABELS["en"])
    template = labels.get(h.state_to or "" if h.kind == "transition" else h.kind)
    return template.format(level_to=h.level_to or "", reply=h.reply or "") if template else h.kind
