"""Reporting deadlines: who must report, who has, and which reminder round is due when.

A coordinator sets a deadline for their area (chat or CLI). The scheduler (scheduler/reminders.py)
sends each round once, to the users in that area with one of the deadline's roles who have not
reported yet; the card it sends and its "รายงานแล้ว" button live with the handler that answers
the button (handlers/set_deadline.py).
"""
from __future__ import annotations

import logging
from datetime import date, datetime
from datetime import time as clock_time
from datetime import timedelta

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from domain.thai_dates import BANGKOK
from models import Area, Deadline, DeadlineReport, User, utcnow

log = logging.getLogger(__name__)

# A round that is late (planned in the evening, held by quiet hours, scheduler down) is dropped
# when the next round is closer than this: two reminders an hour apart would be noise.
LATE_ROUND_GAP = timedelta(hours=12)


def parse_days(setting: str) -> list[int]:
    """ "7,3,1,0" -> [7, 3, 1, 0]: days before the date, furthest first, each once."""
    days = {int(part) for part in setting.replace(" ", "").split(",") if part}
    if any(d < 0 for d in days):
        raise ValueError(f"reminder days must be 0 or more: {setting!r}")
    return sorted(days, reverse=True)


def today_in_bangkok(now: datetime) -> date:
    return now.astimezone(BANGKOK).date()


def create_deadline(session: Session, *, title: str, due_date: date, area: Area | None, roles: list[str],
                    remind_days: list[int], created_by: User | None = None) -> Deadline:
    deadline = Deadline(title=title, due_date=due_date, area=area, roles=list(roles),
                        remind_days=list(remind_days), created_by=created_by)
    session.add(deadline)
    session.flush()
    log.info("deadline %s created for area %s, due %s", deadline.id, area.code if area else "all", due_date)
    return deadline


def must_report(deadline: Deadline) -> Select:
    """The users who must report for this deadline: active, registered, with one of its roles, in its area."""
    query = select(User).where(User.role.in_(deadline.roles), User.active.is_(True),
                               User.registered_at.is_not(None))
    if deadline.area is not None:
        query = query.join(Area, User.area_id == Area.id).where(Area.code.startswith(deadline.area.code))
    return query


def not_yet_reported(deadline: Deadline) -> Select:
    """The LINE ids of those who must report, have not, and still follow the bot."""
    reported = exists().where(DeadlineReport.deadline_id == deadline.id, DeadlineReport.user_id == User.id)
    return (must_report(deadline).with_only_columns(User.line_user_id)
            .where(User.following.is_(True), ~reported).order_by(User.id))


def is_responsible(user: User, deadline: Deadline) -> bool:
    """Python's twin of must_report for one user already loaded (the postback, mark_reported)."""
    in_area = deadline.area is None or (user.area is not None and user.area.code.startswith(deadline.area.code))
    return user.role in deadline.roles and user.active and user.registered_at is not None and in_area


def mark_reported(session: Session, user: User, deadline_id: int | None = None,
                  at: datetime | None = None) -> list[Deadline]:
    """Record that `user` has reported: for one deadline, or for every open one they are responsible for.

    Other features call this when a user files what a deadline asks for, so the reminders stop.
    Returns the deadlines newly marked.
    """
    at = at or utcnow()
    which = Deadline.id == deadline_id if deadline_id is not None else Deadline.due_date >= today_in_bangkok(at)
    already = set(session.scalars(select(DeadlineReport.deadline_id).where(DeadlineReport.user_id == user.id)))
    marked = [d for d in session.scalars(select(Deadline).where(which))
              if d.id not in already and is_responsible(user, d)]
    session.add_all(DeadlineReport(deadline_id=d.id, user_id=user.id, reported_at=at) for d in marked)
    session.flush()
    return marked


def send_time(deadline: Deadline, days_before: int, at: clock_time) -> datetime:
    return datetime.combine(deadline.due_date - timedelta(days=days_before), at, tzinfo=BANGKOK)


def due_round(deadline: Deadline, now: datetime, at: clock_time) -> int | None:
    """The reminder round that should have gone by `now` (the latest one), or None.

    Rounds whose time passed while a later one is also due are not sent: one reminder, the
    most recent, is what a user needs (a deadline set two days ahead gets the 3-day round at
    once, as its announcement, then the 1-day round).
    """
    if today_in_bangkok(now) > deadline.due_date:
        return None
    times = {d: send_time(deadline, d, at) for d in deadline.remind_days}
    due = [d for d, when in times.items() if when <= now]
    upcoming = [when for when in times.values() if when > now]
    if not due or (upcoming and min(upcoming) - now < LATE_ROUND_GAP):
        return None
    return min(due)
