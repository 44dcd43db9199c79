"""The evening digest: at 18:00 Bangkok each user gets one push with the notice lines waiting for them
(line/notices.py: their "digest" setting, a second change of a day, or the push budget).

Once per user and day: the outbox row's retry key is made from the user and the Bangkok date and
checked before sending, and the lines are marked sent in the same transaction. A user no longer
registered, active and following gets nothing, and their waiting lines (which name children) are
deleted; so is a line about a case the user may no longer see.
"""
from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import delete, select, update
from sqlalchemy.orm import selectinload

from domain import access
from domain.thai_dates import BANGKOK, format_thai_date
from line.messages import text
from line.outbox import queue_messages
from models import Case, Notice, OutboxMessage, User
from scheduler.jobs import JobContext, daily, job

MAX_LINES = 20  # lines in one digest; the rest are counted


def digest_retry_key(user: User, day) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"evening-digest:{user.line_user_id}:{day.isoformat()}"))


def digest_text(lines: list[str], day) -> str:
    shown = [f"• {line}" for line in lines[:MAX_LINES]]
    if len(lines) > MAX_LINES:
        shown.append(f"และอีก {len(lines) - MAX_LINES} เรื่อง")
    return "\n".join([f"🗓 สรุปการแจ้งเตือนวันที่ {format_thai_date(day)} ({len(lines)} เรื่อง)", *shown,
                      "พิมพ์เลขที่เรื่องเพื่อดูรายละเอียดค่ะ"])


@job("evening-digest", trigger=daily(18, 0), misfire_grace_time=2 * 3600, plans_pushes=True)
def send_evening_digests(ctx: JobContext) -> int:
    """One push per user with their waiting notice lines, oldest first; returns how many were queued."""
    day = ctx.now.astimezone(BANGKOK).date()
    sent = 0
    with ctx.db.transaction() as session:
        waiting: dict[int, list[Notice]] = defaultdict(list)
        for notice in session.scalars(select(Notice).where(Notice.sent_at.is_(None), Notice.created_at <= ctx.now)
                                      .order_by(Notice.user_id, Notice.id)):
            waiting[notice.user_id].append(notice)
        if not waiting:
            return 0
        users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(waiting)))}
        case_ids = {n.case_id for notices in waiting.values() for n in notices if n.case_id is not None}
        cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(case_ids))
                                                  .options(selectinload(Case.area)))} if case_ids else {}
        dropped: list[int] = []
        for user_id, notices in waiting.items():
            user = users[user_id]
            if not (access.may_receive_personal(user) and user.following):
                dropped += [n.id for n in notices]
                continue
            key = digest_retry_key(user, day)
            if session.scalar(select(OutboxMessage.id).where(OutboxMessage.retry_key == key)) is not None:
                continue  # sent today already: what came since waits for tomorrow's
            seen = [n for n in notices if n.case_id is None or access.in_scope(user, cases[n.case_id].area)]
            dropped += [n.id for n in notices if n not in seen]
            if not seen:
                continue
            queue_messages(session, user.line_user_id, [text(digest_text([n.text for n in seen], day))], retry_key=key)
            session.execute(update(Notice).where(Notice.id.in_([n.id for n in seen])).values(sent_at=ctx.now))
            sent += 1
        if dropped:
            session.execute(delete(Notice).where(Notice.id.in_(dropped)))
    return sent
