"""Wall time of `crisis show` as a responder types it, beside the cost of importing SQLAlchemy alone.

    python bench/show_latency.py [--incidents 10000] [--runs 15]

Builds a throwaway workspace holding N incidents (SQLite), then times whole processes, alternating
the commands so that a drift of the machine hits them alike: `show` through a pipe (plain text, as
scripts read it), `show` on a pseudo-terminal (rich and colour, as a responder reads it), and the
reference. Prints medians and the ratios; the goal is `show` through a pipe within 1.3× the reference.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import statistics
import subprocess
import sys
import struct
import tempfile
import termios
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


def timed_on_a_terminal(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """The wall time of `command` writing to a pseudo-terminal 100 columns wide, read to its end."""
    main, tty = os.openpty()
    fcntl.ioctl(tty, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 100, 0, 0))
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=tty, stderr=tty)
    os.close(tty)
    while True:
        try:
            if not os.read(main, 65536):
                break
        except OSError:  # EIO: the command has gone
            break
    code = process.wait()
    elapsed = time.perf_counter() - start
    os.close(main)
    if code:
        raise SystemExit(f"{' '.join(command)} exited {code} on a terminal")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    crisis = str(Path(sys.executable).parent / "crisis")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ws"
        build(folder, args.incidents)
        # PYTHONDONTWRITEBYTECODE off: an installed `crisis` runs from bytecode (pip compiles it at install, a source
        # tree on its first run), as SQLAlchemy does in the reference; recompiling crisis at every run is not a responder's cost
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("CRISIS_") and k not in ("NO_COLOR", "COLUMNS", "PYTHONDONTWRITEBYTECODE")}
        env["TERM"] = "xterm-256color"  # the terminal run draws in colour whatever shell started the benchmark
        show = [crisis, "show", f"INC-{args.incidents // 2:04d}"]
        reference = [sys.executable, "-c", "import sqlalchemy.orm"]
        timed(show, folder, env), timed(reference, folder, env), timed_on_a_terminal(show, folder, env)  # warm the caches
        shows, refs, ttys = [], [], []
        for _ in range(args.runs):
            shows.append(timed(show, folder, env))
            refs.append(timed(reference, folder, env))
            ttys.append(timed_on_a_terminal(show, folder, env))
    s, r, t = statistics.median(shows), statistics.median(refs), statistics.median(ttys)
    print(f"crisis show, through a pipe (1 of {args.incidents} incidents, SQLite): median {s:.3f} s over {args.runs} runs "
          f"(min {min(shows):.3f}): {s / r:.2f}× the reference (goal: at most 1.3×)")
    print(f"crisis show, on a terminal (rich, colour):          median {t:.3f} s (min {min(ttys):.3f}): {t / r:.2f}× the reference")
    print(f"reference: python -c 'import sqlalchemy.orm':        median {r:.3f} s (min {min(refs):.3f})")


if __name__ == "__main__":
    main()
