"""Held-out recall: our own posts of bench/heldout_posts.jsonl through the real ingest, one by one.

    python bench/triage_heldout.py

Each post (round 1, 80: 60 incident posts, six per shipped playbook, and 20 ordinary posts, hard
negatives, written before any query change and used since to find general phrasings; round 2, 30: two
per playbook and 10 ordinary, written after the round-1 changes and used since; round 3, 37: written
after the round-2 changes and used since; round 4, 30: written after the round-3 changes and used since;
round 5, 40: written after the round-4 changes and used since; round 6, 40: written after the
round-5 changes and used since; round 7, 26: written after the round-6 changes and never fitted: the
honest figure) is
ingested alone into a fresh SQLite database as a mention of the brand "Lumen", exactly as
bench/triage_dev.py does it (its `score`). Printed: the right-playbook count, the misses by text, the
false alarms. Reference, same run, same engine: the development set's figure (../shared/datasets/
triage_dev.jsonl, read at run time), which the queries were written against; the held-out set was
written without reading it; the queries take general phrasings from its misses, never its lines
(bench/heldout_posts.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from crisis.playbook.loader import list_playbooks, load_playbook
from crisis.settings import shipped_content

from triage_dev import DATASETS, score

HELDOUT = Path(__file__).resolve().with_name("heldout_posts.jsonl")


def read_posts(path: Path) -> list[dict]:
    """The posts of a JSON-lines file, one object a line."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main() -> None:
    playbooks = {pb.id: pb for pb in map(load_playbook, list_playbooks(shipped_content() / "playbooks"))}
    posts = read_posts(HELDOUT)
    sets = [("held-out round 1 (queries fitted since)", [p for p in posts if p.get("round", 1) == 1], True),
            ("held-out round 2 (fitted since)", [p for p in posts if p.get("round", 1) == 2], True),
            ("held-out round 3 (fitted since)", [p for p in posts if p.get("round", 1) == 3], True),
            ("held-out round 4 (fitted since)", [p for p in posts if p.get("round", 1) == 4], True),
            ("held-out round 5 (fitted since)", [p for p in posts if p.get("round", 1) == 5], True),
            ("held-out round 6 (fitted since)", [p for p in posts if p.get("round", 1) == 6], True),
            ("held-out round 7 (never fitted)", [p for p in posts if p.get("round", 1) == 7], True)]
    if (DATASETS / "triage_dev.jsonl").is_file():
        sets.append(("reference: dev set (triage_dev.jsonl)", read_posts(DATASETS / "triage_dev.jsonl"), False))
    for name, chosen, show in sets:
        right, incidents, loud, ordinary, misses = score(playbooks, chosen)
        print(f"{name:<40} right playbook {right:>2} of {incidents} ({right / incidents:.0%}); "
              f"ordinary posts opening an incident {loud} of {ordinary}")
        for miss in misses if show else ():
            print(f"    {miss}")


if __name__ == "__main__":
    main()
