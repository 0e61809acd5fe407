"""`crisis ingest` and `crisis triage` end to end: the sample stream, bad lines, exactly once, spikes, a killed run."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from crisis.cli import context
from crisis.clock import VirtualClock
from crisis.db import open_engine, transaction
from crisis.triage.models import MentionMatch, MentionRow
from crisis.triage.mention import Scope
from crisis.triage.readers import Mention
from tests.test_oncall_roster import install_roster

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "mentions.jsonl"
NOON = "2026-11-20T12:00:00+00:00"
SCRIPT = Path(sys.executable).parent / "crisis"


def mention(ident: str, text: str, at: datetime, **extra) -> str:
    return json.dumps({"id": ident, "platform": "x", "text": text, "created_at": at.isoformat(), **extra}, ensure_ascii=False)


def state(cli) -> dict:
    """Everything ingest may change, as the CLI shows it: incidents and their whole timelines."""
    incidents = json.loads(cli("list", "--json").stdout)
    return {i["ref"]: (i, json.loads(cli("timeline", i["ref"], "--json").stdout)) for i in incidents}


def stored(database_url: str) -> tuple[int, int]:
    engine = open_engine(database_url)
    with transaction(engine) as session:
        counts = session.scalar(select(func.count()).select_from(MentionRow)), session.scalar(select(func.count()).select_from(MentionMatch))
    engine.dispose()
    return counts


def test_the_sample_stream_opens_incidents_and_a_second_run_changes_nothing(workspace, cli, database_url):
    first = cli("ingest", str(SAMPLE), now=NOON).stdout
    assert first.startswith("read 37, ingested 36, duplicates 1, rejected 0\n")
    incidents = {i["playbook"]: i for i in json.loads(cli("list", "--json").stdout)}
    assert set(incidents) == {"hijacked_account", "bad_buzz", "defamatory_review", "abusive_comments"}
    assert incidents["hijacked_account"]["severity"] == "SEV1"  # the thread starts with a post of the brand's own account
    assert incidents["bad_buzz"]["severity"] == "SEV1"  # the press picked it up
    hijack = json.loads(cli("timeline", incidents["hijacked_account"]["ref"], "--json").stdout)
    assert [e["kind"] for e in hijack][:5] == ["opened", "mentions_attached", "signals_recorded", "severity_changed", "escalated"]
    assert hijack[0]["actor"] == "triage"
    attached = hijack[1]["data"]["mentions"]
    assert [m["mention"] for m in attached][:3] == ["ig:ig-9002", "ig:ig-9003", "ig:ig-9004"]
    assert attached[1]["why"] == "same thread (ig:ig-9001)"
    assert hijack[3]["data"]["why"] == "rule: own_account_post eq True → SEV1"
    before, rows = state(cli), stored(database_url)
    again = cli("ingest", str(SAMPLE), now="2026-11-20T13:00:00+00:00").stdout
    assert again.startswith("read 37, ingested 0, duplicates 37, rejected 0\nmatched 0\nincidents opened 0\n")
    assert state(cli) == before and stored(database_url) == rows


def test_praise_noise_and_exclusions_open_nothing(workspace, cli, tmp_path):
    path = tmp_path / "praise.jsonl"
    at = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    path.write_text("\n".join([
        mention("p1", "Merci @Acme, service au top !", at),
        mention("p2", "Great life hack: freeze the bread", at),
        mention("p3", "Not a scam at all, lovely staff", at),
        mention("p4", "c'est une arnaque ce prix tellement il est bas, bravo", at, sentiment="positive"),
    ]) + "\n", encoding="utf-8")
    out = cli("ingest", str(path)).stdout
    assert "matched 1 (1 positive: kept, no incident)\nincidents opened 0\n" in out
    assert json.loads(cli("list", "--json").stdout) == []
    lone = tmp_path / "lone.jsonl"
    lone.write_text("\n".join([mention("k1", "quel scandale ce match hier soir", at),  # not about the brand
                               mention("k2", "@Acme quel scandale", at), mention("k3", "Acme, scandale !", at + timedelta(minutes=20)),
                               mention("k4", "scandale chez acme", at + timedelta(minutes=50))]) + "\n", encoding="utf-8")
    out = cli("ingest", str(lone)).stdout
    assert "matched 4 (3 on a lone keyword: kept, no incident)\nincidents opened 1: INC-0001\n" in out  # the third in the hour


def test_bad_lines_are_named_the_good_ones_go_in_and_the_exit_code_says_so(workspace, cli, tmp_path):
    path = tmp_path / "mixed.jsonl"
    at = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    path.write_bytes(b"\n".join([
        mention("g1", "vous avez été piratés ??", at).encode(),
        b'{"id": "b1", "platform": "x", "text": "hi"}',
        b'{"id": "b2", "platform": "x", "text": "\xff\xfe broken", "created_at": "2026-11-20T09:00:00Z"}',
        mention("b3", "ok", at, rating=11).encode(),
        b"not json at all",
        mention("g2", "merci !", at).encode(),
    ]) + b"\n")
    rejects = tmp_path / "rejects.jsonl"
    result = cli("ingest", str(path), "--rejects", str(rejects), code=5, report=True)
    assert result.stderr.splitlines() == [
        f"{path}:2: created_at: missing (required)",
        f"{path}:3: line: not valid UTF-8 (byte 40)",
        f"{path}:4: rating: expected a number from 1 to 5, got 11",
        f"{path}:5: line: not JSON (Expecting value)",
        "Error: 4 record(s) rejected; the 2 good one(s) were ingested",
        "Hint: fix the records named above and ingest the file again: what is already in is skipped",
    ]
    assert result.stdout.startswith("read 6, ingested 2, duplicates 0, rejected 4\n")
    assert [json.loads(line)["where"] for line in rejects.read_text().splitlines()] == [f"{path}:{n}" for n in (2, 3, 4, 5)]
    assert len(json.loads(cli("list", "--json").stdout)) == 1


def test_strict_ingests_nothing_when_anything_is_bad(workspace, cli, tmp_path, database_url):
    path = tmp_path / "m.jsonl"
    at = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    path.write_text(mention("g1", "account hacked!!", at) + "\n" + '{"id": 1}\n', encoding="utf-8")
    result = cli("ingest", str(path), "--strict", code=5)
    assert result.stderr.splitlines()[0] == f"{path}:2: platform: missing (required)"
    assert "Error: 1 bad record(s); --strict ingested nothing" in result.stderr
    assert stored(database_url) == (0, 0)


def test_stdin_gzip_csv_and_dry_run(workspace, cli, database_url):
    from crisis.cli import app

    csv_text = "id,platform,text,created_at\nc1,facebook,Vous avez vu leur pub ?? scandaaale,2026-11-20T09:00:00Z\nc2,facebook,bonjour,2026-11-20T09:01:00Z\n"

    def run(*args: str) -> str:
        result = cli.runner.invoke(app, ["ingest", "-", "--format", "csv", *args], input=gzip.compress(csv_text.encode()),
                                   env={"CRISIS_NOW": NOON}, catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    assert run("--dry-run") == "read 2, valid 2, duplicates 0, rejected 0\nmatched 1 (dry run: nothing written)\n"
    assert stored(database_url) == (0, 0)
    assert run("--strict").startswith("read 2, ingested 2, duplicates 0, rejected 0\nmatched 1\nincidents opened 1: INC-0001\n")
    assert stored(database_url) == (2, 1)


def test_an_export_with_its_own_column_names_is_read_through_field_and_platform(workspace, cli, tmp_path, database_url):
    """A listening tool's CSV (the airline-tweets shape): columns mapped with --field, the platform given once."""
    export = tmp_path / "export.csv"
    export.write_text("tweet_id,airline_sentiment,name,text,tweet_created\n"
                      "570306133677760513,negative,cairdin,@Acme your account was hacked??,2015-02-24 11:35:52 -0800\n"
                      "570306133677760514,positive,jnardino,@Acme great flight,2015-02-24 11:36:00 -0800\n"
                      "570306133677760515,neutral,yvonne,@Acme when is boarding,yesterday\n", encoding="utf-8")
    mapped = ("--field", "id=tweet_id", "--field", "created_at=tweet_created", "--field", "author=name",
              "--field", "sentiment=airline_sentiment")
    refused = cli("ingest", str(export), *mapped, code=5)
    assert refused.stderr.startswith(f"Error: {export}:1: header: missing column platform\n")
    assert "--field OURS=THEIRS" in refused.stderr and "--platform NAME" in refused.stderr

    result = cli("ingest", str(export), *mapped, "--platform", "X", code=5, report=True, now="2015-02-25T00:00:00Z")
    assert result.stdout.startswith("read 3, ingested 2, duplicates 0, rejected 1\nmatched 1\nincidents opened 1: INC-0001\n")
    assert f"{export}:4: tweet_created (created_at): 'yesterday' is not an ISO 8601 time" in result.stderr
    [incident] = json.loads(cli("list", "--json").stdout)
    assert incident["playbook"] == "hijacked_account" and incident["channel"] == "x"
    assert stored(database_url) == (2, 1)


