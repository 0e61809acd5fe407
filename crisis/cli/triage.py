"""`crisis ingest` (mention streams in, incidents out) and `crisis triage` (explain one text)."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from crisis.cli import context
from crisis.cli.params import Json
from crisis.errors import ContentError, DegradedRun, InterruptedRun, UsageError

BATCH = 5000  # mentions per transaction: a killed run redoes at most this many
SHOWN_REJECTS = 50


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("triage")(triage)


def _matcher(playbooks: dict[str, Any]):
    from crisis.triage.match import Matcher

    return Matcher({pb_id: pb.detect for pb_id, pb in playbooks.items() if pb.detect.active})


def ingest(
    files: Annotated[list[str], typer.Argument(help="Mention files (JSON Lines or CSV, optionally .gz); - reads stdin.", show_default=False)],
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl or csv (default: from the file name, else the first byte).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and match only; write nothing.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Ingest nothing if any record is bad.")] = False,
    rejects: Annotated[Path | None, typer.Option("--rejects", help="Write the bad records here (JSON Lines: where, field, problem, raw).")] = None,
    brand: Annotated[str | None, typer.Option("--brand", help="The brand these mentions are about (default: the workspace's).")] = None,
    fields: Annotated[list[str] | None, typer.Option("--field", help="OURS=THEIRS: read our field from the export's column or key "
                                                     "THEIRS, e.g. --field created_at=tweet_created (repeat it); in JSON, "
                                                     "a dotted path reaches into nested objects: --field author=user.screen_name.")] = None,
    platform: Annotated[str | None, typer.Option("--platform", help="The platform of records that name none (an export of one platform).")] = None,
    batch: Annotated[int, typer.Option("--batch", min=1, max=100_000, help="Mentions per transaction.")] = BATCH,
    as_json: Json = False,
) -> None:
    """Ingest mention streams: validate, deduplicate, match the playbooks, open or update incidents.

    Each mention is stored once per (platform, id): ingesting a file again, or again after an
    interrupted run, changes nothing twice. Bad records are listed as file:line: field: problem;
    the good ones go in and the exit code is 5 (with --strict, nothing goes in). Matching mentions
    join the open incident of their playbook and brand (same thread, same phrase or close text)
    or open one as actor `triage`; severity rules are re-run as they arrive, and the last complete
    hour is checked for a volume spike against the week before (k from crisis.toml [triage.spikes]).

    Mention schema: id, platform, text, created_at (required); author, author_followers, url,
    rating, lang, own_account, thread_id, in_reply_to, sentiment (optional). An export that names
    them otherwise is read with --field, e.g. an airline-tweets CSV: --field id=tweet_id --field
    created_at=tweet_created --field author=name --field sentiment=airline_sentiment --platform x.

    Example: crisis ingest samples/mentions.jsonl --brand Acme
    """
    if not files:
        raise UsageError("name at least one mention file, or - for stdin")
    if files.count("-") > 1:
        raise UsageError("stdin (-) can be read only once")
    from crisis.triage.readers import Columns

    brand = brand or context.settings().brand
    columns = Columns.parse(fields or [], platform=platform)
    spooled = _spool_stdin(files) if strict else None
    try:
        _ingest(files, [spooled if (name == "-" and spooled) else name for name in files], fmt=fmt, dry_run=dry_run, strict=strict,
                rejects=rejects, brand=brand, batch=batch, as_json=as_json, columns=columns)
    finally:
        if spooled:
            Path(spooled).unlink(missing_ok=True)


def _ingest(files: list[str], names: list[str], *, fmt: str | None, dry_run: bool, strict: bool, rejects: Path | None,
            brand: str | None, batch: int, as_json: bool, columns) -> None:
    from crisis.triage.mention import Scope
    from crisis.triage.readers import MentionStream
    from crisis.triage.service import Tally, ingest_stream

    runtime = context.runtime()
    playbooks, broken = runtime.usable_playbooks
    for exc in broken:
        typer.echo(f"Error: {exc.message}\n  this playbook is left out of triage until it is fixed; the others run", err=True)
    streams = [MentionStream(name, fmt=fmt, columns=columns) for name in names]
    reading: list = [None, 0]  # the stream being read, and how many passes were opened

    def records():
        if reading[1]:  # a second pass (after --strict's check) reads the files afresh
            streams[:] = [MentionStream(name, fmt=fmt, columns=columns) for name in names]
        reading[1] += 1
        for stream in streams:
            reading[0] = stream
            yield from stream

    tally = Tally()
    try:
        with _progress(streams) as advance:
            bad = ingest_stream(runtime.unit_of_work, runtime.clock, records, matcher=_matcher(playbooks), playbooks=playbooks,
                                scope=Scope(brand=brand), tally=tally, spike_rule=runtime.spike_rule, lang=runtime.settings.lang,
                                batch=batch, dry_run=dry_run, strict=strict,
                                after_batch=lambda: advance(reading[0]) if reading[0] is not None else None)
    except KeyboardInterrupt:
        raise InterruptedRun(f"interrupted after {tally.read:,} record(s) read: {tally.committed:,} new mention(s) are stored, in the "
                             "batches committed so far; the batch in progress was rolled back",
                             hint="run the same command again to finish: what is already in is skipped") from None
    if strict and bad:
        _report_rejects(bad, rejects, files, names)
        raise ContentError(f"{len(bad)} bad record(s); --strict ingested nothing",
                           hint="fix them and run again, or drop --strict to ingest the good ones")
    _summary(tally, dry_run=dry_run, as_json=as_json)
    if broken:
        if bad:
            _report_rejects(bad, rejects, files, names)
        raise DegradedRun(f"{len(broken)} playbook(s) did not load and took no part in triage: "
                          + ", ".join(exc.message.split(":", 1)[0] for exc in broken),
                          hint="fix them (crisis playbook check): the mentions ingested meanwhile were matched against the others only")
    if bad:
        _report_rejects(bad, rejects, files, names)
        raise ContentError(f"{len(bad)} record(s) rejected; the {tally.ingested} good one(s) were {'checked' if dry_run else 'ingested'}",
                           hint="fix the records named above and ingest the file again: what is already in is skipped")


def _spool_stdin(files: list[str]) -> str | None:
    """Stdin copied to a temporary file, so that --strict can read it twice."""
    if "-" not in files:
        return None
    spool = tempfile.NamedTemporaryFile(prefix="crisis-stdin-", delete=False)
    with spool:
        shutil.copyfileobj(sys.stdin.buffer, spool)
    return spool.name


def _report_rejects(bad: list, rejects: Path | None, files: list[str], names: list[str]) -> None:
    from crisis.triage.readers import write_rejects

    aliases = {name: "<stdin>" for name, given in zip(names, files) if given == "-"}
    bad = [type(r)(aliases.get(r.source, r.source), r.line, r.field, r.problem, r.raw) for r in bad]
    for reject in bad[:SHOWN_REJECTS]:
        typer.echo(str(reject), err=True)
    if len(bad) > SHOWN_REJECTS:
        typer.echo(f"… and {len(bad) - SHOWN_REJECTS} more" + (f" (all in {rejects})" if rejects else " (--rejects FILE writes them all)"), err=True)
    if rejects is not None:
        write_rejects(rejects, bad)


class _progress:
    """A progress bar on stderr for long ingests, only when stderr is a terminal."""

    def __init__(self, streams: list) -> None:
        self.streams = streams

    def __enter__(self):
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

        console = Console(stderr=True)
        total = sum(s.size or 0 for s in self.streams) or None
        self.bar = Progress(TextColumn("ingesting"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                            console=console, transient=True, disable=not console.is_terminal)
        self.bar.__enter__()
        self.task = self.bar.add_task("ingest", total=total)
        done: list[int] = [0]

        def advance(stream) -> None:
            before = sum(s.size or 0 for s in self.streams[: self.streams.index(stream)])
            done[0] = before + stream.position()
            self.bar.update(self.task, completed=done[0])

        return advance

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)


def _summary(tally, *, dry_run: bool, as_json: bool) -> None:
    facts = tally.as_dict()
    if as_json:
        typer.echo(json.dumps({"dry_run": dry_run, **facts}, indent=2))
        return
    verb = "valid" if dry_run else "ingested"
    typer.echo(f"read {tally.read:,}, {verb} {tally.ingested:,}, duplicates {tally.duplicates:,}, rejected {tally.rejected:,}")
    if dry_run:
        typer.echo(f"matched {tally.matched:,} (dry run: nothing written)")
        return
    opened, updated = facts["incidents_opened"], facts["incidents_updated"]
    quiet = [f"{tally.positive_skipped} positive" if tally.positive_skipped else "",
             f"{tally.keyword_only} on a lone keyword" if tally.keyword_only else ""]
    quiet = [q for q in quiet if q]
    typer.echo(f"matched {tally.matched:,}" + (f" ({', '.join(quiet)}: kept, no incident)" if quiet else ""))
    typer.echo(f"incidents opened {len(opened)}" + (f": {', '.join(opened)}" if opened else ""))
    typer.echo(f"incidents already open and updated {len(updated)}" + (f": {', '.join(updated)}" if updated else ""))
    typer.echo(f"escalations {len(tally.escalations)}" + "".join(f"\n  {e}" for e in tally.escalations))
    typer.echo(f"spikes {len(tally.spikes)}" + "".join(f"\n  {s}" for s in tally.spikes))
    if opened:
        typer.echo(f"Next: crisis show {opened[0]}")


def triage(
    text: Annotated[str, typer.Argument(help="The text of a mention.", show_default=False)],
    platform: Annotated[str | None, typer.Option("--platform", help="Where it was posted (press counts as a press pick-up).")] = None,
    followers: Annotated[int | None, typer.Option("--followers", min=0, help="The author's followers.")] = None,
    as_json: Json = False,
) -> None:
    """Explain which playbooks a text matches, why (clause, terms, span, stem or typo), and the severity that would follow.

    Text is folded first (case, accents, letters held for emphasis, light leetspeak), so typos and
    "scandaaaale" still match; terms also meet their inflections (French and English stems). A
    playbook's exclusions ("life hack") cancel its match; when several match, the one whose clause meets
    the most terms opens the incident and the others say they lost to it. Nothing is written.

    Example: crisis triage "Votre compte Instagram a été piraté ??" --platform instagram
    """
    from crisis.triage.fold import fold
    from crisis.triage.service import PRESS_PLATFORMS, assess_severity

    if not text.strip():
        raise UsageError("give the text of a mention to triage")
    playbooks, broken = context.runtime().usable_playbooks
    for exc in broken:
        typer.echo(f"Error: {exc.message}\n  this playbook is left out until it is fixed", err=True)
    verdicts = _matcher(playbooks).classify(text, fields={"platform": platform, "author_followers": followers})
    signals: dict[str, Any] = {"mentions_per_hour": 1, "platforms": 1}
    if followers is not None:
        signals["author_followers"] = followers
    if platform and platform.lower() in PRESS_PLATFORMS:
        signals["press_pickup"] = True
    rows = []
    for verdict in verdicts:
        playbook = playbooks[verdict.playbook_id]
        row = verdict.as_dict()
        if verdict.matched:
            row["severity"], row["severity_why"] = assess_severity(playbook, signals)
        rows.append(row)
    if as_json:
        typer.echo(json.dumps({"text": text, "folded": fold(text), "platform": platform, "signals": signals, "verdicts": rows},
                              indent=2, ensure_ascii=False))
        return
    typer.echo(f"folded: {fold(text)}")
    if not rows:
        typer.echo("no playbook matches: this would not open an incident")
        return
    specificity = {row["playbook"]: row["specificity"] for row in rows}
    for row in rows:
        match = row["match"]
        clause = match["phrase"] if len(match["phrase"]) <= 100 else match["phrase"][:99] + "…"
        label = f"{match['clause']} " if match["clause"] != match["phrase"] else ""  # the name the timeline gives it
        found = (f"{row['playbook']}: clause {label}“{clause}” ({match['lang']}) scored {match['score']} on «{match['excerpt']}» "
                 f"at {match['span'][0]}-{match['span'][1]}")
        if row["excluded_by"]:
            found += (f"\n  excluded by “{row['excluded_by']['phrase']}” (score {row['excluded_by']['score']} on "
                      f"«{row['excluded_by']['excerpt']}»): no incident")
        elif row["lost_to"]:
            found += (f"\n  lost to {row['lost_to']}: its clause meets {row['specificity']} term(s), {row['lost_to']}'s "
                      f"{specificity[row['lost_to']]} (the playbook whose clause meets the most terms opens the incident)")
        else:
            found += f"\n  would open at {row['severity']} ({row['severity_why']}); {row['specificity']} term(s) met"
        typer.echo(found)
        for term in match["terms"]:
            how = {"stem": f"same stem ({term.get('stem', '')})", "typo": f"typo tolerated (score {term['score']})",
                   "wildcard": "wildcard", "exact": "exact"}[term["how"]]
            typer.echo(f"    {term['term']} ← «{term['words']}» at {term['span'][0]}-{term['span'][1]}: {how}")
