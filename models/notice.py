"""What people are told about cases without asking: their settings per kind of notice, the notices
held for the evening digest, and the month's pushes that outlived the outbox rows that counted them.

A notice is immediate (pushed at once), digest (kept here and sent as one message in the evening)
or off. Urgent notices (a safeguarding case) are always immediate.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.crypto import SealedText

# The kinds a user can set, with the Thai words of the settings card.
NOTICE_KINDS = {
    "case_update": "ความคืบหน้าเรื่องที่ฉันแจ้ง",
    "new_case": "เรื่องใหม่ในพื้นที่",
    "work": "งานที่มอบหมาย/ส่งต่อถึงฉัน",
    "late": "เรื่องที่เกินกำหนด",
}
NOTICE_MODES = {"immediate": "แจ้งทันที", "digest": "สรุปวันละครั้ง", "off": "ปิด"}
DEFAULT_MODE = "immediate"


class NoticeSetting(Base):
    __tablename__ = "notice_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)  # NOTICE_KINDS
    mode: Mapped[str] = mapped_column(String(16))  # NOTICE_MODES


class Notice(Base):
    """One line of a user's evening digest, until the digest is sent (sent_at)."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_due", "sent_at", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The case it is about: the digest line names the child, so pdpa forget removes it with the case.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(SealedText("notice_text"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class PushUsage(Base):
    """Pushes counted in outbox rows that housekeeping deleted, per Bangkok month ("2569-07" is not
    used: the key is the Gregorian "2026-07")."""

    __tablename__ = "push_usage"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    pushes: Mapped[int] = mapped_column(default=0)
