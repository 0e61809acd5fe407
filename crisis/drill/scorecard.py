"""The scorecard of a drill, read from the typed timeline of its incident: each objective measured
(when it was met, the event that proves it), rated P/S/M/U, weighted into a score, and the
rule-breakings named. Pure: the simulator and the live mode hand it the events and the injects fired."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from crisis.drill.scenario import Objective, Scenario, format_offset
from crisis.drill.scoring import rate_held, rate_timed, score
from crisis.incident import events as ev
from crisis.playbook.model import severity_rank


PROMISING = ("holding_statement", "update")  # statements that give the time of the next one


@dataclass(frozen=True)
class Moment:
    """One timeline event as the scorecard reads it: its place in the chain, when, who, what."""

    seq: int
    at: datetime
    actor: str
    event: ev.TimelineEvent


@dataclass(frozen=True)
class Result:
    """One objective rated: `met_at` is the offset it was met (None: never, or untimed), `proof` the event."""

    objective: Objective
    rating: str | None  # None: not rated (its `from` inject never fired)
    met_at: timedelta | None
    proof: str

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {"id": self.objective.id, "title": self.objective.title(lang), "weight": self.objective.weight, "rating": self.rating,
                "met_at": format_offset(self.met_at) if self.met_at is not None else None, "proof": self.proof}


@dataclass(frozen=True)
class Scorecard:
    scenario: str
    results: tuple[Result, ...]
    score: float
    breaches: tuple[str, ...]
    refusals: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {"scenario": self.scenario, "score": self.score, "objectives": [r.as_dict(lang) for r in self.results],
                "breaches": list(self.breaches), "refusals": list(self.refusals), **self.extra}


def _proof(m: Moment, start: datetime) -> str:
    return f"#{m.seq} {m.event.kind} by {m.actor} at {format_offset(m.at - start)}"


def _templates(moments: list[Moment]) -> dict[str, str]:
    """Reply label → the template it was drafted from."""
    return {m.event.reply: m.event.template for m in moments if isinstance(m.event, ev.ReplyDrafted)}


def _first(objective: Objective, moments: list[Moment], levels: tuple[str, ...]) -> Moment | None:
    """The first event that meets a timed expectation, or None."""
    a, templates = objective.args, _templates(moments)
    for m in moments:
        e = m.event
        match objective.expect:
            case "acknowledged" if isinstance(e, ev.Transition) and e.trigger == "acknowledge":
                return m
            case "playbook" if isinstance(e, ev.Opened) and e.playbook == a.get("playbook"):
                return m
            case "severity_reached" if isinstance(e, ev.Opened | ev.SeverityChanged):
                reached = e.severity if isinstance(e, ev.Opened) else e.to
                if reached and severity_rank(reached) <= severity_rank(a["severity"]):
                    return m
            case "escalated" if isinstance(e, ev.Opened | ev.Escalated):
                level = e.level if isinstance(e, ev.Opened) else e.to
                if level == a["level"] or (a["level"] in levels and level in levels and levels.index(level) > levels.index(a["level"])):
                    return m
            case "published" if isinstance(e, ev.ReplyPublished):
                if a.get("template") in (None, templates.get(e.reply)):
                    return m
            case "checked" if isinstance(e, ev.Checked) and e.item == a["item"]:
                if a.get("first") and any(isinstance(o.event, ev.Checked) and o.event.step == e.step and o.seq < m.seq for o in moments):
                    return None
                return m
            case "answered" if isinstance(e, ev.DrillAnswered) and e.persona == a["persona"]:
                return m
            case "decided" if isinstance(e, ev.DrillDecided) and e.point == a["point"]:
                return m if e.option == e.good and not e.by_default else None
            case "paged" if isinstance(e, ev.Paged) and e.level >= int(a.get("level") or 1):
                return m
            case "page_acknowledged" if isinstance(e, ev.PagingAcknowledged):
                return m
            case "review_filed" if isinstance(e, ev.ReviewRecorded) and len(e.follow_ups) >= int(a.get("follow_ups") or 0):
                return m
    return None


def _held(objective: Objective, moments: list[Moment], start: datetime, contact: str | None) -> tuple[bool, str]:
    """Whether an untimed expectation held over the whole drill, and the event that says so."""
    published = [m for m in moments if isinstance(m.event, ev.ReplyPublished)]
    match objective.expect:
        case "four_eyes":
            approvals = {m.event.reply: m for m in moments if isinstance(m.event, ev.ReplyApproved)}
            tried = next((m for m in moments if isinstance(m.event, ev.DrillMoveRefused) and m.event.breach), None)
            if tried is not None:  # the engine's guard held, not the team
                return False, _proof(tried, start)
            for m in published:
                approval = approvals.get(m.event.reply)
                if approval is None or approval.actor == approval.event.author:
                    return False, _proof(approval or m, start)
            return True, f"{len(published)} statement(s), each approved by someone other than its author"
        case "contact_invited":
            public = [m for m in published if m.event.channel != "email"]  # a notification to the authority is no public reply
            bad = next((m for m in public if contact and contact not in m.event.text), None)
            return (False, _proof(bad, start)) if bad else (True, f"{len(public)} public reply(ies), each inviting a private contact")
        case "no_critic_deleted":
            bad = next((m for m in moments if isinstance(m.event, ev.DrillMessageRemoved) and m.event.critic), None)
            return (False, _proof(bad, start)) if bad else (True, "no critic's message removed")
        case "update_promises_kept":
            # a holding statement or an update promises the next one: the promise holds while statements keep coming
            # with no deadline breached in between, and the last statement is not a promise left hanging
            templates = _templates(moments)
            if not published:
                return True, "no statement published, so no update promised"
            bad = next((m for m in moments if published[0].seq < m.seq < published[-1].seq and isinstance(m.event, ev.DeadlineBreached)), None)
            if bad is not None:
                return False, _proof(bad, start)
            if templates.get(published[-1].event.reply) in PROMISING:
                return False, f"{_proof(published[-1], start)}: its promised update never came"
            return True, f"{len(published)} statement(s), each promise followed by the next statement"
    raise ValueError(f"unknown untimed expectation {objective.expect!r}")


def rate_objectives(scenario: Scenario, moments: list[Moment], *, start: datetime, fired: dict[str, timedelta],
                    levels: tuple[str, ...] = (), contact: str | None = None) -> tuple[Result, ...]:
    """Each objective of `scenario` measured on `moments` (the drill incident's timeline, in order)."""
    results = []
    for objective in scenario.objectives:
        if objective.within is None:
            held, proof = _held(objective, moments, start, contact)
            results.append(Result(objective, rate_held(held), None, proof))
            continue
        if objective.since is not None and objective.since not in fired:
            results.append(Result(objective, None, None, f"not rated: inject {objective.since} never fired"))
            continue
        base = fired.get(objective.since, timedelta(0)) if objective.since else timedelta(0)
        m = _first(objective, moments, levels)
        decided = next((d for d in moments if isinstance(d.event, ev.DrillDecided) and d.event.point == objective.args.get("point")), None)
        if m is None:
            proof = _proof(decided, start) if objective.expect == "decided" and decided else "never met"
            results.append(Result(objective, "U", None, proof))
            continue
        met = m.at - start
        results.append(Result(objective, rate_timed(objective, max(met - base, timedelta(0))), met, _proof(m, start)))
    return tuple(results)


def name_breaches(results: tuple[Result, ...], moments: list[Moment]) -> tuple[str, ...]:
    """The rule-breakings the scorecard names, in a fixed order."""
    found = set()
    for m in moments:
        e = m.event
        if isinstance(e, ev.ReplyApproved) and m.actor == e.author:
            found.add("self_approval")
        if isinstance(e, ev.DrillMoveRefused | ev.DrillToneNoted) and e.breach:
            found.add(e.breach)
        if isinstance(e, ev.DrillMessageRemoved) and e.critic:
            found.add("critic_deleted")
        if isinstance(e, ev.DeadlineBreached) and e.deadline.startswith("acknowledge"):
            found.add("late_ack")
        if isinstance(e, ev.DeadlineBreached) and e.deadline.startswith("first_response"):
            found.add("late_statement")
    approvals = {m.event.reply: m for m in moments if isinstance(m.event, ev.ReplyApproved)}
    for m in moments:  # published with no approval but its author's own: unapproved, by the four-eyes rule
        if isinstance(m.event, ev.ReplyPublished) and (a := approvals.get(m.event.reply)) is not None and a.actor == a.event.author:
            found.add("published_unapproved")
    # The first statement: a holding statement, any public reply, or the template of the first reply published (a
    # playbook without a holding statement, such as misconduct_video, opens with its own statement).
    templates = _templates(moments)
    first = next((templates.get(m.event.reply) for m in moments if isinstance(m.event, ev.ReplyPublished)), None)
    for r in results:
        if r.objective.expect == "acknowledged" and r.rating not in (None, "P"):
            found.add("late_ack")
        if r.objective.expect == "published" and r.rating in ("S", "M", "U") and r.objective.args.get("template") in ("holding_statement", None, first):
            found.add("late_statement")
    if not any(isinstance(m.event, ev.ReplyPublished) for m in moments):
        found.add("silence")
    order = ("self_approval", "published_unapproved", "critic_deleted", "humour_before_facts", "silence", "late_ack", "late_statement")
    return tuple(b for b in order if b in found)


def paging_figures(moments: list[Moment], start: datetime) -> dict[str, Any]:
    """What paging gave the team, read from the timeline: the first page and how long after detection, the first
    acknowledgement of a page and how long after that page, each page beyond the first level (nobody acknowledged
    the level before in time, or the incident was escalated), and the pagings that ran out of levels. Offsets are
    drill time (`T+…`), delays in minutes."""
    opened = next((m for m in moments if isinstance(m.event, ev.Opened)), None)
    pages = [m for m in moments if isinstance(m.event, ev.Paged)]
    acks = [m for m in moments if isinstance(m.event, ev.PagingAcknowledged)]
    first, ack = (pages[0] if pages else None), (acks[0] if acks else None)

    def minutes(later: Moment | None, earlier: Moment | None) -> int | None:
        return int((later.at - earlier.at).total_seconds() // 60) if later and earlier else None

    return {
        "pages": len(pages),
        "first_page": None if first is None else {
            "at": format_offset(first.at - start), "after_detection_min": minutes(first, opened), "level": first.event.level,
            "levels": first.event.of, "people": [p["person"] for p in first.event.people], "proof": _proof(first, start)},
        "first_ack": None if ack is None else {
            "at": format_offset(ack.at - start), "after_first_page_min": minutes(ack, first), "by": ack.actor, "level": ack.event.level,
            "proof": _proof(ack, start)},
        "escalations": [{"at": format_offset(m.at - start), "level": m.event.level, "people": [p["person"] for p in m.event.people],
                         "cause": m.event.cause} for m in pages if m.event.level > 1],
        "exhausted": [format_offset(m.at - start) for m in moments if isinstance(m.event, ev.PagingExhausted)],
    }


def make_scorecard(scenario: Scenario, moments: list[Moment], *, start: datetime, fired: dict[str, timedelta],
                   levels: tuple[str, ...] = (), contact: str | None = None) -> Scorecard:
    """The whole scorecard: every objective rated, the weighted score out of 100, the breaches and refusals."""
    results = rate_objectives(scenario, moments, start=start, fired=fired, levels=levels, contact=contact)
    refusals: list[str] = []
    for m in moments:
        if isinstance(m.event, ev.DrillMoveRefused):
            reason = m.event.reason.removeprefix(f"{m.event.move} refused: ").rstrip(":")
            line = f"{format_offset(m.at - start)} {m.actor}: {m.event.move} refused: {reason}"
            if line not in refusals:  # the same move set off twice at one instant is refused once in the list
                refusals.append(line)
    return Scorecard(scenario.id, results, score(scenario.objectives, {r.objective.id: r.rating for r in results}),
                     name_breaches(results, moments), tuple(refusals), {"paging": paging_figures(moments, start)})
