"""Messages waiting to reach LINE: written in the same transaction as the change that caused them."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType, WorkQueue


class OutboxMessage(WorkQueue, Base):
    """Up to any number of messages for one user; the sender splits them into LINE calls of five.

    The first call uses the reply token when there is one and it is fresh; every later call,
    or a reply whose token LINE refused, becomes a push carrying a retry key, so a retried
    push is never delivered twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64))
    reply_token: Mapped[str | None] = mapped_column(String(64))
    messages: Mapped[list] = mapped_column(JSONType)
    # How many five-message chunks LINE has already accepted.
    chunks_sent: Mapped[int] = mapped_column(default=0)
    retry_key: Mapped[str] = mapped_column(String(36), default=lambda: str(uuid.uuid4()))
    # status: pending -> sending -> sent | failed
    sent_at: Mapped[datetime | None]
    # When set, the sender also shows the user this rich menu (bot.richmenu): registration,
    # role changes and deactivation queue it here because handlers never call LINE.
    rich_menu: Mapped[str | None] = mapped_column(String(16))
