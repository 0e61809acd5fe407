"""The text of a page: what happened, what to do now, and, for a drill, that it is an exercise (FR and EN)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

DRILL_SUBJECT = "[EXERCICE / DRILL] "
DRILL_NOTICE = (
    "EXERCICE — ceci est un exercice de crise, pas un incident réel. Agissez comme en vrai : accusez "
    "réception et suivez le playbook, mais ne publiez rien en public et ne contactez personne hors de "
    "l'exercice. En cas de doute, demandez à l'animateur de l'exercice.\n"
    "DRILL — this is a crisis exercise, not a real incident. Act as you would for real: acknowledge and "
    "follow the playbook, but publish nothing in public and contact nobody outside the exercise. If in "
    "doubt, ask the exercise facilitator.\n"
)


@dataclass(frozen=True)
class Page:
    """What a page says about its incident, read from the incident when the page is written."""

    ref: str
    title: str
    playbook: str
    severity: str
    state: str
    cause: str
    level: int  # 1 for the first level
    levels: int
    round: int  # 1 for the first pass of the policy
    rounds: int
    person: str
    is_drill: bool
    lang: str
    next_level_at: datetime | None
    timezone: str = "UTC"  # the paged person's: times in the page are theirs


def page_message(page: Page) -> tuple[str, str]:
    """(subject, body) of a page, in the incident's language, with the drill notice when it is one."""
    fr = page.lang == "fr"
    subject = f"[{page.severity}] {page.ref} {page.title} — " + (f"astreinte niveau {page.level}" if fr else f"on-call level {page.level}")
    when = page.next_level_at.astimezone(ZoneInfo(page.timezone)).strftime("%Y-%m-%d %H:%M %Z") if page.next_level_at else None
    if fr:
        lines = [
            f"{page.person}, vous êtes d'astreinte pour {page.ref} ({page.playbook}, {page.severity}, état {page.state}).",
            f"Motif : {page.cause}.",
            f"Niveau {page.level} sur {page.levels}, passage {page.round} sur {page.rounds}.",
            "",
            "À faire maintenant :",
            f"  1. Accuser réception (cela arrête l'escalade) : crisis oncall ack {page.ref} --as VOTRE_ID",
            f"  2. Lire l'incident : crisis show {page.ref}",
            "  3. Suivre le playbook : ne rien supprimer, ne rien publier sans validation.",
            f"Sans accusé de réception avant {when}, le niveau suivant sera appelé." if when else "C'est le dernier niveau : personne d'autre ne sera appelé.",
        ]
    else:
        lines = [
            f"{page.person}, you are on call for {page.ref} ({page.playbook}, {page.severity}, state {page.state}).",
            f"Why: {page.cause}.",
            f"Level {page.level} of {page.levels}, pass {page.round} of {page.rounds}.",
            "",
            "What to do now:",
            f"  1. Acknowledge (this stops the escalation): crisis oncall ack {page.ref} --as YOUR_ID",
            f"  2. Read the incident: crisis show {page.ref}",
            "  3. Follow the playbook: delete nothing, publish nothing without approval.",
            f"If nobody acknowledges by {when}, the next level is paged." if when else "This is the last level: nobody else will be paged.",
        ]
    body = "\n".join(lines) + "\n"
    if page.is_drill:
        return DRILL_SUBJECT + subject, DRILL_NOTICE + "\n" + body
    return subject, body
