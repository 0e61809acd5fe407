"""Wall time of `crisis show` as a responder types it, beside the cost of importing SQLAlchemy alone.

    python bench/show_latency.py [--incidents 10000] [--runs 15]

Builds a throwaway workspace holding N incidents (SQLite), then times whole processes, alternating
the two commands so that a drift of the machine hits both alike. Prints medians and the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from crisis.clock import VirtualClock
from crisis.db import open_engine, transaction
from crisis.incident import service
from crisis.playbook.loader import load_playbook
from crisis.settings import shipped_content


def build(folder: Path, incidents: int) -> None:
    subprocess.run([sys.executable, "-m", "crisis", "init", str(folder)], check=True, capture_output=True)
    playbook = load_playbook(shipped_content() / "playbooks" / "hijacked_account.yaml")
    clock = VirtualClock(datetime(2026, 1, 1, tzinfo=timezone.utc))
    engine = open_engine(f"sqlite:///{folder / 'crisis.db'}")
    with transaction(engine) as session:
        for n in range(incidents):
            clock.advance(timedelta(minutes=7))
            incident = service.open_incident(session, clock, "bench", playbook, title=f"incident {n}")
            if n % 2:
                service.fire(session, clock, "bench", incident.ref, "acknowledge")
    engine.dispose()


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    crisis = str(Path(sys.executable).parent / "crisis")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ws"
        build(folder, args.incidents)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRISIS_")}
        show = [crisis, "show", f"INC-{args.incidents // 2:04d}"]
        reference = [sys.executable, "-c", "import sqlalchemy.orm"]
        timed(show, folder, env), timed(reference, folder, env)  # warm the caches
        shows, refs = [], []
        for _ in range(args.runs):
            shows.append(timed(show, folder, env))
            refs.append(timed(reference, folder, env))
    s, r = statistics.median(shows), statistics.median(refs)
    print(f"crisis show (1 of {args.incidents} incidents, SQLite): median {s:.3f} s over {args.runs} runs (min {min(shows):.3f})")
    print(f"reference: python -c 'import sqlalchemy.orm':        median {r:.3f} s (min {min(refs):.3f})")
    print(f"crisis show beyond importing SQLAlchemy: {s - r:.3f} s; goal for the whole command: 0.5 s")


if __name__ == "__main__":
    main()
