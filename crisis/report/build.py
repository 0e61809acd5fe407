"""The incident report's figures, built from plain records (pure: no database, no clock, no template).

`build_incident_report(inputs, now=…)` returns a frozen `IncidentReport`; render turns it into
Markdown, HTML or JSON. Raw timeline data is read in one place, `read_event`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from crisis.report.records import (DeadlineRecord, EventRecord, IncidentInputs, IncidentRecord, MentionRecord, ReplyRecord,
                                   ReviewRecord, VolumeBucket, AuthorReach, PersonRecord, SpikeRecord, json_ready)
from crisis.incident import events as ev
from crisis.incident.events import parse_event
from crisis.incident.story import describe as story
from crisis.report.phrases import chart_label

MILESTONE_KINDS = frozenset({"opened", "transition", "escalated", "severity_changed", "deadline_breached", "reply_published",
                             "paged", "paging_acknowledged", "review_recorded", "limitation_warning", "reply_rejected"})
MACHINES = frozenset({"triage", "tick", "oncall", "outbox"})  # the actors crisis itself signs as
EVIDENCE_SHOWN = 200  # the annex lists this many items; the evidence pack holds them all


@dataclass(frozen=True)
class Happening:
    """What one event means to a report, whatever the shape of its raw data."""

    seq: int
    at: datetime
    actor: str
    kind: str
    trigger: str | None = None
    state_from: str | None = None
    state_to: str | None = None
    severity_from: str | None = None
    severity_to: str | None = None
    level_from: str | None = None
    level_to: str | None = None
    why: str | None = None
    reply: str | None = None
    people: tuple[str, ...] = ()
    count: int | None = None
    detail: str | None = None
    mentions: tuple[str, ...] = ()  # platform:source_id of the mentions an event attached


def read_event(event: EventRecord) -> Happening:
    """What a report needs of one timeline event, read from its typed form (crisis.incident.events)."""
    e, base = parse_event(event.kind, event.data), {"seq": event.seq, "at": event.at, "actor": event.actor, "kind": event.kind}
    match e:
        case ev.Opened():
            return Happening(**base, state_to="detected", severity_to=e.severity, level_to=e.level, why=e.severity_why)
        case ev.Transition():
            return Happening(**base, trigger=e.trigger, state_from=e.from_, state_to=e.to, why=e.note)
        case ev.Escalated():
            return Happening(**base, level_from=e.from_, level_to=e.to, why=e.why)
        case ev.SeverityChanged():
            return Happening(**base, severity_from=e.from_, severity_to=e.to, why=e.why)
        case ev.ReplyPublished() | ev.ReplyDrafted():
            return Happening(**base, reply=e.reply, detail=e.channel)
        case ev.ReplyRejected():
            return Happening(**base, reply=e.reply, why=e.why)
        case ev.ReplyApproved() | ev.ReplyEdited():
            return Happening(**base, reply=e.reply)
        case ev.Paged():
            return Happening(**base, people=tuple(p["person"] for p in e.people), why=e.cause, detail=f"{e.level}/{e.of}")
        case ev.PagingClosed():
            return Happening(**base, why=e.why, detail=str(e.level))
        case ev.DeadlineBreached():
            return Happening(**base, detail=e.deadline, why=e.due_at.isoformat() if e.due_at else None)
        case ev.MentionsAttached():
            return Happening(**base, count=e.count, mentions=tuple(str(m.get("mention")) for m in e.mentions))
        case ev.ReviewRecorded():
            return Happening(**base, count=len(e.follow_ups))
        case ev.LimitationWarning():
            return Happening(**base, why=e.note, detail=e.due_at.isoformat() if e.due_at else None)
        case ev.FactSet():
            return Happening(**base, detail=f"{e.fact} = {e.value}")
        case ev.Checked() | ev.Unchecked():
            return Happening(**base, detail=f"{e.step}.{e.item}")
        case ev.SignalsRecorded():
            return Happening(**base, why=e.why, detail=", ".join(f"{k} {v}" for k, v in e.signals.items()))
    return Happening(**base)


@dataclass(frozen=True)
class DeadlineResult:
    name: str
    due_at: datetime
    status: str  # met, breached, armed, cancelled
    closed_at: datetime | None
    margin_s: int | None  # positive: met with this much to spare; negative: late by this much


@dataclass(frozen=True)
class KeyTime:
    """A milestone: when it happened, how long after the first mention, and the deadline it answered, if any."""

    name: str
    at: datetime | None
    after_first_mention_s: int | None
    deadline: DeadlineResult | None = None


@dataclass(frozen=True)
class SeverityChange:
    at: datetime
    severity: str
    why: str | None


@dataclass(frozen=True)
class Page:
    at: datetime
    level: str
    people: tuple[str, ...]
    cause: str | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class FollowUpStatus:
    action: str
    owner: str
    due_on: date
    overdue: bool


@dataclass(frozen=True)
class LegalDate:
    note: str
    barred_at: datetime
    warn_at: datetime
    left_s: int


@dataclass(frozen=True)
class Marker:
    at: datetime
    label: str


@dataclass(frozen=True)
class IncidentReport:
    incident: IncidentRecord
    lang: str
    generated_at: datetime
    severity_history: tuple[SeverityChange, ...]
    highest_level: str
    participants: tuple[PersonRecord, ...]
    key_times: tuple[KeyTime, ...]
    durations: dict[str, int | None]  # time_to_detect, time_to_acknowledge, time_to_first_response, time_to_resolve (s)
    deadlines: tuple[DeadlineResult, ...]
    mention_count: int
    volume: tuple[VolumeBucket, ...]
    markers: tuple[Marker, ...]
    spikes: tuple[SpikeRecord, ...]
    platforms: dict[str, int]
    top_authors: tuple[AuthorReach, ...]
    press: tuple[MentionRecord, ...]
    press_count: int
    timeline: tuple[tuple[Happening, str], ...]
    events_total: int
    published: tuple[ReplyRecord, ...]
    rejected: tuple[ReplyRecord, ...]
    pages: tuple[Page, ...]
    review: ReviewRecord | None
    follow_ups: tuple[FollowUpStatus, ...]
    legal: tuple[LegalDate, ...]
    evidence: tuple[MentionRecord, ...]
    evidence_total: int
    chain_head: str
    chain_events: int
    chain_break: str | None
    full: bool
    show_rejected: bool = False  # rejected drafts are counted; shown only when asked for


def build_incident_report(inputs: IncidentInputs, *, now: datetime, lang: str | None = None, full: bool = False,
                          show_rejected: bool = False) -> IncidentReport:
    """The report's figures. `full` keeps every event and every evidence item; `lang` defaults to the incident's;
    `show_rejected` shows the rejected drafts' texts as well as their count."""
    inc, lang = inputs.incident, lang or inputs.incident.lang
    happenings = tuple(read_event(e) for e in inputs.events)
    done = _done_times(happenings)
    deadlines = tuple(_deadline(d, done.get(d.name), now) for d in inputs.deadlines if d.kind != "limitation")
    key_times, durations = _key_times(inc, happenings, inputs.first_mention_at, deadlines)
    kept = happenings if full else tuple(h for h in happenings if h.kind in MILESTONE_KINDS)
    says = {e.seq: story(parse_event(e.kind, e.data), lang) for e in inputs.events}  # the sentences `crisis show` prints
    platforms: dict[str, int] = {}
    for bucket in inputs.volume:
        platforms[bucket.platform] = platforms.get(bucket.platform, 0) + bucket.negative + bucket.other
    return IncidentReport(
        incident=inc, lang=lang, generated_at=now,
        severity_history=tuple(SeverityChange(h.at, h.severity_to, h.why) for h in happenings if h.severity_to),
        highest_level=_highest_level(inc, happenings),
        participants=_participants(happenings, inputs.people),
        key_times=key_times, durations=durations,
        deadlines=deadlines,
        mention_count=inputs.mention_count, volume=inputs.volume, markers=_markers(happenings, inputs.spikes, lang), spikes=inputs.spikes,
        platforms=dict(sorted(platforms.items(), key=lambda kv: -kv[1])), top_authors=inputs.top_authors, press=inputs.press,
        press_count=max(inputs.press_count, len(inputs.press)),
        timeline=tuple((h, says[h.seq]) for h in kept), events_total=len(happenings),
        published=tuple(sorted((r for r in inputs.replies if r.status == "published"), key=lambda r: r.published_at or inc.opened_at)),
        rejected=tuple(r for r in inputs.replies if r.status == "rejected"),
        pages=_pages(happenings, inputs.people), review=inputs.review,
        follow_ups=tuple(FollowUpStatus(f.action, f.owner, f.due_on, f.due_on < now.date())
                         for f in (inputs.review.follow_ups if inputs.review else ())),
        legal=_legal(inputs, now),
        evidence=_captured(inputs.evidence if full else inputs.evidence[:EVIDENCE_SHOWN], happenings),
        evidence_total=max(inputs.mention_count, len(inputs.evidence)),
        chain_head=inc.head_hash, chain_events=len(inputs.events), chain_break=inputs.chain_break, full=full,
        show_rejected=show_rejected)


