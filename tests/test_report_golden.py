"""Golden Markdown reports from fixed records: a change in wording or figures shows as a diff to review.

Regenerate after an intended change with: CRISIS_REGEN_GOLDEN=1 pytest tests/test_report_golden.py
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from crisis.incident.chain import GENESIS, event_hash
from crisis.report.build import build_incident_report
from crisis.report.records import (AuthorReach, DeadlineRecord, EventRecord, FollowUpRecord, IncidentInputs, IncidentRecord, LegalRule,
                                   MentionRecord, PersonRecord, ReplyRecord, ReviewRecord, SpikeRecord, VolumeBucket)
from crisis.report.render import render_incident

GOLDEN = Path(__file__).parent / "data" / "golden"
T0 = datetime(2012, 1, 4, 11, tzinfo=timezone.utc)  # the catalogue photo, 4 January 2012


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def chain(ref: str, raw: list[tuple[int, str, str, dict]]) -> tuple[EventRecord, ...]:
    events, prev = [], GENESIS
    for seq, (minutes, actor, kind, data) in enumerate(raw, start=1):
        digest = event_hash(prev, ref, seq, at(minutes), actor, kind, data)
        events.append(EventRecord(seq, at(minutes), actor, kind, data, digest, prev))
        prev = digest
    return tuple(events)


def inputs() -> IncidentInputs:
    events = chain("INC-0012", [
        (48, "triage", "opened", {"playbook": "bad_buzz", "severity": "SEV2", "severity_why": "rule: mentions_per_hour gte 50 → SEV2",
                                  "level": "comms_lead", "is_drill": False}),
        (48, "oncall", "paged", {"policy": "comms", "level": 1, "of": 2, "round": 1, "rounds": 1, "cause": "incident opened at SEV2",
                                 "people": [{"person": "claire", "channels": ["email"]}]}),
        (55, "triage", "mentions_attached", {"count": 1, "mentions": [{"mention": "x:901", "phrase": "who approved this"}]}),
        (60, "claire", "paging_acknowledged", {"policy": "comms", "level": 1, "round": 1, "why": "acknowledged by Claire Dubois"}),
        (60, "claire", "transition", {"trigger": "acknowledge", "from": "detected", "to": "triage", "note": None}),
        (70, "triage", "severity_changed", {"from": "SEV2", "to": "SEV1", "why": "rule: press_pickup eq True → SEV1"}),
        (70, "triage", "escalated", {"from": "comms_lead", "to": "crisis_cell", "why": "severity rose to SEV1"}),
        (75, "claire", "transition", {"trigger": "respond", "from": "triage", "to": "responding.holding_statement", "note": None}),
        (78, "tick", "deadline_breached", {"deadline": "first_response", "due_at": at(78).isoformat(), "late_by_s": 0}),
        (90, "ana", "reply_published", {"reply": "R1", "channel": "x", "hash": "f" * 64, "via": "manual"}),
        (200, "claire", "transition", {"trigger": "stabilize", "from": "responding.holding_statement", "to": "monitoring", "note": "la photo est retirée"}),
        (1500, "claire", "transition", {"trigger": "resolve", "from": "monitoring", "to": "resolved", "note": None}),
        (2000, "claire", "review_recorded", {"what_happened": "…", "what_gained": "…", "follow_ups": [{}]}),
    ])
    incident = IncidentRecord("INC-0012", "Photo du catalogue détournée", "bad_buzz", "Bad buzz", "abc123", "Acme", "x", "fr", "SEV1",
                              "crisis_cell", ("community_manager", "comms_lead", "crisis_cell"), "resolved", False, at(48), "triage",
                              events[-1].hash)
    mention = MentionRecord("x", "901", "@trade_news", 120_000, "Qui a validé cette photo ? <img src=x onerror=alert(1)>",
                            "https://x.example/901", at(48), at(55), "a" * 64)
    return IncidentInputs(
        incident=incident, events=events,
        volume=(VolumeBucket(T0, "x", 3, 9), VolumeBucket(at(60), "x", 140, 60), VolumeBucket(at(60), "press", 2, 0), VolumeBucket(at(120), "x", 40, 30)),
        mention_count=284, first_mention_at=T0,
        top_authors=(AuthorReach("@trade_news", "x", 120_000, 3), AuthorReach("[moi](javascript:x)", "x", 800, 1)),
        press=(MentionRecord("press", "p1", "Le Journal", None, "La marque retire sa photo", "https://press.example/1", at(150), at(155), "b" * 64),),
        evidence=(mention,),
        replies=(ReplyRecord("R1", "x", "fr", "Nous avons vu vos messages. La photo est retirée ; nous faisons le point à 15 h.", "f" * 64,
                             "published", "ana", "claire", "ana", at(90), None),
                 ReplyRecord("R2", "x", "fr", "brouillon refusé", "e" * 64, "rejected", "ana", None, None, None, "trop défensif")),
        deadlines=(DeadlineRecord("acknowledge", "acknowledge", at(48), at(63), "met", at(60)),
                   DeadlineRecord("first_response", "first_response", at(48), at(78), "breached", at(78)),
                   DeadlineRecord("limitation", "limitation", at(48), datetime(2012, 3, 20, tzinfo=timezone.utc), "armed", None)),
        review=ReviewRecord("La photo a été validée sans relecture de l'arrière-plan.", "Un circuit de validation en deux temps.", "claire",
                            at(2000), (FollowUpRecord("Relecture à deux de chaque visuel", "claire", date(2012, 2, 1)),)),
        spikes=(SpikeRecord(at(60), 200, "volume spike", 4.5),),
        legal=LegalRule(timedelta(days=90), timedelta(days=15), "Prescription de trois mois (art. 65 de la loi de 1881)."),
        people=(PersonRecord("ana", "Ana Martin", ("community_manager",)), PersonRecord("claire", "Claire Dubois", ("comms_lead",))),
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_incident_report_matches_its_golden_file(lang):
    report = build_incident_report(inputs(), now=datetime(2012, 2, 10, 9, tzinfo=timezone.utc), lang=lang)
    text = render_incident(report, "md")
    golden = GOLDEN / f"incident.{lang}.md"
    if os.environ.get("CRISIS_REGEN_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"{golden} differs: review the change, then CRISIS_REGEN_GOLDEN=1 pytest {__file__}"
