"""Incident reports and period reviews through the CLI, on real SQLite and PostgreSQL; hostile text stays inert."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

HOSTILE = [
    "Faux avis, des escrocs <script>document.title='pwned';fetch('http://127.0.0.1:9/script')</script>",
    "Faux avis, arnaque <img src=http://127.0.0.1:9/img onerror=\"document.title='pwned'\">",
    "Faux avis, des voleurs [cliquez ici](javascript:alert(1)) et <a href=\"javascript:alert(2)\">là</a>",
    "Faux avis, escrocs ![x](http://127.0.0.1:9/md.png) **gras** # titre",
]


def hostile_mentions(path: Path, *, extra: int = 0) -> Path:
    """Four hostile reviews and `extra` plain ones, spread over three hours, one from the press."""
    lines = []
    for i, text in enumerate(HOSTILE + [f"Faux avis encore, des escrocs numéro {n}" for n in range(extra)]):
        lines.append({"id": f"t-{i}", "platform": "press" if i == 3 else "tripadvisor", "created_at": f"2026-11-20T0{7 + i % 3}:{10 + i % 40}:00Z",
                      "author": "<b>Mallory</b>" if i == 0 else f"author{i}", "author_followers": 1000 * (i + 1), "text": text,
                      "url": "https://example.org/r?q=\"><script>alert(4)</script>" if i == 2 else f"https://example.org/r/{i}", "sentiment": "negative" if i % 2 else None,
                      "rating": 1})
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def incident(workspace, cli, tmp_path):
    """INC-0001 opened by triage from hostile reviews, acknowledged 20 minutes later."""
    cli("ingest", str(hostile_mentions(tmp_path / "m.jsonl", extra=6)))
    cli("ack", "INC-0001", now="2026-11-20T10:20:00+00:00")
    return "INC-0001"


def test_json_report_holds_the_figures_of_the_timeline(incident, cli):
    """Times, deadlines, volume and the chain come from what the database holds."""
    report = json.loads(cli("report", incident, "--format", "json", now="2026-11-20T12:00:00+00:00").stdout)
    assert report["durations"]["time_to_acknowledge"] == 20 * 60
    assert report["durations"]["time_to_first_response"] is None
    assert report["mention_count"] == 10
    assert sum(b["negative"] + b["other"] for b in report["volume"]) == 10
    assert sum(b["negative"] for b in report["volume"]) == 5
    assert {b["hour_at"] for b in report["volume"]} == {"2026-11-20T07:00:00+00:00", "2026-11-20T08:00:00+00:00", "2026-11-20T09:00:00+00:00"}
    ack = next(d for d in report["deadlines"] if d["name"] == "acknowledge")
    assert ack["status"] == "breached" and ack["margin_s"] == -5 * 60  # SEV1 (press pick-up): 15 minutes to acknowledge
    assert report["key_times"][0] == {"name": "first_mention", "at": "2026-11-20T07:10:00+00:00", "after_first_mention_s": 0, "deadline": None}
    acked = next(k for k in report["key_times"] if k["name"] == "acknowledged")
    assert acked["at"] == "2026-11-20T10:20:00+00:00" and acked["deadline"] == ack
    assert [p["text"] for p in report["press"]] == [HOSTILE[3]]
    assert report["top_authors"][0]["followers"] == 10_000
    assert report["chain_break"] is None and len(report["chain_head"]) == 64
    assert report["review"] is None
    kinds = [e["kind"] for e in report["timeline"]]
    assert kinds[0] == "opened" and "transition" in kinds and "mentions_attached" not in kinds  # milestones only without --full
    assert report["severity_history"][-1]["severity"] == "SEV1" and report["highest_level"] == "crisis_cell"


def test_markdown_report_renders_hostile_text_inert(incident, cli):
    """No raw HTML, no Markdown link or image survives from a mention, an author or a URL."""
    text = cli("report", incident, "--full").stdout
    assert "<script" not in text and "<img" not in text and "<a " not in text and "<b>" not in text
    assert "](" not in text.replace("\\](", "")
    assert "&lt;script&gt;" in text  # the title, from the first mention
    assert "!\\[x\\](http://127.0.0.1:9/md.png) \\*\\*gras\\*\\* # titre" in text  # the press pick-up
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in text  # the top author
    assert "Cet incident n'a pas encore de retour d'expérience." in text  # the incident's language (a French review)


def test_report_in_english_on_request(incident, cli):
    text = cli("report", incident, "--lang", "en").stdout
    assert "This incident has not been reviewed yet." in text and "| Time to acknowledge | 20m |" in text
    assert "| acknowledged | 2026-11-20 10:20 UTC | 3h10m | 2026-11-20 10:15 UTC, breached (late by 5m) |" in text


def test_report_file_and_errors(incident, cli, tmp_path):
    """-o writes the file and says so on stderr; a bad reference or format exits with its code and nothing on stdout."""
    out = tmp_path / "r.html"
    result = cli("report", incident, "-f", "html", "-o", str(out))
    assert result.stdout == "" and str(out) in result.stderr
    html = out.read_text(encoding="utf-8")
    assert "&lt;script&gt;" in html and "<script" not in html and "data:image/svg+xml;base64," in html
    assert "Error: no incident 'INC-0099'" in cli("report", "INC-0099", code=3).stderr
    assert "--format 'pdf'" in cli("report", incident, "-f", "pdf", code=2).stderr
    assert "--lang 'de'" in cli("report", incident, "--lang", "de", code=2).stderr
    assert "needs --from and --to" in cli("report", "period", code=2).stderr
    assert "is not a day" in cli("report", "period", "--from", "2026-13-01", "--to", "2026-12-01", code=2).stderr


def test_period_review_keeps_drills_apart(incident, cli):
    """A drill counts in its own section, never in the real figures; the previous period is compared."""
    cli("open", "-p", "hijacked_account", "-t", "Exercice : compte piraté", "--drill")
    review = json.loads(cli("report", "period", "--from", "2026-11-01", "--to", "2026-11-30", "-f", "json").stdout)
    assert review["real"]["incidents"] == 1 and review["drills"]["incidents"] == 1
    assert review["real"]["by_playbook"] == {"defamatory_review": 1}
    assert review["drills"]["by_playbook"] == {"hijacked_account": 1}
    assert review["real"]["times"]["time_to_acknowledge"] == {"median": 1200, "p90": 1200, "count": 1}
    assert review["previous"]["incidents"] == 0
    assert review["comparison"][0] == {"name": "incidents", "now": 1, "before": 0, "delta": 1, "better": None}
    assert review["busiest_days"] == [["2026-11-20", 1]]
    text = cli("report", "period", "--from", "2026-11-01", "--to", "2026-11-30", "--lang", "en").stdout
    assert "## Drills (kept out of the real figures)" in text and "| hijacked\\_account | 1 |" in text


def test_report_tells_what_was_said_who_was_paged_the_review_and_the_legal_clock(incident, workspace, cli):
    """With a roster: the published statement and its hash, the page and who took it, an overdue follow-up, the
    three-month limitation counted from first publication."""
    import hashlib
    import shutil

    shutil.copy(workspace / "oncall.example.yaml", workspace / "oncall.yaml")
    at = "2026-11-20T10:30:00+00:00"
    cli("fact", incident, "platform", "tripadvisor", now=at)
    cli("fact", incident, "first_published_at", "2026-11-19", now=at)
    cli("reply", "draft", incident, "--template", "holding_statement", "--channel", "x", "--set", "next_update_at=15 h", now=at)
    cli("reply", "draft", incident, "--template", "holding_statement", "--channel", "x", "--set", "next_update_at=16 h", now=at)
    cli("reply", "reject", incident, "R2", "--why", "one statement is enough", now=at, user="claire")
    cli("reply", "approve", incident, "R1", now=at, user="claire")
    cli("reply", "publish", incident, "R1", now="2026-11-20T10:35:00+00:00")
    cli("review", incident, "--what", "Un faux avis <script>", "--gained", "Une réponse calme", "--follow-up",
        "Relire les avis chaque matin; ana; 2026-11-25", now="2026-11-20T10:36:00+00:00")
    cli("open", "-p", "bad_buzz", "-t", "Pub détournée", now=at)
    cli("oncall", "ack", "INC-0002", now="2026-11-20T10:40:00+00:00")

    report = json.loads(cli("report", incident, "-f", "json", "--lang", "en", now="2026-11-26T09:00:00+00:00").stdout)
    [said] = report["published"]
    assert said["label"] == "R1" and said["approver"] == "claire" and said["published_at"] == "2026-11-20T10:35:00+00:00"
    assert said["sha256"] == hashlib.sha256(said["text"].encode()).hexdigest() and "15 h" in said["text"]
    assert [r["label"] for r in report["rejected"]] == ["R2"]
    assert report["durations"]["time_to_first_response"] == 35 * 60
    assert report["review"]["what_happened"] == "Un faux avis <script>"
    assert report["follow_ups"] == [{"action": "Relire les avis chaque matin", "owner": "ana", "due_on": "2026-11-25", "overdue": True}]
    [legal] = report["legal"]
    assert legal["barred_at"] == "2027-02-18T23:00:00+00:00" and legal["left_s"] > 80 * 86400 and "1881" in legal["note"]
    assert "Ana Martin" in [p["name"] for p in report["participants"]] and "triage" not in [p["id"] for p in report["participants"]]
    pages = json.loads(cli("report", "INC-0002", "-f", "json", now="2026-11-20T11:00:00+00:00").stdout)["pages"]
    assert pages[0]["people"] == ["Claire Dubois"] and pages[0]["acknowledged_by"] == "Ana Martin"
    assert pages[0]["acknowledged_at"] == "2026-11-20T10:40:00+00:00"
    html = cli("report", incident, "-f", "html", now="2026-11-26T09:00:00+00:00").stdout
    assert "Un faux avis &lt;script&gt;" in html and "EN RETARD" in html and "Brouillons refusés (non reproduits)\u202f: 1" in html
    assert "16 h" not in html  # the rejected draft's text stays out unless asked for
    shown = cli("report", incident, "--rejected", "--lang", "en", now="2026-11-26T09:00:00+00:00").stdout
    assert "### Rejected drafts (1)" in shown and "why: one statement is enough" in shown and "16 h" in shown


def test_a_spike_shows_with_its_baseline_on_the_chart(workspace, cli, tmp_path):
    """A week of background then a burst: the spike's 7-day baseline is in the figures and drawn on the chart."""
    import base64
    import re
    from datetime import datetime, timedelta, timezone

    start, lines = datetime(2026, 11, 12, tzinfo=timezone.utc), []
    for h in range(0, 8 * 24, 6):  # one mention every 6 hours: 28 in the 7-day baseline
        lines.append({"id": f"bg{h}", "platform": "x", "created_at": (start + timedelta(hours=h)).isoformat(), "text": "bad buzz, who approved this"})
    for i in range(40):
        lines.append({"id": f"b{i}", "platform": "x", "created_at": f"2026-11-20T00:{i:02d}:00+00:00", "text": "Boycott! who approved this ad",
                      "sentiment": "negative"})
    (tmp_path / "spike.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    cli("ingest", str(tmp_path / "spike.jsonl"), now="2026-11-20T01:05:00+00:00")
    report = json.loads(cli("report", "1", "-f", "json", now="2026-11-20T02:00:00+00:00").stdout)
    [spike] = report["spikes"]
    assert spike["count"] == 40 and spike["baseline"] == round(28 / 168, 2)
    html = cli("report", "1", "-f", "html", "--lang", "en", now="2026-11-20T02:00:00+00:00").stdout
    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html)[1]).decode()
    assert "baseline 0.17/h" in svg and "<script" not in svg
    assert "Spike: 40/h" in html
