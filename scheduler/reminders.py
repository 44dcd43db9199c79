"""Jobs that remind people: deadline reminder rounds, and forms left half-filled.

Each deadline reminder round goes once, on the deadline's remind days and the morning of the due day,
to the gap: the members of each audience organisation that has not reported get its count of children
still unchecked and the due date ("ยังไม่ได้ติดตาม 3 คน ครบกำหนด ๑๘ ก.ค. ๒๕๖๕"), one multicast per
organisation (per 500 members); members of organisations that have reported get nothing. Recording the
round and queueing its messages happen in one transaction guarded by a unique key, so a round is planned
once however many schedulers try.
"""
from __future__ import annotations

import logging
from datetime import datetime
from datetime import time as clock_time

from sqlalchemy import select

import handlers  # noqa: F401  importing the handlers registers every flow whose drafts are reminded
from chat.flow import remind_idle_drafts
from domain.deadlines import due_round, members, progress, today_in_bangkok
from handlers.nudge_organisation import gap_reminder
from line.outbox import queue_multicast
from models import Deadline, DeadlineReminder
from models.database import Database
from scheduler.jobs import JobContext, every, every_minutes, job

log = logging.getLogger(__name__)


@job("deadline-reminders", trigger=every("DEADLINE_CHECK_SECONDS"), misfire_grace_time=600,
     plans_pushes=True, run_at_start=True)
def send_deadline_reminders(ctx: JobContext) -> int:
    """Plan every reminder round that is due; returns how many users they reach."""
    return plan_due_reminders(ctx.db, ctx.now, clock_time.fromisoformat(ctx.config["DEADLINE_REMINDER_TIME"]))


@job("unfinished-form-nudges", trigger=every_minutes(10), misfire_grace_time=600,
     plans_pushes=True)
def nudge_unfinished_forms(ctx: JobContext) -> int:
    """Once per idle spell, show a user the question they left unanswered; end forms idle too long."""
    counts = remind_idle_drafts(ctx.db, ctx.now)
    return counts["reminded"] + counts["expired"]


def plan_due_reminders(db: Database, now: datetime, at: clock_time) -> int:
    """Queue every reminder round that is due and not yet planned; return how many users they reach."""
    with db.transaction() as session:
        open_deadlines = list(session.scalars(
            select(Deadline).where(Deadline.due_date >= today_in_bangkok(now))))
    reached = 0
    for deadline in open_deadlines:
        days_before = due_round(deadline, now, at)
        if days_before is not None:
            reached += plan_reminder(db, deadline.id, days_before, now)
    return reached


def plan_reminder(db: Database, deadline_id: int, days_before: int, now: datetime) -> int:
    """Plan one round, unless it already was: record it and queue its messages together."""
    with db.transaction() as session:
        planned = session.scalar(
            db.insert(DeadlineReminder)
            .values(deadline_id=deadline_id, days_before=days_before, recipients=0, planned_at=now)
            .on_conflict_do_nothing(index_elements=["deadline_id", "days_before"])
            .returning(DeadlineReminder.id))
        if planned is None:
            return 0  # planned before, by this scheduler or another
        deadline = session.get(Deadline, deadline_id)
        reached: set[str] = set()
        for laggard in progress(session, deadline).laggards:
            # Once each: a village head covered by two laggards hears of the first (the most unchecked).
            recipients = [uid for uid in session.scalars(members(deadline, laggard.organisation)) if uid not in reached]
            if recipients:
                queue_multicast(session, recipients, [gap_reminder(deadline, laggard, today_in_bangkok(now))])
                reached.update(recipients)
        session.get(DeadlineReminder, planned).recipients = len(reached)
    log.info("deadline %s: %d-day reminder planned for %d users", deadline_id, days_before, len(reached))
    return len(reached)
