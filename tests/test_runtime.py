"""The seams drills and reports stand on: typed timeline events, news dispatched to paging by the unit of work,
the drill scope through ingest, one strict Settings, and every writing command checked against the roster."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, update

from crisis.clock import VirtualClock
from crisis.errors import ContentError
from crisis.incident import events as ev
from crisis.incident.chain import GENESIS, event_hash
from crisis.incident.models import Event, Incident
from crisis.incident.story import describe
from crisis.incident.timeline import verify_chain
from crisis.playbook.loader import list_playbooks, load_playbook
from crisis.runtime import Runtime
from crisis.settings import Settings, load_settings
from crisis.triage.match import Matcher
from crisis.triage.mention import Scope
from crisis.triage.readers import Mention
from crisis.triage.service import Tally, ingest_batch
from tests.test_oncall_roster import install_roster

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)


def every_kind() -> list[ev.TimelineEvent]:
    """One event of each kind, its fields filled with values of their type."""
    samples = {"str": "x", "str | None": "y", "int": 3, "bool": True, "Any": "v", "datetime | None": NOW}
    made = []
    for cls in ev.KINDS.values():
        values = {f.name: samples[f.type] for f in dataclasses.fields(cls) if f.type in samples}
        made.append(cls(**values))
    return made


@pytest.mark.parametrize("event", every_kind(), ids=lambda e: e.kind)
def test_each_event_kind_reads_back_as_written_and_says_something_in_both_languages(event):
    """The stored dict is plain JSON; parsing it gives the same typed event; each kind has its own sentence."""
    stored = json.loads(json.dumps(event.data()))
    assert ev.parse_event(event.kind, stored) == event
    for lang in ("fr", "en"):
        assert describe(event, lang) not in ("", event.kind)
    assert describe(event, "fr") != describe(event, "en") or event.kind in ("checked",)


def test_the_stored_shape_is_the_one_timelines_were_hashed_with():
    """`from_` is stored as `from` and a delivery's `kind_of` as `kind`: old timelines keep verifying."""
    assert ev.Transition(trigger="acknowledge", from_="detected", to="triage").data()["from"] == "detected"
    assert ev.NotificationSent(kind_of="page").data()["kind"] == "page"
    assert "idempotency_key" not in ev.ReplyPublished(reply="R1").data()
    assert ev.parse_event("reply_published", {"reply": "R1"}).idempotency_key is None


def test_an_unknown_kind_is_kept_not_lost():
    """A timeline written by a newer version still reads: the event keeps its kind and data."""
    event = ev.parse_event("drill_inject", {"inject": "press"})
    assert isinstance(event, ev.Unrecognised) and event.data() == {"inject": "press"} and describe(event) == "drill_inject"


def test_a_timeline_written_as_plain_dicts_still_verifies(workspace, cli):
    """An event hashed before the typed events existed (its data a hand-written dict) verifies and reads."""
    cli("open", "--playbook", "bad_buzz", "--title", "Catalogue photo")
    runtime = Runtime(load_settings(), VirtualClock(NOW))
    with runtime.unit_of_work() as session:
        incident = session.scalar(select(Incident))
        data = {"trigger": "acknowledge", "from": "detected", "to": "triage", "note": None,
                "deadlines_met": ["acknowledge"], "deadlines_cancelled": [], "deadlines_armed": []}
        seq, at = incident.event_count + 1, NOW
        digest = event_hash(incident.head_hash or GENESIS, incident.ref, seq, at, "ana", "transition", data)
        session.add(Event(incident_id=incident.id, seq=seq, at=at, actor="ana", kind="transition", data=data,
                          prev_hash=incident.head_hash, hash=digest))
        incident.event_count, incident.head_hash, incident.state = seq, digest, "triage"
        acknowledge = next(d for d in incident.deadlines if d.kind == "acknowledge")
        acknowledge.status, acknowledge.closed_at = "met", at  # as the real event did: `audit verify` replays deadlines too
    with runtime.unit_of_work() as session:
        incident = session.scalar(select(Incident))
        assert verify_chain(session, incident) is None
        last = session.scalar(select(Event).where(Event.seq == seq))
        assert last.typed() == ev.Transition(trigger="acknowledge", from_="detected", to="triage", deadlines_met=["acknowledge"])
    runtime.close()
    assert "acknowledge: detected → triage; met: acknowledge" in cli("timeline", "INC-0001").stdout


