"""The spike detector on synthetic hourly series: known spikes, daily seasonality, positive spikes, floor, cool-down."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from crisis.errors import ContentError
from crisis.triage.spikes import SpikeRule, check_spike, hourly_counts, scan, spike_rule

START = datetime(2026, 11, 1, tzinfo=timezone.utc)
RULE = SpikeRule(k=2.0, floor=20, cooldown=timedelta(hours=6))


def quiet(days: int, *, seed: int = 1, level: int = 5) -> list[int]:
    rng = random.Random(seed)
    return [max(0, level + rng.randint(-2, 2)) for _ in range(days * 24)]


def test_a_sustained_burst_is_found_at_the_hour_it_lifts_the_daily_mean():
    """Ten quiet days, then 120 mentions an hour: the alert comes within hours of the start, not before."""
    series = quiet(10) + [120] * 12
    spikes = scan(series, first_hour=START, rule=RULE)
    assert spikes, "the burst is a spike"
    first = spikes[0]
    burst_at = START + timedelta(hours=10 * 24)
    assert burst_at <= first.hour_at <= burst_at + timedelta(hours=3)
    assert first.crisis and first.count == 120 and "mean of the last 24 h" in first.why


def test_a_daily_peak_is_seasonal_not_a_spike():
    """A lunchtime peak of 60 every day beats the mean but not the same hour the day and the week before."""
    series = []
    for _ in range(14):
        day = quiet(1)
        day[12] = day[13] = 60
        series += day
    assert scan(series, first_hour=START, rule=RULE) == []


def test_the_same_peak_on_a_new_day_after_a_quiet_week_is_a_spike():
    series = quiet(9) + [5] * 10 + [90] * 4
    assert scan(series, first_hour=START, rule=RULE)


def test_a_positive_spike_is_reported_but_is_not_a_crisis():
    series = quiet(9) + [150] * 6
    positives = [0] * (9 * 24) + [140] * 6
    spikes = scan(series, first_hour=START, rule=RULE, positives=positives)
    assert spikes and not any(s.crisis for s in spikes)
    assert spikes[0].why.startswith("positive spike")


def test_below_the_absolute_floor_nothing_is_a_spike():
    """From almost nothing to 15 an hour is a big relative rise but under the floor of 20."""
    series = [0] * (9 * 24) + [15] * 10
    assert scan(series, first_hour=START, rule=RULE) == []
    assert scan(series, first_hour=START, rule=SpikeRule(floor=10))


def test_the_cool_down_holds_the_next_alert():
    series = quiet(9) + [200] * 30
    spikes = scan(series, first_hour=START, rule=RULE)
    gaps = [b.hour_at - a.hour_at for a, b in zip(spikes, spikes[1:])]
    assert len(spikes) >= 2 and all(gap >= RULE.cooldown for gap in gaps)
    last = spikes[0].hour_at
    assert check_spike(series[: 9 * 24 + 2], hour_at=last + timedelta(hours=1), rule=RULE, last_alert_at=last) is None


def test_higher_k_needs_a_bigger_spike():
    """Baseline mean 20, σ 10; a day averaging 40: above 20 + 1.5σ, below 20 + 3σ."""
    series = [10, 30] * 84 + [39] * 23 + [62]
    hour = START + timedelta(hours=len(series) - 1)
    found = check_spike(series, hour_at=hour, rule=SpikeRule(k=1.5))
    assert found is not None and found.threshold == pytest.approx(35.0)
    assert check_spike(series, hour_at=hour, rule=SpikeRule(k=3.0)) is None


def test_hourly_counts_place_each_instant_in_its_hour():
    last = START + timedelta(hours=3)
    counts = hourly_counts([START, START + timedelta(minutes=59), last + timedelta(minutes=1), last + timedelta(hours=1)],
                           last_hour=last, hours=4)
    assert counts == [2, 0, 0, 1]


@pytest.mark.parametrize("table,message", [
    ({"k": 2.5}, "triage.spikes.k: 2.5: expected 1.5 (sensitive), 2 or 3"),
    ({"floor": 0}, "triage.spikes.floor: 0: expected a whole number"),
    ({"cooldown": "soon"}, "triage.spikes.cooldown: 'soon'"),
    ({"sensitivity": "high"}, "triage.spikes: unknown key 'sensitivity'"),
])
def test_a_bad_spike_setting_is_named(table, message):
    with pytest.raises(ContentError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        spike_rule(table, "crisis.toml: triage.spikes")


def test_spike_settings_are_read():
    assert spike_rule({"k": 3, "floor": 50, "cooldown": "12h"}, "x") == SpikeRule(k=3.0, floor=50, cooldown=timedelta(hours=12))