@pytest.mark.parametrize("args,code,message", [
    ((str(SAMPLE), "--field", "when=date"), 2, "Error: --field 'when=date': 'when' is not a mention field"),
    ((str(SAMPLE), "--field", "created_at"), 2, "Error: --field 'created_at': expected OURS=THEIRS, e.g. --field created_at=tweet_created"),
    (("nope.jsonl",), 3, "Error: nope.jsonl: no such file"),
    (("-", "-"), 2, "Error: stdin (-) can be read only once"),
    ((str(SAMPLE), "--format", "xml"), 2, "Error: --format 'xml': expected one of jsonl, csv"),
])
def test_ingest_usage_errors(workspace, cli, args, code, message):
    assert cli("ingest", *args, code=code).stderr.splitlines()[0] == message


def test_triage_explains_a_text(workspace, cli):
    """`crisis triage` names the clause, each term with the words it met, their span, the typo or stem, and who lost."""
    out = cli("triage", "Votre compte a été haké ?? je vois des liens bizarres", "--platform", "instagram").stdout.splitlines()
    assert out[1].startswith("hijacked_account: clause query.fr#1 “(compte OR page OR profil") and out[1].endswith(
        "(fr) scored 88.9 on «compte a été haké» at 6-23")
    assert out[2] == "  would open at SEV2 (playbook default SEV2); 2 term(s) met"
    assert out[3:5] == ["    compte ← «compte» at 6-12: exact", "    \"hacké\" ← «haké» at 19-23: typo tolerated (score 88.9)"]
    press = json.loads(cli("triage", "Acme: the bad buzz turns into a boycott", "--platform", "press", "--json").stdout)
    assert {v["playbook"]: v["severity"] for v in press["verdicts"]} == {"bad_buzz": "SEV1"}  # no cause: not an activist attack
    lost = cli("triage", "Acme funds deforestation, boycott them, shame on you").stdout
    assert "    boycott* ← «boycott» at 26-33: wildcard" in lost
    assert "    compte ← «comptes» at 4-11: same stem (compt)" in cli("triage", "Les comptes de la marque sont piratés").stdout
    assert ("bad_buzz: clause query.en#5 “\"shame on you\"” (en) scored 100.0 on «shame on you» at 40-52\n  lost to activist_attack: its clause "
            "meets 1 term(s), activist_attack's 2") in lost
    excluded = cli("triage", "life hack: you got hacked lol").stdout
    assert "excluded by “life hack” (score 100.0 on «life hack»): no incident" in excluded
    assert cli("triage", "Merci pour ce super séjour").stdout.endswith("no playbook matches: this would not open an incident\n")
    assert cli("triage", "  ", code=2).stderr.startswith("Error: give the text of a mention to triage")


