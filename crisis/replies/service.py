"""Reply use cases: draft (and edit), approve, reject, publish; each a timeline event with the text's hash.

Each function takes `(session, clock, actor, …)` and never commits. Approval follows the step's
`approve` rule: at or above its severity, by someone other than the author holding one of its
roles. Publishing by webhook queues the message in the outbox, in the same transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisis.clock import Clock
from crisis.errors import NotFoundError, RefusedError, UsageError
from crisis.incident.deadlines import FINAL_STATES, armed
from crisis.incident.models import Event, Incident
from crisis.incident.service import get_incident, pinned_playbook
from crisis.incident.timeline import append_event
from crisis.incident import events
from crisis.incident.permissions import Roster, authorize
from crisis.outbox.queue import enqueue
from crisis.playbook.model import Approval, Playbook, Step, severity_rank
from crisis.replies.channels import CHANNELS, breaches, find_channel
from crisis.replies.manifest import FREE_VALUES, load_manifest
from crisis.replies.models import Reply
from crisis.replies.render import find_template, parse_template, render_template, template_variables
from crisis.settings import LANGUAGES

VIA = ("manual", "webhook")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Preview:
    """A rendered reply not yet stored: what `--edit` opens in the editor."""

    template: str
    path: Path
    channel: str
    lang: str
    text: str
    step_id: str | None


def preview_reply(session: Session, ref: str, *, templates_dir: Path, template: str | None = None, channel: str | None = None,
                  lang: str | None = None, values: dict[str, str] | None = None, responder: str = "",
                  contact: str | None = None) -> Preview:
    """Render a reply for the incident without storing it. Raises NotFoundError, UsageError, ContentError."""
    incident = get_incident(session, ref)
    playbook = pinned_playbook(session, incident)
    step = _current_step(incident, playbook)
    name = template or (step.reply if step else None)
    if name is None:
        raise UsageError(f"{incident.ref} is in state {incident.state}, whose step asks for no statement: name one with --template",
                         hint=f"crisis templates list --playbook {playbook.id}")
    lang = lang or incident.lang
    if lang not in LANGUAGES:
        raise UsageError(f"--lang {lang!r}: expected one of {', '.join(LANGUAGES)}")
    manifest = load_manifest(templates_dir / playbook.id)
    declared = manifest.channels_of(name)
    channel = channel or (incident.channel if incident.channel in (declared or CHANNELS) else None) or (declared[0] if declared else "website")
    if find_channel(channel) is None:
        raise UsageError(f"--channel {channel!r} is not a channel crisis knows", hint=f"channels: {', '.join(CHANNELS)}")
    if declared and channel not in declared:
        raise UsageError(f"template {name} of {playbook.id} is written for {', '.join(declared)}, not for {channel}",
                         hint=f"pick one with --channel, or declare {channel} in {manifest.path}")
    values = dict(values or {})
    unknown = sorted(set(values) - set(manifest.values) - set(FREE_VALUES))
    if unknown:
        raise UsageError(f"--set {unknown[0]}: playbook {playbook.id} declares no such value",
                         hint=f"values: {', '.join([*manifest.values, *FREE_VALUES])}")
    context: dict[str, Any] = {
        "ref": incident.ref, "title": incident.title, "channel": channel, "lang": lang, "severity": incident.severity,
        "facts": {f.fact_id: f.value for f in incident.facts}, "responder": responder, "author": "", "mention": "", **values,
        # What the timeline shows done, so that a statement asserts nothing else: checklist items ticked, replies published.
        "done": sorted({m.item_id for m in incident.marks}),
        "published": sorted(set(session.scalars(select(Reply.template).where(Reply.incident_id == incident.id, Reply.status == "published"))))}
    for key, value in (("brand", incident.brand), ("contact", contact)):
        if value and key not in values:
            context[key] = value
    refusal = manifest.refusals.get(name)
    if refusal is not None and refusal.applies(context["facts"]):
        raise RefusedError(f"{incident.ref}: no {name} when {refusal.fact} is {context['facts'][refusal.fact]}: {refusal.why[lang]}",
                           hint=f"crisis reply draft {incident.ref} --template ANOTHER (crisis templates list --playbook {playbook.id})")
    path = find_template(templates_dir, playbook.id, name, channel=channel, lang=lang)
    names, _ = template_variables(parse_template(path))
    if "contact" in names and "contact" not in context:
        raise UsageError(f"template {path.name} invites private contact but no address is set for it",
                         hint="add contact = \"care@example.org\" to the [replies] section of crisis.toml, or pass --set contact=...")
    missing = [manifest.values[n] for n in sorted(names) if n in manifest.values and n not in context]
    if missing:
        raise UsageError(f"template {path.name} needs " + "; ".join(f"{v.id} ({v.ask[lang]})" for v in missing),
                         hint=" ".join(f"--set {v.id}='{v.sample[lang]}'" for v in missing))
    return Preview(name, path, channel, lang, render_template(path, context), _answered_step(playbook, step, name))


def draft_reply(session: Session, clock: Clock, actor: str, ref: str, preview: Preview, *, edited: str | None = None,
                contact: str | None = None, author: str | None = None, responder: str | None = None,
                roster: Roster | None = None) -> Reply:
    """Store a rendered reply as a draft (and its edit, if any), both validated for the channel.
    Raises RefusedError naming each limit or rule broken, where and by how much."""
    incident = _open_incident(session, ref, "draft a reply", actor, roster, "draft")
    now = clock.now()
    final = preview.text if edited is None else edited.strip()
    validate(preview.channel, final, contact=contact, names=(author, responder),
             what="the reply as edited" if edited is not None else f"template {preview.path}")
    number = (session.scalar(select(func.max(Reply.number)).where(Reply.incident_id == incident.id)) or 0) + 1
    reply = Reply(incident_id=incident.id, number=number, step_id=preview.step_id, template=preview.template, template_path=str(preview.path),
                  channel=preview.channel, lang=preview.lang, text=preview.text, text_hash=text_hash(preview.text), status="draft",
                  author=actor, drafted_at=now)
    session.add(reply)
    append_event(session, incident, now, actor, events.ReplyDrafted(
        reply=reply.label, template=preview.template, channel=preview.channel, lang=preview.lang, step=preview.step_id,
        hash=reply.text_hash))
    if final != preview.text:
        reply.text, reply.text_hash = final, text_hash(final)
        append_event(session, incident, now, actor, events.ReplyEdited(reply=reply.label, hash=reply.text_hash,
                                                                       previous_hash=text_hash(preview.text)))
    return reply


def validate(channel_id: str, text: str, *, contact: str | None = None, names: tuple[str | None, ...] = (),
             what: str = "the reply") -> None:
    """Refuse a text that breaks a limit or a rule of its channel; `names` are the people a channel may forbid naming
    (the reviewer, the responder). Raises RefusedError listing every breach."""
    channel = CHANNELS[channel_id]
    found = breaches(channel, text, allowed=(contact,) if contact else (), names=tuple(n for n in names if n))
    if found:
        raise RefusedError(f"{what} breaks the rules of {channel.name}:" + "".join(f"\n  - {b}" for b in found),
                           hint="shorten or reword it (crisis reply draft REF --edit), or choose another --channel")


def list_replies(session: Session, ref: str) -> list[Reply]:
    incident = get_incident(session, ref)
    return list(session.scalars(select(Reply).where(Reply.incident_id == incident.id).order_by(Reply.number)))


def get_reply(session: Session, ref: str, reply_id: str) -> Reply:
    """Reply `R2` (or `2`) of the incident. Raises NotFoundError."""
    incident = get_incident(session, ref)
    digits = reply_id.strip().upper().removeprefix("R")
    reply = session.scalar(select(Reply).where(Reply.incident_id == incident.id, Reply.number == int(digits))) if digits.isdigit() else None
    if reply is None:
        raise NotFoundError(f"{incident.ref} has no reply {reply_id!r}", hint=f"crisis reply list {incident.ref}")
    return reply


def approve_reply(session: Session, clock: Clock, actor: str, ref: str, reply_id: str, *, roster: Roster | None) -> Reply:
    """Approve a draft (or approve again a reply whose approval no longer suffices since the severity rose). At or
    above the step's approval severity, only someone other than the author holding an approving role may (without
    a roster, roles cannot be checked: only the author is refused). The step's approval matrix adds roles that
    approve as well (SEV1 → direction, a sensitive fact → legal): each such approval is recorded (`reply_endorsed`)
    and the reply stays a draft until a holder of every role has approved. A pre-approved statement (its template
    files unchanged since the recorded version, its text not edited) may be approved by its author, the on-call,
    at any hour. Raises RefusedError naming the rule."""
    incident = _open_incident(session, ref, "approve a reply", actor, roster, "approve")
    reply = get_reply(session, ref, reply_id)
    playbook = pinned_playbook(session, incident)
    actor_of_record = actor
    step = _step_of(playbook, reply)
    edited = session.scalar(select(Event.id).where(Event.incident_id == incident.id, Event.kind == events.ReplyEdited.kind,
                                                   Event.data["reply"].as_string() == reply.label).limit(1))
    preapproved = step.preapproved if step is not None else None
    if preapproved is not None and actor == reply.author and edited is None and (roster is None or roster.find_person(actor)) \
            and preapproved.templates.get(Path(reply.template_path).name) == _file_sha256(Path(reply.template_path)):
        reply = _in_status(reply, ("draft",), "approved")
        checked = (f"pre-approved statement, version {preapproved.version} approved by {preapproved.approved_by}; "
                   f"only declared values and facts differ, approved by the on-call")
    else:
        rule, extra = _rule_in_force(playbook, incident, reply), _extra_roles(step, incident)
        if extra:  # the matrix: the base rule's roles and each extra role, all approving
            rule = Approval(tuple(dict.fromkeys([*(rule.roles if rule else ()), *extra])), rule.from_severity if rule else incident.severity)
        if not (reply.status == "approved" and rule and _four_eyes_problem(reply.decided_by or "", reply, rule, incident.severity, roster)):
            reply = _in_status(reply, ("draft",), "approved")
        checked = "no approval rule at this severity"
        if rule is not None:
            problem = _four_eyes_problem(actor, reply, rule, incident.severity, roster)
            if problem:
                raise RefusedError(problem, hint=_holders_hint(roster, rule.roles, reply.author))
            # Without an oncall.yaml nobody's roles can be checked (the house rule: anyone may act); the second pair of eyes still is.
            checked = f"four-eyes at {rule.from_severity}+ by a holder of {', '.join(rule.roles)}" if roster is not None else \
                f"four-eyes at {rule.from_severity}+; roles not checked: the workspace has no oncall.yaml"
        if extra and roster is not None:
            endorsed = session.scalars(select(Event.actor).where(Event.incident_id == incident.id, Event.kind == events.ReplyEndorsed.kind,
                                                                 Event.data["hash"].as_string() == reply.text_hash)).all()
            held = {role for person in {*endorsed, actor} for role in roster.roles_of(person)}
            base = _rule_in_force(playbook, incident, reply)
            missing = [r for r in extra if r not in held] + ([" or ".join(base.roles)] if base and not held & set(base.roles) else [])
            if missing:
                append_event(session, incident, clock.now(), actor, events.ReplyEndorsed(
                    reply=reply.label, hash=reply.text_hash, author=reply.author,
                    rule=f"approval matrix at {incident.severity}: {', '.join(rule.roles)}", missing=missing))
                return reply
            checked = f"approval matrix at {incident.severity}: approved by holders of {', '.join(rule.roles)}"
            if base is not None:  # the approver of record is the one the step's own rule names (publishing checks it)
                actor_of_record = next(p for p in (actor, *endorsed) if set(roster.roles_of(p)) & set(base.roles))
    now = clock.now()
    reply.status, reply.decided_by, reply.decided_at = "approved", actor_of_record, now
    append_event(session, incident, now, actor, events.ReplyApproved(reply=reply.label, hash=reply.text_hash, author=reply.author,
                                                                     rule=checked))
    return reply


def _preapproved(session: Session, incident: Incident, reply: Reply) -> bool:
    """Whether this very text went out under a pre-approval (recorded on its approval event)."""
    rules = session.scalars(select(Event.data).where(Event.incident_id == incident.id, Event.kind == events.ReplyApproved.kind)).all()
    return any(d.get("hash") == reply.text_hash and str(d.get("rule", "")).startswith("pre-approved statement") for d in rules)


def _file_sha256(path: Path) -> str | None:
    """The SHA-256 of a template file as it is now; None if it is gone."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def approving_roles(playbook: Playbook, incident: Incident, reply: Reply) -> tuple[str, ...]:
    """The roles whose holders approve `reply` now: its step's rule in force and the approval matrix's extra roles
    (empty when none is needed at the incident's severity)."""
    rule = _rule_in_force(playbook, incident, reply)
    return tuple(dict.fromkeys([*(rule.roles if rule else ()), *_extra_roles(_step_of(playbook, reply), incident)]))


