"""`crisis audit verify`: recompute the timeline's hash chains."""

from __future__ import annotations

import typer

from crisis.cli import context
from crisis.errors import TamperedError

app = typer.Typer(help="Check that the timelines were not edited.", no_args_is_help=True)


@app.command()
def verify(ref: str | None = typer.Argument(None, metavar="[REF]", help="One incident; default: all.")) -> None:
    """Recompute each timeline's hash chain and name the first broken event. Exits 8 if one is broken.

    Example: crisis audit verify INC-0001
    """
    from crisis.incident.service import get_incident, list_incidents
    from crisis.incident.timeline import verify_chain

    with context.unit_of_work() as session:
        incidents = [get_incident(session, ref)] if ref else list_incidents(session)
        breaks = [b for b in (verify_chain(session, i) for i in incidents) if b]
        counted = sum(i.event_count for i in incidents)
    if breaks:
        for b in breaks:
            typer.echo(f"BROKEN {b}", err=True)
        raise TamperedError(f"{len(breaks)} of {len(incidents)} timeline(s) do not verify",
                            hint="restore the database from a backup and compare; the break names the first altered event")
    typer.echo(f"ok: {len(incidents)} timeline(s), {counted} event(s) verified")
