"""Live exercises: a scenario run in the workspace, with people, on the real clock (or faster).

`crisis drill start` writes a drill run; every `crisis tick` then fires the injects that are due
(`advance_drills`, a scheduler job): mentions go through the real ingest as a drill, messages and
decision points reach the facilitator through the outbox marked as an exercise, and decision
points left unanswered take their default. `crisis drill end` scores the run from the timeline and
writes the after-action report. Raises RefusedError, NotFoundError, UsageError as each says.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crisis.clock import Clock
from crisis.drill.aar import PlanItem, render_aar
from crisis.drill.conditions import TeamState, fires, page_waiting
from crisis.drill.loader import find_scenario_path, load_scenario
from crisis.drill.models import DrillRunRow, DrillScheduleRow
from crisis.drill.schedule import Schedule, due_now, make_schedule, next_due
from crisis.drill.scenario import Amplify, DecisionPoint, FactKnown, Inject, Message, Scenario
from crisis.drill.scorecard import Moment, Scorecard, make_scorecard
from crisis.drill.traffic import SimulatedMention, amplify, background_mentions, expand_inject
from crisis.errors import NotFoundError, RefusedError, UsageError
from crisis.incident import events as ev
from crisis.incident.deadlines import FINAL_STATES
from crisis.incident.models import Event, Incident
from crisis.incident.service import get_incident
from crisis.incident.timeline import append_event
from crisis.outbox.queue import enqueue
from crisis.playbook.model import severity_rank
from crisis.triage.match import Matcher
from crisis.triage.mention import Scope
from crisis.triage.readers import Mention
from crisis.triage.service import Tally, ingest_batch

if TYPE_CHECKING:
    from crisis.runtime import Runtime

SPEEDS = (1, 2, 5, 10)
MARKER = {"fr": "EXERCICE : ceci est un exercice de crise, aucune action réelle n'est requise hors de l'exercice.",
          "en": "DRILL: this is a crisis exercise; take no real-world action outside the exercise."}


def find_running(session: Session) -> DrillRunRow | None:
    return session.scalars(select(DrillRunRow).where(DrillRunRow.status == "running").order_by(DrillRunRow.id)).first()


def get_running(session: Session) -> DrillRunRow:
    """The exercise under way. Raises NotFoundError when none is."""
    row = find_running(session)
    if row is None:
        raise NotFoundError("no drill is running", hint="start one: crisis drill start catalogue_2012 --facilitator NAME")
    return row


def start_drill(session: Session, clock: Clock, scenario: Scenario, *, facilitator: str, speed: int = 1, seed: int = 0) -> DrillRunRow:
    """Start a live exercise of `scenario` now. Raises UsageError (speed), RefusedError (one is already running)."""
    if speed not in SPEEDS:
        raise UsageError(f"--speed {speed}: expected one of {', '.join(map(str, SPEEDS))}")
    running = find_running(session)
    if running is not None:
        raise RefusedError(f"drill #{running.id} ({running.scenario_id}) is still running: one exercise at a time",
                           hint="end it first: crisis drill end")
    row = DrillRunRow(scenario_id=scenario.id, facilitator=facilitator, speed=speed, seed=seed, status="running",
                      started_at=clock.now(), fired={}, skipped=[], decisions={}, ingested_s=-1)
    session.add(row)
    session.flush()
    return row


def drill_offset(row: DrillRunRow, now: datetime) -> timedelta:
    """How far into the scenario the exercise is: real time elapsed times the speed."""
    return (now - row.started_at) * row.speed


def real_instant(row: DrillRunRow, offset: timedelta) -> datetime:
    return row.started_at + offset / row.speed


def scenario_of(runtime: Runtime, row: DrillRunRow) -> Scenario:
    return load_scenario(find_scenario_path(runtime.settings.drills_dir, row.scenario_id))


def _incident(session: Session, row: DrillRunRow) -> Incident | None:
    if row.incident_ref is None:
        found = session.scalars(select(Incident).where(Incident.is_drill.is_(True), Incident.opened_at >= row.started_at)
                                .order_by(Incident.id)).first()
        if found is None and row.ingested_s >= 0:  # its mentions joined a drill incident still open from an earlier run
            found = session.scalars(select(Incident).where(Incident.is_drill.is_(True), Incident.state.not_in(FINAL_STATES))
                                    .order_by(Incident.id.desc())).first()
        row.incident_ref = found.ref if found else None
        return found
    return get_incident(session, row.incident_ref)


def moments(session: Session, row: DrillRunRow) -> list[Moment]:
    """The drill incident's timeline since the run started, its instants put on the scenario's clock (real time × speed)."""
    incident = _incident(session, row)
    if incident is None:
        return []
    rows = session.scalars(select(Event).where(Event.incident_id == incident.id, Event.at >= row.started_at).order_by(Event.seq))
    return [Moment(e.seq, row.started_at + (e.at - row.started_at) * row.speed, e.actor, e.typed()) for e in rows]


def team_state(session: Session, row: DrillRunRow) -> TeamState:
    ms = moments(session, row)
    templates = {m.event.reply: m.event.template for m in ms if isinstance(m.event, ev.ReplyDrafted)}
    severities = [m.event.severity if isinstance(m.event, ev.Opened) else m.event.to for m in ms if isinstance(m.event, ev.Opened | ev.SeverityChanged)]
    incident = _incident(session, row)
    return TeamState(
        acknowledged=any(isinstance(m.event, ev.Transition) and m.event.trigger == "acknowledge" for m in ms),
        published=frozenset(templates.get(m.event.reply, "") for m in ms if isinstance(m.event, ev.ReplyPublished)),
        levels=frozenset(m.event.level if isinstance(m.event, ev.Opened) else m.event.to for m in ms if isinstance(m.event, ev.Opened | ev.Escalated)),
        severity=min(severities, key=severity_rank) if severities else None,
        decisions={k: v["option"] for k, v in row.decisions.items()},
        facts={m.event.fact: m.event.value for m in ms if isinstance(m.event, ev.FactSet)},
        steps=frozenset(m.event.to.split(".", 1)[1] for m in ms if isinstance(m.event, ev.Transition) and m.event.to.startswith("responding.")),
        state=incident.state.split(".", 1)[0] if incident else "detected", fired=frozenset(row.fired),
        deleted_critic=any(isinstance(m.event, ev.DrillMessageRemoved) and m.event.critic for m in ms),
        page_waiting=page_waiting([m.event for m in ms]))


def _streams(scenario: Scenario, row: DrillRunRow) -> list[SimulatedMention]:
    """Every mention the fired injects bring, amplified as the fired `amplify` injects say, and the background."""
    by_wave: dict[str, list[SimulatedMention]] = {}
    for inject in sorted((scenario.find_inject(i) for i in row.fired), key=lambda i: i.at if i else timedelta(0)):
        if inject is None:
            continue
        if isinstance(inject.body, Amplify) and inject.body.wave in by_wave:
            by_wave[inject.body.wave] = amplify(by_wave[inject.body.wave], inject.at, inject.body.factor, seed=row.seed, name=inject.id)
        else:
            by_wave[inject.id] = expand_inject(scenario, inject, seed=row.seed)
    found = [m for ms in by_wave.values() for m in ms]
    if scenario.background is not None:
        found += background_mentions(scenario, scenario.background, seed=row.seed)
    return found


def _tell(session: Session, now: datetime, row: DrillRunRow, inject: Inject, subject: str, body: str) -> None:
    """A message to the team through the outbox, marked as an exercise in French and English."""
    text = f"[EXERCICE / DRILL] {MARKER['fr']}\n{MARKER['en']}\n\n{body}"
    enqueue(session, now, kind="page", channel="console", target=row.facilitator, subject=f"[EXERCICE / DRILL] {subject}", body=text,
            idempotency_key=f"drill-{row.id}-{inject.id}", is_drill=True, person_id=row.facilitator)


def advance_drills(runtime: Runtime, session: Session, report: Any) -> None:
    """The scheduler's drill job: fire the running exercise's due injects, ingest its due mentions, take due defaults."""
    row = find_running(session)
    if row is None:
        return
    scenario, now, lang = scenario_of(runtime, row), runtime.clock.now(), runtime.settings.lang
    offset = drill_offset(row, now)
    for inject in sorted(scenario.injects, key=lambda i: i.at):
        if inject.at > offset or inject.id in row.fired or inject.id in row.skipped:
            continue
        if not fires(inject, team_state(session, row)):
            row.skipped = [*row.skipped, inject.id]
            continue
        row.fired = {**row.fired, inject.id: int(inject.at.total_seconds())}
        body = inject.body
        if isinstance(body, Message):
            _tell(session, now, row, inject, body.subject or f"{body.channel}: {body.persona}", f"{body.persona} ({body.channel}):\n{body.text}")
        elif isinstance(body, FactKnown):
            _tell(session, now, row, inject, f"{body.key}", body.text(lang))
        elif isinstance(body, DecisionPoint):
            options = "\n".join(f"  crisis drill decide {inject.id} {o.id}   # {o.label(lang)}" for o in body.options)
            _tell(session, now, row, inject, body.question(lang)[:200], f"{body.question(lang)}\n{options}")
    _ingest_due(runtime, session, row, scenario, offset)
    for inject in scenario.decision_points():
        assert isinstance(inject.body, DecisionPoint)
        if inject.id in row.fired and inject.id not in row.decisions and inject.at + inject.body.deadline <= offset:
            record_decision(session, now, row, inject, inject.body.default, actor="drill", by_default=True)


def _ingest_due(runtime: Runtime, session: Session, row: DrillRunRow, scenario: Scenario, offset: timedelta) -> None:
    upto = int(offset.total_seconds())
    due = [m for m in _streams(scenario, row) if row.ingested_s < m.at.total_seconds() <= upto]
    row.ingested_s = upto
    if not due:
        return
    records = [Mention(m.id, m.platform, m.text, real_instant(row, m.at), author=m.author, author_followers=m.author_followers,
                       url=m.url, lang=m.lang, own_account=m.own_account) for m in sorted(due, key=lambda m: (m.at, m.id))]
    playbooks = runtime.playbooks
    matcher = Matcher({pid: pb.detect for pid, pb in playbooks.items() if pb.detect.active})
    ingest_batch(session, runtime.clock, "triage", records, matcher=matcher, playbooks=playbooks,
                 scope=Scope(brand=scenario.brand, is_drill=True), tally=Tally())
    session.flush()
    _incident(session, row)


def record_decision(session: Session, now: datetime, row: DrillRunRow, inject: Inject, option: str, *, actor: str, by_default: bool) -> None:
    point = inject.body
    assert isinstance(point, DecisionPoint)
    row.decisions = {**row.decisions, inject.id: {"option": option, "at_s": int(drill_offset(row, now).total_seconds()), "by": actor,
                                                   "by_default": by_default}}
    incident = _incident(session, row)
    if incident is not None:
        append_event(session, incident, now, actor, ev.DrillDecided(point=inject.id, option=option, good=point.good, by_default=by_default))


def decide(runtime: Runtime, session: Session, actor: str, point_id: str, option: str) -> DrillRunRow:
    """The team's answer to a decision point of the running exercise. Raises NotFoundError, RefusedError, UsageError."""
    row = get_running(session)
    scenario = scenario_of(runtime, row)
    inject = scenario.find_inject(point_id)
    if inject is None or not isinstance(inject.body, DecisionPoint):
        raise NotFoundError(f"{scenario.id} has no decision point {point_id!r}",
                            hint=f"decision points: {', '.join(i.id for i in scenario.decision_points())}")
    if point_id not in row.fired:
        raise RefusedError(f"{point_id} has not been put to the team yet", hint="crisis drill status lists the decisions pending")
    if point_id in row.decisions:
        taken = row.decisions[point_id]
        raise RefusedError(f"{point_id} is already settled: {taken['option']}" + (" (its default, the deadline passed)" if taken["by_default"] else ""))
    if option not in {o.id for o in inject.body.options}:
        raise UsageError(f"{option!r} is not an option of {point_id}", hint=f"options: {', '.join(o.id for o in inject.body.options)}")
    record_decision(session, runtime.clock.now(), row, inject, option, actor=actor, by_default=False)
    return row


