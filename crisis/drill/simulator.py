"""`run_drill`: a scenario played by a scripted team on a virtual clock, in a throwaway SQLite database.

The clock jumps from one event to the next (an inject, a team move, a decision's deadline, an armed
deadline or a paging's next level falling due, the next poll of the mention stream), never minute by
minute. Mentions go through the real ingest in batches, `Scope(is_drill=True)`; deadlines and paging
through `scheduler.tick`; the team's moves through the services the CLI calls, with the roster of
`crisis.drill.roster` (roles checked, pages written as in a real incident). Notifiers only record:
nothing leaves the process. A move with `when:` waits until the incident is ready for it.
The same scenario, play and seed give the same timeline, hash for hash, and the same scorecard.
"""

from __future__ import annotations

import heapq
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from crisis.clock import VirtualClock
from crisis.drill import service as moves
from crisis.drill.conditions import TeamState, deadline_of, fires, holds, page_waiting, settle
from crisis.drill.play import Action, Play
from crisis.drill.outcome import DrillRun
from crisis.drill.roster import DrillRoster, simulation_roster
from crisis.drill.scenario import WEEKDAYS, Amplify, DecisionPoint, FactKnown, Inject, Message, Scenario
from crisis.drill.scorecard import Moment, make_scorecard
from crisis.drill.traffic import SimulatedMention, amplify, background_mentions, expand_inject
from crisis.incident import events as ev
from crisis.incident.models import Deadline, Event, Incident
from crisis.oncall.models import Paging
from crisis.outbox.recording import recording_notifiers
from crisis.playbook.model import severity_rank
from crisis.runtime import Runtime
from crisis.scheduler import JOBS, TickReport, deliver_outbox, tick
from crisis.settings import Settings
from crisis.triage.match import Matcher
from crisis.triage.mention import Scope
from crisis.triage.readers import Mention
from crisis.triage.service import Tally, ingest_batch

ORIGIN = date(2026, 1, 5)  # a Monday: a simulation starts at the first `start` moment on or after it (09:00 UTC without one)
PAGING_DUE = ("active", "acknowledged")  # pagings whose `next_at` makes tick page again (escalate_pagings)
POLL = timedelta(hours=1)  # how often the stream is read once the incident is open (before: at every instant, to open it on time)
# `crisis tick`'s jobs but the volume watch: drill mentions never feed it (ingest skips it for a drill scope), but the
# tick's job counts every stored match and would open a real incident, paged without the exercise marker.
SIMULATION_JOBS = [job for job in JOBS if job.__name__ != "_spikes"]
ACTOR = "drill"


def simulation_start(scenario: Scenario) -> datetime:
    """T+0 of a simulation: the scenario's `start` (weekday, local time, zone) on or after ORIGIN, in UTC."""
    if scenario.start is None:
        return datetime.combine(ORIGIN, time(9, 0), tzinfo=timezone.utc)
    zone, (hh, mm) = ZoneInfo(scenario.start.timezone), map(int, scenario.start.time.split(":"))
    day = ORIGIN
    if scenario.start.weekday:
        day += timedelta(days=(WEEKDAYS.index(scenario.start.weekday) - ORIGIN.weekday()) % 7)
    return datetime.combine(day, time(hh, mm), tzinfo=zone).astimezone(timezone.utc)


def brand_domain(brand: str) -> str:
    """The brand as a domain label: ASCII letters and digits, accents dropped ("Ondine Télécom" → "ondinetelecom")."""
    ascii_name = unicodedata.normalize("NFKD", brand).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_name.lower() if c.isalnum()) or "brand"


