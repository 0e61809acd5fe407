"""A million-line `crisis ingest`, killed in the middle and run again: everything once, and what it costs.

    python bench/triage_kill.py [--mentions 1000000] [--kill-after 0.4]

Writes the synthetic stream of bench/triage_ingest.py (2% of it incidents in threads) with a bad
line every 10,007, runs the installed command on a fresh SQLite workspace, SIGKILLs it once about
`--kill-after` of the mentions are stored, runs the same command again, and checks what a
responder relies on: every good record stored exactly once, every match attached once (the
incidents' timelines count each attached mention once), the bad lines named and the exit code 5.
The reference is the same command on another fresh workspace, uninterrupted, in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from triage_ingest import write_stream  # the same stream as the throughput bench

CRISIS = [sys.executable, "-m", "crisis"]
ENV = {**{k: v for k, v in os.environ.items() if not k.startswith("CRISIS_")}, "CRISIS_NOW": "2026-12-01T00:00:00+00:00",
       "CRISIS_ALLOW_FIXED_CLOCK": "yes"}  # a bench replays at its own time, as a rehearsal


def workspace(folder: Path, name: str) -> Path:
    subprocess.run([*CRISIS, "init", str(folder / name), "--brand", "Acme"], env=ENV, check=True, capture_output=True)
    return folder / name


def count(db: Path, query: str) -> int:
    with sqlite3.connect(db) as con:
        return con.execute(query).fetchone()[0]


def ingest(ws: Path, stream: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CRISIS, "ingest", str(stream)], cwd=ws, env=ENV, capture_output=True, text=True)


def attached_once(ws: Path) -> tuple[int, int]:
    """(mentions attached according to the timelines, how many of them were attached more than once)."""
    incidents = json.loads(subprocess.run([*CRISIS, "list", "--json"], cwd=ws, env=ENV, capture_output=True, text=True, check=True).stdout)
    seen: Counter[str] = Counter()
    for incident in incidents:
        events = json.loads(subprocess.run([*CRISIS, "timeline", incident["ref"], "--json"], cwd=ws, env=ENV, capture_output=True,
                                           text=True, check=True).stdout)
        seen.update(m["mention"] for e in events if e["kind"] == "mentions_attached" for m in e["data"]["mentions"])
    return sum(seen.values()), sum(1 for n in seen.values() if n > 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--kill-after", type=float, default=0.4, help="share of the mentions stored when the kill lands")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="crisis-bench-kill-"))
    stream = folder / "mentions.jsonl"
    write_stream(stream, args.mentions, seed=5)
    lines = stream.read_text(encoding="utf-8").splitlines()
    bad = list(range(10_007, len(lines), 10_007))
    for index in bad:
        lines[index] = '{"id": "broken", "platform": "x"}'
    stream.write_text("\n".join(lines) + "\n", encoding="utf-8")
    del lines
    good = args.mentions - len(bad)
    print(f"{args.mentions:,} lines, {len(bad)} of them bad, in {stream} ({stream.stat().st_size / 1e6:.0f} MB)")

    killed = workspace(folder, "killed")
    db = killed / "crisis.db"
    start = time.perf_counter()
    errors = folder / "killed.stderr"
    with errors.open("w") as err:
        process = subprocess.Popen([*CRISIS, "ingest", str(stream)], cwd=killed, env=ENV, stdout=subprocess.DEVNULL, stderr=err)
        while process.poll() is None:
            time.sleep(0.5)
            if db.exists() and count(db, "SELECT count(*) FROM sqlite_master WHERE name = 'mention'") \
                    and count(db, "SELECT count(*) FROM mention") >= args.kill_after * good:
                process.send_signal(signal.SIGKILL)
                break
        process.wait()
    if process.returncode != -signal.SIGKILL:
        sys.exit(f"the first run ended by itself (exit {process.returncode}) before the kill:\n{errors.read_text()}")
    first = time.perf_counter() - start
    partial = count(db, "SELECT count(*) FROM mention")
    start = time.perf_counter()
    rerun = ingest(killed, stream)
    second = time.perf_counter() - start
    stored, matches = count(db, "SELECT count(*) FROM mention"), count(db, "SELECT count(*) FROM mention_match")
    distinct = count(db, "SELECT count(*) FROM (SELECT DISTINCT platform, source_id FROM mention)")
    attached, twice = attached_once(killed)
    linked = count(db, "SELECT count(*) FROM mention_match WHERE incident_id IS NOT NULL")

    clean = workspace(folder, "clean")
    start = time.perf_counter()
    reference = ingest(clean, stream)
    whole = time.perf_counter() - start
    same = (count(clean / "crisis.db", "SELECT count(*) FROM mention"), count(clean / "crisis.db", "SELECT count(*) FROM mention_match"))

    print(f"killed after {first:.1f} s with {partial:,} mentions stored ({partial / good:.0%}); exit {process.returncode}")
    print(f"re-run           {second:>7.1f} s  exit {rerun.returncode}; {rerun.stdout.splitlines()[0]}")
    print(f"  first bad line named: {rerun.stderr.splitlines()[0]}")
    print(f"uninterrupted    {whole:>7.1f} s  exit {reference.returncode} ({args.mentions / whole:,.0f} mentions/s): the reference")
    print(f"killed + re-run  {first + second:>7.1f} s  ({(first + second) / whole:.2f}× the uninterrupted run)")
    checks = {
        "every good record stored": stored == good,
        "each exactly once": distinct == stored,
        "the same rows and matches as the uninterrupted run": (stored, matches) == same,
        "each attached mention on a timeline once": twice == 0 and attached == linked,
        "bad lines named, exit code 5": rerun.returncode == 5 and "Traceback" not in rerun.stderr
                                        and rerun.stderr.startswith(f"{stream}:{bad[0] + 1}: "),
    }
    for what, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    print(f"stored {stored:,} of {good:,} good; {matches:,} matches, {linked:,} attached, {attached:,} on timelines")
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
