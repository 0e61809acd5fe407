"""The volume watch: each playbook's matches of the last complete hour against their baseline, as `crisis ingest`
and `crisis tick` run it. A crisis spike opens (or raises) the brand's incident; every alert is kept, once an hour.
Like every service it never commits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisis.clock import Clock
from crisis.incident import service as incidents
from crisis.incident.deadlines import FINAL_STATES
from crisis.incident.models import Incident
from crisis.playbook.model import Playbook
from crisis.triage.models import MentionMatch, SpikeAlert
from crisis.triage.spikes import HISTORY, HOUR, SpikeRule, check_spike, hourly_counts

if TYPE_CHECKING:
    from crisis.triage.service import Tally

SPIKE_TITLE = {"fr": "pic de volume ({count} mentions dans l'heure)", "en": "volume spike ({count} mentions in the hour)"}


def spike_brands(session: Session, clock: Clock) -> list[str | None]:
    """The brands with matching mentions in the spike detector's history window (None: mentions of no brand)."""
    since = clock.now() - HISTORY * HOUR
    return sorted(session.scalars(select(MentionMatch.brand).distinct().where(MentionMatch.created_at >= since,
                                                                              MentionMatch.is_drill.is_(False))),
                  key=lambda brand: (brand is not None, brand or ""))


def check_spikes(session: Session, clock: Clock, actor: str, *, playbooks: Mapping[str, Playbook], brand: str | None,
                 rule: SpikeRule, tally: Tally, lang: str = "en") -> None:
    """Compare the last complete hour of each playbook's matches with its baseline; a crisis spike raises severity
    (announced: paging reacts). A drill's matches count in neither: a rehearsed ramp never opens a real incident.

    Reads only `clock`; an alert is raised at most once per hour and never within the cool-down.
    """
    now = clock.now()
    hour_at = now.replace(minute=0, second=0, microsecond=0) - HOUR
    first = hour_at - (HISTORY - 1) * HOUR
    for playbook_id, playbook in sorted(playbooks.items()):
        brand_is = MentionMatch.brand.is_(None) if brand is None else MentionMatch.brand == brand
        rows = session.execute(select(MentionMatch.created_at, MentionMatch.sentiment).where(
            MentionMatch.playbook_id == playbook_id, brand_is, MentionMatch.is_drill.is_(False), MentionMatch.created_at >= first,
            MentionMatch.created_at < hour_at + HOUR)).all()
        if not rows:
            continue
        counts = hourly_counts((r[0] for r in rows), last_hour=hour_at)
        positives = hourly_counts((r[0] for r in rows if r[1] == "positive"), last_hour=hour_at)
        alert_brand = SpikeAlert.brand.is_(None) if brand is None else SpikeAlert.brand == brand
        last = session.scalar(select(func.max(SpikeAlert.hour_at)).where(SpikeAlert.playbook_id == playbook_id, alert_brand))
        if last is not None and last >= hour_at:
            continue  # already judged this hour
        spike = check_spike(counts, hour_at=hour_at, rule=rule, positives=positives, last_alert_at=last)
        if spike is None:
            continue
        incident = _spike_incident(session, clock, actor, playbook, brand, spike, lang, tally) if spike.crisis else None
        session.add(SpikeAlert(brand=brand, playbook_id=playbook_id, hour_at=hour_at, count=spike.count, why=spike.why,
                               crisis=spike.crisis, raised_at=now, incident_id=incident.id if incident else None))
        tally.spikes.append(f"{playbook_id} at {hour_at:%Y-%m-%d %H:00} UTC: {spike.why}" + (f" ({incident.ref})" if incident else ""))


def _spike_incident(session: Session, clock: Clock, actor: str, playbook: Playbook, brand: str | None, spike,
                    lang: str, tally: Tally) -> Incident:
    """The open incident the spike concerns (opened if none), one severity higher."""
    query = select(Incident).where(Incident.playbook_id == playbook.id, Incident.state.not_in(FINAL_STATES),
                                   Incident.is_drill.is_(False), Incident.brand.is_(None) if brand is None
                                   else Incident.brand == brand).order_by(Incident.number.desc())
    incident = session.scalars(query).first()
    if incident is None:
        what = SPIKE_TITLE.get(lang, SPIKE_TITLE["en"]).format(count=spike.count)
        incident = incidents.open_incident(session, clock, actor, playbook, brand=brand, lang=lang, title=f"{playbook.title(lang)}: {what}",
                                           signals={"mentions_per_hour": spike.count})
        tally.opened.append(incident.ref)
    return incidents.raise_severity(session, clock, actor, incident.ref, why=spike.why)
