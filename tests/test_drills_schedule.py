"""Drill schedules: cron or a period, a window of local hours, unannounced starts inside it across DST; no clock read."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisis.drill.schedule import Window, due_at, due_now, make_schedule, next_due, parse_window, unannounced_start
from crisis.errors import UsageError

PARIS = ZoneInfo("Europe/Paris")
UTC = timezone.utc
SINCE = datetime(2026, 3, 1, tzinfo=UTC)  # a Sunday, four weeks before the spring DST change


def test_a_window_reads_days_hours_and_zone():
    window = parse_window("Mon-Fri 09:00-18:00 Europe/Paris")
    assert window == Window(frozenset(range(5)), time(9), time(18), "Europe/Paris")
    assert str(window) == "Mon,Tue,Wed,Thu,Fri 09:00-18:00 Europe/Paris"
    assert parse_window("Sat,Sun 10:00-16:00 UTC").days == frozenset({5, 6})
    assert parse_window("Fri-Mon 8:00-12:00 UTC").days == frozenset({4, 5, 6, 0})


@pytest.mark.parametrize("text,message", [
    ("weekdays 9-18", "is not understood"),
    ("Mon-Fry 09:00-18:00 UTC", "'mon-fry' is not a day or a range of days"),
    ("Mon-Fri 09:00-18:00 Europe/Pariss", "'Europe/Pariss' is not a time zone"),
    ("Mon-Fri 18:00-09:00 UTC", "it must open before it closes on the same day"),
    ("Mon-Fri 09:00-25:00 UTC", "the hours are not times of day"),
])
def test_a_bad_window_is_a_usage_error_saying_what_to_write(text, message):
    with pytest.raises(UsageError, match=message):
        parse_window(text)


@pytest.mark.parametrize("kwargs,message", [
    ({}, "give exactly one of --cron EXPR or --every PERIOD"),
    ({"cron": "0 10 * *", "every": "90d"}, "give exactly one"),
    ({"cron": "every tuesday"}, "'every tuesday' is not a cron expression"),
    ({"every": "quarterly"}, "--every: 'quarterly' is not a duration"),
    ({"every": "90d", "unannounced": True}, "an unannounced drill needs a --window"),
])
def test_a_bad_schedule_is_refused(kwargs, message):
    with pytest.raises(UsageError, match=message):
        make_schedule("catalogue_2012", SINCE, **kwargs)


def test_every_90_days_counts_from_the_schedule_and_skips_nothing():
    schedule = make_schedule("catalogue_2012", SINCE, every="90d")
    first = next_due(schedule)
    assert first == SINCE + timedelta(days=90)
    assert next_due(schedule, last_due_at=first) == SINCE + timedelta(days=180)
    assert due_now(schedule, now=first - timedelta(seconds=1)) is None
    assert due_now(schedule, now=first) == first
    assert due_now(schedule, now=first + timedelta(days=3)) == first, "a late tick still starts the drill that was due"


def test_cron_is_read_in_the_window_s_zone_across_the_dst_change():
    """Tuesdays at 10:00 Paris time: 09:00 UTC in winter, 08:00 UTC in summer."""
    schedule = make_schedule("x", SINCE, cron="0 10 * * 2", window="Mon-Fri 09:00-18:00 Europe/Paris")
    starts, last = [], None
    for _ in range(6):
        last = next_due(schedule, last_due_at=last)
        starts.append(last)
    assert [s.astimezone(PARIS).strftime("%a %H:%M") for s in starts] == ["Tue 10:00"] * 6
    assert starts[3] == datetime(2026, 3, 24, 9, 0, tzinfo=UTC)  # before the change on 29 March
    assert starts[4] == datetime(2026, 3, 31, 8, 0, tzinfo=UTC)  # after it


def test_an_announced_drill_due_outside_its_window_starts_when_it_opens():
    schedule = make_schedule("x", SINCE, every="7d", window="Mon-Fri 09:00-18:00 Europe/Paris")
    start = next_due(schedule)  # nominally Sunday 8 March 00:00 UTC
    assert start.astimezone(PARIS) == datetime(2026, 3, 9, 9, 0, tzinfo=PARIS)


def test_an_unannounced_start_is_drawn_inside_the_window_and_the_same_for_the_same_seed():
    def starts(seed):
        schedule = make_schedule("x", SINCE, every="7d", window="Mon-Fri 09:00-18:00 Europe/Paris", unannounced=True, seed=seed)
        found, last = [], None
        for _ in range(8):
            last = next_due(schedule, last_due_at=last)
            found.append(last)
        return found

    first = starts(7)
    assert first == starts(7)
    assert first != starts(8)
    assert all(parse_window("Mon-Fri 09:00-18:00 Europe/Paris").holds(s) for s in first)
    assert len({s.astimezone(PARIS).time() for s in first}) > 1, "not the same hour every time: unannounced"


# Windows with hours around the night changes, so the gap (02:00-03:00 in March) and the repeated
# hour (02:00-03:00 in October) fall inside, at the edge of, or across them.
HOURS = st.one_of(st.sampled_from([time(h, m) for h in range(0, 5) for m in (0, 15, 30, 45)]),
                  st.sampled_from([time(h, m) for h in range(0, 24) for m in (0, 30)]))
DST_DAYS = st.sampled_from([date(2026, 3, 27), date(2026, 3, 28), date(2026, 3, 29), date(2026, 10, 24),
                            date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31)])


@settings(max_examples=300, deadline=None)
@given(day=DST_DAYS, hours=st.tuples(HOURS, HOURS).filter(lambda h: h[0] < h[1]), lead=st.integers(0, 36 * 60),
       days=st.frozensets(st.integers(0, 6), min_size=1), seed=st.integers(0, 2**32))
def test_an_unannounced_time_always_falls_inside_its_window_across_the_paris_dst_changes(day, hours, lead, days, seed):
    """Whatever the hours, days, instant and seed, the drawn start is inside the window on the Paris wall clock."""
    window = Window(frozenset(days | {day.weekday()}), hours[0], hours[1], "Europe/Paris")
    after = datetime.combine(day, time(0), PARIS).astimezone(UTC) - timedelta(minutes=lead)
    start = unannounced_start(window, after, random.Random(seed))
    assert start > after or start == after
    assert window.holds(start), f"{start.astimezone(PARIS)} is outside {window}"


def test_a_window_entirely_in_the_spring_gap_does_not_open_that_day():
    """02:15-02:45 does not exist in Paris on 29 March 2026: the first opening is the next Sunday's."""
    window = parse_window("Sun 02:15-02:45 Europe/Paris")
    assert window.bounds(date(2026, 3, 29)) is None
    start = unannounced_start(window, datetime(2026, 3, 28, 12, tzinfo=UTC), random.Random(1))
    assert start.astimezone(PARIS).date() == date(2026, 4, 5)


def test_the_seeded_draw_depends_on_the_occasion_not_on_when_it_is_computed():
    """The start of one occasion is the same whichever tick computes it."""
    schedule = make_schedule("x", SINCE, every="30d", window="Mon-Fri 09:00-18:00 Europe/Paris", unannounced=True, seed=3)
    nominal = SINCE + timedelta(days=30)
    assert due_at(schedule, nominal) == due_at(schedule, nominal)
    assert due_now(schedule, now=nominal + timedelta(days=5)) == due_at(schedule, nominal)