def burst_stream(tmp_path: Path, text: str = "boycott #AcmeAd", *, prefix: str = "b") -> tuple[Path, datetime]:
    """Nine days of the usual grumbling about an ad, then 30 mentions an hour for two hours from the instant returned."""
    start = datetime(2026, 11, 10, tzinfo=timezone.utc)
    lines, n = [], 0
    for hour in range(9 * 24):  # a week and more of the usual grumbling, one mention every two hours
        if hour % 2 == 0:
            n += 1
            lines.append(mention(f"{prefix}{n}", f"{text} {n}", start + timedelta(hours=hour)))
    burst = start + timedelta(hours=9 * 24)
    for minute in range(0, 60, 2):  # then 30 in one hour, and 30 the next
        for hour in (0, 1):
            n += 1
            lines.append(mention(f"{prefix}{n}", f"{text} now {n}", burst + timedelta(hours=hour, minutes=minute)))
    path = tmp_path / f"burst-{prefix}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, burst


def test_a_volume_spike_raises_severity_and_a_positive_one_does_not(workspace, cli, tmp_path):
    path, burst = burst_stream(tmp_path)
    now = (burst + timedelta(hours=2, minutes=5)).isoformat()
    out = cli("ingest", str(path), now=now).stdout
    assert "spikes 1\n  bad_buzz at 2026-11-19 01:00 UTC: volume spike: mean of the last 24 h" in out
    [incident] = json.loads(cli("list", "--json").stdout)
    events = json.loads(cli("timeline", incident["ref"], "--json").stdout)
    raised = [e for e in events if e["kind"] == "severity_changed" and e["data"]["why"].startswith("volume spike")]
    assert len(raised) == 1 and raised[0]["data"]["from"] == "SEV3" and incident["severity"] == "SEV2"
    assert "spikes 0" in cli("ingest", str(path), now=now).stdout  # judged once per hour

    praise = tmp_path / "praise.jsonl"
    later = burst + timedelta(days=9)
    praise.write_text("\n".join(mention(f"p{i}", f"scandale ! tellement bon, bravo #AcmeAd {i}", later + timedelta(minutes=i),
                                        sentiment="positive") for i in range(40)) + "\n", encoding="utf-8")
    out = cli("ingest", str(praise), now=(later + timedelta(hours=1, minutes=1)).isoformat()).stdout
    assert "positive spike (100% positive), not a crisis" in out
    assert len(json.loads(cli("list", "--json").stdout)) == 1


