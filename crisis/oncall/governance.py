"""The roster that governs a database lives in it: `crisis oncall apply` appends the reviewed text to a
hash-chained log, and the last entry governs every client, whatever its own `oncall.yaml` says.

Light to import (`show` reads `roster_drift`): the roster's parser loads only when a text is parsed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crisis.clock import Clock
from crisis.errors import ConflictError, ContentError, RefusedError
from crisis.incident.chain import GENESIS, event_hash
from crisis.incident.seal import KEY_ENV, AuditKey, SealOrder, audit_key
from crisis.oncall.models import AppliedRoster

if TYPE_CHECKING:
    from crisis.oncall.roster import Roster

CHAIN = "roster"  # the chain's name in each hash, where an incident's chain has its reference


@dataclass(frozen=True)
class Governing:
    """The roster that governs: the newest applied one that loads here, and why a newer one does not (if so)."""

    roster: Roster
    row: AppliedRoster
    newest: AppliedRoster
    problem: str | None = None


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def label(row: AppliedRoster) -> str:
    """How messages name an applied roster: `applied roster #3`."""
    return f"applied roster #{row.seq}"


def list_applied(session: Session) -> list[AppliedRoster]:
    """Every roster applied to this database, oldest first."""
    return list(session.scalars(select(AppliedRoster).order_by(AppliedRoster.seq)))


def find_newest(session: Session) -> AppliedRoster | None:
    return session.scalar(select(AppliedRoster).order_by(AppliedRoster.seq.desc()).limit(1))


def find_governing(session: Session) -> Governing | None:
    """The roster applied last that loads here (None if none was ever applied: the workspace's file governs).
    An applied text that no longer loads (a client with other settings) never silences paging: the one before
    governs, and `problem` says why. Raises ContentError only if no applied roster loads at all."""
    from crisis.oncall.roster import parse_roster_text

    rows, key = list_applied(session), audit_key()
    keyed_since, late, problem = _keyed_since(rows), _sealed_after_rotation(rows, key), None
    for row in reversed(rows):
        if row.seq in late:
            problem = problem or f"{label(row)} is sealed with a retired audit key after a newer one: written with an old key"
            continue
        if not _trusted(row, key, keyed_since):
            problem = problem or f"{label(row)} does not match its recorded hash: it was changed in the database"
            continue
        try:
            roster = parse_roster_text(row.text, label(row))
        except ContentError as exc:
            problem = problem or exc.message
            continue
        return Governing(roster, row, rows[-1], problem)
    if rows:
        raise ContentError(f"no roster applied to this database loads here: {problem}",
                           hint="apply a roster this client can read: crisis oncall apply oncall.yaml")
    return None


def apply_roster(session: Session, clock: Clock, actor: str, text: str, path: str, *,
                 os_user: str | None = None, db_user: str | None = None) -> tuple[AppliedRoster, bool]:
    """Validate `text` and append it to the log, where it governs from now on: (the entry, whether it is new;
    applying the text that governs already changes nothing). Anyone may apply the first; then only a holder
    of the governing roster's `roster_admins`. Raises ContentError (file:line), RefusedError, ConflictError
    when another roster was applied meanwhile."""
    from crisis.oncall.identity import authorize_roster_change, check_governable
    from crisis.oncall.roster import parse_roster_text

    new = parse_roster_text(text, path)
    check_governable(new)
    governing = find_governing(session)
    digest, newest = sha256_text(text), governing.newest if governing else None
    if newest is not None and newest.sha256 == digest:
        return newest, False
    authorize_roster_change(governing.roster if governing else None, actor)
    key = audit_key()
    if key is None and newest is not None and newest.seal is not None:
        raise RefusedError("the roster log of this database is keyed, and this process has no audit key to extend it",
                           hint=f"set {KEY_ENV} (or {KEY_ENV}_FILE) here as on the machine that applied the last roster")
    seq, prev = (newest.seq + 1, newest.hash) if newest else (1, GENESIS)
    row = AppliedRoster(seq=seq, sha256=digest, text=text, path=path, applied_at=clock.now(), applied_by=actor, os_user=os_user,
                        db_user=db_user, prev_hash=prev, seal=key.id if key else None)
    row.hash = _row_hash(row, key)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        raise ConflictError("another roster was applied to this database while you were applying this one",
                            hint="run `crisis oncall history` to see it, then apply yours again if it should replace it") from exc
    return row, True


def _row_hash(row: AppliedRoster, key: AuditKey | None) -> str:
    """The entry's hash: over who, when, the text's SHA-256 and the entry before; an HMAC under the audit key
    when the entry is sealed with it (the key's id is then covered too)."""
    hashed = {"sha256": row.sha256, "path": row.path, "os_user": row.os_user, "db_user": row.db_user}
    if row.seal is not None:
        hashed["_seal"] = row.seal
    return event_hash(row.prev_hash, CHAIN, row.seq, row.applied_at, row.applied_by, "roster_applied", hashed,
                      key=key.secret_for(row.seal) if key is not None else None)


def _trusted(row: AppliedRoster, key: AuditKey | None, keyed_since: int) -> bool:
    """Whether an entry may govern: its text matches its SHA-256 and, under the audit key, an entry from the first
    keyed one on is sealed with this key (or one it retired) and its HMAC verifies."""
    if sha256_text(row.text) != row.sha256:
        return False
    return key is None or row.seq < keyed_since or (key.secret_for(row.seal) is not None and row.hash == _row_hash(row, key))


def _sealed_after_rotation(rows: list[AppliedRoster], key: AuditKey | None) -> set[int]:
    """The entries sealed with a key retired before the key of an entry before them: written with an old audit key
    after the rotation."""
    order = SealOrder(key)
    return {row.seq for row in rows if order.late(row.seal)}


def _keyed_since(rows: list[AppliedRoster]) -> int:
    """The first sealed entry's number (every entry from it on must be sealed), or past the end."""
    return next((row.seq for row in rows if row.seal is not None), len(rows) + 1)


def verify_applied(session: Session) -> tuple[list[str], list[str]]:
    """(what is wrong with the log, what this process cannot check). Wrong: an entry whose text, hash or link was
    changed, a gap where one was deleted, a plain entry after a keyed one (a downgrade). Unchecked: a keyed entry
    without its audit key here (never passed as verified)."""
    problems, unchecked, prev, key = [], [], GENESIS, audit_key()
    rows = list_applied(session)
    keyed_since, late = _keyed_since(rows), _sealed_after_rotation(rows, key)
    for i, row in enumerate(rows, start=1):
        if row.seq in late:
            problems.append(f"#{row.seq}: sealed with a retired audit key after an entry sealed with a newer one: written "
                            "with an old key after the rotation")
        if row.seq != i:
            problems.append(f"#{row.seq}: expected #{i}: an entry was deleted")
        if sha256_text(row.text) != row.sha256:
            problems.append(f"#{row.seq}: its text does not match its SHA-256: the text was changed after it was applied")
        if row.prev_hash != prev:
            problems.append(f"#{row.seq}: does not follow the entry before it")
        if row.seal is None and row.seq > keyed_since:
            problems.append(f"#{row.seq}: plain after keyed entries: it was written, or rewritten, without the audit key")
        elif row.seal is not None and (key is None or key.secret_for(row.seal) is None):
            unchecked.append(f"#{row.seq}")
        elif row.hash != _row_hash(row, key):
            problems.append(f"#{row.seq}: its hash does not match its content: who, when or what was rewritten")
        prev = row.hash
    return problems, unchecked


def roster_log_head(session: Session) -> dict[str, int | str]:
    """The head of the log of applied rosters, for an anchor kept outside the database."""
    newest = find_newest(session)
    return {"count": newest.seq if newest else 0, "head_hash": newest.hash if newest else GENESIS}


def check_roster_log_head(session: Session, head: dict, when: str) -> list[str]:
    """What the roster log lost or rewrote since an anchor recorded its `head` at `when`."""
    count = head["count"]
    if not count:
        return []
    newest = find_newest(session)
    if newest is None or newest.seq < count:
        return [f"the roster log ends at #{newest.seq if newest else 0}, below the #{count} anchored at {when}: applied rosters were deleted"]
    anchored = session.get(AppliedRoster, count)
    if anchored is None or anchored.hash != head["head_hash"]:
        return [f"applied roster #{count} is not the one anchored at {when}: the roster log was rewritten"]
    return []


def roster_drift(session: Session, path: Path | None) -> str | None:
    """A warning line when the workspace's roster file differs from the roster applied to the database (which
    governs), or when a shared (PostgreSQL) database has none applied; None when they match, when the file is
    absent, or on SQLite with nothing applied (the file governs: one person, one workspace)."""
    newest = find_newest(session)
    if path is None or not path.is_file():
        return None
    if newest is None:
        if session.get_bind().dialect.name == "sqlite":
            return None
        return (f"no roster is applied to this shared database: {path} governs only the commands run from this workspace, "
                "and a workspace without one lets anyone act; review it, then run `crisis oncall apply`")
    try:
        digest = sha256_text(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        digest = f"unreadable ({exc})"
    if digest == newest.sha256:
        return None
    return (f"{path} differs from {label(newest)} (applied by {newest.applied_by} on {newest.applied_at:%Y-%m-%d %H:%M} UTC): "
            f"the applied roster governs, not this file; review it, then run `crisis oncall apply` to apply it")
