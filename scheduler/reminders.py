"""Jobs that remind people: deadline reminder rounds, and forms left half-filled."""
from __future__ import annotations

from datetime import time as clock_time
from datetime import timedelta

from sqlalchemy import or_, select

from bot.deadlines import plan_due_reminders
from bot.flow import FLOWS
from bot.messages import text
from bot.outbox import queue_messages
from models import Conversation, User

from .jobs import JobContext, every, every_minutes, job

UNFINISHED_FORM = "ยังกรอกข้อมูลค้างไว้อยู่นะคะ ตอบคำถามด้านล่างต่อได้เลย หรือพิมพ์ \"ยกเลิก\" หากไม่ต้องการกรอกต่อ"


@job("deadline-reminders", trigger=every("DEADLINE_CHECK_SECONDS"), misfire_grace_time=600,
     plans_pushes=True, run_at_start=True)
def send_deadline_reminders(ctx: JobContext) -> int:
    """Plan every reminder round that is due; returns how many users they reach."""
    return plan_due_reminders(ctx.db, ctx.now, clock_time.fromisoformat(ctx.config["DEADLINE_REMINDER_TIME"]))


@job("unfinished-form-nudges", trigger=every_minutes(10), misfire_grace_time=600,
     plans_pushes=True)
def nudge_unfinished_forms(ctx: JobContext) -> int:
    """Once per idle spell, show a user the question they left unanswered, before the form expires."""
    idle_since = ctx.now - timedelta(minutes=ctx.config["CONVERSATION_NUDGE_MINUTES"])
    nudged = 0
    with ctx.db.transaction() as session:
        rows = session.execute(
            select(Conversation, User.line_user_id).join(User, Conversation.user_id == User.id)
            .where(Conversation.updated_at < idle_since, User.following.is_(True),
                   or_(Conversation.reminded_at.is_(None), Conversation.reminded_at < Conversation.updated_at))
            # A user answering right now holds this row; they need no nudge, and the job need not wait.
            .with_for_update(of=Conversation, skip_locked=True)
        )
        for convo, line_user_id in rows:
            form = FLOWS.get(convo.flow)
            if form is None or ctx.now - convo.updated_at > form.idle_timeout:
                continue  # expired: their next message says so
            queue_messages(session, line_user_id, [text(UNFINISHED_FORM), *form.step(convo.step).render(convo.data)])
            convo.reminded_at = ctx.now
            nudged += 1
    return nudged
