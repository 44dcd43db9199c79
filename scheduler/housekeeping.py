"""Jobs that keep the database small: delivered messages are not kept longer than needed (PDPA)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from models import OutboxMessage
from scheduler.jobs import JobContext, daily, job


@job("outbox-cleanup", trigger=daily(3, 0), misfire_grace_time=6 * 3600)
def delete_old_outbox_rows(ctx: JobContext) -> int:
    """Delete finished outbox rows (they hold message text) older than OUTBOX_RETENTION_DAYS."""
    cutoff = ctx.now - timedelta(days=ctx.config["OUTBOX_RETENTION_DAYS"])
    with ctx.db.transaction() as session:
        return session.execute(
            delete(OutboxMessage).where(OutboxMessage.status.in_(("sent", "failed", "skipped", "cancelled")),
                                        OutboxMessage.created_at < cutoff)
        ).rowcount
