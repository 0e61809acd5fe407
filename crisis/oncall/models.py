"""On-call rows: the pagings that walk an escalation policy, the rosters read and applied, the heartbeat of tick.

No `from __future__ import annotations` here: SQLAlchemy would evaluate every column's annotation from its
string at import (every command pays it); only the names defined further down are quoted.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crisis.db import Base, UTCDateTime


class Paging(Base):
    """One run of an escalation policy for an incident: the level paged last, the round, when it moves on.

    Active until acknowledged, superseded by another policy, stopped with the incident, or
    exhausted (every level of every round paged and nobody acknowledged).
    """

    __tablename__ = "paging"
    __table_args__ = (Index("ix_paging_status_next_at", "status", "next_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    cause: Mapped[str] = mapped_column(Text)  # what started it: opened, severity rose, a deadline breached…
    level: Mapped[int] = mapped_column(default=0)  # index of the level paged last
    round: Mapped[int] = mapped_column(default=0)  # 0 for the first pass, 1 for the first repeat…
    status: Mapped[str] = mapped_column(String(12), default="active")  # active, acknowledged, superseded, stopped, exhausted
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the next level is paged if nobody acknowledges
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(120))


class RosterLoad(Base):
    """Each distinct `oncall.yaml` a command read: applied (it parsed; the last applied one governs paging when
    the file breaks) or broken (with its error, and since when)."""

    __tablename__ = "roster_load"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(10))  # applied, broken
    text: Mapped[str] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str] = mapped_column(String(500))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_seen_by: Mapped[str] = mapped_column(String(120))


class Heartbeat(Base):
    """When a scheduled job (`tick`) last ran to its end: a watchdog for the cron that runs it."""

    __tablename__ = "heartbeat"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class AppliedRoster(Base):
    """The log of rosters applied to the database (`crisis oncall apply`), append only and hash-chained:
    the last one governs every client. `hash` covers the previous hash, the text's SHA-256, who and when."""

    __tablename__ = "applied_roster"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 1, 2, …: two applies at once cannot both take one
    sha256: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(String(500))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)
    applied_by: Mapped[str] = mapped_column(String(120))
    os_user: Mapped[str | None] = mapped_column(String(120))  # who ran the command, as the machine knows them
    db_user: Mapped[str | None] = mapped_column(String(120))  # the database role it connected as (PostgreSQL)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    seal: Mapped[str | None] = mapped_column(String(40))  # the audit key's id when `hash` is its HMAC
