"""A drill team's moves, made through the same services the CLI calls (`crisis ack`, `crisis fact`,
`crisis reply approve`…), each in its own unit of work; and the moves only a drill has (a decision
taken, a message answered, a critic's post deleted), recorded as drill events on the timeline.

A move the rules refuse rolls back and is recorded as `drill_move_refused`, naming the breach when
it breaks a rule of the trade (self-approval, publishing unapproved)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crisis.drill.scenario import CRITICS, DecisionPoint, FactKnown, Inject, Scenario
from crisis.errors import CrisisError
from crisis.incident import events as ev
from crisis.incident import service as incidents
from crisis.incident.rules import FollowUp
from crisis.incident.timeline import append_event
from crisis.oncall.service import acknowledge_page
from crisis.replies import service as replies
from crisis.replies.manifest import load_manifest

if TYPE_CHECKING:
    from crisis.drill.play import Action, Wait
    from crisis.runtime import Runtime

TRIGGERS = {"ack": "acknowledge", "respond": "respond", "next": "next", "stabilize": "stabilize", "relapse": "relapse",
            "resolve": "resolve", "close": "close", "dismiss": "dismiss"}


@dataclass
class Cue:
    """What set a move off: the decision point just put, the message just received, the reply concerned."""

    point: str | None = None
    sender: str | None = None
    channel: str | None = None
    people: tuple[str, ...] = ()  # the people a page just reached
    roles: tuple[str, ...] = ()  # the roles whose approval a statement still needs


def incident_state(runtime: Runtime, ref: str) -> str:
    """The incident's lifecycle state now (`responding.<step>` inside the response)."""
    with runtime.unit_of_work() as session:
        return incidents.get_incident(session, ref).state


def wait_outcome(runtime: Runtime, ref: str, wait: Wait, since: str) -> str:
    """`go` when what a waiting move waits for holds now, `wait` while it may still come, `drop` once it cannot:
    `step_done` waits in the step it came due in (`since`), `triage_done` until the response starts. Read with the
    lifecycle's own guards, so a move made on `go` is never refused for an unfinished step or triage. `facts_answered`
    waits, in the step it came due in, for the facts that step needs (its statement's values among them)."""
    with runtime.unit_of_work() as session:
        incident = incidents.get_incident(session, ref)
        state = incident.state
        match wait.kind:
            case "state":
                return "go" if state == wait.state or state.startswith(f"{wait.state}.") else "wait"
            case "step_done":
                if state != since or not state.startswith("responding."):
                    return "drop"
                return "go" if "next" in incidents.allowed_actions(session, incident) else "wait"
            case "facts_answered":
                if state != since or not state.startswith("responding."):
                    return "drop"
                playbook = incidents.pinned_playbook(session, incident)
                step = playbook.step(state.split(".", 1)[1])
                return "wait" if incidents.situation(incident, playbook).missing_facts(step.requires_facts) else "go"
            case "triage_done":
                if state not in ("detected", "triage"):
                    return "drop"
                return "go" if state == "triage" and "respond" in incidents.allowed_actions(session, incident) else "wait"
    raise ValueError(f"unknown wait {wait.kind!r}")  # the play loader lets none through: a bug if reached


def text_of(value: Any, lang: str) -> str:
    """A play's text: one string, or `{fr, en}` taken in `lang`."""
    if value is None or isinstance(value, str):
        return value or ""
    return value(lang) if callable(value) else str(value.get(lang) or next(iter(value.values())))


def raw_value(value: Any, start_date) -> str:
    """A revealed fact's value as `crisis fact` takes it on the command line."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.startswith("T+"):
        from crisis.drill.scenario import parse_offset

        return (start_date + parse_offset(value)).date().isoformat()
    return str(value)


def record(runtime: Runtime, ref: str, actor: str, event: ev.TimelineEvent) -> None:
    """Append one drill event to the incident's timeline, in its own unit of work."""
    with runtime.unit_of_work() as session:
        append_event(session, incidents.get_incident(session, ref), runtime.clock.now(), actor, event)


def decide(runtime: Runtime, ref: str | None, actor: str, inject: Inject, option: str, *, by_default: bool) -> None:
    """Record a decision point settled (by the team, or by default at its deadline). Raises CrisisError for an unknown option."""
    point = inject.body
    assert isinstance(point, DecisionPoint)
    if option not in {o.id for o in point.options}:
        from crisis.errors import UsageError

        raise UsageError(f"{option!r} is not an option of {inject.id}", hint=f"options: {', '.join(o.id for o in point.options)}")
    if ref is not None:
        record(runtime, ref, actor, ev.DrillDecided(point=inject.id, option=option, good=point.good, by_default=by_default))


