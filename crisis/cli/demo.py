"""`crisis demo`: a hijacked-account incident walked from detection to closure, on a throwaway database."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from crisis.cli import context
from crisis.errors import RefusedError, UsageError


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(keep: Annotated[Path | None, typer.Option("--keep", help="Keep the demo database at this path.")] = None) -> None:
    """Walk a sample hijacked-account incident through every state on a virtual clock.

    Uses the shipped (or workspace) playbook and a throwaway SQLite database: nothing is sent
    and your own incidents are not touched. Each line shows the command a responder would type.

    Example: crisis demo
    """
    from dataclasses import replace

    from crisis.clock import SystemClock, VirtualClock
    from crisis.incident import service
    from crisis.incident.rules import FollowUp
    from crisis.incident.timeline import verify_chain
    from crisis.runtime import Runtime
    from crisis.scheduler import tick

    if keep is not None and keep.exists():
        raise UsageError(f"{keep} already exists: the demo starts from an empty database", hint="name a new file with --keep, or delete it")
    folder = Path(tempfile.mkdtemp(prefix="crisis-demo-")) if keep is None else keep.parent
    db = keep or folder / "demo.db"
    settings = replace(context.settings(), database_url=f"sqlite:///{db}")
    runtime = Runtime(settings, VirtualClock(SystemClock().now().replace(second=0, microsecond=0)), roster=None)
    clock = runtime.clock
    playbook = runtime.playbook("hijacked_account")
    ref = "INC-0001"

    def step(minutes: int, command: str, action) -> None:
        clock.advance(timedelta(minutes=minutes))
        typer.echo(f"{clock.now():%a %H:%M}  $ crisis {command}")
        try:
            with runtime.unit_of_work() as session:
                typer.echo(f"        {action(session) or 'ok'}".replace("\n", "\n        "))
        except RefusedError as exc:
            typer.echo(f"        {exc.message}".replace("\n", "\n        "))

    def state(session) -> str:
        i = service.get_incident(session, ref)
        return f"{i.ref} is {i.state}, {i.severity}, level {i.level}"

    typer.echo(f"crisis demo: a hijacked Instagram account, on a throwaway database ({db})\n")
    step(0, 'open -p hijacked_account -t "Our Instagram posts a crypto scam" --as ana',
         lambda s: (service.open_incident(s, clock, "ana", playbook, title="Our Instagram posts a crypto scam",
                                          channel="instagram", brand="Acme", lang="en"), state(s))[1])
    clock.advance(timedelta(minutes=20))
    typer.echo(f"{clock.now():%a %H:%M}  $ crisis tick   # nobody acknowledged within the 15 minutes a SEV2 hijack allows")
    typer.echo("        " + "; ".join(f"{b.deadline} breached, escalated to {b.escalated_to}" for b in tick(runtime).breaches))
    step(2, f"ack {ref} --as ana", lambda s: (service.fire(s, clock, "ana", ref, "acknowledge"), state(s))[1])
    step(1, f"respond {ref}", lambda s: service.fire(s, clock, "ana", ref, "respond"))
    for key, value in (("platform", "instagram"), ("attacker_posted", "yes"), ("still_locked_out", "no")):
        step(1, f"fact {ref} {key} {value}", lambda s, k=key, v=value: (service.set_fact(s, clock, "ana", ref, k, v), state(s))[1])
    step(1, f"respond {ref}", lambda s: (service.fire(s, clock, "ana", ref, "respond"), state(s))[1])
    step(1, f"next {ref}   # before the containment checklist is done", lambda s: service.fire(s, clock, "ana", ref, "next"))
    with runtime.unit_of_work() as session:
        incident = service.get_incident(session, ref)
        steps = service.pinned_playbook(session, incident).steps
    for number, pb_step in enumerate(steps):
        for item in pb_step.checklist:
            step(2, f"check {ref} {item.id}", lambda s, i=item.id: service.check_item(s, clock, "ana", ref, i) and None)
        if pb_step.requires_facts:
            step(1, f"fact {ref} payment_or_ads_at_risk no", lambda s: service.set_fact(s, clock, "ana", ref, "payment_or_ads_at_risk", "no") and None)
        if pb_step.reply:
            _statement(step, runtime, ref, pb_step.reply)
        verb = "next" if number < len(steps) - 1 else "stabilize"
        step(1, f"{verb} {ref}", lambda s, v=verb: (service.fire(s, clock, "ana", ref, v), state(s))[1])
    step(24 * 60, f"resolve {ref}", lambda s: (service.fire(s, clock, "ana", ref, "resolve"), state(s))[1])
    step(5, f"close {ref}   # before the post-incident review", lambda s: service.fire(s, clock, "ana", ref, "close"))
    step(30, f'review {ref} --what ... --gained ... --follow-up "Individual logins for every account; ana; ..."',
         lambda s: service.record_review(s, clock, "ana", ref, what_happened="A former intern's reused password let an attacker post a crypto scam.",
                                         what_gained="2FA on every account; followers thanked us for the fast warning.",
                                         follow_ups=[FollowUp("Move every account to individual logins", "ana",
                                                              clock.now().date() + timedelta(days=21))]) and None)
    step(1, f"close {ref}", lambda s: (service.fire(s, clock, "ana", ref, "close"), state(s))[1])
    step(0, "audit verify", lambda s: str(verify_chain(s, service.get_incident(s, ref)) or
                                          f"ok: {service.get_incident(s, ref).event_count} events, hash chain intact"))
    runtime.close()
    typer.echo("\nTry it yourself: crisis init my-workspace && cd my-workspace && crisis playbook list")


def _statement(step, runtime, ref: str, name: str) -> None:
    """The statement a step requires: drafted by ana, refused to its own author, approved by bea, published."""
    from crisis.replies import service as replies

    values = {"next_update_at": "3 pm", "contact": "care@acme.example"}
    clock = runtime.clock

    def draft(session) -> str:
        preview = replies.preview_reply(session, ref, templates_dir=runtime.settings.templates_dir, values=values, responder="Ana")
        reply = replies.draft_reply(session, clock, "ana", ref, preview, contact=values["contact"], responder="Ana")
        return f"{reply.label} drafted for {reply.channel}:\n" + "\n".join(f"  | {line}" for line in reply.text.splitlines())

    step(2, f"reply draft {ref} --set next_update_at='3 pm'   # the {name} this step requires", draft)
    step(3, f"reply approve {ref} R1 --as ana   # by its own author", lambda s: replies.approve_reply(s, clock, "ana", ref, "R1", roster=None) and None)
    step(2, f"reply approve {ref} R1 --as bea", lambda s: "R1 approved by bea" if replies.approve_reply(s, clock, "bea", ref, "R1", roster=None) else "")
    step(1, f"reply publish {ref} R1", lambda s: f"R1 {replies.publish_reply(s, clock, 'ana', ref, 'R1').status}: "
                                                       "paste it on the recovered account and the brand's other accounts")