def run_drill(scenario: Scenario, play: Play, *, seed: int = 0, settings: Settings, roster: DrillRoster | None = None,
              poll: timedelta = POLL, batch: int = 5000) -> DrillRun:
    """Play `scenario` with the scripted team `play` in a throwaway database, deleted afterwards, paging with
    `roster` (by default the workspace's when the team is on it, else the drill roster) through recording notifiers.
    Raises ContentError for a playbook, template or roster that cannot be read, StorageError for the temp database."""
    folder = Path(tempfile.mkdtemp(prefix="crisis-drill-"))
    start = simulation_start(scenario)
    url = f"sqlite:///{folder / 'drill.db'}"
    roster = roster if roster is not None else simulation_roster(settings, play)
    runtime = Runtime(replace(settings, database_url=url), VirtualClock(start), engine=lambda: _throwaway_engine(url),
                      roster=roster.roster, notifiers=recording_notifiers())
    try:
        run = _Simulation(runtime, scenario, play, seed, start, poll, batch).run()
        run.paging = roster.note
        return run
    finally:
        if "engine" in runtime.__dict__:
            runtime.engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def _throwaway_engine(url: str):
    """The drill's database: migrated like any, but never synced to disk (it is deleted at the end)."""
    from sqlalchemy import event

    from crisis.db import open_engine

    engine = open_engine(url)

    def no_sync(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA journal_mode=MEMORY")
        cursor.close()

    event.listen(engine, "connect", no_sync)
    engine.dispose()  # the connection that migrated goes; the next ones skip the syncs
    return engine


@dataclass(order=True)
class _Due:
    at: timedelta
    order: int
    action: Action = field(compare=False)
    cue: moves.Cue = field(compare=False)


class _Simulation:
    def __init__(self, runtime: Runtime, scenario: Scenario, play: Play, seed: int, start: datetime, poll: timedelta, batch: int) -> None:
        self.runtime, self.scenario, self.play, self.seed, self.start, self.poll, self.batch = runtime, scenario, play, seed, start, poll, batch
        self.playbooks = {pid: runtime.playbooks[pid] for pid in runtime.playbooks}
        self.matcher = Matcher({pid: pb.detect for pid, pb in self.playbooks.items() if pb.detect.active})
        self.streams: dict[str, list[SimulatedMention]] = {}
        if scenario.background is not None:
            self.streams["background"] = background_mentions(scenario, scenario.background, seed=seed)
        self.injects = sorted(scenario.injects, key=lambda i: i.at)
        self.fired: dict[str, timedelta] = {}
        self.fired_list: list[Inject] = []
        self.skipped: set[str] = set()  # injects whose conditions did not hold at their offset
        self.open_points: dict[str, Inject] = {}
        self.decisions: dict[str, str] = {}
        self.queue: list[_Due] = []
        self.endorsed: set[str] = set()  # replies whose first endorsement set off `reply_endorsed`
        self.waiting: list[tuple[_Due, str]] = []  # moves due whose `when:` does not hold yet, with the state they came due in
        self.order = 0
        self.ref: str | None = None
        self.incident_id: int | None = None
        self.moments: list[Moment] = []
        self.last_reply: str | None = None
        self.tally = Tally()
        self.last_ingest = timedelta(0)
        self.contact = runtime.settings.contact or f"contact@{brand_domain(scenario.brand)}.example"

    @property
    def now(self) -> timedelta:
        return self.runtime.clock.now() - self.start

    def run(self) -> DrillRun:
        for action in self.play.actions:
            if action.at is not None:
                self._push(action.at, action, moves.Cue())
        self._trigger("start", None, moves.Cue())
        end, stuck, first = self.scenario.duration, 0, True
        while True:  # the first instant is T+0 itself: what the MEL puts at T+0:00 happens at T+0, not at the next mention
            at, first = (self.now if first else min(self._next_instant(), end)), False
            stuck = stuck + 1 if at == self.now else 0
            if stuck > 100:  # the same instant over and over: something due never gets done (a bug, never a content error)
                raise RuntimeError(f"drill simulation stuck at {at} of {self.scenario.id}")
            if at > self.now:
                self.runtime.clock.advance(at - self.now)
            self._ingest(at, force=at >= end)
            if self._deadline_due():
                tick(self.runtime, jobs=SIMULATION_JOBS)
            self._fire_injects(at)
            self._settle_defaults(at)
            self._scan()
            self._wake()
            while self.queue and self.queue[0].at <= at:
                self._act(heapq.heappop(self.queue))
                self._scan()
                self._wake()
            if at >= end:
                break
        return self._finish()

    # when the clock moves next -------------------------------------------------------------
    def _next_instant(self) -> timedelta:
        candidates = [i.at for i in self.injects if i.id not in self.fired and i.id not in self.skipped]
        candidates += [q.at for q in self.queue[:1]] + [deadline_of(i) for i in self.open_points.values()]
        pending = [s[0].at for s in self.streams.values() if s]
        if pending:
            candidates.append(min(pending) if self.incident_id is None else max(min(pending), self.last_ingest + self.poll))
        with self.runtime.unit_of_work() as session:
            due = session.scalar(select(func.min(Deadline.due_at)).where(Deadline.status == "armed"))
            page = session.scalar(select(func.min(Paging.next_at)).where(Paging.status.in_(PAGING_DUE)))
        candidates += [at - self.start for at in (due, page) if at is not None]
        later = [c for c in candidates if c > self.now]
        return min(later) if later else (self.now if any(c <= self.now for c in candidates) else self.scenario.duration)

    def _deadline_due(self) -> bool:
        """Whether `tick` has something to do now: a deadline, or the next level of a paging nobody acknowledged."""
        now = self.runtime.clock.now()
        with self.runtime.unit_of_work() as session:
            return bool(session.scalar(select(func.count()).select_from(Deadline).where(Deadline.status == "armed", Deadline.due_at <= now))
                        or session.scalar(select(func.count()).select_from(Paging).where(Paging.status.in_(PAGING_DUE),
                                                                                          Paging.next_at <= now)))

    # the MEL ----------------------------------------------------------------------------------
    def _ingest(self, upto: timedelta, *, force: bool = False) -> None:
        """Ingest, in batches, what the stream holds up to `upto`: at every instant until the incident opens, then at
        most every `poll` (a batch costs a re-measure of the incident), and always for a single post or article."""
        single = any(s and len(s) == 1 and s[0].at <= upto for k, s in self.streams.items() if k != "background")
        if not (force or single or self.incident_id is None or upto >= self.last_ingest + self.poll):
            return
        self.last_ingest = upto
        due: list[SimulatedMention] = []
        for key, stream in self.streams.items():
            n = next((k for k, m in enumerate(stream) if m.at > upto), len(stream))
            due += stream[:n]
            self.streams[key] = stream[n:]
        if not due:
            return
        due.sort(key=lambda m: (m.at, m.id))
        records = [Mention(m.id, m.platform, m.text, self.start + m.at, author=m.author, author_followers=m.author_followers, url=m.url,
                           lang=m.lang, own_account=m.own_account) for m in due]
        for first in range(0, len(records), self.batch):
            with self.runtime.unit_of_work() as session:
                ingest_batch(session, self.runtime.clock, "triage", records[first:first + self.batch], matcher=self.matcher,
                             playbooks=self.playbooks, scope=Scope(brand=self.scenario.brand, is_drill=True), tally=self.tally)
        self._find_incident()

    def _find_incident(self) -> None:
        if self.incident_id is not None:
            return
        with self.runtime.unit_of_work() as session:
            query = select(Incident).where(Incident.is_drill.is_(True)).order_by(Incident.playbook_id.in_(self.scenario.playbooks).desc(), Incident.id)
            incident = session.scalars(query.limit(1)).first()
            if incident is not None:
                self.incident_id, self.ref = incident.id, incident.ref

    def _fire_injects(self, upto: timedelta) -> None:
        for inject in self.injects:
            if inject.at > upto or inject.id in self.fired or inject.id in self.skipped:
                continue
            if not fires(inject, self._team_state()):
                self.skipped.add(inject.id)
                continue
            self.fired[inject.id] = inject.at
            self.fired_list.append(inject)
            body = inject.body
            if isinstance(body, Amplify):
                if self.streams.get(body.wave):
                    self.streams[body.wave] = amplify(self.streams[body.wave], self.now, body.factor, seed=self.seed, name=inject.id)
            else:
                mentions = expand_inject(self.scenario, inject, seed=self.seed)
                if mentions:
                    self.streams[inject.id] = mentions
            cue = moves.Cue()
            if isinstance(body, DecisionPoint):
                self.open_points[inject.id] = inject
                cue = moves.Cue(point=inject.id)
                self._trigger("decision", None, cue)
            elif isinstance(body, Message):
                cue = moves.Cue(sender=body.persona, channel=body.channel)
                self._trigger("message", None, cue)
            elif isinstance(body, FactKnown):
                self._trigger("fact_known", None, cue)
            self._trigger("inject", inject.id, cue)
        self._ingest(upto, force=self.incident_id is None)

    def _settle_defaults(self, upto: timedelta) -> None:
        for point_id, inject in sorted(self.open_points.items(), key=lambda kv: deadline_of(kv[1])):
            if inject.id in self.open_points and deadline_of(inject) <= upto:
                self._settle(inject, None)

    def _settle(self, inject: Inject, answer: tuple[str, timedelta] | None, actor: str = ACTOR) -> None:
        decision = settle(inject, answer)
        self.open_points.pop(inject.id, None)
        self.decisions[inject.id] = decision.option
        moves.decide(self.runtime, self.ref, actor if not decision.by_default else ACTOR, inject, decision.option, by_default=decision.by_default)

    # the team -----------------------------------------------------------------------------------
    def _push(self, at: timedelta, action: Action, cue: moves.Cue) -> None:
        self.order += 1
        heapq.heappush(self.queue, _Due(at, self.order, action, cue))

    def _trigger(self, on: str, arg: str | None, cue: moves.Cue) -> None:
        for action in self.play.actions:
            if action.on == on and (action.on_arg is None or action.on_arg == arg):
                self._push(self.now + action.after, action, cue)

    def _ready(self, due: _Due) -> bool:
        """Whether a due move is made: its `if`/`unless` hold, the incident exists, its person is awake (and paged, on `paged`)."""
        action, team = due.action, self._team_state()
        if not all(holds(c, team) for c in action.when) or any(holds(c, team) for c in action.unless):
            return False
        if action.on == "paged" and action.actor not in due.cue.people:
            return False
        member = self.play.member(action.actor)
        if action.on == "reply_endorsed" and not (member and set(member.roles) & set(due.cue.roles)):
            return False
        return self.ref is not None and not self._asleep(action.actor)

    def _act(self, due: _Due) -> None:
        """A move comes due: made now, or, with `when:`, kept waiting until what it waits for holds."""
        if not self._ready(due):
            return
        wait = due.action.waits_for
        if wait is None:
            self._perform(due)
            return
        assert self.ref is not None
        since = moves.incident_state(self.runtime, self.ref)
        verdict = moves.wait_outcome(self.runtime, self.ref, wait, since)
        if verdict == "go":
            self._perform(due)
        elif verdict == "wait" and not any(w.action is due.action and s == since for w, s in self.waiting):
            self.waiting.append((due, since))

    def _wake(self) -> None:
        """Make the waiting moves whose moment has come, in the order they came due; drop those whose moment has passed."""
        changed = True
        while changed and self.waiting and self.ref is not None:
            changed = False
            for entry in list(self.waiting):
                due, since = entry
                verdict = moves.wait_outcome(self.runtime, self.ref, due.action.waits_for, since)  # type: ignore[arg-type]
                if verdict == "wait":
                    continue
                self.waiting.remove(entry)
                if verdict == "go" and self._ready(due):
                    self._perform(due)
                    self._scan()
                changed = True
                break

    def _perform(self, due: _Due) -> None:
        action, args = due.action, due.action.args
        if action.do == "decide":
            point = self.open_points.get(args.get("point") or due.cue.point or "")
            if point is not None:
                assert isinstance(point.body, DecisionPoint)
                self._settle(point, (moves.resolve_option(point.body, args["option"]), self.now), action.actor)
        elif action.do == "answer":
            persona = self.scenario.find_persona(args.get("persona") or due.cue.sender or "")
            if persona is not None:
                moves.answer_message(self.runtime, self.ref, action.actor, persona.id, due.cue.channel or persona.platform,
                                     moves.text_of(args.get("text"), self.scenario.languages[0]))
        elif action.do == "approve" and (roles := moves.not_theirs_to_approve(self.runtime, self.ref, action.actor,
                                                                               args.get("reply") or self.last_reply)) is not None:
            label = args.get("reply") or self.last_reply
            if roles and label not in self.endorsed:  # passed on: the holders of the rule's roles approve, as on `reply_endorsed`
                self.endorsed.add(label)
                self._trigger("reply_endorsed", None, moves.Cue(roles=roles))
        elif action.do in ("delete", "hide"):
            moves.remove_message(self.runtime, self.ref, action.actor, action.do, args["target"], scenario=self.scenario, fired=self.fired_list)
        else:
            playbook_id = self.moments[0].event.playbook if self.moments and isinstance(self.moments[0].event, ev.Opened) else self.scenario.playbooks[0]
            moves.perform(self.runtime, self.ref, action, due.cue, scenario=self.scenario,
                          revealed=moves.revealed_facts(self.fired_list, playbook_id), last_reply=self.last_reply,
                          contact=self.contact, start=self.start)

    def _asleep(self, actor: str) -> bool:
        """A person holding only silent levels' roles does not answer until the incident is escalated above them; an
        incident that opens above them (a post of the brand's own account can open one straight at SEV1, escalated
        by nobody) wakes them once the pager reaches someone awake."""
        silent = set(self.scenario.silent_levels)
        if not self._silent(actor, silent):
            return False
        if any(isinstance(m.event, ev.Escalated) and m.event.to not in silent for m in self.moments):
            return False
        opened_above = any(isinstance(m.event, ev.Opened) and m.event.level not in silent for m in self.moments)
        return not (opened_above and any(isinstance(m.event, ev.Paged) and any(not self._silent(p["person"], silent) for p in m.event.people)
                                         for m in self.moments))

    def _silent(self, actor: str, silent: set[str]) -> bool:
        member = self.play.member(actor)
        return bool(silent) and member is not None and set(member.roles) <= silent

    # reading the timeline -------------------------------------------------------------------------
    def _scan(self) -> None:
        """Read the drill incident's new events and set off the moves waiting on them."""
        if self.incident_id is None:
            self._find_incident()
            if self.incident_id is None:
                return
        seen = self.moments[-1].seq if self.moments else 0
        with self.runtime.unit_of_work() as session:
            rows = session.scalars(select(Event).where(Event.incident_id == self.incident_id, Event.seq > seen).order_by(Event.seq)).all()
            new = [Moment(r.seq, r.at, r.actor, r.typed()) for r in rows]
        for m in new:
            self.moments.append(m)
            e = m.event
            if isinstance(e, ev.Opened):
                self._trigger("incident_opened", None, moves.Cue())
                for inject in self.fired_list:  # decisions settled before the incident existed go on its timeline now
                    if inject.id in self.decisions:
                        moves.decide(self.runtime, self.ref, ACTOR, inject, self.decisions[inject.id], by_default=True)
            elif isinstance(e, ev.Transition) and e.to.startswith("responding.") and e.to != e.from_:
                self._trigger("step_entered", e.to.split(".", 1)[1], moves.Cue())
            elif isinstance(e, ev.Escalated):
                self._trigger("escalated", None, moves.Cue())
            elif isinstance(e, ev.ReplyEndorsed) and e.reply not in self.endorsed:  # once per reply: each missing role approves once
                self.endorsed.add(e.reply)
                self._trigger("reply_endorsed", None, moves.Cue(roles=tuple(r for m in e.missing for r in m.split(" or "))))
            elif isinstance(e, ev.Paged):
                self._trigger("paged", None, moves.Cue(people=tuple(p["person"] for p in e.people)))
            elif isinstance(e, ev.ReplyDrafted | ev.ReplyApproved | ev.ReplyPublished):
                self.last_reply = e.reply if isinstance(e, ev.ReplyDrafted) else self.last_reply
                self._trigger(e.kind, None, moves.Cue())
        if any(isinstance(m.event, ev.Paged) for m in new):  # delivered at once, as a tick every minute would: an ack never beats its page
            deliver_outbox(self.runtime, TickReport(at=self.runtime.clock.now()))

    def _team_state(self) -> TeamState:
        templates = {m.event.reply: m.event.template for m in self.moments if isinstance(m.event, ev.ReplyDrafted)}
        severities = [m.event.severity if isinstance(m.event, ev.Opened) else m.event.to
                      for m in self.moments if isinstance(m.event, ev.Opened | ev.SeverityChanged)]
        state = next((m.event.to for m in reversed(self.moments) if isinstance(m.event, ev.Transition)), "detected")
        return TeamState(
            acknowledged=any(isinstance(m.event, ev.Transition) and m.event.trigger == "acknowledge" for m in self.moments),
            published=frozenset(templates.get(m.event.reply, "") for m in self.moments if isinstance(m.event, ev.ReplyPublished)),
            levels=frozenset(m.event.level if isinstance(m.event, ev.Opened) else m.event.to
                             for m in self.moments if isinstance(m.event, ev.Opened | ev.Escalated)),
            severity=min(severities, key=severity_rank) if severities else None,
            decisions=dict(self.decisions),
            facts={m.event.fact: m.event.value for m in self.moments if isinstance(m.event, ev.FactSet)},
            steps=frozenset(m.event.to.split(".", 1)[1] for m in self.moments if isinstance(m.event, ev.Transition) and m.event.to.startswith("responding.")),
            state=state.split(".", 1)[0], fired=frozenset(self.fired),
            deleted_critic=any(isinstance(m.event, ev.DrillMessageRemoved) and m.event.critic for m in self.moments),
            page_waiting=page_waiting([m.event for m in self.moments]))

    def _finish(self) -> DrillRun:
        self._scan()
        levels = ()
        if self.moments and isinstance(self.moments[0].event, ev.Opened):
            levels = tuple(self.playbooks[self.moments[0].event.playbook].escalation_levels)
        card = make_scorecard(self.scenario, self.moments, start=self.start, fired=self.fired, levels=levels, contact=self.contact)
        with self.runtime.unit_of_work() as session:
            hashes = list(session.scalars(select(Event.hash).order_by(Event.incident_id, Event.seq)))
            real = session.scalar(select(func.count()).select_from(Incident).where(Incident.is_drill.is_(False))) or 0
        deliver_outbox(self.runtime, TickReport(at=self.runtime.clock.now()))  # the pages written since the last tick
        sent = sum(len(n.sent) for n in self.runtime.notifiers.values())  # type: ignore[attr-defined]
        pages = [m for n in self.runtime.notifiers.values() for m in n.sent]  # type: ignore[attr-defined]
        return DrillRun(self.scenario, self.play, self.seed, self.start, card, self.ref, hashes, self.tally.ingested, dict(self.fired), sent, real,
                        self.moments, pages=pages)

