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


def _hm(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")


def time_left(seconds: int) -> str:
    from datetime import timedelta

    delta = timedelta(seconds=seconds)
    return f"{format_duration(delta)} left" if seconds >= 0 else f"OVERDUE by {format_duration(-delta)}"


def show_text(view: dict[str, Any]) -> str:
    lines = [f"{view['ref']}  {view['title']}" + ("  [DRILL]" if view["is_drill"] else ""),
             f"  playbook   {view['playbook']} (version {view['playbook_version']})",
             f"  state      {view['state']}"]
    if view["step"]:
        s = view["step"]
        lines[-1] += f"  — step {s['number']}/{s['of']}: {s['title']}"
    lines.append(f"  severity   {view['severity']}   escalation level: {view['level']}")
    lines.append(f"  opened     {_hm(view['opened_at'])} by {view['opened_by']}"
                 + (f"   brand: {view['brand']}" if view["brand"] else "") + (f"   channel: {view['channel']}" if view["channel"] else ""))
    if view["deadlines"]:
        lines.append("  deadlines")
        for d in view["deadlines"]:
            state = "BREACHED" if d["status"] == "breached" else time_left(d["seconds_left"])
            lines.append(f"    {d['deadline']:<22} due {_hm(d['due_at'])}   {state}")
    if view["step"] and view["step"]["checklist"]:
        lines.append(f"  checklist of {view['step']['id']}  (crisis check {view['ref']} ITEM)")
        for item in view["step"]["checklist"]:
            mark = "[x]" if item["done"] else "[ ]"
            lines.append(f"    {mark} {item['id']:<26} {item['label']}" + (f"  ({item['by']})" if item["by"] else ""))
    if view["facts"]:
        lines.append(f"  facts  (crisis fact {view['ref']} KEY VALUE)")
        for fact in view["facts"]:
            value = "—" if fact["value"] is None else fact["value"]
            lines.append(f"    {fact['id']:<26} {value!s:<14} {fact['ask']}")
    if view["review"]:
        lines.append(f"  review     {len(view['review']['follow_ups'])} follow-ups recorded")
    notes = view.get("notifications")
    if notes and (notes["pending"] or notes["sent"] or notes["failed"]):
        lines.append(f"  pages      {notes['sent']} delivered, {notes['pending']} pending, {len(notes['failed'])} FAILED"
                     + (f"  (crisis oncall outbox --ref {view['ref']})" if notes["failed"] else ""))
        for n in notes["failed"]:
            lines.append(f"    FAILED #{n['id']} {n['channel']} → {n['target']} after {n['attempts']} attempt(s): {n['last_error']}")
    if view["events"]:
        lines.append("  last events")
        for event in view["events"]:
            lines.append(f"    #{event['seq']:<3} {_hm(event['at'])}  {event['actor']:<10} {event['says']}")
    lines.append(f"  allowed now: {', '.join(view['allowed']) or 'nothing (the incident is closed)'}")
    return "\n".join(lines)
