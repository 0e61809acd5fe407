"""Incidents as plain dicts (for --json) and as text for the terminal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crisis.playbook.durations import format_duration


def incident_summary(incident) -> dict[str, Any]:
    return {
        "ref": incident.ref, "title": incident.title, "playbook": incident.playbook_id, "state": incident.state,
        "severity": incident.severity, "level": incident.level, "brand": incident.brand, "channel": incident.channel,
        "is_drill": incident.is_drill, "opened_at": incident.opened_at.isoformat(), "opened_by": incident.opened_by,
    }


def incident_detail(session, incident, now: datetime, *, events: int = 8) -> dict[str, Any]:
    from crisis.incident.service import allowed_actions, pinned_playbook
    from crisis.incident.timeline import list_events

    playbook = pinned_playbook(session, incident)
    lang = incident.lang
    step = playbook.find_step(incident.state.split(".", 1)[1]) if incident.state.startswith("responding.") else None
    done = {(m.step_id, m.item_id): m for m in incident.marks}
    facts = {f.fact_id: f for f in incident.facts}
    return {
        **incident_summary(incident),
        "playbook_version": incident.playbook_version,
        "step": None if step is None else {
            "id": step.id, "title": step.title(lang), "number": playbook.steps.index(step) + 1, "of": len(playbook.steps),
            "reply": step.reply, "requires_facts": list(step.requires_facts),
            "checklist": [{"id": item.id, "label": item.label(lang), "done": (step.id, item.id) in done,
                           "by": done[(step.id, item.id)].done_by if (step.id, item.id) in done else None}
                          for item in step.checklist]},
        "deadlines": [{"deadline": d.name, "due_at": d.due_at.isoformat(), "status": d.status,
                       "seconds_left": int((d.due_at - now).total_seconds())} for d in incident.deadlines
                      if d.status in ("armed", "breached")],
        "facts": [{"id": fact.id, "ask": fact.ask(lang), "value": facts[fact.id].value if fact.id in facts else None}
                  for fact in playbook.facts],
        "review": None if incident.review is None else {
            "what_happened": incident.review.what_happened, "what_gained": incident.review.what_gained,
            "follow_ups": [{"action": f.action, "owner": f.owner, "due_on": f.due_on.isoformat()} for f in incident.review.follow_ups]},
        "events": [event_dict(e) for e in list_events(session, incident, last=events)],
        "notifications": _notifications(session, incident),
        "allowed": allowed_actions(session, incident),
    }


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


def event_dict(event) -> dict[str, Any]:
    return {"seq": event.seq, "at": event.at.isoformat(), "actor": event.actor, "kind": event.kind, "data": event.data, "hash": event.hash}


def describe_event(event: dict[str, Any]) -> str:
    """One line saying what an event recorded, in the trade's words."""
    d = event["data"]
    match event["kind"]:
        case "opened":
            return f"opened on {d['playbook']} at {d['severity']} ({d['severity_why']}), level {d['level']}" + (" [DRILL]" if d.get("is_drill") else "")
        case "transition":
            text = f"{d['trigger']}: {d['from']} → {d['to']}"
            for key, word in (("deadlines_met", "met"), ("deadlines_cancelled", "cancelled")):
                if d.get(key):
                    text += f"; {word}: {', '.join(d[key])}"
            return text + (f" — {d['note']}" if d.get("note") else "")
        case "escalated":
            return f"escalated {d['from']} → {d['to']}: {d['why']}"
        case "severity_changed":
            return f"severity {d['from']} → {d['to']}: {d['why']}"
        case "fact_set":
            return f"fact {d['fact']} = {d['value']}" + (f" (was {d['previous']})" if d.get("previous") is not None else "")
        case "checked" | "unchecked":
            return f"{event['kind']} {d['step']}.{d['item']}"
        case "deadline_breached":
            return f"deadline {d['deadline']} BREACHED (due {_hm(d['due_at'])})"
        case "deadline_armed":
            return "armed: " + ", ".join(f"{a['deadline']} due {_hm(a['due_at'])}" for a in d["deadlines_armed"])
        case "limitation_warning":
            return f"LEGAL LIMITATION WARNING: {d['note']}"
        case "review_recorded":
            return f"post-incident review recorded ({len(d['follow_ups'])} follow-ups)"
        case "mentions_attached":
            first = d["mentions"][0] if d["mentions"] else {}
            return f"{d['count']} mention(s) attached, e.g. {first.get('mention')} “{first.get('phrase')}” {first.get('score')}: {first.get('why')}"
        case "signals_recorded":
            changes = ", ".join(f"{k} {d['previous'].get(k)} → {v}" for k, v in d["signals"].items())
            return f"signals {changes} ({d['why']})"
        case "paged":
            people = ", ".join(f"{p['person']} ({'+'.join(p['channels'])})" for p in d["people"]) or "NOBODY"
            return f"paged level {d['level']}/{d['of']} of policy {d['policy']} (pass {d['round']}/{d['rounds']}): {people} — {d['cause']}"
        case "paging_acknowledged" | "paging_superseded" | "paging_stopped" | "paging_exhausted":
            return f"paging {event['kind'].split('_', 1)[1]} (policy {d['policy']}, level {d['level']}): {d['why']}"
        case "notification_sent":
            return f"notification #{d['notification']} {d['channel']} → {d['target']} delivered (attempt {d['attempt']})"
        case "notification_retry":
            return f"notification #{d['notification']} {d['channel']} → {d['target']} attempt {d['attempt']} failed: {d['error']}; retry at {_hm(d['next_attempt_at'])}"
        case "notification_failed":
            return f"notification #{d['notification']} {d['channel']} → {d['target']} FAILED after {d['attempt']} attempt(s): {d['error']}"
        case "reply_drafted":
            return f"{d['reply']} drafted: {d['template']} for {d['channel']} ({d['lang']}), sha256 {d['hash'][:12]}"
        case "reply_edited":
            return f"{d['reply']} edited, sha256 {d['hash'][:12]}"
        case "reply_approved":
            return f"{d['reply']} approved (written by {d['author']}; {d['rule']}), sha256 {d['hash'][:12]}"
        case "reply_rejected":
            return f"{d['reply']} rejected: {d['why']}"
        case "reply_published":
            met = f"; met: {', '.join(d['deadlines_met'])}" if d.get("deadlines_met") else ""
            return f"{d['reply']} PUBLISHED on {d['channel']} ({d['via']}), sha256 {d['hash'][:12]}{met}"
    return event["kind"]


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
            lines.append(f"    #{event['seq']:<3} {_hm(event['at'])}  {event['actor']:<10} {describe_event(event)}")
    lines.append(f"  allowed now: {', '.join(view['allowed']) or 'nothing (the incident is closed)'}")
    return "\n".join(lines)
