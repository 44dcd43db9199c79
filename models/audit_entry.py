"""The audit trail: who did what to which record, when, from which chat message. Append-only."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType, utcnow


class AuditEntry(Base):
    """One action on personal data. Holds ids and codes, never names or national IDs,
    so a data-subject deletion leaves the trail intact and meaningful."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # None for the system itself (scheduler) or a command-line operator (see actor_label).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_label: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    area_code: Mapped[str | None] = mapped_column(String(8), index=True)
    # The webhookEventId of the chat message that caused it, or "cli" / "scheduler".
    source: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSONType, default=dict)