def _step_of(playbook: Playbook, reply: Reply):
    return (playbook.find_step(reply.step_id) if reply.step_id else None) or next((s for s in playbook.steps if s.reply == reply.template), None)


def _extra_roles(step, incident: Incident) -> tuple[str, ...]:
    """The approval matrix's roles beyond the step's rule, for the incident's severity and what is known now."""
    if step is None or step.approve is None:
        return ()
    return step.approve.extra_roles(incident.severity, {**(incident.signals or {}), **{f.fact_id: f.value for f in incident.facts}})


def _rule_in_force(playbook: Playbook, incident: Incident, reply: Reply) -> Approval | None:
    """The step's approval rule if the incident's severity is at or above its threshold now, else None."""
    rule = approval_rule(playbook, reply)
    return rule if rule is not None and severity_rank(incident.severity) <= severity_rank(rule.from_severity) else None


def _four_eyes_problem(approver: str, reply: Reply, rule: Approval, severity: str, roster: Roster | None) -> str | None:
    """Why `approver` cannot approve `reply` under `rule`, in the trade's words; None if they can."""
    needs = f"at {rule.from_severity} and above a statement is approved by someone other than its author holding {', '.join(rule.roles)}"
    if approver == reply.author:
        return f"{approver} wrote {reply.label} and cannot approve it: {needs} (four-eyes rule, {severity} now)"
    held = roster.roles_of(approver) if roster is not None else ()
    if roster is not None and not set(held) & set(rule.roles):
        who = f"holds {', '.join(held)}" if held else ("holds no role" if roster.find_person(approver) else "is not in oncall.yaml")
        return f"{approver} cannot approve {reply.label}: {needs}; {approver} {who}"
    return None