def _key_times(inc: IncidentRecord, happenings: tuple[Happening, ...], first_mention_at: datetime | None,
               deadlines: tuple[DeadlineResult, ...]):
    start = min(first_mention_at, inc.opened_at) if first_mention_at else inc.opened_at

    def first(test) -> datetime | None:
        return next((h.at for h in happenings if test(h)), None)

    acked = first(lambda h: h.trigger == "acknowledge")
    responded = first(lambda h: h.kind == "reply_published")
    stabilised = first(lambda h: h.state_to == "monitoring")
    resolved = first(lambda h: h.state_to == "resolved")
    steps = [(f"step {h.state_to.split('.', 1)[1]}", h.at) for h in happenings
             if h.kind == "transition" and (h.state_to or "").startswith("responding.")]
    moments = [("first_mention", first_mention_at), ("detected", inc.opened_at), ("acknowledged", acked),
               ("first_response", responded), *steps, ("stabilised", stabilised), ("resolved", resolved)]
    answered = {"acknowledged": "acknowledge", "first_response": "first_response"}
    last = {d.name: d for d in deadlines if d.status != "cancelled"}  # the deadline in force, after any reschedule
    key_times = tuple(KeyTime(name, at, None if at is None else int((at - start).total_seconds()),
                              last.get(answered.get(name, name))) for name, at in moments)

    def span(a: datetime | None, b: datetime | None) -> int | None:
        return None if a is None or b is None else int((b - a).total_seconds())

    durations = {"time_to_detect": span(first_mention_at, inc.opened_at), "time_to_acknowledge": span(inc.opened_at, acked),
                 "time_to_first_response": span(inc.opened_at, responded), "time_to_resolve": span(inc.opened_at, resolved)}
    return key_times, durations


