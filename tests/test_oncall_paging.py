"""Paging on a VirtualClock: an escalation walked through its levels and repeats, stopped by an
acknowledgement, all from deadlines fired by tick, on a real database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from crisis.clock import VirtualClock
from crisis.db import open_engine, transaction
from crisis.errors import RefusedError
from crisis.incident import service
from crisis.incident.models import Event
from crisis.oncall import service as oncall
from crisis.outbox.models import Notification
from crisis.oncall.roster import parse_roster_text
from crisis.playbook.loader import load_playbook

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "oncall"
SUNDAY_2AM = datetime(2026, 11, 22, 1, 0, tzinfo=timezone.utc)  # 02:00 in Paris


@pytest.fixture
def roster():
    text = (DATA / "roster.yaml").read_text(encoding="utf-8").replace("WEBHOOK_URL", "http://127.0.0.1:9/hook")
    return parse_roster_text(text, "oncall.yaml")


@pytest.fixture
def engine(database_url):
    engine = open_engine(database_url)
    yield engine
    engine.dispose()


def tick(engine, clock, roster, minutes: int) -> None:
    """What `crisis tick` does, once a minute for `minutes` minutes."""
    for _ in range(minutes):
        clock.advance(timedelta(minutes=1))
        with transaction(engine) as session:
            service.tick(session, clock, roster=roster)
            oncall.escalate_pagings(session, clock, roster)


def pages(engine) -> list[tuple[str, int, int, list[str], str]]:
    """(time, level, pass, people, cause) of every `paged` event, in order."""
    with transaction(engine) as session:
        events = session.scalars(select(Event).where(Event.kind == "paged").order_by(Event.id)).all()
        return [(e.at.strftime("%H:%M"), e.data["level"], e.data["round"], [p["person"] for p in e.data["people"]], e.data["cause"])
                for e in events]


def open_bad_buzz(engine, clock, roster, *, severity="SEV1", is_drill=False) -> str:
    with transaction(engine) as session:
        incident = service.open_incident(session, clock, "ana", load_playbook(ROOT / "playbooks" / "bad_buzz.yaml"),
                                         title="A naked man in the catalogue photo", severity=severity, lang="fr",
                                         is_drill=is_drill, roster=roster)
        return incident.ref


def test_an_unacknowledged_sev1_walks_every_level_and_repeat_then_stops(engine, roster):
    """Level 1 (the cell: on-call + comms lead) at once, level 2 after 10 min, the policy again after 15, then exhausted."""
    clock = VirtualClock(SUNDAY_2AM)
    open_bad_buzz(engine, clock, roster)
    tick(engine, clock, roster, 55)
    assert pages(engine) == [
        ("01:00", 1, 1, ["bruno", "claire"], "incident opened at SEV1"),
        ("01:10", 2, 1, ["david", "eve"], "deadline acknowledge breached"),  # the breach and level 1's delay fall together
        ("01:25", 1, 2, ["bruno", "claire"], "nobody acknowledged level 2 within 15 min"),
        ("01:35", 2, 2, ["david", "eve"], "nobody acknowledged level 1 within 10 min"),
    ]
    with transaction(engine) as session:
        kinds = [e.kind for e in session.scalars(select(Event).order_by(Event.id))]
        assert kinds.count("paging_exhausted") == 1 and kinds.index("paging_exhausted") > kinds.index("paged")
        keys = session.scalars(select(Notification.idempotency_key)).all()
        assert len(keys) == len(set(keys)) == 3 + 2 + 3 + 2  # claire has an e-mail and a webhook: level 1 sends 3 messages
    tick(engine, clock, roster, 3)
    assert len(pages(engine)) == 4, "exhausted: nothing more until something new happens"


def test_an_acknowledgement_stops_the_escalation(engine, roster):
    clock = VirtualClock(SUNDAY_2AM)
    ref = open_bad_buzz(engine, clock, roster, severity="SEV2")
    tick(engine, clock, roster, 7)
    with transaction(engine) as session:
        service.fire(session, clock, "bruno", ref, "acknowledge", roster=roster)
    tick(engine, clock, roster, 52)
    assert pages(engine) == [("01:00", 1, 1, ["bruno"], "incident opened at SEV2")]
    tick(engine, clock, roster, 1)  # a breach is news; it escalates to the crisis cell, so the cell's policy pages
    assert pages(engine)[1:] == [("02:00", 1, 1, ["bruno", "claire"], "deadline first_response breached, escalated to crisis_cell")]
    with transaction(engine) as session:
        ack = session.scalars(select(Event).where(Event.kind == "paging_acknowledged")).one()
        assert (ack.actor, ack.data["why"], ack.at.strftime("%H:%M")) == ("bruno", "acknowledged by Bruno Leroy", "01:07")


def test_a_page_acknowledged_later_in_the_incident_stops_that_paging_only(engine, roster):
    """After the acknowledgement, an escalation pages again; `oncall ack` stops it; a severity rise pages the cell."""
    clock = VirtualClock(SUNDAY_2AM)
    ref = open_bad_buzz(engine, clock, roster, severity="SEV3")
    with transaction(engine) as session:
        service.fire(session, clock, "bruno", ref, "acknowledge", roster=roster)
        service.escalate(session, clock, "bruno", ref, why="an influencer shares it", roster=roster)
    tick(engine, clock, roster, 5)
    with transaction(engine) as session:
        service.acknowledge_page(session, clock, "claire", ref, roster=roster)
        service.set_severity(session, clock, "claire", ref, "SEV1", why="picked up by a national daily", roster=roster)
    tick(engine, clock, roster, 5)
    assert [(p[0], p[1], p[3]) for p in pages(engine)] == [
        ("01:00", 1, ["bruno"]), ("01:00", 1, ["bruno"]), ("01:05", 1, ["bruno", "claire"])]
    with transaction(engine) as session:
        service.acknowledge_page(session, clock, "claire", ref, roster=roster)  # the cell's paging
        with pytest.raises(RefusedError, match="INC-0001 has no page waiting for an acknowledgement"):
            service.acknowledge_page(session, clock, "claire", ref, roster=roster)


def test_a_drill_page_says_it_is_an_exercise_in_french_and_english(engine, roster):
    clock = VirtualClock(SUNDAY_2AM)
    open_bad_buzz(engine, clock, roster, severity="SEV3", is_drill=True)
    with transaction(engine) as session:
        note = session.scalars(select(Notification)).first()
        assert note.is_drill and note.subject.startswith("[EXERCICE / DRILL] [SEV3] INC-0001")
        assert "EXERCICE — ceci est un exercice de crise" in note.body and "DRILL — this is a crisis exercise" in note.body
        assert "crisis oncall ack INC-0001" in note.body  # what to do, in the incident's language
        assert "Accuser réception" in note.body


def test_without_a_roster_nothing_is_paged_and_anyone_acts(engine):
    clock = VirtualClock(SUNDAY_2AM)
    ref = open_bad_buzz(engine, clock, None)
    with transaction(engine) as session:
        service.fire(session, clock, "a_stranger", ref, "dismiss")
        assert session.scalars(select(Notification)).all() == []


def test_an_acknowledged_page_is_sent_again_if_the_response_has_not_started_after_the_ack_timeout(engine, roster):
    """PagerDuty's acknowledgement timeout, in the trade's terms: acknowledged, then nothing for 30 min: page again."""
    from dataclasses import replace

    standard = replace(roster.find_policy("standard"), ack_timeout_minutes=30)
    roster = replace(roster, policies=tuple(standard if p.id == "standard" else p for p in roster.policies))
    clock = VirtualClock(SUNDAY_2AM)
    ref = open_bad_buzz(engine, clock, roster, severity="SEV3")
    tick(engine, clock, roster, 2)
    with transaction(engine) as session:
        service.fire(session, clock, "bruno", ref, "acknowledge", roster=roster)
    tick(engine, clock, roster, 29)
    assert len(pages(engine)) == 1
    tick(engine, clock, roster, 1)
    assert pages(engine)[1] == ("01:32", 1, 1, ["bruno"], "acknowledged by bruno 30 min ago, but the response has not started (state triage)")
    with transaction(engine) as session:
        service.acknowledge_page(session, clock, "bruno", ref, roster=roster)
        playbook = service.pinned_playbook(session, service.get_incident(session, ref))
        for fact in map(playbook.find_fact, playbook.triage_requires):
            answer = ("yes" if fact.sample else "no") if fact.type == "bool" else str(fact.sample)
            service.set_fact(session, clock, "bruno", ref, fact.id, answer, roster=roster)
        service.fire(session, clock, "bruno", ref, "respond", roster=roster)
    tick(engine, clock, roster, 40)
    retriggered = [p[0] for p in pages(engine) if p[4].startswith("acknowledged by")]
    assert retriggered == ["01:32"], "the response started: the timeout does not page again"
