"""Fuzzing every reader and loader: hostile inputs in, only our errors out.

    python bench/fuzz_inputs.py [--cases 100000] [--seed 15] [--no-huge]

Mentions (JSON Lines, CSV, gzip), playbooks, the roster, reply manifests and review files, each fed
the hostile corpus of tests/hostile.py (invalid UTF-8, lone surrogates, NUL, BOM and CRLF, NaN and
inf, deep nesting, YAML anchors and the billion laughs, `!!python` tags, wrong types in every field,
cuts, shuffles, random bytes) and, unless --no-huge, one 100 MB line per target. A case passes when
it is read or refused with a CrisisError; any other exception is a traceback a responder would see,
and is printed with the start of its input. The reference is the same readers on the valid seeds,
measured in the same run.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crisis.errors import CrisisError  # noqa: E402
from tests.hostile import cases, huge_line, run, seeds  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--no-huge", action="store_true", help="skip the 100 MB lines")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(dir="/dev/shm" if Path("/dev/shm").is_dir() else None, prefix="crisis-fuzz-"))

    pool = seeds()
    started, reference = time.perf_counter(), 0
    for _ in range(50):
        for target, docs in pool.items():
            for doc in docs:
                run(target, doc, folder)
                reference += 1
    reference_us = (time.perf_counter() - started) / reference * 1e6

    tracebacks: dict[tuple[str, str], tuple[bytes, str]] = {}
    counts, refused, spent = Counter(), Counter(), Counter()
    rng = random.Random(args.seed)
    started = time.perf_counter()
    stream = cases(rng)
    for n in range(args.cases):
        target, data = next(stream)
        t0 = time.perf_counter()
        counts[target] += 1
        try:
            run(target, data, folder)
        except CrisisError:
            refused[target] += 1
        except Exception as exc:  # noqa: BLE001  (what the fuzzer is looking for)
            tracebacks.setdefault((target, f"{type(exc).__name__}: {str(exc)[:100]}"), (data[:200], traceback.format_exc(limit=-3)))
            counts["traceback"] += 1
        spent[target] += time.perf_counter() - t0
        if n and n % 20_000 == 0:
            print(f"  {n:,} cases, {counts['traceback']} traceback(s), {time.perf_counter() - started:.0f} s", flush=True)
    elapsed = time.perf_counter() - started

    huge = []
    if not args.no_huge:
        for target in sorted(pool):
            data, t0 = huge_line(target), time.perf_counter()
            try:
                outcome = f"records: {run(target, data, folder)}"
            except CrisisError as exc:
                outcome = f"refused: {exc.message[-90:]}"
            except Exception as exc:  # noqa: BLE001
                outcome = f"TRACEBACK {type(exc).__name__}: {exc}"
                counts["traceback"] += 1
            huge.append(f"  {target:<15} {time.perf_counter() - t0:5.2f} s  {outcome}")
            del data

    total = args.cases + len(huge)
    print(f"fuzz_inputs: {total:,} cases ({args.cases:,} hostile, seed {args.seed}; {len(huge)} lines of 100 MB), "
          f"{counts['traceback']} traceback(s), {elapsed:.1f} s: {elapsed / args.cases * 1e6:.0f} µs a case")
    print(f"reference: the valid seeds read by the same readers, {reference_us:.0f} µs a case ({reference} reads)")
    for target in sorted(k for k in counts if k != "traceback"):
        print(f"  {target:<15} {counts[target]:>7,} cases, {refused[target]:>7,} refused with a CrisisError, "
              f"{spent[target] / counts[target] * 1e6:6.0f} µs a case")
    print("100 MB lines:" if huge else "", *huge, sep="\n")
    for (target, what), (data, trace) in tracebacks.items():
        print(f"\nTRACEBACK {target}: {what}\ninput starts {data[:200]!r}\n" + "\n".join(line[:300] for line in trace.splitlines()))
    return 1 if counts["traceback"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
