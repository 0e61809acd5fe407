"""Rotations, checked against an independent model: one person on call at every instant, handoffs at
the local handoff time across the Europe/Paris daylight-saving changes, overrides honoured."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from crisis.oncall.rotations import Override, Rotation

PARIS = ZoneInfo("Europe/Paris")
PEOPLE = ("ana", "bruno", "claire", "david", "eve")
START = date(2026, 1, 5)
# Instants over two years: four daylight-saving changes (last Sundays of March and October).
instants = st.datetimes(min_value=datetime(2026, 1, 6), max_value=datetime(2028, 1, 1), timezones=st.just(timezone.utc))
# Handoff times outside 02:00-03:00, the hour that does not exist (or exists twice) on a change day.
handoffs = st.builds(time, st.sampled_from([0, 1, 3, 6, 8, 9, 12, 18, 23]), st.sampled_from([0, 15, 30]))
day_lengths = st.sampled_from([1, 7, 2, 3, 14])


@st.composite
def rotations(draw, *, with_overrides: bool = True) -> Rotation:
    members = tuple(draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=5, unique=True)))
    overrides = ()
    if with_overrides:
        overrides = tuple(Override(draw(st.sampled_from(PEOPLE)), begin, begin + draw(st.timedeltas(timedelta(minutes=1), timedelta(days=9))))
                          for begin in draw(st.lists(instants, max_size=4)))
    return Rotation("community", members, timedelta(days=draw(day_lengths)), draw(handoffs), "Europe/Paris", START, overrides)


def model_on_call(rotation: Rotation, at: datetime) -> str | None:
    """Who is on call, by counting local calendar days, and by reading the overrides last to first."""
    for override in reversed(rotation.overrides):
        if override.start_at <= at < override.end_at:
            return override.person
    local = at.astimezone(PARIS)
    day = local.date() if local.time() >= rotation.handoff else local.date() - timedelta(days=1)
    shifts = (day - rotation.start).days // rotation.length.days
    return None if shifts < 0 else rotation.members[shifts % len(rotation.members)]


@settings(max_examples=300, deadline=None)
@given(rotations(), instants)
def test_exactly_one_person_is_on_call_and_it_is_the_one_the_model_says(rotation, at):
    """Inside its shift, the person on call is the model's; the shift contains the instant."""
    shift = rotation.shift_at(at)
    assert shift is not None and shift.start_at <= at < shift.end_at
    assert shift.person == model_on_call(rotation, at)
    assert rotation.on_call(shift.start_at) == shift.person or any(o.covers(shift.start_at) for o in rotation.overrides)


@settings(max_examples=300, deadline=None)
@given(rotations(with_overrides=False), instants)
def test_handoffs_happen_at_the_local_handoff_time_and_shifts_tile_time(rotation, at):
    """Each shift starts and ends at the handoff time in Paris, whatever the offset; the next shift starts
    where this one ends, with the next member."""
    shift = rotation.shift_at(at)
    assert shift is not None and shift.end_at is not None
    for edge in (shift.start_at, shift.end_at):
        assert edge.astimezone(PARIS).time() == rotation.handoff
    assert (shift.end_at.astimezone(PARIS).date() - shift.start_at.astimezone(PARIS).date()).days == rotation.length.days
    following = rotation.shift_at(shift.end_at)
    assert following is not None and following.start_at == shift.end_at
    members = rotation.members
    assert following.person == members[(members.index(shift.person) + 1) % len(members)]


@settings(max_examples=200, deadline=None)
@given(rotations(with_overrides=False), st.lists(st.tuples(st.sampled_from(PEOPLE), instants, st.integers(1, 60 * 24 * 9)), min_size=1, max_size=4),
       instants)
def test_overrides_are_honoured_and_the_last_listed_wins(rotation, raw, at):
    overrides = tuple(Override(person, begin, begin + timedelta(minutes=minutes)) for person, begin, minutes in raw)
    rotation = Rotation(rotation.id, rotation.members, rotation.length, rotation.handoff, rotation.timezone, rotation.start, overrides)
    covering = [o for o in overrides if o.covers(at)]
    expected = covering[-1].person if covering else rotation.base_shift(at).person  # type: ignore[union-attr]
    assert rotation.on_call(at) == expected
    for o in overrides:  # the instant an override starts, its person is on call unless a later one covers it
        later = [x for x in overrides[overrides.index(o) + 1:] if x.covers(o.start_at)]
        assert rotation.on_call(o.start_at) == (later[-1].person if later else o.person)


def test_a_daily_handoff_keeps_its_local_time_across_both_changes_of_2026():
    """09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer: the shift across a change lasts 23 h or 25 h."""
    rotation = Rotation("community", ("ana", "bruno"), timedelta(days=1), time(9, 0), "Europe/Paris", START)
    spring = rotation.shift_at(datetime(2026, 3, 28, 12, 0, tzinfo=timezone.utc))
    assert (spring.start_at, spring.end_at) == (datetime(2026, 3, 28, 8, 0, tzinfo=timezone.utc), datetime(2026, 3, 29, 7, 0, tzinfo=timezone.utc))
    autumn = rotation.shift_at(datetime(2026, 10, 25, 0, 0, tzinfo=timezone.utc))
    assert (autumn.start_at, autumn.end_at) == (datetime(2026, 10, 24, 7, 0, tzinfo=timezone.utc), datetime(2026, 10, 25, 8, 0, tzinfo=timezone.utc))
    assert autumn.end_at - autumn.start_at == timedelta(hours=25)


def test_a_handoff_in_the_spring_gap_happens_at_the_first_instant_after_it():
    """02:30 does not exist in Paris on 29 March 2026: that day's handoff happens at 03:30 CEST (01:30 UTC)."""
    rotation = Rotation("night", ("ana", "bruno"), timedelta(days=1), time(2, 30), "Europe/Paris", START)
    shift = rotation.shift_at(datetime(2026, 3, 29, 1, 45, tzinfo=timezone.utc))
    assert shift.start_at == datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)
    assert rotation.on_call(datetime(2026, 3, 29, 1, 29, tzinfo=timezone.utc)) != shift.person


def test_before_its_start_a_rotation_has_a_gap_that_check_reports():
    rotation = Rotation("community", ("ana",), timedelta(days=1), time(9, 0), "Europe/Paris", date(2026, 12, 1))
    now = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
    assert rotation.on_call(now) is None
    assert rotation.gaps(now, now + timedelta(days=30)) == [(now, datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc))]
