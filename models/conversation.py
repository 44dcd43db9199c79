"""Where each user is in a guided conversation, kept in the database so any worker can continue it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType, utcnow
from models.crypto import EncryptedJSON


class Conversation(Base):
    """At most one open flow per user: its current step, the answers so far, the way back."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    # The answers so far: a child's name, national ID, guardian's phone... encrypted like the case's.
    data: Mapped[dict] = mapped_column(EncryptedJSON("conversation_data"), default=dict)
    # Steps answered (their names only, never answers), most recent last: "ย้อนกลับ" pops it.
    trail: Mapped[list] = mapped_column(JSONType, default=list)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    reminded_at: Mapped[datetime | None]
