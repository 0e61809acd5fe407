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
from operator import attrgetter, itemgetter
from typing import Any

from sqlalchemy.orm import Session

from crisis.triage.models import MentionMatch, MentionRow
from crisis.triage.records import Mention

MENTION_KEY = ("source_id", "platform")  # the unique constraint that makes a mention stored once
PAGE = 1000  # rows per statement at most: 15 columns × 1,000 stays under SQLite's 32,766 and PostgreSQL's 65,535 parameters
_INSTANTS = frozenset({"created_at", "ingested_at"})
_BATCH_COLUMNS = ("brand", "ingested_at")  # the same for every mention of a call, written after the mention's own
_FIELD_OF = {"source_id": "id"}  # a column that bears another name than its Mention field
_MENTION_COLUMNS = tuple(c.name for c in MentionRow.__table__.columns if c.name not in ("id", *_BATCH_COLUMNS)) + _BATCH_COLUMNS
_MENTION_FIELDS = attrgetter(*(_FIELD_OF.get(c, c) for c in _MENTION_COLUMNS[:-len(_BATCH_COLUMNS)]))
_MATCH_COLUMNS = tuple(c.name for c in MentionMatch.__table__.columns if c.name != "id")
_MATCH_FIELDS = itemgetter(*_MATCH_COLUMNS)
_KEY, _IDENT = itemgetter(0, 1), itemgetter(2)  # of a returned (platform, source_id, id)


def store_mentions(session: Session, mentions: Sequence[Mention], *, brand: str | None,
                   ingested_at: datetime) -> dict[tuple[str, str], int]:
    """Insert the mentions not stored yet, as `brand`'s, in the caller's transaction; return (platform, id) → row id
    of the ones this call inserted (a mention whose platform and id are already stored is left as it was).

    Raises ValueError on a naive datetime (times come from the Clock, in UTC), and what the database raises
    (the unit of work turns it into StorageError).
    """
    if not mentions:
        return {}
    stored: dict[tuple[str, str], int] = {}
    batch = (brand, ingested_at)
    rows = [fields + batch for fields in map(_MENTION_FIELDS, mentions)]
    suffix = f" ON CONFLICT ({', '.join(MENTION_KEY)}) DO NOTHING RETURNING platform, source_id, id"
    for result in _insert(session, MentionRow.__tablename__, _MENTION_COLUMNS, rows, suffix=suffix):
        # the driver's own rows: a statement without a compiled form has no type to process, and SQLAlchemy's Row per
        # returned key cost more than the INSERT itself
        stored.update(zip(map(_KEY, (found := result.cursor.fetchall())), map(_IDENT, found)))
        result.close()
    return stored


def store_matches(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert match rows (mention_id, playbook_id, clause, score, span, …), in the caller's transaction.

    Raises ValueError on a naive datetime, and what the database raises.
    """
    if rows:
        for _ in _insert(session, MentionMatch.__tablename__, _MATCH_COLUMNS, list(map(_MATCH_FIELDS, rows)), suffix=""):
            pass


def _insert(session: Session, table: str, columns: tuple[str, ...], rows: Sequence[tuple], *, suffix: str) -> Iterator[Any]:
    """One multi-row INSERT per PAGE rows (tuples in the order of `columns`), with the driver's own placeholders; yields
    each statement's result."""
    connection = session.connection()
    dialect = connection.dialect
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    instant = _sqlite_instant if dialect.name == "sqlite" else _aware_instant
    width = len(columns)
    instants = [i for i, c in enumerate(columns) if c in _INSTANTS]
    values = f"({', '.join([mark] * len(columns))})"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    size = min(PAGE, _most_parameters(connection.connection.dbapi_connection, dialect.name) // width)
    for start in range(0, len(rows), size):
        page = rows[start:start + size]
        params = list(chain.from_iterable(page))
        for i in instants:
            params[i::width] = _converted(params[i::width], instant)
        yield connection.exec_driver_sql(head + ", ".join([values] * len(page)) + suffix, tuple(params))


def _most_parameters(dbapi_connection: Any, backend: str) -> int:
    """The most parameters one statement takes: 65,535 on PostgreSQL; on SQLite, the connection's own limit
    (999 before SQLite 3.32, 32,766 since)."""
    return dbapi_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if backend == "sqlite" else 65_535


def _converted(values: list[datetime | None], convert: Callable[[datetime | None], Any]) -> list[Any]:
    """`convert` of each value, done once for a run of the same value (a batch's rows share their `ingested_at`)."""
    out, last, done = [], None, None  # convert(None) is None
    for value in values:
        if value is not last:
            last, done = value, convert(value)
        out.append(done)
    return out


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} refused: times come from the Clock, in UTC")
    return value if value.tzinfo is timezone.utc else value.astimezone(timezone.utc)


def _sqlite_instant(value: datetime | None) -> str | None:
    """As UTCDateTime then SQLAlchemy's SQLite DATETIME store it: naive UTC, always with microseconds."""
    if value is None:
        return None
    utc = value if value.tzinfo is timezone.utc else _utc(value)
    return utc.isoformat(" ", "microseconds")[:26]  # "+00:00" cut: the year is 4 digits


def _aware_instant(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)
