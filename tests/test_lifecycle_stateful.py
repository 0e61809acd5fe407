"""Random responders against each shipped playbook, checked against an allowed-moves table written here.

The table below is written from DESIGN.md's lifecycle, independently of crisis.incident.lifecycle,
so that this test does not merely repeat the code it checks.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from crisis.clock import VirtualClock
from sqlalchemy import select

from crisis.db import open_engine, transaction
from crisis.errors import CrisisError, RefusedError
from crisis.incident import service
from crisis.incident.lifecycle import leaf_states
from crisis.incident.models import Deadline, Incident
from crisis.incident.rules import FollowUp
from crisis.incident.timeline import verify_chain
from crisis.playbook.loader import list_playbooks, load_playbook
from crisis.playbook.model import Playbook, severity_rank
from crisis.replies import service as replies
from crisis.replies.manifest import load_manifest

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOKS = [load_playbook(p) for p in list_playbooks(ROOT / "playbooks")]
TEMPLATES = ROOT / "templates"
REACHED: set[str] = set()  # what the random responders reached, so a run that never got far fails
TRIGGERS = ["acknowledge", "respond", "next", "stabilize", "relapse", "resolve", "close", "dismiss", "reopen", "escalate"]
OPEN = {"detected", "triage", "monitoring"}


def fact_values(playbook: Playbook, fact=None):
    """(fact id, raw answer) for any fact of the playbook, or the raw answer alone for `fact`."""
    def values(fact):
        return {"bool": st.sampled_from(["yes", "no"]), "choice": st.sampled_from(fact.choices), "int": st.integers(0, 10**6).map(str),
                "date": st.dates(date(2020, 1, 1), date(2030, 1, 1)).map(date.isoformat), "url": st.just("https://example.org/r/1"),
                }.get(fact.type, st.text("abc ", min_size=1, max_size=5).filter(str.strip))
    if fact is not None:
        return values(fact)
    return st.one_of(*[st.tuples(st.just(f.id), values(f)) for f in playbook.facts])


class Responder(RuleBasedStateMachine):
    playbook: Playbook
    engine = None

    def __init__(self) -> None:
        super().__init__()
        self.clock = VirtualClock(datetime(2026, 11, 20, 10, tzinfo=timezone.utc))
        with transaction(self.engine) as session:
            incident = service.open_incident(session, self.clock, "ana", self.playbook, title="stateful", brand="Acme")
            self.ref, self.severity = incident.ref, incident.severity
        self.state, self.level = "detected", self.playbook.level_for(self.severity)
        self.facts: dict[str, object] = {}
        self.checked: set[tuple[str, str]] = set()
        self.published: set[str] = set()
        self.review_complete = False

    # --- the independent table of allowed moves -------------------------------------------
    def applies(self, step) -> bool:
        return all(c.holds(self.facts) for c in step.when)

    def done(self, step) -> bool:
        top = self.playbook.escalation_levels[-1]
        return (all((step.id, i.id) in self.checked for i in step.checklist)
                and all(f in self.facts for f in step.requires_facts)
                and (step.reply is None or step.id in self.published)
                and ("crisis_cell_convened" not in step.guards or self.level == top))

    def expected(self, trigger: str) -> str | None:
        steps, s = self.playbook.steps, self.state
        current = next((i for i, step in enumerate(steps) if s == f"responding.{step.id}"), None)
        later = [step for step in steps[current + 1:] if self.applies(step)] if current is not None else []
        if trigger == "acknowledge":
            return "triage" if s == "detected" else None
        if trigger == "dismiss":
            return "dismissed" if s in ("detected", "triage") else None
        if trigger == "respond":
            first = next((step for step in steps if self.applies(step)), None)
            ready = all(f in self.facts for f in self.playbook.triage_requires)
            return f"responding.{first.id}" if s == "triage" and ready and first else None
        if trigger == "next":
            return f"responding.{later[0].id}" if current is not None and self.done(steps[current]) and later else None
        if trigger == "stabilize":
            return "monitoring" if current is not None and self.done(steps[current]) and not later else None
        if trigger == "relapse":
            return f"responding.{self.playbook.relapse_to}" if s == "monitoring" else None
        if trigger == "resolve":
            return "resolved" if s == "monitoring" else None
        if trigger == "close":
            return "closed" if s == "resolved" and self.review_complete else None
        if trigger == "reopen":
            return "triage" if s in ("resolved", "dismissed") else None
        if trigger == "escalate":
            is_open = s in OPEN or current is not None
            return s if is_open and self.level != self.playbook.escalation_levels[-1] else None
        raise AssertionError(trigger)

    def raise_level(self, level: str) -> None:
        levels = self.playbook.escalation_levels
        if levels.index(level) > levels.index(self.level):
            self.level = level

    # --- rules --------------------------------------------------------------------------------
    @rule(trigger=st.sampled_from(TRIGGERS), minutes=st.integers(0, 90))
    def fire(self, trigger: str, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        expected = self.expected(trigger)
        try:
            with transaction(self.engine) as session:
                incident = service.fire(session, self.clock, "ana", self.ref, trigger)
                state = incident.state
        except RefusedError:
            assert expected is None, f"{trigger} from {self.state} was refused; the table allows it to {expected}"
            return
        assert state == expected, f"{trigger} from {self.state} went to {state}; the table says {expected}"
        if trigger == "escalate":
            levels = self.playbook.escalation_levels
            self.level = levels[levels.index(self.level) + 1]
        self.state = state
        entered = self.playbook.find_step(state.split(".", 1)[1]) if state.startswith("responding.") else None
        if entered and "convene_crisis_cell" in entered.on_enter and trigger != "escalate":
            self.raise_level(self.playbook.escalation_levels[-1])

    @rule(data=st.data())
    def work_the_step(self, data) -> None:
        """A diligent responder: answers what is asked, ticks every open item, publishes the statement."""
        for fact_id in self.needed_facts():
            self.answer_fact(fact_id, data.draw(fact_values(self.playbook, self.playbook.find_fact(fact_id))))
        step = self.current_step()
        for item in step.checklist if step else ():
            if (step.id, item.id) not in self.checked:
                self.check_item(item.id)
        if step is not None and step.reply and step.id not in self.published:
            self.publish_statement()

    @rule(data=st.data(), leave=st.sampled_from(["next", "stabilize"]))
    def finish_the_step(self, data, leave: str) -> None:
        """Work the step, then try to leave it: the table says whether `next` or `stabilize` is the way."""
        self.work_the_step(data)
        self.fire(leave, 10)

    @rule(trigger=st.sampled_from(["acknowledge", "respond", "next", "stabilize", "resolve", "close"]))
    def move_forward(self, trigger: str) -> None:
        """A responder pushing the incident on (random triggers alone rarely leave triage)."""
        self.fire(trigger, 5)

    @rule(data=st.data())
    def check(self, data) -> None:
        self.check_item(data.draw(st.sampled_from(sorted({i.id for s in self.playbook.steps for i in s.checklist}))))

    def check_item(self, item: str) -> None:
        current = self.playbook.find_step(self.state.split(".", 1)[1]) if self.state.startswith("responding.") else None
        allowed = current is not None and item in {i.id for i in current.checklist} and (current.id, item) not in self.checked
        try:
            with transaction(self.engine) as session:
                service.check_item(session, self.clock, "ana", self.ref, item)
        except CrisisError:
            assert not allowed, f"checking {item} in {self.state} was refused"
            return
        assert allowed, f"checked {item} in {self.state}"
        self.checked.add((current.id, item))  # type: ignore[union-attr]

    def needed_facts(self) -> list[str]:
        step = self.current_step()
        wanted = [*self.playbook.triage_requires, *(step.requires_facts if step else ())]
        return [f for f in wanted if f not in self.facts]

    def current_step(self):
        return self.playbook.find_step(self.state.split(".", 1)[1]) if self.state.startswith("responding.") else None

    @rule(data=st.data())
    def answer_a_needed_fact(self, data) -> None:
        """Responders answer what the playbook asks now: the walk goes deep, not only sideways."""
        needed = self.needed_facts()
        if needed:
            fact = self.playbook.find_fact(data.draw(st.sampled_from(needed)))
            self.answer_fact(fact.id, data.draw(fact_values(self.playbook, fact)))

    @rule(data=st.data())
    def tick_an_open_item(self, data) -> None:
        step = self.current_step()
        open_items = [i.id for i in step.checklist if (step.id, i.id) not in self.checked] if step else []
        if open_items:
            self.check_item(data.draw(st.sampled_from(open_items)))

    @rule(data=st.data())
    def answer(self, data) -> None:
        if not self.playbook.facts:
            return
        fact_id, raw = data.draw(fact_values(self.playbook))
        self.answer_fact(fact_id, raw)

    def answer_fact(self, fact_id: str, raw: str) -> None:
        final = self.state in ("closed", "dismissed")
        try:
            with transaction(self.engine) as session:
                incident = service.set_fact(session, self.clock, "ana", self.ref, fact_id, raw)
                value = next(f.value for f in incident.facts if f.fact_id == fact_id)
                severity = incident.severity
        except RefusedError:
            assert final
            return
        assert not final
        self.facts[fact_id] = value
        assessed = self.playbook.evaluate_severity(self.facts)
        if severity_rank(assessed) < severity_rank(self.severity):
            self.severity = assessed
            self.raise_level(self.playbook.level_for(assessed))
        assert severity == self.severity

    @rule()
    def publish_statement(self) -> None:
        """Draft the current step's statement, have a second person approve it, publish it."""
        step = self.playbook.find_step(self.state.split(".", 1)[1]) if self.state.startswith("responding.") else None
        manifest = load_manifest(TEMPLATES / self.playbook.id)
        values = {v.id: v.sample["en"] for v in manifest.values.values()}
        try:
            with transaction(self.engine) as session:
                preview = replies.preview_reply(session, self.ref, templates_dir=TEMPLATES, lang="en", values=values,
                                                responder="Ana", contact="care@example.org")
                reply = replies.draft_reply(session, self.clock, "ana", self.ref, preview, contact="care@example.org")
                replies.approve_reply(session, self.clock, "bob", self.ref, reply.label, roster=None)
                replies.publish_reply(session, self.clock, "ana", self.ref, reply.label, via="manual")
        except CrisisError as exc:
            ready = step is not None and step.reply and all(f in self.facts for f in step.requires_facts)
            assert not ready, f"could not publish the statement of step {step.id}: {exc}"  # type: ignore[union-attr]
            return
        assert step is not None and step.reply is not None
        self.published.add(step.id)
        REACHED.add("published")

    @rule(follow_ups=st.integers(0, 2))
    def review(self, follow_ups: int) -> None:
        final = self.state in ("closed", "dismissed")
        try:
            with transaction(self.engine) as session:
                service.record_review(session, self.clock, "ana", self.ref, what_happened="what", what_gained="gain",
                                      follow_ups=[FollowUp(f"action {n}", "ana", date(2027, 1, 1)) for n in range(follow_ups)])
        except RefusedError:
            assert final
            return
        self.review_complete = follow_ups > 0

    def teardown(self) -> None:
        """The chain is verified once per walk: a bad link, once written, stays until the end (every step would cost O(n²))."""
        with transaction(self.engine) as session:
            assert verify_chain(session, service.get_incident(session, self.ref)) is None

    # --- invariants -----------------------------------------------------------------------
    @invariant()
    def stored_state_is_the_models_leaf(self) -> None:
        """Read with two light queries (not the whole incident and its relations): this runs after every step."""
        number = int(self.ref.split("-")[1])
        with transaction(self.engine) as session:
            state, level = session.execute(select(Incident.state, Incident.level).where(Incident.number == number)).one()
            armed = session.execute(select(Deadline.kind, Deadline.step_id).join(Incident)
                                    .where(Incident.number == number, Deadline.status == "armed")).all()
        REACHED.add(state)
        assert state == self.state
        assert state in leaf_states(self.playbook)
        assert level == self.level
        for kind, step_id in armed:
            if kind == "acknowledge":
                assert self.state == "detected"
            if kind == "step":
                assert self.state == f"responding.{step_id}", f"step {step_id} deadline still armed in {self.state}"
            assert self.state not in ("closed", "dismissed")


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=[p.id for p in PLAYBOOKS])
def test_lifecycle_matches_the_allowed_moves_table(playbook, fast_tmp):
    engine = open_engine(f"sqlite:///{fast_tmp / 'stateful.db'}")
    machine = type(f"Responder_{playbook.id}", (Responder,), {"playbook": playbook, "engine": engine})
    run = settings(max_examples=20, stateful_step_count=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])(machine)
    REACHED.clear()
    run.TestCase().runTest()
    engine.dispose()
    assert {"published", "monitoring", "dismissed"} <= REACHED, f"the random walk stayed shallow: {sorted(REACHED)}"