def _done_times(happenings: tuple[Happening, ...]) -> dict[str, datetime]:
    """When the work each deadline asked for was done: acknowledged, first statement published, each step left."""
    done: dict[str, datetime] = {}
    for h in happenings:
        if h.trigger == "acknowledge":
            done.setdefault("acknowledge", h.at)
        elif h.kind == "reply_published":
            done.setdefault("first_response", h.at)
        if h.kind == "transition" and (h.state_from or "").startswith("responding."):
            done.setdefault(f"step {h.state_from.split('.', 1)[1]}", h.at)
    return done


def _deadline(d: DeadlineRecord, done_at: datetime | None, now: datetime) -> DeadlineResult:
    """Met or breached by when the work was done (a tick may have marked it breached before); still open: late by now."""
    if d.status == "cancelled":
        return DeadlineResult(d.name, d.due_at, "cancelled", d.closed_at, None)
    if done_at is not None and done_at >= d.armed_at:
        margin = int((d.due_at - done_at).total_seconds())
        return DeadlineResult(d.name, d.due_at, "met" if margin >= 0 else "breached", done_at, margin)
    if d.status == "breached":
        return DeadlineResult(d.name, d.due_at, "breached", d.closed_at, -int((now - d.due_at).total_seconds()))
    margin = None if d.closed_at is None else int((d.due_at - d.closed_at).total_seconds())
    return DeadlineResult(d.name, d.due_at, d.status, d.closed_at, margin)


