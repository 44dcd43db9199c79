"""Recording and reading the audit trail. There is deliberately no way here to change or delete an entry;
on PostgreSQL a trigger refuses UPDATE and DELETE on audit_log as well."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import User, utcnow
from models.audit import AuditEntry

from .dispatcher import Context


def record(session: Session, action: str, subject_type: str, subject_id: Any = None, *,
           actor: User | None = None, actor_label: str | None = None, area_code: str | None = None,
           source: str | None = None, **detail: Any) -> None:
    session.add(AuditEntry(
        at=utcnow(), actor_id=actor.id if actor else None, actor_label=actor_label, action=action,
        subject_type=subject_type, subject_id=None if subject_id is None else str(subject_id),
        area_code=area_code, source=source, detail=detail,
    ))


def record_chat(ctx: Context, action: str, subject_type: str, subject_id: Any = None, *,
                area_code: str | None = None, **detail: Any) -> None:
    """Record an action a LINE user took in chat, tied to the message that caused it."""
    record(ctx.session, action, subject_type, subject_id, actor=ctx.user, area_code=area_code,
           source=getattr(ctx.event, "webhook_event_id", None), **detail)


def history(session: Session, subject_type: str, subject_id: Any, action: str | None = None) -> list[AuditEntry]:
    """Every entry about one record, oldest first ("who looked at this child?")."""
    query = select(AuditEntry).where(AuditEntry.subject_type == subject_type,
                                     AuditEntry.subject_id == str(subject_id))
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query.order_by(AuditEntry.id)))
