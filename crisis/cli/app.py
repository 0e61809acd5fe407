"""The typer application and the one place that turns a CrisisError into a message and an exit code.

Commands load lazily (the pattern of Click's "lazily loading subcommands"): `crisis show` imports the
module of `show` alone, not the drills, reports and triage with their libraries. `COMMANDS` names
the module of each command, in the order of `crisis --help`; a test holds it equal to what the
modules register.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
from collections.abc import Iterator, MutableMapping
from typing import NoReturn
from importlib import import_module

import typer
from typer.core import TyperGroup

from crisis.errors import CrisisError, RefusedError


# command -> module of crisis.cli that registers it (`register(app)`), or (module, its Typer attribute) for a group
COMMANDS: dict[str, str | tuple[str, str]] = {
    "init": "workspace", "open": "incidents", "list": "incidents", "show": "incidents", "timeline": "incidents",
    **dict.fromkeys(("ack", "respond", "next", "stabilize", "relapse", "resolve", "close", "dismiss", "reopen", "do",
                     "escalate", "check", "fact", "severity", "review"), "actions"),
    "tick": "tick", "demo": "demo", "ingest": "triage", "triage": "triage", "watch": "oncall", "report": "reports",
    "playbook": ("playbooks", "app"), "audit": ("audit", "app"), "drill": ("drills", "app"), "reply": ("replies", "app"),
    "templates": ("replies", "templates_app"), "oncall": "oncall", "evidence": "reports",
}


def mount(name: str, root: typer.Typer) -> None:
    """Register on `root` the command `name` and its siblings from the same module (a test helper too)."""
    where = COMMANDS[name]
    if isinstance(where, tuple):
        root.add_typer(getattr(import_module(f"crisis.cli.{where[0]}"), where[1]), name=name)
    else:
        import_module(f"crisis.cli.{where}").register(root)


class _LazyCommands(MutableMapping):
    """The root group's commands: every name is known at once, each module is imported on first use."""

    def __init__(self) -> None:
        self._loaded: dict = {}

    def __getitem__(self, name: str):
        if name not in self._loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            holder = typer.Typer(rich_markup_mode=None)
            mount(name, holder)
            if not isinstance(COMMANDS[name], tuple):  # build this command alone: its siblings are built if asked for
                holder.registered_commands = [c for c in holder.registered_commands if c.name == name]
            holder.command("_")(lambda: None)  # so that typer always builds a group, even of one command
            self._loaded.update((n, c) for n, c in typer.main.get_group(holder).commands.items() if n in COMMANDS)
        return self._loaded[name]

    def __setitem__(self, name: str, command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in COMMANDS

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


class _Group(TyperGroup):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _LazyCommands()

    def invoke(self, ctx):
        from crisis.cli import context

        try:
            return super().invoke(ctx)
        except CrisisError as exc:
            report(exc)
            raise typer.Exit(exc.exit_code) from None
        finally:
            _RAN[0] = ctx.invoked_subcommand
            context.end_command()


def report(exc: CrisisError) -> None:
    """`Error: …` and `Hint: …` on stderr, nothing on stdout; the labels in colour on a terminal (see cli/terminal.py)."""
    lines = [("Error:", exc.message, "bold red")]
    if isinstance(exc, RefusedError) and exc.allowed is not None:
        lines.append(("Allowed now:", ", ".join(exc.allowed) or "no lifecycle action", "bold cyan"))
    if exc.hint:
        lines.append(("Hint:", exc.hint, "bold yellow"))
    from crisis.cli.terminal import console

    if (err := console(err=True)) is not None:
        from rich.text import Text

        for label, text, style in lines:
            err.print(Text.assemble((label, style), " ", text), soft_wrap=True)
        return
    for label, text, _ in lines:
        typer.echo(f"{label} {text}", err=True)


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


STARTUP_SECONDS = 1.0
# Allocations between two young collections in a long command: an ingest makes and drops a few objects per mention,
# and Python's 700 ran 1,600 collections, 11 of them full, in 200,000 mentions (3 to 8% of its time); 10,000 runs 80.
LONG_RUN_THRESHOLD = 10_000
# Commands that only read the database and print: once their output is flushed and their connections closed,
# nothing of the process is left to save, and they leave without the interpreter's teardown (see `main`).
READ_ONLY = frozenset({"show", "list", "timeline"})
_RAN: list[str | None] = [None]  # the command the root group ran last
_AT_EXIT: list = []


def main() -> None:
    """The `crisis` command. The cyclic garbage collector waits for the first second: starting a command builds a few
    hundred thousand long-lived objects (SQLAlchemy, typer, the models) and every full collection meanwhile would walk
    them all again (a tenth of `crisis show`). A command still running after that second (watch, ingest, a drill) gets
    the collector back, with the startup objects frozen out of its way and young collections less often. When the
    process ends, its database connections are closed, then the objects are frozen (atexit): the interpreter's last
    collection would otherwise walk them all only to free memory the system takes back anyway (a fifth of `crisis
    show`). A READ_ONLY command then leaves at once (`_leave`): the interpreter's teardown of every module would take
    another tenth."""
    gc.disable()
    thresholds = gc.get_threshold()
    resume = threading.Timer(STARTUP_SECONDS, _resume_collector)
    resume.daemon = True
    resume.start()
    if not _AT_EXIT:
        _AT_EXIT.append(atexit.register(gc.freeze))  # runs before the interpreter's last collection
    _RAN[0] = None
    ended: list[SystemExit] = []  # how the command ended, if it did (any other exception prints its traceback)
    try:
        sys.exit(app(prog_name="crisis"))
    except SystemExit as exc:
        ended.append(exc)
        raise
    finally:
        resume.cancel()
        if (context := sys.modules.get("crisis.cli.context")) is not None:  # a command ran: close its connections now
            context.reset()
        gc.set_threshold(*thresholds)
        gc.enable()  # a caller in the same process (a test, an embedding) keeps its collector
        if ended and _RAN[0] in READ_ONLY and all(t.daemon or t is threading.main_thread() for t in threading.enumerate()):
            _leave(ended[0].code)


def _leave(code: int | str | None) -> NoReturn:
    """End the process as `sys.exit(code)` would, the exit handlers run and the output flushed, without tearing
    down every module first (the system frees the memory). Only for a command that wrote nothing but its output."""
    if isinstance(code, str):
        print(code, file=sys.stderr)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away (`crisis show | head -1`), a stream closed
            pass
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)


def _resume_collector() -> None:
    gc.freeze()
    gc.set_threshold(LONG_RUN_THRESHOLD, *gc.get_threshold()[1:])
    gc.enable()
