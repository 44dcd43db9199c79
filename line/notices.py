"""Notices: what people are told about cases without asking, in this transaction, through the outbox.

Every notice about a case goes through notify(): it honours the recipient's setting for the kind of
notice (models.notice: immediate, daily digest, off); urgent notices are always pushed at once.

- "immediate" pushes, except for progress on a case I reported (case_update): only the first such
  notice of a Bangkok day is pushed, later ones that day wait for the evening digest, so several
  changes in a day cost one push and one evening message rather than one push each.
- "digest" keeps the line (a Notice row with no sent_at) for the 18:00 digest (scheduler/digest.py).
- The push budget: LINE bills pushes per recipient. Past BUDGET_SHARE of LINE_MONTHLY_PUSH_ALLOWANCE
  in the Bangkok calendar month, every non-urgent notice goes to the digest whatever its mode
  (except "off"). Pushes used = the `pushes` the sender recorded on outbox rows sent this month, plus
  what housekeeping carried into PushUsage when it deleted old rows.

A pushed notice is also written as a Notice row, sent at once: the log that tells the next one of the
day that the day's push was used.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, has_app_context
from linebot.v3.messaging import Message
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.thai_dates import BANGKOK
from line.outbox import queue_messages
from models import DEFAULT_MODE, Case, Notice, NoticeSetting, OutboxMessage, PushUsage, User, utcnow

# Past this share of the monthly allowance, non-urgent notices switch to the digest by themselves.
BUDGET_SHARE = 0.8
# The kind whose immediate mode pushes once a day (the reporter's progress news).
ONCE_A_DAY = "case_update"
# session.info: the pushes used this month, counted once per transaction, plus what this one pushed.
USED = "notices_pushes_used"


def mode_of(session: Session, user: User, kind: str) -> str:
    return session.scalar(select(NoticeSetting.mode).where(NoticeSetting.user_id == user.id,
                                                           NoticeSetting.kind == kind)) or DEFAULT_MODE


def configured_allowance() -> int:
    """LINE_MONTHLY_PUSH_ALLOWANCE of the running app (0: no limit); 0 outside one."""
    return int(current_app.config.get("LINE_MONTHLY_PUSH_ALLOWANCE") or 0) if has_app_context() else 0


def notify(session: Session, user: User, kind: str, messages: list[Message | dict], *, line: str,
           case: Case | None = None, urgent: bool = False, now: datetime | None = None,
           allowance: int | None = None) -> str:
    """Tell `user` about `case`: `messages` when pushed now, `line` (one short line) in a digest.
    `kind` is one of models.NOTICE_KINDS; `allowance` defaults to the app's LINE_MONTHLY_PUSH_ALLOWANCE.
    Returns what happened: "pushed", "digest" or "off"."""
    now = now or utcnow()
    allowance = configured_allowance() if allowance is None else allowance
    way = "pushed" if urgent else _way(session, user, kind, now, allowance)
    if way == "off":
        return "off"
    notice = Notice(user_id=user.id, case_id=case.id if case else None, kind=kind, text=line, created_at=now)
    session.add(notice)
    if way == "pushed":
        queue_messages(session, user.line_user_id, messages)
        notice.sent_at = now
        if USED in session.info:
            session.info[USED] += 1
    return way


def _way(session: Session, user: User, kind: str, now: datetime, allowance: int) -> str:
    mode = mode_of(session, user, kind)
    if mode == "off":
        return "off"
    if mode == "digest" or over_budget(session, allowance, now):
        return "digest"
    if kind == ONCE_A_DAY and _told_today(session, user, now):
        return "digest"
    return "pushed"


def _told_today(session: Session, user: User, now: datetime) -> bool:
    start = datetime.combine(now.astimezone(BANGKOK).date(), datetime.min.time(), tzinfo=BANGKOK)
    return session.scalar(select(Notice.id).where(Notice.user_id == user.id, Notice.kind == ONCE_A_DAY,
                                                  Notice.created_at >= start).limit(1)) is not None


# ------------------------------------------------------------------ the push budget

def month_of(moment: datetime) -> str:
    """The Bangkok calendar month of `moment`, as PushUsage keys it ("2026-07")."""
    return moment.astimezone(BANGKOK).strftime("%Y-%m")


def month_start(moment: datetime) -> datetime:
    local = moment.astimezone(BANGKOK)
    return datetime(local.year, local.month, 1, tzinfo=BANGKOK)


def pushes_this_month(session: Session, now: datetime) -> int:
    sent = session.scalar(select(func.coalesce(func.sum(OutboxMessage.pushes), 0))
                          .where(OutboxMessage.sent_at >= month_start(now), OutboxMessage.pushes > 0))
    carried = session.scalar(select(PushUsage.pushes).where(PushUsage.month == month_of(now)))
    return int(sent or 0) + int(carried or 0)


def over_budget(session: Session, allowance: int, now: datetime) -> bool:
    if allowance <= 0:
        return False
    if USED not in session.info:  # one count per transaction: a job may notify hundreds of people
        session.info[USED] = pushes_this_month(session, now)
    return session.info[USED] >= BUDGET_SHARE * allowance


@dataclass(frozen=True)
class Budget:
    used: int
    allowance: int  # 0: no limit

    @property
    def share(self) -> float | None:
        return self.used / self.allowance if self.allowance > 0 else None

    def thai(self) -> str:
        """One line for the admin's summary card."""
        if self.share is None:
            return f"ข้อความ push เดือนนี้ {self.used:,} ข้อความ (ไม่ได้กำหนดโควตา)"
        switched = " ส่งแบบสรุปรายวันแทนแล้ว" if self.share >= BUDGET_SHARE else ""
        return f"ข้อความ push เดือนนี้ {self.used:,} / {self.allowance:,} ({self.share:.0%}){switched}"


def budget(session: Session, now: datetime, allowance: int | None = None) -> Budget:
    allowance = configured_allowance() if allowance is None else allowance
    return Budget(pushes_this_month(session, now), allowance)
