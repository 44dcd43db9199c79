"""Reporting deadlines a coordinator sets for their area, who has reported, and which reminders went out."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, JSONType, utcnow
from models.directory import Area, User


class Deadline(Base):
    """Everyone with one of `roles` in the area's subtree must report `title` by `due_date`."""

    __tablename__ = "deadlines"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date]
    # None: the whole country.
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    roles: Mapped[list] = mapped_column(JSONType)
    # Days before due_date a reminder goes out (0: the morning of the day).
    remind_days: Mapped[list] = mapped_column(JSONType)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    area: Mapped[Area | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class DeadlineReport(Base):
    """A user has reported for a deadline: no more reminders for them."""

    __tablename__ = "deadline_reports"
    __table_args__ = (UniqueConstraint("deadline_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeadlineReminder(Base):
    """One reminder round of a deadline, planned once: the unique key is what makes it exactly once."""

    __tablename__ = "deadline_reminders"
    __table_args__ = (UniqueConstraint("deadline_id", "days_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id", ondelete="CASCADE"))
    days_before: Mapped[int]
    recipients: Mapped[int]
    planned_at: Mapped[datetime] = mapped_column(default=utcnow)