def reject_reply(session: Session, clock: Clock, actor: str, ref: str, reply_id: str, *, why: str,
                 roster: Roster | None = None) -> Reply:
    """Reject a draft or an approved reply, with the reason. Raises RefusedError, UsageError."""
    if not why.strip():
        raise UsageError("a rejection needs its reason (--why), so that the author can redraft")
    incident = _open_incident(session, ref, "reject a reply", actor, roster, "reject")
    reply = _in_status(get_reply(session, ref, reply_id), ("draft", "approved"), "rejected")
    now = clock.now()
    reply.status, reply.decided_by, reply.decided_at, reply.rejected_why = "rejected", actor, now, why.strip()
    append_event(session, incident, now, actor, events.ReplyRejected(reply=reply.label, hash=reply.text_hash, why=why.strip()))
    return reply


def publish_reply(session: Session, clock: Clock, actor: str, ref: str, reply_id: str, *, via: str = "manual",
                  webhook_url: str | None = None, roster: Roster | None = None) -> Reply:
    """Record the publication of an approved reply; `webhook` also queues its POST in the outbox. Meets the
    first-response deadline. An approval that no longer suffices (the severity rose since) is refused.
    Raises RefusedError, UsageError."""
    if via not in VIA:
        raise UsageError(f"--via {via!r}: expected one of {', '.join(VIA)}")
    if via == "webhook" and not webhook_url:
        raise UsageError("publishing by webhook needs its URL", hint="set webhook_url in the [replies] section of crisis.toml")
    incident = _open_incident(session, ref, "publish a reply", actor, roster, "publish")
    reply = get_reply(session, ref, reply_id)
    if reply.status == "draft":
        raise RefusedError(f"{reply.label} is a draft: a reply is published only once approved",
                           hint=f"crisis reply approve {incident.ref} {reply.label} --as SOMEONE_ELSE")
    reply = _in_status(reply, ("approved",), "published")
    if text_hash(reply.text) != _approved_hash(session, incident, reply.label):
        raise RefusedError(f"{reply.label}'s text is not the text that was approved: it changed after its approval",
                           hint="reject it and draft it again, then have the new text approved")
    rule = _rule_in_force(pinned_playbook(session, incident), incident, reply)
    if rule is not None and _four_eyes_problem(reply.decided_by or "", reply, rule, incident.severity, roster) \
            and not _preapproved(session, incident, reply):
        raise RefusedError(f"{reply.label} was approved by {reply.decided_by}, which no longer suffices: {incident.ref} is "
                           f"{incident.severity} now, and at {rule.from_severity} and above a statement is approved by someone "
                           f"other than its author holding {', '.join(rule.roles)}",
                           hint=f"crisis reply approve {incident.ref} {reply.label} --as SOMEONE_ELSE ({_holders_hint(roster, rule.roles, reply.author)})")
    now = clock.now()
    reply.status, reply.published_by, reply.published_at, reply.published_via = "published", actor, now, via
    met = []
    for deadline in armed(incident):
        if deadline.kind == "first_response":
            deadline.status, deadline.closed_at = "met", now
            met.append(deadline.name)
    key = f"reply-{incident.ref}-{reply.label}-{reply.text_hash[:12]}"
    if via == "webhook" and incident.is_drill:  # a drill never reaches a real audience: recorded, never queued
        via, reply.published_via = "drill: not sent", "drill"
    if via == "webhook":
        assert webhook_url is not None
        enqueue(session, now, kind="publish", channel="webhook", target=webhook_url, subject=f"{incident.ref} {reply.label} ({reply.channel})",
                body=reply.text, idempotency_key=key, incident_id=incident.id, is_drill=incident.is_drill,
                payload={"incident": incident.ref, "channel": reply.channel, "lang": reply.lang, "text": reply.text,
                         "reply_id": reply.label, "idempotency_key": key})
    append_event(session, incident, now, actor, events.ReplyPublished(
        reply=reply.label, hash=reply.text_hash, via=via, channel=reply.channel, lang=reply.lang, text=reply.text,
        deadlines_met=met, idempotency_key=key if via == "webhook" else None))
    return reply


