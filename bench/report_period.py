"""Time of a period review over 10,000 incidents, beside a bare SQL GROUP BY of their events per incident.

    python bench/report_period.py [--incidents 10000] [--runs 3]

Builds a throwaway SQLite database of N incidents over a quarter (half acknowledged, some escalated, some drills),
then times the review in-process (read, build, render as HTML with its chart). The limit is 5 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select

from crisis.clock import VirtualClock
from crisis.db import open_engine, transaction
from crisis.incident import service
from crisis.incident.models import Event
from crisis.playbook.loader import load_playbook
from crisis.report.period_service import period_review
from crisis.report.render import render_period
from crisis.settings import shipped_content

LIMIT_S = 5.0


def build(url: str, incidents: int) -> None:
    playbooks = [load_playbook(shipped_content() / "playbooks" / f"{name}.yaml") for name in ("hijacked_account", "bad_buzz", "defamatory_review")]
    clock = VirtualClock(datetime(2026, 7, 1, tzinfo=timezone.utc))
    step = timedelta(days=91) / incidents  # all within the quarter
    engine = open_engine(url)
    with transaction(engine) as session:
        for n in range(incidents):
            clock.advance(step)
            incident = service.open_incident(session, clock, "bench", playbooks[n % 3], title=f"incident {n}", is_drill=n % 50 == 0)
            if n % 2:
                clock.advance(timedelta(seconds=1))
                service.fire(session, clock, "bench", incident.ref, "acknowledge")
            if n % 7 == 0:
                service.escalate(session, clock, "bench", incident.ref, why="bench")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'crisis.db'}"
        build(url, args.incidents)
        engine = open_engine(url)
        now = datetime(2026, 10, 5, tzinfo=timezone.utc)
        reviews, floors, counted = [], [], 0
        for _ in range(args.runs):
            with transaction(engine) as session:
                t0 = time.perf_counter()
                session.execute(select(Event.incident_id, func.min(Event.at), func.count()).group_by(Event.incident_id)).all()
                floors.append(time.perf_counter() - t0)
            with transaction(engine) as session:
                t0 = time.perf_counter()
                review = period_review(session, date(2026, 7, 1), date(2026, 9, 30), now=now, lang="en")
                render_period(review, "html")
                reviews.append(time.perf_counter() - t0)
                counted = review.real.incidents + review.drills.incidents
        took, floor = statistics.median(reviews), statistics.median(floors)
        print(f"period review, HTML with chart ({counted:,} incidents): {took:.2f} s (limit {LIMIT_S:.0f} s)")
        print(f"reference: bare SQL GROUP BY incident of their events: {floor:.2f} s; review / reference = {took / floor:.1f}x")


if __name__ == "__main__":
    main()
