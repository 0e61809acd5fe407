"""Cost of expanding a drill's MEL into mentions, beside reading the same mentions back as `crisis ingest` does.

    python bench/drill_traffic.py [--mentions 20000] [--hours 72]

A 72-hour scenario built from the shipped 2012 catalogue drill, its waves scaled up to reach
`--mentions` (background included). The expansion (seeded curve, retyped texts, records) is timed
against the reference measured in the same run: writing those records as JSON Lines and reading
them with crisis's own reader (validation included), the first thing ingest does with any file.
The simulator's budget for the whole 72-hour drill is 10 s (issue 10); this is its first part.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from crisis.drill.loader import load_scenario
from crisis.drill.scenario import Wave
from crisis.drill.traffic import background_mentions, expand_inject
from crisis.settings import shipped_content
from crisis.triage.readers import read_mentions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=20_000)
    parser.add_argument("--hours", type=int, default=72)
    args = parser.parse_args()

    base = load_scenario(shipped_content() / "drills" / "catalogue_2012.yaml")
    kept = [i for i in base.injects if i.at < timedelta(hours=args.hours)]
    waves = sum(i.body.count for i in kept if isinstance(i.body, Wave))
    background = base.background.per_hour * args.hours
    scale = max(1.0, (args.mentions - background) / waves)
    injects = tuple(replace(i, body=replace(i.body, count=round(i.body.count * scale))) if isinstance(i.body, Wave) else i for i in kept)
    scenario = replace(base, duration=timedelta(hours=args.hours), injects=injects)
    start = datetime(2012, 1, 4, 10, tzinfo=timezone.utc)

    began = time.perf_counter()
    mentions = [m for i in scenario.injects for m in expand_inject(scenario, i, seed=1)]
    mentions += background_mentions(scenario, scenario.background, seed=1)
    records = [m.as_record(start) for m in mentions]
    expand = time.perf_counter() - began

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "drill.jsonl"
        began = time.perf_counter()
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        read = sum(1 for _ in read_mentions(str(path)))
        reference = time.perf_counter() - began
    assert read == len(records)

    print(f"{len(records)} mentions over {args.hours} h ({len(scenario.injects)} injects)")
    print(f"expand MEL → mentions : {expand:.3f} s ({len(records) / expand:,.0f} mentions/s)")
    print(f"reference: write + read as ingest : {reference:.3f} s ({expand / reference:.2f}× the reference)")


if __name__ == "__main__":
    main()
