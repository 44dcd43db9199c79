"""Reporting deadlines a coordinator sets for their area, the zero reports filed, and which reminders went out.

Who has reported is counted from the work (domain/deadlines.py): an organisation of the audience has
reported when every child on its list has a check-in outcome, or when one of its members filed a zero
report ("ไม่พบเด็กเพิ่มเติม") for a deadline whose rule allows it.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, JSONType, utcnow
from models.directory import Area, Organisation, User

# How an organisation of the audience reports: every listed child checked in, or that, or a zero report.
DEADLINE_RULES = {
    "all_checked": "ติดตามเด็กในรายชื่อครบทุกคน",
    "zero_allowed": "ติดตามครบ หรือแจ้งว่าไม่พบเด็กเพิ่มเติม",
}
ZERO = "zero"


class Deadline(Base):
    """The organisations of `org_kinds` whose areas lie in the area's subtree must report `title` by
    `due_date`, by `rule`; their members with one of `roles` are reminded."""

    __tablename__ = "deadlines"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date]
    # None: the whole country.
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    roles: Mapped[list] = mapped_column(JSONType)
    # Days before due_date a reminder goes out (0: the morning of the day).
    remind_days: Mapped[list] = mapped_column(JSONType)
    org_kinds: Mapped[list] = mapped_column(JSONType, default=lambda: ["local_government"])
    rule: Mapped[str] = mapped_column(String(16), default="all_checked", server_default="all_checked")
    # The ministry's Google Form, and its entry ids -> the count each is filled with (domain.area_numbers).
    form_url: Mapped[str | None] = mapped_column(String(500))
    form_fields: Mapped[dict | None] = mapped_column(JSONType)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    area: Mapped[Area | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class DeadlineReport(Base):
    """A member filed a report for their organisation: `kind` "zero" (no more children found) counts;
    "tapped" rows are the old "รายงานแล้ว" taps (migration 0020), kept for the record and not counted."""

    __tablename__ = "deadline_reports"
    __table_args__ = (UniqueConstraint("deadline_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(16), default=ZERO, server_default=ZERO)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                                        index=True)

    organisation: Mapped[Organisation | None] = relationship()


class DeadlineReminder(Base):
    """One reminder round of a deadline, planned once: the unique key is what makes it exactly once."""

    __tablename__ = "deadline_reminders"
    __table_args__ = (UniqueConstraint("deadline_id", "days_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id", ondelete="CASCADE"))
    days_before: Mapped[int]
    recipients: Mapped[int]
    planned_at: Mapped[datetime] = mapped_column(default=utcnow)
