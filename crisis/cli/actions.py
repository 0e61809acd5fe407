"""Acting on an incident: the lifecycle verbs, checklist, facts, severity, review."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from crisis.cli import context
from crisis.cli.params import Actor, Note, Ref
from crisis.errors import UsageError

VERBS = {  # command → (trigger, help)
    "ack": ("acknowledge", "Acknowledge a detected incident and start triage.\n\nExample: crisis ack INC-0001 --as ana"),
    "respond": ("respond", "Start the response at the first step that applies (needs the triage facts).\n\nExample: crisis respond INC-0001"),
    "next": ("next", "Move to the next step once this step's checklist and facts are done.\n\nExample: crisis next INC-0001"),
    "stabilize": ("stabilize", "Leave the last step and monitor the aftermath.\n\nExample: crisis stabilize INC-0001"),
    "relapse": ("relapse", "A new wave while monitoring: go back to the playbook's relapse step.\n\nExample: crisis relapse INC-0001 --note 'press pick-up'"),
    "resolve": ("resolve", "Monitoring is over: the situation is back to normal.\n\nExample: crisis resolve INC-0001"),
    "close": ("close", "Close a resolved incident (needs the post-incident review).\n\nExample: crisis close INC-0001"),
    "dismiss": ("dismiss", "Dismiss a detected or triaged incident that is not one.\n\nExample: crisis dismiss INC-0001 --note 'a customer joke, no risk'"),
    "reopen": ("reopen", "Reopen a resolved or dismissed incident into triage.\n\nExample: crisis reopen INC-0001 --note 'second wave'"),
}


def register(app: typer.Typer) -> None:
    for verb, (trigger, help_text) in VERBS.items():
        app.command(verb, help=help_text)(_verb(trigger))
    for command in (do, escalate, check, fact, severity, review):
        app.command(command.__name__.rstrip("_"))(command)


def _fire(ref: str, trigger: str, as_: str | None, note: str | None) -> None:
    from crisis.incident.service import allowed_actions, fire

    who = context.actor(as_)
    with context.unit_of_work() as session:
        incident = fire(session, context.clock(), who, ref, trigger, note=note, roster=context.roster())
        state, level, allowed = incident.state, incident.level, allowed_actions(session, incident)
        ref = incident.ref
    typer.echo(f"{ref}: {trigger} → {state} (escalation level {level})")
    typer.echo(f"Allowed now: {', '.join(allowed) or 'nothing'}")


def _verb(trigger: str):
    def command(ref: Ref, note: Note = None, as_: Actor = None) -> None:
        _fire(ref, trigger, as_, note)

    return command


def do(ref: Ref, trigger: Annotated[str, typer.Argument(help="Any lifecycle trigger, e.g. acknowledge, next.")],
       note: Note = None, as_: Actor = None) -> None:
    """Fire any lifecycle trigger by name.

    Example: crisis do INC-0001 acknowledge --as ana
    """
    _fire(ref, trigger, as_, note)


def escalate(ref: Ref, why: Annotated[str, typer.Option("--why", help="Why the next level is needed.")] = "escalated by the responder",
             to: Annotated[str | None, typer.Option("--to", help="Jump to this level, e.g. crisis_cell.")] = None,
             as_: Actor = None) -> None:
    """Raise the escalation level by one (or --to a level), from any open state.

    Example: crisis escalate INC-0001 --to crisis_cell --why "press pick-up"
    """
    from crisis.incident.service import escalate as escalate_incident

    who = context.actor(as_)
    with context.unit_of_work() as session:
        incident = escalate_incident(session, context.clock(), who, ref, why=why, to_level=to, roster=context.roster())
        ref, level = incident.ref, incident.level
    typer.echo(f"{ref}: escalated to {level}")


def check(ref: Ref, item: Annotated[str, typer.Argument(help="Checklist item id of the current step.")],
          undo: Annotated[bool, typer.Option("--undo", help="Untick the item.")] = False, as_: Actor = None) -> None:
    """Tick an item of the current step's checklist.

    Example: crisis check INC-0001 secure_mailbox --as ana
    """
    from crisis.incident.service import check_item, pinned_playbook, situation

    who = context.actor(as_)
    with context.unit_of_work() as session:
        incident = check_item(session, context.clock(), who, ref, item, undo=undo, roster=context.roster())
        playbook = pinned_playbook(session, incident)
        step = playbook.step(incident.state.split(".", 1)[1])
        left = situation(incident, playbook).open_items(step)
        ref = incident.ref
    typer.echo(f"{ref}: {'unticked' if undo else 'ticked'} {item}; "
               + (f"{len(left)} left in {step.id}: {', '.join(left)}" if left else f"checklist of {step.id} complete"))


def fact(ref: Ref, key: Annotated[str, typer.Argument(help="Fact id, as `crisis show` lists them.")],
         value: Annotated[str, typer.Argument(help="yes/no, a number, a date (YYYY-MM-DD), a choice or a text.")],
         as_: Actor = None) -> None:
    """Answer a triage question; severity rules are re-evaluated (a rise escalates).

    Example: crisis fact INC-0001 attacker_posted yes
    """
    from crisis.incident.service import set_fact

    who = context.actor(as_)
    with context.unit_of_work() as session:
        incident = set_fact(session, context.clock(), who, ref, key, value, roster=context.roster(),
                            timezone=context.settings().timezone)
        ref, sev, level = incident.ref, incident.severity, incident.level
    typer.echo(f"{ref}: {key} recorded; severity {sev}, escalation level {level}")


def severity(ref: Ref, level: Annotated[str, typer.Argument(metavar="SEVERITY", help="SEV1, SEV2, SEV3 or SEV4.")],
             why: Annotated[str, typer.Option("--why", help="What justifies the change.", show_default=False)],
             as_: Actor = None) -> None:
    """Set the severity by hand; raising it convenes the level the playbook names.

    Example: crisis severity INC-0001 SEV1 --why "picked up by a national daily"
    """
    from crisis.incident.service import set_severity

    who = context.actor(as_)
    with context.unit_of_work() as session:
        incident = set_severity(session, context.clock(), who, ref, level.upper(), why=why, roster=context.roster())
        ref, sev, lvl = incident.ref, incident.severity, incident.level
    typer.echo(f"{ref}: severity {sev}, escalation level {lvl}")


def review(ref: Ref,
           what: Annotated[str | None, typer.Option("--what", help="What happened, in a few sentences.")] = None,
           gained: Annotated[str | None, typer.Option("--gained", help="What the brand gained or learnt.")] = None,
           follow_up: Annotated[list[str] | None, typer.Option("--follow-up", help="'ACTION; OWNER; YYYY-MM-DD' (repeatable).")] = None,
           file: Annotated[Path | None, typer.Option("--file", help="A YAML file with what_happened, what_gained, follow_ups.")] = None,
           as_: Actor = None) -> None:
    """Record the post-incident review (RETEX) that closing requires.

    Example: crisis review INC-0001 --what "Ex-intern's password reused" --gained "2FA everywhere" --follow-up "Move to individual logins; ana; 2026-12-15"
    """
    from crisis.incident.rules import FollowUp
    from crisis.incident.service import record_review

    if file is not None:
        what, gained, items = _read_review_file(file)
    else:
        items = [_parse_follow_up(text, f"--follow-up {text!r}") for text in follow_up or []]
    if not what or not gained or not items:
        raise UsageError("a review needs what happened (--what), what was gained (--gained) and at least one --follow-up",
                         hint="or write them in a file: crisis review REF --file review.yaml")
    who = context.actor(as_)
    with context.unit_of_work() as session:
        incident = record_review(session, context.clock(), who, ref, what_happened=what, what_gained=gained,
                                 follow_ups=[FollowUp(a, o, d) for a, o, d in items], roster=context.roster())
        ref = incident.ref
    typer.echo(f"{ref}: review recorded with {len(items)} follow-up(s)")


def _parse_follow_up(text: str, where: str) -> tuple[str, str, date]:
    parts = [p.strip() for p in text.split(";")]
    if len(parts) != 3 or not all(parts):
        raise UsageError(f"{where}: expected 'ACTION; OWNER; YYYY-MM-DD'")
    try:
        return parts[0], parts[1], date.fromisoformat(parts[2])
    except ValueError:
        raise UsageError(f"{where}: {parts[2]!r} is not a date; expected YYYY-MM-DD") from None


def _read_review_file(path: Path) -> tuple[str, str, list[tuple[str, str, date]]]:
    from crisis.incident.review_file import load_review_file

    review = load_review_file(path)
    return review.what_happened, review.what_gained, [(f.action, f.owner, f.due_on) for f in review.follow_ups]