def test_the_incident_core_pages_only_through_the_unit_of_work(workspace, cli):
    """Opening in a bare transaction announces news nobody hears; the runtime's unit of work pages with its roster."""
    from crisis.db import transaction
    from crisis.incident.service import open_incident
    from crisis.outbox.models import Notification

    install_roster(workspace)
    runtime = Runtime(load_settings(), VirtualClock(NOW))
    playbook = runtime.playbook("bad_buzz")
    with transaction(runtime.engine) as session:
        open_incident(session, runtime.clock, "ana", playbook, title="Bare", severity="SEV1")
    with runtime.unit_of_work() as session:
        assert session.scalars(select(Notification)).all() == []
        open_incident(session, runtime.clock, "ana", playbook, title="Wired", severity="SEV1")
    with runtime.unit_of_work() as session:
        paged = {n.incident.title for n in session.scalars(select(Notification))}
        assert paged == {"Wired"}
    runtime.close()


def test_paging_inside_a_unit_of_work_reads_the_roster_through_its_own_transaction(workspace, cli):
    """The roster is first needed while news is dispatched, after the transaction wrote: reading it on a second
    connection would wait for the first one's lock (SQLite spills a big batch to disk and locks readers out)."""
    from sqlalchemy import event

    from crisis.incident.service import open_incident
    from crisis.outbox.models import Notification

    install_roster(workspace)
    runtime = Runtime(load_settings(), VirtualClock(NOW))
    playbook = runtime.playbook("bad_buzz")
    checkouts = []
    event.listen(runtime.engine, "checkout", lambda *_: checkouts.append(1))
    with runtime.unit_of_work() as session:
        open_incident(session, runtime.clock, "ana", playbook, title="Wired", severity="SEV1")
    assert len(checkouts) == 1 and runtime.roster is not None
    with runtime.unit_of_work() as session:
        assert {n.incident.title for n in session.scalars(select(Notification))} == {"Wired"}
    runtime.close()


def ingest(runtime: Runtime, scope: Scope, mentions: list[Mention]) -> Tally:
    playbooks = {pb.id: pb for pb in map(load_playbook, list_playbooks(ROOT / "playbooks"))}
    tally = Tally()
    with runtime.unit_of_work() as session:
        ingest_batch(session, runtime.clock, "triage", mentions, matcher=Matcher({k: p.detect for k, p in playbooks.items()}),
                     playbooks=playbooks, scope=scope, tally=tally)
    return tally


def test_a_drill_scope_opens_drill_incidents_and_never_joins_real_ones(database_url):
    """A drill's mentions open a drill incident; the real stream then opens its own, never joining the drill's."""
    runtime = Runtime(Settings(workspace=None, content=ROOT, database_url=database_url), VirtualClock(NOW))
    at = NOW - timedelta(minutes=5)
    drill = ingest(runtime, Scope(brand="Acme", is_drill=True), [Mention("d1", "x", "Acme account hacked!! do not click", at)])
    real = ingest(runtime, Scope(brand="Acme"), [Mention("r1", "x", "Acme account hacked!! do not click the link", at)])
    with runtime.unit_of_work() as session:
        incidents = {i.ref: i.is_drill for i in session.scalars(select(Incident))}
        attached = session.scalars(select(Event).where(Event.kind == "mentions_attached")).all()
    assert drill.opened and real.opened and drill.opened != real.opened
    assert incidents == {drill.opened[0]: True, real.opened[0]: False}
    assert all(m["created_at"] == at.isoformat() for e in attached for m in e.data["mentions"]), "each mention keeps when it was posted"
    runtime.close()