def test_tick_checks_spikes_too_and_what_triage_opens_or_raises_pages_the_on_call(workspace, cli, tmp_path):
    """Mentions ingested before the burst's hours are over: `crisis tick` finds the spike later, once, and pages."""
    install_roster(workspace)
    path, burst = burst_stream(tmp_path)
    assert "spikes 0" in cli("ingest", str(path), now=burst.isoformat()).stdout
    [incident] = json.loads(cli("list", "--json").stdout)
    opened = [e for e in json.loads(cli("timeline", incident["ref"], "--json").stdout) if e["kind"] == "paged"]
    assert [e["data"]["cause"] for e in opened] == ["incident opened at SEV3"]

    later = (burst + timedelta(hours=2, minutes=5)).isoformat()
    out = cli("tick", now=later).stdout
    assert "spike: bad_buzz at 2026-11-19 01:00 UTC: volume spike: mean of the last 24 h" in out
    events = json.loads(cli("timeline", incident["ref"], "--json").stdout)
    raised = [e for e in events if e["kind"] == "severity_changed"]
    assert len(raised) == 1 and raised[0]["actor"] == "triage" and raised[0]["data"]["to"] == "SEV2"
    assert any(e["kind"] == "paged" and e["data"]["cause"].startswith("severity rose to SEV2: volume spike") for e in events)
    assert "spike:" not in cli("tick", now=later).stdout  # that hour is judged once


def test_lone_keywords_under_a_post_of_the_brands_own_account_are_about_the_brand(workspace, cli, tmp_path):
    """Comments under the brand's post seldom name it: three lone keywords there within an hour open an incident."""
    at = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    lines = [mention("post1", "Notre nouvelle campagne est en ligne !", at, own_account=True)]
    lines += [mention(f"c{i}", text, at + timedelta(minutes=5 * i), in_reply_to="post1")
              for i, text in enumerate(["scandale", "SCANDAAALE", "quel scandale"], 1)]
    lines += [mention(f"d{i}", "scandale", at - timedelta(minutes=30 - 5 * i), in_reply_to="elsewhere") for i in range(1, 4)]
    path = tmp_path / "comments.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = cli("ingest", str(path), now=NOON).stdout
    assert "incidents opened 1: INC-0001" in out
    [incident] = json.loads(cli("list", "--json").stdout)
    attached = [m["mention"] for e in json.loads(cli("timeline", "INC-0001", "--json").stdout) if e["kind"] == "mentions_attached"
                for m in e["data"]["mentions"]]
    assert attached == ["x:c3"]  # the third under the post opens it; the three earlier ones elsewhere never name the brand