def score_run(session: Session, row: DrillRunRow, scenario: Scenario, playbooks: dict) -> Scorecard:
    ms = moments(session, row)
    levels = tuple(playbooks[ms[0].event.playbook].escalation_levels) if ms and isinstance(ms[0].event, ev.Opened) else ()
    fired = {k: timedelta(seconds=v) for k, v in row.fired.items()}
    return make_scorecard(scenario, ms, start=row.started_at, fired=fired, levels=levels)


def end_drill(runtime: Runtime, session: Session, actor: str) -> tuple[DrillRunRow, Scorecard, Scenario]:
    """Close the running exercise and score it. Raises NotFoundError when none is running."""
    row = get_running(session)
    scenario = scenario_of(runtime, row)
    card = score_run(session, row, scenario, runtime.playbooks)
    row.status, row.ended_at, row.score = "ended", runtime.clock.now(), card.score
    return row, card, scenario


def after_action_report(session: Session, row: DrillRunRow, card: Scorecard, scenario: Scenario, *, lang: str) -> str:
    """The Markdown after-action report, kept on the run. The improvement plan is the review's follow-ups, plus a
    rehearsal of each objective rated M or U (owner: the facilitator, due in 30 days); the last run of the same
    scenario's plan is shown too, each rehearsal done when its objective is now rated P."""
    incident = _incident(session, row)
    held_on = (row.ended_at or row.started_at).date()
    plan = [PlanItem(f.action, f.owner, f.due_on) for f in (incident.review.follow_ups if incident and incident.review else [])]
    rehearse = "Rejouer" if lang == "fr" else "Rehearse"
    plan += [PlanItem(f"{rehearse}: {r.objective.title(lang)}", row.facilitator, held_on + timedelta(days=30), objective=r.objective.id)
             for r in card.results if r.rating in ("M", "U")]
    row.plan = [{"action": p.action, "owner": p.owner, "due": p.due.isoformat(), "objective": p.objective} for p in plan]
    last = session.scalars(select(DrillRunRow).where(DrillRunRow.scenario_id == row.scenario_id, DrillRunRow.status == "ended",
                                                     DrillRunRow.id != row.id).order_by(DrillRunRow.id.desc())).first()
    rated = {r.objective.id: r.rating for r in card.results}
    previous = [PlanItem(p["action"], p["owner"], date.fromisoformat(p["due"]), objective=p.get("objective"),
                         done=rated.get(p["objective"]) == "P" if p.get("objective") else None) for p in (last.plan if last else [])]
    row.report = render_aar(scenario, card, lang=lang, facilitator=row.facilitator, held_on=held_on, plan=plan, previous=previous)
    return row.report