@pytest.mark.parametrize("toml,message", [
    ('[workspace]\nbrand = 42\n', "crisis.toml:2: workspace.brand: 42 is not a text"),
    ('[workspace]\ntimezone = "Mars/Olympus"\n', "crisis.toml:2: workspace.timezone: unknown time zone 'Mars/Olympus'"),
    ('workspace = 3\n', "crisis.toml: workspace: must be a table [workspace]"),
    ('[database]\nurl = 12\n', "crisis.toml:2: database.url: 12 is not a text"),
    ('[database]\nurl = "x"\n', "crisis.toml:2: database.url: 'x' is not a database URL"),
    ('[replies]\ncontact = "care@acme.example"\nwebook_url = "https://x"\n', "crisis.toml:3: replies.webook_url: unknown key"),
    ('[triage]\nspikes = 1\n', "crisis.toml:2: triage.spikes: [triage.spikes] must be a table"),
    ('[replies]\nwebhook_url = "ftp://x"\n', "crisis.toml:2: replies.webhook_url: "),
    ('[replies]\nwebhook_url = "file:///etc/passwd"\n', "crisis.toml:2: replies.webhook_url: "),
])
def test_a_bad_crisis_toml_is_named_by_line_and_key(tmp_path, toml, message):
    (tmp_path / "crisis.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_settings(tmp_path, env={})
    assert message in caught.value.message


def test_crisis_toml_is_read_once_into_one_settings(tmp_path):
    (tmp_path / "crisis.toml").write_text('[workspace]\nbrand = "Acme"\n[replies]\ncontact = "care@acme.example"\n'
                                          'webhook_url = "https://hooks.example.org/c"\n[triage.spikes]\nk = 3\n', encoding="utf-8")
    settings = load_settings(tmp_path, env={})
    assert (settings.brand, settings.contact, settings.webhook_url, settings.spikes) == (
        "Acme", "care@acme.example", "https://hooks.example.org/c", {"k": 3})
    assert Runtime(settings, VirtualClock(NOW)).spike_rule.k == 3


WRITING = [  # every command that changes an incident, as someone on no roster would type it
    ("open", "--playbook", "bad_buzz", "--title", "x"),
    ("ack", "INC-0001"), ("respond", "INC-0001"), ("dismiss", "INC-0001"), ("escalate", "INC-0001", "--why", "x"),
    ("fact", "INC-0001", "press_pickup", "yes"), ("severity", "INC-0001", "SEV4", "--why", "x"),
    ("review", "INC-0001", "--what", "a", "--gained", "b", "--follow-up", "Logins; ana; 2027-01-15"), ("oncall", "ack", "INC-0001"),
    ("reply", "draft", "INC-0001", "--template", "holding_statement", "--channel", "facebook", "--set", "next_update_at=3 pm"), ("reply", "approve", "INC-0001", "R1"), ("reply", "reject", "INC-0001", "R1", "--why", "x"),
    ("reply", "publish", "INC-0001", "R1"),
]


@pytest.mark.parametrize("command", WRITING, ids=lambda c: " ".join(c[:2]))
def test_someone_on_no_roster_changes_nothing(workspace, cli, command):
    """With oncall.yaml, mallory (on no roster) is refused by every writing command, and the timeline stays as it was."""
    install_roster(workspace)
    cli("open", "--playbook", "bad_buzz", "--title", "Catalogue photo", "--severity", "SEV4", user="ana")
    cli("fact", "INC-0001", "offending_content", "catalogue_or_website", user="ana")
    cli("fact", "INC-0001", "subject", "the catalogue photo", user="ana")
    before = cli("timeline", "INC-0001", "--json").stdout
    result = cli(*command, user="mallory", code=4)
    assert "'mallory' is not on the on-call roster" in result.stderr
    assert cli("timeline", "INC-0001", "--json").stdout == before


def test_lowering_the_severity_needs_the_roles_that_dismissing_needs(workspace, cli):
    """bruno (community manager) may not take a SEV1 to SEV3 and then dismiss it: lowering is half-way to dismissing."""
    install_roster(workspace)
    cli("open", "--playbook", "bad_buzz", "--title", "Catalogue photo", "--severity", "SEV1", user="ana")
    refused = cli("severity", "INC-0001", "SEV3", "--why", "calmer now", user="bruno", code=4)
    assert "dismissing INC-0001 at SEV1 needs the role" in refused.stderr


def test_a_published_text_is_the_approved_text(workspace, cli):
    """A reply whose text was changed in the database after its approval is refused at publication."""
    from crisis.replies.models import Reply

    cli("open", "--playbook", "bad_buzz", "--title", "Catalogue photo", "--severity", "SEV3")
    cli("fact", "INC-0001", "offending_content", "catalogue_or_website")
    cli("fact", "INC-0001", "subject", "the catalogue photo")
    cli("reply", "draft", "INC-0001", "--template", "holding_statement", "--channel", "facebook", "--set", "next_update_at=3 pm",
        "--set", "contact=care@acme.example")
    cli("reply", "approve", "INC-0001", "R1", user="bea")
    runtime = Runtime(load_settings(), VirtualClock(NOW))
    with runtime.unit_of_work() as session:
        session.execute(update(Reply).values(text="We did nothing wrong."))
    runtime.close()
    refused = cli("reply", "publish", "INC-0001", "R1", code=4)
    assert "R1's text is not the text that was approved" in refused.stderr


def test_a_runtime_with_recording_notifiers_delivers_pages_and_sends_nothing_out(workspace, cli):
    """`tick(runtime)` delivers through whatever notifiers the runtime holds: a drill's recording ones keep every page."""
    from crisis.outbox.recording import recording_notifiers
    from crisis.scheduler import tick

    install_roster(workspace)
    cli("open", "--playbook", "bad_buzz", "--title", "Catalogue photo", "--severity", "SEV1", user="ana")
    notifiers = recording_notifiers()
    runtime = Runtime(load_settings(), VirtualClock(datetime.fromisoformat("2026-11-20T10:01:00+00:00")), notifiers=notifiers)
    report = tick(runtime)
    runtime.close()
    assert report.sent == len(report.deliveries) > 0
    assert {m.payload["person"] for n in notifiers.values() for m in n.sent} == {"ana", "claire"}  # the cell, level 1: on call this Friday + comms lead
    assert all("INC-0001" in m.subject for n in notifiers.values() for m in n.sent)


def test_responders_opening_at_once_all_get_an_incident_and_distinct_references(database_url):
    """Eight responders open at the same moment: every open succeeds, numbered 1 to 8 (no 'the incident changed')."""
    from concurrent.futures import ThreadPoolExecutor

    from crisis.incident.service import open_incident

    runtime = Runtime(Settings(workspace=None, content=ROOT, database_url=database_url), VirtualClock(NOW), roster=None)
    playbook = runtime.playbook("rumour")
    runtime.engine  # the schema is created once, before the race

    def open_one(n: int) -> str:
        with runtime.unit_of_work() as session:
            return open_incident(session, runtime.clock, f"responder{n}", playbook, title=f"Rumour {n}").ref

    with ThreadPoolExecutor(8) as pool:
        refs = list(pool.map(open_one, range(8)))
    runtime.close()
    assert sorted(refs) == [f"INC-{n:04d}" for n in range(1, 9)]


def test_a_timeline_never_goes_back_in_time(workspace, cli):
    """CRISIS_NOW set back (a backdating attempt, or a wrong clock) cannot write an event before the last one."""
    cli("open", "--playbook", "rumour", "--title", "A rumour", now="2026-11-20T11:00:00+00:00")
    before = cli("timeline", "INC-0001", "--json").stdout
    refused = cli("ack", "INC-0001", now="2019-01-01T00:00:00+00:00", code=4)
    assert "a timeline never goes back in time" in refused.stderr
    assert cli("timeline", "INC-0001", "--json", now="2026-11-20T11:00:00+00:00").stdout == before


def test_one_broken_playbook_never_stops_the_detection_of_the_others(workspace, cli, tmp_path):
    """bad_buzz.yaml broken: a hijack is still detected and opened; the run says loudly what it ran without (exit 9)."""
    (workspace / "playbooks" / "bad_buzz.yaml").write_text("id: bad_buzz\ntitle: [unclosed\n", encoding="utf-8")
    stream = tmp_path / "m.jsonl"
    stream.write_text(json.dumps({"id": "1", "platform": "x", "text": "Acme your account got hacked!! account hacked, do not click",
                                  "created_at": "2026-11-20T09:50:00Z"}) + "\n", encoding="utf-8")
    result = cli("ingest", str(stream), code=9, report=True)
    assert "bad_buzz.yaml" in result.stderr and "took no part in triage" in result.stderr
    assert "incidents opened 1" in result.stdout
    assert cli("list", "--json").stdout.count('"playbook": "hijacked_account"') == 1


def test_a_broken_roster_never_silences_paging(workspace, cli):
    """A typo in oncall.yaml after a good one: tick still pages with the last good roster, says so loudly (exit 9),
    and the other commands go on acting under it."""
    install_roster(workspace)
    cli("tick", now="2026-11-20T10:00:00+00:00")  # remembers the good roster
    (workspace / "oncall.yaml").write_text((workspace / "oncall.yaml").read_text(encoding="utf-8").replace("people:", "peeple:"),
                                           encoding="utf-8")
    cli("open", "--playbook", "bad_buzz", "--title", "Catalogue photo", "--severity", "SEV1", user="ana", now="2026-11-20T10:01:00+00:00")
    ticked = cli("tick", now="2026-11-20T10:02:00+00:00", code=9, report=True)
    assert "oncall.yaml is broken since 2026-11-20 10:02 UTC" in ticked.stderr
    assert "paging goes on with the roster applied on 2026-11-20 10:00 UTC" in ticked.stderr
    assert "INC-0001" in ticked.stdout and "notification" in ticked.stdout  # the cell was paged and the pages delivered
    refused = cli("dismiss", "INC-0001", user="mallory", code=4, now="2026-11-20T10:03:00+00:00")
    assert "not on the on-call roster" in refused.stderr  # the last good roster still governs who may act


def test_without_any_good_roster_a_broken_file_is_an_error(workspace, cli):
    (workspace / "oncall.yaml").write_text("peeple: []\n", encoding="utf-8")
    assert "oncall.yaml" in cli("tick", code=5).stderr


def test_tick_leaves_its_heartbeat_for_the_watchdog(workspace, cli):
    """Each tick that ran to its end records when: the watchdog's evidence that cron still runs it."""
    from crisis.oncall.heartbeat import last_heartbeat

    cli("tick", "--now", "2026-11-20T10:05:00+00:00")
    cli("tick", "--now", "2026-11-20T10:06:00+00:00")
    runtime = Runtime(load_settings(), VirtualClock(NOW))
    with runtime.unit_of_work() as session:
        assert last_heartbeat(session) == datetime(2026, 11, 20, 10, 6, tzinfo=timezone.utc)
    runtime.close()


def test_show_warns_when_tick_stopped_and_tick_pings_its_dead_mans_switch(workspace, cli):
    """No tick for 20 minutes while a deadline is armed: show says so. --ping reaches an outside switch after each tick."""
    from tests.oncall_peers import WebhookPeer

    cli("open", "--playbook", "rumour", "--title", "A rumour", now="2026-11-20T10:00:00+00:00")
    assert "crisis tick has never run on this database" in cli("show", "INC-0001").stderr
    switch = WebhookPeer()
    switch.start()
    try:
        cli("tick", "--ping", switch.url, now="2026-11-20T10:01:00+00:00")
        assert len(switch.gets) == 1
    finally:
        switch.stop()
    assert "Warning" not in cli("show", "INC-0001", now="2026-11-20T10:05:00+00:00").stderr
    assert "last ran 2026-11-20 10:01 UTC, 20 min ago" in cli("show", "INC-0001", now="2026-11-20T10:21:00+00:00").stderr
    assert "--ping: " in cli("tick", "--ping", "file:///etc/passwd", code=2).stderr


def test_a_follow_up_is_a_promise_to_someone_on_the_roster_for_a_day_to_come(workspace, cli):
    """A follow-up owned by nobody on the roster, or already past due, is refused with what to do instead."""
    install_roster(workspace)
    cli("open", "--playbook", "rumour", "--title", "A rumour", user="ana")
    past = cli("review", "INC-0001", "--what", "a", "--gained", "b", "--follow-up", "Logins; ana; 2026-01-15", user="ana", code=2)
    assert "already past" in past.stderr
    stranger = cli("review", "INC-0001", "--what", "a", "--gained", "b", "--follow-up", "Logins; zoe; 2027-01-15", user="ana", code=2)
    assert "its owner 'zoe' is not on the roster" in stranger.stderr


def test_show_tells_what_the_incident_waits_for_in_the_workspaces_language_and_time(workspace, cli, monkeypatch):
    """Never 'nothing, closed' for an open incident: the facts still needed (with choices), the unticked items and
    the statement the step waits for; in French for a French workspace, times in its zone with the abbreviation."""
    cli("open", "--playbook", "hijacked_account", "--title", "Instagram posts a crypto scam", now="2026-11-20T10:00:00+00:00")
    shown = cli("show", "INC-0001").stdout
    assert "waiting for:" in shown and "- fact platform (x | facebook | instagram" in shown and "closed" not in shown
    assert "2026-11-20 11:00 CET" in shown  # the workspace's Europe/Paris, not UTC
    for key, value in (("platform", "instagram"), ("attacker_posted", "yes"), ("still_locked_out", "no")):
        cli("fact", "INC-0001", key, value)
    cli("ack", "INC-0001")
    cli("respond", "INC-0001")
    shown = cli("show", "INC-0001").stdout
    assert "- item secure_mailbox" in shown and "allowed now:" in shown
    monkeypatch.setenv("CRISIS_LANG", "fr")
    from crisis.cli import context

    context.settings.cache_clear()
    assert "en attente de :" in cli("show", "INC-0001").stdout
