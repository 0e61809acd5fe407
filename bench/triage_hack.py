"""Precision of hijacked_account on real posts that use the words of hacking, hand-labelled.

    python bench/triage_hack.py

The posts are ../shared/datasets/hack_mention_candidates_unlabeled/ (read at run time, never copied):
68 real posts picked by a keyword regex (hack…, compromised, phishing, piraté…). Their labels, with the
rule they follow, are in bench/labels/hack_mention_labels.csv (ids and labels only). Printed: how many
posts the shipped hijacked_account detection matches, the share of them that are hijackings (precision)
and the share of the hijackings it finds (recall), beside two references from the same run: the keyword
regex itself (every post of the pool) and the detection as it was before queries (the `phrases:` at triage_dev.BEFORE).
"""

from __future__ import annotations

import csv
import hashlib
import sys
from pathlib import Path

from crisis.playbook.loader import list_playbooks, load_playbook
from crisis.settings import shipped_content
from crisis.triage.match import Matcher

sys.path.insert(0, str(Path(__file__).resolve().parent))
from triage_dev import DATASETS, before_queries  # noqa: E402  (a sibling script, not a package)

LABELS = Path(__file__).resolve().parent / "labels" / "hack_mention_labels.csv"


def labelled() -> list[tuple[str, bool]]:
    with (DATASETS / "hack_mention_candidates_unlabeled" / "hack_mentions_candidates.csv").open(encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    with LABELS.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    out = []
    for row in rows:
        text = texts[int(row["row"]) - 1]
        if hashlib.sha1(text.encode()).hexdigest()[:12] != row["sha1"]:
            raise SystemExit(f"row {row['row']}: the pool changed since it was labelled")
        out.append((text, row["label"] == "hijacked"))
    return out


def figures(name: str, found: list[bool], truth: list[bool]) -> None:
    hits = sum(f and t for f, t in zip(found, truth))
    matched, real = sum(found), sum(truth)
    print(f"{name:<34} matched {matched:>2} of {len(truth)}: precision {hits / max(matched, 1):5.1%}, "
          f"recall {hits / max(real, 1):5.1%} of {real} hijackings")


def main() -> None:
    posts = labelled()
    truth = [t for _, t in posts]
    playbooks = {pb.id: pb for pb in map(load_playbook, list_playbooks(shipped_content() / "playbooks"))}
    matcher = Matcher({"hijacked_account": playbooks["hijacked_account"].detect})
    figures("queries (this tree)", [bool(matcher.matching(t)) for t, _ in posts], truth)
    if (old := before_queries()) is not None:
        before = Matcher({"hijacked_account": old["hijacked_account"].detect})
        figures("phrases (before queries)", [bool(before.matching(t)) for t, _ in posts], truth)
    figures("keyword regex (the whole pool)", [True] * len(posts), truth)


if __name__ == "__main__":
    main()
