"""Jobs that keep the database small: delivered messages and class lists sent in the chat are not kept
longer than needed (PDPA)."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import delete, select, update

from domain.watch_import import UPLOAD_KEPT
from line.notices import month_of
from models import ClassListUpload, Notice, OutboxMessage, PushUsage
from scheduler.jobs import JobContext, daily, job

FINISHED = ("sent", "failed", "skipped", "cancelled")


@job("outbox-cleanup", trigger=daily(3, 0), misfire_grace_time=6 * 3600)
def delete_old_outbox_rows(ctx: JobContext) -> int:
    """Delete finished outbox rows (they hold message text) older than OUTBOX_RETENTION_DAYS, and the
    notices sent as long ago (their lines name children). The pushes the deleted rows counted move
    into PushUsage, by Bangkok month, in the same transaction: the month's push budget stays whole.
    The class lists sent in the chat and left undecided lose their content after UPLOAD_KEPT (their
    buttons then say so)."""
    cutoff = ctx.now - timedelta(days=ctx.config["OUTBOX_RETENTION_DAYS"])
    old = (OutboxMessage.status.in_(FINISHED), OutboxMessage.created_at < cutoff)
    with ctx.db.transaction() as session:
        carried: Counter[str] = Counter()
        for sent_at, pushes in session.execute(select(OutboxMessage.sent_at, OutboxMessage.pushes).where(
                *old, OutboxMessage.pushes > 0, OutboxMessage.sent_at.is_not(None))):
            carried[month_of(sent_at)] += pushes
        for month, pushes in carried.items():
            usage = session.get(PushUsage, month, with_for_update=True)
            if usage is None:
                session.add(PushUsage(month=month, pushes=pushes))
            else:
                usage.pushes += pushes
        session.execute(delete(Notice).where(Notice.sent_at < cutoff))
        session.execute(update(ClassListUpload).where(ClassListUpload.content.is_not(None),
                                                      ClassListUpload.created_at < ctx.now - UPLOAD_KEPT)
                        .values(content=None))
        return session.execute(delete(OutboxMessage).where(*old)).rowcount
