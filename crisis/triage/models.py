"""Triage rows: every mention ingested (once per platform and id), its matches, the spike alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crisis.db import Base, UTCDateTime


class MentionRow(Base):
    """A mention as read; (platform, source_id) is unique, so ingesting twice stores it once."""

    __tablename__ = "mention"
    # source id first: dedup looks up a batch's ids with IN, which this order serves on every backend
    __table_args__ = (UniqueConstraint("source_id", "platform"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str | None] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    author: Mapped[str | None] = mapped_column(String(200))
    author_followers: Mapped[int | None]
    url: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None]
    lang: Mapped[str | None] = mapped_column(String(8))
    own_account: Mapped[bool] = mapped_column(default=False)
    thread_id: Mapped[str | None] = mapped_column(String(200))
    in_reply_to: Mapped[str | None] = mapped_column(String(200))
    sentiment: Mapped[str | None] = mapped_column(String(8))
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MentionMatch(Base):
    """Why a mention belongs to a playbook (its clause's label in `phrase`, score, span) and the incident it joined;
    a drill's matches carry `is_drill`, so that the real volume watch never counts them."""

    __tablename__ = "mention_match"
    __table_args__ = (
        Index("ix_mention_match_brand_playbook_created", "brand", "playbook_id", "created_at"),
        Index("ix_mention_match_incident_created", "incident_id", "created_at"),
        Index("ix_mention_match_incident_thread", "incident_id", "thread_key"),
        Index("ix_mention_match_incident_phrase", "incident_id", "phrase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mention.id"), index=True)
    playbook_id: Mapped[str] = mapped_column(String(64))
    brand: Mapped[str | None] = mapped_column(String(120))
    phrase: Mapped[str] = mapped_column(Text)  # the clause's short label: "query.fr#2", or the phrase itself
    score: Mapped[float]
    span_start: Mapped[int]
    span_end: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the mention's, for hourly windows
    sentiment: Mapped[str | None] = mapped_column(String(8))
    thread_key: Mapped[str | None] = mapped_column(String(200))  # the conversation it belongs to
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    is_drill: Mapped[bool] = mapped_column(default=False, server_default=false())

    mention: Mapped[MentionRow] = relationship()


class SpikeAlert(Base):
    """A spike raised for a brand and playbook; the last one starts the cool-down."""

    __tablename__ = "spike_alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand: Mapped[str | None] = mapped_column(String(120))
    playbook_id: Mapped[str] = mapped_column(String(64))
    hour_at: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int]
    why: Mapped[str] = mapped_column(Text)
    crisis: Mapped[bool]
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
