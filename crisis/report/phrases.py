"""What each timeline event says in a report, in French or English, from its `Happening`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crisis.report.build import Happening

STATES = {
    "fr": {"detected": "détecté", "triage": "qualification", "monitoring": "surveillance", "resolved": "résolu",
           "closed": "clos", "dismissed": "classé sans suite"},
    "en": {"detected": "detected", "triage": "triage", "monitoring": "monitoring", "resolved": "resolved",
           "closed": "closed", "dismissed": "dismissed"},
}
TRIGGERS = {
    "fr": {"acknowledge": "Prise en compte", "respond": "Réponse", "next": "Étape suivante", "stabilize": "Stabilisation",
           "resolve": "Résolution", "close": "Clôture", "dismiss": "Classement sans suite", "relapse": "Rechute", "reopen": "Réouverture"},
    "en": {"acknowledge": "Acknowledged", "respond": "Response started", "next": "Next step", "stabilize": "Stabilised",
           "resolve": "Resolved", "close": "Closed", "dismiss": "Dismissed", "relapse": "Relapse", "reopen": "Reopened"},
}
SAYS = {
    "fr": {
        "opened": "Incident ouvert en {severity_to}, niveau {level_to} ({why})",
        "opened_short": "Ouverture",
        "transition": "{trigger}\u202f: {state_from} → {state_to}",
        "escalated": "Escalade {level_from} → {level_to}\u202f: {why}",
        "escalated_short": "Escalade\u202f: {level_to}",
        "severity_changed": "Gravité {severity_from} → {severity_to}\u202f: {why}",
        "reply_published": "{reply} publiée sur {detail}",
        "reply_published_short": "Déclaration {reply}",
        "reply_rejected": "{reply} refusée\u202f: {why}",
        "reply_drafted": "{reply} rédigée pour {detail}",
        "reply_approved": "{reply} approuvée",
        "reply_edited": "{reply} modifiée",
        "paged": "Astreinte appelée (niveau {detail})\u202f: {people} ({why})",
        "paging_acknowledged": "Appel pris en compte\u202f: {why}",
        "paging_stopped": "Appels arrêtés\u202f: {why}",
        "paging_superseded": "Appels remplacés\u202f: {why}",
        "paging_exhausted": "Appels épuisés\u202f: {why}",
        "deadline_breached": "Délai {detail} DÉPASSÉ",
        "mentions_attached": "{count} mention(s) rattachée(s)",
        "review_recorded": "Retour d'expérience consigné ({count} action(s))",
        "limitation_warning": "Alerte de prescription\u202f: {why}",
        "fact_set": "Fait établi\u202f: {detail}",
        "checked": "Fait\u202f: {detail}",
        "unchecked": "Décoché\u202f: {detail}",
        "signals_recorded": "Signaux\u202f: {detail}",
        "monitoring_short": "Stabilisé",
        "resolved_short": "Résolu",
    },
    "en": {
        "opened": "Incident opened at {severity_to}, level {level_to} ({why})",
        "opened_short": "Opened",
        "transition": "{trigger}: {state_from} → {state_to}",
        "escalated": "Escalated {level_from} → {level_to}: {why}",
        "escalated_short": "Escalated: {level_to}",
        "severity_changed": "Severity {severity_from} → {severity_to}: {why}",
        "reply_published": "{reply} published on {detail}",
        "reply_published_short": "Statement {reply}",
        "reply_rejected": "{reply} rejected: {why}",
        "reply_drafted": "{reply} drafted for {detail}",
        "reply_approved": "{reply} approved",
        "reply_edited": "{reply} edited",
        "paged": "On-call paged (level {detail}): {people} ({why})",
        "paging_acknowledged": "Page acknowledged: {why}",
        "paging_stopped": "Paging stopped: {why}",
        "paging_superseded": "Paging superseded: {why}",
        "paging_exhausted": "Paging exhausted: {why}",
        "deadline_breached": "Deadline {detail} BREACHED",
        "mentions_attached": "{count} mention(s) attached",
        "review_recorded": "Post-incident review recorded ({count} follow-up(s))",
        "limitation_warning": "Limitation warning: {why}",
        "fact_set": "Fact established: {detail}",
        "checked": "Done: {detail}",
        "unchecked": "Unticked: {detail}",
        "signals_recorded": "Signals: {detail}",
        "monitoring_short": "Stabilised",
        "resolved_short": "Resolved",
    },
}


def state_name(state: str | None, lang: str) -> str:
    if state is None:
        return ""
    return STATES.get(lang, STATES["en"]).get(state, state.replace("responding.", ""))


def describe(h: Happening, lang: str, *, short: bool = False) -> str:
    """One sentence (or, `short`, a chart label) for the event, in `lang` (French or English)."""
    says = SAYS.get(lang, SAYS["en"])
    key = h.kind
    if short:
        key = f"{h.state_to}_short" if h.kind == "transition" else f"{h.kind}_short"
    template = says.get(key) or says.get(h.kind)
    if template is None:
        return h.kind
    fields = {name: getattr(h, name) for name in ("trigger", "severity_from", "severity_to", "level_from", "level_to",
                                                  "why", "reply", "count", "detail")}
    fields.update(state_from=state_name(h.state_from, lang), state_to=state_name(h.state_to, lang),
                  trigger=TRIGGERS.get(lang, TRIGGERS["en"]).get(h.trigger or "", h.trigger or ""),
                  people=", ".join(h.people) or ("personne" if lang == "fr" else "nobody"))
    return template.format(**{k: "" if v is None else v for k, v in fields.items()})
