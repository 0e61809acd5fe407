"""`crisis report` (an incident's report, a period review) and `crisis evidence` (export, verify a pack)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crisis.cli import context
from crisis.errors import UsageError

evidence_app = typer.Typer(help="The evidence pack of an incident, for a lawyer or a commissaire de justice.", no_args_is_help=True)

Format = Annotated[str, typer.Option("--format", "-f", help="md (Markdown), html (self-contained) or json.")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to this file (default: stdout).")]


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.add_typer(evidence_app, name="evidence")


def report(
    target: Annotated[str, typer.Argument(metavar="REF|period", help="An incident (INC-0042 or 42), or `period` for a period review.",
                                          show_default=False)],
    fmt: Format = "md",
    output: Output = None,
    lang: Annotated[str | None, typer.Option("--lang", help="fr or en (default: the incident's, or the workspace's).")] = None,
    full: Annotated[bool, typer.Option("--full", help="Every timeline event and every evidence item, not only those that matter.")] = False,
    rejected: Annotated[bool, typer.Option("--rejected", help="Show the rejected drafts' texts and reasons, not only their count.")] = False,
    from_: Annotated[str | None, typer.Option("--from", help="Period review: first day (YYYY-MM-DD), included.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Period review: last day (YYYY-MM-DD), included.")] = None,
) -> None:
    """Write an incident's report, or with `period --from --to` the review of a month or a quarter.

    The incident report holds the summary, key times against deadlines, the mention volume, the
    timeline, what was said (with SHA-256), pages, the post-incident review, legal dates and the
    evidence annex with the chain head. The period review counts incidents by playbook, severity
    and outcome, with median and 90th percentile times, against the previous period; drills apart.

    Example: crisis report INC-0042 --format html -o INC-0042.html

    Example: crisis report period --from 2026-10-01 --to 2026-12-31 --format md
    """
    if lang is not None and lang not in ("fr", "en"):
        raise UsageError(f"--lang {lang!r}: reports are written in fr or en")
    if fmt not in ("md", "html", "json"):
        raise UsageError(f"--format {fmt!r}: expected md, html or json")
    now = context.clock().now()
    if target == "period":
        from crisis.report.period_service import period_review
        from crisis.report.render import render_period

        if not from_ or not to:
            raise UsageError("a period review needs --from and --to", hint="crisis report period --from 2026-10-01 --to 2026-12-31")
        start, end = _day(from_, "--from"), _day(to, "--to")
        with context.unit_of_work() as session:
            review = period_review(session, start, end, now=now, lang=lang or context.settings().lang)
        _write(render_period(review, fmt), output)
        return
    if from_ or to:
        raise UsageError("--from and --to belong to the period review", hint="crisis report period --from DAY --to DAY")
    from crisis.report.render import render_incident
    from crisis.report.service import incident_report

    roster = context.roster()
    with context.unit_of_work() as session:
        built = incident_report(session, target, now=now, lang=lang, full=full, show_rejected=rejected, roster=roster)
    _write(render_incident(built, fmt), output)


@evidence_app.command("export")
def export(
    ref: Annotated[str, typer.Argument(help="Incident reference, e.g. INC-0042 or 42.", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="The pack to write (a .zip).", show_default=False)],
) -> None:
    """Write the incident's evidence pack: timeline with hashes, mentions as ingested, replies as
    published, the review, a manifest of SHA-256 and a README on how to verify it.

    Example: crisis evidence export INC-0042 -o INC-0042-evidence.zip
    """
    from crisis.report.evidence import write_pack
    from crisis.report.evidence_service import evidence_files

    settings, now = context.settings(), context.clock().now()
    with context.unit_of_work() as session:
        files = evidence_files(session, ref, now=now, lang=settings.lang)
    count = write_pack(output, files, at=now)
    typer.echo(f"{output}: {count} files, manifest with SHA-256; check it with `crisis evidence verify {output}`")


@evidence_app.command("verify")
def verify(pack: Annotated[Path, typer.Argument(help="The evidence pack (.zip).", show_default=False)]) -> None:
    """Check a pack on any machine: every file against the manifest, nothing added or removed, the
    timeline's hash chain from the first event to the head (keyed events with CRISIS_AUDIT_KEY). Exits 8 if
    anything differs, 1 if keyed events could not be checked.

    Example: crisis evidence verify INC-0042-evidence.zip
    """
    from crisis.incident.seal import audit_key
    from crisis.report.evidence import verify_pack

    typer.echo(verify_pack(pack, key=audit_key()))


def _day(text: str, option: str):
    from datetime import date

    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a day", hint="write it like 2026-10-01") from None


def _write(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}", hint="choose a folder you can write to") from None
    typer.echo(f"{output}: {len(text.encode()):,} bytes", err=True)
