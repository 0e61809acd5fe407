"""Ingest use cases: store new mentions once, attach the matching ones to incidents, raise spikes.

`ingest_batch` takes one batch of valid mentions in the caller's transaction: mentions already
stored (same platform and id) are skipped, so a batch re-run after a crash changes nothing
twice. Matching mentions join the open incident of their playbook and brand when they belong to
it (same thread, same phrase, or close text) or open one; the incident's signals are then
re-measured from everything attached to it, through the incident services. Never commits.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, lazyload

from crisis.clock import Clock
from crisis.incident import service as incidents
from crisis.incident.deadlines import FINAL_STATES
from crisis.incident.models import Incident
from crisis.playbook.model import Playbook
from crisis.triage.fold import fold
from crisis.triage.match import STOPWORDS, Matcher, Verdict
from crisis.triage.mention import Scope
from crisis.triage.models import MentionMatch, MentionRow
from crisis.triage.readers import Mention, Reject
from crisis.triage.spikes import HOUR, SpikeRule
from crisis.triage.storage import store_matches, store_mentions
from crisis.triage.volume import check_spikes

ACTOR = "triage"
PRESS_PLATFORMS = frozenset({"press", "news", "media", "blog"})
CLOSE_TEXT = 60  # token-set similarity (0-100) above which a mention tells the same story as an incident's
RECENT_TEXTS = 20
KEYWORD_VOLUME = 3  # lone-keyword mentions of a playbook within an hour that make an incident
WORDS_LIMIT = 120  # characters of a match's words kept in its timeline event


@dataclass
class Tally:
    """What an ingest did, for its summary."""

    read: int = 0
    ingested: int = 0
    committed: int = 0  # new mentions in the batches committed so far
    duplicates: int = 0
    rejected: int = 0
    matched: int = 0
    positive_skipped: int = 0
    keyword_only: int = 0
    opened: list[str] = field(default_factory=list)
    updated: set[str] = field(default_factory=set)
    escalations: list[str] = field(default_factory=list)
    spikes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"read": self.read, "ingested": self.ingested, "duplicates": self.duplicates, "rejected": self.rejected,
                "matched": self.matched, "positive_not_incidents": self.positive_skipped,
                "keyword_without_brand": self.keyword_only, "incidents_opened": self.opened,
                "incidents_updated": sorted(self.updated - set(self.opened)), "escalations": self.escalations, "spikes": self.spikes}


def ingest_batch(session: Session, clock: Clock, actor: str, mentions: Sequence[Mention], *, matcher: Matcher,
                 playbooks: Mapping[str, Playbook], scope: Scope, tally: Tally) -> None:
    """Store the new mentions of `mentions` and act on the matching ones, in the caller's transaction, within
    `scope` (a brand, real or drill). An incident opened or raised is announced: paging reacts.

    The mentions go in with one INSERT … ON CONFLICT DO NOTHING: the database says which were new, and only
    those are matched. Raises only what the incident services raise (a CrisisError); the caller's
    transaction turns database failures into StorageError.
    """
    now, brand = clock.now(), scope.brand
    unique: dict[tuple[str, str], Mention] = {}
    for mention in mentions:
        unique.setdefault((mention.platform, mention.id), mention)
    stored = store_mentions(session, list(unique.values()), brand=brand, ingested_at=now)
    fresh = [(ident, m) for key, m in unique.items() if (ident := stored.get(key)) is not None]
    tally.duplicates += len(mentions) - len(fresh)
    tally.ingested += len(fresh)
    matched = []
    for mention_id, mention in fresh:
        verdicts = [v for v in matcher.classify(mention.text, fields=mention) if v.matched and v.playbook_id in playbooks]
        if verdicts:
            matched.append((mention_id, mention, verdicts))
    if not matched:
        return
    tally.matched += len(matched)
    desk = _Desk(session, clock, actor, playbooks, scope, tally, own_posts={(m.platform, m.id) for _, m in fresh if m.own_account})
    for mention_id, mention, verdicts in sorted(matched, key=lambda found: found[1].created_at):
        desk.take(mention_id, mention, verdicts)
    desk.measure()


def ingest_stream(unit_of_work: Callable[[], AbstractContextManager[Session]], clock: Clock, open_records: Callable[[], Iterable[Mention | Reject]],
                  *, matcher: Matcher, playbooks: Mapping[str, Playbook], scope: Scope, tally: Tally, spike_rule: SpikeRule,
                  lang: str = "en", batch: int = 5000, dry_run: bool = False, strict: bool = False,
                  after_batch: Callable[[], None] | None = None) -> list[Reject]:
    """Ingest the records `open_records()` yields, `batch` mentions per transaction of `unit_of_work`, then check
    the spikes; the bad records are returned (and counted in `tally.rejected`).

    `strict` reads the records once first and ingests nothing if any is bad; `dry_run` only counts and
    matches. A run interrupted (even by Ctrl-C) keeps the batches committed: `tally.committed` says how
    many new mentions they hold, and a re-run skips them.
    """
    bad: list[Reject] = []
    if strict:
        bad = [r for r in open_records() if isinstance(r, Reject)]
        if bad:
            tally.rejected = len(bad)
            return bad
    pending: list[Mention] = []

    def flush() -> None:
        if dry_run:
            tally.ingested += len(pending)
            tally.matched += sum(1 for m in pending if matcher.matching(m.text))
        elif pending:
            with unit_of_work() as session:
                ingest_batch(session, clock, ACTOR, pending, matcher=matcher, playbooks=playbooks, scope=scope, tally=tally)
                stored = tally.ingested  # counted the moment the commit is done, so that a Ctrl-C right after still tells the truth
                event.listen(session, "after_commit", lambda _: setattr(tally, "committed", stored))
        pending.clear()
        if after_batch is not None:
            after_batch()

    for record in open_records():
        tally.read += 1
        if isinstance(record, Reject):
            bad.append(record)
        else:
            pending.append(record)
            if len(pending) >= batch:
                flush()
    flush()
    if not dry_run and not scope.is_drill:
        with unit_of_work() as session:
            check_spikes(session, clock, ACTOR, playbooks=playbooks, brand=scope.brand, rule=spike_rule, tally=tally, lang=lang)
    tally.rejected = len(bad)
    return bad


def thread_key(mention: Mention) -> str:
    """The conversation a mention belongs to: its thread, the post it answers, or itself."""
    return f"{mention.platform}:{mention.thread_id or mention.in_reply_to or mention.id}"


class _Desk:
    """One batch's work on incidents: which incident each matching mention joins, then the new signals."""

    def __init__(self, session: Session, clock: Clock, actor: str, playbooks: Mapping[str, Playbook], scope: Scope, tally: Tally,
                 *, own_posts: set[tuple[str, str]]):
        self.session, self.clock, self.actor, self.playbooks, self.tally = session, clock, actor, playbooks, tally
        self.scope, self.brand = scope, scope.brand
        self.own_posts = own_posts  # this batch's posts by the brand's own account, not flushed yet
        self.open: dict[str, list[Incident]] = {}
        self.recent: dict[int, list[str]] = {}
        self.joined: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.fresh: dict[int, list[Mention]] = defaultdict(list)
        self.threads: dict[str, Incident] = {}  # this batch's conversations and phrases, not flushed yet
        self.phrases: dict[tuple[str, str], Incident] = {}
        self.matches: list[dict[str, Any]] = []  # this batch's match rows, written together by `measure`
        self.opened: set[int] = set()  # the incidents this batch opened
        self.weak: dict[str, list[datetime]] = {}  # this batch's lone keywords, by playbook
        self.folds: dict[str, str] = {}  # texts folded when a rule reads them: most mentions join by thread or clause

    def _open_incidents(self, playbook_id: str) -> list[Incident]:
        if playbook_id not in self.open:
            query = select(Incident).where(Incident.playbook_id == playbook_id, Incident.state.not_in(FINAL_STATES),
                                           Incident.is_drill.is_(self.scope.is_drill), Incident.brand.is_(None) if self.brand is None
                                           else Incident.brand == self.brand).order_by(Incident.number).options(lazyload("*"))
            self.open[playbook_id] = list(self.session.scalars(query))
        return self.open[playbook_id]

    def _recent_texts(self, incident: Incident) -> list[str]:
        if incident.id not in self.recent:
            query = (select(MentionRow.text).join(MentionMatch, MentionMatch.mention_id == MentionRow.id)
                     .where(MentionMatch.incident_id == incident.id).order_by(MentionMatch.id.desc()).limit(RECENT_TEXTS))
            self.recent[incident.id] = list(self.session.scalars(query))
        return self.recent[incident.id]

    def _folded(self, text: str) -> str:
        folded = self.folds.get(text)
        if folded is None:
            folded = self.folds[text] = fold(text)
        return folded

    def take(self, mention_id: int, mention: Mention, verdicts: list[Verdict]) -> None:
        """Attach one matching mention (stored as row `mention_id`) to its incident, or open one for it."""
        if mention.sentiment == "positive":  # praise that happens to use a phrase: kept, never an incident
            self.tally.positive_skipped += 1
            for verdict in verdicts:
                self._record(mention_id, mention, verdict, None)
            return
        verdict = max(verdicts, key=lambda v: (v.match.score, bool(self._open_incidents(v.playbook_id)), v.playbook_id))
        incident, why = self._belongs(mention, verdict)
        if incident is None and not self._may_open(mention, verdict):
            self.tally.keyword_only += 1
            self._record(mention_id, mention, verdict, None)
            return
        if incident is None:
            incident = self._open(mention, verdict)
            why = "opened it"
        self._record(mention_id, mention, verdict, incident)
        self.threads[thread_key(mention)] = incident
        self.phrases[verdict.playbook_id, verdict.match.clause] = incident
        self.fresh[incident.id].append(mention)
        self.recent.setdefault(incident.id, []).insert(0, mention.text)
        del self.recent[incident.id][RECENT_TEXTS:]
        self.joined[incident.id].append({"mention": f"{mention.platform}:{mention.id}", "clause": verdict.match.clause,
                                         "words": verdict.match.words[:WORDS_LIMIT], "score": round(verdict.match.score, 1),
                                         "why": why, "created_at": mention.created_at.isoformat()})

    def _may_open(self, mention: Mention, verdict: Verdict) -> bool:
        """A phrase opens an incident; a lone keyword ("scandal", "petition") only beside the brand's name or under a
        post of its own account, and only once KEYWORD_VOLUME such mentions of the playbook arrived within an hour:
        one angry word is not a crisis."""
        if len(self._folded(verdict.match.phrase).split()) > 1:
            return True
        folded = self._folded(mention.text)
        if self.brand and fold(self.brand).replace(" ", "") not in folded.replace(" ", "") and not self._under_own_post(mention):
            return False
        recent = self.weak.setdefault(verdict.playbook_id, [])
        recent.append(mention.created_at)
        since = mention.created_at - HOUR
        stored = self.session.scalar(select(func.count()).select_from(MentionMatch).where(
            MentionMatch.playbook_id == verdict.playbook_id, self._brand_is(MentionMatch.brand), MentionMatch.incident_id.is_(None),
            MentionMatch.is_drill.is_(self.scope.is_drill),
            MentionMatch.created_at > since, MentionMatch.created_at <= mention.created_at))
        return (stored or 0) + sum(1 for at in recent if since < at <= mention.created_at) >= KEYWORD_VOLUME

    def _under_own_post(self, mention: Mention) -> bool:
        """Whether the mention answers, or sits in the thread of, a post of the brand's own account: it is about the brand."""
        root = mention.thread_id or mention.in_reply_to
        if root is None:
            return False
        return (mention.platform, root) in self.own_posts or _thread_started_by_own_account(self.session, [mention])

    def _brand_is(self, column):
        return column.is_(None) if self.brand is None else column == self.brand

    def _belongs(self, mention: Mention, verdict: Verdict) -> tuple[Incident | None, str]:
        candidates = self._open_incidents(verdict.playbook_id)
        if not candidates:
            return None, ""
        ids = [i.id for i in candidates]
        key = thread_key(mention)
        keys = {key, f"{mention.platform}:{mention.in_reply_to}"} if mention.in_reply_to else {key}
        for k in keys:
            if k in self.threads and self.threads[k] in candidates:
                return self.threads[k], f"same thread ({key})"
        clause = verdict.match.clause
        known = self.phrases.get((verdict.playbook_id, clause))
        if known is not None and known in candidates:
            return known, f"same clause ({clause})"
        same_thread = self.session.scalar(select(MentionMatch.incident_id).where(
            MentionMatch.incident_id.in_(ids), MentionMatch.thread_key.in_(keys)).limit(1))
        if same_thread is not None:
            return next(i for i in candidates if i.id == same_thread), f"same thread ({key})"
        same_phrase = self.session.scalar(select(MentionMatch.incident_id).where(
            MentionMatch.incident_id.in_(ids), MentionMatch.phrase == clause).order_by(MentionMatch.id.desc()).limit(1))
        if same_phrase is not None:
            return next(i for i in candidates if i.id == same_phrase), f"same clause ({clause})"
        folded = self._folded(mention.text)
        words = self._words(folded)
        for incident in reversed(candidates):
            for text in map(self._folded, self._recent_texts(incident)):
                shared = sorted(words & self._words(text))
                if shared:
                    return incident, f"close text (shares {', '.join(shared[:3])!r})"
                score = fuzz.token_set_ratio(folded, text)
                if score >= CLOSE_TEXT:
                    return incident, f"close text (similarity {score:.0f})"
        return None, ""

    def _words(self, folded: str) -> set[str]:
        """The words that say what a text is about: not the brand's name, not the little words."""
        brand = set(fold(self.brand or "").split())
        return {w for w in folded.split() if len(w) >= 3 and not w.isdigit() and w not in STOPWORDS and w not in brand}

    def _open(self, mention: Mention, verdict: Verdict) -> Incident:
        playbook = self.playbooks[verdict.playbook_id]
        lang = mention.lang if mention.lang in ("fr", "en") else verdict.match.lang
        excerpt = " ".join(mention.text.split())
        title = f"{playbook.title(lang)}: “{excerpt[:200]}{'…' if len(excerpt) > 200 else ''}” ({mention.platform})"
        incident = incidents.open_incident(self.session, self.clock, self.actor, playbook, title=title, channel=mention.platform,
                                           brand=self.brand, lang=lang, signals=_signals_of([mention]), is_drill=self.scope.is_drill)
        self._open_incidents(verdict.playbook_id).append(incident)
        self.opened.add(incident.id)
        self.recent[incident.id] = []
        self.tally.opened.append(incident.ref)
        return incident

    def _record(self, mention_id: int, mention: Mention, verdict: Verdict, incident: Incident | None) -> None:
        self.matches.append({
            "mention_id": mention_id, "playbook_id": verdict.playbook_id, "brand": self.brand, "phrase": verdict.match.clause,
            "score": verdict.match.score, "span_start": verdict.match.span[0], "span_end": verdict.match.span[1],
            "created_at": mention.created_at, "sentiment": mention.sentiment, "thread_key": thread_key(mention),
            "incident_id": incident.id if incident else None, "is_drill": self.scope.is_drill})

    def measure(self) -> None:
        """The batch's match rows written, then one timeline event per incident for the mentions it received, then its
        signals re-measured."""
        self.session.flush()
        # measured against the matches stored before this batch's, which are known here: a long crisis is not read again
        platforms = {incident_id: _platforms(self.session, incident_id, self.fresh[incident_id], counted=None if incident_id in self.opened
                                             else self.session.get(Incident, incident_id).signals.get("platforms"))
                     for incident_id in self.joined}
        peaks = {incident_id: _peak_per_hour(self.session, incident_id, self.fresh[incident_id]) for incident_id in self.joined}
        store_matches(self.session, self.matches)
        for incident_id, joined in self.joined.items():
            incident = self.session.get(Incident, incident_id)
            assert incident is not None
            self.tally.updated.add(incident.ref)
            incidents.attach_mentions(self.session, self.clock, self.actor, incident.ref, joined)
            before = (incident.severity, incident.level)
            signals = _measured(self.session, incident, self.fresh[incident_id], platforms=platforms[incident_id], peak=peaks[incident_id])
            incidents.record_signals(self.session, self.clock, self.actor, incident.ref, signals,
                                     why=f"{len(joined)} new mention(s) measured")
            if (incident.severity, incident.level) != before:
                self.tally.escalations.append(f"{incident.ref}: {before[0]} → {incident.severity}, level {incident.level}")


