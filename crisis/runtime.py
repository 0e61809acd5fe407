"""The composition root: one `Runtime` holds what every entry point needs (settings, clock, database,
roster, playbooks, notifiers) and gives the unit of work. The CLI, the demo, drills and the tests
all build one; nothing else assembles these parts.

Everything heavy (SQLAlchemy, the roster, the playbooks) loads on first use, so a command that
does not need it does not pay for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crisis.clock import Clock
from crisis.errors import ContentError
from crisis.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from crisis.oncall.roster import Roster
    from crisis.outbox.notifiers import Notifier
    from crisis.playbook.model import Playbook
    from crisis.triage.spikes import SpikeRule

ROSTER_FILE = "oncall.yaml"


@dataclass(frozen=True)
class RosterProblem:
    """`oncall.yaml` is broken: paging goes on with the roster that loaded last."""

    error: str
    since: datetime
    governing_since: datetime
    what: str = "oncall.yaml"

    def __str__(self) -> str:
        return (f"{self.what} is broken since {self.since:%Y-%m-%d %H:%M} UTC ({self.error}); paging goes on with the roster "
                f"applied on {self.governing_since:%Y-%m-%d %H:%M} UTC")


class Runtime:
    """One process's wiring. `roster` and `notifiers` may be given (tests, drills); else they come from
    the workspace and the environment."""

    def __init__(self, settings: Settings, clock: Clock, *, engine: Engine | Callable[[], Engine] | None = None,
                 roster: Roster | None | str = "workspace", notifiers: Mapping[str, Notifier] | None = None,
                 env: Mapping[str, str] = os.environ, write: Callable[[str], None] = print) -> None:
        self.settings, self.clock, self.env, self.write = settings, clock, env, write
        self._engine = engine
        self.roster_problem: RosterProblem | None = None
        self.acting_by: str | None = None  # who acts for the command's actor (bound identity): marked on each event
        if roster != "workspace":
            self.__dict__["roster"] = roster
        if notifiers is not None:
            self.__dict__["notifiers"] = notifiers

    @cached_property
    def engine(self) -> Engine:
        """The database (given, made by the given factory, or opened from the settings), its schema up to date."""
        if callable(self._engine):
            return self._engine()
        if self._engine is not None:
            return self._engine
        from crisis.db import open_engine

        return open_engine(self.settings.database_url, lock_timeout_ms=self.settings.lock_timeout_ms)

    @cached_property
    def roster(self) -> Roster | None:
        """The roster that governs: the one applied to the database (`crisis oncall apply`) if any, whatever
        the workspace's file says; else the workspace's `oncall.yaml`; else None (anyone may act, nobody is paged).

        A broken file does not silence paging: the last roster that loaded (remembered by `tick`)
        governs, and `roster_problem` says what broke. Raises ContentError for a broken file only
        when no roster ever loaded. Inside a unit of work, use `roster_in(session)`: a second connection
        would wait for the first one's write lock (SQLite)."""
        with self._transaction() as session:
            return self._governing_roster(session)

    def roster_in(self, session: Session) -> Roster | None:
        """`roster`, read through the caller's open transaction when it is not known yet."""
        if "roster" not in self.__dict__:
            self.__dict__["roster"] = self._governing_roster(session)
        return self.__dict__["roster"]

    def _governing_roster(self, session: Session) -> Roster | None:
        from crisis.oncall.governance import find_governing

        governing = find_governing(session)
        if governing is not None:
            if governing.problem:
                self.roster_problem = RosterProblem(governing.problem, governing.newest.applied_at, governing.row.applied_at,
                                                    what=f"applied roster #{governing.newest.seq}")
            return governing.roster
        read = self._read_roster()
        if read is None:
            return None
        roster, _, problem = read
        if problem is None:
            return roster
        from crisis.oncall.roster import parse_roster_text
        from crisis.oncall.service import last_applied_roster, roster_broken_since

        good, since = last_applied_roster(session), roster_broken_since(session, problem)
        if good is None:
            raise problem
        self.roster_problem = RosterProblem(problem.message, since, good.first_seen_at)
        return parse_roster_text(good.text, good.path)

    def remember_roster(self) -> None:
        """Record the roster file as read now (once per distinct text): the last good one, or since when it is broken.
        Nothing to remember once a roster is applied to the database: the file no longer governs.
        Run it outside any other transaction (tick does, first)."""
        read = self._read_roster()
        if read is None:
            return
        from crisis.oncall.governance import find_newest
        from crisis.oncall.service import remember_roster

        with self._transaction() as session:
            if find_newest(session) is not None:
                return
        _, text, problem = read
        with self.unit_of_work() as session:
            remember_roster(session, self.clock.now(), self.env.get("CRISIS_USER") or "tick", str(self.roster_path), text,
                            error=problem.message if problem else None)

    @cached_property
    def roster_drift(self) -> str | None:
        """A warning when the workspace's oncall.yaml differs from the roster applied to the database (which governs)."""
        from crisis.oncall.governance import roster_drift

        with self._transaction() as session:
            return roster_drift(session, self.roster_path)

    @cached_property
    def database_user(self) -> str | None:
        """The database role this process connects as (`current_user`), None on SQLite, which has no roles."""
        if self.engine.dialect.name != "postgresql":
            return None
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return conn.execute(text("SELECT current_user")).scalar_one()

    @property
    def roster_path(self) -> Path | None:
        return self.settings.workspace / ROSTER_FILE if self.settings.workspace is not None else None

    def _read_roster(self) -> tuple[Roster | None, str, ContentError | None] | None:
        """(the roster, its text, the error that stops it from loading), or None without a file."""
        path = self.roster_path
        if path is None or not path.is_file():
            return None
        from crisis.oncall.roster import parse_roster_text

        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return None, "", ContentError(f"{path}: cannot be read ({exc})")
        try:
            return parse_roster_text(text, str(path)), text, None
        except ContentError as exc:
            return None, text, exc

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        from crisis.db import transaction

        with transaction(self.engine) as session:
            yield session

    @cached_property
    def playbooks(self) -> dict[str, Playbook]:
        """Every playbook of the workspace (or the shipped ones), by id. Raises ContentError naming the file and line."""
        from crisis.playbook.loader import list_playbooks, load_playbook

        return {pb.id: pb for pb in (load_playbook(path) for path in list_playbooks(self.settings.playbooks_dir))}

    @cached_property
    def usable_playbooks(self) -> tuple[dict[str, Playbook], list[ContentError]]:
        """The playbooks that load, by id, and the errors of those that do not: for the jobs that must go on
        (ingest, tick) when one file is broken, so that one bad edit never stops the detection of the others."""
        from crisis.playbook.loader import list_playbooks, load_playbook

        loaded, broken = {}, []
        for path in list_playbooks(self.settings.playbooks_dir):
            try:
                playbook = load_playbook(path)
            except ContentError as exc:
                broken.append(exc)
            else:
                loaded[playbook.id] = playbook
        return loaded, broken

    def playbook(self, playbook_id: str) -> Playbook:
        """One playbook, read alone (a command that needs one need not parse them all). Raises NotFoundError, ContentError."""
        if "playbooks" in self.__dict__ and playbook_id in self.playbooks:
            return self.playbooks[playbook_id]
        from crisis.playbook.loader import find_playbook_path, load_playbook

        return load_playbook(find_playbook_path(self.settings.playbooks_dir, playbook_id))

    @cached_property
    def spike_rule(self) -> SpikeRule:
        from crisis.triage.spikes import spike_rule

        where = f"{self.settings.path}: triage.spikes" if self.settings.path else "triage.spikes"
        return spike_rule(self.settings.spikes, where)

    @cached_property
    def notifiers(self) -> Mapping[str, Notifier]:
        from crisis.outbox.notifiers import notifiers_from_env

        return notifiers_from_env(self.env, write=self.write)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: the news the services announce is dispatched (paging) inside it, then it commits;
        any error rolls everything back."""
        from crisis.db import transaction

        with transaction(self.engine) as session:
            if self.acting_by is not None:
                session.info["crisis.acting_by"] = self.acting_by
            yield session
            self.dispatch(session)

    def dispatch(self, session: Session) -> list[Any]:
        """Hand the news announced in `session` to paging until none is left; what each reaction paged."""
        from crisis.incident.news import take_news

        paged = []
        while news := take_news(session):
            from crisis.oncall.reactions import react

            paged += [p for n in news if (p := react(session, self.clock, self.roster_in(session), n)) is not None]
        return paged

    def close(self) -> None:
        """Close the database connections this runtime opened itself."""
        if "engine" in self.__dict__ and self._engine is None:
            self.engine.dispose()
