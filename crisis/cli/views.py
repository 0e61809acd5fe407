"""How `show` and the outbox print: the incident's read model (crisis.incident.story) as text for the terminal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crisis.playbook.durations import format_duration


def incident_detail(session, incident, now: datetime) -> dict[str, Any]:
    """The incident's read model (crisis.incident.story) and its pages from the outbox."""
    from crisis.incident.detail import incident_detail as story_detail

    return {**story_detail(session, incident, now), "notifications": _notifications(session, incident)}


def _notifications(session, incident) -> dict[str, Any]:
    from crisis.outbox.queue import list_notifications

    rows = list_notifications(session, incident_id=incident.id)
    return {"pending": sum(n.status == "pending" for n in rows), "sent": sum(n.status == "sent" for n in rows),
            "failed": [notification_dict(n) for n in rows if n.status == "failed"]}


def notification_dict(notification) -> dict[str, Any]:
    from crisis.incident.models import format_ref
    from crisis.outbox.urls import redact_url

    n = notification
    return {"id": n.id, "ref": format_ref(n.incident.number) if getattr(n, "incident", None) else None, "kind": n.kind,
            "channel": n.channel, "target": redact_url(n.target) if n.channel == "webhook" else n.target, "person": n.person_id, "subject": n.subject, "status": n.status,
            "attempts": n.attempts, "is_drill": n.is_drill, "idempotency_key": n.idempotency_key,
            "created_at": n.created_at.isoformat(), "next_attempt_at": n.next_attempt_at.isoformat() if n.status == "pending" else None,
            "sent_at": n.sent_at.isoformat() if n.sent_at else None, "last_error": n.last_error}


LABELS = {
    "en": {"playbook": "playbook", "version": "version", "state": "state", "step": "step", "severity": "severity",
           "level": "escalation level", "opened": "opened", "by": "by", "brand": "brand", "channel": "channel",
           "deadlines": "deadlines", "due": "due", "breached": "BREACHED {late} ago", "left": "{left} left",
           "overdue": "OVERDUE by {late}", "checklist": "checklist of", "facts": "facts", "review": "review",
           "follow_ups": "follow-ups recorded", "pages": "pages", "delivered": "delivered", "pending": "pending",
           "failed": "FAILED", "events": "last events", "allowed": "allowed now:", "waiting": "waiting for:",
           "closed": "nothing: the incident is {state}", "none": "no lifecycle action until what it waits for is done",
           "drill": "[DRILL]", "yes": "yes", "no": "no", "after": "after {n} attempt(s)"},
    "fr": {"playbook": "playbook", "version": "version", "state": "état", "step": "étape", "severity": "gravité",
           "level": "niveau d'escalade", "opened": "ouvert", "by": "par", "brand": "marque", "channel": "canal",
           "deadlines": "échéances", "due": "pour", "breached": "DÉPASSÉE depuis {late}", "left": "reste {left}",
           "overdue": "EN RETARD de {late}", "checklist": "liste de", "facts": "faits", "review": "retour d'expérience",
           "follow_ups": "actions de suivi enregistrées", "pages": "appels", "delivered": "remis", "pending": "en attente",
           "failed": "ÉCHEC", "events": "derniers événements", "allowed": "possible maintenant :", "waiting": "en attente de :",
           "closed": "rien : l'incident est {state}", "none": "aucune action du cycle de vie avant ce qui est attendu",
           "drill": "[EXERCICE]", "yes": "oui", "no": "non", "after": "après {n} tentative(s)"},
}


def local(iso: str, zone: str) -> str:
    """An instant in the workspace's time zone, with its abbreviation (UTC is kept in --json)."""
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def _value(value: Any, words: dict[str, str]) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return words["yes"] if value else words["no"]
    return str(value)


def show_text(view: dict[str, Any], *, zone: str = "UTC", lang: str = "en") -> str:
    """`crisis show` for a person: in the workspace's language and time zone, ending with what to do now."""
    w = LABELS.get(lang, LABELS["en"])
    lines = [f"{view['ref']}  {view['title']}" + (f"  {w['drill']}" if view["is_drill"] else ""),
             f"  {w['playbook']:<10} {view['playbook']} ({w['version']} {view['playbook_version']})",
             f"  {w['state']:<10} {view['state']}"]
    if view["step"]:
        s = view["step"]
        lines[-1] += f"  — {w['step']} {s['number']}/{s['of']}: {s['title']}"
    lines.append(f"  {w['severity']:<10} {view['severity']}   {w['level']}: {view['level']}")
    lines.append(f"  {w['opened']:<10} {local(view['opened_at'], zone)} {w['by']} {view['opened_by']}"
                 + (f"   {w['brand']}: {view['brand']}" if view["brand"] else "") + (f"   {w['channel']}: {view['channel']}" if view["channel"] else ""))
    if view["deadlines"]:
        lines.append(f"  {w['deadlines']}")
        for d in view["deadlines"]:
            lines.append(f"    {d['deadline']:<22} {w['due']} {local(d['due_at'], zone)}   {_deadline_state(d, w)}")
    if view["step"] and view["step"]["checklist"]:
        lines.append(f"  {w['checklist']} {view['step']['id']}  (crisis check {view['ref']} ITEM)")
        for item in view["step"]["checklist"]:
            mark = "[x]" if item["done"] else "[ ]"
            lines.append(f"    {mark} {item['id']:<26} {item['label']}" + (f"  ({item['by']})" if item["by"] else ""))
    if view["facts"]:
        lines.append(f"  {w['facts']}  (crisis fact {view['ref']} KEY VALUE)")
        for fact in view["facts"]:
            lines.append(f"    {fact['id']:<26} {_value(fact['value'], w):<14} {fact['ask']}")
    if view["review"]:
        lines.append(f"  {w['review']}  {len(view['review']['follow_ups'])} {w['follow_ups']}")
    notes = view.get("notifications")
    if notes and (notes["pending"] or notes["sent"] or notes["failed"]):
        lines.append(f"  {w['pages']:<10} {notes['sent']} {w['delivered']}, {notes['pending']} {w['pending']}, {len(notes['failed'])} {w['failed']}"
                     + (f"  (crisis oncall outbox --ref {view['ref']})" if notes["failed"] else ""))
        for n in notes["failed"]:
            lines.append(f"    {w['failed']} #{n['id']} {n['channel']} → {n['target']} {w['after'].format(n=n['attempts'])}: {n['last_error']}")
    if view["events"]:
        lines.append(f"  {w['events']}")
        for event in view["events"]:
            lines.append(f"    #{event['seq']:<3} {local(event['at'], zone)}  {event['actor']:<10} {event['says']}")
    if view.get("waiting_for"):
        lines.append(f"  {w['waiting']}")
        lines += [f"    - {want}" for want in view["waiting_for"]]
    final = view["state"] in ("closed", "dismissed")
    lines.append(f"  {w['allowed']} " + (", ".join(view["allowed"]) or (w["closed"].format(state=view["state"]) if final else w["none"])))
    return "\n".join(lines)


def _deadline_state(deadline: dict[str, Any], w: dict[str, str]) -> str:
    from datetime import timedelta

    seconds = deadline["seconds_left"]
    late = format_duration(timedelta(seconds=abs(seconds)))
    if deadline["status"] == "breached":
        return w["breached"].format(late=late)
    return w["left"].format(left=late) if seconds >= 0 else w["overdue"].format(late=late)
