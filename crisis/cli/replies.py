"""`crisis reply` (draft, list, show, approve, reject, publish) and `crisis templates list`."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from crisis.cli import context
from crisis.cli.params import Actor, Json, Ref
from crisis.errors import RefusedError, UsageError

app = typer.Typer(help="Draft, approve and publish an incident's statements and notices.", no_args_is_help=True)
templates_app = typer.Typer(help="The reply templates of the workspace.", no_args_is_help=True)

ReplyId = Annotated[str, typer.Argument(metavar="ID", help="Reply id within the incident, e.g. R1 or 1.", show_default=False)]


def _values(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {pair!r}: expected NAME=VALUE, e.g. --set next_update_at=15h")
        values[key.strip()] = value
    return values


def _edit(text: str) -> str:
    """The text after the responder's $VISUAL or $EDITOR (default vi) has been run on it."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory(prefix="crisis-reply-") as folder:
        path = Path(folder) / "reply.txt"
        path.write_text(text, encoding="utf-8")
        try:
            code = subprocess.call([*shlex.split(editor), str(path)])
        except OSError as exc:
            raise UsageError(f"cannot run the editor {editor!r}: {exc.strerror}", hint="set EDITOR, e.g. EDITOR=nano") from None
        if code != 0:
            raise UsageError(f"the editor {editor!r} exited with status {code}: nothing was drafted")
        return path.read_text(encoding="utf-8")


def _view(reply) -> dict[str, Any]:
    return {"id": reply.label, "status": reply.status, "template": reply.template, "channel": reply.channel, "lang": reply.lang,
            "step": reply.step_id, "author": reply.author, "drafted_at": reply.drafted_at.isoformat(), "decided_by": reply.decided_by,
            "decided_at": reply.decided_at.isoformat() if reply.decided_at else None, "rejected_why": reply.rejected_why,
            "published_by": reply.published_by, "published_at": reply.published_at.isoformat() if reply.published_at else None,
            "published_via": reply.published_via, "hash": reply.text_hash, "text": reply.text}


@app.command()
def draft(
    ref: Ref,
    template: Annotated[str | None, typer.Option("--template", "-t", help="Template name (default: the current step's statement).")] = None,
    channel: Annotated[str | None, typer.Option("--channel", "-c", help="x, facebook, instagram, linkedin, tiktok, google_reviews, "
                                                "tripadvisor, trustpilot, email, website (default: the incident's).")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="fr or en (default: the incident's).")] = None,
    edit: Annotated[bool, typer.Option("--edit", help="Open $EDITOR on the rendered text; the result is checked again.")] = False,
    set_: Annotated[list[str] | None, typer.Option("--set", help="A value the template needs, NAME=VALUE (repeatable), "
                                                   "e.g. next_update_at=15h, author=Jane.")] = None,
    as_: Actor = None,
) -> None:
    """Render a reply from its template for the incident and store it as a draft.

    The text is checked against the channel's limits and rules (X weighted length, Google bytes,
    Tripadvisor and Trustpilot rules, no personal data) before anything is stored.

    Example: crisis reply draft INC-0001 --channel x --lang fr --set next_update_at=15h --edit
    """
    from crisis.replies.service import draft_reply, preview_reply

    settings, who = context.settings(), context.actor(as_)
    values = _values(set_ or [])
    roster = context.roster()
    person = roster.find_person(who) if roster else None
    responder = person.name.split()[0] if person else ""  # a login is no signature: without a roster, the brand signs alone
    contact = values.get("contact") or settings.contact
    with context.unit_of_work() as session:
        preview = preview_reply(session, ref, templates_dir=settings.templates_dir, template=template, channel=channel, lang=lang,
                                values=values, responder=responder, contact=contact)
    edited = None
    if edit:
        edited = _edit(preview.text + "\n")
        if not edited.strip():
            raise UsageError("the editor returned an empty text: nothing was drafted")
    try:
        with context.unit_of_work() as session:
            reply = draft_reply(session, context.clock(), who, ref, preview, edited=edited, contact=contact,
                                author=values.get("author"), responder=responder, roster=context.roster())
            label, text, incident_ref = reply.label, reply.text, ref
    except RefusedError as exc:
        if edited is None:
            raise
        handle, kept = tempfile.mkstemp(prefix="crisis-reply-", suffix=".txt")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(edited)
        raise RefusedError(exc.message, hint=f"your edited text is kept in {kept}; {exc.hint}") from None
    typer.echo(text)
    typer.echo(f"{label} drafted from {preview.path.name} for {preview.channel} ({preview.lang}).", err=True)
    typer.echo(f"Next: crisis reply approve {incident_ref} {label} --as SOMEONE_ELSE", err=True)


