"""What every command needs, from one `Runtime` per command: settings, the database, the clock, the roster, the actor."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any

from crisis.clock import Clock, SystemClock, VirtualClock
from crisis.errors import RefusedError, UsageError
from crisis.runtime import Runtime
from crisis.settings import Settings, load_settings


@cache
def settings() -> Settings:
    return load_settings()


_ENGINES: dict[tuple[str, int], Any] = {}  # sqlalchemy Engines, kept for the process (tests run many commands)
_CURRENT: list[Runtime] = []  # the running command's runtime


def _engine(url: str, lock_timeout_ms: int):
    from crisis.db import open_engine

    if (url, lock_timeout_ms) not in _ENGINES:
        _ENGINES[url, lock_timeout_ms] = open_engine(url, lock_timeout_ms=lock_timeout_ms)
    return _ENGINES[url, lock_timeout_ms]


def runtime() -> Runtime:
    """The running command's runtime, built on first use from the workspace, CRISIS_NOW and the environment."""
    if not _CURRENT:
        import typer

        s = settings()
        _CURRENT.append(Runtime(s, _clock_from_env(), engine=lambda: _engine(s.database_url, s.lock_timeout_ms),
                                write=lambda text: typer.echo(text, nl=False)))
    return _CURRENT[0]


def end_command() -> None:
    """Forget the command's runtime: the next command reads the roster and the clock afresh."""
    _CURRENT.clear()


def reset() -> None:
    """Forget the settings and close the engines (a long-lived process or a test between workspaces)."""
    settings.cache_clear()
    end_command()
    while _ENGINES:
        _ENGINES.popitem()[1].dispose()


@contextmanager
def unit_of_work() -> Iterator[Any]:
    """The command's one transaction: committed (after paging what it announced) if the command succeeds, rolled back otherwise."""
    with runtime().unit_of_work() as session:
        yield session


def clock() -> Clock:
    """The command's clock: the wall clock, or the instant in CRISIS_NOW (tests and rehearsals only)."""
    return runtime().clock


def _clock_from_env() -> Clock:
    fixed = os.environ.get("CRISIS_NOW")
    return fixed_clock(fixed, "CRISIS_NOW") if fixed else SystemClock()


def fixed_clock(text: str, where: str) -> Clock:
    """A clock stopped at `text` (CRISIS_NOW, `tick --now`): only where CRISIS_ALLOW_FIXED_CLOCK=yes says this
    process is a test or a rehearsal, and every event it writes then carries the mark. Raises RefusedError, UsageError."""
    from crisis.incident.seal import FIXED_CLOCK_ENV, fixed_clock_allowed

    if not fixed_clock_allowed(os.environ):
        raise RefusedError(f"{where} would run this command at a time of your choosing, which could backdate a real incident",
                           hint=f"unset {where}; rehearse with `crisis drill run` (its own database and clock); only tests and "
                                f"rehearsal databases set {FIXED_CLOCK_ENV}=yes, and every event then says so")
    return VirtualClock(parse_instant(text, where))


def parse_instant(text: str, where: str) -> datetime:
    """An ISO 8601 instant; without a zone it is read in UTC."""
    from datetime import timezone

    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{where}: {text!r} is not an ISO 8601 time", hint="write it like 2026-11-22T14:30 or 2026-11-22T14:30+01:00") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)


def actor(given: str | None, *, bind: bool = True) -> str:
    """Who signs the command: `--as`/CRISIS_USER as typed, or, when the governing roster binds identities
    (`identity.bind`) and `bind` holds, the person mapped to this OS user or database role, who may name someone
    else only with a role that may act for others. Raises UsageError when nobody is named, IdentityError on a mismatch."""
    from crisis.oncall.identity import bind_actor

    rt = runtime()
    roster = rt.roster if bind else None
    mode = roster.identity.bind if roster is not None else "none"
    claimed = given.strip() if given and given.strip() else None
    who, by = bind_actor(roster, claimed, os_user=os_user() if mode == "os_user" else None,
                         db_user=rt.database_user if mode == "db_role" else None)
    if who is None:
        raise UsageError("who is acting? every change is signed", hint="pass --as NAME or set CRISIS_USER=NAME")
    if by is not None:
        import typer

        typer.echo(f"Note: {by} acts for {who} (a role that may act for others); each event says so", err=True)
        rt.acting_by = by
    return who


def os_user() -> str | None:
    """Who the machine says runs this command: LOGNAME, USER, LNAME or USERNAME, else the password database
    (getpass.getuser); None if nothing says."""
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None


def roster():
    """The governing roster: the one applied to the database, else the workspace's `oncall.yaml`, else None
    (then anyone may act and nobody is paged). Raises ContentError naming the entry and key of a bad roster."""
    return runtime().roster


def playbook(playbook_id: str):
    return runtime().playbook(playbook_id)


def playbooks() -> dict[str, Any]:
    """Every playbook of the workspace (or the shipped ones), by id. Raises ContentError naming the file and line."""
    return runtime().playbooks


def spike_rule():
    """The spike detector's settings: `[triage.spikes]` in crisis.toml, else the defaults. Raises ContentError."""
    return runtime().spike_rule
