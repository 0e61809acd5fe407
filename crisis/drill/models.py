"""The rows of live exercises: one per drill run in the workspace, with what its MEL has done so far."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crisis.db import Base, UTCDateTime


class DrillRunRow(Base):
    """A live exercise: its scenario, pace and facilitator; the injects fired or skipped, the decisions taken,
    how far its mentions are ingested (seconds of drill time), and its scorecard once ended."""

    __tablename__ = "drill_run"
    __table_args__ = (UniqueConstraint("schedule_id", "due_at"),)  # a scheduled drill starts once, however many ticks race

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[str] = mapped_column(String(64))
    facilitator: Mapped[str] = mapped_column(String(120))
    speed: Mapped[int] = mapped_column(default=1)
    seed: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(10), default="running")  # running, ended
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fired: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # inject id → drill seconds it fired at
    skipped: Mapped[list[str]] = mapped_column(JSON, default=list)
    decisions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # point → {option, at_s, by, by_default}
    ingested_s: Mapped[int] = mapped_column(default=-1)  # mentions up to this drill second are ingested
    incident_ref: Mapped[str | None] = mapped_column(String(20))
    score: Mapped[float | None] = mapped_column(Float)
    report: Mapped[str | None] = mapped_column(Text)
    plan: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # the improvement plan: action, owner, due, objective
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("drill_schedule.id"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the occasion of its schedule it was started for


class DrillScheduleRow(Base):
    """When a scenario is rehearsed: a cron expression or a period, an optional window, announced or not."""

    __tablename__ = "drill_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[str] = mapped_column(String(64))
    cron: Mapped[str | None] = mapped_column(String(120))
    every_s: Mapped[int | None]
    window: Mapped[str | None] = mapped_column(String(120))
    unannounced: Mapped[bool] = mapped_column(default=False)
    seed: Mapped[int] = mapped_column(default=0)
    facilitator: Mapped[str] = mapped_column(String(120))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    last_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by: Mapped[str | None] = mapped_column(String(120))  # a removed schedule is kept, signed: no drill is due from it
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