def list_runs(session: Session) -> list[DrillRunRow]:
    return list(session.scalars(select(DrillRunRow).order_by(DrillRunRow.id)))



# Schedules -------------------------------------------------------------------------------------

def as_schedule(row: DrillScheduleRow) -> Schedule:
    return make_schedule(row.scenario_id, row.since, cron=row.cron, every=f"{row.every_s // 60}m" if row.every_s else None,
                         window=row.window, unannounced=row.unannounced, seed=row.seed)


def add_schedule(session: Session, clock: Clock, scenario_id: str, *, facilitator: str, cron: str | None = None, every: str | None = None,
                 window: str | None = None, unannounced: bool = False, seed: int = 0) -> tuple[DrillScheduleRow, datetime]:
    """Store a schedule and say when its first drill starts. Raises UsageError for a bad cron, period or window."""
    schedule = make_schedule(scenario_id, clock.now(), cron=cron, every=every, window=window, unannounced=unannounced, seed=seed)
    row = DrillScheduleRow(scenario_id=scenario_id, cron=cron, every_s=int(schedule.every.total_seconds()) if schedule.every else None,
                           window=window, unannounced=unannounced, seed=seed, facilitator=facilitator, since=clock.now())
    session.add(row)
    session.flush()
    return row, next_due(schedule)


