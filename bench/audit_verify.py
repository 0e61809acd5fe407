"""Time of `crisis audit verify` over a database of 500 incidents and 20,000 events (chain, replay of state,
deadlines and replies), plain and keyed, beside the floor: reading the same events and hashing each one once.

    python bench/audit_verify.py [--incidents 500] [--events 40] [--runs 3]

Builds a throwaway SQLite database through the services (half the incidents under an audit key), then runs the
command in-process. The limit is 10 s.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from crisis.cli import app, context
from crisis.clock import VirtualClock
from crisis.db import open_engine, transaction
from crisis.incident import events, service
from crisis.incident.models import Event
from crisis.incident.timeline import append_event
from crisis.playbook.loader import load_playbook
from crisis.settings import shipped_content

KEY = "bench-audit-key-0123456789abcdef"
LIMIT_S = 10.0


def build(url: str, incidents: int, per_incident: int) -> None:
    playbook = load_playbook(shipped_content() / "playbooks" / "bad_buzz.yaml")
    clock = VirtualClock(datetime(2026, 1, 4, 11, tzinfo=timezone.utc))
    engine = open_engine(url)
    for n in range(incidents):
        if n == incidents // 2:
            os.environ["CRISIS_AUDIT_KEY"] = KEY  # the second half is keyed: a history that starts plain
        with transaction(engine) as session:
            incident = service.open_incident(session, clock, "bench", playbook, title=f"Catalogue photo {n}", brand="Acme")
            for m in range(per_incident - 1):
                clock.advance(timedelta(seconds=1))
                append_event(session, incident, clock.now(), "bench", events.SignalsRecorded(
                    signals={"mentions_per_hour": m}, previous={"mentions_per_hour": m - 1}, why="bench"))
    engine.dispose()


def floor(url: str) -> float:
    """Read every event and hash its canonical JSON once: what any verification pays at least."""
    engine = open_engine(url)
    t0 = time.perf_counter()
    with transaction(engine) as session:
        for row in session.execute(select(Event.prev_hash, Event.seq, Event.at, Event.actor, Event.kind, Event.data)):
            payload = json.dumps([row.seq, row.at.isoformat(), row.actor, row.kind, row.data], sort_keys=True, separators=(",", ":"))
            hashlib.sha256((row.prev_hash + payload).encode()).hexdigest()
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return elapsed


def verify(url: str, *, keyed: bool) -> float:
    env = {"CRISIS_DATABASE_URL": url, "CRISIS_AUDIT_KEY": KEY if keyed else None, "CRISIS_NOW": None}
    context.reset()
    t0 = time.perf_counter()
    result = CliRunner().invoke(app, ["audit", "verify"], env=env)
    elapsed = time.perf_counter() - t0
    expected = 0 if keyed else 1  # without the key, the keyed half cannot be checked: exit 1, by design
    assert result.exit_code == expected, (result.stdout, result.stderr)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=500)
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.pop("CRISIS_AUDIT_KEY", None)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'crisis.db'}"
        build(url, args.incidents, args.events)
        os.environ.pop("CRISIS_AUDIT_KEY", None)
        total = args.incidents * args.events
        floors = [floor(url) for _ in range(args.runs)]
        keyed = [verify(url, keyed=True) for _ in range(args.runs)]
        unkeyed = [verify(url, keyed=False) for _ in range(args.runs)]
    best = statistics.median(floors)
    print(f"audit verify, {args.incidents} incidents, {total} events (half keyed), median of {args.runs}:")
    print(f"  with the key:        {statistics.median(keyed):6.2f} s  (limit {LIMIT_S:g} s)")
    print(f"  without the key:     {statistics.median(unkeyed):6.2f} s  (keyed half linked, not checked)")
    print(f"  reference, read + one SHA-256 per event: {best:6.2f} s  ({statistics.median(keyed) / best:.1f}x)")


if __name__ == "__main__":
    main()