def assess_severity(playbook: Playbook, signals: Mapping[str, Any]) -> tuple[str, str]:
    """The severity the playbook's rules give these signals, and the rule (or default) that gave it."""
    severity = playbook.evaluate_severity(signals)
    return severity, incidents._severity_why(playbook, dict(signals), severity)


def _signals_of(mentions: Sequence[Mention]) -> dict[str, Any]:
    """The signals a first mention carries on its own."""
    m = mentions[0]
    signals: dict[str, Any] = {"mentions_per_hour": 1, "platforms": 1}
    if m.author_followers is not None:
        signals["author_followers"] = m.author_followers
    if m.own_account:
        signals["own_account_post"] = True
    if m.platform in PRESS_PLATFORMS:
        signals["press_pickup"] = True
    if m.rating is not None:
        signals["rating"] = m.rating
    return signals


def _platforms(session: Session, incident_id: int, fresh: Sequence[Mention], *, counted: int | None) -> int:
    """How many platforms the incident's mentions come from once `fresh` (not stored as its matches yet) joined it: the
    `counted` ones plus the platforms it had never seen, each found with one lookup, so that a long crisis is not
    counted again at every batch; all of them counted when there is no count to start from."""
    stored = select(MentionRow.platform).join(MentionMatch, MentionMatch.mention_id == MentionRow.id).where(
        MentionMatch.incident_id == incident_id)
    platforms = {m.platform for m in fresh}
    if counted is None:
        return len(platforms | set(session.scalars(stored.distinct())))
    return counted + sum(1 for p in platforms if session.scalar(stored.where(MentionRow.platform == p).limit(1)) is None)


