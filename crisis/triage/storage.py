"""Mentions and their matches written in bulk, with SQLAlchemy Core: one `INSERT … ON CONFLICT DO NOTHING
RETURNING` per batch for the mentions (a mention already stored is skipped by the database itself, on SQLite
and PostgreSQL alike), one executemany for the matches. No ORM object per row: a crisis stream is mostly rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crisis.triage.models import MentionMatch, MentionRow

_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
MENTION_KEY = ("source_id", "platform")  # the unique constraint that makes a mention stored once


def store_mentions(session: Session, rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Insert the mention rows not stored yet, in the caller's transaction; return (platform, source id) → row id
    of the ones this call inserted (a row whose platform and source id are already stored is left as it was).

    Raises what the database raises (the unit of work turns it into StorageError).
    """
    if not rows:
        return {}
    table = MentionRow.__table__
    insert = _INSERTS[session.get_bind().dialect.name]
    statement = (insert(table).on_conflict_do_nothing(index_elements=list(MENTION_KEY))
                 .returning(table.c.id, table.c.platform, table.c.source_id))
    return {(platform, source_id): ident for ident, platform, source_id in session.execute(statement, list(rows))}


def store_matches(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert match rows (mention_id, playbook_id, clause, score, span, …), in the caller's transaction."""
    if rows:
        session.execute(MentionMatch.__table__.insert(), list(rows))
