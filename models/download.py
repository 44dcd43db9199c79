"""Files handed out by link (LINE cannot send arbitrary files): short-lived and single-use."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.crypto import EncryptedBytes


class Download(Base):
    __tablename__ = "downloads"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Only a hash of the link's token is stored: a copy of the database does not open the links.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    # Exports hold children's data: encrypted like the case columns, and dropped once downloaded.
    content: Mapped[bytes | None] = mapped_column(EncryptedBytes("download"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