def _highest_level(inc: IncidentRecord, happenings: tuple[Happening, ...]) -> str:
    reached = [h.level_to for h in happenings if h.level_to] + [inc.level]
    rank = {level: i for i, level in enumerate(inc.levels)}
    return max(reached, key=lambda level: rank.get(level, -1))


def _participants(happenings: tuple[Happening, ...], people: tuple[PersonRecord, ...]) -> tuple[PersonRecord, ...]:
    """Everyone who acted or was paged; with a roster, only its people (triage, tick and the pager are machines)."""
    known = {p.id: p for p in people}
    ids = list(dict.fromkeys(who for h in happenings for who in (h.actor, *h.people)))
    if known:
        return tuple(known[i] for i in ids if i in known)
    return tuple(PersonRecord(i, i, ()) for i in ids if i not in MACHINES)


def _markers(happenings: tuple[Happening, ...], spikes: tuple[SpikeRecord, ...], lang: str) -> tuple[Marker, ...]:
    """The moments the chart marks: opened, escalations, statements published, stabilised, resolved, spikes."""
    wanted = ("opened", "escalated", "reply_published")
    marks = [Marker(h.at, chart_label(h, lang)) for h in happenings if h.kind in wanted or h.state_to in ("monitoring", "resolved")]
    marks += [Marker(s.hour_at, ("Pic\u202f: {n}/h" if lang == "fr" else "Spike: {n}/h").format(n=s.count)) for s in spikes]
    return tuple(sorted(marks, key=lambda m: m.at))


def _captured(items: tuple[MentionRecord, ...], happenings: tuple[Happening, ...]) -> tuple[MentionRecord, ...]:
    """Each item with who attached it to the incident (the timeline says)."""
    by = {key: h.actor for h in happenings for key in h.mentions}
    return tuple(replace(m, captured_by=by.get(f"{m.platform}:{m.source_id}", m.captured_by)) for m in items)


def _pages(happenings: tuple[Happening, ...], people: tuple[PersonRecord, ...]) -> tuple[Page, ...]:
    """Each page with the names of those paged, and who acknowledged it first."""
    names = {p.id: p.name for p in people}
    pages: list[Page] = []
    for h in happenings:
        if h.kind == "paged":
            pages.append(Page(h.at, h.detail or "", tuple(names.get(i, i) for i in h.people), h.why, None, None))
        elif h.kind == "paging_acknowledged":
            pages = [p if p.acknowledged_at else Page(p.at, p.level, p.people, p.cause, names.get(h.actor, h.actor), h.at) for p in pages]
    return tuple(pages)


def _legal(inputs: IncidentInputs, now: datetime) -> tuple[LegalDate, ...]:
    rule = inputs.legal
    if rule is None:
        return ()
    return tuple(LegalDate(rule.note, d.due_at + rule.warn_before, d.due_at, int((d.due_at + rule.warn_before - now).total_seconds()))
                 for d in inputs.deadlines if d.kind == "limitation" and d.status != "cancelled")


def report_dict(report: IncidentReport) -> dict[str, Any]:
    """The report as plain JSON-ready data (datetimes as ISO 8601 text)."""
    data = json_ready(asdict(report))
    data["timeline"] = [{**h, "text": text} for h, text in data["timeline"]]
    return data