def test_a_spike_of_lone_keywords_opens_an_incident_in_the_workspace_language(workspace, cli, tmp_path, monkeypatch):
    """Without the brand's name a lone keyword opens nothing by itself, but its spike does."""
    monkeypatch.setenv("CRISIS_LANG", "fr")
    context.settings.cache_clear()
    path, burst = burst_stream(tmp_path, text="boycott")
    out = cli("ingest", str(path), now=(burst + timedelta(hours=2, minutes=5)).isoformat()).stdout
    assert "incidents opened 1: INC-0001" in out and "spikes 1\n  bad_buzz at 2026-11-19 01:00 UTC: volume spike" in out
    [incident] = json.loads(cli("list", "--json").stdout)
    assert incident["title"] == "Bad buzz: pic de volume (30 mentions dans l'heure)" and incident["severity"] == "SEV2"


def test_a_drill_ramp_never_reaches_the_real_volume_watch(workspace, cli, tmp_path, database_url):
    """A drill's volume ramp opens no real spike incident; the real ramp after it is judged on real mentions alone."""
    from crisis.playbook.loader import list_playbooks, load_playbook
    from crisis.runtime import Runtime
    from crisis.settings import Settings
    from crisis.triage.match import Matcher
    from crisis.triage.readers import MentionStream
    from crisis.triage.service import Tally, ingest_stream
    from crisis.triage.spikes import SpikeRule

    drill_ramp, burst = burst_stream(tmp_path, text="boycott", prefix="d")
    now = burst + timedelta(hours=2, minutes=5)
    playbooks = {pb.id: pb for pb in map(load_playbook, list_playbooks(ROOT / "playbooks"))}
    runtime = Runtime(Settings(workspace=None, content=ROOT, database_url=database_url), VirtualClock(now))
    ingest_stream(runtime.unit_of_work, runtime.clock, lambda: iter(MentionStream(str(drill_ramp))), matcher=Matcher(
        {k: pb.detect for k, pb in playbooks.items()}), playbooks=playbooks, scope=Scope(brand="Acme", is_drill=True), tally=Tally(),
        spike_rule=SpikeRule())
    runtime.close()
    engine = open_engine(database_url)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).where(MentionMatch.is_drill.is_(True))) == 168
    engine.dispose()

    quiet = tmp_path / "quiet.jsonl"
    quiet.write_text(mention("q1", "merci pour la livraison rapide", now - timedelta(minutes=1)) + "\n", encoding="utf-8")
    assert "spikes 0" in cli("ingest", str(quiet), now=now.isoformat()).stdout  # the drill's 60 an hour count for nothing
    assert "spike:" not in cli("tick", now=now.isoformat()).stdout
    assert [i for i in json.loads(cli("list", "--json").stdout) if not i["is_drill"]] == []

    real_ramp, _ = burst_stream(tmp_path, text="boycott", prefix="r")
    out = cli("ingest", str(real_ramp), now=now.isoformat()).stdout
    assert "incidents opened 1: INC-0001" in out and "spikes 1\n  bad_buzz at 2026-11-19 01:00 UTC: volume spike" in out
    [incident] = [i for i in json.loads(cli("list", "--json").stdout) if not i["is_drill"]]
    assert incident["title"] == "Backlash (bad buzz): volume spike (30 mentions in the hour)"  # not 60: the real ones only


def test_the_platforms_signal_counts_each_platform_once_across_batches(workspace, cli, tmp_path, database_url):
    """One batch per mention: the incident's platforms grow only when a platform it never had joins."""
    at = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    platforms = ["x", "x", "instagram", "x", "facebook", "instagram"]
    path = tmp_path / "hijack.jsonl"
    path.write_text("\n".join(json.dumps({"id": f"h{i}", "platform": p, "text": f"@Acme votre compte a été piraté ?? {i}",
                                          "created_at": (at + timedelta(minutes=i)).isoformat()}, ensure_ascii=False)
                              for i, p in enumerate(platforms)) + "\n", encoding="utf-8")
    assert "incidents opened 1: INC-0001" in cli("ingest", str(path), "--batch", "1", now=NOON).stdout
    measured = [e["data"]["signals"]["platforms"] for e in json.loads(cli("timeline", "INC-0001", "--json").stdout)
                if e["kind"] == "signals_recorded" and "platforms" in e["data"]["signals"]]
    assert measured == [2, 3]  # recorded when they change: instagram joins, then facebook


