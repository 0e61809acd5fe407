"""The bulk writer of mentions and matches (raw DBAPI rows) stores exactly what the ORM and UTCDateTime store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from crisis.db import open_engine, transaction
from crisis.triage.models import MentionMatch, MentionRow
from crisis.triage.records import Mention
from crisis.triage.storage import PAGE, store_matches, store_mentions

PARIS = timezone(timedelta(hours=1))
AT = datetime(2026, 11, 20, 11, 30, 5, 7, tzinfo=PARIS)  # 10:30:05.000007 UTC, given in Paris time
NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)


def _mention(i: int, **extra) -> Mention:
    fields = {"id": f"m{i}", "platform": "x", "text": f"100 % piraté ? '{i}' ; --", "created_at": AT, "author_followers": i, "lang": "fr"}
    return Mention(**fields | extra)


def _store(session, mentions: list[Mention]) -> dict[tuple[str, str], int]:
    return store_mentions(session, mentions, brand="Acme", ingested_at=NOW)


def test_rows_read_back_as_the_orm_writes_them_and_duplicates_are_skipped(database_url):
    engine = open_engine(database_url)
    try:
        with transaction(engine) as session:
            orm = _mention(0, id="orm", own_account=True)
            session.add(MentionRow(platform=orm.platform, source_id=orm.id, brand="Acme", text=orm.text, created_at=AT,
                                   author_followers=0, lang="fr", own_account=True, ingested_at=NOW))
            session.flush()
            first = _store(session, [_mention(1, own_account=True), _mention(2, rating=2, sentiment="negative")])
            again = _store(session, [_mention(1), _mention(3)])  # m1 is stored already: only m3 is new
            store_matches(session, [{"mention_id": first["x", "m1"], "playbook_id": "hijacked_account", "brand": "Acme",
                                     "phrase": "query.fr#1", "score": 91.5, "span_start": 4, "span_end": 11, "created_at": AT,
                                     "sentiment": None, "thread_key": "x:m1", "incident_id": None, "is_drill": True}])
        assert set(first) == {("x", "m1"), ("x", "m2")} and set(again) == {("x", "m3")}
        with transaction(engine) as session:
            rows = {r.source_id: r for r in session.scalars(select(MentionRow))}
            [match] = session.scalars(select(MentionMatch)).all()
            raw = dict(session.execute(text("SELECT source_id, created_at FROM mention")).all())
        assert rows["m1"].created_at == AT and rows["m1"].created_at.tzinfo == timezone.utc and rows["m1"].ingested_at == NOW
        assert rows["m1"].text == "100 % piraté ? '1' ; --" and rows["m1"].own_account is True and rows["m3"].own_account is False
        assert (rows["m2"].rating, rows["m2"].sentiment, rows["m2"].author_followers) == (2, "negative", 2)
        assert (match.mention_id, match.score, match.span_start, match.is_drill, match.created_at) == (rows["m1"].id, 91.5, 4, True, AT)
        assert raw["m1"] == raw["orm"]  # the very value UTCDateTime writes, on both backends
        if engine.dialect.name == "sqlite":
            assert raw["m1"] == "2026-11-20 10:30:05.000007"
    finally:
        engine.dispose()


def test_more_rows_than_one_statement_holds_are_paged(database_url):
    """5,003 rows of 15 columns are more parameters than one statement takes on SQLite or PostgreSQL."""
    engine = open_engine(database_url)
    try:
        with transaction(engine) as session:
            stored = _store(session, [_mention(i) for i in range(PAGE * 5 + 3)])
            later = _store(session, [_mention(i) for i in range(PAGE * 5 + 5)])
            count = len(session.scalars(select(MentionRow.id)).all())
        assert set(later) == {("x", f"m{PAGE * 5 + 3}"), ("x", f"m{PAGE * 5 + 4}")} and count == PAGE * 5 + 5
        assert len(stored) == PAGE * 5 + 3 and len(set(stored.values())) == PAGE * 5 + 3
    finally:
        engine.dispose()


def test_a_naive_time_is_refused_as_utcdatetime_refuses_it(database_url):
    engine = open_engine(database_url)
    try:
        with pytest.raises(ValueError, match="naive datetime"):
            with transaction(engine) as session:
                _store(session, [_mention(1, created_at=datetime(2026, 11, 20, 10))])
    finally:
        engine.dispose()


def test_an_sqlite_that_takes_few_parameters_gets_smaller_statements(tmp_path):
    """SQLite before 3.32 takes 999 parameters per statement: 200 rows of 15 columns go in several statements."""
    import sqlite3

    engine = open_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        with transaction(engine) as session:
            session.connection().connection.dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
            stored = _store(session, [_mention(i) for i in range(200)])
        assert len(stored) == 200
    finally:
        engine.dispose()
