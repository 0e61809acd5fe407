"""The incident's story: one sentence per timeline event, in French or English. `crisis show`, `crisis timeline`,
reports and drill scorecards all tell it from here (pure: it reads typed events, nothing else)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from crisis.incident import events as ev


def describe(event: ev.TimelineEvent, lang: str = "en") -> str:
    """One sentence saying what an event recorded, in the trade's words, in French or English."""
    words = _SENTENCES.get(type(event))
    if words is None:
        return getattr(event, "name", None) or event.kind
    return words[0 if lang == "fr" else 1](event)


def _hm(at: datetime | str | None) -> str:
    if at is None:
        return "—"
    instant = datetime.fromisoformat(at) if isinstance(at, str) else at
    return instant.strftime("%Y-%m-%d %H:%M UTC")


def _list(items: list[str]) -> str:
    return ", ".join(items)


def _transition(e: ev.Transition, fr: bool) -> str:
    text = f"{e.trigger} : {e.from_} → {e.to}" if fr else f"{e.trigger}: {e.from_} → {e.to}"
    for names, word in ((e.deadlines_met, ("tenus", "met")), (e.deadlines_cancelled, ("annulés", "cancelled"))):
        if names:
            text += f" ; {word[0]} : {_list(names)}" if fr else f"; {word[1]}: {_list(names)}"
    return text + (f" — {e.note}" if e.note else "")


def _attached(e: ev.MentionsAttached, fr: bool) -> str:
    first = e.mentions[0] if e.mentions else {}
    words = first.get("words") or first.get("phrase")  # events before clause labels carried the clause's text
    quoted = f"«\u00a0{words}\u00a0»" if fr else f"“{words}”"
    label = f"{first['clause']}, " if first.get("clause") else ""
    sep = "\u00a0:" if fr else ":"
    example = f"{first.get('mention')} {quoted} ({label}score {first.get('score')}){sep} {first.get('why')}"
    return f"{e.count} mention(s) rattachée(s), p. ex. {example}" if fr else f"{e.count} mention(s) attached, e.g. {example}"


def _signals(e: ev.SignalsRecorded, fr: bool) -> str:
    changes = ", ".join(f"{k} {e.previous.get(k)} → {v}" for k, v in e.signals.items())
    return f"signaux {changes} ({e.why})" if fr else f"signals {changes} ({e.why})"


def _paged(e: ev.Paged, fr: bool) -> str:
    people = ", ".join(f"{p['person']} ({'+'.join(p['channels'])})" for p in e.people) or ("PERSONNE" if fr else "NOBODY")
    if fr:
        return f"appel du niveau {e.level}/{e.of} de la politique {e.policy} (passage {e.round}/{e.rounds}) : {people} — {e.cause}"
    return f"paged level {e.level}/{e.of} of policy {e.policy} (pass {e.round}/{e.rounds}): {people} — {e.cause}"


_PAGING_FR = {"acknowledged": "acquitté", "superseded": "remplacé", "stopped": "arrêté", "exhausted": "épuisé"}


def _paging_closed(e: ev.PagingClosed, fr: bool) -> str:
    if fr:
        return f"appel {_PAGING_FR[e.outcome]} (politique {e.policy}, niveau {e.level}) : {e.why}"
    return f"paging {e.outcome} (policy {e.policy}, level {e.level}): {e.why}"


def _notification(e: ev.NotificationOutcome, fr: bool) -> str:
    head = f"notification #{e.notification} {e.channel} → {e.target}"
    if isinstance(e, ev.NotificationSent):
        return f"{head} remise (tentative {e.attempt})" if fr else f"{head} delivered (attempt {e.attempt})"
    if isinstance(e, ev.NotificationRetry):
        return (f"{head} tentative {e.attempt} échouée : {e.error} ; nouvel essai à {_hm(e.next_attempt_at)}" if fr
                else f"{head} attempt {e.attempt} failed: {e.error}; retry at {_hm(e.next_attempt_at)}")
    return f"{head} ÉCHEC après {e.attempt} tentative(s) : {e.error}" if fr else f"{head} FAILED after {e.attempt} attempt(s): {e.error}"


def _published(e: ev.ReplyPublished, fr: bool) -> str:
    met = (f" ; tenus : {_list(e.deadlines_met)}" if fr else f"; met: {_list(e.deadlines_met)}") if e.deadlines_met else ""
    return (f"{e.reply} PUBLIÉE sur {e.channel} ({e.via}), sha256 {e.hash[:12]}{met}" if fr
            else f"{e.reply} PUBLISHED on {e.channel} ({e.via}), sha256 {e.hash[:12]}{met}")


def _both(function: Callable[[Any, bool], str]) -> tuple[Callable[[Any], str], Callable[[Any], str]]:
    return (lambda e: function(e, True)), (lambda e: function(e, False))


