"""What every command needs: settings, the database, the clock, the actor."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any

from crisis.clock import Clock, SystemClock, VirtualClock
from crisis.errors import UsageError
from crisis.settings import Settings, load_settings


@cache
def settings() -> Settings:
    return load_settings()


_ENGINES: dict[tuple[str, int], Any] = {}  # sqlalchemy Engines, imported lazily


def _engine(url: str, lock_timeout_ms: int):
    from crisis.db import open_engine

    if (url, lock_timeout_ms) not in _ENGINES:
        _ENGINES[url, lock_timeout_ms] = open_engine(url, lock_timeout_ms=lock_timeout_ms)
    return _ENGINES[url, lock_timeout_ms]


def reset() -> None:
    """Forget the settings and close the engines (a long-lived process or a test between workspaces)."""
    settings.cache_clear()
    while _ENGINES:
        _ENGINES.popitem()[1].dispose()


@contextmanager
def unit_of_work() -> Iterator[Any]:
    """The command's one transaction: committed if the command succeeds, rolled back otherwise."""
    from crisis.db import transaction

    with transaction(_engine(settings().database_url, settings().lock_timeout_ms)) as session:
        yield session


def clock() -> Clock:
    """The wall clock, or the instant in CRISIS_NOW (for rehearsals and reproducible runs)."""
    fixed = os.environ.get("CRISIS_NOW")
    return VirtualClock(parse_instant(fixed, "CRISIS_NOW")) if fixed else SystemClock()


def parse_instant(text: str, where: str) -> datetime:
    """An ISO 8601 instant; without a zone it is read in UTC."""
    from datetime import timezone

    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{where}: {text!r} is not an ISO 8601 time", hint="write it like 2026-11-22T14:30 or 2026-11-22T14:30+01:00") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)


def actor(given: str | None) -> str:
    if not given or not given.strip():
        raise UsageError("who is acting? every change is signed", hint="pass --as NAME or set CRISIS_USER=NAME")
    return given.strip()


def roster():
    """The workspace's on-call roster (`oncall.yaml`), or None without one: then anyone may act and
    nobody is paged. Raises ContentError naming the entry and key of a bad roster."""
    from crisis.oncall.roster import ROSTER_FILE, load_roster

    workspace = settings().workspace
    return load_roster(workspace / ROSTER_FILE) if workspace is not None else None


def playbook(playbook_id: str):
    from crisis.playbook.loader import find_playbook_path, load_playbook

    return load_playbook(find_playbook_path(settings().playbooks_dir, playbook_id))


def playbooks() -> dict[str, Any]:
    """Every playbook of the workspace (or the shipped ones), by id. Raises ContentError naming the file and line."""
    from crisis.playbook.loader import list_playbooks, load_playbook

    return {pb.id: pb for pb in (load_playbook(path) for path in list_playbooks(settings().playbooks_dir))}


def spike_rule():
    """The spike detector's settings: `[triage.spikes]` in crisis.toml, else the defaults. Raises ContentError."""
    from crisis.settings import WORKSPACE_FILE, _read_toml
    from crisis.triage.spikes import SpikeRule, spike_rule as parse_rule

    workspace = settings().workspace
    if workspace is None:
        return SpikeRule()
    table = _read_toml(workspace / WORKSPACE_FILE).get("triage", {}).get("spikes", {})
    return parse_rule(table, f"{workspace / WORKSPACE_FILE}: triage.spikes")
