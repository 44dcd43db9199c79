"""Referrals: a found child handed to an organisation (a school, สกร./กศน., a vocational college,
พม., health) that accepts or declines, as in UNICEF's Primero.

    pending -> accepted -> done (the child started there)
            -> declined (with a reason; the case goes back to "found")
    pending | accepted -> revoked (by the referrer or a coordinator; the case goes back to "found")

At most one referral of a case is open (pending or accepted) at a time: a partial unique index
keeps two people from referring the same child at the same moment.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.case import Case
from models.crypto import SealedText
from models.directory import Organisation, User

REFERRAL_STATUSES = {
    "pending": "รอการตอบรับ",
    "accepted": "รับเรื่องแล้ว",
    "declined": "ปฏิเสธ",
    "done": "เข้าเรียนแล้ว",
    "revoked": "ถอนการส่งต่อแล้ว",
}
OPEN_REFERRAL = ("pending", "accepted")

# The organisation kinds a child can be referred to, with a label that fits a quick-reply button.
REFERRAL_KINDS = {
    "school": "โรงเรียน",
    "learning_promotion": "สกร./กศน.",
    "vocational_college": "วิทยาลัยอาชีวศึกษา",
    "social_development": "พม.",
    "health": "สาธารณสุข",
}


class Referral(Base):
    __tablename__ = "referrals"
    __table_args__ = (
        Index("uq_referrals_open_case", "case_id", unique=True,
              postgresql_where=text("status IN ('pending', 'accepted')"),
              sqlite_where=text("status IN ('pending', 'accepted')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    note: Mapped[str | None] = mapped_column(SealedText("referral_note"))
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who accepted, declined or revoked it, when, and why (a code of the "decline_reason" list, and words).
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(32))
    reason_note: Mapped[str | None] = mapped_column(SealedText("referral_reason_note"))
    enrolled_on: Mapped[date | None] = mapped_column(Date)

    case: Mapped[Case] = relationship()
    organisation: Mapped[Organisation] = relationship()
    referred_by: Mapped[User | None] = relationship(foreign_keys=[referred_by_id])