def resolve_option(point: DecisionPoint, option: str) -> str:
    """`good`, `bad` (the first option that is not the good one), `default` or an option id → the option id."""
    if option == "good":
        return point.good
    if option == "bad":
        return next(o.id for o in point.options if o.id != point.good)
    return point.default if option == "default" else option


def _values(runtime: Runtime, playbook_id: str, lang: str) -> dict[str, str]:
    manifest = load_manifest(runtime.settings.templates_dir / playbook_id)
    return {name: value.sample[lang] for name, value in manifest.values.items()}


def _draft(runtime: Runtime, session, ref: str, actor: str, args: dict[str, Any], lang: str, contact: str) -> list[str]:
    """Draft a reply as `crisis reply draft` does: the step's (or a named) template, or the team's own words on it.
    `template: step` does nothing in a step that asks for no statement, or whose statement is already drafted."""
    incident = incidents.get_incident(session, ref)
    playbook = incidents.pinned_playbook(session, incident)
    template = args.get("template")
    if template == "step" and "text" not in args:
        step = replies._current_step(incident, playbook)
        if step is None or not step.reply or any(r.template == step.reply and r.status != "rejected" for r in replies.list_replies(session, ref)):
            return []
    if template in (None, "step") and "text" in args:
        step = replies._current_step(incident, playbook)
        template = (step.reply if step and step.reply else None) or next(s.reply for s in playbook.steps if s.reply)
    preview = replies.preview_reply(session, ref, templates_dir=runtime.settings.templates_dir,
                                    template=None if template == "step" else template, channel=args.get("channel"),
                                    lang=args.get("lang") or lang, values={**_values(runtime, playbook.id, lang), **(args.get("values") or {})},
                                    responder=actor.capitalize(), contact=contact)
    edited = text_of(args["text"], lang) if "text" in args else None
    if edited is not None:  # the team's own words: drafted under the step's approval rule, but from no template
        preview = dataclasses.replace(preview, template="")
    reply = replies.draft_reply(session, runtime.clock, actor, ref, preview, edited=edited, contact=contact,
                                responder=actor.capitalize(), roster=runtime.roster)
    return [reply.label]


def _humour_too_early(runtime: Runtime, ref: str) -> bool:
    """Humour before the facts are acknowledged: no apology or correction published yet."""
    with runtime.unit_of_work() as session:
        incident = incidents.get_incident(session, ref)
        published = {r.template for r in replies.list_replies(session, ref) if r.status == "published"}
        return incident.state not in ("monitoring", "resolved", "closed") and not published & {"apology", "correction"}


def perform(runtime: Runtime, ref: str, action: Action, cue: Cue, *, scenario: Scenario, revealed: dict[str, Any],
            last_reply: str | None, contact: str, start) -> list[str]:
    """Make one scripted move on incident `ref`. Returns what it did (reply labels drafted); a refusal is recorded
    on the timeline and never raised. Decisions and answers are the simulator's (they need the MEL)."""
    lang, clock, actor, args, roster = scenario.languages[0], runtime.clock, action.actor, action.args, runtime.roster
    if action.do == "draft" and args.get("tone") == "humour" and _humour_too_early(runtime, ref):
        record(runtime, ref, actor, ev.DrillToneNoted(reply="", tone="humour", breach="humour_before_facts"))
    try:
        with runtime.unit_of_work() as session:
            match action.do:
                case do if do in TRIGGERS:
                    incidents.fire(session, clock, actor, ref, TRIGGERS[do], note=text_of(args.get("note"), lang) or None, roster=roster)
                case "fact":
                    wanted = revealed if args["key"] == "known" else {args["key"]: args.get("value", revealed.get(args["key"]))}
                    incident = incidents.get_incident(session, ref)
                    have = {f.fact_id: f.value for f in incident.facts}
                    for key, value in wanted.items():
                        if value is not None and have.get(key) != value:
                            incidents.set_fact(session, clock, actor, ref, key, raw_value(value, start), roster=roster)
                case "check":
                    incident = incidents.get_incident(session, ref)
                    playbook = incidents.pinned_playbook(session, incident)
                    if args["item"] != "all":
                        incidents.check_item(session, clock, actor, ref, args["item"], roster=roster)
                    elif incident.state.startswith("responding."):
                        step = playbook.step(incident.state.split(".", 1)[1])
                        for item in incidents.situation(incident, playbook).open_items(step):
                            incidents.check_item(session, clock, actor, ref, item, roster=roster)
                case "draft":
                    return _draft(runtime, session, ref, actor, args, lang, contact)
                case "approve":
                    replies.approve_reply(session, clock, actor, ref, args.get("reply") or last_reply or "R1", roster=roster)
                case "reject":
                    replies.reject_reply(session, clock, actor, ref, args.get("reply") or last_reply or "R1", why=text_of(args["why"], lang),
                                         roster=roster)
                case "publish":
                    replies.publish_reply(session, clock, actor, ref, args.get("reply") or last_reply or "R1", via=args.get("via") or "manual",
                                          webhook_url=runtime.settings.webhook_url, roster=roster)
                case "escalate":
                    incidents.escalate(session, clock, actor, ref, why=text_of(args.get("why"), lang) or "escalated by the team",
                                       to_level=args.get("to"), roster=roster)
                case "severity":
                    incidents.set_severity(session, clock, actor, ref, args["level"], why=text_of(args["why"], lang), roster=roster)
                case "review":
                    follow_ups = [FollowUp(text_of(f.action, lang), f.owner, (clock.now() + f.due).date()) for f in args.get("follow_ups") or ()]
                    incidents.record_review(session, clock, actor, ref, what_happened=text_of(args["what"], lang),
                                            what_gained=text_of(args["gained"], lang), follow_ups=follow_ups, roster=roster)
                case "page_ack":
                    acknowledge_page(session, clock, actor, ref, roster=roster)
    except CrisisError as exc:
        record(runtime, ref, actor, ev.DrillMoveRefused(move=action.do, reason=exc.message.splitlines()[0], breach=_breach(action.do, exc.message)))
    return []