def _approved_hash(session: Session, incident: Incident, label: str) -> str | None:
    """The SHA-256 of the text as last approved, read from the timeline (not from the reply's own row)."""
    query = (select(Event.data).where(Event.incident_id == incident.id, Event.kind == events.ReplyApproved.kind)
             .order_by(Event.seq.desc()))
    return next((data["hash"] for data in session.scalars(query) if data.get("reply") == label), None)


def approval_rule(playbook: Playbook, reply: Reply) -> Approval | None:
    """The `approve` rule of the step the reply answers (or of the step whose statement it is)."""
    step: Step | None = playbook.find_step(reply.step_id) if reply.step_id else None
    step = step or next((s for s in playbook.steps if s.reply == reply.template), None)
    return step.approve if step else None


def _answered_step(playbook: Playbook, current: Step | None, template: str) -> str | None:
    """The step whose statement this is: the current one if it asks for this template, else the next one that does
    (a holding statement may well go out during triage), else the current step."""
    if current is not None and current.reply == template:
        return current.id
    start = playbook.steps.index(current) if current is not None else 0
    return next((s.id for s in playbook.steps[start:] if s.reply == template), current.id if current else None)


def _current_step(incident: Incident, playbook: Playbook) -> Step | None:
    return playbook.find_step(incident.state.split(".", 1)[1]) if incident.state.startswith("responding.") else None


