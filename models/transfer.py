"""Handing a case to someone: a coordinator assigns it to a person, or transfers it to another
organisation or area; the receiver accepts or declines with a reason (Primero's assign and transfer).

    pending -> accepted (the receiver owns the case) | declined (with a reason; nothing moves)
            -> revoked (by whoever asked, or because the case moved on)

At most one hand-over of a case is pending at a time (a partial unique index).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.case import Case
from models.crypto import SealedText
from models.directory import Area, Organisation, User

TRANSFER_KINDS = {"assign": "มอบหมาย", "transfer": "โอนเรื่อง"}
TRANSFER_STATUSES = {
    "pending": "รอการตอบรับ",
    "accepted": "รับเรื่องแล้ว",
    "declined": "ไม่รับเรื่อง",
    "revoked": "ยกเลิกแล้ว",
}


class CaseTransfer(Base):
    __tablename__ = "case_transfers"
    __table_args__ = (
        Index("uq_case_transfers_pending_case", "case_id", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # TRANSFER_KINDS
    status: Mapped[str] = mapped_column(String(16), default="pending")  # TRANSFER_STATUSES
    # assign: the person (and their organisation); transfer: the organisation, and the area the child
    # moves to when the transfer is a move to another area.
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    to_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    to_area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    note: Mapped[str | None] = mapped_column(SealedText("transfer_note"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    # Why it was declined: a code of the "decline_reason" list, and words.
    reason: Mapped[str | None] = mapped_column(String(32))
    reason_note: Mapped[str | None] = mapped_column(SealedText("transfer_reason_note"))

    case: Mapped[Case] = relationship()
    to_user: Mapped[User | None] = relationship(foreign_keys=[to_user_id])
    to_org: Mapped[Organisation | None] = relationship()
    to_area: Mapped[Area | None] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
