"""Natural-phrasing recall: the posts of ../shared/datasets/triage_dev.jsonl through the real ingest, one by one.

    python bench/triage_dev.py [--show]

Each post (53: 39 incident posts, each with the playbook it should open, and 14 ordinary posts) is
ingested alone into a fresh SQLite database as a mention of the brand "Lumen", through
`ingest_batch` with the shipped playbooks: the incident it opens, if any, is compared with the one
expected. Goal: at least 90% of the incident posts open the right playbook, no ordinary post opens
anything. Reference, same run, same engine: the shipped playbooks' detection as it was before queries
(their `phrases:` lists at commit BEFORE, read with `git show`). The set is read at run time,
never copied; it is a development set: the queries are written for how people talk, not for its lines.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select

from crisis.clock import VirtualClock
from crisis.db import open_engine, transaction
from crisis.incident.models import Incident
from crisis.playbook.loader import list_playbooks, load_playbook, parse_playbook
from crisis.playbook.model import Playbook
from crisis.settings import shipped_content
from crisis.triage.match import Matcher
from crisis.triage.readers import Mention
from crisis.triage.mention import Scope
from crisis.triage.service import Tally, ingest_batch

DATASETS = next((p / "shared" / "datasets" for p in Path(__file__).resolve().parents if (p / "shared" / "datasets").is_dir()),
                Path("../shared/datasets"))
AT = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
BEFORE = "626d3773e157e574970682973c0522e636852066"  # the last commit whose shipped playbooks detect with `phrases:` only


def opened(text: str, lang: str, playbooks: dict[str, Playbook], matcher: Matcher, folder: Path, n: int) -> str | None:
    """The playbook of the incident that ingesting `text` alone opens, or None."""
    engine = open_engine(f"sqlite:///{folder / f'{n}.db'}")
    try:
        with transaction(engine) as session:
            ingest_batch(session, VirtualClock(AT + timedelta(minutes=1)), "triage", [Mention(str(n), "x", text, AT, lang=lang)],
                         matcher=matcher, playbooks=playbooks, scope=Scope(brand="Lumen"), tally=Tally())
        with transaction(engine) as session:
            return session.scalar(select(Incident.playbook_id).limit(1))
    finally:
        engine.dispose()


def before_queries() -> dict[str, Playbook] | None:
    """The shipped playbooks as they were before queries, at commit BEFORE (None when git cannot say)."""
    root = Path(__file__).resolve().parents[1]
    try:
        names = subprocess.run(["git", "ls-tree", "--name-only", BEFORE, "playbooks/"], cwd=root, capture_output=True, text=True,
                               check=True).stdout.split()
        found = {}
        for name in names:
            text = subprocess.run(["git", "show", f"{BEFORE}:{name}"], cwd=root, capture_output=True, text=True, check=True).stdout
            playbook = parse_playbook(text, f"{BEFORE[:7]}:{name}")
            found[playbook.id] = playbook
        return found
    except (OSError, subprocess.CalledProcessError):
        return None


def score(playbooks: dict[str, Playbook], posts: list[dict]) -> tuple[int, int, int, int, list[str]]:
    matcher = Matcher({k: pb.detect for k, pb in playbooks.items() if pb.detect.active})
    folder = Path(tempfile.mkdtemp(prefix="crisis-dev-"))
    right = wrong_quiet = 0
    misses = []
    for n, post in enumerate(posts):
        got = opened(post["text"], post.get("lang") or "en", playbooks, matcher, folder, n)
        if post["expect"] is None:
            wrong_quiet += got is not None
        else:
            right += got == post["expect"]
        if got != post["expect"]:
            misses.append(f"expected {post['expect']}, opened {got}: {post['text']}")
    incidents = sum(p["expect"] is not None for p in posts)
    return right, incidents, wrong_quiet, len(posts) - incidents, misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print the misses with their text")
    args = parser.parse_args()
    with (DATASETS / "triage_dev.jsonl").open(encoding="utf-8") as f:
        posts = [json.loads(line) for line in f if line.strip()]
    playbooks = {pb.id: pb for pb in map(load_playbook, list_playbooks(shipped_content() / "playbooks"))}
    rows = [("queries (this tree)", playbooks)]
    if (old := before_queries()) is not None:
        rows.append(("phrases (before queries)", old))
    for name, pbs in rows:
        right, incidents, loud, ordinary, misses = score(pbs, posts)
        print(f"{name:<24} right playbook {right:>2} of {incidents} ({right / incidents:.0%}, goal ≥ 90%); "
              f"ordinary posts opening an incident {loud} of {ordinary} (goal 0)")
        if args.show or name.startswith("queries"):
            for miss in misses:
                print(f"    {miss if args.show else miss.split(':')[0]}")


if __name__ == "__main__":
    main()
