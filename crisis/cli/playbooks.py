"""`crisis playbook`: list, show, check and graph the playbooks of the workspace."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from crisis.cli import context
from crisis.cli.params import Json
from crisis.errors import ContentError

app = typer.Typer(help="Read and check the playbooks of the workspace.", no_args_is_help=True)

PlaybookId = Annotated[str, typer.Argument(metavar="PLAYBOOK", help="Playbook id, e.g. bad_buzz.", show_default=False)]


@app.command("list")
def list_(as_json: Json = False) -> None:
    """List the playbooks of the workspace (or the shipped ones).

    Example: crisis playbook list
    """
    from crisis.playbook.loader import list_playbooks, load_playbook

    settings = context.settings()
    rows = []
    for path in list_playbooks(settings.playbooks_dir):
        try:
            pb = load_playbook(path)
            rows.append({"id": pb.id, "title": pb.title(settings.lang), "version": pb.version, "steps": [s.id for s in pb.steps],
                         "default_severity": pb.default_severity, "error": None})
        except ContentError as exc:
            rows.append({"id": path.stem, "title": None, "version": None, "steps": [], "default_severity": None, "error": exc.message})
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    typer.echo(f"Playbooks in {settings.playbooks_dir}:", err=True)
    for r in rows:
        typer.echo(f"{r['id']:<20} {r['title']}  ({len(r['steps'])} steps, default {r['default_severity']})" if not r["error"]
                   else f"{r['id']:<20} INVALID: {r['error']}")


@app.command()
def show(playbook: PlaybookId, as_json: Json = False) -> None:
    """Show a playbook: triage facts, steps with checklists and deadlines, SLA, escalation.

    Example: crisis playbook show hijacked_account
    """
    from crisis.playbook.durations import format_duration

    pb, lang = context.playbook(playbook), context.settings().lang
    view = {
        "id": pb.id, "version": pb.version, "title": pb.title(lang), "summary": pb.summary(lang), "default_severity": pb.default_severity,
        "facts": [{"id": f.id, "type": f.type, "ask": f.ask(lang), "choices": list(f.choices)} for f in pb.facts],
        "triage_requires": list(pb.triage_requires),
        "steps": [{"id": s.id, "title": s.title(lang), "when": [f"{c.key} {c.op} {c.value}" for c in s.when],
                   "checklist": [{"id": i.id, "label": i.label(lang)} for i in s.checklist], "requires_facts": list(s.requires_facts),
                   "due": {k: format_duration(v) for k, v in s.due.items()}, "reply": s.reply} for s in pb.steps],
        "sla": {kind: {k: format_duration(v) for k, v in per.items()} for kind, per in pb.sla.items()},
        "escalation": {"levels": list(pb.escalation_levels), "by_severity": dict(pb.escalation_by_severity)},
    }
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    out = [f"{pb.id}: {view['title']} (version {pb.version}, default {pb.default_severity})", f"  {view['summary']}", "  triage asks:"]
    out += [f"    {f['id']} ({f['type']}){' *' if f['id'] in pb.triage_requires else ''}: {f['ask']}" for f in view["facts"]]
    for n, s in enumerate(view["steps"], 1):
        extra = (f"  when {' and '.join(s['when'])}" if s["when"] else "") + (f"  due {s['due']}" if s["due"] else "") \
            + (f"  reply: {s['reply']}" if s["reply"] else "")
        out.append(f"  step {n}. {s['id']}: {s['title']}{extra}")
        out += [f"      [ ] {i['id']}: {i['label']}" for i in s["checklist"]]
    out.append(f"  sla: {view['sla']}")
    out.append(f"  escalation: {' → '.join(pb.escalation_levels)}; by severity {view['escalation']['by_severity']}")
    typer.echo("\n".join(out))


@app.command()
def check(playbook: Annotated[str | None, typer.Argument(metavar="[PLAYBOOK]", help="One playbook id; default: all.")] = None) -> None:
    """Check playbooks as a reviewer would: load errors, unreachable steps, dead ends, missing templates.

    Templates are parsed (syntax, anything reaching Python internals), their variables matched
    against facts, fields and declared values, and each is rendered with the playbook's samples in
    every declared channel and language to catch limits and platform rules.

    Exits 5 if any error is found (warnings alone exit 0).

    Example: crisis playbook check bad_buzz
    """
    from crisis.lint.playbook import check_playbook
    from crisis.playbook.loader import find_playbook_path, list_playbooks, load_playbook

    settings = context.settings()
    paths = [find_playbook_path(settings.playbooks_dir, playbook)] if playbook else list_playbooks(settings.playbooks_dir)
    if not paths:
        raise ContentError(f"no playbooks in {settings.playbooks_dir}", hint="run `crisis init` to get the shipped ones")
    errors = 0
    for path in paths:
        try:
            loaded = load_playbook(path)
            findings = check_playbook(loaded, settings.templates_dir)
        except ContentError as exc:
            typer.echo(exc.message)
            errors += 1
            continue
        for finding in findings:
            typer.echo(str(finding))
        errors += sum(f.level == "error" for f in findings)
        if not findings:
            typer.echo(f"{path}: ok")
    if errors:
        raise ContentError(f"{errors} error(s) in {len(paths)} playbook(s)", hint="fix them before the next incident needs them")


@app.command()
def graph(playbook: PlaybookId) -> None:
    """Print the playbook's state machine as Mermaid text (paste it into any Mermaid renderer).

    Example: crisis playbook graph bad_buzz > bad_buzz.mmd
    """
    from crisis.lint.graph import mermaid

    typer.echo(mermaid(context.playbook(playbook), context.settings().lang), nl=False)
