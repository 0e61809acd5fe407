"""Time to report one incident of 100,000 attached mentions and 2,000 timeline events, in HTML with its chart,
beside a bare SQL GROUP BY of the same mentions per hour and platform (the floor any report pays).

    python bench/report_incident.py [--mentions 100000] [--events 2000] [--runs 3]

Builds a throwaway SQLite workspace database, then times the report in-process (read, build, render).
The limit is 3 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, insert, select

from crisis.clock import VirtualClock
from crisis.db import open_engine, transaction
from crisis.incident import service
from crisis.incident.timeline import append_event
from crisis.playbook.loader import load_playbook
from crisis.report.render import render_incident
from crisis.report.service import hour_of, incident_report
from crisis.settings import shipped_content
from crisis.triage.models import MentionMatch, MentionRow

PLATFORMS = ("x", "facebook", "instagram", "tiktok", "press")
LIMIT_S = 3.0


def build(url: str, mentions: int, events: int) -> None:
    playbook = load_playbook(shipped_content() / "playbooks" / "bad_buzz.yaml")
    start = datetime(2026, 1, 4, 11, tzinfo=timezone.utc)
    clock = VirtualClock(start)
    engine = open_engine(url)
    with transaction(engine) as session:
        incident = service.open_incident(session, clock, "bench", playbook, title="Catalogue photo backlash", brand="Acme")
        for n in range(events - 1):
            clock.advance(timedelta(seconds=30))
            append_event(session, incident, clock.now(), "bench", "signals_recorded",
                         {"signals": {"mentions_per_hour": n}, "previous": {"mentions_per_hour": n - 1}, "why": "bench"})
        session.flush()
        rows = [{"id": i + 1, "platform": PLATFORMS[i % 5], "source_id": f"m{i}", "brand": "Acme", "text": f"mention {i} <b>bold</b>",
                 "created_at": start + timedelta(seconds=5 * i), "author": f"author{i % 5000}", "author_followers": i % 90_000,
                 "url": f"https://example.org/{i}", "own_account": False, "sentiment": "negative" if i % 3 else None,
                 "ingested_at": start + timedelta(seconds=5 * i + 60)} for i in range(mentions)]
        session.execute(insert(MentionRow), rows)
        session.execute(insert(MentionMatch), [{"mention_id": r["id"], "playbook_id": playbook.id, "brand": "Acme", "phrase": "bench",
                                                "score": 100.0, "span_start": 0, "span_end": 5, "created_at": r["created_at"],
                                                "sentiment": r["sentiment"], "incident_id": incident.id} for r in rows])
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'crisis.db'}"
        build(url, args.mentions, args.events)
        engine = open_engine(url)
        now = datetime(2026, 1, 10, tzinfo=timezone.utc)
        reports, floors, size = [], [], 0
        for _ in range(args.runs):
            with transaction(engine) as session:
                t0 = time.perf_counter()
                hour = hour_of(session, MentionMatch.created_at)
                session.execute(select(hour, MentionRow.platform, func.count()).join(MentionRow, MentionRow.id == MentionMatch.mention_id)
                                .where(MentionMatch.incident_id == 1).group_by(hour, MentionRow.platform)).all()
                floors.append(time.perf_counter() - t0)
            with transaction(engine) as session:
                t0 = time.perf_counter()
                html = render_incident(incident_report(session, "INC-0001", now=now), "html")
                reports.append(time.perf_counter() - t0)
                size = len(html)
        report, floor = statistics.median(reports), statistics.median(floors)
        print(f"incident report, HTML with chart ({args.mentions:,} mentions, {args.events:,} events, {size:,} bytes): "
              f"{report:.2f} s (limit {LIMIT_S:.0f} s)")
        print(f"reference: bare SQL GROUP BY hour, platform of the same mentions: {floor:.2f} s; report / reference = {report / floor:.1f}x")


if __name__ == "__main__":
    main()