def not_theirs_to_approve(runtime: Runtime, ref: str, actor: str, label: str | None) -> tuple[str, ...] | None:
    """Why a scripted `approve` by someone other than the reply's author is not made: () when the reply is no longer a
    draft (someone approved it first), or the roles of the approval rule in force when `actor` holds none of them (the
    comms lead does not sign a notification to the authority: it goes to legal and direction). None: the move is made,
    a self-approval too (the rules refuse it and the scorecard names it). Raises nothing."""
    if label is None or runtime.roster is None:
        return None
    with runtime.unit_of_work() as session:
        incident = incidents.get_incident(session, ref)
        reply = next((r for r in replies.list_replies(session, ref) if r.label == label), None)
        if reply is None or reply.author == actor:
            return None
        if reply.status != "draft":
            return ()
        roles = replies.approving_roles(incidents.pinned_playbook(session, incident), incident, reply)
    if not roles or set(runtime.roster.roles_of(actor)) & set(roles):
        return None
    return roles


def _breach(do: str, message: str) -> str | None:
    """Which rule of the trade a refused move broke, if any: a refused `next` is only a slip, and an approval by
    someone without the role is not a self-approval."""
    if do == "approve" and "and cannot approve it" in message:
        return "self_approval"
    if do == "publish" and "only once approved" in message:
        return "published_unapproved"
    return None


def remove_message(runtime: Runtime, ref: str, actor: str, how: str, target: str, *, scenario: Scenario,
                   fired: list[Inject]) -> None:
    """Delete or hide a message on the platform (no service does: a drill records the move): `target` is an
    inject id, a persona, or `any_critic` (the latest post or article by a critic)."""
    persona, mention = None, ""
    for inject in reversed(fired):  # a post, article or message by the persona, or a wave some of whose posts are theirs
        authors = getattr(inject.body, "personas", None) or (getattr(inject.body, "persona", None),)
        for p in (scenario.find_persona(a) for a in authors if a):
            if p is not None and (inject.id == target or p.id == target or (target == "any_critic" and p.disposition in CRITICS)):
                persona, mention = p, f"drill-{inject.id}"
                break
        if persona is not None:
            break
    if persona is None:
        record(runtime, ref, actor, ev.DrillMoveRefused(move=how, reason=f"no message of {target} to {how} yet"))
        return
    record(runtime, ref, actor, ev.DrillMessageRemoved(how=how, mention=mention, persona=persona.id, disposition=persona.disposition,
                                                       critic=persona.disposition in CRITICS))


def revealed_facts(fired: list[Inject], playbook_id: str) -> dict[str, Any]:
    """The facts the MEL has revealed so far for `playbook_id`, last value wins."""
    return {i.body.key: i.body.value for i in fired if isinstance(i.body, FactKnown) and i.body.playbook == playbook_id}


def answer_message(runtime: Runtime, ref: str, actor: str, persona: str, channel: str, text: str) -> None:
    """The team answered a message (a journalist's call, legal's e-mail): recorded as `drill_answered`."""
    record(runtime, ref, actor, ev.DrillAnswered(persona=persona, channel=channel, text=text))

