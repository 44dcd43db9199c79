"""Webhook events we acted on: the record that makes a redelivered event a no-op."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class InboundEvent(Base):
    """One handled webhook event. Holds no message content: personal data stays out of logs."""

    __tablename__ = "inbound_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(32))
    line_user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    redelivery: Mapped[bool] = mapped_column(default=False)
    # handled | failed (the handler raised; the user got an apology)
    status: Mapped[str] = mapped_column(String(16), default="handled")
    error: Mapped[str | None] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