def test_a_match_is_recorded_and_told_by_its_clause_label_and_the_words_it_met(workspace, cli, tmp_path):
    """The timeline keeps a query clause's short label and the words of the mention, never the clause's long text."""
    from crisis.incident import events as ev
    from crisis.incident.story import describe

    at = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    path = tmp_path / "hijack.jsonl"
    path.write_text(mention("h1", "@Acme votre compte Instagram a été piraté, ne cliquez sur rien", at) + "\n", encoding="utf-8")
    cli("ingest", str(path), now=NOON)
    [attached] = [e["data"]["mentions"] for e in json.loads(cli("timeline", "INC-0001", "--json").stdout) if e["kind"] == "mentions_attached"]
    [item] = attached
    assert item["clause"].startswith("query.fr#") and item["words"] == "Instagram … piraté" and "phrase" not in item
    assert len(json.dumps(item, ensure_ascii=False)) < 200
    told = ev.MentionsAttached(count=1, mentions=[item])
    assert describe(told, "en") == f"1 mention(s) attached, e.g. x:h1 “Instagram … piraté” ({item['clause']}, score 100.0): opened it"
    assert describe(told, "fr") == (f"1 mention(s) rattachée(s), p. ex. x:h1 «\u00a0Instagram … piraté\u00a0» ({item['clause']}, "
                                    "score 100.0)\u00a0: opened it")
    before = ev.MentionsAttached(count=1, mentions=[{"mention": "x:9", "phrase": "account hacked", "score": 100.0, "why": "opened it"}])
    assert describe(before, "en") == "1 mention(s) attached, e.g. x:9 “account hacked” (score 100.0): opened it"  # an older event


RECORDS = [("x", "h1", "vous avez été piratés ?? #AcmeInsta"), ("x", "h2", "account hacked!! #AcmeInsta"),
           ("ig", "h1", "faux avis partout"), ("x", "n1", "bonjour"), ("x", "n2", "great service"), ("fb", "s1", "SCANDAAALE cette pub")]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(RECORDS + RECORDS[:3]), batch=st.integers(1, 9))
def test_dedup_does_not_depend_on_order_or_batches(fast_tmp, order, batch):
    """The same mentions, duplicates included, in any order and batching, store the same rows and matches."""
    from crisis.playbook.loader import list_playbooks, load_playbook
    from crisis.triage.match import Matcher
    from crisis.triage.service import Tally, ingest_batch

    playbooks = {pb.id: pb for pb in map(load_playbook, list_playbooks(ROOT / "playbooks"))}
    matcher = Matcher({k: pb.detect for k, pb in playbooks.items()})
    db = fast_tmp / f"dedup-{os.getpid()}-{time.monotonic_ns()}.db"
    engine = open_engine(f"sqlite:///{db}")
    clock = VirtualClock(datetime(2026, 11, 20, 12, tzinfo=timezone.utc))
    at = datetime(2026, 11, 20, 10, tzinfo=timezone.utc)
    mentions = [Mention(ident, platform, text, at) for platform, ident, text in order]
    tally = Tally()
    for start in range(0, len(mentions), batch):
        with transaction(engine) as session:
            ingest_batch(session, clock, "triage", mentions[start:start + batch], matcher=matcher, playbooks=playbooks, scope=Scope(brand="Acme"), tally=tally)
    with transaction(engine) as session:
        rows = sorted(session.execute(select(MentionRow.platform, MentionRow.source_id, MentionRow.text)).all())
        matches = sorted(session.execute(select(MentionMatch.playbook_id, MentionMatch.phrase)).all())
    engine.dispose()
    assert rows == sorted(RECORDS) and (tally.ingested, tally.duplicates) == (6, 3)
    assert [m[0] for m in matches] == ["bad_buzz", "defamatory_review", "hijacked_account", "hijacked_account"]


