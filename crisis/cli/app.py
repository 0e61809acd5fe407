"""The typer application and the one place that turns a CrisisError into a message and an exit code."""

from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup

from crisis.errors import CrisisError, RefusedError


class _Group(TyperGroup):
    def invoke(self, ctx):
        from crisis.cli import context

        try:
            return super().invoke(ctx)
        except CrisisError as exc:
            report(exc)
            raise typer.Exit(exc.exit_code) from None
        finally:
            context.end_command()


def report(exc: CrisisError) -> None:
    """`Error: …` and `Hint: …` on stderr, nothing on stdout."""
    typer.echo(f"Error: {exc.message}", err=True)
    if isinstance(exc, RefusedError) and exc.allowed is not None:
        typer.echo(f"Allowed now: {', '.join(exc.allowed) or 'no lifecycle action'}", err=True)
    if exc.hint:
        typer.echo(f"Hint: {exc.hint}", err=True)


app = typer.Typer(
    cls=_Group,
    name="crisis",
    help="Crisis and e-reputation incident playbooks: detect, triage, respond, escalate, review.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    add_completion=True,
)

def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"crisis {version('crisis')}")
        except PackageNotFoundError:  # run from a source tree that was never installed
            typer.echo("crisis (not installed)")
        raise typer.Exit()


@app.callback()
def _options(show_version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                               help="Print the version of crisis and exit.")) -> None:
    """Crisis and e-reputation incident playbooks: detect, triage, respond, escalate, review."""


from crisis.cli import actions, audit, demo, incidents, playbooks, tick, workspace  # noqa: E402
from crisis.cli import triage as triage_cli  # noqa: E402

for module in (workspace, incidents, actions, tick, demo):
    module.register(app)
triage_cli.register(app)
app.add_typer(playbooks.app, name="playbook")
app.add_typer(audit.app, name="audit")
from crisis.cli import drills  # noqa: E402
app.add_typer(drills.app, name="drill")

from crisis.cli import replies  # noqa: E402

app.add_typer(replies.app, name="reply")
app.add_typer(replies.templates_app, name="templates")

from crisis.cli import oncall  # noqa: E402

oncall.register(app)

from crisis.cli import reports  # noqa: E402

reports.register(app)


def main() -> None:
    sys.exit(app(prog_name="crisis"))
