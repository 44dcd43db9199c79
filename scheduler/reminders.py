"""Jobs that remind people: deadline reminder rounds, and forms left half-filled."""
from __future__ import annotations

from datetime import time as clock_time

from bot.deadlines import plan_due_reminders
from bot.flow import remind_idle_drafts

from .jobs import JobContext, every, every_minutes, job

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