def _measured(session: Session, incident: Incident, fresh: Sequence[Mention], *, platforms: int, peak: int) -> dict[str, Any]:
    """The incident's signals after `fresh` joined it (`platforms` and the hourly `peak` counted with them): peaks and
    minima carried on from what it had measured."""
    before = incident.signals
    signals: dict[str, Any] = {"platforms": platforms}
    signals["mentions_per_hour"] = max(before.get("mentions_per_hour") or 0, peak)
    followers = [m.author_followers for m in fresh if m.author_followers is not None]
    if followers:
        signals["author_followers"] = max(followers + [before.get("author_followers") or 0])
    ratings = [m.rating for m in fresh if m.rating is not None]
    if ratings:
        signals["rating"] = min(ratings + ([before["rating"]] if before.get("rating") is not None else []))
    if any(m.own_account for m in fresh) or _thread_started_by_own_account(session, fresh):
        signals["own_account_post"] = True
    if any(m.platform in PRESS_PLATFORMS for m in fresh):
        signals["press_pickup"] = True
    return signals


def _thread_started_by_own_account(session: Session, fresh: Sequence[Mention]) -> bool:
    """Whether a conversation these mentions join starts with a post of the brand's own account (often the attacker's)."""
    roots = {(m.platform, m.thread_id or m.in_reply_to) for m in fresh if m.thread_id or m.in_reply_to}
    if not roots:
        return False
    by_platform: dict[str, list[str]] = defaultdict(list)
    for platform, ident in roots:
        by_platform[platform].append(ident)
    return any(session.scalar(select(func.count()).select_from(MentionRow).where(
        MentionRow.platform == platform, MentionRow.source_id.in_(ids), MentionRow.own_account.is_(True)))
        for platform, ids in by_platform.items())


def _peak_per_hour(session: Session, incident_id: int, fresh: Sequence[Mention]) -> int:
    """The most mentions the incident received within an hour ending on one of the `fresh` ones, which join it now
    (not stored as its matches yet: only the earlier ones are read)."""
    ends = sorted(m.created_at for m in fresh)
    instants = sorted([*session.scalars(select(MentionMatch.created_at).where(
        MentionMatch.incident_id == incident_id, MentionMatch.created_at > ends[0] - HOUR, MentionMatch.created_at <= ends[-1])), *ends])
    return max(bisect_right(instants, end) - bisect_right(instants, end - HOUR) for end in ends)
