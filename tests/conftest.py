"""Shared fixtures: a real database per test (SQLite, and PostgreSQL when available), a workspace, the CLI."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crisis.cli import app, context

POSTGRES_URL = os.environ.get("CRISIS_TEST_POSTGRES_URL")
os.environ.setdefault("CRISIS_ALLOW_FIXED_CLOCK", "yes")  # the suite runs on CRISIS_NOW (and its subprocesses with it)
T0 = "2026-11-20T10:00:00+00:00"  # a Friday morning, the tests' reference instant


def _backends() -> list:
    return ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
        not POSTGRES_URL, reason="set CRISIS_TEST_POSTGRES_URL (CI does) to run on PostgreSQL"))]


@pytest.fixture(params=_backends())
def database_url(request, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crisis.db'}"
        return
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}options=-csearch_path%3D{schema}"
    context.reset()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def fast_tmp(tmp_path: Path) -> Iterator[Path]:
    """A folder in memory (tmpfs) when the machine has one: for tests that commit thousands of times."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(dir=shm, prefix="crisis-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


class Cli:
    """Runs `crisis` in-process on the test's workspace, as a responder would type it."""

    def __init__(self) -> None:
        self.runner = CliRunner()
        self.now = T0  # the test's clock: a command without `now` runs when the last one ran (timelines never go back)

    def __call__(self, *args: str, now: str | None = None, user: str | None = None, code: int = 0, report: bool = False):
        """Exit code `code`; on failure stdout must stay empty unless the command's output is a `report`."""
        self.now = now or self.now
        env = {"CRISIS_NOW": self.now}
        if user is not None:
            env["CRISIS_USER"] = user
        result = self.runner.invoke(app, list(args), env=env, catch_exceptions=code != 0)
        assert result.exit_code == code, f"crisis {' '.join(args)} exited {result.exit_code}:\n{result.stdout}\n{result.stderr}"
        if code != 0 and not report:
            assert result.stdout == "", "errors go to stderr, stdout stays clean"
        return result


@pytest.fixture
def cli() -> Cli:
    return Cli()


@pytest.fixture
def workspace(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> Iterator[Path]:
    """A workspace made by `crisis init`, the current directory, acting as `ana`."""
    for name in ("CRISIS_NOW", "CRISIS_LANG", "CRISIS_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CRISIS_DATABASE_URL", database_url)
    context.settings.cache_clear()
    cli("init", str(tmp_path / "ws"), "--brand", "Acme")
    monkeypatch.chdir(tmp_path / "ws")
    monkeypatch.setenv("CRISIS_USER", "ana")
    context.settings.cache_clear()
    yield tmp_path / "ws"
    context.reset()


@pytest.fixture
def sql(workspace, database_url):
    """Statements run straight on the test's database, as someone with its password would (tests/tamper.py)."""
    from tests.tamper import Sql

    runner = Sql(database_url)
    yield runner
    runner.engine.dispose()
