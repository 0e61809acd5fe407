"""Volume spikes: hourly mention counts of a brand and playbook against their own baseline.

The published rule: alert when the mean of the last 24 hours exceeds the mean of the 7 days
before plus k standard deviations (k = 1.5, 2 or 3), provided the current hour also beats the
same hour the day before and the week before (weekly seasonality), reaches an absolute floor,
and the last alert is older than the cool-down. A spike made mostly of positive mentions is
reported as such and is not a crisis. Pure: the caller passes the counts and the current hour.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crisis.errors import ContentError
from crisis.playbook.durations import parse_duration

WINDOW = 24  # hours in the recent window
BASELINE = 7 * 24  # hours of baseline, before the recent window
HISTORY = WINDOW + BASELINE
K_VALUES = (1.5, 2.0, 3.0)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class SpikeRule:
    """How sensitive detection is; from `[triage.spikes]` in crisis.toml."""

    k: float = 2.0
    floor: int = 20  # mentions in the current hour below which nothing is a spike
    cooldown: timedelta = timedelta(hours=6)
    positive_share: float = 0.6  # at or above this share of positive mentions, a spike is good news


@dataclass(frozen=True)
class Spike:
    """A spike found at `hour_at` (the start of the hour just counted), with the figures behind it."""

    hour_at: datetime
    count: int
    mean_24h: float
    baseline_mean: float
    baseline_std: float
    threshold: float
    same_hour_yesterday: int
    same_hour_last_week: int
    positive_share: float
    crisis: bool

    @property
    def why(self) -> str:
        figures = (f"mean of the last 24 h {self.mean_24h:.1f}/h > 7-day mean {self.baseline_mean:.1f} + k·σ "
                   f"(σ {self.baseline_std:.1f}) = {self.threshold:.1f}; this hour {self.count} vs {self.same_hour_yesterday} "
                   f"the day before and {self.same_hour_last_week} the week before")
        if not self.crisis:
            return f"positive spike ({self.positive_share:.0%} positive), not a crisis: {figures}"
        return f"volume spike: {figures}"


def spike_rule(table: Mapping[str, Any], where: str) -> SpikeRule:
    """The rule from a `[triage.spikes]` table. Raises ContentError naming the key."""
    known = {"k", "floor", "cooldown", "positive_share"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ContentError(f"{where}: unknown key {unknown[0]!r}", hint=f"keys: {', '.join(sorted(known))}")
    rule = SpikeRule()
    k = table.get("k", rule.k)
    if isinstance(k, bool) or not isinstance(k, (int, float)) or float(k) not in K_VALUES:
        raise ContentError(f"{where}.k: {k!r}: expected 1.5 (sensitive), 2 or 3 (only big spikes)")
    floor = table.get("floor", rule.floor)
    if isinstance(floor, bool) or not isinstance(floor, int) or floor < 1:
        raise ContentError(f"{where}.floor: {floor!r}: expected a whole number of mentions per hour ≥ 1")
    share = table.get("positive_share", rule.positive_share)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
        raise ContentError(f"{where}.positive_share: {share!r}: expected a share between 0 and 1")
    cooldown = table.get("cooldown")
    try:
        pause = parse_duration(cooldown) if isinstance(cooldown, str) else rule.cooldown
    except ValueError as exc:
        raise ContentError(f"{where}.cooldown: {cooldown!r}: {exc}") from None
    if cooldown is not None and not isinstance(cooldown, str):
        raise ContentError(f"{where}.cooldown: {cooldown!r}: expected a duration such as \"6h\"")
    return SpikeRule(k=float(k), floor=floor, cooldown=pause, positive_share=float(share))


def hourly_counts(instants: Iterable[datetime], *, last_hour: datetime, hours: int = HISTORY) -> list[int]:
    """Counts per hour for the `hours` hours ending with the hour starting at `last_hour`, oldest first."""
    first = last_hour - (hours - 1) * HOUR
    counts = [0] * hours
    for instant in instants:
        slot = int((instant - first) // HOUR)
        if 0 <= slot < hours:
            counts[slot] += 1
    return counts


def check_spike(counts: Sequence[int], *, hour_at: datetime, rule: SpikeRule, positives: Sequence[int] | None = None,
                last_alert_at: datetime | None = None) -> Spike | None:
    """The spike at the end of `counts` (hourly, oldest first, the last being `hour_at`), or None.

    Fewer than 8 days of counts are padded with zeros at the start: a new brand's first burst
    is judged against silence, and the floor keeps that honest.
    """
    series = [0] * max(0, HISTORY - len(counts)) + list(counts[-HISTORY:])
    recent, baseline = series[-WINDOW:], series[:BASELINE]
    current = series[-1]
    yesterday, last_week = series[-1 - 24], series[-1 - 168]
    mean_24h, mean_7d = statistics.fmean(recent), statistics.fmean(baseline)
    std_7d = statistics.pstdev(baseline)
    threshold = mean_7d + rule.k * std_7d
    if current < rule.floor or mean_24h <= threshold or current <= max(yesterday, last_week):
        return None
    if last_alert_at is not None and hour_at - last_alert_at < rule.cooldown:
        return None
    share = (positives[-1] if positives else 0) / current  # what the hour that tipped it was made of
    return Spike(hour_at, current, mean_24h, mean_7d, std_7d, threshold, yesterday, last_week, share,
                 crisis=share < rule.positive_share)


def scan(counts: Sequence[int], *, first_hour: datetime, rule: SpikeRule, positives: Sequence[int] | None = None,
         warmup: int = HISTORY) -> list[Spike]:
    """Every spike an hourly check would have raised over a recorded series, cool-down included.

    The first `warmup` hours only build the baseline: a recording's first day is not news.
    """
    spikes: list[Spike] = []
    last: datetime | None = None
    for end in range(min(warmup, len(counts)) or 1, len(counts) + 1):
        hour_at = first_hour + (end - 1) * HOUR
        found = check_spike(counts[:end], hour_at=hour_at, rule=rule, last_alert_at=last,
                            positives=positives[:end] if positives is not None else None)
        if found is not None:
            spikes.append(found)
            last = hour_at
    return spikes