@app.command("list")
def list_(ref: Ref, as_json: Json = False) -> None:
    """List the replies of an incident, oldest first.

    Example: crisis reply list INC-0001
    """
    from crisis.replies.service import list_replies

    with context.unit_of_work() as session:
        rows = [_view(r) for r in list_replies(session, ref)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("No replies yet.", err=True)
    for r in rows:
        typer.echo(f"{r['id']:<4} {r['status']:<9} {r['template']:<20} {r['channel']:<14} {r['lang']}  by {r['author']}"
                   + (f", {r['status']} by {r['decided_by'] if r['status'] != 'published' else r['published_by']}" if r["status"] != "draft" else ""))


@app.command()
def show(ref: Ref, reply_id: ReplyId, as_json: Json = False) -> None:
    """Show one reply: its status, who did what, and its text.

    Example: crisis reply show INC-0001 R1
    """
    from crisis.replies.service import get_reply

    with context.unit_of_work() as session:
        view = _view(get_reply(session, ref, reply_id))
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    lines = [f"{view['id']} {view['status']}: {view['template']} on {view['channel']} ({view['lang']}), drafted by {view['author']} "
             f"at {view['drafted_at'][:16]}", f"sha256 {view['hash']}"]
    if view["decided_by"]:
        lines.append(f"{'rejected' if view['status'] == 'rejected' else 'approved'} by {view['decided_by']} at {view['decided_at'][:16]}"
                     + (f": {view['rejected_why']}" if view["rejected_why"] else ""))
    if view["published_by"]:
        lines.append(f"published by {view['published_by']} ({view['published_via']}) at {view['published_at'][:16]}")
    typer.echo("\n".join(lines) + "\n\n" + view["text"])


@app.command()
def approve(ref: Ref, reply_id: ReplyId, as_: Actor = None) -> None:
    """Approve a draft. On a serious incident, only someone other than its author, holding an approving role.

    Example: crisis reply approve INC-0001 R1 --as bea
    """
    from crisis.replies.service import approve_reply

    who = context.actor(as_)
    roster = context.roster()
    with context.unit_of_work() as session:
        reply = approve_reply(session, context.clock(), who, ref, reply_id, roster=roster)
        label = reply.label
    typer.echo(f"{label} approved by {who}")
    typer.echo(f"Next: crisis reply publish {ref} {label}", err=True)


@app.command()
def reject(ref: Ref, reply_id: ReplyId, why: Annotated[str, typer.Option("--why", help="What must change.", show_default=False)],
           as_: Actor = None) -> None:
    """Reject a draft or an approved reply, saying what must change.

    Example: crisis reply reject INC-0001 R1 --why "say when the next update comes"
    """
    from crisis.replies.service import reject_reply

    who = context.actor(as_)
    with context.unit_of_work() as session:
        label = reject_reply(session, context.clock(), who, ref, reply_id, why=why, roster=context.roster()).label
    typer.echo(f"{label} rejected by {who}: {why}")


@app.command()
def publish(ref: Ref, reply_id: ReplyId,
            via: Annotated[str, typer.Option("--via", help="manual: print the text to copy; webhook: POST it to [replies] webhook_url.")] = "manual",
            as_: Actor = None) -> None:
    """Publish an approved reply: print it for copy (manual) or send it to the team's automation (webhook).

    A webhook POST that fails is retried by `crisis tick`, under the same idempotency key.

    Example: crisis reply publish INC-0001 R1 --via webhook
    """
    from crisis.replies.service import publish_reply

    who = context.actor(as_)
    url = context.settings().webhook_url if via == "webhook" else None
    with context.unit_of_work() as session:
        reply = publish_reply(session, context.clock(), who, ref, reply_id, via=via, webhook_url=url, roster=context.roster())
        label, text, channel = reply.label, reply.text, reply.channel
    if via == "manual":
        typer.echo(text)
        typer.echo(f"{label} recorded as published on {channel}: paste the text above there now.", err=True)
    else:
        typer.echo(f"{label} queued for {url}; delivered by `crisis tick` (retried until it is taken)")


@templates_app.command("list")
def templates_list(playbook: Annotated[str | None, typer.Option("--playbook", "-p", help="Only this playbook's templates.")] = None,
                   as_json: Json = False) -> None:
    """List the reply templates: playbook, name, channel variant, language, and the channels each is written for.

    Lookup order when drafting: NAME.CHANNEL.LANG.txt.j2, then NAME.LANG.txt.j2.

    Example: crisis templates list --playbook defamatory_review
    """
    from crisis.replies.manifest import load_manifest
    from crisis.replies.render import list_templates

    templates_dir = context.settings().templates_dir
    rows = []
    for t in list_templates(templates_dir, playbook_id=playbook):
        declared = load_manifest(templates_dir / t.playbook).channels_of(t.name)
        rows.append({"playbook": t.playbook, "name": t.name, "variant": t.channel, "lang": t.lang, "channels": list(declared),
                     "path": str(t.path)})
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo(f"No templates{' for ' + playbook if playbook else ''} in {templates_dir}.", err=True)
    for r in rows:
        typer.echo(f"{r['playbook']:<18} {r['name']:<22} {r['variant'] or '(base)':<15} {r['lang']}  "
                   f"written for: {', '.join(r['channels']) or 'any channel'}")
