"""Storage: the declarative base, UTC datetimes, the engine, and the transaction scope.

Entry points own the transaction through `transaction()`: commit on success, roll back on any
error. SQLAlchemy's errors are turned into `StorageError`s here, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.types import TypeDecorator

from crisis.errors import ConflictError, StorageError

# The alembic heads this code expects (one per branch of migrations/); tests hold it equal to the scripts.
SCHEMA_HEADS = frozenset({"triage_0002", "replies_0001", "oncall_0003", "drill_0002"})

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend; SQLite would otherwise hand back naive ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: times come from the Clock, in UTC")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _sqlite_pragmas(lock_timeout_ms: int):
    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout_ms)}")
        cursor.close()

    return on_connect


def open_engine(url: str, *, migrate: bool = True, lock_timeout_ms: int = 5000) -> Engine:
    """An engine on `url` whose schema is at this code's revision. Raises StorageError."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        folder = Path(url[len("sqlite:///"):]).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the folder of database {url}: {exc.strerror}",
                               hint="check CRISIS_DATABASE_URL or crisis.toml [database] url") from exc
    try:
        engine = create_engine(url)
    except Exception as exc:  # a malformed URL or a missing driver, named by SQLAlchemy
        raise StorageError(f"cannot use database {_safe(url)}: {exc}", hint="check CRISIS_DATABASE_URL or crisis.toml [database] url") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas(lock_timeout_ms))
    if migrate:
        with _translated(engine):
            _ensure_schema(engine)
    return engine


def _schema_version(engine: Engine) -> frozenset[str]:
    """The alembic heads recorded in the database, in one cheap query (no inspector, no alembic import)."""
    with engine.connect() as conn:
        try:
            return frozenset(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
        except (OperationalError, ProgrammingError):  # no such table: a new database
            conn.rollback()
    with engine.connect() as conn:  # the error may come from elsewhere (locked, unreachable): ask again, properly
        return frozenset() if not inspect(conn).has_table("alembic_version") else frozenset(
            conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def _ensure_schema(engine: Engine) -> None:
    current = _schema_version(engine)
    if current == SCHEMA_HEADS:
        return
    from alembic import command
    from alembic.config import Config
    from alembic.util.exc import CommandError

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        try:
            command.upgrade(config, "heads")
        except CommandError as exc:
            raise StorageError(f"the database at {_safe(str(engine.url))} is at schema {', '.join(sorted(current))}, which this crisis does not know",
                               hint="upgrade crisis to the version that wrote this database") from exc


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commits if the block succeeds, rolls back otherwise."""
    with _translated(engine):
        with Session(engine, expire_on_commit=False) as session:
            with session.begin():
                yield session


@contextmanager
def _translated(engine: Engine) -> Iterator[None]:
    try:
        yield
    except (StaleDataError, IntegrityError) as exc:  # the row version moved, or the same timeline slot was taken
        raise ConflictError("the incident changed while you were acting on it: someone else acted first",
                            hint="run `crisis show REF` to see its new state, then decide again") from exc
    except OperationalError as exc:
        if "locked" in str(exc.orig).lower():
            raise StorageError(f"the database {_safe(str(engine.url))} is locked by another crisis process",
                               hint="wait for it to finish and retry") from exc
        raise StorageError(f"database {_safe(str(engine.url))} failed: {exc.orig}", hint="check that it is reachable and writable") from exc
    except DBAPIError as exc:
        raise StorageError(f"database {_safe(str(engine.url))} failed: {exc.orig}") from exc


def _safe(url: str) -> str:
    """The URL without its password, fit for a message."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"
