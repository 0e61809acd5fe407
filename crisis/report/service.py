"""Reading one incident's report inputs from the database; the mention volume is aggregated in SQL."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crisis.incident.models import Event, Incident
from crisis.incident.service import get_incident, pinned_playbook
from crisis.incident.timeline import verify_chain
from crisis.replies.models import Reply
from crisis.report.build import EVIDENCE_SHOWN, IncidentReport, build_incident_report
from crisis.report.records import (AuthorReach, DeadlineRecord, EventRecord, FollowUpRecord, IncidentInputs, IncidentRecord,
                                   LegalRule, MentionRecord, PersonRecord, ReplyRecord, ReviewRecord, SpikeRecord, VolumeBucket)
from crisis.triage.models import MentionMatch, MentionRow, SpikeAlert
from crisis.triage.spikes import BASELINE, HISTORY, HOUR

if TYPE_CHECKING:
    from crisis.oncall.roster import Roster

PRESS_PLATFORMS = ("press", "news", "media", "blog")  # as triage counts a press pick-up
TOP_AUTHORS = 10
PRESS_SHOWN = 50  # the first pick-ups; the count says how many more


def incident_report(session: Session, ref: str, *, now: datetime, lang: str | None = None, full: bool = False,
                    show_rejected: bool = False, roster: Roster | None = None) -> IncidentReport:
    """The report of incident `ref` as the database holds it now. Raises NotFoundError."""
    return build_incident_report(incident_inputs(session, ref, roster=roster, evidence_limit=None if full else EVIDENCE_SHOWN, lang=lang),
                                 now=now, lang=lang, full=full, show_rejected=show_rejected)


def incident_inputs(session: Session, ref: str, *, roster: Roster | None = None, evidence_limit: int | None = None,
                    lang: str | None = None) -> IncidentInputs:
    """Every record the report of `ref` reads. Raises NotFoundError."""
    incident = get_incident(session, ref)
    playbook = pinned_playbook(session, incident)
    attached = MentionMatch.incident_id == incident.id
    count, first_at = session.execute(select(func.count(), func.min(MentionMatch.created_at)).where(attached)).one()
    rule = playbook.limitation
    breaks = verify_chain(session, incident)
    return IncidentInputs(
        incident=IncidentRecord(incident.ref, incident.title, incident.playbook_id, playbook.title(incident.lang), incident.playbook_version,
                                incident.brand, incident.channel, incident.lang, incident.severity, incident.level,
                                tuple(playbook.escalation_levels), incident.state, incident.is_drill, incident.opened_at,
                                incident.opened_by, incident.head_hash),
        events=tuple(event_records(session, incident)),
        volume=tuple(hourly_volume(session, incident.id)),
        mention_count=count, first_mention_at=_aware(first_at),
        top_authors=tuple(AuthorReach(*row) for row in session.execute(
            select(MentionRow.author, MentionRow.platform, func.max(MentionRow.author_followers), func.count())
            .join(MentionMatch, MentionMatch.mention_id == MentionRow.id).where(attached, MentionRow.author.is_not(None))
            .group_by(MentionRow.author, MentionRow.platform)
            .order_by(func.max(MentionRow.author_followers).desc().nulls_last(), func.count().desc()).limit(TOP_AUTHORS))),
        press=tuple(mention_records(session, incident.id, press_only=True, limit=PRESS_SHOWN)),
        press_count=session.scalar(select(func.count()).select_from(MentionMatch).join(MentionRow, MentionRow.id == MentionMatch.mention_id)
                                   .where(attached, MentionRow.platform.in_(PRESS_PLATFORMS))) or 0,
        evidence=tuple(mention_records(session, incident.id, limit=evidence_limit)),
        replies=tuple(_reply(r) for r in session.scalars(select(Reply).where(Reply.incident_id == incident.id).order_by(Reply.number))),
        deadlines=tuple(DeadlineRecord(d.name, d.kind, d.armed_at, d.due_at, d.status, d.closed_at) for d in incident.deadlines),
        review=None if incident.review is None else ReviewRecord(
            incident.review.what_happened, incident.review.what_gained, incident.review.author, incident.review.recorded_at,
            tuple(FollowUpRecord(f.action, f.owner, f.due_on) for f in incident.review.follow_ups)),
        spikes=tuple(SpikeRecord(s.hour_at, s.count, s.why, spike_baseline(session, s)) for s in session.scalars(
            select(SpikeAlert).where(SpikeAlert.incident_id == incident.id).order_by(SpikeAlert.hour_at))),
        legal=LegalRule(rule.period, rule.warn_before, rule.note(lang or incident.lang)) if rule else None,
        people=tuple(PersonRecord(p.id, p.name, tuple(p.roles)) for p in roster.people) if roster else (),
        chain_break=None if breaks is None else str(breaks))


def event_records(session: Session, incident: Incident) -> list[EventRecord]:
    """The incident's timeline in order, with each event's hash and its predecessor's."""
    rows = session.execute(select(Event.seq, Event.at, Event.actor, Event.kind, Event.data, Event.hash, Event.prev_hash)
                           .where(Event.incident_id == incident.id).order_by(Event.seq))
    return [EventRecord(*row) for row in rows]