def list_schedules(session: Session, *, removed: bool = False) -> list[tuple[DrillScheduleRow, datetime | None]]:
    """Every schedule in force with the start of its next drill; with `removed`, the removed ones too (next: None)."""
    rows = session.scalars(select(DrillScheduleRow).order_by(DrillScheduleRow.id)).all()
    return [(r, None if r.removed_at else next_due(as_schedule(r), last_due_at=r.last_due_at)) for r in rows
            if removed or r.removed_at is None]


def remove_schedule(session: Session, clock: Clock, actor: str, schedule_id: int) -> DrillScheduleRow:
    """Stop a schedule, signed by `actor`: no drill is due from it any more; it stays listed (`drill schedules --all`)
    with who removed it and when, and its past runs stay in the history. Raises NotFoundError, RefusedError (removed
    already)."""
    row = session.get(DrillScheduleRow, schedule_id)
    if row is None:
        raise NotFoundError(f"no drill schedule #{schedule_id}", hint="crisis drill schedules lists them")
    if row.removed_at is not None:
        raise RefusedError(f"drill schedule #{schedule_id} ({row.scenario_id}) was removed by {row.removed_by} on "
                           f"{row.removed_at:%Y-%m-%d %H:%M} UTC", hint="crisis drill schedules --all lists the removed ones")
    row.removed_by, row.removed_at = actor, clock.now()
    return row


def start_due_drills(runtime: Runtime, session: Session) -> list[DrillRunRow]:
    """Start the scheduled drills that are due, each occasion once: two ticks racing insert the same
    (schedule, due_at) and the unique constraint lets one through. A due drill waits while another runs."""
    now, started = runtime.clock.now(), []
    for row in session.scalars(select(DrillScheduleRow).where(DrillScheduleRow.removed_at.is_(None)).order_by(DrillScheduleRow.id)).all():
        due = due_now(as_schedule(row), now=now, last_due_at=row.last_due_at)
        if due is None or find_running(session) is not None:
            continue
        run = DrillRunRow(scenario_id=row.scenario_id, facilitator=row.facilitator, speed=1, seed=row.seed, status="running",
                          started_at=now, fired={}, skipped=[], decisions={}, ingested_s=-1, schedule_id=row.id, due_at=due)
        try:
            with session.begin_nested():
                session.add(run)
                session.flush()
        except IntegrityError:
            continue  # another tick started this occasion first
        row.last_due_at = due
        started.append(run)
    return started
