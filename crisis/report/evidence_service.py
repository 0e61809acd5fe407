"""Gathering an incident's evidence pack from the database: timeline, mentions as ingested, replies, review."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisis.incident.service import get_incident
from crisis.replies.models import Reply
from crisis.report.render import render_template
from crisis.report.service import canonical, event_records, original_record
from crisis.triage.models import MentionMatch, MentionRow


def evidence_files(session: Session, ref: str, *, now: datetime, lang: str) -> dict[str, bytes]:
    """The pack's files by name (the manifest is added when written). Raises NotFoundError."""
    incident = get_incident(session, ref)
    events = [{"seq": e.seq, "at": e.at.isoformat(timespec="microseconds"), "actor": e.actor, "kind": e.kind, "data": e.data,
               "prev_hash": e.prev_hash, "hash": e.hash} for e in event_records(session, incident)]
    mentions = session.scalars(select(MentionRow).join(MentionMatch, MentionMatch.mention_id == MentionRow.id)
                               .where(MentionMatch.incident_id == incident.id).order_by(MentionRow.created_at, MentionRow.id))
    replies = [_published(r) for r in session.scalars(select(Reply).where(Reply.incident_id == incident.id, Reply.status == "published")
                                                      .order_by(Reply.number))]
    review: dict[str, Any] | None = None
    if incident.review is not None:
        review = {"what_happened": incident.review.what_happened, "what_gained": incident.review.what_gained,
                  "author": incident.review.author, "recorded_at": incident.review.recorded_at.isoformat(),
                  "follow_ups": [{"action": f.action, "owner": f.owner, "due_on": f.due_on.isoformat()} for f in incident.review.follow_ups]}
    summary = {"ref": incident.ref, "title": incident.title, "playbook": incident.playbook_id, "playbook_version": incident.playbook_version,
               "brand": incident.brand, "severity": incident.severity, "state": incident.state, "is_drill": incident.is_drill,
               "opened_at": incident.opened_at.isoformat(), "exported_at": now.isoformat()}
    lines = "".join(canonical(original_record(m)) + "\n" for m in mentions)
    return {
        "incident.json": _json(summary),
        "timeline.json": _json({"ref": incident.ref, "head_hash": incident.head_hash, "events": events}),
        "mentions.jsonl": lines.encode(),
        "replies.json": _json(replies),
        "review.json": _json(review),
        "README.md": render_template(f"evidence_readme.{'fr' if lang == 'fr' else 'en'}.md.j2", ref=incident.ref,
                                     head=incident.head_hash, events=len(events), exported_at=now).encode(),
    }


def _published(r: Reply) -> dict[str, Any]:
    return {"reply": r.label, "channel": r.channel, "lang": r.lang, "text": r.text, "sha256": r.text_hash, "author": r.author,
            "approved_by": r.decided_by, "published_by": r.published_by, "published_at": r.published_at.isoformat() if r.published_at else None,
            "published_via": r.published_via, "template": r.template}


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()
