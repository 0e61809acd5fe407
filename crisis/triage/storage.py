"""Mentions and their matches written in bulk, through the DBAPI cursor of the caller's transaction: one
multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING` per page of mentions (a mention already stored is
skipped by the database itself, on SQLite and PostgreSQL alike), one multi-row INSERT per page of matches.

No ORM object and no SQLAlchemy type processing per row: a crisis stream is mostly rows, and per-row parameter
processing was most of the storing time. The one type that needs processing, the instant, is written here exactly
as `crisis.db.UTCDateTime` writes it: UTC, naive text "YYYY-MM-DD HH:MM:SS.ffffff" on SQLite, aware on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy.orm import Session

from crisis.triage.models import MentionMatch, MentionRow

MENTION_KEY = ("source_id", "platform")  # the unique constraint that makes a mention stored once
PAGE = 1000  # rows per statement at most: 15 columns × 1,000 stays under SQLite's 32,766 and PostgreSQL's 65,535 parameters
_INSTANTS = frozenset({"created_at", "ingested_at"})
_MENTION_COLUMNS = tuple(c.name for c in MentionRow.__table__.columns if c.name != "id")
_MATCH_COLUMNS = tuple(c.name for c in MentionMatch.__table__.columns if c.name != "id")


def store_mentions(session: Session, rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Insert the mention rows not stored yet, in the caller's transaction; return (platform, source id) → row id
    of the ones this call inserted (a row whose platform and source id are already stored is left as it was).

    Raises ValueError on a naive datetime (times come from the Clock, in UTC), and what the database raises
    (the unit of work turns it into StorageError).
    """
    if not rows:
        return {}
    stored: dict[tuple[str, str], int] = {}
    suffix = f" ON CONFLICT ({', '.join(MENTION_KEY)}) DO NOTHING RETURNING id, platform, source_id"
    for result in _insert(session, MentionRow.__tablename__, _MENTION_COLUMNS, rows, suffix=suffix):
        stored.update(((platform, source_id), ident) for ident, platform, source_id in result.fetchall())
    return stored


def store_matches(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert match rows (mention_id, playbook_id, clause, score, span, …), in the caller's transaction.

    Raises ValueError on a naive datetime, and what the database raises.
    """
    if rows:
        for _ in _insert(session, MentionMatch.__tablename__, _MATCH_COLUMNS, rows, suffix=""):
            pass


def _insert(session: Session, table: str, columns: tuple[str, ...], rows: Sequence[dict[str, Any]], *, suffix: str) -> Iterator[Any]:
    """One multi-row INSERT per PAGE rows, with the driver's own placeholders; yields each statement's result."""
    connection = session.connection()
    dialect = connection.dialect
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    instant = _sqlite_instant if dialect.name == "sqlite" else _aware_instant
    get, width = itemgetter(*columns), len(columns)
    instants = [i for i, c in enumerate(columns) if c in _INSTANTS]
    values = f"({', '.join([mark] * len(columns))})"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    size = min(PAGE, _most_parameters(connection.connection.dbapi_connection, dialect.name) // width)
    for start in range(0, len(rows), size):
        page = rows[start:start + size]
        params = list(chain.from_iterable(map(get, page)))
        for i in instants:
            params[i::width] = map(_memo(instant), params[i::width])
        yield connection.exec_driver_sql(head + ", ".join([values] * len(page)) + suffix, tuple(params))


def _most_parameters(dbapi_connection: Any, backend: str) -> int:
    """The most parameters one statement takes: 65,535 on PostgreSQL; on SQLite, the connection's own limit
    (999 before SQLite 3.32, 32,766 since)."""
    return dbapi_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if backend == "sqlite" else 65_535


def _memo(convert: Callable[[datetime | None], Any]) -> Callable[[datetime | None], Any]:
    """`convert`, the last instant's conversion kept: a batch's rows share their `ingested_at`."""
    last: list[Any] = [None, None]

    def converted(value: datetime | None) -> Any:
        if value is not last[0]:
            last[:] = value, convert(value)
        return last[1]

    return converted


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} refused: times come from the Clock, in UTC")
    return value if value.tzinfo is timezone.utc else value.astimezone(timezone.utc)


def _sqlite_instant(value: datetime | None) -> str | None:
    """As UTCDateTime then SQLAlchemy's SQLite DATETIME store it: naive UTC, always with microseconds."""
    return None if value is None else _utc(value).isoformat(" ", "microseconds")[:26]  # "+00:00" cut: the year is 4 digits


def _aware_instant(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)
