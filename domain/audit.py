"""Recording and reading the audit trail. There is deliberately no way here to change or delete an entry;
on PostgreSQL a trigger refuses UPDATE and DELETE on audit_log as well."""
from __future__ import annotations

import getpass
from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from models import User, utcnow
from models.audit_entry import AuditEntry

# The actions recorded, in the words a coordinator reads them ("who looked at this child?").
ACTIONS = {
    "create": "แจ้งพบ (เปิดเรื่อง)",
    "report_again": "แจ้งข้อมูลเพิ่มเติม",
    "report_outside": "แจ้งจากนอกพื้นที่ (รอผู้ประสานงานตรวจสอบ)",
    "same_id": "เช็กอินเรื่องอื่นด้วยเลขประจำตัวของเรื่องนี้ (อาจเป็นเด็กคนเดียวกัน)",
    "notified": "ได้รับแจ้งข้อมูลเด็ก",
    "view": "เปิดดูข้อมูล",
    "change": "แก้ไขข้อมูล",
    "export": "ส่งออกรายงานที่มีเด็กคนนี้",
    "view_history": "ดูประวัติการเข้าถึง",
    "forget": "ลบข้อมูลส่วนบุคคลตามคำขอ",
    "invite_wrong": "พิมพ์รหัสเชิญที่ใช้ไม่ได้",
    "invite_malformed": "พิมพ์ข้อความที่ไม่ใช่รูปแบบรหัสเชิญ",
}


def record(session: Session, action: str, subject_type: str, subject_id: Any = None, *,
           actor: User | None = None, actor_label: str | None = None, area_code: str | None = None,
           source: str | None = None, **detail: Any) -> None:
    session.add(AuditEntry(
        at=utcnow(), actor_id=actor.id if actor else None, actor_label=actor_label, action=action,
        subject_type=subject_type, subject_id=None if subject_id is None else str(subject_id),
        area_code=area_code, source=source, detail=detail,
    ))


class ChatTurn(Protocol):
    """What record_chat needs of a chat turn (chat.dispatcher.Context is one)."""
    session: Session
    user: User | None
    event: Any


def record_chat(ctx: ChatTurn, action: str, subject_type: str, subject_id: Any = None, *,
                area_code: str | None = None, **detail: Any) -> None:
    """Record an action a LINE user took in chat, tied to the message that caused it."""
    record(ctx.session, action, subject_type, subject_id, actor=ctx.user, area_code=area_code,
           source=getattr(ctx.event, "webhook_event_id", None), **detail)


_INSERT = insert(AuditEntry.__table__)


def record_chat_each(ctx: ChatTurn, action: str, subject_type: str, subjects: Iterable[tuple[Any, str | None]],
                     **detail: Any) -> None:
    """record_chat for each (subject id, area code) of a list shown at once: one INSERT on the session's
    connection, executed for every row (psycopg pipelines them). A page of the list of children to find
    audits ten cases; the ORM's unit of work for ten entries, or its bulk insert, cost more CPU than the
    rest of the page's work."""
    actor_id, source, at = ctx.user.id if ctx.user else None, getattr(ctx.event, "webhook_event_id", None), utcnow()
    rows = [dict(at=at, actor_id=actor_id, actor_label=None, action=action, subject_type=subject_type,
                 subject_id=None if subject_id is None else str(subject_id), area_code=area_code, source=source,
                 detail=detail) for subject_id, area_code in subjects]
    if rows:
        ctx.session.flush()  # what was recorded before stays before, in the table's order
        ctx.session.connection().execute(_INSERT, rows)


def cli_actor() -> str:
    """Who ran a command: "cli:" and the operating-system user (the CLI has no LINE user)."""
    try:
        return f"cli:{getpass.getuser()}"[:100]
    except (KeyError, OSError):  # a container user with no name
        return "cli:unknown"


def record_cli(session: Session, action: str, subject_type: str, subject_id: Any = None, *,
               area_code: str | None = None, **detail: Any) -> None:
    """Record an action taken with `flask --app bot ...`."""
    record(session, action, subject_type, subject_id, actor_label=cli_actor(), area_code=area_code, source="cli",
           **detail)


def history(session: Session, subject_type: str, subject_id: Any, action: str | None = None) -> list[AuditEntry]:
    """Every entry about one record, oldest first ("who looked at this child?")."""
    query = select(AuditEntry).where(AuditEntry.subject_type == subject_type,
                                     AuditEntry.subject_id == str(subject_id))
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query.order_by(AuditEntry.id)))


def case_trail(session: Session, case_id: int, area_code: str | None, since) -> list[AuditEntry]:
    """Everyone who saw or changed one child's case, oldest first: the entries about the case itself,
    and the exports made since it was opened whose scope held its area (an export is audited once,
    with its scope, not once per child in it)."""
    entries = history(session, "case", case_id)
    prefixes = [""] + ([area_code[:n] for n in range(2, len(area_code) + 1, 2)] if area_code else [])
    exports = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "export", AuditEntry.at >= since)
        .where((AuditEntry.area_code.in_(prefixes)) | AuditEntry.area_code.is_(None)).order_by(AuditEntry.id))
    covering = [entry for entry in exports
                if any((area_code or "").startswith(root) for root in entry.detail.get("scope", []))]
    return sorted(entries + covering, key=lambda entry: entry.id)
