"""Triage quality on real, labelled data read at run time from ../shared/datasets/ (never copied into the repo).

    python bench/triage_quality.py

1. False alarms: the praise and neutral tweets of the airline set (English) and of the DEFT 2017
   French tweet set, ingested through the real service into a throwaway SQLite database as
   mentions of the airline they address (the French ones, of a brand they never name), text only (their sentiment label is not passed, or it would filter them):
   incidents opened per 10,000 mentions. The goal is 0. For contrast, the negative tweets too.
2. Abuse: the share of the items of the two moderation sets that the abusive_comments playbook's
   detection matches (`Matcher.matching` on the text, that playbook alone): MLMA French and
   English, toxic (every label but a single "normal", as its README says) beside "normal" (false
   alarms; MLMA was collected with slur keywords, so its "normal" items carry them too); and the
   Davidson set (English): hate, offensive, and "neither" (false alarms).
3. Spikes: the hourly counts of derived_hourly_counts_utc.csv (non-positive tweets per airline,
   positives apart) through the spike rule with the default settings, with one day of warm-up
   since the file spans only 7.5 days: the hours at which a spike is raised.
"""

from __future__ import annotations

import csv
import tempfile
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select

from crisis.clock import VirtualClock
from crisis.db import open_engine, transaction
from crisis.incident.models import Incident
from crisis.playbook.loader import list_playbooks, load_playbook
from crisis.playbook.model import Playbook
from crisis.settings import shipped_content
from crisis.triage.match import Matcher
from crisis.triage.mention import Scope
from crisis.triage.readers import Mention
from crisis.triage.service import Tally, ingest_batch
from crisis.triage.spikes import SpikeRule, scan

# ../shared/datasets beside the repository (or beside the folder of worktrees)
DATASETS = next((p / "shared" / "datasets" for p in Path(__file__).resolve().parents if (p / "shared" / "datasets").is_dir()),
                Path("../shared/datasets"))
START = datetime(2026, 11, 20, tzinfo=timezone.utc)


def airline(labels: set[str]) -> dict[str, list[str]]:
    """Tweets by the airline they address: each airline is the brand of its own mentions."""
    by_brand: dict[str, dict[str, None]] = defaultdict(dict)
    with (DATASETS / "twitter_us_airline_sentiment" / "Tweets.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["airline_sentiment"] in labels:
                by_brand[r["airline"]][r["text"]] = None
    return {brand: list(texts) for brand, texts in by_brand.items()}


def french(labels: set[str]) -> dict[str, list[str]]:
    """French tweets on all subjects, none addressed to a brand: ingested as mentions of a brand "Marque"."""
    with (DATASETS / "umsab_deft2017_french_tweets" / "umsab_fr_all.csv").open(encoding="utf-8") as f:
        return {"Marque": list(dict.fromkeys(r["text"] for r in csv.DictReader(f) if r["label_name"] in labels))}


def incidents_opened(by_brand: dict[str, list[str]], playbooks: dict, matcher: Matcher) -> tuple[int, int, list[str]]:
    """(incidents opened, mentions matched, the texts that opened one) after ingesting each brand's mentions."""
    folder = Path(tempfile.mkdtemp(prefix="crisis-quality-"))
    engine = open_engine(f"sqlite:///{folder / 'q.db'}")
    clock = VirtualClock(START + timedelta(days=30))
    tally = Tally()
    for brand, texts in sorted(by_brand.items()):
        mentions = [Mention(f"{brand}-{i}", "x", text, START + timedelta(seconds=30 * i)) for i, text in enumerate(texts)]
        for start in range(0, len(mentions), 5000):
            with transaction(engine) as session:
                ingest_batch(session, clock, "triage", mentions[start:start + 5000], matcher=matcher, playbooks=playbooks,
                             scope=Scope(brand=brand), tally=tally)
    with transaction(engine) as session:
        opened = session.scalar(select(func.count()).select_from(Incident))
        titles = list(session.scalars(select(Incident.title).limit(3)))
    engine.dispose()
    return opened, tally.matched, titles


def abuse(playbook: Playbook) -> None:
    """The share of each moderation set's items that the moderation playbook's detection matches."""
    matcher = Matcher({playbook.id: playbook.detect})

    def caught(texts: list[str]) -> str:
        found = sum(1 for text in texts if matcher.matching(text))
        return f"{found / len(texts):6.1%} of {len(texts):>6,}"

    print(f"abuse caught by {playbook.id} (share of items matched):")
    for lang in ("fr", "en"):
        with (DATASETS / "mlma_hate_speech_fr_en" / f"{lang}_dataset.csv").open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        toxic = [r["tweet"] for r in rows if r["sentiment"] != "normal"]
        normal = [r["tweet"] for r in rows if r["sentiment"] == "normal"]
        print(f"  MLMA {lang}       toxic {caught(toxic)};  normal (false alarms) {caught(normal)}")
    with (DATASETS / "davidson_hate_offensive" / "labeled_data.csv").open(encoding="utf-8") as f:
        by_class: dict[str, list[str]] = defaultdict(list)
        for r in csv.DictReader(f):
            by_class[r["class"]].append(r["tweet"])
    print(f"  Davidson en   hate {caught(by_class['0'])};  offensive {caught(by_class['1'])};  "
          f"neither (false alarms) {caught(by_class['2'])}")


def spikes() -> None:
    path = DATASETS / "twitter_us_airline_sentiment" / "derived_hourly_counts_utc.csv"
    series: dict[str, list[tuple[datetime, int, int]]] = defaultdict(list)
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            hour = datetime.fromisoformat(row["hour_utc"].replace("Z", "+00:00"))
            series[row["airline"]].append((hour, int(row["n_all"]), int(row["n_positive"])))
    rule = SpikeRule()
    print(f"spikes (k={rule.k}, floor {rule.floor}/h, cool-down {rule.cooldown}, one day of warm-up):")
    for name, rows in sorted(series.items()):
        rows.sort()
        counts, positives = [n for _, n, _ in rows], [p for _, _, p in rows]
        peak = max(rows, key=lambda r: r[1])
        found = scan(counts, first_hour=rows[0][0], rule=rule, positives=positives, warmup=24)
        alerts = ", ".join(f"{s.hour_at:%d %b %H:00}{'' if s.crisis else ' (positive)'} [{s.count}/h]" for s in found) or "none"
        print(f"  {name:<15} peak {peak[1]:>3}/h at {peak[0]:%d %b %H:00}; alerts: {alerts}")


def main() -> None:
    playbooks = {pb.id: pb for pb in map(load_playbook, list_playbooks(shipped_content() / "playbooks"))}
    matcher = Matcher({k: pb.detect for k, pb in playbooks.items()})
    if not DATASETS.is_dir():
        raise SystemExit(f"no datasets at {DATASETS}")
    for name, texts in (("airline praise + neutral (en)", airline({"positive", "neutral"})),
                        ("DEFT 2017 positive + neutral (fr)", french({"positive", "neutral"})),
                        ("airline negative (en), for contrast", airline({"negative"})),
                        ("DEFT 2017 negative (fr), for contrast", french({"negative"}))):
        opened, matched, examples = incidents_opened(texts, playbooks, matcher)
        count = sum(map(len, texts.values()))
        print(f"{name:<38} {count:>6,} mentions: {matched:>4} matched, {opened:>3} incidents opened "
              f"= {opened / count * 10_000:.1f} per 10,000")
        for title in examples:
            print(f"    opened: {title[:110]}")
    abuse(playbooks["abusive_comments"])
    spikes()


if __name__ == "__main__":
    main()