@pytest.mark.skipif(not SCRIPT.exists(), reason="the console script is installed by `pip install -e .`")
def test_a_run_killed_mid_file_and_run_again_stores_everything_exactly_once(workspace, cli, database_url, tmp_path):
    """SIGKILL in the middle of a large file, then the same command: every good record once, every update once."""
    start = datetime(2026, 11, 20, tzinfo=timezone.utc)
    path = tmp_path / "big.jsonl"
    total, matching = 30_000, 0
    with path.open("w", encoding="utf-8") as out:
        for i in range(total):
            at = start + timedelta(seconds=i)
            if i % 250 == 0:
                matching += 1
                out.write(mention(f"m{i}", f"your account was hacked?? {i}", at, thread_id="t1") + "\n")
            elif i % 997 == 0:
                out.write('{"id": "broken"}\n')
            else:
                out.write(mention(f"m{i}", f"just a regular message number {i}", at) + "\n")
    bad = sum(1 for i in range(total) if i % 250 and i % 997 == 0)
    env = {**os.environ, "CRISIS_NOW": "2026-11-21T12:00:00+00:00"}
    cli("list")  # the schema exists before the race begins
    watcher = open_engine(database_url, migrate=False)
    process = subprocess.Popen([str(SCRIPT), "ingest", str(path), "--batch", "1000"], cwd=workspace, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
        with transaction(watcher) as session:
            if session.scalar(select(func.count()).select_from(MentionRow)) >= 5_000:
                break
    process.send_signal(signal.SIGKILL)
    process.wait()
    watcher.dispose()
    partial = stored(database_url)[0]
    assert 0 < partial < total - bad, "the kill landed in the middle of the file"
    rerun = subprocess.run([str(SCRIPT), "ingest", str(path), "--batch", "1000"], cwd=workspace, env=env,
                           capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 5 and "Traceback" not in rerun.stderr
    assert f"duplicates {partial:,}" in rerun.stdout
    assert stored(database_url) == (total - bad, matching)
    [incident] = json.loads(cli("list", "--json").stdout)
    events = json.loads(cli("timeline", incident["ref"], "--json").stdout)
    attached = [m["mention"] for e in events if e["kind"] == "mentions_attached" for m in e["data"]["mentions"]]
    assert len(attached) == len(set(attached)) == matching
    assert "ok" in cli("audit", "verify").stdout.lower()


@pytest.mark.skipif(not SCRIPT.exists(), reason="the console script is installed by `pip install -e .`")
def test_ctrl_c_in_the_middle_says_what_is_kept_and_the_same_command_finishes(workspace, cli, database_url, tmp_path):
    """SIGINT (Ctrl-C) mid-file: exit 130, the committed batches named, no traceback; running it again completes it."""
    start = datetime(2026, 11, 20, tzinfo=timezone.utc)
    path = tmp_path / "big.jsonl"
    total = 30_000
    path.write_text("".join(mention(f"m{i}", f"just a regular message number {i}", start + timedelta(seconds=i)) + "\n"
                            for i in range(total)), encoding="utf-8")
    env = {**os.environ, "CRISIS_NOW": "2026-11-21T12:00:00+00:00"}
    cli("list")  # the schema exists before the race begins
    watcher = open_engine(database_url, migrate=False)
    process = subprocess.Popen([str(SCRIPT), "ingest", str(path), "--batch", "1000"], cwd=workspace, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
        with transaction(watcher) as session:
            if session.scalar(select(func.count()).select_from(MentionRow)) >= 3_000:
                break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    watcher.dispose()
    kept = stored(database_url)[0]
    assert process.returncode == 130 and out == "" and "Traceback" not in err, err
    assert err.startswith("Error: interrupted after ") and f": {kept:,} new mention(s) are stored" in err
    assert "Hint: run the same command again to finish: what is already in is skipped" in err
    assert 0 < kept < total
    rerun = subprocess.run([str(SCRIPT), "ingest", str(path), "--batch", "1000"], cwd=workspace, env=env,
                           capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0 and f"duplicates {kept:,}" in rerun.stdout
    assert stored(database_url)[0] == total