_SENTENCES: dict[type, tuple[Callable[[Any], str], Callable[[Any], str]]] = {
    ev.Opened: (lambda e: f"ouvert sur {e.playbook} en {e.severity} ({e.severity_why}), niveau {e.level}" + (" [EXERCICE]" if e.is_drill else ""),
                lambda e: f"opened on {e.playbook} at {e.severity} ({e.severity_why}), level {e.level}" + (" [DRILL]" if e.is_drill else "")),
    ev.Transition: _both(_transition),
    ev.Escalated: (lambda e: f"escalade {e.from_} → {e.to} : {e.why}", lambda e: f"escalated {e.from_} → {e.to}: {e.why}"),
    ev.SeverityChanged: (lambda e: f"gravité {e.from_} → {e.to} : {e.why}", lambda e: f"severity {e.from_} → {e.to}: {e.why}"),
    ev.FactSet: (lambda e: f"fait {e.fact} = {e.value}" + (f" (avant : {e.previous})" if e.previous is not None else ""),
                 lambda e: f"fact {e.fact} = {e.value}" + (f" (was {e.previous})" if e.previous is not None else "")),
    ev.Checked: (lambda e: f"coché {e.step}.{e.item}", lambda e: f"checked {e.step}.{e.item}"),
    ev.Unchecked: (lambda e: f"décoché {e.step}.{e.item}", lambda e: f"unchecked {e.step}.{e.item}"),
    ev.DeadlineBreached: (lambda e: f"échéance {e.deadline} DÉPASSÉE (prévue {_hm(e.due_at)})",
                          lambda e: f"deadline {e.deadline} BREACHED (due {_hm(e.due_at)})"),
    ev.DeadlineArmed: (lambda e: "armée : " + _list([f"{a['deadline']} pour {_hm(a['due_at'])}" for a in e.deadlines_armed]),
                       lambda e: "armed: " + _list([f"{a['deadline']} due {_hm(a['due_at'])}" for a in e.deadlines_armed])),
    ev.LimitationWarning: (lambda e: f"ALERTE PRESCRIPTION : {e.note}", lambda e: f"LEGAL LIMITATION WARNING: {e.note}"),
    ev.ReviewRecorded: (lambda e: f"retour d'expérience enregistré ({len(e.follow_ups)} actions de suivi)",
                        lambda e: f"post-incident review recorded ({len(e.follow_ups)} follow-ups)"),
    ev.MentionsAttached: _both(_attached),
    ev.SignalsRecorded: _both(_signals),
    ev.Paged: _both(_paged),
    **{cls: _both(_paging_closed) for cls in ev.PAGING_CLOSED.values()},
    **{cls: _both(_notification) for cls in (ev.NotificationSent, ev.NotificationRetry, ev.NotificationFailed)},
    ev.ReplyDrafted: (lambda e: f"{e.reply} rédigée : {e.template} pour {e.channel} ({e.lang}), sha256 {e.hash[:12]}",
                      lambda e: f"{e.reply} drafted: {e.template} for {e.channel} ({e.lang}), sha256 {e.hash[:12]}"),
    ev.ReplyEdited: (lambda e: f"{e.reply} modifiée, sha256 {e.hash[:12]}", lambda e: f"{e.reply} edited, sha256 {e.hash[:12]}"),
    ev.ReplyApproved: (lambda e: f"{e.reply} approuvée (rédigée par {e.author} ; {e.rule}), sha256 {e.hash[:12]}",
                       lambda e: f"{e.reply} approved (written by {e.author}; {e.rule}), sha256 {e.hash[:12]}"),
    ev.ReplyEndorsed: (lambda e: f"{e.reply} approuvée en partie ({e.rule}) ; il manque : {_list(e.missing)}",
                       lambda e: f"{e.reply} endorsed ({e.rule}); still needed: {_list(e.missing)}"),
    ev.ReplyRejected: (lambda e: f"{e.reply} refusée : {e.why}", lambda e: f"{e.reply} rejected: {e.why}"),
    ev.ReplyPublished: _both(_published),
    ev.DrillDecided: (lambda e: f"[EXERCICE] décision {e.point} : {e.option}" + (" (par défaut, échéance passée)" if e.by_default else ""),
                      lambda e: f"[DRILL] decision {e.point}: {e.option}" + (" (default, deadline passed)" if e.by_default else "")),
    ev.DrillAnswered: (lambda e: f"[EXERCICE] réponse à {e.persona} ({e.channel})", lambda e: f"[DRILL] answered {e.persona} ({e.channel})"),
    ev.DrillMessageRemoved: (lambda e: f"[EXERCICE] message de {e.persona} {'supprimé' if e.how == 'delete' else 'masqué'}"
                             + (" : c'est une critique" if e.critic else ""),
                             lambda e: f"[DRILL] {e.persona}'s message {'deleted' if e.how == 'delete' else 'hidden'}"
                             + (": a critic's" if e.critic else "")),
    ev.DrillMoveRefused: (lambda e: f"[EXERCICE] {e.move} refusé : {e.reason}", lambda e: f"[DRILL] {e.move} refused: {e.reason}"),
    ev.DrillToneNoted: (lambda e: f"[EXERCICE] ton {e.tone} relevé" + (f" ({e.breach})" if e.breach else ""),
                        lambda e: f"[DRILL] {e.tone} tone noted" + (f" ({e.breach})" if e.breach else "")),
}
