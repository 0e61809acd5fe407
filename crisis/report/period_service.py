"""Reading the incidents of a period, one aggregated row each (times from the timeline, in SQL)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from crisis.incident.models import Deadline, Event, FollowUpRow, Incident, Review
from crisis.report.period import IncidentLine, OpenFollowUp, PeriodReview, build_period_review


def period_review(session: Session, start: date, end: date, *, now: datetime, lang: str) -> PeriodReview:
    """The review of incidents opened from `start` to `end`, days included, against the period of the same length before."""
    length = end - start + timedelta(days=1)
    lines = incident_lines(session, start, end + timedelta(days=1))
    previous = incident_lines(session, start - length, start)
    due = session.execute(select(Incident.number, FollowUpRow.action, FollowUpRow.owner, FollowUpRow.due_on)
                          .join(Review, Review.id == FollowUpRow.review_id).join(Incident, Incident.id == Review.incident_id)
                          .where(Incident.is_drill.is_(False))
                          .order_by(FollowUpRow.due_on))
    follow_ups = [OpenFollowUp(f"INC-{n:04d}", action, owner, due_on, due_on < now.date()) for n, action, owner, due_on in due]
    return build_period_review(lines, previous, follow_ups, start=start, end=end, now=now, lang=lang)


def incident_lines(session: Session, start: date, stop: date) -> list[IncidentLine]:
    """One line per incident opened in [start, stop), with its key times computed by the database."""
    since, until = (datetime.combine(d, time(0), tzinfo=timezone.utc) for d in (start, stop))
    opened = and_(Incident.opened_at >= since, Incident.opened_at < until)
    trigger, to = Event.data["trigger"].as_string(), Event.data["to"].as_string()
    times = (select(Event.incident_id,
                    func.min(case((and_(Event.kind == "transition", trigger == "acknowledge"), Event.at))).label("acked"),
                    func.min(case((Event.kind == "reply_published", Event.at))).label("responded"),
                    func.min(case((and_(Event.kind == "transition", to == "resolved"), Event.at))).label("resolved"),
                    func.sum(case((Event.kind == "escalated", 1), else_=0)).label("escalations"))
             .join(Incident, Incident.id == Event.incident_id).where(opened)
             .where(Event.kind.in_(("transition", "reply_published", "escalated"))).group_by(Event.incident_id).subquery())
    settled = (select(Deadline.incident_id,
                      func.sum(case((Deadline.status == "met", 1), else_=0)).label("met"),
                      func.sum(case((Deadline.status == "breached", 1), else_=0)).label("breached"))
               .join(Incident, Incident.id == Deadline.incident_id).where(opened, Deadline.kind != "limitation")
               .group_by(Deadline.incident_id).subquery())
    rows = session.execute(
        select(Incident.number, Incident.playbook_id, Incident.severity, Incident.state, Incident.is_drill, Incident.opened_at,
               times.c.acked, times.c.responded, times.c.resolved, times.c.escalations, settled.c.met, settled.c.breached)
        .outerjoin(times, times.c.incident_id == Incident.id).outerjoin(settled, settled.c.incident_id == Incident.id)
        .where(opened).order_by(Incident.number))
    return [IncidentLine(f"INC-{number:04d}", playbook, severity, state, bool(drill), _utc(opened_at),
                         _since(opened_at, acked), _since(opened_at, responded), _since(opened_at, resolved), int(escalations or 0),
                         int(met or 0), int(breached or 0))
            for number, playbook, severity, state, drill, opened_at, acked, responded, resolved, escalations, met, breached in rows]


def _utc(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite hands an aggregate's time back as text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _since(opened_at: datetime, at: datetime | str | None) -> int | None:
    return None if at is None else int((_utc(at) - _utc(opened_at)).total_seconds())
