"""The timeline's typed events behave as frozen dataclasses: built by keyword, immutable, equal by kind and fields,
read back from their stored data unchanged."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from crisis.incident import events as ev


def test_every_kind_reads_back_from_what_it_stores():
    at = datetime(2026, 11, 20, 10, tzinfo=timezone.utc)
    for kind, cls in ev.KINDS.items():
        built = cls(**{f.name: at for f in dataclasses.fields(cls) if f.name.endswith("_at")})
        assert built.kind == kind and ev.parse_event(kind, built.data()) == built, kind


def test_an_event_is_immutable_and_equal_by_kind_and_fields():
    moved = ev.Transition(trigger="acknowledge", from_="detected", to="triage", deadlines_met=["acknowledge"])
    assert moved == ev.Transition(trigger="acknowledge", from_="detected", to="triage", deadlines_met=["acknowledge"])
    assert moved != ev.Transition(trigger="acknowledge", from_="detected", to="dismissed")
    assert moved != ev.Unrecognised(name="transition", payload=moved.data())
    with pytest.raises(dataclasses.FrozenInstanceError):
        moved.to = "closed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del moved.note
    assert repr(moved).startswith("Transition(trigger='acknowledge', from_='detected', to='triage', note=None")
    assert hash(ev.Escalated(to="crisis_cell")) == hash(ev.Escalated(to="crisis_cell"))


def test_an_event_is_built_like_a_dataclass():
    assert ev.Transition("next", "responding.contain", "responding.inform").to == "responding.inform"
    assert dataclasses.replace(ev.Escalated(to="comms_lead"), to="crisis_cell").to == "crisis_cell"
    assert ev.Opened().deadlines_armed is not ev.Opened().deadlines_armed  # each its own default list
    with pytest.raises(TypeError, match="unexpected keyword argument .too."):
        ev.Escalated(too="crisis_cell")
    with pytest.raises(TypeError, match="multiple values"):
        ev.Transition("next", trigger="next")