def _open_incident(session: Session, ref: str, what: str, actor: str, roster: Roster | None, action: str) -> Incident:
    """The incident `ref`, still open, on which the roster lets `actor` do `action`. Raises RefusedError, UsageError."""
    if not actor or not actor.strip():
        raise UsageError("every change names its actor", hint="pass --as NAME or set CRISIS_USER")
    incident = get_incident(session, ref)
    if incident.state in FINAL_STATES:
        raise RefusedError(f"{incident.ref} is {incident.state}: too late to {what}")
    authorize(roster, pinned_playbook(session, incident), actor=actor, action=action, severity=incident.severity, ref=incident.ref)
    return incident


def _in_status(reply: Reply, allowed: tuple[str, ...], target: str) -> Reply:
    if reply.status not in allowed:
        raise RefusedError(f"{reply.label} is {reply.status}; only a reply that is {' or '.join(allowed)} can be {target}",
                           hint="draft a new one: crisis reply draft REF" if reply.status == "rejected" else None)
    return reply


def _holders_hint(roster: Roster | None, roles: tuple[str, ...], author: str) -> str:
    if roster is None:
        return f"ask someone holding {' or '.join(roles)}, listed in oncall.yaml"
    people = [f"{p.id} ({p.name})" for role in roles for p in roster.holders(role) if p.id != author]
    return f"ask {', '.join(dict.fromkeys(people))}" if people else f"nobody else holds {' or '.join(roles)} in {roster.path}: add someone"