def spike_baseline(session: Session, alert: SpikeAlert) -> float:
    """The mean mentions per hour of the 7 days the spike detector compared the alert's hour with (empty hours count;
    a drill's mentions do not, as for the detector)."""
    start = alert.hour_at - (HISTORY - 1) * HOUR
    brand_is = MentionMatch.brand.is_(None) if alert.brand is None else MentionMatch.brand == alert.brand
    count = session.scalar(select(func.count()).select_from(MentionMatch).where(
        MentionMatch.playbook_id == alert.playbook_id, brand_is, MentionMatch.is_drill.is_(False), MentionMatch.created_at >= start,
        MentionMatch.created_at < start + BASELINE * HOUR))
    return round((count or 0) / BASELINE, 2)


def hour_of(session: Session, column: Any) -> Any:
    """The SQL expression of `column` cut to its UTC hour, on SQLite or PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m-%d %H:00:00", column)
    return func.date_trunc("hour", func.timezone("UTC", column))


def hourly_volume(session: Session, incident_id: int) -> list[VolumeBucket]:
    """The incident's mentions per hour and platform, negative apart: one GROUP BY in the database."""
    hour = hour_of(session, MentionMatch.created_at).label("hour")
    negative = func.sum(case((MentionMatch.sentiment == "negative", 1), else_=0))
    rows = session.execute(select(hour, MentionRow.platform, negative, func.count())
                           .join(MentionRow, MentionRow.id == MentionMatch.mention_id)
                           .where(MentionMatch.incident_id == incident_id).group_by(hour, MentionRow.platform).order_by(hour))
    return [VolumeBucket(_hour(h), platform, int(neg or 0), int(total) - int(neg or 0)) for h, platform, neg, total in rows]


def mention_records(session: Session, incident_id: int, *, press_only: bool = False, limit: int | None = None) -> list[MentionRecord]:
    """The incident's mentions as ingested, oldest first, each with the SHA-256 of its original record."""
    query = (select(MentionRow).join(MentionMatch, MentionMatch.mention_id == MentionRow.id)
             .where(MentionMatch.incident_id == incident_id).order_by(MentionRow.created_at, MentionRow.id))
    if press_only:
        query = query.where(MentionRow.platform.in_(PRESS_PLATFORMS))
    if limit is not None:
        query = query.limit(limit)
    return [MentionRecord(m.platform, m.source_id, m.author, m.author_followers, m.text, m.url, m.created_at, m.ingested_at,
                          hashlib.sha256(canonical(original_record(m)).encode()).hexdigest()) for m in session.scalars(query)]


def original_record(m: MentionRow) -> dict[str, Any]:
    """The mention's fields as they were ingested (what the evidence pack keeps and hashes)."""
    return {"platform": m.platform, "source_id": m.source_id, "brand": m.brand, "text": m.text, "created_at": m.created_at.isoformat(),
            "author": m.author, "author_followers": m.author_followers, "url": m.url, "rating": m.rating, "lang": m.lang,
            "own_account": m.own_account, "thread_id": m.thread_id, "in_reply_to": m.in_reply_to, "sentiment": m.sentiment,
            "ingested_at": m.ingested_at.isoformat()}


def canonical(data: Any) -> str:
    """Compact JSON with sorted keys: the same record always hashes the same."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _reply(r: Reply) -> ReplyRecord:
    return ReplyRecord(r.label, r.channel, r.lang, r.text, r.text_hash, r.status, r.author, r.decided_by if r.status != "rejected" else None,
                       r.published_by, r.published_at, r.rejected_why)


def _hour(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else _hour(value)
