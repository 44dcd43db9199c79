"""A case's history in words: what each kind of history line is called, and the newest lines of many
cases in one query (the case card's timeline, the export's short one)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.thai import fit_text
from models import STATUSES, CaseEvent

EVENT_LABELS = {
    "listed": "นำเข้าจากรายชื่อ",
    "list_updated": "ปรับปรุงจากรายชื่อฉบับใหม่",
    "reported": "แจ้งพบเด็ก",
    "reported_again": "มีผู้แจ้งข้อมูลเพิ่ม",
    "report_added": "ผู้แจ้งเพิ่มข้อมูลให้เรื่องเดิม",
    "checked_in": "เช็กอิน",
    "referred": "ส่งต่อหน่วยงาน",
    "referral_accepted": "หน่วยงานรับเรื่อง",
    "referral_declined": "หน่วยงานปฏิเสธ",
    "referral_revoked": "ถอนการส่งต่อ",
    "enrolled": "กลับเข้าเรียน",
    "follow_up": "ติดตามผล: ยังเรียนอยู่",
    "follow_up_irregular": "ติดตามผล: มาบ้างไม่มาบ้าง",
    "follow_up_asked": "ส่งคำถามติดตามผลการเรียน",
    # Written by the stale-case nudges, which the late-case job replaced: older histories still have them.
    "stale_nudged": "เตือนผู้แจ้ง: ไม่มีความคืบหน้า",
    "stale_escalated": "แจ้งผู้ประสานงาน: ไม่มีความคืบหน้า",
    "late": "เกินกำหนดของขั้นตอนนี้",
    "late_reminded": "เตือนเรื่องเกินกำหนด",
    "dropped_out": "หยุดเรียนอีกครั้ง",
    "closed": "ปิดเรื่อง",
    "reopened": "เปิดเรื่องอีกครั้ง",
    "note": "บันทึก",
    "claimed": "รับเรื่องเป็นผู้ดูแล",
    "assigned": "มอบหมายผู้ดูแล",
    "assign_accepted": "ผู้ได้รับมอบหมายรับเรื่อง",
    "assign_declined": "ผู้ได้รับมอบหมายไม่รับเรื่อง",
    "transfer_requested": "ขอโอนเรื่อง",
    "transfer_accepted": "รับโอนเรื่อง",
    "transfer_declined": "ไม่รับโอนเรื่อง",
    # A watched student who stopped coming (domain.watch.become_case): the case, and the school's history.
    "from_watch_list": "เปิดเรื่องจากรายชื่อเฝ้าระวัง",
    "from_watch_list_again": "หยุดเรียนขณะอยู่ในรายชื่อเฝ้าระวัง",
    "watch_history": "ประวัติจากรายชื่อเฝ้าระวังของโรงเรียน",
}
# The lines of a later report of a child already on file: their details are what it reported (the
# after-card match; the reporter's own "เพิ่มข้อมูลให้เรื่องเดิม").
LATER_REPORTS = ("reported_again", "report_added")
# The columns a timeline line is written from: no ORM objects, an export reads them for every case.
LINE_COLUMNS = (CaseEvent.case_id, CaseEvent.at, CaseEvent.kind, CaseEvent.from_status, CaseEvent.to_status,
                CaseEvent.note)


def event_words(kind: str, from_status: str | None, to_status: str | None, note: str | None = None,
                note_shown: int = 0) -> str:
    """"ส่งต่อหน่วยงาน → ส่งต่อหน่วยงานแล้ว", and with `note_shown` the first that many characters of
    the note ("บันทึก: โทรคุยกับแม่แล้ว")."""
    words = EVENT_LABELS.get(kind, kind)
    if to_status and from_status:
        words += f" → {STATUSES.get(to_status, to_status)}"
    if note and note_shown:
        words += f": {fit_text(note, note_shown)}"
    return words


def latest_lines(session: Session, case_ids: Sequence[int], per_case: int) -> dict[int, list[Any]]:
    """By case id, the newest `per_case` history lines of each case (LINE_COLUMNS rows), newest first."""
    if not case_ids:
        return {}
    ranked = (select(CaseEvent.id, func.row_number().over(partition_by=CaseEvent.case_id,
                                                          order_by=CaseEvent.id.desc()).label("rank"))
              .where(CaseEvent.case_id.in_(case_ids)).subquery())
    rows = session.execute(select(*LINE_COLUMNS).join(ranked, ranked.c.id == CaseEvent.id)
                           .where(ranked.c.rank <= per_case).order_by(CaseEvent.case_id, CaseEvent.id.desc()))
    lines: dict[int, list[Any]] = {}
    for row in rows:
        lines.setdefault(row.case_id, []).append(row)
    return lines
