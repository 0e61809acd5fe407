"""Tampering behind crisis's back: statements run straight on a test's database, as someone with its password would
(the `sql` fixture of conftest.py)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import create_engine, text

from crisis.incident.chain import GENESIS, event_hash


class Sql:
    """Statements run straight on the test's database, as someone with its password would."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.sqlite = url.startswith("sqlite")

    def __call__(self, statement: str, **params):
        with self.engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return result.all() if result.returns_rows else None

    def instant(self, at: datetime):
        """`at` as this backend stores a UTCDateTime."""
        return at.replace(tzinfo=None) if self.sqlite else at

    def data(self, raw):
        return json.loads(raw) if isinstance(raw, str) else raw

    def recompute(self, number: int, *, edit=None, unseal_from: int | None = None, start: int = 1) -> None:
        """Rewrite INC-`number`'s timeline from event #`start` and recompute each hash with crisis's own function (no
        key), as the issue's first evasion does: `edit(seq, actor, data)` changes an event, `unseal_from` drops the key's mark."""
        (incident_id,), = self("SELECT id FROM incident WHERE number = :n", n=number)
        ref, prev = f"INC-{number:04d}", GENESIS
        for row_id, seq, at, actor, kind, raw, stored in self("SELECT id, seq, at, actor, kind, data, hash FROM event "
                                                              "WHERE incident_id = :i ORDER BY seq", i=incident_id):
            if seq < start:
                prev = stored
                continue
            at = (datetime.fromisoformat(at) if isinstance(at, str) else at).replace(tzinfo=None).replace(tzinfo=timezone.utc)
            data = self.data(raw)
            actor, data = edit(seq, actor, data) if edit else (actor, data)
            if unseal_from is not None and seq >= unseal_from:
                data.pop("_seal", None)
            prev_hash, prev = prev, event_hash(prev, ref, seq, at, actor, kind, data)
            self(f"UPDATE event SET actor = :a, data = {':d' if self.sqlite else 'CAST(:d AS json)'}, prev_hash = :p, hash = :h "
                 "WHERE id = :i", a=actor, d=json.dumps(data), p=prev_hash, h=prev, i=row_id)
        self("UPDATE incident SET head_hash = :h WHERE id = :i", h=prev, i=incident_id)
