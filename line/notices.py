"""Notices: what people are told about cases without asking, in this transaction, through the outbox.

Every notice about a case goes through notify(): it honours the recipient's setting for the kind of
notice (models.notice: immediate, daily digest, off); urgent notices are always pushed at once.
"""
from __future__ import annotations

from datetime import datetime

from linebot.v3.messaging import Message
from sqlalchemy import select
from sqlalchemy.orm import Session

from line.outbox import queue_messages
from models import DEFAULT_MODE, Case, Notice, NoticeSetting, User, utcnow


def mode_of(session: Session, user: User, kind: str) -> str:
    return session.scalar(select(NoticeSetting.mode).where(NoticeSetting.user_id == user.id,
                                                           NoticeSetting.kind == kind)) or DEFAULT_MODE


def notify(session: Session, user: User, kind: str, messages: list[Message | dict], *, line: str,
           case: Case | None = None, urgent: bool = False, now: datetime | None = None) -> str:
    """Tell `user` about `case`: `messages` when pushed now, `line` (one short line) in a digest.
    `kind` is one of models.NOTICE_KINDS. Returns what happened: "pushed", "digest" or "off"."""
    now = now or utcnow()
    mode = "immediate" if urgent else mode_of(session, user, kind)
    if mode == "off":
        return "off"
    if mode == "digest":
        session.add(Notice(user_id=user.id, case_id=case.id if case else None, kind=kind, text=line, created_at=now))
        return "digest"
    queue_messages(session, user.line_user_id, messages)
    session.add(Notice(user_id=user.id, case_id=case.id if case else None, kind=kind, text=line, created_at=now,
                       sent_at=now))
    return "pushed"
