"""Messages waiting to reach LINE: written in the same transaction as the change that caused them."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String, true
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType, WorkQueue
from models.crypto import EncryptedJSON


class OutboxMessage(WorkQueue, Base):
    """Up to any number of messages for one user, or for up to 500 users at once (a multicast);
    the sender splits them into LINE calls of five.

    The first call uses the reply token when there is one and it is fresh; every later call,
    or a reply whose token LINE refused, becomes a push (or multicast) carrying a retry key,
    so a retried call is never delivered twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # One chat (a user, group or room) ...
    line_user_id: Mapped[str | None] = mapped_column(String(64))
    # ... or, for a multicast, the users it goes to (at most MULTICAST_LIMIT).
    recipients: Mapped[list | None] = mapped_column(JSONType)
    reply_token: Mapped[str | None] = mapped_column(String(64))
    # Coordinators' notices and cards name children: encrypted, and emptied by a data-subject deletion.
    messages: Mapped[list] = mapped_column(EncryptedJSON("outbox_messages"))
    # Whether the messages may carry a child's data: then the sender delivers them only to users still
    # registered and active. False only for what is meant for anyone (welcome, registration, the
    # deactivation notice): the default fails closed.
    personal: Mapped[bool] = mapped_column(default=True, server_default=true())
    # How many five-message chunks LINE has already accepted.
    chunks_sent: Mapped[int] = mapped_column(default=0)
    # What LINE bills for this row once sent: one per recipient per push or multicast call (replies
    # are free). The push budget (line.notices) adds these up for the month.
    pushes: Mapped[int] = mapped_column(default=0, server_default="0")
    retry_key: Mapped[str] = mapped_column(String(36), default=lambda: str(uuid.uuid4()))
    # status: pending -> sending -> sent | failed | skipped (no recipient may get it: blocked the bot,
    # deactivated) | cancelled (a data-subject deletion named the child: never sent)
    sent_at: Mapped[datetime | None]
    # When set, the sender also shows the user this rich menu (line.richmenu): registration,
    # role changes and deactivation queue it here because handlers never call LINE.
    rich_menu: Mapped[str | None] = mapped_column(String(16))
