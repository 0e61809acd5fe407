"""A reply's row: one statement or notice of an incident, from draft to published or rejected."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crisis.db import Base, UTCDateTime

STATUSES = ("draft", "approved", "rejected", "published")


class Reply(Base):
    """Numbered per incident (R1, R2…); its text is fixed once approved, and every change is on the timeline."""

    __tablename__ = "reply"
    __table_args__ = (UniqueConstraint("incident_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    number: Mapped[int]
    step_id: Mapped[str | None] = mapped_column(String(64))  # the step it was drafted in, if any
    template: Mapped[str] = mapped_column(String(64))
    template_path: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(40))
    lang: Mapped[str] = mapped_column(String(2))
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    author: Mapped[str] = mapped_column(String(120))
    drafted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(120))  # who approved or rejected it
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_why: Mapped[str | None] = mapped_column(Text)
    published_by: Mapped[str | None] = mapped_column(String(120))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_via: Mapped[str | None] = mapped_column(String(10))  # manual, webhook
    row_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": row_version}

    @property
    def label(self) -> str:
        return f"R{self.number}"
