"""How long a case may stay in each status, and when a child back in school is asked whether they
still attend: data the coordinators change in these tables, like the choice lists. Seeded by
migration 0019.

A case that stays in a status longer than its StepDeadline is late (the nightly job marks it and
reminds the owner, then the owning organisation's coordinators, then one level up). A status
without an active row has no deadline.
"""
from __future__ import annotations

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base


class StepDeadline(Base):
    __tablename__ = "step_deadlines"
    __table_args__ = {"info": {"reference_data": True}}

    status: Mapped[str] = mapped_column(String(24), primary_key=True)  # models.case.STATUSES
    days: Mapped[int]
    # What has to happen, in Thai, for reminders ("เช็กอินเด็ก", "ส่งต่อหรือพากลับเข้าเรียน").
    action: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)


class FollowUpRound(Base):
    """A stay-in-school check, `day` days after the child went back to school."""

    __tablename__ = "follow_up_rounds"
    __table_args__ = {"info": {"reference_data": True}}

    day: Mapped[int] = mapped_column(primary_key=True)
    active: Mapped[bool] = mapped_column(default=True)


def step_deadlines(session: Session) -> dict[str, StepDeadline]:
    return {row.status: row for row in session.scalars(select(StepDeadline).where(StepDeadline.active))}


def follow_up_days(session: Session) -> tuple[int, ...]:
    return tuple(session.scalars(select(FollowUpRound.day).where(FollowUpRound.active).order_by(FollowUpRound.day)))
